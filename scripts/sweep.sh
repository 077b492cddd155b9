#!/usr/bin/env bash
# The main job: build every configuration of a matrix, check every kernel
# variant, capture assembly and llvm-mca analysis, time with hyperfine, and
# write tables.  The work is done by scripts/lib/flagbench/sweep.py; this
# wrapper installs missing tools first (scripts/deps.sh).  --help for options.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

install_deps=1
# Slurm, munge and GNU parallel only for the executors that use them: a
# local sweep should not install (and start) a cluster's daemons.
dep_groups=build,sweep,cross,peers,report
prev=""
for arg in "$@"; do
  case "$arg" in
    --help|-h|--plan|--no-deps) install_deps=0 ;;
    --executor=slurm|--executor=parallel) dep_groups+=",scale" ;;
  esac
  if [[ $prev == --executor && $arg != local ]]; then dep_groups+=",scale"; fi
  prev=$arg
done
if [[ $install_deps -eq 1 ]]; then
  "$root/scripts/deps.sh" --only "$dep_groups"
fi
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.sweep "$@"
