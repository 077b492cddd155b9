"""The GNU parallel engine: shards over the ssh hosts of a --hosts file, one
shard per host at a time (`--sshloginfile FILE -j1`).

A host line is anything GNU parallel takes as an sshlogin (`user@host`,
`:` for this machine).  Every host needs the source tree at the same path
and a POSIX login shell.  Without --shared-dir the shard's results are
copied back with rsync when it ends (`--return`)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from . import shards


class ParallelError(Exception):
    pass


def read_hosts(path: str) -> list:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as e:
        raise ParallelError(f"--hosts {path}: cannot read it ({e.strerror})") from None
    hosts = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not hosts:
        raise ParallelError(f"--hosts {path} lists no hosts (one sshlogin per line; ':' is this machine)")
    return hosts


def check_available() -> None:
    if not shutil.which("parallel"):
        raise ParallelError("--executor parallel needs GNU parallel (Debian: parallel; "
                            "scripts/deps.sh --only scale)")


def command_line(state: dict, indices: list) -> list:
    folder = Path(state["shards_dir"])
    cmd = ["parallel", "--will-cite", "--sshloginfile", state["hosts_file"], "-j1", "--halt", "never",
           "--joblog", str(folder / "parallel.joblog")]
    if not state.get("shared"):
        # Absolute paths come back to the same path here.
        cmd += ["--return", f"{state['shards_dir']}/shard-{{}}-of-{state['shards']}"]
    return cmd + [shards.command(state, "{}"), ":::", *map(str, indices)]


class Engine:
    name = "parallel"

    def __init__(self, state: dict):
        check_available()
        read_hosts(state["hosts_file"])
        self.state = state
        self.proc = None
        self.log = None

    def start(self, indices: list) -> str:
        folder = Path(self.state["shards_dir"])
        self.log = open(folder / "parallel.log", "a")
        self.proc = subprocess.Popen(command_line(self.state, indices), stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        hosts = read_hosts(self.state["hosts_file"])
        return (f"GNU parallel (pid {self.proc.pid}) runs shards {','.join(map(str, indices))} "
                f"on {len(hosts)} host(s) from {self.state['hosts_file']}")

    def poll(self) -> tuple:
        code = self.proc.poll()
        if code is None:
            return False, "GNU parallel running"
        self.log.close()
        return True, f"GNU parallel exited {code}"

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            # Its own session: TERM reaches parallel, which passes it to its jobs.
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
