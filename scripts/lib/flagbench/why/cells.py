"""The why data of a run's cells, as the sweep stores them, and the why line of
every faster/slower verdict, for the report (report/summary.py and asmpage.py
call these).

Per configuration and kernel (configs/<id>/kernels/<family>_<name>/):
  profile/<variant>.json      why/profile.py: hot symbols, % per line and loop
  profile/<variant>.folded    folded stacks; .svg flame graph; .diff.svg against the baseline
  remarks.json                why/remarks.collect() for the kernel's hot functions
  counters/<variant>.json     why/counters.stat() and why/callgrind.instructions()
"""
from __future__ import annotations

import functools
from pathlib import Path

from ..atomic import read_json_or_none
from ..run.layout import KernelDir, RunDir
from . import remarks as remarks_mod
from . import whyline

VERDICTS = ("faster", "slower")


def kernel_dir(run_path, config: str, kernel: str) -> KernelDir:
    return RunDir(run_path).kernel(config, kernel)


def profile(run_path, config, kernel, variant) -> dict | None:
    return read_json_or_none(kernel_dir(run_path, config, kernel).profile.summary(variant))


def remarks(run_path, config, kernel, variant) -> dict | None:
    """The hot function's facts from the kernel's remarks (None: no records collected)."""
    doc = read_json_or_none(kernel_dir(run_path, config, kernel).remarks)
    if doc is None:
        return None
    fn = f"{kernel.split('/')[-1]}_{variant}"
    return (doc.get("functions") or {}).get(fn, remarks_mod._empty())


def has_why_data(run_path) -> bool:
    """Whether the sweep collected profiles or remarks in this run."""
    return _has_why_data(str(Path(run_path).resolve()))


@functools.lru_cache(maxsize=16)
def _has_why_data(run_path: str) -> bool:
    return RunDir(run_path).has_why_data()


def source_config(a, cell) -> str:
    src = a.source(cell) if hasattr(a, "source") else None
    return (src or cell).config


def explain_cell(a, cell) -> dict | None:
    """{'line', 'kind'} for a cell called faster or slower than the baseline, else None."""
    vs = getattr(cell, "vs_base", None)
    if vs is None or vs.verdict not in VERDICTS or cell.config == a.baseline:
        return None
    base = a.cell(cell.kernel, cell.variant, a.baseline)
    run = a.run.path
    prof = profile(run, source_config(a, cell), cell.kernel, cell.variant)
    return whyline.explain(base.asm if base else None, cell.asm,
                           remarks(run, a.baseline, cell.kernel, cell.variant),
                           remarks(run, cell.config, cell.kernel, cell.variant), prof)


def rows(a) -> list:
    """[(kernel/variant, config, verdict, line, kind)] for every faster/slower verdict."""
    out = []
    for kernel, variant in a.rows:
        for config in a.configs:
            cell = a.cell(kernel, variant, config)
            if cell is None or variant == "*":
                continue
            e = explain_cell(a, cell)
            if e:
                out.append((f"{kernel}/{variant}", config, cell.vs_base.verdict, e["line"], e["kind"]))
    return out


def markdown_section(a) -> list:
    """'## Why it changed' with one row per verdict and the closing note; [] without why data."""
    if not has_why_data(a.run.path):
        return []
    rs = rows(a)
    out = ["## Why it changed", "",
           "For each faster/slower verdict: what changed in the hot function's instructions (asm "
           "summary), what the compiler said it did (optimization remarks), and where the samples "
           "went (profile). `placement only`: the same instructions, so the difference is where "
           "they landed. See `docs/why.md` in the flagbench repository.", ""]
    if rs:
        out.append("| kernel/variant | configuration | verdict | why |")
        out.append("| --- | --- | --- | --- |")
        for kv, cfg, verdict, line, _ in rs:
            out.append(f"| {kv} | `{cfg}` | {verdict} | {line.replace('|', '/')} |")
        out.append("")
    out += [whyline.closing_note([r[4] for r in rs]), ""]
    return out


def cell_fields(a, cell) -> dict:
    """Extra keys of a cell in summary.json: {} without why data."""
    if not has_why_data(a.run.path):
        return {}
    e = explain_cell(a, cell)
    rem = remarks(a.run.path, cell.config, cell.kernel, cell.variant)
    return {"why": e["line"] if e else None, "why_kind": e["kind"] if e else None,
            "remarks": remarks_mod.brief(rem) if rem is not None else None}
