"""The code table's row for one cell: hot-function counts from asm/<variant>.json
and llvm-mca's prediction set beside the measured time per item.

The prediction comes from scripts/lib/flagbench/asm/model.py when it is there (cycles
per item from the loops' cycles per iteration and items per iteration).  When
it is not, or a cell has no assembly analysis, the row says why instead of
inventing a number.  The clock that turns measured ns into cycles is the one
the sweep measured (machine.cpu.measured_ghz), else the one /proc/cpuinfo
reported (machine.cpu.mhz_reported: a VM often reports its nominal clock).
"""
from __future__ import annotations

import sys

from ..atomic import read_json_or_none
from ..run.layout import KernelDir
from .analysis import Analysis, Cell

COUNTS = ["bytes", "instructions", "vector_width", "fma", "loads", "stores", "calls", "branches",
          "spills", "reloads", "loops"]

# The model (scripts/lib/flagbench/asm/model.py) ships with the report; a failure to
# import it is a bug to see, so it is reported once on stderr and in every
# row's model_why, never swallowed.
try:
    from flagbench.asm import model as asm_model   # type: ignore
    MODEL_IMPORT_ERROR = None
except ImportError as e:
    asm_model = None
    MODEL_IMPORT_ERROR = f"{type(e).__name__}: {e}"
    print(f"report: the model column is empty: scripts/lib/flagbench/asm/model.py failed to import "
          f"({MODEL_IMPORT_ERROR})", file=sys.stderr)


def _main_loop(asm: dict, cpu: str | None, profile: dict | None = None) -> tuple:
    """(mca cpu, the loop for the block-throughput column): the profile's hottest
    innermost loop, else the one with the most items per iteration."""
    mca = asm.get("mca") or {}
    loops = mca.get("loops") or []
    if not loops:
        return cpu, None
    if cpu is None:
        cpu = "host" if any("host" in (lp.get("per_cpu") or {}) for lp in loops) else mca.get("target_cpu")
    hottest = (profile or {}).get("hottest_loop")
    for lp in loops:
        if hottest is not None and lp.get("index") == hottest:
            return cpu, lp
    details = {d.get("index"): d for d in asm.get("loop_details") or []}

    def items(lp):
        d = details.get(lp.get("index"), {})
        return d.get("items_per_iteration_measured") or d.get("items_per_iteration") or \
            lp.get("items_per_iteration") or 0
    return cpu, max(loops, key=items)


def _kernel_dir(a: Analysis, cell: Cell) -> KernelDir:
    return a.run.dir.kernel(cell.config, cell.kernel)


def _unit(a: Analysis, cell: Cell) -> str | None:
    return (read_json_or_none(_kernel_dir(a, cell).describe) or {}).get("unit")


def _profile(a: Analysis, cell: Cell) -> dict | None:
    """The cell's profile (flagbench/why/profile.py), or its twin's when it was not timed."""
    src = a.source(cell) or cell
    return read_json_or_none(_kernel_dir(a, src).profile.summary(cell.variant))


def row(a: Analysis, cell: Cell) -> dict:
    out = {"kernel": cell.kernel, "variant": cell.variant, "config": cell.config,
           "status": cell.status_text}
    asm = cell.asm
    ghz = a.mhz / 1000 if a.mhz else None
    ns_item = cell.ns_per_item
    out["measured_ns_per_item"] = ns_item
    out["ghz"] = ghz
    if not asm:
        out.update({c: None for c in COUNTS})
        out.update(found=None, code_hash=None, mca_cpu=None, block_rthroughput=None,
                   cycles_per_iteration=None, items_per_iteration=None, predicted_cycles_per_item=None,
                   measured_cycles_per_item=ns_item * ghz if ns_item and ghz else None,
                   model_ratio=None, model_method=None, unsound=[],
                   model_why="no assembly analysis for this cell (--no-asm, or the step failed)")
        return out
    out.update({c: asm.get(c) for c in COUNTS})
    out["found"] = asm.get("found")
    out["code_hash"] = asm.get("code_hash")
    profile = _profile(a, cell)
    cpu, lp = _main_loop(asm, None, profile)
    per = ((lp or {}).get("per_cpu") or {}).get(cpu) or {}
    details = {d.get("index"): d for d in asm.get("loop_details") or []}
    d = details.get((lp or {}).get("index"), {})
    label = None
    if lp is not None:
        label = f"host ({per['mcpu']})" if cpu == "host" and per.get("mcpu") else cpu
    out.update(mca_cpu=label, block_rthroughput=per.get("block_rthroughput"),
               cycles_per_iteration=per.get("cycles_per_iteration"),
               items_per_iteration=d.get("items_per_iteration_measured") or d.get("items_per_iteration"))
    unit = _unit(a, cell)
    if asm_model is not None:
        try:
            m = asm_model.model_vs_measurement(asm, ns_item, ghz, profile=profile, unit=unit)
        except Exception as e:  # noqa: BLE001 - a model bug must not lose the report, but it is shown
            m = {"why": f"asm.model failed: {type(e).__name__}: {e}"}
            print(f"report: {cell.kernel}/{cell.variant} {cell.config}: {m['why']}", file=sys.stderr)
        out.update(predicted_cycles_per_item=m.get("predicted_cycles_per_item"),
                   measured_cycles_per_item=m.get("measured_cycles_per_item",
                                                  ns_item * ghz if ns_item and ghz else None),
                   model_ratio=m.get("ratio"), model_method=m.get("method"),
                   unsound=m.get("unsound") or [], model_why=m.get("why") or m.get("suspect"),
                   model_suspect=m.get("suspect"))
    else:
        out.update(predicted_cycles_per_item=None,
                   measured_cycles_per_item=ns_item * ghz if ns_item and ghz else None,
                   model_ratio=None, model_method=None, unsound=per.get("unsound") or [],
                   model_why="n/a: scripts/lib/flagbench/asm/model.py (predicted cycles per item) is not available"
                             + (f" (import failed: {MODEL_IMPORT_ERROR})" if MODEL_IMPORT_ERROR else "")
                             + "; the block reciprocal throughput of the main loop is shown instead")
    return out


def rows(a: Analysis) -> list:
    return [row(a, cell) for cell in a.ordered_cells() if cell.variant != "*"]
