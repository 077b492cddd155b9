"""scripts/sweep.sh: build every configuration of a matrix, check it, analyse it, time it.

Phases (each step writes its own files atomically, so --resume skips what is done):
  1. per configuration, in parallel: build (PGO: instrumented build, train run,
     optimized build), --describe and --check every kernel, assembly + llvm-mca
     (phase_build)
  2. timing, with nothing else running: per kernel, its cells across
     configurations in interleaved random rounds (phase_time)
  3. tables, and the last lines listing every failure (sweep_finish)
This module only puts them in order; the command line is sweep_cli, the plan
sweep_plan, the manifest sweep_manifest.
"""
from __future__ import annotations

import argparse
import os
import random
import shlex
import shutil
import signal
import sys
import time

from . import phase_build, phase_time, procs, sweep_finish, sweep_manifest
from .atomic import read_json, write_json
from .axes import ConfigError
from .executors import drive as executor_drive
from .paths import ROOT
from .progress import fmt_duration
from .run import layout
from .run.layout import RunDir, TablesDir
from .run.plan import Plan
from .sweep_cli import UsageError, parse_args
from .sweep_context import Context
from .sweep_plan import make_plan, print_plan


def resolve_run_dir(a: argparse.Namespace, plan: Plan | None) -> RunDir:
    if a.resume:
        run = RunDir(a.out if a.out else layout.latest_run(ROOT))
        if not run.is_run():
            raise UsageError(f"--resume: {run.path} holds no run to resume (no {layout.PLAN})")
        return RunDir(run.path.resolve())
    if a.out:
        run = RunDir(a.out)
        if run.is_run():
            raise UsageError(f"{run.path} already holds a run; use --resume to continue it, or another --out")
        return RunDir(run.path.resolve())
    shard = "" if plan.shard == "1/1" else "-shard" + plan.shard.replace("/", "of")
    return RunDir(layout.raw_runs(ROOT) / f"{time.strftime('%Y%m%d-%H%M%S')}-{plan.matrix}{shard}")


def check_tools(a: argparse.Namespace) -> None:
    needed = ["cmake", "ninja"] + ([] if a.no_time else ["hyperfine"])
    missing = [t for t in needed if not shutil.which(t)]
    if missing:
        raise UsageError(f"missing tools: {', '.join(missing)} (scripts/deps.sh installs them)")


def _stop_on_signals() -> None:
    """Ctrl-C or SIGTERM: stop cleanly, keeping finished work; a second one ends at once."""
    def on_signal(signum, frame):
        if procs.stopping():
            os._exit(130)
        print(f"\nsweep: stopping ({signal.Signals(signum).name}); finished work is kept", file=sys.stderr)
        procs.request_stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def main(argv=None) -> int:
    argv = argv if argv is not None else sys.argv[1:]
    try:
        a = parse_args(argv)
        if a.executor != "local" and not a.plan:
            return executor_drive.run(a, argv, ROOT, make_plan, lambda plan: resolve_run_dir(a, plan))
        if a.resume:
            run = resolve_run_dir(a, None)
            plan = Plan.from_json(read_json(run.plan))
        else:
            plan = make_plan(a)
            if a.plan:
                print_plan(plan, a)
                return 0
            run = resolve_run_dir(a, plan)
        check_tools(a)
    except (UsageError, ConfigError) as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2
    _stop_on_signals()

    run.path.mkdir(parents=True, exist_ok=True)
    command = "scripts/sweep.sh " + shlex.join(argv)
    if a.resume:
        manifest = sweep_manifest.resumed(run, a, command)
    else:
        plan.timing_seed = a.seed if a.seed is not None else random.randrange(2 ** 32)
        write_json(run.plan, plan.to_json())
        manifest = sweep_manifest.new(run, plan, a, command)
    manifest["status"] = "running"
    sweep_manifest.save(run, manifest)
    sweep_finish.update_latest(run)

    ctx = Context(run, plan, a)
    t0 = time.monotonic()
    print(f"sweep: run {run.path}", file=sys.stderr)
    try:
        phase_build.run(ctx)
        t_build = time.monotonic() - t0
        if not a.no_time:
            if sweep_manifest.record_clock(manifest, phase_time.measure_clock(ctx)):
                sweep_manifest.save(run, manifest)
            phase_time.run(ctx)
            if a.why:
                print("sweep: why step (profiles, remarks, counters of the verdicts)", file=sys.stderr)
                from .why import runstep
                runstep.main([str(run.path)])
        manifest["status"] = "complete"
    except procs.Stopped:
        manifest["status"] = "interrupted"
        sweep_manifest.save(run, manifest)
        print(f"sweep: interrupted. Continue with: scripts/sweep.sh --resume --out {run.path}",
              file=sys.stderr)
        return 130
    total = time.monotonic() - t0
    sweep_manifest.record_finish(manifest, t_build, total)
    sweep_manifest.save(run, manifest)
    report_error = sweep_finish.write_tables(run)
    print(f"sweep: done in {fmt_duration(total)}. Tables: {run.tables.file(TablesDir.SUMMARY.md)}",
          file=sys.stderr)
    return sweep_finish.report_problems(run, [report_error] if report_error else [])


if __name__ == "__main__":
    sys.exit(main())
