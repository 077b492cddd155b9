#!/usr/bin/env bash
# Compares two sweep runs cell by cell (RUN_A RUN_B: B against A; two
# machines, two compiler versions, two commits), or two configurations of one
# run (RUN --configs A B): the ratio of medians with its interval and verdict,
# and which cells exist on one side only.  Runs from different machines are
# labelled as such.  Two runs on one machine are also checked for drift (the
# median ratio of the cells whose code is identical in both): beyond the noise
# floor it enters every threshold and the command exits 1 (--allow-drift: 0).
# Exit codes: 0 done, 1 drift, 2 usage error.  The work is done by
# scripts/lib/flagbench/report/compare.py.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.report.compare "$@"
