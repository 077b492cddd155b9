#!/usr/bin/env bash
# Profiles one kernel variant (or all its variants) of one configuration by
# hand: perf record, samples per line of the normalized assembly and per loop,
# flame graph, optimization remarks and counters.  What the sweep's why step
# stores per cell; --help for options.  The work is done by
# scripts/lib/flagbench/why/cli.py.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.why.cli "$@"
