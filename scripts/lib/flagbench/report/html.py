"""tables/report.html and tables/asm/<kernel>.html: a static report that needs
no network.  The report holds the tables and the plots (SVG inlined as data
URIs); every cell links to its kernel's assembly page, which holds each cell's
normalized assembly, its diff against the baseline (difflib) and its llvm-mca
view.  No script runs in either page."""
from __future__ import annotations

import base64
import difflib
import html
import re
import shlex
from pathlib import Path

from . import fmt, hotcode, mdhtml
from . import statistics as st
from .analysis import Analysis, Cell
from ..why import asmview as why_asmview, cells as why_cells

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1500px;
padding:0 18px 40px;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin:.8em 0 .3em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{margin-top:1.3em}code{background:#f3f3f3;padding:0 3px;border-radius:3px;font-size:.92em}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:8px 10px;overflow:auto;font-size:12px;line-height:1.35}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 0;z-index:2}
nav a{margin-right:14px}.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:12.5px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f4f4;position:sticky;top:0}
td.faster{background:#e3f2e1}td.slower{background:#f9e0de}td.same{background:#fff}
td.none{background:#eee;color:#666}td.base{background:#f4f7fb}
td .links{display:block;font-size:11px;color:#666}td .links a{margin-right:5px}
img.plot{max-width:100%;height:auto;border:1px solid #eee;margin:.4em 0}
.legend span{padding:0 6px;margin-right:6px}.note{color:#555}
pre.diff .a{background:#e6ffec;display:block}pre.diff .d{background:#ffebe9;display:block}
pre.diff .h{color:#6639ba;display:block}
section.cell{border-top:1px solid #ddd;margin-top:1.2em}
"""


def anchor(variant: str, config: str) -> str:
    return "c-" + re.sub(r"[^A-Za-z0-9_.-]", "_", f"{variant}--{config}")


def kernel_page(kernel: str) -> str:
    return "asm/" + kernel.replace("/", "_") + ".html"


def svg_img(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode()).decode()
    return f'<img class="plot" alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{data}">'


def page(title: str, body: list) -> str:
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


# ---------------------------------------------------------------- report.html

def _summary_table(a: Analysis) -> str:
    cands = [c for c in a.configs if c != a.baseline]
    out = ['<div class="scroll"><table class="summary"><thead><tr><th>kernel/variant</th>',
           f"<th>{html.escape(a.baseline)} (baseline)</th>"]
    out += [f"<th>{html.escape(c)}</th>" for c in cands] + ["<th>best</th></tr></thead><tbody>"]
    for kernel, variant in a.rows:
        out.append(f"<tr><td><strong>{html.escape(kernel)}/{html.escape(variant)}</strong></td>")
        for c in [a.baseline] + cands:
            cell = a.cell(kernel, variant, c)
            out.append(_summary_cell(a, cell, c == a.baseline))
        best, bc, ties = a.best_for_row(kernel, variant)
        out.append("<td>" + (f"<code>{html.escape(best)}</code> {fmt.ratio(bc.ratio)}"
                             + (f" (+{len(ties)} tied)" if ties else "") if best else "—") + "</td></tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _summary_cell(a: Analysis, cell: Cell | None, is_base: bool) -> str:
    if cell is None:
        return '<td class="none">—</td>'
    if is_base:
        text = (fmt.ns_with_interval(cell.stats.median, cell.stats.ci) if cell.stats
                else cell.status_text)
        cls = "base"
    elif cell.vs_base is None or cell.vs_base.ratio is None:
        text, cls = cell.status_text, "none"
    else:
        v = cell.vs_base.verdict
        cls = {st.FASTER: "faster", st.SLOWER: "slower"}.get(v, "same")
        text = fmt.comparison(cell.vs_base)
        if cell.same_as:
            text = "= baseline" if cell.same_as == a.baseline else f"{text} = {cell.same_as}"
    title = ""
    if cell.vs_base is not None and cell.vs_base.reason:
        title = f' title="{html.escape(cell.vs_base.reason)}"'
    links = ""
    if cell.variant != "*" and cell.status not in ("build failed", "not run"):
        base = kernel_page(cell.kernel) + "#" + anchor(cell.variant, cell.config)
        links = (f'<span class="links"><a href="{base}">asm</a>'
                 + ("" if is_base else f'<a href="{base}--diff">diff</a>')
                 + f'<a href="{base}--mca">mca</a></span>')
    return f'<td class="{cls}"{title}>{html.escape(text)}{links}</td>'


def _aa_table(a: Analysis) -> str:
    rows = []
    for p in a.aa_pairs:
        c = p.comparison
        rows.append([f"{p.kernel}/{p.variant}", f"`{p.a}` vs `{p.b}`", p.why, fmt.comparison(c),
                     fmt.pct(c.threshold), c.verdict, "yes" if p.ci_alone_wrong else "no"])
    if not rows:
        return "<p>No A/A pairs in this run.</p>"
    return mdhtml.convert("\n".join(fmt.md_table(
        ["kernel/variant", "pair", "why identical", "ratio [95% interval]", "threshold (left out)",
         "verdict", "interval alone excludes 1"], rows)))


def _section_md(md: str, start: str, stop: str | None = None) -> str:
    """The part of a Markdown document from the heading `start` to `stop`."""
    i = md.find(start)
    if i < 0:
        return ""
    j = md.find(stop, i + len(start)) if stop else -1
    part = md[i:j] if j >= 0 else md[i:]
    # The report inlines its plots; the .md files' image links are left out.
    return "\n".join(line for line in part.split("\n") if not line.startswith("!["))


def report(a: Analysis, docs: dict, svgs: dict, plot_note: str | None) -> str:
    """docs: name -> Markdown text of summary/effects/code/build; svgs: name ->
    SVG text of the plots drawn (heatmap, effects-overview, effect-<i>, interaction-<i>)."""
    from .summary import aa_paragraph, header
    body = []
    body.append(mdhtml.convert("\n".join(header(a, f"flagbench run {a.run_id}"))))
    body.append('<nav><a href="#summary">summary</a><a href="#heatmap">heatmap</a>'
                '<a href="#best">best</a><a href="#effects">effects</a><a href="#interactions">'
                'interactions</a><a href="#code">code</a><a href="#build">build</a>'
                '<a href="#aa">A/A check</a><a href="#files">files</a></nav>')
    body.append('<h2 id="summary">Speedup against the baseline</h2>')
    body.append(f"<p>Each cell: speedup against <code>{html.escape(a.baseline)}</code> (baseline "
                "median ÷ this median, above 1 is faster), its 95% bootstrap interval and a verdict: "
                f"{mdhtml.inline(fmt.LEGEND)}. A verdict needs the interval to exclude 1 and the change to "
                "exceed the noise threshold (hover a cell for the reason). Green: faster, red: slower. "
                "<em>asm</em>, <em>diff</em> and <em>mca</em> open the cell's normalized assembly, its "
                "diff against the baseline and its llvm-mca view. Method: <code>docs/statistics.md</code>.</p>")
    body.append(mdhtml.convert("\n".join(aa_paragraph(a))))
    if plot_note:
        body.append(f'<p class="note">{html.escape(plot_note)}</p>')
    body.append(_summary_table(a))
    body.append('<h2 id="heatmap">Heatmap</h2>')
    if "heatmap" in svgs:
        body.append("<p>Kernel/variant × configuration; only significant changes are coloured. Labels: "
                    "speedup, then + faster, - slower, ~ no significant difference; = same code as "
                    "another configuration (=base: as the baseline).</p>")
        body.append(svg_img(svgs["heatmap"], "heatmap of speedups against the baseline"))
    else:
        body.append("<p>No heatmap (see the note above).</p>")
    body.append('<a id="best"></a>' + mdhtml.convert(
        _section_md(docs["summary"], "## Best configuration", "## Every cell")))
    body.append(mdhtml.convert(_section_md(docs["summary"], "## Every cell")))
    body.append('<h2 id="effects">Effects</h2>')
    eff = docs["effects"]
    if "effects-overview" in svgs:
        body.append(svg_img(svgs["effects-overview"], "effect of each axis change, all kernels"))
    body.append(mdhtml.convert(_section_md(eff, "The effect of changing", "## Interactions")
                               or _section_md(eff, "This matrix varies no axis")))
    i = 0
    while f"effect-{i}" in svgs:
        body.append(svg_img(svgs[f"effect-{i}"], f"effect plot {i}"))
        i += 1
    body.append('<h2 id="interactions">Interactions</h2>')
    inter = _section_md(eff, "## Interactions")
    body.append(mdhtml.convert(inter.replace("## Interactions", "", 1)) if inter
                else "<p>This matrix crosses no two axes, so there are no interactions.</p>")
    i = 0
    while f"interaction-{i}" in svgs:
        body.append(svg_img(svgs[f"interaction-{i}"], f"interaction plot {i}"))
        i += 1
    body.append('<h2 id="code">Code</h2>')
    body.append(mdhtml.convert(_strip_header(docs["code"])))
    body.append('<h2 id="build">Build</h2>')
    body.append(mdhtml.convert(_strip_header(docs["build"])))
    body.append('<h2 id="aa">A/A check</h2>')
    body.append(_aa_table(a))
    body.append('<h2 id="files">Files</h2>')
    body.append("<p>The same tables as Markdown, CSV and JSON beside this page: "
                + " · ".join(f'<a href="{n}">{n}</a>' for n in
                             ("summary.md", "summary.csv", "summary.json", "effects.md", "effects.csv",
                              "effects.json", "code.md", "code.csv", "code.json", "build.md", "build.csv",
                              "build.json", "lnt.json"))
                + ". Schemas: <code>docs/reading-a-report.md</code>.</p>")
    return page(f"flagbench run {a.run_id}", body)


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
    la, lb = ta.splitlines(), tb.splitlines()
    matcher = difflib.SequenceMatcher(None, la, lb, autojunk=False)
    same = sum(m.size for m in matcher.get_matching_blocks())
    if same == len(la) == len(lb):
        return "<p>The normalized assembly is identical to the baseline's.</p>"
    if same < 0.4 * max(len(la), len(lb)):
        # A line diff of two different compilations is noise: say so, and link both listings.
        base_anchor = anchor(cell.variant, a.baseline)
        return (f"<p>Largely different code: {same} lines in common out of {len(la)} (baseline) and "
                f"{len(lb)} (this cell), so no line diff is shown. Compare the listings: "
                f'<a href="#{base_anchor}">baseline</a>, <a href="#{anchor(cell.variant, cell.config)}">'
                "this cell</a>, or diff them with <code>"
                + html.escape(shlex.join(["scripts/asmdiff.sh", "--run", str(a.run.path), a.baseline,
                                          cell.config, f"{cell.kernel}/{cell.variant}"]))
                + "</code>.</p>")
    diff = list(difflib.unified_diff(la, lb, f"{a.baseline}", cell.config, n=2, lineterm=""))
    out = []
    for line in diff:
        cls = "a" if line.startswith("+") and not line.startswith("+++") else \
            "d" if line.startswith("-") and not line.startswith("---") else \
            "h" if line.startswith("@@") else ""
        esc = html.escape(line)
        out.append(f'<span class="{cls}">{esc}</span>' if cls else esc + "\n")
    return '<pre class="diff">' + "".join(out) + "</pre>"


def asm_page(a: Analysis, kernel: str) -> str:
    body = [f"<h1>{html.escape(kernel)}: assembly, diffs against the baseline, llvm-mca</h1>",
            f'<p><a href="../report.html">back to the report</a> · run <code>{html.escape(a.run_id)}</code> '
            f"· baseline <code>{html.escape(a.baseline)}</code> · machine {html.escape(a.machine_line())}</p>"]
    variants = [v for k, v in a.rows if k == kernel and v != "*"]
    body.append("<p>" + " · ".join(f'<a href="#v-{html.escape(v)}">{html.escape(v)}</a>' for v in variants) + "</p>")
    for v in variants:
        body.append(f'<h2 id="v-{html.escape(v)}">{html.escape(kernel)}/{html.escape(v)}</h2>')
        for c in a.configs:
            cell = a.cell(kernel, v, c)
            if cell is None:
                continue
            body.append(_cell_section(a, cell))
    return page(f"{kernel}: assembly", body)


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
        line += "."
    if cell.vs_base is not None and cell.vs_base.ratio is not None:
        line += f" Against the baseline: {h(fmt.comparison(cell.vs_base))} ({h(cell.vs_base.reason)})."
    out.append(line + "</p>")
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
        out.append(f'<div id="{anc}--diff"><h4>diff against the baseline</h4>{_diff_view(a, cell)}</div>')
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


def write_asm_pages(a: Analysis, tables_dir: Path, write) -> list:
    written = []
    for kernel in a.run.plan.get("kernels", []):
        path = tables_dir / kernel_page(kernel)
        write(path, asm_page(a, kernel))
        written.append(path)
    return written
