"""report.html: the answer and glossary (reporttop.py), the best configurations,
the speedup table whose cells link to the assembly pages, the heatmap, the
effects and interactions with their plots, and the A/A check."""
from __future__ import annotations

import html

from . import codestyle, effecttables, fmt, mdhtml, webui
from . import statistics as st
from .analysis import Analysis, Cell
from .light import Light
from .page import anchor, kernel_page, page, plot_img, section_md, tag, verdict_td
from .reporttop import first_screen, glossary
from .summary import aa_paragraph, clock_text, header, not_timed_aa


def _summary_table(a: Analysis, light: Light | None = None) -> str:
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


def _summary_cell(a: Analysis, cell: Cell | None, is_base: bool, light: Light | None = None) -> str:
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
    return tag(mdhtml.convert("\n".join(fmt.md_table(
        ["kernel/variant", "pair", "why identical", "ratio [95% interval], verdict (threshold left out)",
         "verdict", "interval alone excludes 1"], rows))), "aa-table")


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
        out.append(f"<tr><td><strong>{h(label)}</strong></td>" + "".join(verdict_td(c) for c in cells) + "</tr>")
    out.append("</tbody></table></div>")
    out.append("<p>Columns: " + "; ".join(
        f"<strong>{h(ef.label)}</strong>: " + ", ".join(f"<code>{h(p.frm)}</code> → <code>{h(p.to)}</code>"
                                                         for p in ef.pairs) for ef in e.effects) + ".</p>")
    return "\n".join(out)


def report(a: Analysis, docs: dict, svgs, plot_note: str | None, e=None, light: Light | None = None) -> str:
    """docs: name -> Markdown text of summary/effects/code/build; svgs: the names
    of the plots drawn into plots/ (heatmap, effects-overview, effect-<i>,
    interaction-<i>); e: the run's Effects (the transposed effects table);
    light: a published report's choice of assembly sections (the other cells
    get no asm link, or one to the baseline's section when they have its code)."""
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
    best_md = section_md(docs["summary"], "## Best configuration", "## Every cell")
    best_md = best_md.split("\n", 1)[1] if best_md else ""
    body.append(tag(mdhtml.convert(best_md.split("## Build failures")[0]), "best-table"))
    if "## Build failures" in best_md:
        body.append(mdhtml.convert("## Build failures" + best_md.split("## Build failures", 1)[1]))
    body.append('<h2 id="summary">Speedup against the baseline</h2>')
    body.append(f"<p>Each cell: speedup against <code>{html.escape(a.baseline)}</code> (baseline "
                "median ÷ this median, above 1 is faster), its 95% bootstrap interval, a verdict and the "
                f"noise threshold it was judged against ({html.escape(fmt.CELL_LEGEND)}). A verdict needs the "
                "whole interval outside that threshold (hover a cell for the reason). "
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
        section_md(docs["effects"], "## Effects per kernel", "### ")))
    i = 0
    while f"effect-{i}" in svgs:
        body.append(plot_img(f"effect-{i}", f"effect plot {i}"))
        i += 1
    body.append('<h2 id="interactions">Interactions</h2>')
    inter = section_md(docs["effects"], "## Interactions", "### ")
    body.append(mdhtml.convert(inter.replace("## Interactions", "", 1)) if inter
                else "<p>This matrix crosses no two axes, so there are no interactions.</p>")
    i = 0
    while f"interaction-{i}" in svgs:
        body.append(plot_img(f"interaction-{i}", f"interaction plot {i}"))
        i += 1
    body.append('<h2 id="aa">A/A check</h2>')
    body.append(_aa_table(a))
    body.append(files_html())
    return page(f"flagbench run {a.run_id}", body, "")


def files_html() -> str:
    return ('<h2 id="files">Files</h2><p>The same tables as Markdown, CSV and JSON beside this page: '
            + " · ".join(f'<a href="{n}">{n}</a>' for n in
                         ("summary.md", "summary.csv", "summary.json", "effects.md", "effects.csv",
                          "effects.json", "code.md", "code.csv", "code.json", "build.md", "build.csv",
                          "build.json", "lnt.json"))
            + ". Schemas: <code>docs/reading-a-report.md</code>.</p>")

