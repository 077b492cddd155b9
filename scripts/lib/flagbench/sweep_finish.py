"""The end of a sweep: its tables, the results/raw/latest link, and its last
lines and exit status, which list everything that failed (CI relies on them)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import procs
from .paths import ROOT
from .results import load
from .run import layout
from .run.layout import RunDir


def write_tables(run: RunDir) -> str | None:
    """The report (scripts/report.sh), written once, by its own writer.
    Returns what went wrong, or None."""
    r = subprocess.run([str(ROOT / "scripts" / "report.sh"), str(run.path)], check=False)
    if r.returncode != 0:
        return f"the report failed ({procs.describe_exit(r.returncode)}); rerun: scripts/report.sh {run.path}"
    return None


def update_latest(run: RunDir) -> None:
    """Points results/raw/latest at the run when it lives in results/raw/."""
    raw = layout.raw_runs(ROOT)
    if run.path.parent.resolve() != raw.resolve():
        return
    latest = layout.latest_run(ROOT)
    tmp = latest.with_name(".latest.tmp")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run.name)
    os.replace(tmp, latest)


def failures(run_dir: Path) -> list:
    """Everything of a finished run that a CI user must hear about: failed
    builds, kernels that failed to build, crashed, gave a wrong or
    nondeterministic result, or could not be timed."""
    out = []
    run = load(run_dir)
    for cid in run.configs:
        b = run.builds.get(cid) or {}
        if b.get("status") == "failed":
            out.append(f"{cid}: build failed: {b.get('message', '')}")
    for c in run.cells:
        moved = [s for s, rec in ((c.asm or {}).get("layout") or {}).items() if "layout_error" in rec]
        if moved:
            out.append(f"{c.config} {c.kernel}/{c.variant}: layout seed(s) {', '.join(moved)} changed "
                       f"the code, not only its place: {c.asm['layout'][moved[0]]['layout_error']}")
        if c.status in ("crashed", "wrong", "timeout", "timing failed") or (
                c.status == "build failed" and (run.builds.get(c.config) or {}).get("status") != "failed"):
            out.append(f"{c.config} {c.kernel}{'' if c.variant == '*' else '/' + c.variant}: "
                       f"{c.status}{': ' + c.detail[:200] if c.detail else ''}")
    return out


def report_problems(run: RunDir, more: list = ()) -> int:
    """The sweep's last lines and exit status: 1, with every problem listed,
    when anything failed; 0 otherwise."""
    problems = failures(run.path) + list(more)
    if not problems:
        return 0
    print(f"sweep: {len(problems)} problem(s); the rest of the run is complete:", file=sys.stderr)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    return 1
