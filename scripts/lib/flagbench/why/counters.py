"""Hardware counters per cell with `perf stat`, where the machine has them.

Most VMs expose no PMU: `perf stat -e cycles` then prints `<not supported>`
and exits 0, so the check reads the value, not the exit status.  Where there
are no counters, one record says so (`supported: false` with the reason) and
profiles fall back to the `cpu-clock` timer event.
"""
from __future__ import annotations

import functools
import shutil
import subprocess

EVENTS = ["cycles", "instructions", "branch-misses", "L1-dcache-load-misses", "LLC-load-misses"]


def parse_stat_csv(text: str) -> dict:
    """`perf stat -x,` lines -> {event: count or None when '<not supported>'/'<not counted>'}."""
    out = {}
    for line in text.splitlines():
        parts = line.split(",")
        if len(parts) < 3 or not parts[2]:
            continue
        value, event = parts[0], parts[2].split(":")[0]
        try:
            out[event] = int(float(value))
        except ValueError:
            out[event] = None
    return out


@functools.lru_cache(maxsize=1)
def hardware() -> dict:
    """Once per process: {'supported': bool, 'why': str}."""
    perf = shutil.which("perf")
    if not perf:
        return {"supported": False, "why": "perf is not installed"}
    try:
        p = subprocess.run([perf, "stat", "-x,", "-e", "cycles,instructions", "true"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"supported": False, "why": f"perf stat failed: {e}"}
    got = parse_stat_csv(p.stderr)
    if p.returncode == 0 and got.get("cycles"):
        return {"supported": True, "why": ""}
    return {"supported": False,
            "why": "no hardware performance counters on this machine (perf stat -e cycles: "
                   "<not supported>; a VM without a virtual PMU)"}


def event() -> dict:
    """The perf record event: cycles with hardware counters, else the cpu-clock timer."""
    hw = hardware()
    if hw["supported"]:
        return {"event": "cycles"}
    return {"event": "cpu-clock", "note": hw["why"] + "; sampling on the cpu-clock timer"}


def stat(cmd: list, timeout: int = 600) -> dict:
    """perf stat of one command: counts and IPC, or {'supported': False, 'why'}."""
    hw = hardware()
    if not hw["supported"]:
        return {"supported": False, "why": hw["why"]}
    p = subprocess.run(["perf", "stat", "-x,", "-e", ",".join(EVENTS), "--"] + cmd,
                       capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        return {"supported": True, "why": f"the command exited {p.returncode} under perf stat"}
    counts = parse_stat_csv(p.stderr)
    out = {"supported": True, "counts": counts}
    if counts.get("cycles") and counts.get("instructions") is not None:
        out["ipc"] = round(counts["instructions"] / counts["cycles"], 3)
    missing = [e for e in EVENTS if counts.get(e) is None]
    if missing:
        out["not_counted"] = missing
    return out
