#!/usr/bin/env bash
# Tables, plots and the HTML report of one sweep run: writes RUN/tables/
# (summary, effects, code and build as Markdown, CSV and JSON; lnt.json;
# report.html with its plots and assembly pages).  The sweep runs it at its
# end; run it again to regenerate.  The work is done by
# scripts/lib/flagbench/report/generate.py.  --help for options.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHONPATH="$root/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" exec python3 -m flagbench.report.generate "$@"
