#!/usr/bin/env python3
"""The why step over a finished run, for the cells that need it: every cell
called faster or slower (its timed twin when it was merged) and the baseline
cell it was compared with.  Profiling every cell of a sweep costs several
times the sweep (docs/why.md, Cost), so this runs after it, on the run's own
build directories, and the report is regenerated afterwards.

  PYTHONPATH=scripts/lib python3 -m flagbench.why.runstep RUN_DIR [--all] [--no-callgrind] [--remarks-only]

Writes the files of why/step.py under RUN_DIR/configs/<id>/kernels/<k>/.
Exit 0 when every cell it attempted has a profile or says why not, 2 when the
run cannot be read.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from flagbench import procs, results
from flagbench.atomic import write_json
from flagbench.kernels import binary_name
from flagbench.report.analysis import Analysis
from flagbench.run.layout import BUILD_RECORD, RunDir
from flagbench.why import cells, step


def wanted(a: Analysis, every: bool) -> dict:
    """{(config, kernel): set of variants} to profile; the baseline's come first when sorted."""
    out = {}
    for cell in a.ordered_cells():
        if cell.variant == "*":
            continue
        called = cell.vs_base is not None and cell.vs_base.verdict in cells.VERDICTS
        if not (called or (every and cell.measured)):
            continue
        src = a.source(cell) or cell
        out.setdefault((src.config, cell.kernel), set()).add(cell.variant)
        out.setdefault((a.baseline, cell.kernel), set()).add(cell.variant)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("--all", action="store_true", help="every timed cell, not only the verdicts")
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--remarks-only", action="store_true",
                    help="collect the optimization remarks only (seconds, not minutes): why lines "
                         "without the profile's share")
    a_ = ap.parse_args(argv)
    try:
        a = Analysis(results.load(a_.run))
    except (OSError, ValueError, KeyError) as e:
        print(f"runstep.py: {a_.run}: not a readable run ({e})", file=sys.stderr)
        return 2
    todo = wanted(a, a_.all)
    order = sorted(todo, key=lambda ck: (ck[0] != a.baseline, ck))
    t0 = time.perf_counter()
    size = str(a.run.plan.get("size", "ref"))
    n = 0
    for config, kernel in order:
        if procs.stopping():      # the sweep's Ctrl-C: what is written stays, the rest waits
            raise procs.Stopped()
        build = a.run.builds.get(config) or {}
        if not build.get("bin_dir"):
            print(f"why: {config}: no bin_dir in {BUILD_RECORD}, skipped", file=sys.stderr)
            continue
        bin_dir = Path(build["bin_dir"])
        kdir = cells.kernel_dir(a.run.path, config, kernel)
        base = cells.kernel_dir(a.run.path, a.baseline, kernel) if config != a.baseline else None
        variants = sorted(todo[(config, kernel)])
        res = step.kernel_why(bin_dir.parent, bin_dir / binary_name(kernel), kernel, variants, kdir,
                              size=size, base_kernel_dir=base, with_callgrind=not a_.no_callgrind,
                              with_profiles=not a_.remarks_only)
        n += len(variants)
        done_ = ', '.join(f'{v} {s}' for v, s in res['variants'].items()) or "remarks"
        print(f"why: {config} {kernel}: {done_} ({res['seconds']} s)")
    print(f"why: {n} cells in {time.perf_counter() - t0:.1f} s; regenerate the report: scripts/report.sh {a_.run}")
    write_json(RunDir(a_.run).why_marker, {"cells": n, "all": a_.all})
    return 0


def done(run_dir) -> bool:
    """Whether the why step has run over this run."""
    return RunDir(run_dir).why_marker.exists()


if __name__ == "__main__":
    sys.exit(main())
