"""The machine fingerprint and tool versions recorded in every run's manifest."""
from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

from . import tools

TOOLS = ["gcc", "clang", "clang-19", "aarch64-linux-gnu-gcc", "cmake", "ninja", "hyperfine",
         "llvm-mca", "llvm-mca-19", "llvm-objdump", "llvm-objdump-19", "llvm-profdata",
         "llvm-profdata-19", "qemu-aarch64", "python3"]


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def cpu_info() -> dict:
    model, flags, mhz = "unknown", "", None
    text = _read("/proc/cpuinfo") or ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name" and model == "unknown":
            model = value
        elif key in ("flags", "Features") and not flags:
            flags = value
        elif key == "cpu MHz" and mhz is None:
            try:
                mhz = float(value)
            except ValueError:
                pass
    logical = os.cpu_count() or 1
    siblings = _read("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list") or ""
    threads_per_core = len(_expand_cpu_list(siblings)) or None
    return {
        "model": model,
        "flags": flags.split(),
        "logical_cpus": logical,
        "usable_cpus": len(os.sched_getaffinity(0)),
        "threads_per_core": threads_per_core,
        "smt": _read("/sys/devices/system/cpu/smt/active"),
        "mhz_reported": mhz,
        "governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "turbo": _turbo(),
        "caches": _caches(),
        "numa_nodes": len(list(Path("/sys/devices/system/node").glob("node[0-9]*"))) or None,
    }


def _expand_cpu_list(text: str) -> list:
    cpus = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        try:
            cpus += list(range(int(lo), int(hi or lo) + 1))
        except ValueError:
            pass
    return cpus


def _turbo() -> str | None:
    no_turbo = _read("/sys/devices/system/cpu/intel_pstate/no_turbo")
    if no_turbo is not None:
        return "off" if no_turbo == "1" else "on"
    boost = _read("/sys/devices/system/cpu/cpufreq/boost")
    if boost is not None:
        return "on" if boost == "1" else "off"
    return None


def _caches() -> dict:
    caches = {}
    for idx in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        level, kind, size = _read(f"{idx}/level"), _read(f"{idx}/type"), _read(f"{idx}/size")
        if level and size:
            name = f"L{level}" + ({"Data": "d", "Instruction": "i"}.get(kind or "", ""))
            caches[name] = size
    return caches


def load_average() -> list | None:
    """1, 5 and 15 minute load averages: a busy machine makes noisy timings."""
    text = _read("/proc/loadavg")
    try:
        return [float(x) for x in text.split()[:3]] if text else None
    except ValueError:
        return None


def git_revision(root: Path) -> dict:
    def git(*args):
        try:
            r = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                               timeout=30)
            return r.stdout.strip() if r.returncode == 0 else None
        except OSError:
            return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(status) if status is not None else None}


def fingerprint(root: Path) -> dict:
    u = platform.uname()
    mem = None
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemTotal:"):
            mem = int(line.split()[1]) * 1024
    return {
        "hostname": u.node,
        "cpu": cpu_info(),
        "memory_bytes": mem,
        "kernel": f"{u.system} {u.release} {u.machine}",
        "os": _os_release(),
        "aslr": _read("/proc/sys/kernel/randomize_va_space"),
        "load_average": load_average(),
        "thp": _read("/sys/kernel/mm/transparent_hugepage/enabled"),
        "environment_bytes": sum(len(k) + len(v) + 2 for k, v in os.environ.items()),
        "tools": {t: tools.version_line(t) for t in TOOLS},
        "git": git_revision(root),
    }


def _os_release() -> str | None:
    for line in (_read("/etc/os-release") or "").splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return None


def machine_id(fp: dict) -> str:
    """A short name for "the same machine" when runs are compared."""
    cpu = fp.get("cpu", {})
    return f"{fp.get('hostname')}|{cpu.get('model')}|{cpu.get('logical_cpus')}"
