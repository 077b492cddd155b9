"""Times the cells of one kernel with hyperfine, interleaved in random rounds.

A cell is one (configuration, variant).  Every round runs each unfinished
cell once, in a fresh random order, so a drift of the machine's speed is
spread over all configurations instead of favouring the ones measured first.
A round is one hyperfine invocation with one command per cell in that order
(`--runs 1`, JSON export; hyperfine runs its commands one after the other).
One sample is one process; the harness inside reports the median time of its
repetitions and appends its JSON line to the cell's file (`--append`).

Layout: a cell's samples cycle through its layout seeds (the same code linked
at other addresses, flagbench.seeds), and every process gets an environment
and an initial stack offset of random size, so a verdict is about the code
across the places it can land, not about one place.

Stopping (a sequential design): every cell first gets `min_samples` samples
(at least one per seed).  Then a cell goes on only while its comparison with
the baseline's cell of the same variant is undecided: neither called strongly
enough to survive the run's FDR control (STOP_P) nor with its whole interval
inside the noise band (statistics.decided).  The
baseline goes on while any of its comparisons is undecided.  Nothing goes on
past `max_samples` or, after the minimum, past the kernel's time budget.
"""
from __future__ import annotations

import dataclasses
import json
import random
import shlex
import statistics
import tempfile
import time
from pathlib import Path

from . import procs
from .report import statistics as st

SAMPLE_TIMEOUT = 120
ENV_PAD_MAX = 4096      # bytes of environment padding per process (Mytkowicz et al. 2009)
STACK_PAD_MAX = 4096    # bytes of stack the harness consumes before its run loop


@dataclasses.dataclass
class TimingJob:
    """The timing of one cell: its binary per layout seed, its samples so far."""
    config: str
    variant: str
    exes: dict                  # layout seed -> binary
    reps: int
    checksums: dict = dataclasses.field(default_factory=dict)  # repetitions -> checksum seen
    baseline: bool = False      # the baseline's cell of this variant
    samples: list = dataclasses.field(default_factory=list)
    error: str | None = None
    stopped_by: str = ""

    @property
    def seeds(self) -> list:
        return sorted(self.exes)

    def next_seed(self) -> int:
        return self.seeds[len(self.samples) % len(self.seeds)]


@dataclasses.dataclass
class Policy:
    size: str = "ref"
    min_samples: int = 4
    max_samples: int = 12
    time_per_kernel: float = 2.0
    floor: float = st.NOISE_FLOOR
    replicates: int = 1000      # bootstrap replicates of the stopping rule (the report uses its own)


def reps_for(rep_ns: float | None, default_reps: int, process_seconds: float) -> int:
    """Repetitions per process so the timed part lasts about process_seconds,
    never more than the kernel's own default.  A repetition longer than that
    runs once: the statistics come from the processes, each of which also
    runs an untimed warm-up repetition first."""
    if not rep_ns or rep_ns <= 0:
        return default_reps
    want = int(process_seconds * 1e9 / rep_ns)
    return max(1, min(default_reps, want))


def command(job: TimingJob, seed: int, size: str, out: Path, rng: random.Random) -> list:
    """One timed process: the seed's binary, a random environment size and a
    random initial stack offset."""
    pad = "x" * rng.randrange(ENV_PAD_MAX)
    stack = rng.randrange(0, STACK_PAD_MAX, 16)
    return ["env", f"FLAGBENCH_ENV_PAD={pad}", str(job.exes[seed]), "--variant", job.variant,
            "--size", size, "--reps", str(job.reps), "--stack-pad", str(stack),
            "--append", str(out)]


def _round(jobs: list, size: str, tmp: Path, rng: random.Random) -> None:
    """Runs one sample of every cell, in the given order, in one hyperfine call.
    No hyperfine warm-up: the check step has just run every binary (its pages
    are in the page cache) and the harness runs a warm-up repetition inside
    each process."""
    commands, seeds = [], []
    for i, job in enumerate(jobs):
        out = tmp / f"cell{i}.jsonl"
        out.unlink(missing_ok=True)
        seed = job.next_seed()
        seeds.append(seed)
        commands.append(shlex.join(command(job, seed, size, out, rng)))
    export = tmp / "round.json"
    hf = ["hyperfine", "-N", "--style", "none", "--ignore-failure", "--runs", "1",
          "--export-json", str(export), *commands]
    r = procs.run(hf, timeout=SAMPLE_TIMEOUT * len(jobs))
    if r.returncode != 0 or not export.exists():
        why = (r.stderr or "").strip().splitlines()
        raise RuntimeError(f"hyperfine {procs.describe_exit(r.returncode)}: {why[-1] if why else ''}")
    results = json.loads(export.read_text())["results"]
    for i, (job, result, seed) in enumerate(zip(jobs, results, seeds)):
        codes = result.get("exit_codes") or [0]
        out = tmp / f"cell{i}.jsonl"
        lines = [json.loads(l) for l in out.read_text().splitlines()
                 if l.startswith("{")] if out.exists() else []
        if codes[-1] != 0 or not lines:
            job.error = (f"the timed run failed ({procs.describe_exit(codes[-1])})" if codes[-1]
                         else "the kernel printed no JSON line")
            continue
        line = lines[-1]
        # Kernels that update their state in place (a particle step, a shuffle)
        # end with a checksum that depends on how many repetitions ran, and the
        # harness chooses its batches by the clock: only runs of the same
        # length must agree, with each other and with the check.
        want = job.checksums.setdefault(line.get("reps"), line.get("checksum"))
        if line.get("checksum") != want:
            job.error = (f"nondeterministic result: checksum {line.get('checksum')} while timing "
                         f"(seed {seed}), {want} earlier, both after {line.get('reps')} repetitions")
            continue
        job.samples.append({"median_ns": line["median_ns"], "min_ns": line["min_ns"],
                            "reps": line["reps"], "items": line.get("items"),
                            "checksum": line.get("checksum"), "setup_ns": line.get("setup_ns"),
                            "seed": seed, "stack_pad": line.get("stack_pad"),
                            "batch_reps": line.get("batch_reps"),
                            "wall_s": result["times"][-1], "user_s": result.get("user"),
                            "system_s": result.get("system")})


