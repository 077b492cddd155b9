"""The Slurm engine: the missing shards as one `sbatch --array` job.

Each array task is one shard and runs with --exclusive, so nothing else
shares its node while it times.  The shard builds, checks, captures assembly
and times on the node and writes to the shards' folder, which must be on a
file system the nodes share with this machine (--shared-dir).
"""
from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from . import shards

TOOLS = ("sbatch", "squeue", "scancel")


class SlurmError(Exception):
    pass


def check_available() -> None:
    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        raise SlurmError(f"--executor slurm needs {', '.join(missing)} on PATH "
                         "(Debian: slurm-client; scripts/deps.sh --only scale)")


def job_script(state: dict) -> str:
    return "\n".join([
        "#!/bin/bash",
        "# One shard of a flagbench sweep per array task (written by sweep --executor slurm).",
        "set -euo pipefail",
        shards.command(state, "$SLURM_ARRAY_TASK_ID"),
        ""])


def submit(state: dict, indices: list) -> str:
    """Submits the array job; returns its job id."""
    folder = Path(state["shards_dir"])
    script = folder / "slurm-job.sh"
    script.write_text(job_script(state))
    cmd = ["sbatch", "--parsable", "--array=" + ",".join(map(str, indices)), "--exclusive",
           "--job-name", f"flagbench-{state['run_name']}", "--chdir", state["root"],
           "--output", str(folder / "slurm-%A_%a.out")]
    if state.get("partition"):
        cmd += ["--partition", state["partition"]]
    cmd += state.get("sbatch_args", [])
    cmd.append(str(script))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SlurmError(f"sbatch failed ({shlex.join(cmd)}): {(r.stderr or r.stdout).strip()}")
    job = r.stdout.strip().split(";")[0]
    if not job.isdigit():
        raise SlurmError(f"sbatch printed no job id: {r.stdout.strip()!r}")
    return job


def states(job: str) -> list | None:
    """The states of the job's array tasks still known to Slurm (empty when
    all have left the queue); None when squeue could not be asked."""
    r = subprocess.run(["squeue", "-h", "-j", job, "-o", "%T"], capture_output=True, text=True)
    if r.returncode != 0:
        # Slurm forgets a finished job after MinJobAge: "Invalid job id" means gone.
        return [] if "Invalid job id" in r.stderr else None
    return [s.strip() for s in r.stdout.splitlines() if s.strip()]


def describe(tasks: list) -> str:
    counts: dict = {}
    for s in tasks:
        counts[s.lower()] = counts.get(s.lower(), 0) + 1
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none queued"


def cancel(job: str) -> None:
    subprocess.run(["scancel", job], capture_output=True, text=True)


class Engine:
    name = "slurm"

    def __init__(self, state: dict):
        check_available()
        self.state = state
        self.job = None
        self.unknown = 0

    def start(self, indices: list) -> str:
        self.job = submit(self.state, indices)
        return f"submitted Slurm array job {self.job} (tasks {','.join(map(str, indices))})"

    def poll(self) -> tuple:
        """(finished, a short description)."""
        tasks = states(self.job)
        if tasks is None:
            self.unknown += 1
            # squeue failing for a minute on end means the controller is gone.
            return self.unknown > 30, "squeue did not answer"
        self.unknown = 0
        return not tasks, f"job {self.job}: {describe(tasks)}"

    def stop(self) -> None:
        if self.job:
            cancel(self.job)
