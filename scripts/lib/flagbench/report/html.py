"""tables/report.html, tables/details.html and tables/asm/<kernel>.html: a static
report that needs no network.  The report holds the tables and shows the plots
(plots/*.svg beside it); every cell links to its kernel's assembly page, which
holds each cell's normalized assembly, its diff against the baseline and its
llvm-mca view.  The pages share one style sheet and one small script
(report.css, report.js beside report.html): sorting and filtering tables, the
register switch; the pages read without them."""
from __future__ import annotations

import html
import re
from pathlib import Path

from . import codestyle, diffview, effecttables, firstscreen, fmt, hotcode, mdhtml, seedplot, webui
from . import statistics as st
from .analysis import Analysis, Cell
from ..why import asmview as why_asmview, cells as why_cells
from .summary import clock_text

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1500px;
padding:0 18px 40px;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin:.8em 0 .3em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{margin-top:1.3em}code{background:#f3f3f3;padding:0 3px;border-radius:3px;font-size:.92em}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:8px 10px;overflow:auto;font-size:12px;line-height:1.35}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 0;z-index:3}
nav a{margin-right:14px}
.scroll{overflow:auto;max-width:100%;max-height:80vh}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:12.5px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
.scroll th{background:#f4f4f4;position:sticky;top:0;z-index:1}
.scroll td:first-child{position:sticky;left:0;background:#fff}
.scroll th:first-child{left:0;z-index:2}
td.faster{background:#e3f2e1}td.slower{background:#f9e0de}td.same{background:#fff}
td.samecode{background:#f4f4f4;color:#555}
td.none{background:#eee;color:#666}td.base{background:#f4f7fb}
td .links{display:block;font-size:11px;color:#666}td .links a{margin-right:5px}
img.plot{max-width:100%;height:auto;border:1px solid #eee;margin:.4em 0}
.legend span{padding:0 6px;margin-right:6px}.note{color:#555}
pre.diff .a{background:#e6ffec;display:block}pre.diff .d{background:#ffebe9;display:block}
pre.diff .h{color:#6639ba;display:block}
section.cell{border-top:1px solid #ddd;margin-top:1.2em}
section.answer{background:#fbfcfe;border:1px solid #dfe6ef;border-radius:6px;padding:2px 14px 8px;margin-top:.6em}
section.answer h2{margin-top:.5em}
details.glossary{border:1px solid #e3e3e3;border-radius:6px;padding:6px 12px;margin:1em 0}
details.glossary .cols{display:flex;flex-wrap:wrap;gap:24px}details.glossary .cols>div{flex:1 1 420px}
table.plain td{border:0;padding:1px 8px 1px 0}
"""


def anchor(variant: str, config: str) -> str:
    return "c-" + re.sub(r"[^A-Za-z0-9_.-]", "_", f"{variant}--{config}")


def kernel_page(kernel: str) -> str:
    return "asm/" + kernel.replace("/", "_") + ".html"


def plot_img(name: str, alt: str) -> str:
    """A plot drawn into plots/<name>.svg beside the page."""
    return f'<img class="plot" alt="{html.escape(alt)}" src="plots/{html.escape(name)}.svg">'


ASSET_CSS, ASSET_JS = "report.css", "report.js"


def assets() -> dict:
    """The files the pages share: {file name: text}."""
    return {ASSET_CSS: (CSS + webui.CSS + diffview.CSS).lstrip(),
            ASSET_JS: (webui.SCRIPT + diffview.SCRIPT).lstrip()}


def write_assets(out: Path, write) -> list:
    written = []
    for name, text in assets().items():
        write(Path(out) / name, text)
        written.append(Path(out) / name)
    return written


def page(title: str, body: list, shared: str | None = None) -> str:
    """A page that needs no network.  shared: the relative path of the folder
    holding report.css and report.js ("" beside the page, "../" one level up);
    None inlines them (a page that travels alone).  The script is included
    only where the page has something for it."""
    text = "\n".join(body)
    needs_js = 'class="t' in text or "filter" in text or "absreg-toggle" in text
    if shared is None:
        scripts = []
        if 'class="t' in text or "filter" in text:
            scripts.append(webui.SCRIPT)
        if "absreg-toggle" in text:
            scripts.append(diffview.SCRIPT)
        style = f"<style>{CSS}{webui.CSS}{diffview.CSS}</style>"
        js = "".join(f"<script>{s}</script>" for s in scripts)
    else:
        style = f'<link rel="stylesheet" href="{shared}{ASSET_CSS}">'
        js = f'<script src="{shared}{ASSET_JS}"></script>' if needs_js else ""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{html.escape(title)}</title>"
            f"{style}</head><body>\n" + text + f"\n{js}</body></html>\n")


# ---------------------------------------------------------------- report.html

def _summary_table(a: Analysis, light: "Light | None" = None) -> str:
    cands = [c for c in a.configs if c != a.baseline]
    h = html.escape
    out = ['<div class="scroll"><table class="t summary" id="speedups"><thead><tr><th>kernel/variant</th>'
           '<th>style</th>', f"<th>{h(a.baseline)} (baseline)</th>"]
    out += [f"<th>{h(c)}</th>" for c in cands] + ["<th>best</th></tr></thead><tbody>"]
    for kernel, variant in a.rows:
        out.append(f"<tr><td><strong>{h(kernel)}/{h(variant)}</strong></td>"
                   f"<td>{h(codestyle.style(kernel, variant)) if variant != '*' else ''}</td>")
        for c in [a.baseline] + cands:
            cell = a.cell(kernel, variant, c)
            out.append(_summary_cell(a, cell, c == a.baseline, light))
        best, bc, ties = a.best_for_row(kernel, variant)
        out.append("<td>" + (f"<code>{h(best)}</code> {fmt.ratio(bc.ratio)}"
                             + (f" (+{len(ties)} tied)" if ties else "") if best else "—") + "</td></tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _summary_cell(a: Analysis, cell: Cell | None, is_base: bool, light: "Light | None" = None) -> str:
    from .summary import not_timed_aa
    if cell is None:
        return '<td class="none">—</td>'
    sort = ""
    if is_base:
        text = (fmt.ns_with_interval(cell.stats.median, cell.stats.ci) if cell.stats
                else cell.status_text)
        cls = "base"
    elif not_timed_aa(a, cell):
        text, cls = "— (A/A: one variant per kernel is timed)", "none"
    elif cell.vs_base is None or cell.vs_base.ratio is None:
        text, cls = cell.status_text, "none"
    else:
        v = cell.vs_base.verdict
        cls = {st.FASTER: "faster", st.SLOWER: "slower"}.get(v, "same")
        if cell.same_as == a.baseline:
            text, cls = fmt.SAME_CODE, "samecode"
        else:
            text = fmt.verdict_cell(cell.vs_base, cell.same_as)
        sort = f' data-sort="{cell.vs_base.ratio:.6g}"'
    title = ""
    if cell.vs_base is not None and cell.vs_base.reason:
        title = f' title="{html.escape(cell.vs_base.reason)}"'
    links = ""
    if cell.variant != "*" and cell.status not in ("build failed", "not run"):
        base = kernel_page(cell.kernel) + "#" + anchor(cell.variant, cell.config)
        if light is None or light.keep(cell):
            links = (f'<span class="links"><a href="{base}">asm</a>'
                     + ("" if is_base or cell.same_as == a.baseline else f'<a href="{base}--diff">diff</a>')
                     + "</span>")
        elif light.same_code(cell) and light.keep(light.base(cell)):
            # the baseline's code: its twin's section
            links = (f'<span class="links"><a href="{kernel_page(cell.kernel)}#'
                     f'{anchor(cell.variant, a.baseline)}">asm (baseline)</a></span>')
    return f'<td class="{cls}"{title}{sort}>{html.escape(text)}{links}</td>'


def _aa_table(a: Analysis) -> str:
    rows = []
    for p in a.aa_pairs:
        c = p.comparison
        rows.append([f"{p.kernel}/{p.variant}", f"`{p.a}` vs `{p.b}`", p.why, fmt.verdict_cell(c),
                     c.verdict, "yes" if p.ci_alone_wrong else "no"])
    if not rows:
        return "<p>No A/A pairs in this run.</p>"
    return _tag(mdhtml.convert("\n".join(fmt.md_table(
        ["kernel/variant", "pair", "why identical", "ratio [95% interval], verdict (threshold left out)",
         "verdict", "interval alone excludes 1"], rows))), "aa-table")


def _tag(html_text: str, table_id: str) -> str:
    """Gives the first table of converted Markdown an id (for its filter box)."""
    return html_text.replace('<table class="t">', f'<table class="t" id="{table_id}">', 1)


def _section_md(md: str, start: str, stop: str | None = None) -> str:
    """The part of a Markdown document from the heading `start` to `stop`."""
    i = md.find(start)
    if i < 0:
        return ""
    j = md.find(stop, i + len(start)) if stop else -1
    part = md[i:j] if j >= 0 else md[i:]
    # The report inlines its plots; the .md files' image links are left out.
    return "\n".join(line for line in part.split("\n") if not line.startswith("!["))


def _verdict_td(c, extra: str = "") -> str:
    if c is None or c.ratio is None:
        return f'<td class="none">{html.escape(fmt.verdict_cell(c))}{extra}</td>'
    cls = "samecode" if fmt.is_same_code(c) else \
        {st.FASTER: "faster", st.SLOWER: "slower"}.get(c.verdict, "same")
    return (f'<td class="{cls}" data-sort="{c.ratio:.6g}" title="{html.escape(c.reason or "")}">'
            f"{html.escape(fmt.verdict_cell(c))}{extra}</td>")


def first_screen(a: Analysis) -> str:
    """Which flags for my kind of code, how sure, and what to run next."""
    h = html.escape
    out = ['<section id="answer" class="answer"><h2>Which flags for my kind of code</h2>',
           f"<p>Per kernel family and code style: the configuration with the highest speedup over "
           f"<code>{h(a.baseline)}</code> among those called faster, as a geometric mean over the "
           "group's kernel variants with its 95% interval, verdict and noise threshold. Where nothing "
           "is called faster the baseline is the answer, and the closest configuration is shown. "
           "Styles come from the variant names (see the glossary).</p>",
           '<div class="scroll"><table class="t" id="by-style"><thead><tr><th>family</th><th>code style</th>'
           "<th>variants</th><th>best configuration</th><th>speedup [95% interval], verdict (threshold)</th>"
           "<th>why</th><th>slower under</th></tr></thead><tbody>"]
    for ans in firstscreen.answers(a):
        names = ", ".join(f"{k.split('/', 1)[1]}/{v}" for k, v in ans.rows)
        if ans.config:
            best = f"<code>{h(ans.config)}</code>" + (f" (+{len(ans.ties)} tied)" if ans.ties else "")
        elif ans.closest:
            best = f"baseline (nothing faster; closest <code>{h(ans.closest)}</code>)"
        else:
            best = "no timing"
        out.append(f"<tr><td>{h(ans.family)}</td><td>{h(ans.style)}</td>"
                   f'<td title="{h(names)}">{len(ans.rows)}</td><td>{best}</td>'
                   + _verdict_td(ans.comparison) + f'<td class="why">{h(ans.why)}</td>'
                   + "<td>" + "; ".join(f"<code>{h(c)}</code> {h(fmt.verdict_cell(x))}" for c, x in ans.slower)
                   + "</td></tr>")
    out.append("</tbody></table></div>")
    out.append(_how_sure(a))
    runs = firstscreen.next_runs(a)
    if runs:
        out.append("<h3>Suggested next runs</h3><ul>" + "".join(
            f"<li>{h(what)}: <code>{h(cmd)}</code></li>" for what, cmd in runs) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def _how_sure(a: Analysis) -> str:
    h = html.escape
    s = a.aa_summary()
    called = [p for p in a.aa_pairs if p.comparison.verdict in (st.FASTER, st.SLOWER)]
    aa = firstscreen._rate(s)
    if called:
        aa += "; called different: " + ", ".join(f"{p.kernel}/{p.variant} ({p.a} vs {p.b})" for p in called)
    pl = firstscreen.placement(a)
    hit, timed = firstscreen.time_budget_cells(a)
    items = [f"<li><strong>A/A false calls</strong> (identical code timed twice): {h(aa)}.</li>",
             "<li><strong>Placement false calls</strong> (the same code under different layouts): "
             + h(firstscreen._rate(pl) if pl else "not measured in this run") + ".</li>",
             f"<li><strong>Time budget</strong>: {hit} of {timed} timed cells stopped because their time "
             "ran out, not because their interval converged"
             + (" (their intervals are wider than asked for)" if hit else "") + ".</li>"]
    return '<h3>How sure</h3><ul class="sure">' + "".join(items) + "</ul>"


def glossary(a: Analysis) -> str:
    h = html.escape
    rows = []
    for c in a.run.plan.get("configs", []):
        flags = c.get("flags") or {}
        compile_ = " ".join(flags.get("compile") or []) + " " + " ".join(flags.get("target") or [])
        link = " ".join(flags.get("link") or [])
        role = "baseline" if c["id"] == a.baseline else (f"A/A duplicate of {c['aa_of']}" if c.get("aa_of") else "")
        rows.append(f"<tr><td><code>{h(c['id'])}</code></td><td>{h(role)}</td>"
                    f"<td>{h(str((c.get('axes') or {}).get('compiler', '')))}</td>"
                    f"<td><code>{h(compile_.strip())}</code></td><td><code>{h(link)}</code></td></tr>")
    syms = "".join(f"<tr><td><strong>{h(sym)}</strong></td><td>{h(text)}</td></tr>" for sym, text in fmt.SYMBOLS)
    styles = "".join(f"<li>{h(line.strip())}</li>" for line in codestyle.__doc__.split("\n")
                     if line.startswith("  ") and not line.strip().startswith("style "))
    return ('<details class="glossary" open><summary><strong>Glossary</strong>: configurations, symbols, '
            'code styles</summary><div class="cols">'
            '<div><h4>Configurations</h4><table class="t"><thead><tr><th>id</th><th>role</th><th>compiler</th>'
            "<th>compile flags</th><th>link flags</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
            f'<div><h4>Symbols</h4><table class="plain">{syms}</table>'
            f"<h4>Machine words</h4><ul><li><strong>SMT off</strong>: one hardware thread per core "
            "(simultaneous multithreading disabled or absent).</li>"
            f"<li><strong>clock</strong>: the one clock every cycle figure uses: {h(clock_text(a))}.</li>"
            "<li><strong>host (cpu)</strong> in the code table: the CPU llvm-mca modelled for this "
            "machine, and the scheduling model it used (a newer CPU without its own model borrows "
            "an older one, e.g. znver5 with the Zen 4 model).</li></ul>"
            f"<h4>Code styles</h4><ul>{styles}</ul></div></div></details>")


def _effects_html(a: Analysis, e) -> str:
    if not e.effects:
        return "<p>This matrix varies no axis on pairs of configurations that differ in that axis alone.</p>"
    headers, rows = effecttables.kernel_rows(a, e)
    h = html.escape
    out = ['<div class="scroll"><table class="t" id="effects-table"><thead><tr>'
           + "".join(f"<th>{h(x)}</th>" for x in headers) + "</tr></thead><tbody>"]
    kernels = list(a.run.plan.get("kernels", [])) + [None]
    for k in kernels:
        label = k or "all kernels"
        cells = [ef.kernels.get(k) if k else ef.overall for ef in e.effects]
        out.append(f"<tr><td><strong>{h(label)}</strong></td>" + "".join(_verdict_td(c) for c in cells) + "</tr>")
    out.append("</tbody></table></div>")
    out.append("<p>Columns: " + "; ".join(
        f"<strong>{h(ef.label)}</strong>: " + ", ".join(f"<code>{h(p.frm)}</code> → <code>{h(p.to)}</code>"
                                                         for p in ef.pairs) for ef in e.effects) + ".</p>")
    return "\n".join(out)


def report(a: Analysis, docs: dict, svgs, plot_note: str | None, e=None, light: "Light | None" = None) -> str:
    """docs: name -> Markdown text of summary/effects/code/build; svgs: the names
    of the plots drawn into plots/ (heatmap, effects-overview, effect-<i>,
    interaction-<i>); e: the run's Effects (the transposed effects table);
    light: a published report's choice of assembly sections (the other cells
    get no asm link, or one to the baseline's section when they have its code)."""
    from .summary import aa_paragraph, header
    head = header(a, f"flagbench run {a.run_id}")
    # The title, then the answer; the run's provenance table folds away below the title.
    body = [mdhtml.convert(head[0]),
            f"<details class=\"run\"><summary>run <code>{html.escape(a.run_id)}</code>: "
            f"{html.escape(a.run.plan.get('matrix') or '')} matrix, baseline <code>{html.escape(a.baseline)}</code>, "
            f"{html.escape((a.machine.get('cpu') or {}).get('model', 'unknown CPU'))}, {html.escape(clock_text(a))}"
            "</summary>" + mdhtml.convert("\n".join(head[1:])) + "</details>"]
    body.append('<nav><a href="#answer">answer</a><a href="#best">best per kernel</a>'
                '<a href="#summary">speedups</a><a href="#heatmap">heatmap</a><a href="#effects">effects</a>'
                '<a href="#interactions">interactions</a><a href="#aa">A/A check</a>'
                '<a href="details.html">details: every cell, code, build</a><a href="#files">files</a></nav>')
    body.append(first_screen(a))
    body.append(glossary(a))
    body.append('<h2 id="best">Best configuration per kernel</h2>')
    best_md = _section_md(docs["summary"], "## Best configuration", "## Every cell")
    best_md = best_md.split("\n", 1)[1] if best_md else ""
    body.append(_tag(mdhtml.convert(best_md.split("## Build failures")[0]), "best-table"))
    if "## Build failures" in best_md:
        body.append(mdhtml.convert("## Build failures" + best_md.split("## Build failures", 1)[1]))
    body.append('<h2 id="summary">Speedup against the baseline</h2>')
    body.append(f"<p>Each cell: speedup against <code>{html.escape(a.baseline)}</code> (baseline "
                "median ÷ this median, above 1 is faster), its 95% bootstrap interval, a verdict and the "
                f"noise threshold it was judged against ({html.escape(fmt.CELL_LEGEND)}). A verdict needs the "
                "interval to exclude 1 and the change to exceed the threshold (hover a cell for the reason). "
                "Green: faster, red: slower. <em>asm</em> and <em>diff</em> open the cell's normalized "
                "assembly and its loop-by-loop comparison with the baseline. Click a header to sort.</p>")
    body.append(mdhtml.convert("\n".join(aa_paragraph(a))))
    if plot_note:
        body.append(f'<p class="note">{html.escape(plot_note)}</p>')
    body.append(webui.filter_box("speedups", "kernel variants", len(a.rows)))
    if light is not None:
        body.append(f"<p class=\"note\">{html.escape(light.note())}</p>")
    body.append(_summary_table(a, light))
    body.append('<h2 id="heatmap">Heatmap</h2>')
    if "heatmap" in svgs:
        body.append("<p>Kernel/variant × configuration; only significant changes are coloured. Labels: "
                    "speedup, then + faster, - slower, ~ no significant difference; "
                    f"<strong>{fmt.SAME_CODE}</strong>: the baseline's code; (=): the same code as another "
                    "configuration.</p>")
        body.append(plot_img("heatmap", "heatmap of speedups against the baseline"))
    else:
        body.append("<p>No heatmap (see the note above).</p>")
    body.append('<h2 id="effects">Effects</h2>')
    body.append("<p>The effect of changing one axis value with everything else equal, per kernel "
                "(geometric mean over its variants and over the pairs of configurations that differ in "
                "that axis alone); kernels are rows, changes are columns. Per variant and per pair: "
                '<a href="details.html#effect-pairs">details</a>.</p>')
    if "effects-overview" in svgs:
        body.append(plot_img("effects-overview", "effect of each axis change, all kernels"))
    body.append(_effects_html(a, e) if e is not None else mdhtml.convert(
        _section_md(docs["effects"], "## Effects per kernel", "### ")))
    i = 0
    while f"effect-{i}" in svgs:
        body.append(plot_img(f"effect-{i}", f"effect plot {i}"))
        i += 1
    body.append('<h2 id="interactions">Interactions</h2>')
    inter = _section_md(docs["effects"], "## Interactions", "### ")
    body.append(mdhtml.convert(inter.replace("## Interactions", "", 1)) if inter
                else "<p>This matrix crosses no two axes, so there are no interactions.</p>")
    i = 0
    while f"interaction-{i}" in svgs:
        body.append(plot_img(f"interaction-{i}", f"interaction plot {i}"))
        i += 1
    body.append('<h2 id="aa">A/A check</h2>')
    body.append(_aa_table(a))
    body.append(_files_html())
    return page(f"flagbench run {a.run_id}", body, "")


def _files_html() -> str:
    return ('<h2 id="files">Files</h2><p>The same tables as Markdown, CSV and JSON beside this page: '
            + " · ".join(f'<a href="{n}">{n}</a>' for n in
                         ("summary.md", "summary.csv", "summary.json", "effects.md", "effects.csv",
                          "effects.json", "code.md", "code.csv", "code.json", "build.md", "build.csv",
                          "build.json", "lnt.json"))
            + ". Schemas: <code>docs/reading-a-report.md</code>.</p>")


def details(a: Analysis, docs: dict) -> str:
    """details.html: the long tables, kept off the first page so it opens fast."""
    from .summary import header
    body = [mdhtml.convert("\n".join(header(a, f"flagbench run {a.run_id}: details"))),
            '<nav><a href="report.html">back to the report</a><a href="#every-cell">every cell</a>'
            '<a href="#effect-pairs">effects per pair</a><a href="#code">code</a><a href="#build">build</a></nav>',
            '<h2 id="every-cell">Every cell</h2>',
            webui.filter_box("cells-table", "cells", sum(1 for _ in a.cells)),
            _tag(mdhtml.convert(_section_md(docs["summary"], "## Every cell").replace("## Every cell", "", 1)
                                .replace("<details><summary>", "").replace("</summary>", "")
                                .replace("</details>", "")), "cells-table"),
            '<h2 id="effect-pairs">Effects per variant and pair</h2>',
            mdhtml.convert(_section_md(docs["effects"], "### ", "## Interactions")),
            '<h2 id="code">Code</h2>',
            webui.filter_box("code-table", "code rows", len(a.cells)),
            _tag(mdhtml.convert(_strip_header(docs["code"])), "code-table"),
            '<h2 id="build">Build</h2>', mdhtml.convert(_strip_header(docs["build"])), _files_html()]
    return page(f"flagbench run {a.run_id}: details", body, "")


def _strip_header(md: str) -> str:
    """Drops a table document's title and run table (the report shows them once)."""
    lines = md.split("\n")
    i = 0
    if lines and lines[0].startswith("# "):
        i = 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith("|") or lines[i].startswith("[")):
            i += 1
    return "\n".join(lines[i:])


# ---------------------------------------------------------------- asm pages

def _mca_view(a: Analysis, cell: Cell) -> str:
    mca = (cell.asm or {}).get("mca") or {}
    loops = mca.get("loops") or []
    if not cell.asm:
        return "<p>No assembly analysis for this cell.</p>"
    if not loops:
        why = mca.get("skipped") or mca.get("error") or "no innermost loop (nothing for llvm-mca)"
        return f"<p>{html.escape(str(why))}</p>"
    out = [f"<p>llvm-mca {html.escape(str(mca.get('version', '')))}, target CPU "
           f"<code>{html.escape(str(mca.get('target_cpu', '')))}</code>, "
           f"{html.escape(str(mca.get('iterations', '')))} iterations per loop.</p>"]
    details = {d.get("index"): d for d in cell.asm.get("loop_details") or []}
    for lp in loops:
        d = details.get(lp.get("index"), {})
        rng = lp.get("lines") or d.get("lines")
        ipi = d.get("items_per_iteration_measured") or d.get("items_per_iteration")
        out.append(f"<h5>loop {lp.get('index')} (lines {rng[0]}–{rng[1]}, {lp.get('instructions')} instructions"
                   + (f", {ipi} items/iteration" if ipi else "") + ")</h5>" if rng else
                   f"<h5>loop {lp.get('index')}</h5>")
        rows = [["cpu", "rthroughput", "cycles/iter", "IPC", "uops/cycle", "busiest resources", "unsound"]]
        for cpu, r in (lp.get("per_cpu") or {}).items():
            pressure = ", ".join(f"{p.get('resource')} {p.get('cycles')}" for p in (r.get("pressure") or [])[:3])
            rows.append([cpu + (f" ({r['mcpu']})" if r.get("mcpu") and r.get("mcpu") != cpu else ""),
                         r.get("block_rthroughput"), r.get("cycles_per_iteration"), r.get("ipc"),
                         r.get("uops_per_cycle"), pressure, "; ".join(r.get("unsound") or [])])
        out.append("<pre>" + html.escape(_text_table(rows)) + "</pre>")
    return "\n".join(out)


def _text_table(rows: list) -> str:
    rows = [["" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths)) + "  " + r[-1] for r in rows)


def _mark_loops(text: str, asm: dict | None) -> str:
    """Puts '# loop N' before and '# end of loop N' after each loop's lines."""
    if not asm:
        return text
    lines = text.rstrip("\n").split("\n")
    before, after = {}, {}
    for d in asm.get("loop_details") or []:
        rng = d.get("lines")
        if not rng:
            continue
        ipi = d.get("items_per_iteration_measured") or d.get("items_per_iteration")
        kind = "innermost" if d.get("innermost") else f"depth {d.get('depth')}"
        before.setdefault(rng[0], []).append(
            f"# loop {d.get('index')} ({kind}" + (f", {ipi} items/iteration" if ipi else "") + ")")
        after.setdefault(rng[1], []).append(f"# end of loop {d.get('index')}")
    out = []
    for i, line in enumerate(lines, 1):
        out += before.get(i, [])
        out.append(line)
        out += after.get(i, [])
    return "\n".join(out) + "\n"


def _diff_view(a: Analysis, cell: Cell) -> str:
    if cell.config == a.baseline:
        return "<p>This is the baseline.</p>"
    base = a.cell(cell.kernel, cell.variant, a.baseline)
    if base is None:
        return "<p>The baseline has no such cell.</p>"
    if cell.code_hash and cell.code_hash == base.code_hash:
        return "<p>Identical to the baseline's code (same code_hash).</p>"
    ta, tb = a.asm_text(base), a.asm_text(cell)
    if ta is None or tb is None:
        return "<p>No assembly to compare (" + ("baseline" if ta is None else "this cell") + " has none).</p>"
    if ta == tb:
        return "<p>The normalized assembly is identical to the baseline's.</p>"
    return diffview.render(ta, base.asm, tb, cell.asm, a.baseline, cell.config)


def _verdict(cell: Cell) -> bool:
    return cell.vs_base is not None and cell.vs_base.verdict in (st.FASTER, st.SLOWER)


class Light:
    """What a light publish (scripts/publish.sh) keeps of the assembly pages: a
    cell's whole section when it has a verdict (faster or slower) or its code
    differs from the baseline's, and the baseline's section of a variant with
    such a cell.  A cell with the baseline's code (the same code_hash, or the
    same normalized assembly) keeps its anchors and links to the baseline's
    section; any other cell left out says how to reproduce it."""

    def __init__(self, a: Analysis, changed: bool = True):
        """changed: keep the cells whose code differs from the baseline's even
        without a verdict (False: the verdicts only)."""
        self.a = a
        self.changed = changed
        self._text: dict = {}

    def text(self, cell: Cell) -> str | None:
        if cell.key not in self._text:
            self._text[cell.key] = self.a.asm_text(cell)
        return self._text[cell.key]

    def base(self, cell: Cell) -> Cell | None:
        return self.a.cell(cell.kernel, cell.variant, self.a.baseline)

    def same_code(self, cell: Cell) -> bool:
        """The cell's code is the baseline's."""
        base = self.base(cell)
        if base is None or cell is base:
            return False
        if cell.code_hash and cell.code_hash == base.code_hash:
            return True
        text = self.text(cell)
        return text is not None and text == self.text(base)

    def differs(self, cell: Cell) -> bool:
        base = self.base(cell)
        return bool(cell.code_hash and base is not None and base.code_hash) and not self.same_code(cell)

    def _own(self, cell: Cell) -> bool:
        return _verdict(cell) or (self.changed and self.differs(cell))

    def keep(self, cell: Cell) -> bool:
        a = self.a
        others = [c for c in (a.cell(cell.kernel, cell.variant, x) for x in a.configs if x != cell.config)
                  if c is not None]
        if cell.config == a.baseline:
            return any(self._own(c) for c in others)
        # a kept cell whose code was timed under another configuration links to that one's section
        return self._own(cell) or any(c.same_as == cell.config and self._own(c) for c in others)

    __call__ = keep

    def note(self) -> str:
        return ("This is a published run: the assembly pages hold the cells that have a verdict"
                + (" or whose code differs from the baseline's" if self.changed else "")
                + ", and the baseline cells they are compared with; a cell with the baseline's code "
                "links to the baseline's section. The others are left out: " + REPRODUCE)



REPRODUCE = ("rerun a cell's configuration with the sweep command in its reproduce.sweep field "
             "(summary.json.gz), then scripts/asm.sh --annotate CONFIG KERNEL/VARIANT prints its "
             "normalized assembly and scripts/asmdiff.sh --side-by-side BASELINE CONFIG KERNEL/VARIANT "
             "its loop-by-loop comparison (scripts/report.sh on the rerun writes every cell's page).")


def asm_page(a: Analysis, kernel: str, keep: Light | None = None) -> str:
    """keep: a published run's choice of cells; the page holds only those."""
    body = [f"<h1>{html.escape(kernel)}: assembly, diffs against the baseline, llvm-mca</h1>",
            f'<p><a href="../report.html">back to the report</a> · run <code>{html.escape(a.run_id)}</code> '
            f"· baseline <code>{html.escape(a.baseline)}</code> · machine {html.escape(a.machine_line())}</p>"]
    variants = [v for k, v in a.rows if k == kernel and v != "*"]
    if keep is not None:
        body.append(f'<p class="note">{html.escape(keep.note())}</p>')
        variants = [v for v in variants if any(keep(c) for c in (a.cell(kernel, v, x) for x in a.configs) if c)]
    body.append("<p>" + " · ".join(f'<a href="#v-{html.escape(v)}">{html.escape(v)}</a>' for v in variants) + "</p>")
    for v in variants:
        body.append(f'<h2 id="v-{html.escape(v)}">{html.escape(kernel)}/{html.escape(v)}</h2>')
        for c in a.configs:
            cell = a.cell(kernel, v, c)
            if cell is None:
                continue
            if keep is None or keep(cell):
                body.append(_cell_section(a, cell))
    return page(f"{kernel}: assembly", body, "../")


def _cell_section(a: Analysis, cell: Cell) -> str:
    anc = anchor(cell.variant, cell.config)
    h = html.escape
    out = [f'<section class="cell" id="{anc}"><h3>{h(cell.variant)} under <code>{h(cell.config)}</code></h3>']
    status = cell.status_text + (f": {cell.detail}" if cell.detail and not cell.same_as else "")
    line = f"<p>Status: {h(status)}."
    if cell.stats is not None:
        line += f" Median {h(fmt.ns_with_interval(cell.stats.median, cell.stats.ci))} over {cell.stats.n} processes"
        if cell.stats.noise is not None:
            line += f", noise {h(fmt.pct(cell.stats.noise))}"
        if cell.stats.layout is not None:
            line += f", spread between layout seeds {h(fmt.pct(cell.stats.layout))}"
        line += "."
    if cell.vs_base is not None and cell.vs_base.ratio is not None:
        line += f" Against the baseline: {h(fmt.comparison(cell.vs_base))} ({h(cell.vs_base.reason)})."
    out.append(line + "</p>")
    if cell.stats is not None and cell.stats.seed_medians and cell.samples:
        out.append('<p class="seeds">Per-seed medians (the same code linked at other addresses): '
                   + seedplot.svg(cell.stats.seed_medians, cell.stats.median, cell.stats.ci) + "</p>")
    run_cmd = a.run_command(cell)
    out.append("<p>Reproduce: " + (f"<code>{h(run_cmd)}</code> (this binary, as timed); " if run_cmd else "")
               + f"<code>{h(a.sweep_command([cell.config], cell.kernel))}</code> (rebuild and re-time, "
               "with the baseline).</p>")
    row = hotcode.row(a, cell)
    if cell.asm:
        cols = ["bytes", "instructions", "vector_width", "fma", "loads", "stores", "calls", "branches",
                "spills", "reloads", "loops", "code_hash"]
        out.append(mdhtml.convert("\n".join(fmt.md_table(cols, [[row.get(c) for c in cols]]))))
    if cell.same_as:
        src = anchor(cell.variant, cell.same_as)
        note = (f'<p>Same code as <a href="#{src}"><code>{h(cell.same_as)}</code></a> (same code_hash): '
                "see its assembly.</p>")
        out.append(note)
        diff = (_diff_view(a, cell) if cell.same_as == a.baseline else
                f'<p>The same as <a href="#{src}--diff"><code>{h(cell.same_as)}</code>\'s diff</a>.</p>')
        out.append(f'<div id="{anc}--diff"><h4>diff against the baseline</h4>{diff}</div>')
        out.append(f'<div id="{anc}--mca"><h4>llvm-mca</h4>{note}</div></section>')
        return "\n".join(out)
    text = a.asm_text(cell)
    if text is None:
        out.append("<p>No normalized assembly for this cell.</p>")
    else:
        out.append(_asm_listing(a, cell, text))
    out.append(f'<div id="{anc}--diff"><h4>diff against the baseline</h4>{_diff_view(a, cell)}</div>')
    model = ""
    if row.get("predicted_cycles_per_item") is not None:
        model = (f"<p>Model vs measurement: predicted {row['predicted_cycles_per_item']} cycles/item, "
                 f"measured {fmt.rnd(row['measured_cycles_per_item'], 4)} ({h(str(row.get('model_method')))}); "
                 f"measured/predicted {row.get('model_ratio')}.</p>")
    elif row.get("model_why"):
        model = f"<p>Model vs measurement: {h(str(row['model_why']))}.</p>"
    out.append(why_asmview.why_html(a, cell))
    out.append(f'<div id="{anc}--mca"><h4>llvm-mca</h4>{model}{_mca_view(a, cell)}</div></section>')
    return "\n".join(out)


def _asm_listing(a: Analysis, cell: Cell, text: str) -> str:
    """The normalized assembly, loops marked; with the percent of samples per line
    when the cell (or its twin) was profiled."""
    prof = why_cells.profile(a.run.path, why_cells.source_config(a, cell), cell.kernel, cell.variant)
    n = len(text.splitlines())
    if prof and prof.get("line_percent"):
        return (f"<details open><summary>normalized assembly ({n} lines; loops marked; left: percent of "
                f"all samples on each line)</summary><pre>{html.escape(why_asmview.annotated(text, cell.asm, prof))}"
                "</pre></details>")
    return (f"<details open><summary>normalized assembly ({n} lines; loops marked)</summary>"
            f"<pre>{html.escape(_mark_loops(text, cell.asm))}</pre></details>")


def write_asm_pages(a: Analysis, tables_dir: Path, write, keep: Light | None = None) -> list:
    """A page per kernel; with keep, only for the kernels with a cell kept."""
    written = []
    for kernel in a.run.plan.get("kernels", []):
        if keep is not None and not any(keep(c) for c in a.cells.values() if c.kernel == kernel):
            continue
        path = tables_dir / kernel_page(kernel)
        write(path, asm_page(a, kernel, keep))
        written.append(path)
    return written
