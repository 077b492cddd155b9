#!/usr/bin/env bash
# The main job: build every configuration of a matrix, check every kernel
# variant, capture assembly and llvm-mca analysis, time with hyperfine, and
# write tables.  The work is done by scripts/lib/flagbench/sweep.py; this
# wrapper installs missing tools first (scripts/deps.sh).  --help for options.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

install_deps=1
for arg in "$@"; do
  case "$arg" in
    --help|-h|--plan|--no-deps) install_deps=0 ;;
  esac
done
if [[ $install_deps -eq 1 ]]; then
  "$root/scripts/deps.sh"
fi
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.sweep "$@"
