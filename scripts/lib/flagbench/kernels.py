"""The kernel catalogue as the source tree has it: kernels/<family>/<name>.c."""
from __future__ import annotations

import re
from pathlib import Path


# Folders under kernels/ that hold shared code, not kernels (kernels/CMakeLists.txt
# leaves out the same two).
NOT_FAMILIES = ("harness", "common")


def discover(root: Path) -> list:
    """Every kernel as "family/name", sorted."""
    found = []
    for src in sorted((root / "kernels").glob("*/*.c")):
        family = src.parent.name
        if family in NOT_FAMILIES:
            continue
        found.append(f"{family}/{src.stem}")
    return found


def binary_name(kernel: str) -> str:
    return kernel.replace("/", "_")


def cmake_filter(kernels: list) -> str:
    """An exact-match regex for CMake's FB_KERNELS (CMake regexes lack many
    Python features, so the sweep never forwards the user's pattern)."""
    return "^(" + "|".join(re.escape(k).replace("\\/", "/") for k in kernels) + ")$"
