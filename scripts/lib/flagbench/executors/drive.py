"""sweep --executor parallel|slurm: the matrix as N shards on other machines.

Starts the shards that have not finished (all of them on a new run; on
--resume only the missing ones), shows their progress the way a local sweep
does, then merges the shards into the run directory and writes its tables.
"""
from __future__ import annotations

import random
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from .. import sweep_finish
from ..atomic import read_json, write_json
from ..progress import Progress, fmt_duration
from ..run import layout
from ..run.layout import RunDir, TablesDir
from ..run.plan import Plan
from . import merge, parallel, shards, slurm

POLL_SECONDS = 2.0
DEFAULT_SLURM_SHARDS = 4


class DriveError(Exception):
    pass


def _engine(state: dict):
    try:
        return {"slurm": slurm.Engine, "parallel": parallel.Engine}[state["executor"]](state)
    except (slurm.SlurmError, parallel.ParallelError) as e:
        raise DriveError(str(e)) from None


def new_state(a, argv: list, out: Path, root: Path, plan: Plan) -> dict:
    if a.shard != "1/1":
        raise DriveError("--shard is chosen by the executor; use --shards N")
    if a.executor == "parallel":
        if not a.hosts:
            raise DriveError("--executor parallel needs --hosts FILE (one ssh host per line; "
                             "':' is this machine)")
        try:
            hosts = parallel.read_hosts(a.hosts)
        except parallel.ParallelError as e:
            raise DriveError(str(e)) from None
        n = a.shards or len(hosts)
    else:
        n = a.shards or DEFAULT_SLURM_SHARDS
    n = min(n, len(plan.kernels))
    shared = Path(a.shared_dir).resolve() if a.shared_dir else out.parent.resolve()
    return {
        "executor": a.executor, "run_name": out.name, "shards": n,
        "shards_dir": str(shared / f"{out.name}.shards"), "shared": bool(a.shared_dir) or a.executor == "slurm",
        "root": str(Path(a.remote_root).resolve() if a.remote_root else root),
        "build_root": a.build_root, "hosts_file": str(Path(a.hosts).resolve()) if a.hosts else None,
        "partition": a.partition, "sbatch_args": list(a.sbatch_arg or []),
        "sweep_options": shards.sweep_options(a),
        # --jobs only when given: a node's own CPU count is the right default there, not ours.
        "jobs_arg": ["--jobs", str(a.jobs)] if any(x.startswith("--jobs") for x in argv) else [],
        "no_deps": bool(a.no_deps), "no_time": bool(a.no_time),
        "seed": a.seed if a.seed is not None else random.randrange(2 ** 32),
        "kernels": plan.kernels,
        "configs": [{"id": c.id, "aa_of": c.aa_of} for c in plan.configs],
        "command": "scripts/sweep.sh " + shlex.join(argv), "submissions": [],
    }


def _show(state: dict, progress: Progress, last: int, what: str) -> int:
    done = sum(shards.units(state, i)[0] for i in range(1, state["shards"] + 1))
    if done != last:
        progress.step(what, count=done - last)
    else:
        progress.note(what)
    return done


def wait(engine, state: dict, indices: list) -> bool:
    """Polls until the engine is done; False when interrupted."""
    total = sum(shards.units(state, i)[1] for i in range(1, state["shards"] + 1))
    progress = Progress(state["executor"], total)
    last = _show(state, progress, 0, "starting")
    stop = {"asked": False}

    def on_signal(signum, frame):
        stop["asked"] = True
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop["asked"]:
            finished, what = engine.poll()
            complete = sum(shards.status(state, i) == "complete" for i in indices)
            last = _show(state, progress, last, f"{what}; {complete}/{len(indices)} shards complete")
            if finished:
                break
            time.sleep(POLL_SECONDS)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if stop["asked"]:
        engine.stop()
        return False
    progress.finish()
    return True


