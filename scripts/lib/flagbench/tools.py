"""Versions of the tools a configuration depends on (they go into its hash)."""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path


@functools.lru_cache(maxsize=None)
def version_line(program: str) -> str:
    """First line of `program --version`, or 'not found'."""
    path = shutil.which(program)
    if not path:
        return "not found"
    # llvm-profdata before LLVM 15 answers --version only after a subcommand.
    args = ["merge", "--version"] if Path(program).name.startswith("llvm-profdata") else ["--version"]
    try:
        out = subprocess.run([path, *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unusable: {e}"
    text = (out.stdout or out.stderr).strip()
    # LLVM tools print a banner line first ("LLVM (http://llvm.org/):").
    lines = [l.strip() for l in text.splitlines() if l.strip() and "llvm.org" not in l]
    return lines[0] if lines else "unknown"


def toolchain_setting(toolchain: Path, name: str) -> str | None:
    """The value a toolchain file gives a variable: set(NAME value ...)."""
    try:
        text = toolchain.read_text()
    except OSError:
        return None
    m = re.search(rf"^\s*set\(\s*{re.escape(name)}\s+([^\s)]+)", text, re.M)
    return m.group(1).strip('"') if m else None


def compiler_of(toolchain: Path) -> str:
    return toolchain_setting(toolchain, "CMAKE_C_COMPILER") or "cc"


def profdata_of(toolchain: Path) -> str:
    return toolchain_setting(toolchain, "FB_LLVM_PROFDATA") or "llvm-profdata"


def lld_for(compiler: str) -> str:
    """The ld.lld a clang driver would pick: its own directory's, else PATH's."""
    resolved = shutil.which(compiler)
    if resolved:
        own = Path(resolved).resolve().parent / "ld.lld"
        if own.exists():
            return str(own)
    return "ld.lld"
