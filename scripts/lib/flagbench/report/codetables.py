"""tables/code.* (hot-function size, instructions, vector width, llvm-mca beside
the measurement) and tables/build.* (build time and binary size per configuration)."""
from __future__ import annotations

from . import fmt, hotcode
from .analysis import Analysis
from .summary import header

CODE_SCHEMA = "flagbench-code/1"
BUILD_SCHEMA = "flagbench-build/1"


# llvm-mca's scheduling models by the short name it reports, for the CPUs a
# sweep models: a CPU that LLVM has no model of borrows one, and the table says which.
SCHED_MODELS = {"Zn": "Zen 1", "Zn2": "Zen 2", "Zn3": "Zen 3", "Zn4": "Zen 4", "Zn5": "Zen 5",
                "SKL": "Skylake", "SKX": "Skylake-X", "ICX": "Ice Lake server", "ICL": "Ice Lake",
                "SPR": "Sapphire Rapids", "HW": "Haswell", "BW": "Broadwell", "SNB": "Sandy Bridge",
                "ADL": "Alder Lake", "A57": "Cortex-A57"}


def mca_cpu_label(a: Analysis, r: dict) -> str:
    """'host (znver5, Zen 4 model)': the CPU llvm-mca modelled and the model it used."""
    label = r.get("mca_cpu") or ""
    if not label.startswith("host"):
        return label
    cell = a.cell(r["kernel"], r["variant"], r["config"])
    host = ((((cell.asm if cell else None) or {}).get("mca") or {}).get("cpus") or {}).get("host") or {}
    model = host.get("sched_model")
    if not model:
        return label
    name = SCHED_MODELS.get(model, model)
    return f"host ({host.get('mcpu')}, {name} model)" if host.get("mcpu") else f"host ({name} model)"


def _n(x, digits=3):
    if x is None:
        return ""
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def code_markdown(a: Analysis, rows: list, links: dict | None = None, keep=None) -> str:
    """keep: a published run's choice of cells (light.Light): the table lists
    only their rows, and says where the others are."""
    out = header(a, f"flagbench run {a.run_id}: code", links)
    ghz = f"{a.mhz / 1000:.3f} GHz" if a.mhz else "unknown"
    have_model = hotcode.asm_model is not None
    out += ["Per kernel variant and configuration: the hot function's size and instruction mix "
            "(from the final binary, every part of the function), and llvm-mca's prediction beside "
            "the measurement. *mca cpu*: the CPU model llvm-mca used (`host` is this machine as "
            "llvm-mca sees it, with the scheduling model it used: a CPU LLVM has no model of borrows "
            "an older one); *rthroughput*: block reciprocal throughput of the main loop "
            "(cycles per iteration, the loop alone, every access an L1 hit); *pred.* and *meas.*: "
            "cycles per item predicted and measured; *meas./pred.* above 1 means the machine is "
            f"slower than the model. Measured cycles = measured ns × {ghz}, the clock "
            f"{a.mhz_source}.", ""]
    if not have_model:
        out += ["**Prediction per item: n/a.** `scripts/lib/flagbench/asm/model.py` is not available, so "
                "only the block reciprocal throughput is shown; the *pred.* column is empty.", ""]
    if not any(r["found"] is not None for r in rows):
        out += ["**No assembly analysis in this run** (`--no-asm`, or the step did not run): "
                "only the measurement is shown.", ""]
    if keep is not None:
        total = len(rows)
        rows = [r for r in rows if keep(a.cell(r["kernel"], r["variant"], r["config"]))]
        out += [keep.rows_note(len(rows), total, "code.csv"), ""]
    headers = ["kernel/variant", "configuration", "bytes", "insns", "width", "fma", "spills/reloads",
               "loops", "mca cpu", "rthroughput", "items/iter", "pred. cyc/item", "meas. cyc/item",
               "meas./pred.", "note"]
    table = []
    for r in rows:
        sr = "" if r["spills"] is None else f"{r['spills']}/{r['reloads']}"
        note = r.get("model_why") or ""
        if r.get("unsound"):
            note = (note + "; " if note else "") + "unsound: " + "; ".join(r["unsound"])
        if r["status"] != "ok":
            note = r["status"] + ("; " + note if note else "")
        table.append([f"{r['kernel']}/{r['variant']}", r["config"], _n(r["bytes"]), _n(r["instructions"]),
                      r["vector_width"] or "", _n(r["fma"]), sr, _n(r["loops"]), mca_cpu_label(a, r),
                      _n(r["block_rthroughput"]), _n(r["items_per_iteration"]),
                      _n(r["predicted_cycles_per_item"]), _n(r["measured_cycles_per_item"]),
                      _n(r["model_ratio"]), note])
    out += fmt.md_table(headers, table) + [""]
    return "\n".join(out)


CODE_COLUMNS = ["machine_id", "kernel", "variant", "config", "status", "found", "code_hash"] + hotcode.COUNTS + [
    "mca_cpu", "block_rthroughput", "cycles_per_iteration", "items_per_iteration",
    "predicted_cycles_per_item", "measured_ns_per_item", "ghz", "measured_cycles_per_item", "model_ratio",
    "model_method", "model_why", "unsound"]


