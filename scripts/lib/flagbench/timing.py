"""Times the cells of one kernel with hyperfine, interleaved in random rounds.

A cell is one (configuration, variant).  Every round runs each unfinished
cell once, in a fresh random order, so a drift of the machine's speed is
spread over all configurations instead of favouring the ones measured first.
A round is one hyperfine invocation with one command per cell in that order
(`--runs 1`, JSON export; hyperfine runs its commands one after the other).
One sample is one process; the harness inside reports the median time of its
repetitions and appends its JSON line to the cell's file (`--append`).  A cell stops when
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
    samples: list = dataclasses.field(default_factory=list)
    error: str | None = None
    stopped_by: str = ""


@dataclasses.dataclass
class Policy:
    size: str = "ref"
    min_samples: int = 5
    max_samples: int = 30
    target: float = 0.01       # relative half-width of the median's 95% CI
    time_per_kernel: float = 2.0


def reps_for(rep_ns: float | None, default_reps: int, process_seconds: float) -> int:
    """Repetitions per process so the timed part lasts about process_seconds,
    never more than the kernel's own default.  A repetition longer than that
    runs once: the statistics come from the processes, each of which also
    runs an untimed warm-up repetition first."""
    if not rep_ns or rep_ns <= 0:
        return default_reps
    want = int(process_seconds * 1e9 / rep_ns)
    return max(1, min(default_reps, want))


def _round(cells: list, size: str, tmp: Path) -> None:
    """Runs one sample of every cell, in the given order, in one hyperfine call.
    No hyperfine warm-up: the check step has just run every binary (its pages
    are in the page cache) and the harness runs a warm-up repetition inside
    each process."""
    commands = []
    for i, cell in enumerate(cells):
        out = tmp / f"cell{i}.jsonl"
        out.unlink(missing_ok=True)
        commands.append(shlex.join([str(cell.exe), "--variant", cell.variant, "--size", size,
                                    "--reps", str(cell.reps), "--append", str(out)]))
    export = tmp / "round.json"
    hf = ["hyperfine", "-N", "--style", "none", "--ignore-failure", "--runs", "1",
          "--export-json", str(export), *commands]
    r = procs.run(hf, timeout=SAMPLE_TIMEOUT * len(cells))
    if r.returncode != 0 or not export.exists():
        why = (r.stderr or "").strip().splitlines()
        raise RuntimeError(f"hyperfine {procs.describe_exit(r.returncode)}: {why[-1] if why else ''}")
    results = json.loads(export.read_text())["results"]
    for i, (cell, result) in enumerate(zip(cells, results)):
        codes = result.get("exit_codes") or [0]
        out = tmp / f"cell{i}.jsonl"
        lines = [json.loads(l) for l in out.read_text().splitlines()
                 if l.startswith("{")] if out.exists() else []
        if codes[-1] != 0 or not lines:
            cell.error = (f"the timed run failed ({procs.describe_exit(codes[-1])})" if codes[-1]
                          else "the kernel printed no JSON line")
            continue
        line = lines[-1]
        cell.samples.append({"median_ns": line["median_ns"], "min_ns": line["min_ns"],
                             "reps": line["reps"], "items": line.get("items"),
                             "checksum": line.get("checksum"), "setup_ns": line.get("setup_ns"),
                             "wall_s": result["times"][-1], "user_s": result.get("user"),
                             "system_s": result.get("system")})


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


def time_cells(cells: list, policy: Policy, rng: random.Random, on_round=None) -> None:
    """Fills each cell's samples (or error) in interleaved rounds."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fb-time-") as tmp:
        while True:
            out_of_time = time.monotonic() - start > policy.time_per_kernel
            active = [c for c in cells if _needs_more(c, policy, out_of_time)]
            if not active:
                break
            rng.shuffle(active)
            try:
                _round(active, policy.size, Path(tmp))
            except (RuntimeError, ValueError, KeyError, OSError) as e:
                for c in active:
                    c.error = str(e)
            if on_round:
                on_round(active)


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
