"""scripts/compare.sh RUN --configs A B: two configurations of one run, cell
by cell and per kernel."""
from __future__ import annotations

from . import fmt
from .analysis import Analysis
from .compare_runs import SCHEMA, median_text


def config_markdown(a: Analysis, ca: str, cb: str) -> tuple:
    """(markdown, json doc) comparing configuration cb against ca in one run."""
    out = [f"# flagbench compare: `{cb}` against `{ca}` in run {a.run_id}", "",
           f"Machine: {a.machine_line()} — machine id `{a.machine_id}` (both sides).", "",
           f"Ratio: median(`{ca}`) ÷ median(`{cb}`), above 1 when `{cb}` is faster; "
           f"{fmt.LEGEND}. Method: `docs/statistics.md`.", ""]
    rows, cells = [], []
    kernels = []
    for k, v in a.rows:
        x, y = a.cell(k, v, ca), a.cell(k, v, cb)
        if x is None or y is None:
            continue
        c = a.compare_configs(k, v, ca, cb)
        rows.append([f"{k}/{v}", median_text(x), median_text(y), fmt.comparison(c)])
        cells.append({"kernel": k, "variant": v, "a_median_ns": x.stats.median if x.stats else None,
                      "b_median_ns": y.stats.median if y.stats else None, "b_vs_a": fmt.comparison_json(c)})
        if k not in kernels:
            kernels.append(k)
    out += fmt.md_table(["kernel/variant", ca, cb, f"{ca} ÷ {cb}"], rows) + [""]
    per_kernel = {k: a.kernel_compare(k, ca, cb) for k in kernels}
    krows = [[k, fmt.comparison(c)] for k, c in per_kernel.items()]
    out += ["## Per kernel (geometric mean over variants)", ""] + fmt.md_table(["kernel", "ratio"], krows) + [""]
    doc = {"schema": SCHEMA, "run_id": a.run_id, "machine_id": a.machine_id, "a_config": ca, "b_config": cb,
           "ratio": "median(a) / median(b): above 1 when b is faster", "cells": cells,
           "kernels": {k: fmt.comparison_json(c) for k, c in per_kernel.items()}}
    return "\n".join(out), doc


def config_csv(doc: dict) -> str:
    """compare.csv of config_markdown's json doc."""
    return fmt.csv_text(["kernel", "variant", "a_median_ns", "b_median_ns", "ratio", "ci_low", "ci_high",
                         "verdict"], [[c["kernel"], c["variant"], fmt.rnd(c["a_median_ns"]),
                                       fmt.rnd(c["b_median_ns"]), fmt.rnd(c["b_vs_a"]["ratio"]),
                                       *(fmt.rnd(c["b_vs_a"]["ci"]) or [None, None]), c["b_vs_a"]["verdict"]]
                                      for c in doc["cells"]])
