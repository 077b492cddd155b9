"""A configuration's resolved flags and its hash (flags + tool versions)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import tools
from .axes import Axes, resolve_flags
from .matrix import Configuration

AXES_FOR_CMAKE = {"opt": "FB_OPT", "march": "FB_MARCH", "features": "FB_FEATURES",
                  "lto": "FB_LTO", "inline": "FB_INLINE"}


def resolved(axes: Axes, cfg: Configuration, phase: str = "use") -> dict:
    """Flags per role, with placeholders left in (paths are not part of identity)."""
    out = {"target": [], "compile": [], "link": []}
    choice = {a: v for a, v in cfg.axes.items() if a != "compiler"}
    for r in resolve_flags(axes, choice, cfg.family, cfg.arch, phase, "{profile_dir}",
                           "{build_dir}", "{source_dir}"):
        out["target" if r.role == "target" else "compile"] += r.compile
        out["link"] += r.link
    return out


def tool_versions(root: Path, cfg: Configuration) -> dict:
    toolchain = root / cfg.toolchain
    compiler = tools.compiler_of(toolchain)
    versions = {"compiler": f"{compiler}: {tools.version_line(compiler)}"}
    if cfg.family == "clang":
        versions["lld"] = tools.version_line(tools.lld_for(compiler))
        if cfg.axes.get("pgo") == "on":
            profdata = tools.profdata_of(toolchain)
            versions["llvm-profdata"] = f"{profdata}: {tools.version_line(profdata)}"
    return versions


def config_hash(axes: Axes, root: Path, cfg: Configuration) -> str:
    """Identity of a build: the flags of both PGO phases, the toolchain file and
    the tool versions.  A build directory is reused only when this matches."""
    identity = {
        "flags": resolved(axes, cfg, "use"),
        "pgo_generate": resolved(axes, cfg, "generate") if cfg.axes.get("pgo") == "on" else None,
        "toolchain": (root / cfg.toolchain).read_text(),
        "tools": tool_versions(root, cfg),
    }
    blob = json.dumps(identity, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def cmake_definitions(cfg: Configuration) -> list:
    """CMake cache variables for every axis but compiler (the toolchain) and
    pgo (the build step sets its phase); axes without a variable of their own
    go through FB_AXIS_VALUES."""
    defs = [f"-D{var}={cfg.axes[axis]}" for axis, var in AXES_FOR_CMAKE.items() if axis in cfg.axes]
    more = [f"{a}={v}" for a, v in cfg.axes.items()
            if a not in AXES_FOR_CMAKE and a not in ("compiler", "pgo")]
    defs.append("-DFB_AXIS_VALUES=" + ";".join(more))
    return defs
