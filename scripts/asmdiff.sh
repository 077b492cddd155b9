#!/usr/bin/env bash
# Diffs the normalized assembly of kernel variants between two configurations,
# two runs or two build directories, and prints a summary table.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exec python3 "$root/scripts/lib/asm/diff.py" "$@"