def summary_of(job: TimingJob, seed: int, replicates: int = st.REPLICATES) -> st.Summary | None:
    xs = [s["median_ns"] for s in job.samples]
    if not xs:
        return None
    return st.summarize(xs, seed, replicates=replicates, seeds=[s["seed"] for s in job.samples])


def undecided(jobs: list, policy: Policy) -> set:
    """The cells whose comparison with their variant's baseline cell could
    still change with more samples, and the baselines of those."""
    out = set()
    by_variant: dict = {}
    for c in jobs:
        by_variant.setdefault(c.variant, []).append(c)
    for group in by_variant.values():
        base = next((c for c in group if c.baseline and not c.error), None)
        if base is None:
            continue
        sb = summary_of(base, 0, policy.replicates)
        for c in group:
            if c is base or c.error:
                continue
            cmp_ = st.compare(sb, summary_of(c, 1, policy.replicates), policy.floor) if sb else None
            if cmp_ is None or not _settled(cmp_):
                out.add(id(c))
                out.add(id(base))
    return out


# A call stops sampling only once it is strong enough to survive the run's
# false-discovery-rate control as well (p of "inside the band" at most this;
# Benjamini-Hochberg at q = 0.05 keeps such a call whenever the run has at
# least one call per 50 comparisons).  A weaker call keeps sampling.
STOP_P = 0.001


def _settled(c: st.Comparison) -> bool:
    if not st.decided(c):
        return False
    if c.verdict == st.SAME:
        return True
    p = st.p_value(c, c.log_replicates or [])
    return p is not None and p <= STOP_P


def _active(jobs: list, policy: Policy, out_of_time: bool) -> list:
    need_more = None
    active = []
    for c in jobs:
        n = len(c.samples)
        if c.error:
            continue
        if n < policy.min_samples:
            active.append(c)
            continue
        if n >= policy.max_samples:
            c.stopped_by = "sample cap"
            continue
        if out_of_time:
            c.stopped_by = "time budget"
            continue
        if need_more is None:
            need_more = undecided(jobs, policy)
        if id(c) in need_more:
            active.append(c)
        else:
            c.stopped_by = "decided"
    return active


def time_cells(jobs: list, policy: Policy, rng: random.Random, on_round=None) -> None:
    """Fills each cell's samples (or error) in interleaved rounds."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fb-time-") as tmp:
        while True:
            out_of_time = time.monotonic() - start > policy.time_per_kernel
            active = _active(jobs, policy, out_of_time)
            if not active:
                break
            rng.shuffle(active)
            try:
                _round(active, policy.size, Path(tmp), rng)
            except (RuntimeError, ValueError, KeyError, OSError):
                # One failed hyperfine call: run each cell alone, so a single
                # broken cell does not take the kernel's others with it.
                for c in active:
                    try:
                        _round([c], policy.size, Path(tmp), rng)
                    except (RuntimeError, ValueError, KeyError, OSError) as e:
                        c.error = str(e)
            if on_round:
                on_round(active)


def summarize(job: TimingJob) -> dict:
    xs = [s["median_ns"] for s in job.samples]
    out = {"config": job.config, "variant": job.variant, "reps_per_process": job.reps,
           "seeds": job.seeds, "n": len(xs), "stopped_by": job.stopped_by or None,
           "error": job.error, "samples": job.samples}
    if xs:
        s = summary_of(job, 0)
        out.update(median_ns=s.median, ci_ns=list(s.ci) if s.ci else None, min_ns=min(xs),
                   max_ns=max(xs), layout_spread=s.layout, seed_medians=s.seed_medians,
                   wall_median_s=statistics.median([x["wall_s"] for x in job.samples]))
        out["checksums"] = sorted({x.get("checksum") for x in job.samples})
    return out
