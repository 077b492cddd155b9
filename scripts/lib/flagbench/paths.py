"""Where flagbench lives, said once, and how one of its modules is started as
a process of its own (python3 -m, with scripts/lib on the module path)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]      # the repository: scripts/lib/flagbench/paths.py
LIB = ROOT / "scripts/lib"


def module_command(module: str, *args: str) -> list:
    """argv that runs `module` (e.g. "flagbench.asm.analyze") with this Python."""
    return [sys.executable, "-m", module, *args]


def module_env(base: dict | None = None) -> dict:
    """An environment in which module_command finds the flagbench package."""
    env = dict(os.environ if base is None else base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(LIB), env.get("PYTHONPATH")) if p)
    return env
