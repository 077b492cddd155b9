#!/usr/bin/env bash
# Prints the kernel catalogue as Markdown (docs/kernels.md) from a build's
# binaries.  Usage: scripts/catalogue.sh [BUILD_DIR]   (default: build/test-default)
set -euo pipefail
case "${1:-}" in
  -h|--help) echo "usage: scripts/catalogue.sh [BUILD_DIR]  (default build/test-default; Markdown on stdout)"; exit 0 ;;
esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.catalogue "${1:-$root/build/test-default}"
