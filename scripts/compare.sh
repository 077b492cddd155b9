#!/usr/bin/env bash
# Compares two sweep runs cell by cell (RUN_A RUN_B: B against A; two
# machines, two compiler versions, two commits), or two configurations of one
# run (RUN --configs A B): the ratio of medians with its interval and verdict,
# and which cells exist on one side only.  Runs from different machines are
# labelled as such.  The work is done by scripts/lib/flagbench/report/compare.py.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.report.compare "$@"
