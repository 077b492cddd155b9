"""scripts/report.sh RUN: every table, plot and page of one run, into RUN/tables/."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import results
from ..atomic import write_text
from ..run.layout import NotARunError, RunDir, TablesDir as T
from . import (asmpage, codetables, detailspage, effecttables, heatmap, hotcode, lnt, machines, page, plots,
               reportpage, summary)
from . import statistics as st
from .analysis import Analysis, Options
from .effects import Effects

LINKS = {"summary": T.SUMMARY.md, "effects": T.EFFECTS.md, "code": T.CODE.md, "build": T.BUILD.md,
         "HTML report": T.REPORT_HTML, "details": T.DETAILS_HTML, "LNT": T.LNT}


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/report.sh",
        description="Write a sweep run's tables (Markdown, CSV, JSON), its LNT export, its plots "
                    "(gnuplot SVG) and its static HTML report into RUN/tables/.",
        epilog="Method: docs/statistics.md. Reading the output and the JSON schemas: "
               "docs/reading-a-report.md.")
    p.add_argument("run", metavar="RUN", help="a run directory (results/raw/<run-id>, or results/raw/latest)")
    p.add_argument("--out", metavar="DIR", help="where to write (default: RUN/tables)")
    p.add_argument("--noise-floor", type=float, default=st.NOISE_FLOOR,
                   help="smallest relative change ever called faster or slower (default 0.01)")
    p.add_argument("--replicates", type=int, default=st.REPLICATES,
                   help="bootstrap replicates per cell for ratios and geometric means (default 2000)")
    p.add_argument("--no-plots", action="store_true", help="skip gnuplot (the report says so)")
    p.add_argument("--no-html", action="store_true", help="skip report.html and the assembly pages")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    a = p.parse_args(argv)
    if not 0 <= a.noise_floor < 1:
        p.error("--noise-floor must be in [0, 1)")
    if a.replicates < 100:
        p.error("--replicates must be at least 100")
    return a


def _clean(directory: Path, suffix: str, keep: set) -> None:
    if directory.is_dir():
        for f in directory.glob(f"*{suffix}"):
            if f not in keep:
                f.unlink()


def make_plots(a: Analysis, e: Effects) -> tuple:
    """({name: svg}, note or None).  The heatmap is drawn here in Python; the
    effect and interaction plots need gnuplot."""
    svgs, errors, empty = {}, [], []

    def attempt(name, fn):
        try:
            svgs[name] = fn()
        except plots.PlotError as err:
            # "Nothing to plot" is a fact about the run, not a failure.
            (empty if str(err).startswith("nothing to plot") else errors).append(f"{name}: {err}")
    attempt("heatmap", lambda: heatmap.svg(a))
    notes = []
    if plots.available():
        _effect_plots(e, attempt)
    else:
        notes.append("Effect plots skipped: gnuplot not found (Debian: apt-get install gnuplot-nox).")
    if errors:
        notes.append("Some plots failed: " + "; ".join(errors))
    if empty:
        notes.append("Plots left out: " + "; ".join(empty))
    return svgs, " ".join(notes) or None


def _effect_plots(e: Effects, attempt) -> None:
    """The gnuplot forest plots: every effect and interaction, and an overview."""
    if e.effects:
        attempt("effects-overview", lambda: plots.forest(
            "effect of each change, geometric mean over kernels", [(ef.label, ef.overall) for ef in e.effects]))
    for i, ef in enumerate(e.effects):
        items = [(k, c) for k, c in ef.kernels.items()] + [("all kernels", ef.overall)]
        attempt(f"effect-{i}", lambda ef=ef, items=items: plots.forest(ef.label, items))
    for i, it in enumerate(e.interactions):
        items = [(k, c) for k, c in it.kernels.items()] + [("all kernels", it.overall)]
        attempt(f"interaction-{i}", lambda it=it, items=items: plots.forest(
            "interaction: " + it.label, items, "interaction (log scale; > 1: the changes help each other)"))


def markdown_docs(a: Analysis, e: Effects, plot_names, code_rows: list, build_rows: list,
                  keep=None) -> dict:
    """summary, effects, code and build as Markdown.  plot_names: the plots
    drawn (the documents show the ones they refer to); keep: a published run's
    choice of cells (light.Light), the only ones the per-cell tables list."""
    sum_images = {"speedup heatmap": T.plot("heatmap")} if "heatmap" in plot_names else {}
    eff_images = {"effects": T.plot("effects-overview")} if "effects-overview" in plot_names else {}
    return {"summary": summary.markdown(a, LINKS, sum_images, keep),
            "effects": effecttables.markdown(a, e, LINKS, eff_images),
            "code": codetables.code_markdown(a, code_rows, LINKS, keep),
            "build": codetables.build_markdown(a, build_rows, LINKS)}


def generate(run_dir: Path, out: Path | None = None, options: Options | None = None,
             want_plots: bool = True, want_html: bool = True) -> dict:
    run = results.load(run_dir)
    a = Analysis(run, options)
    e = Effects(a)
    out = out or RunDir(run_dir).tables.path
    written = {}

    def put(name, text):
        path = out / name
        write_text(path, text)
        written[name] = path
    svgs, note = make_plots(a, e) if want_plots else ({}, "Plots skipped (--no-plots).")
    plot_files = set()
    for name, svg in svgs.items():
        put(T.plot(name), svg)
        plot_files.add(out / T.plot(name))
    _clean(out / T.PLOTS, ".svg", plot_files)
    code_rows = hotcode.rows(a)
    build_rows = codetables.build_rows(a)
    docs = markdown_docs(a, e, svgs, code_rows, build_rows)
    put(T.SUMMARY.md, docs["summary"])
    put(T.SUMMARY.csv, summary.csv_text(a))
    put(T.SUMMARY.json, summary.json_text(a))
    put(T.EFFECTS.md, docs["effects"])
    put(T.EFFECTS.csv, effecttables.csv_text(a, e))
    put(T.EFFECTS.json, effecttables.json_text(a, e))
    put(T.CODE.md, docs["code"])
    put(T.CODE.csv, codetables.code_csv(a, code_rows))
    put(T.CODE.json, codetables.code_json(a, code_rows))
    put(T.BUILD.md, docs["build"])
    put(T.BUILD.csv, codetables.build_csv(a, build_rows))
    put(T.BUILD.json, codetables.build_json(a, build_rows))
    put(T.LNT, lnt.json_text(a))
    if want_html:
        for p in page.write_assets(out, write_text):
            written[p.name] = p
        pages = asmpage.write_asm_pages(a, out, write_text)
        _clean(out / T.ASM_PAGES, ".html", set(pages))
        for p in pages:
            written[str(p.relative_to(out))] = p
        put(T.REPORT_HTML, reportpage.report(a, docs, svgs, note, e))
        put(T.DETAILS_HTML, detailspage.details(a, docs))
    return {"analysis": a, "effects": e, "written": written, "plot_note": note}


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    run_dir = Path(args.run)
    if machines.is_multi_machine(run_dir):  # a run of several machines (docs/scale.md)
        return machines.main(args)
    try:
        RunDir(run_dir).require_run()
    except NotARunError as e:
        print(f"report: {e}", file=sys.stderr)
        return 2
    opts = Options(floor=args.noise_floor, replicates=args.replicates)
    res = generate(run_dir, Path(args.out) if args.out else None, opts, not args.no_plots, not args.no_html)
    if res["plot_note"]:
        print(f"report: {res['plot_note']}", file=sys.stderr)
    if not args.quiet:
        out = Path(args.out) if args.out else RunDir(run_dir).tables.path
        aa = res["analysis"].aa_summary()
        print(f"report: {len(res['written'])} files in {out} (summary.md, report.html, ...); "
              f"A/A check: {aa['wrong_by_verdict']} of {aa['pairs']} identical pairs called different",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
