#!/usr/bin/env bash
# Diffs the normalized assembly of kernel variants between two configurations,
# two runs or two build directories, and prints a summary table; then, where
# optimization remarks were collected, what the compiler's remarks for each
# hot function gained or lost.  The exit status is the code diff's.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}"
status=0
python3 -m flagbench.asm.diff "$@" || status=$?
if [[ $status -le 1 ]]; then
  python3 -m flagbench.why.remarkdiff "$@" || true
fi
exit "$status"
