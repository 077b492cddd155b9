"""The sweep's first table: kernel/variant x configuration, median and speedup."""
from __future__ import annotations

import csv
import io

from .results import Run


def fmt_ns(ns: float | None) -> str:
    if ns is None:
        return ""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def _cell_text(run: Run, cell, base) -> str:
    if cell is None:
        return "—"
    if cell.median_ns is None:
        return cell.status if not cell.same_as else f"same code as {cell.same_as}"
    text = fmt_ns(cell.median_ns)
    if base is not None and base.median_ns and cell.config != run.baseline:
        text += f" ({base.median_ns / cell.median_ns:.2f}×)"
    if cell.same_as:
        text += f" = {cell.same_as}"
    elif cell.status != "ok":
        text += f" {cell.status}"
    return text


def rows(run: Run) -> list:
    keys = []
    for c in run.cells:
        k = (c.kernel, c.variant)
        if k not in keys:
            keys.append(k)
    return keys


def markdown(run: Run) -> str:
    m = run.manifest
    out = [f"# flagbench run {run.path.name}", "",
           f"Matrix `{run.plan.get('matrix')}`, {len(run.configs)} configurations, "
           f"{len(run.plan['kernels'])} kernels, size `{run.plan.get('size')}`; "
           f"machine: {m.get('machine', {}).get('cpu', {}).get('model', '?')}, "
           f"{m.get('machine', {}).get('cpu', {}).get('logical_cpus', '?')} CPUs.", "",
           f"Command: `{m.get('command', '')}`", "",
           "Each cell: median time of one repetition of the hot code (the median over "
           "processes of each process's median), and in brackets the speedup against the "
           f"baseline `{run.baseline}` (higher is faster). `= X`: the hot code is identical "
           "to configuration X's, so it was timed once.", ""]
    header = ["kernel/variant"] + run.configs
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    for kernel, variant in rows(run):
        base = run.cell(kernel, variant, run.baseline)
        cells = [_cell_text(run, run.cell(kernel, variant, c), base) for c in run.configs]
        out.append(f"| {kernel}/{variant} | " + " | ".join(cells) + " |")
    out.append("")
    failed = [(c, b) for c, b in run.builds.items() if b and b.get("status") in ("failed", "partial")]
    if failed:
        out += ["## Build problems", ""]
        for c, b in failed:
            out.append(f"- `{c}`: {b.get('status')}: {b.get('message', '')}")
            for k, msg in (b.get("kernels_failed") or {}).items():
                out.append(f"  - `{k}`: {msg}")
        out.append("")
    problems = [c for c in run.cells if c.status in ("wrong", "crashed", "timeout", "timing failed")]
    if problems:
        out += ["## Wrong results and failures", ""]
        for c in problems:
            out.append(f"- `{c.kernel}/{c.variant}` under `{c.config}`: {c.status}: {c.detail}")
        out.append("")
    return "\n".join(out)


def csv_text(run: Run) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["kernel", "variant", "config", "status", "median_ns", "ci_low_ns", "ci_high_ns",
                "n", "speedup_vs_baseline", "same_as"])
    for c in run.cells:
        base = run.cell(c.kernel, c.variant, run.baseline)
        speedup = (base.median_ns / c.median_ns if base and base.median_ns and c.median_ns
                   else None)
        ci = c.ci_ns or [None, None]
        w.writerow([c.kernel, c.variant, c.config, c.status, c.median_ns, ci[0], ci[1], c.n,
                    f"{speedup:.4f}" if speedup else "", c.same_as or ""])
    return buf.getvalue()
