"""Times the cells of one kernel with hyperfine, interleaved in random rounds.

A cell is one (configuration, variant).  Every round runs each unfinished
cell once, in a fresh random order, so a drift of the machine's speed is
spread over all configurations instead of favouring the ones measured first.
One sample is one process: hyperfine runs it (`--runs 1`, JSON export) and the
harness inside reports the median time of its repetitions.  A cell stops when
the 95% confidence interval of its median is within the target, or at the
sample cap, or when the kernel's time budget is spent (after the minimum).
"""
from __future__ import annotations

import dataclasses
import json
import random
import shlex
import tempfile
import time
from pathlib import Path

from . import procs, stats

SAMPLE_TIMEOUT = 120


@dataclasses.dataclass
class Cell:
    config: str
    variant: str
    exe: Path
    reps: int
    extra_args: list = dataclasses.field(default_factory=list)
    samples: list = dataclasses.field(default_factory=list)
    error: str | None = None
    stopped_by: str = ""


@dataclasses.dataclass
class Policy:
    size: str = "ref"
    min_samples: int = 6
    max_samples: int = 30
    target: float = 0.01       # relative half-width of the median's 95% CI
    time_per_kernel: float = 5.0


def reps_for(rep_ns: float | None, default_reps: int, process_seconds: float) -> int:
    """Repetitions per process so the timed part lasts about process_seconds,
    never more than the kernel's own default and never fewer than 3."""
    if not rep_ns or rep_ns <= 0:
        return default_reps
    want = int(process_seconds * 1e9 / rep_ns)
    return max(3, min(default_reps, want))


def _sample(cell: Cell, size: str, warmup: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="fb-time-") as tmp:
        export, output = Path(tmp) / "h.json", Path(tmp) / "out.jsonl"
        cmd = shlex.join([str(cell.exe), "--variant", cell.variant, "--size", size,
                          "--reps", str(cell.reps), *cell.extra_args])
        hf = ["hyperfine", "-N", "--style", "none", "--runs", "1",
              "--warmup", "1" if warmup else "0", "--export-json", str(export),
              f"--output={output}", cmd]
        r = procs.run(hf, timeout=SAMPLE_TIMEOUT)
        if r.returncode != 0:
            why = (r.stderr or "").strip().splitlines()
            raise RuntimeError(f"{procs.describe_exit(r.returncode)}: {why[-1] if why else ''}")
        result = json.loads(export.read_text())["results"][0]
        lines = [json.loads(l) for l in output.read_text().splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError("the kernel printed no JSON line")
    line = lines[0]
    return {"median_ns": line["median_ns"], "min_ns": line["min_ns"], "reps": line["reps"],
            "items": line.get("items"), "checksum": line.get("checksum"),
            "setup_ns": line.get("setup_ns"), "wall_s": result["times"][0],
            "user_s": result.get("user"), "system_s": result.get("system")}


def _needs_more(cell: Cell, policy: Policy, out_of_time: bool) -> bool:
    n = len(cell.samples)
    if cell.error:
        return False
    if n < policy.min_samples:
        return True
    if n >= policy.max_samples:
        cell.stopped_by = "sample cap"
        return False
    width = stats.relative_halfwidth([s["median_ns"] for s in cell.samples])
    if width is not None and width <= policy.target:
        cell.stopped_by = "converged"
        return False
    if out_of_time:
        cell.stopped_by = "time budget"
        return False
    return True


def time_cells(cells: list, policy: Policy, rng: random.Random, on_sample=None) -> None:
    """Fills each cell's samples (or error) in interleaved rounds."""
    start = time.monotonic()
    rounds = 0
    while True:
        out_of_time = time.monotonic() - start > policy.time_per_kernel
        active = [c for c in cells if _needs_more(c, policy, out_of_time)]
        if not active:
            break
        rng.shuffle(active)
        for cell in active:
            try:
                cell.samples.append(_sample(cell, policy.size, warmup=rounds == 0))
            except (RuntimeError, ValueError, KeyError, OSError) as e:
                cell.error = str(e)
            if on_sample:
                on_sample(cell)
        rounds += 1


def summarize(cell: Cell) -> dict:
    xs = [s["median_ns"] for s in cell.samples]
    out = {"config": cell.config, "variant": cell.variant, "reps_per_process": cell.reps,
           "n": len(xs), "stopped_by": cell.stopped_by or None, "error": cell.error,
           "samples": cell.samples}
    if xs:
        ci = stats.median_ci(xs)
        out.update(median_ns=stats.median(xs), ci_ns=list(ci) if ci else None,
                   rel_halfwidth=stats.relative_halfwidth(xs), min_ns=min(xs), max_ns=max(xs),
                   wall_median_s=stats.median([s["wall_s"] for s in cell.samples]))
        checksums = sorted({s.get("checksum") for s in cell.samples})
        out["checksums"] = checksums
    return out
