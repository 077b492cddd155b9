"""Tables, statistics, effects, plots and the HTML report of sweep runs.

Modules, one job each:
  statistics    exact bootstrap of a median, ratios of medians, noise, verdicts, geometric means
  analysis      a run's cells with their statistics, speedups against the baseline, the A/A check
  effects       per-axis effects and two-axis interactions from pairs of configurations
  hotcode       the code table's row: hot-function counts and llvm-mca beside the measurement
  fmt           formatting: times, ratios, intervals, verdict marks, Markdown, CSV, JSON rounding
  summary       summary.md/.csv/.json (and the provenance header every table starts with)
  effecttables  effects.md/.csv/.json
  codetables    code.* and build.*
  lnt           lnt.json, LNT's submission format
  plots         gnuplot SVG: forest plots of effects
  heatmap       the speedup heatmap as SVG, drawn here
  mdhtml        the tables' Markdown subset to HTML
  page          what every page shares: report.css/.js, the page skeleton, link names
  reporttop     report.html's top: which flags per kind of code, how sure, the glossary
  reportpage    report.html
  detailspage   details.html: the long tables
  asmpage       asm/<kernel>.html: each cell's assembly, its diff, llvm-mca
  diffview      an asm page's comparison of a cell's code with the baseline's
  light         which assembly sections a light publish keeps
  generate      scripts/report.sh: all of the above for one run
  compare       scripts/compare.sh: two runs, or two configurations of one run
  publish       scripts/publish.sh: a run's tables and report into results/<name>/
The method is described in docs/statistics.md, the output in docs/reading-a-report.md.
"""
