"""A throw-away copy of the project with the test fixtures added as kernels.

The fixture kernels (one that fails to build for AVX2, one with wrong and
crashing variants) must never enter the real catalogue, so the sweep tests run
the copied project's own scripts/sweep.sh against the copy."""
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def make(dest: Path, kernels=("simd/reduce.c",), families=(), axes_extra: str = "") -> Path:
    """families: (folder under tests/sweep, family name) pairs copied in as
    kernels/<family>; axes_extra: text appended to the copy's axes.conf."""
    for name in ("CMakeLists.txt", "kernels/CMakeLists.txt"):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, dest / name)
    for d in ("cmake", "matrix", "toolchains", "scripts", "kernels/harness"):  # noqa: E501
        shutil.copytree(ROOT / d, dest / d, ignore=shutil.ignore_patterns("__pycache__"))
    for k in kernels:
        (dest / "kernels" / k).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "kernels" / k, dest / "kernels" / k)
        lib = ROOT / "kernels" / Path(k).parent / "lib"     # the family's shared sources
        if lib.is_dir() and not (dest / "kernels" / Path(k).parent / "lib").exists():
            shutil.copytree(lib, dest / "kernels" / Path(k).parent / "lib")
    shutil.copytree(HERE / "fixture", dest / "kernels" / "fixture")
    for folder, family in families:
        shutil.copytree(HERE / folder, dest / "kernels" / family)
    for m in HERE.glob("*.matrix"):
        shutil.copy2(m, dest / "matrix" / m.name)
    if axes_extra:
        with open(dest / "matrix" / "axes.conf", "a") as f:
            f.write("\n" + axes_extra)
    return dest
