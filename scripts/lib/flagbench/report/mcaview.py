"""The llvm-mca view of a cell on its assembly page: per innermost loop, the
block reciprocal throughput, cycles per iteration, IPC, uops per cycle and
busiest resources on each modelled CPU."""
from __future__ import annotations

import html

from .analysis import Analysis, Cell
from .page import anchor
from .shown import Shown


def view(a: Analysis, cell: Cell, shown: Shown) -> str:
    """The cell's llvm-mca figures, loop by loop; a loop whose code and figures
    were shown before (the same loop compiled alike elsewhere) links there."""
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
    lines = (a.asm_text(cell) or "").split("\n")
    anc = anchor(cell.variant, cell.config)
    for lp in loops:
        d = details.get(lp.get("index"), {})
        rng = lp.get("lines") or d.get("lines")
        ipi = d.get("items_per_iteration_measured") or d.get("items_per_iteration")
        loop_id = f"{anc}--mca-{lp.get('index')}"
        out.append(f'<h5 id="{loop_id}">loop {lp.get("index")} (lines {rng[0]}–{rng[1]}, '
                   f"{lp.get('instructions')} instructions" + (f", {ipi} items/iteration" if ipi else "") + ")</h5>"
                   if rng else f'<h5 id="{loop_id}">loop {lp.get("index")}</h5>')
        table = "<pre>" + html.escape(_text_table(_rows(lp.get("per_cpu") or {}))) + "</pre>"
        # without its line range the loop's code is unknown: its figures alone do not make it the same loop
        same = rng and shown.link("mca loop", "\n".join(lines[rng[0] - 1:rng[1]]) + table, loop_id,
                                  f"loop {lp.get('index')} of {cell.kernel}/{cell.variant} under {cell.config}")
        out.append(f"<p>The same code and llvm-mca figures as {same}.</p>" if same else table)
    return "\n".join(out)


def _rows(per_cpu: dict) -> list:
    """A row per modelled CPU; CPUs that llvm-mca models with the same
    scheduling model and so gives the same figures share one row."""
    rows = [["cpu", "rthroughput", "cycles/iter", "IPC", "uops/cycle", "busiest resources", "unsound"]]
    for cpu, r in per_cpu.items():
        pressure = ", ".join(f"{p.get('resource')} {p.get('cycles')}" for p in (r.get("pressure") or [])[:3])
        row = [cpu + (f" ({r['mcpu']})" if r.get("mcpu") and r.get("mcpu") != cpu else ""),
               r.get("block_rthroughput"), r.get("cycles_per_iteration"), r.get("ipc"),
               r.get("uops_per_cycle"), pressure, "; ".join(r.get("unsound") or [])]
        twin = next((x for x in rows[1:] if x[1:] == row[1:]), None)
        if twin:
            twin[0] += ", " + row[0]
        else:
            rows.append(row)
    return rows


def _text_table(rows: list) -> str:
    rows = [["" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v)) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join(("  ".join(v.ljust(w) for v, w in zip(r, widths)) + "  " + r[-1]).rstrip() for r in rows)
