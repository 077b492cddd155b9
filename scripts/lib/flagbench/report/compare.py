"""scripts/compare.sh: two whole runs (RUN_A RUN_B, compare_runs), or two
configurations of one run (RUN --configs A B, compare_configs), cell by cell.

Drift (compare_drift) beyond the noise floor whose interval excludes 1 fails
the comparison (exit 1) unless --allow-drift: without it every cell would be
called different by the same few percent."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import results
from ..atomic import write_text
from ..run.layout import PLAN, RunDir
from . import fmt
from . import statistics as st
from .analysis import Analysis, Options
from .compare_configs import config_csv, config_markdown
from .compare_runs import RunComparison

EXIT_DRIFT = 1


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/compare.sh",
        description="Compare two sweep runs cell by cell (RUN_A RUN_B: B against A), or two "
                    "configurations of one run (RUN --configs A B). Prints Markdown; --out DIR also "
                    "writes compare.md, compare.csv and compare.json.",
        epilog="Ratios are A's median over B's (above 1: B is faster). Method: docs/statistics.md.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="RUN_A RUN_B, or one RUN with --configs")
    p.add_argument("--configs", nargs=2, metavar=("A", "B"), help="compare two configurations of one run")
    p.add_argument("--out", metavar="DIR", help="also write compare.md, compare.csv, compare.json here")
    p.add_argument("--noise-floor", type=float, default=st.NOISE_FLOOR,
                   help="smallest relative change ever called (default 0.01)")
    p.add_argument("--replicates", type=int, default=st.REPLICATES, help="bootstrap replicates (default 2000)")
    p.add_argument("--allow-drift", action="store_true",
                   help="exit 0 even when the runs drifted apart beyond the noise floor (the drift is "
                        "still reported and still enters every threshold)")
    a = p.parse_args(argv)
    if a.configs and len(a.runs) != 1:
        p.error("--configs takes one RUN")
    if not a.configs and len(a.runs) != 2:
        p.error("give RUN_A RUN_B (or one RUN with --configs A B)")
    for r in a.runs:
        if not RunDir(r).is_run():
            p.error(f"{r} is not a sweep run (no {PLAN})")
    return a


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.configs:
        a = Analysis(results.load(args.runs[0]), Options(floor=args.noise_floor, replicates=args.replicates))
        for c in args.configs:
            if c not in a.configs:
                print(f"compare: {c} is not a configuration of {args.runs[0]} "
                      f"(it has: {', '.join(a.configs)})", file=sys.stderr)
                return 2
        md, doc = config_markdown(a, *args.configs)
        csv = config_csv(doc)
    else:
        rc = RunComparison(Path(args.runs[0]), Path(args.runs[1]), args.noise_floor, args.replicates)
        md, doc, csv = rc.markdown(), rc.json_doc(), rc.csv_text()
        drifted = rc.drift.get("exceeds")
    sys.stdout.write(md)
    if args.out:
        out = Path(args.out)
        write_text(out / "compare.md", md)
        write_text(out / "compare.json", fmt.json_text(doc))
        write_text(out / "compare.csv", csv)
        print(f"compare: wrote {out}/compare.md, compare.csv, compare.json", file=sys.stderr)
    if not args.configs and drifted:
        if args.allow_drift:
            print(f"compare: warning: {rc.drift_message()} (allowed by --allow-drift)", file=sys.stderr)
        else:
            print(f"compare: FAILED: {rc.drift_message()}; every cell's threshold includes it. "
                  "Pass --allow-drift to accept it.", file=sys.stderr)
            return EXIT_DRIFT
    return 0


if __name__ == "__main__":
    sys.exit(main())
