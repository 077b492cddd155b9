#!/usr/bin/env bash
# Merges shard runs (sweep --shard I/N, or the shards of --executor parallel or
# slurm) into one run directory, and writes its tables.  Shards of one machine
# kind become one run; runs of different machines stay keyed by machine id.
# The work is done by scripts/lib/flagbench/executors/merge.py.  --help for options.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.executors.merge "$@"
