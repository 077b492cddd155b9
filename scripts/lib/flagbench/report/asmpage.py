"""tables/asm/<kernel>.html: per cell of a kernel, its status and timing, the
reproduce commands, the summary counts, the normalized assembly with its loops
marked, its comparison with the baseline (diffview.py), the why block
(why/asmview.py) and the llvm-mca view.  A light publish (light.py) keeps only
some cells' sections."""
from __future__ import annotations

import html
from pathlib import Path

from . import diffview, fmt, hotcode, mcaview, mdhtml, seedplot
from .analysis import Analysis, Cell
from .light import Light
from .page import anchor, kernel_page, page
from .shown import Shown
from ..asm.show import with_markers
from ..why import asmview as why_asmview, cells as why_cells


def write_asm_pages(a: Analysis, tables_dir: Path, write, keep: Light | None = None) -> list:
    """A page per kernel; with keep, only for the kernels with a cell kept."""
    written, shown = [], Shown()
    for kernel in a.run.plan.get("kernels", []):
        if keep is not None and not any(keep(c) for c in a.cells.values() if c.kernel == kernel):
            continue
        path = tables_dir / kernel_page(kernel)
        shown.page = path.name
        write(path, asm_page(a, kernel, keep, shown))
        written.append(path)
    return written


def asm_page(a: Analysis, kernel: str, keep: Light | None, shown: Shown) -> str:
    """keep: a published run's choice of cells; the page holds only those.
    shown: what the pages written so far show."""
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
                body.append(_cell_section(a, cell, shown, keep))
    return page(f"{kernel}: assembly", body, "../")


def _cell_section(a: Analysis, cell: Cell, shown: Shown, keep: Light | None) -> str:
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
        diff = (_diff_view(a, cell, keep) if cell.same_as == a.baseline else
                f'<p>The same as <a href="#{src}--diff"><code>{h(cell.same_as)}</code>\'s diff</a>.</p>')
        out.append(f'<div id="{anc}--diff"><h4>diff against the baseline</h4>{diff}</div>')
        out.append(f'<div id="{anc}--mca"><h4>llvm-mca</h4>{note}</div></section>')
        return "\n".join(out)
    text = a.asm_text(cell)
    if text is None:
        out.append("<p>No normalized assembly for this cell.</p>")
    else:
        listing = _asm_listing(a, cell, text)
        same = shown.link("listing", listing, anc, f"{cell.kernel}/{cell.variant} under {cell.config}")
        out.append(f"<p>The same normalized assembly as {same}.</p>" if same else listing)
    out.append(f'<div id="{anc}--diff"><h4>diff against the baseline</h4>{_diff_view(a, cell, keep)}</div>')
    model = ""
    if row.get("predicted_cycles_per_item") is not None:
        model = (f"<p>Model vs measurement: predicted {row['predicted_cycles_per_item']} cycles/item, "
                 f"measured {fmt.rnd(row['measured_cycles_per_item'], 4)} ({h(str(row.get('model_method')))}); "
                 f"measured/predicted {row.get('model_ratio')}.</p>")
    elif row.get("model_why"):
        model = f"<p>Model vs measurement: {h(str(row['model_why']))}.</p>"
    out.append(why_asmview.why_html(a, cell, None if keep is None else keep.FLAME_GRAPHS))
    out.append(f'<div id="{anc}--mca"><h4>llvm-mca</h4>{model}{mcaview.view(a, cell, shown)}</div></section>')
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
    return with_markers(lines, before, after)


def _diff_view(a: Analysis, cell: Cell, keep: Light | None) -> str:
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
    # A light publish compares the loops only: the rest is in the cell's listing.
    outside = None if keep is None else keep.OUTSIDE_THE_LOOPS
    return diffview.render(ta, base.asm, tb, cell.asm, a.baseline, cell.config, outside)
