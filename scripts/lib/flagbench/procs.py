"""Child processes the sweep can stop cleanly.

Children run in their own session, so a Ctrl-C reaches only the sweep; the
sweep then kills what is running (whole process groups: ninja's compilers,
hyperfine's benchmark) and exits without recording the killed work.
"""
from __future__ import annotations

import os
import signal
import subprocess
import threading


class Stopped(Exception):
    """The sweep is stopping; the work in hand must not be recorded."""


_lock = threading.Lock()
_live: set = set()
_stopping = threading.Event()


def stopping() -> bool:
    return _stopping.is_set()


def request_stop() -> None:
    _stopping.set()
    with _lock:
        procs = list(_live)
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def run(cmd, *, timeout: float | None = None, cwd=None, env=None, stdout=None,
        stderr=None) -> subprocess.CompletedProcess:
    """subprocess.run with text output, a timeout that kills the whole group,
    and Stopped raised when the sweep is stopping.  On timeout the returned
    object has returncode None."""
    if _stopping.is_set():
        raise Stopped()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, text=True, start_new_session=True,
                         stdout=subprocess.PIPE if stdout is None else stdout,
                         stderr=subprocess.PIPE if stderr is None else stderr)
    with _lock:
        _live.add(p)
    try:
        try:
            out, err = p.communicate(timeout=timeout)
            code = p.returncode
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            code = None
    finally:
        with _lock:
            _live.discard(p)
    if _stopping.is_set():
        raise Stopped()
    return subprocess.CompletedProcess(cmd, code, out, err)


def describe_exit(code: int | None) -> str:
    if code is None:
        return "timed out"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit {code}"
