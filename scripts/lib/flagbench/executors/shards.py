"""The shard layout of a distributed sweep.

OUT/executor.json records the run: the engine, N, the shard directories'
folder, the source tree's path on the nodes and the sweep options each shard
gets.  Shard I of N is an ordinary sweep run (`--shard I/N`) written to
<shards_dir>/shard-I-of-N/, with its log in sweep.log beside its results; it
builds in its own build directory, so shards never share one even on a shared
file system.  The command a shard runs decides on the node whether to start
or to --resume, so resubmitting a shard continues it.
"""
from __future__ import annotations

import shlex
from pathlib import Path

from ..atomic import read_json, write_json
from ..run import layout
from ..run.layout import RunDir

# Sweep options a shard takes from the command line that started the run.
PASSED_VALUES = ("matrix", "kernels", "configs", "size", "mca_cpus", "seeds", "min_samples", "max_samples",
                 "time_per_kernel", "process_time")
PASSED_FLAGS = ("no_time", "no_asm", "no_mca", "time_identical")


def sweep_options(a) -> list:
    """The sweep options a new shard gets (not --shard, --out, --build-root or
    --jobs: see command())."""
    opts = []
    for key in PASSED_VALUES:
        value = getattr(a, key)
        if value not in (None, ""):
            opts += ["--" + key.replace("_", "-"), str(value)]
    for key in PASSED_FLAGS:
        if getattr(a, key):
            opts.append("--" + key.replace("_", "-"))
    return opts


def shard_dir(state: dict, i: int) -> Path:
    return Path(state["shards_dir"]) / f"shard-{i}-of-{state['shards']}"


def all_dirs(state: dict) -> list:
    return [shard_dir(state, i) for i in range(1, state["shards"] + 1)]


def shard_kernels(state: dict, i: int) -> list:
    return state["kernels"][i - 1::state["shards"]]


def status(state: dict, i: int) -> str:
    """complete, running, interrupted, ... as its manifest says; 'not started' without one."""
    m = read_json(RunDir(shard_dir(state, i)).manifest)
    return (m or {}).get("status") or "not started"


def missing(state: dict) -> list:
    return [i for i in range(1, state["shards"] + 1) if status(state, i) != "complete"]


def command(state: dict, index: str) -> str:
    """One POSIX shell line that runs shard `index` (a number, or a shell
    expression such as $SLURM_ARRAY_TASK_ID or GNU parallel's {}) on a node."""
    n = state["shards"]
    q = shlex.quote
    shards = q(state["shards_dir"])
    common = f"--build-root {q(state['build_root'])}/shard-$i-of-{n}"
    if state.get("jobs_arg"):
        common += " " + shlex.join(state["jobs_arg"])
    if state.get("no_deps"):
        common += " --no-deps"
    fresh = shlex.join(state["sweep_options"] + ["--seed", str(state["seed"])])
    return (f"cd {q(state['root'])} && i={index} && d={shards}/shard-$i-of-{n} && mkdir -p \"$d\" && "
            f"if [ -f \"$d/{layout.PLAN}\" ]; then scripts/sweep.sh --resume --out \"$d\" {common}; "
            f"else scripts/sweep.sh {fresh} --shard \"$i/{n}\" --out \"$d\" {common}; "
            f"fi >>\"$d/sweep.log\" 2>&1")


def load_state(out: Path) -> dict | None:
    return read_json(RunDir(out).executor_state)


def save_state(out: Path, state: dict) -> None:
    write_json(RunDir(out).executor_state, state)


def units(state: dict, i: int) -> tuple:
    """(done, total) work units of shard i, read from its files: builds, kernel
    checks, kernels timed.  A finished shard counts as all done."""
    kernels = shard_kernels(state, i)
    configs = state["configs"]
    builds = [c for c in configs if not c.get("aa_of")]
    total = len(builds) + len(configs) * len(kernels) + (0 if state.get("no_time") else len(kernels))
    run = RunDir(shard_dir(state, i))
    st = status(state, i)
    if st == "complete":
        return total, total
    if st == "not started":
        return 0, total
    done = sum(run.config(c["id"]).build_record.exists() for c in builds)
    timed = set()
    for c in configs:
        for k in kernels:
            kd = run.kernel(c["id"], k)
            if kd.is_checked():
                done += 1
            if kd.has_timing():
                timed.add(k)
    if not state.get("no_time"):
        done += len(timed)
    return min(done, total), total


def log_tail(state: dict, i: int, lines: int = 5) -> str:
    """The end of the shard's sweep.log, and of the engine's own output for it
    (a shard that could not even start, e.g. a missing path on the node,
    leaves its reason only there)."""
    logs = [shard_dir(state, i) / "sweep.log"]
    logs += sorted(Path(state["shards_dir"]).glob(f"slurm-*_{i}.out"))
    logs.append(Path(state["shards_dir"]) / "parallel.log")
    out = []
    for log in logs:
        try:
            text = log.read_text(errors="replace").rstrip()
        except OSError:
            continue
        if text:
            out.append(f"--- {log}\n" + "\n".join(text.splitlines()[-lines:]))
    return "\n".join(out) or "(no log)"
