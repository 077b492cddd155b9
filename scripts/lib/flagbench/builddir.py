"""A CMake build directory of the kernels, as the sweep and the tools read it:
whether it is configured and built, its kernels' binaries, and the emulator
its binaries run under (read here only).

CMake writes flagbench-build.json (cmake/FlagbenchDetect.cmake: compiler,
flags, emulator) and bin/kernels.txt (one "family/name path" line per kernel).
"""
from __future__ import annotations

import json
from pathlib import Path

from .kernels import binary_name

INFO = "flagbench-build.json"


def _kernels_txt(build_dir: Path) -> Path:
    return Path(build_dir) / "bin" / "kernels.txt"


def is_configured(build_dir) -> bool:
    return (Path(build_dir) / "CMakeCache.txt").exists()


def is_built(build_dir) -> bool:
    """Whether it has built its kernels (bin/kernels.txt lists them)."""
    return _kernels_txt(build_dir).exists()


def emulator(build_dir) -> list:
    """The command the build's binaries run under on this machine (qemu-user for
    a cross build); [] for native binaries, or when the build says nothing."""
    try:
        info = json.loads((Path(build_dir) / INFO).read_text())
    except (OSError, ValueError):
        return []
    return (info.get("emulator") or []) if isinstance(info, dict) else []


def binaries(build_dir) -> dict:
    """family/name -> the path of its binary, as bin/kernels.txt lists them."""
    out = {}
    for line in _kernels_txt(build_dir).read_text().splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            out[parts[0]] = parts[1].strip()
    return out


def binary(build_dir, kernel: str) -> Path:
    """The kernel's binary: kernels.txt's path, else bin/<family>_<name>."""
    listed = binaries(build_dir).get(kernel)
    return Path(listed) if listed else Path(build_dir) / "bin" / binary_name(kernel)
