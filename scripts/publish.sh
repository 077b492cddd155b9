#!/usr/bin/env bash
# Publishes a sweep run: regenerates its tables, then copies the tables, plots
# and HTML report (not the raw files) into results/NAME/ with a README, ready
# to commit and link.  The work is done by
# scripts/lib/flagbench/report/publish.py.  --help for options.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.report.publish "$@"
