"""sweep --plan: machine-time per configuration and wall time on N nodes.

The rates come from earlier runs' manifests (their `durations`, with the
plan beside them) in results/*/ and results/raw/*/ at the plan's size:
seconds of build + check + assembly per configuration x kernel, and seconds
of timing per timed configuration x kernel.  Without such a run, stated
defaults are used.  A configuration costs its kernels times those rates; a
PGO configuration builds twice, an A/A duplicate shares its source's build,
an emulated one is never timed.  N nodes run N shards of the kernels, so the
wall time is the machine-time of the largest shard.
"""
from __future__ import annotations

import math
from pathlib import Path

from ..atomic import read_json
from ..run import layout
from ..run.layout import RunDir
from ..run.plan import Plan

# Used only when no earlier run at the plan's size exists; from default sweeps
# from a fresh clone on 2 cores (2026-12-03).  Build+check+asm: 245-252 s for 5
# built configurations x 47 kernels.  Timing scales with --min-samples (the
# processes every cell gets; the time budget rarely binds): 220 s for 6 timed
# configurations x 47 kernels at --min-samples 4, 0.195 s per configuration x
# kernel x sample, and 521-599 s at --min-samples 10 for quick runs at the
# publication settings (results/2026-12-03-quick-epyc), 0.185-0.212.
DEFAULT_BUILD_CHECK_S = 1.1
DEFAULT_TIME_S = 0.19   # per timed configuration x kernel x --min-samples
NODE_COUNTS = (1, 2, 4, 8, 16, 32, 64)


def _weights(plan: Plan) -> dict:
    """(build weight, timing weight) per configuration id."""
    out = {}
    for c in plan.configs:
        build = 0 if c.aa_of else 1 + c.pgo
        timed = 0 if c.arch != "x86_64" else 1
        out[c.id] = (build, timed)
    return out


def _run_rates(run: Path) -> dict | None:
    manifest, plan_doc = read_json(RunDir(run).manifest), read_json(RunDir(run).plan)
    if not isinstance(manifest, dict) or not isinstance(plan_doc, dict):
        return None
    if manifest.get("status") != "complete":
        return None
    try:
        plan = Plan.from_json(plan_doc)
    except (KeyError, TypeError):   # a plan.json of some other shape: no rates to learn from it
        return None
    parts = manifest.get("shards") or [{"durations": manifest.get("durations") or [],
                                        "kernels": plan.kernels}]
    weights = _weights(plan)
    build_units = sum(b for b, _ in weights.values())
    timed_units = sum(t for _, t in weights.values())
    opts = manifest.get("options") or {}
    samples = opts.get("min_samples") or 1
    bc = tm = ck_build = ck_time = 0.0
    for part in parts:
        durs = part.get("durations") or []
        if not durs:
            continue
        k = len(part.get("kernels") or [])
        bc += sum(d.get("build_check_asm_s", 0) for d in durs)
        tm += sum(d.get("total_s", 0) - d.get("build_check_asm_s", 0) for d in durs)
        ck_build += build_units * k
        ck_time += timed_units * k * samples
    if not ck_build:
        return None
    return {"run": run, "size": plan.size, "build_check": bc, "time": tm,
            "build_units": ck_build, "time_units": ck_time,
            "cpu": ((manifest.get("machine") or {}).get("cpu") or {}).get("model"),
            "time_per_kernel": opts.get("time_per_kernel"), "min_samples": opts.get("min_samples")}


def earlier_runs(root: Path, size: str) -> list:
    found, seen = [], set()
    for folder in layout.run_folders(root):
        if not folder.is_dir():
            continue
        for d in sorted(folder.iterdir()):
            if d.is_symlink() or not d.is_dir() or d.resolve() in seen:
                continue
            seen.add(d.resolve())
            r = _run_rates(d)
            if r and r["size"] == size:
                found.append(r)
    return found


def rates(root: Path, size: str) -> tuple:
    """(build+check+asm s per build unit, timing s per timed unit and minimum
    sample, source text)."""
    runs = earlier_runs(root, size)
    if not runs:
        return DEFAULT_BUILD_CHECK_S, DEFAULT_TIME_S, (
            f"no earlier run at size {size}: defaults of {DEFAULT_BUILD_CHECK_S} s build+check+asm and "
            f"{DEFAULT_TIME_S} s timing per configuration x kernel x --min-samples")
    bc = sum(r["build_check"] for r in runs) / sum(r["build_units"] for r in runs)
    tm = sum(r["time"] for r in runs) / max(1, sum(r["time_units"] for r in runs))
    names = "; ".join(f"{r['run'].name} ({r['cpu']}, --time-per-kernel {r['time_per_kernel']}, "
                      f"--min-samples {r['min_samples']})" for r in runs)
    return bc, tm, f"from {len(runs)} earlier run(s) at size {size}: {names}"


def per_config(plan: Plan, bc: float, tm: float, timing: bool, min_samples: int = 1) -> dict:
    """Seconds per configuration: tm is per timed unit and minimum sample."""
    k, tm = len(plan.kernels), tm * min_samples
    return {cid: k * (b * bc + (t * tm if timing else 0.0)) for cid, (b, t) in _weights(plan).items()}


def wall_for(total_s: float, kernels: int, nodes: int) -> float:
    """Wall time on `nodes` nodes: the largest shard's share."""
    nodes = max(1, min(nodes, kernels))
    return total_s * math.ceil(kernels / nodes) / kernels


def _hm(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f"{minutes // 60}h{minutes % 60:02d}" if minutes >= 60 else f"{seconds / 60:.1f} min"


def text(plan: Plan, a, root: Path) -> str:
    bc, tm, source = rates(root, plan.size)
    costs = per_config(plan, bc, tm, not a.no_time, a.min_samples)
    total = sum(costs.values())
    k = len(plan.kernels)
    lines = ["", f"estimated machine-time ({source}):",
             f"  rates: {bc:.2f} s build+check+asm per configuration x kernel (a PGO build counts twice, "
             f"an A/A duplicate not at all), {tm * a.min_samples:.2f} s timing per timed configuration x "
             f"kernel ({tm:.3f} s x --min-samples {a.min_samples})"]
    groups: dict = {}
    for cid, s in costs.items():
        groups.setdefault(round(s, 1), []).append(cid)
    for s, ids in sorted(groups.items(), reverse=True):
        shown = ", ".join(ids[:4]) + (f", ... ({len(ids)} configurations)" if len(ids) > 4 else "")
        lines.append(f"  {_hm(s):>9} per configuration: {shown}")
    lines.append(f"  total: {total / 3600:.1f} machine-hours ({len(costs)} configurations x {k} kernels)")
    nodes = sorted({n for n in NODE_COUNTS if n <= k} | ({min(a.shards, k)} if a.shards else set()))
    lines.append("  wall time on N nodes (one shard per node): " +
                 ", ".join(f"{n}: {_hm(wall_for(total, k, n))}" for n in nodes))
    return "\n".join(lines)