def finish(out: Path, state: dict, root: Path, t_wall: float | None) -> int:
    """Merges the finished shards into OUT and writes the tables."""
    try:
        doc = merge.merge(out, [str(d) for d in shards.all_dirs(state)],
                          f"{state['command']} (merged by the {state['executor']} executor)")
    except merge.MergeError as e:
        print(f"sweep: merging the shards failed: {e}", file=sys.stderr)
        return 1
    run = RunDir(out)
    manifest = read_json(run.manifest)
    manifest["executor"] = {"kind": state["executor"], "shards": state["shards"],
                            "shards_dir": state["shards_dir"], "submissions": state["submissions"],
                            "wall_s": round(t_wall, 1) if t_wall is not None else None}
    write_json(run.manifest, manifest)
    if doc.get("schema") == merge.MULTI_SCHEMA:
        subprocess.run([str(root / "scripts" / "report.sh"), str(out)], check=False)
        summary, more = run.tables.file(TablesDir.MACHINES.md), []
    else:
        report_error = sweep_finish.write_tables(run)
        summary, more = run.tables.file(TablesDir.SUMMARY.md), [report_error] if report_error else []
    sweep_finish.update_latest(run)
    print(f"sweep: {state['shards']} shards merged into {out}. Tables: {summary}", file=sys.stderr)
    if doc.get("schema") == merge.MULTI_SCHEMA:
        return 0
    return sweep_finish.report_problems(run, more)


def run(a, argv: list, root: Path, plan_fn, default_out) -> int:
    """The executor's main: plan_fn(a) makes the sweep's plan, default_out(plan)
    names a new run directory (a RunDir)."""
    try:
        if a.resume:
            out = Path(a.out) if a.out else layout.latest_run(root)
            state = shards.load_state(out)
            if state is None:
                raise DriveError(f"--resume: {out} holds no distributed run (no {layout.EXECUTOR_STATE})")
            out = out.resolve()
            if RunDir(out).manifest.exists():
                print(f"sweep: {out} is complete; nothing to do", file=sys.stderr)
                return sweep_finish.report_problems(RunDir(out))
        else:
            plan = plan_fn(a)
            out = (Path(a.out) if a.out else default_out(plan).path).resolve()
            if out.exists() and any(out.iterdir()):
                raise DriveError(f"{out} is not empty; use --resume to continue it, or another --out")
            state = new_state(a, argv, out, root, plan)
        engine = _engine(state)
    except DriveError as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2
    Path(state["shards_dir"]).mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    shards.save_state(out, state)
    todo = shards.missing(state)
    t0 = time.monotonic()
    if todo:
        try:
            print(f"sweep: run {out}; shards in {state['shards_dir']}", file=sys.stderr)
            print(f"sweep: {engine.start(todo)}", file=sys.stderr)
        except (slurm.SlurmError, parallel.ParallelError) as e:
            print(f"sweep: {e}", file=sys.stderr)
            return 1
        state["submissions"].append({"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "shards": todo,
                                     "job": getattr(engine, "job", None)})
        shards.save_state(out, state)
        resume = f"scripts/sweep.sh --executor {state['executor']} --resume --out {shlex.quote(str(out))}"
        if not wait(engine, state, todo):
            print(f"\nsweep: stopped; the shards' finished work is kept. Continue with: {resume}",
                  file=sys.stderr)
            return 130
        left = shards.missing(state)
        if left:
            for i in left:
                print(f"sweep: shard {i} of {state['shards']} did not finish "
                      f"({shards.status(state, i)}); its logs end:\n{shards.log_tail(state, i)}",
                      file=sys.stderr)
            print(f"sweep: resubmit what is missing with: {resume}", file=sys.stderr)
            return 1
    wall = time.monotonic() - t0
    print(f"sweep: all {state['shards']} shards complete after {fmt_duration(wall)}", file=sys.stderr)
    return finish(out, state, root, wall if todo else None)
