"""HTML pieces of a cell's asm page from its why data: the normalized assembly
with the percent of samples on each line and loop, the why line, the
compiler's remarks and the flame graphs (inline SVG as data: images, so a
published report needs no other file and makes no request)."""
from __future__ import annotations

import base64
import html
from pathlib import Path

from . import cells, remarks as remarks_mod

BAR = 10   # characters of the bar for 100% of the samples


def annotated(text: str, asm: dict | None, profile: dict | None) -> str:
    """The listing with a '% samples' column and loop markers (plain text, escaped by the caller).
    The column ends in a tab, not spaces: with tab stops every 8 columns (HTML's
    and terminals' default) it reads the same, and most lines have no samples,
    so a published page is some 7 bytes a line lighter."""
    lines = text.rstrip("\n").split("\n")
    pct = {int(k): v for k, v in ((profile or {}).get("line_percent") or {}).items()}
    shares = {lp["index"]: lp for lp in (profile or {}).get("loops") or []}
    before, after = {}, {}
    for d in (asm or {}).get("loop_details") or []:
        rng = d.get("lines")
        if not rng:
            continue
        kind = "innermost" if d.get("innermost") else f"depth {d.get('depth')}"
        share = shares.get(d.get("index"))
        extra = f", {share['percent']:g}% of samples" if share else ""
        before.setdefault(rng[0], []).append(f"# loop {d.get('index')} ({kind}{extra})")
        after.setdefault(rng[1], []).append(f"# end of loop {d.get('index')}")
    out = []
    for i, line in enumerate(lines, 1):
        for m in before.get(i, []):
            out.append("\t" + m)
        p = pct.get(i)
        col = f"{p:6.2f}%\t" if p else "\t"
        bar = "#" * max(1, round(BAR * p / 100)) if p and p >= 0.5 else ""
        out.append(f"{col}{line}" + (f"    {bar}" if bar else ""))
        for m in after.get(i, []):
            out.append("\t" + m)
    return "\n".join(out) + "\n"


def _svg_img(path: Path, alt: str) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    b64 = base64.b64encode(data).decode()
    return (f'<img alt="{html.escape(alt)}" src="data:image/svg+xml;base64,{b64}" '
            'style="max-width:100%;height:auto">')


def why_html(a, cell, instead_of_flame_graphs: str | None = None) -> str:
    """The 'why' block of a cell's section: why line, profile summary, remarks, flame graphs
    (or, where a published run leaves them out, the HTML given instead)."""
    h = html.escape
    run = a.run.path
    src_config = cells.source_config(a, cell)
    prof = cells.profile(run, src_config, cell.kernel, cell.variant)
    rem = cells.remarks(run, cell.config, cell.kernel, cell.variant)
    e = cells.explain_cell(a, cell)
    if prof is None and rem is None and e is None:
        return ""
    out = ['<div class="why"><h4>why</h4>']
    if e:
        out.append(f"<p><b>Why {h(cell.vs_base.verdict)}:</b> {h(e['line'])}.</p>")
    if prof:
        if prof.get("why"):
            out.append(f"<p>Profile: {h(prof['why'])}.</p>")
        else:
            hot = ", ".join(f"{s['symbol']} {s['percent']:g}%" for s in (prof.get("hot_symbols") or [])[:5])
            note = f" ({prof['event_note']})" if prof.get("event_note") else ""
            out.append(f"<p>Profile: {prof.get('samples')} samples of <code>{h(str(prof.get('event')))}</code>"
                       f"{h(note)}; {prof.get('function_percent', 0):g}% in "
                       f"<code>{h(prof.get('function', ''))}</code>. Hot symbols: {h(hot)}.</p>")
            if prof.get("lines_why"):
                out.append(f"<p>Samples not mapped onto lines: {h(prof['lines_why'])}.</p>")
    if rem is not None:
        b = remarks_mod.brief(rem)
        out.append(f"<p>Compiler remarks for <code>{h(cell.kernel.split('/')[-1] + '_' + cell.variant)}</code>: "
                   f"{h(b) if b else 'none recorded'}.</p>")
        items = []
        for kind in remarks_mod.KINDS:
            for it in rem.get(kind) or []:
                items.append(f"<li>{h(kind)}: {h(', '.join(f'{k} {v}' for k, v in it.items() if v is not None))}</li>")
        if items:
            out.append("<details><summary>every remark</summary><ul>" + "".join(items[:60]) + "</ul></details>")
    if instead_of_flame_graphs is not None:
        out += ([instead_of_flame_graphs] if prof else []) + ["</div>"]
        return "\n".join(out)
    pdir = cells.kernel_dir(run, src_config, cell.kernel).profile
    for path, label in ((pdir.flame_graph(cell.variant), "flame graph"),
                        (pdir.diff_flame_graph(cell.variant), "differential flame graph against the baseline")):
        img = _svg_img(path, f"{label} of {cell.kernel}/{cell.variant} under {src_config}")
        if img:
            out.append(f"<details><summary>{h(label)}</summary>{img}</details>")
    out.append("</div>")
    return "\n".join(out)
