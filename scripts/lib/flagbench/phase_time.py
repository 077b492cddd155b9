"""The sweep's timing phase, with nothing else running: per kernel, its cells
across configurations in interleaved random rounds (flagbench.timing).  Here
it is decided which cells are timed at all: a cell whose code is identical to
an earlier configuration's is "same code" instead, the A/A duplicate times one
variant per kernel, and an emulated build is never timed."""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from . import builddir, kernels as kernels_mod, procs, seeds as layout_seeds, timing
from .asm import identity as asm_identity
from .atomic import read_json, write_json
from .progress import Progress
from .sweep_context import Context

EMULATED_NOTE = "built for another architecture and run under qemu: timings are not meaningful"


def measure_clock(ctx: Context) -> dict | None:
    """The core's effective clock, from a host binary's --clock (the report
    turns measured time into cycles with it; /proc/cpuinfo's MHz is often a
    VM's nominal clock)."""
    for pc in ctx.plan.configs:
        rec = ctx.build_record(pc.id)
        if pc.arch != "x86_64" or not rec.get("bin_dir") or pc.aa_of:
            continue
        for k in ctx.plan.kernels:
            exe = Path(rec["bin_dir"]) / kernels_mod.binary_name(k)
            if exe.exists():
                r = procs.run([str(exe), "--clock"], timeout=60)
                try:
                    return json.loads(r.stdout) if r.returncode == 0 else None
                except ValueError:
                    return None
    return None


def run(ctx: Context) -> None:
    policy = timing.Policy(size=ctx.plan.size, min_samples=ctx.args.min_samples,
                           max_samples=ctx.args.max_samples, time_per_kernel=ctx.args.time_per_kernel)
    work = []  # (kernel, [jobs])
    for k in ctx.plan.kernels:
        jobs = timing_jobs(ctx, k)
        if jobs:
            work.append((k, jobs))
    total = sum(len(j) for _, j in work)
    # Not an ETA: the minimum alone usually takes longer than the budget.
    print(f"sweep: timing {total} cells of {len(work)} kernels: at least {total * policy.min_samples} "
          f"processes ({policy.min_samples} a cell, across {ctx.plan.seeds} layout seeds), then up to "
          f"{policy.max_samples} a cell for comparisons still undecided while their kernel has been timed "
          f"less than {policy.time_per_kernel:g} s", file=sys.stderr)
    ctx.progress = Progress("time", total * policy.min_samples)
    for k, jobs in work:
        rng = random.Random(f"{ctx.plan.timing_seed}:{k}")
        ctx.progress.note(f"{k}: {len(jobs)} cells")

        def on_round(active, k=k):
            first = [j for j in active if len(j.samples) <= policy.min_samples]
            if first:
                ctx.progress.step(f"{k}: round of {len(active)} cells", count=len(first))

        timing.time_cells(jobs, policy, rng, on_round)
        if procs.stopping():
            raise procs.Stopped()
        for job in jobs:
            write_json(ctx.run.kernel(job.config, k).time(job.variant), timing.summarize(job))
    ctx.progress.finish()


def timing_jobs(ctx: Context, kernel: str) -> list:
    """The cells of one kernel to time now; writes "same code" and "not timed"
    records for the others."""
    jobs, first_with_code = [], {}
    args = ctx.args
    dedupe = not ctx.plan.time_identical
    aa_timed = set()  # A/A configurations that have their one variant of this kernel
    for pc in ctx.plan.configs:
        cid = pc.id
        kdir = ctx.run.kernel(cid, kernel)
        checks = read_json(kdir.check) or {}
        rec = ctx.build_record(cid)
        desc = read_json(kdir.describe) or {}
        default_reps = (desc.get("reps") or {}).get(ctx.plan.size, 10)
        emulated = pc.arch != "x86_64" or bool(rec.get("bin_dir")
                                               and builddir.emulator(Path(rec["bin_dir"]).parent))
        for variant, chk in checks.items():
            if chk.get("status") != "ok":
                continue
            out = kdir.time(variant)
            if emulated:
                if not out.exists():
                    write_json(out, {"not_timed": EMULATED_NOTE})
                continue
            line = chk.get("line") or {}
            # What must be equal for two cells to be one measurement: code, data,
            # libraries, start-up FP environment and dispatch path (None: never merge).
            key = (variant, asm_identity.dedupe_key(read_json(kdir.asm.summary(variant)), line))
            if pc.aa_of and not pc.aa_all:
                # The A/A check needs one pair per kernel (its noise threshold
                # is per kernel), not a second copy of every cell.
                if cid in aa_timed:
                    if not out.exists():
                        write_json(out, {"not_timed": "A/A duplicate: one variant per kernel is timed"})
                    continue
                aa_timed.add(cid)
            same = dedupe and key[1] and not pc.aa_of
            if same and key in first_with_code:
                if not out.exists():
                    write_json(out, {"same_as": first_with_code[key]})
                continue
            if same:
                first_with_code[key] = cid
            if args.resume and out.exists():
                continue
            name = kernels_mod.binary_name(kernel)
            exes = {s: layout_seeds.binary(rec["bin_dir"], s, name) for s in pc.seeds}
            missing = [str(e) for e in exes.values() if not e.exists()]
            if missing:
                write_json(out, {"error": f"layout seed binary missing: {missing[0]}", "n": 0})
                continue
            rep_ns = line.get("median_ns")
            reps = timing.reps_for(rep_ns, default_reps, args.process_time)
            # The timed processes' checksums are compared with each other, not
            # with the check's: the check runs every variant in one process,
            # and kernels that update shared state in place (layout/particles,
            # memory/init) end there with another, equally right, checksum.
            jobs.append(timing.TimingJob(cid, variant, exes, reps, baseline=cid == ctx.plan.baseline))
    return jobs
