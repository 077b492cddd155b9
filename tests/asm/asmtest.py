"""Shared helpers for the assembly tool tests: paths, compilers, a build cache."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIX = HERE / "fixtures"
LIB = ROOT / "scripts" / "lib"
if str(LIB) not in sys.path:
    sys.path.insert(0, str(LIB))
from flagbench import paths  # noqa: E402

# argv and environment that run the analyzer as the sweep does (python3 -m)
ANALYZE = paths.module_command("flagbench.asm.analyze")
ENV = paths.module_env()

_TMP = tempfile.mkdtemp(prefix="fb-asm-tests-")
atexit.register(shutil.rmtree, _TMP, True)


def tmpdir():
    return tempfile.mkdtemp(dir=_TMP)


def which(*names):
    for n in names:
        p = shutil.which(n)
        if p:
            return p
    return None


GCC = which("gcc")
CLANG = which("clang-19", "clang")
MCA = which("llvm-mca-19", "llvm-mca")
MCA14 = which("llvm-mca-14") or (which("llvm-mca") if which("llvm-mca") and
                                  "version 14" in subprocess.run(["llvm-mca", "--version"],
                                                                 capture_output=True, text=True).stdout
                                  else None)
OBJDUMP = which("llvm-objdump-19", "llvm-objdump")

_built = {}


def build(src, compiler, *flags, name=None):
    """Compiles a fixture (cached per compiler and flags); returns the binary's path."""
    key = (src, compiler, flags)
    if key not in _built:
        out = os.path.join(_TMP, name or f"b{len(_built)}")
        subprocess.run([compiler, *flags, "-o", out, str(FIX / src)], check=True,
                       capture_output=True, text=True)
        _built[key] = out
    return _built[key]


def read(name):
    return (FIX / name).read_text()
