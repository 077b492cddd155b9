#!/usr/bin/env python3
"""What the why step costs on one build: CPU seconds per kernel variant for the
profile (perf record + perf script + mapping + flame graph), the callgrind
count and the remarks, next to the variant's own run time.  Prints one line
per kernel and a total; for docs/why.md and the sweep's budget.

  PYTHONPATH=scripts/lib python3 -m flagbench.why.cost BUILD_DIR simd/reduce,memory/init [--size ref]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from flagbench.kernels import binary_name
from flagbench.why import callgrind, profile, remarks


def cpu() -> float:
    """CPU seconds used so far by this process and its finished children: on a
    shared machine a fairer cost than wall time, which waits for other work."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build")
    ap.add_argument("kernels")
    ap.add_argument("--size", default="ref")
    a = ap.parse_args(argv)
    tot = {"run": 0.0, "profile": 0.0, "callgrind": 0.0, "remarks": 0.0, "variants": 0}
    for kernel in a.kernels.split(","):
        exe = Path(a.build) / "bin" / binary_name(kernel)
        variants = subprocess.run([str(exe), "--list"], capture_output=True, text=True).stdout.split()
        t0 = cpu()
        remarks.collect(a.build, [f"{kernel.split('/')[-1]}_{v}" for v in variants], kernel=kernel)
        t_rem = cpu() - t0
        t_run = t_prof = t_cg = 0.0
        for v in variants:
            t0 = cpu()
            subprocess.run([str(exe), "--variant", v, "--size", a.size], capture_output=True)
            t_run += cpu() - t0
            with tempfile.TemporaryDirectory() as out:
                t0 = cpu()
                profile.profile_cell(str(exe), v, a.size, None, out, kernel=kernel)
                t_prof += cpu() - t0
            t0 = cpu()
            callgrind.instructions(str(exe), v, "test", 1, [f"{kernel.split('/')[-1]}_{v}"])
            t_cg += cpu() - t0
        print(f"{kernel}: {len(variants)} variants; one run of each {t_run:.1f} CPU s; profile {t_prof:.1f} s; "
              f"callgrind (size test) {t_cg:.1f} s; remarks {t_rem:.2f} s")
        for k, v in (("run", t_run), ("profile", t_prof), ("callgrind", t_cg), ("remarks", t_rem),
                     ("variants", len(variants))):
            tot[k] += v
    n = tot["variants"] or 1
    print(f"total (CPU seconds): {tot['variants']} variants; run {tot['run']:.1f} s, profile {tot['profile']:.1f} s "
          f"({tot['profile'] / n:.2f} s/variant), callgrind {tot['callgrind']:.1f} s "
          f"({tot['callgrind'] / n:.2f} s/variant), remarks {tot['remarks']:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
