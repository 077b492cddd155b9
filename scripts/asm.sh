#!/usr/bin/env bash
# Prints the normalized assembly of one kernel variant's hot function (what
# cargo-asm does for Rust), from a sweep's results or a build directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.asm.show "$@"
