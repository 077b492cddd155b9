"""The sweep's command line (scripts/sweep.sh --help): its options and their checks."""
from __future__ import annotations

import argparse
import os
import re

from .executors import cli as executor_cli
from .paths import ROOT


class UsageError(Exception):
    """A mistake in the command line: the sweep says it and exits 2."""


def parse_args(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/sweep.sh",
        description="Build every configuration of a matrix, check every kernel variant, capture "
                    "its assembly and llvm-mca analysis, time it with hyperfine, and write tables.",
        epilog="Results go to results/raw/<run-id>/ (see docs/results-format.md); "
               "results/raw/latest points at the newest run. Ctrl-C stops cleanly: finished work is "
               "kept and --resume continues.")
    p.add_argument("--matrix", default="quick", help="a matrix name in matrix/ or a .matrix file (default: quick)")
    p.add_argument("--kernels", default="", metavar="REGEX", help="only kernels whose family/name matches")
    p.add_argument("--configs", default="", metavar="REGEX",
                   help="only configurations whose id matches (the baseline is always kept)")
    p.add_argument("--plan", action="store_true", help="print what would be built and run, do nothing")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="configurations built/checked/analysed at once (default: CPUs)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out (default: results/raw/latest) without redoing finished work")
    p.add_argument("--shard", default="1/1", metavar="I/N", help="run the I-th of N slices of the kernels")
    p.add_argument("--out", metavar="DIR", help="run directory (default: results/raw/<run-id>)")
    p.add_argument("--build-root", metavar="DIR", default=str(ROOT / "build" / "sweep"),
                   help="where configuration build directories live (default: build/sweep)")
    p.add_argument("--size", default="ref", help="size checked and timed: test, train, ref or N (default: ref)")
    p.add_argument("--no-time", action="store_true", help="build, check and analyse only")
    p.add_argument("--no-asm", action="store_true", help="skip assembly capture (and so identical-code detection)")
    p.add_argument("--no-mca", action="store_true", help="capture assembly but skip llvm-mca")
    p.add_argument("--why", action="store_true",
                   help="build with optimization records and, after timing, profile every cell called "
                        "faster or slower for its why line (docs/why.md); slower, so off by default: "
                        "scripts/publish.sh profiles a run that lacks it")
    p.add_argument("--mca-cpus", metavar="LIST", help="llvm-mca CPUs besides the target (default: host, "
                   "skylake, icelake-server, znver3, znver4, sapphirerapids; neoverse-n1/v2 for aarch64)")
    p.add_argument("--seeds", type=int, default=4,
                   help="layout seeds: each configuration is linked this many times with its code at "
                        "other addresses, and every cell is timed across them (default 4; the A/A "
                        "duplicate gets as many others)")
    p.add_argument("--min-samples", type=int, default=None,
                   help="processes timed per cell at least (default: one per seed)")
    p.add_argument("--max-samples", type=int, default=None,
                   help="processes timed per cell at most, while its verdict is undecided "
                        "(default: three per seed)")
    p.add_argument("--time-per-kernel", type=float, default=2.0,
                   help="seconds of timing per kernel after which cells stop at the minimum (default 2)")
    p.add_argument("--time-identical", action="store_true",
                   help="time every cell, also where its code is identical to another configuration's "
                        "(placement experiments; see matrix/placement.matrix)")
    p.add_argument("--process-time", type=float, default=0.015,
                   help="target seconds of timed work per process; sets --reps (default 0.015)")
    p.add_argument("--seed", type=int, default=None, help="seed of the round order (default: random, recorded)")
    p.add_argument("--no-deps", action="store_true", help=argparse.SUPPRESS)  # handled by sweep.sh
    executor_cli.add_arguments(p)  # --executor local|parallel|slurm and its options (docs/scale.md)
    a = p.parse_args(argv)
    m = re.fullmatch(r"(\d+)/(\d+)", a.shard)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard wants I/N with 1 <= I <= N, not '{a.shard}'")
    for opt in ("kernels", "configs"):
        try:
            re.compile(getattr(a, opt))
        except re.error as e:
            raise UsageError(f"--{opt} '{getattr(a, opt)}' is not a regular expression: {e}") from None
    if a.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if not 1 <= a.seeds <= 32:
        raise UsageError(f"--seeds wants 1 to 32 layout seeds, not {a.seeds}")
    a.min_samples = a.seeds if a.min_samples is None else a.min_samples
    a.max_samples = 3 * a.seeds if a.max_samples is None else a.max_samples
    if not 1 <= a.min_samples <= a.max_samples:
        raise UsageError("need 1 <= --min-samples <= --max-samples")
    if a.size not in ("test", "train", "ref") and not a.size.isdigit():
        raise UsageError(f"--size wants test, train, ref or a number, not '{a.size}'")
    return a
