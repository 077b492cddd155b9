"""Shared pieces of the scale tests: the sweep tests' fixture project (tests/sweep/
fixture_tree.py) made a git repository, so runs record one revision; a sweep of
it; and what a run holds, cell by cell."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE.parent / "sweep"))
sys.path.insert(0, str(ROOT / "scripts" / "lib"))

import fixture_tree  # noqa: E402
from flagbench import results  # noqa: E402

# A tiny matrix at the test size; few samples, since these tests are about where
# the work runs and how it comes back, not about timing quality.
SWEEP_ARGS = ["--no-deps", "--matrix", "tiny", "--size", "test", "--no-mca", "--jobs", "2",
              "--min-samples", "3", "--max-samples", "3", "--seed", "11"]


def make_tree(dest: Path) -> Path:
    tree = fixture_tree.make(dest)
    git = ["git", "-C", str(tree), "-c", "user.name=test", "-c", "user.email=test@invalid"]
    subprocess.run(git[:3] + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "fixture"], check=True)
    return tree


def sweep(tree: Path, *args, env=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([str(tree / "scripts/sweep.sh"), *SWEEP_ARGS, *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def cells(run: Path) -> dict:
    """(kernel, variant, config) -> (status, same-code mark, detail) of a run."""
    return {(c.kernel, c.variant, c.config): (c.status, c.same_as, c.detail)
            for c in results.load(run).cells}