def code_csv(a: Analysis, rows: list) -> str:
    out = []
    for r in rows:
        r = fmt.rnd(dict(r, machine_id=a.machine_id))
        out.append([("; ".join(r[c]) if c == "unsound" else r.get(c)) for c in CODE_COLUMNS])
    return fmt.csv_text(CODE_COLUMNS, out)


def code_json(a: Analysis, rows: list) -> str:
    return fmt.json_text({"schema": CODE_SCHEMA, "run_id": a.run_id, "machine_id": a.machine_id,
                          "ghz": a.mhz / 1000 if a.mhz else None,
                          "ghz_source": ("manifest machine.cpu.measured_ghz"
                                         if (a.machine.get("cpu") or {}).get("measured_ghz")
                                         else "manifest machine.cpu.mhz_reported"),
                          "model": "scripts/lib/flagbench/asm/model.py" if hotcode.asm_model else None,
                          "cells": rows})


# ---------------------------------------------------------------- build

def build_rows(a: Analysis) -> list:
    base_sizes = a.run.sizes.get(a.baseline) or {}
    rows = []
    for c in a.configs:
        b = a.run.builds.get(c) or {}
        sizes = a.run.sizes.get(c) or {}
        common = [k for k in sizes if k in base_sizes and sizes[k].get("text_bytes")
                  and base_sizes[k].get("text_bytes")]
        text_ratio = (sum(sizes[k]["text_bytes"] for k in common) /
                      sum(base_sizes[k]["text_bytes"] for k in common)) if common else None
        rows.append({
            "config": c, "status": b.get("status") or "not built", "aa_of": a.config(c).get("aa_of"),
            "build_seconds": b.get("build_seconds"), "seconds_this_run": b.get("seconds"),
            "reused": b.get("reused"), "kernels_failed": sorted((b.get("kernels_failed") or {})),
            "message": b.get("message") or None,
            "kernels": len(sizes),
            "file_bytes": sum(v.get("file_bytes") or 0 for v in sizes.values()) if sizes else None,
            "text_bytes": sum(v.get("text_bytes") or 0 for v in sizes.values()) if sizes else None,
            "text_vs_baseline": text_ratio, "text_vs_baseline_kernels": len(common),
            "per_kernel": sizes,
        })
    return rows


def build_markdown(a: Analysis, rows: list, links: dict | None = None) -> str:
    out = header(a, f"flagbench run {a.run_id}: build", links)
    out += ["Per configuration: how long its build took (*build s*: the build from scratch, "
            "recorded when it was made, PGO's instrumented build and training run included; a "
            "reused build keeps its original time), how many kernels built, and the binaries' "
            "size summed over kernels (*text vs baseline*: .text size over the kernels both "
            "built). An A/A duplicate shares its source's build.", ""]
    table = []
    for r in rows:
        status = r["status"]
        if r["aa_of"]:
            status += f" (A/A duplicate of {r['aa_of']})"
        if r["kernels_failed"]:
            status += f"; failed: {', '.join(r['kernels_failed'])}"
        table.append([r["config"], status, _n(r["build_seconds"]), "yes" if r["reused"] else "no",
                      r["kernels"], _n(r["file_bytes"]), _n(r["text_bytes"]),
                      fmt.ratio(r["text_vs_baseline"]) if r["text_vs_baseline"] else ""])
    out += fmt.md_table(["configuration", "status", "build s", "reused", "kernels", "file bytes",
                         ".text bytes", "text vs baseline"], table) + [""]
    kernels = a.run.plan.get("kernels", [])
    out += ["## .text bytes per kernel", ""]
    table = []
    for k in kernels:
        table.append([k] + [_n(((a.run.sizes.get(c) or {}).get(k) or {}).get("text_bytes")) or "—"
                            for c in a.configs])
    out += fmt.md_table(["kernel"] + a.configs, table) + [""]
    return "\n".join(out)


BUILD_COLUMNS = ["machine_id", "config", "kernel", "status", "build_seconds", "reused", "file_bytes",
                 "text_bytes", "text_vs_baseline"]


def build_csv(a: Analysis, rows: list) -> str:
    out = []
    for r in rows:
        r = fmt.rnd(r)
        out.append([a.machine_id, r["config"], "*", r["status"], r["build_seconds"], r["reused"],
                    r["file_bytes"], r["text_bytes"], r["text_vs_baseline"]])
        for k, v in r["per_kernel"].items():
            out.append([a.machine_id, r["config"], k, "failed" if k in r["kernels_failed"] else "ok",
                        "", "", v.get("file_bytes"), v.get("text_bytes"), ""])
    return fmt.csv_text(BUILD_COLUMNS, out)


def build_json(a: Analysis, rows: list) -> str:
    return fmt.json_text({"schema": BUILD_SCHEMA, "run_id": a.run_id, "machine_id": a.machine_id,
                          "configs": rows})
