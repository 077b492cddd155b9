"""The report's first screen: which flags for my kind of code, and how sure.

  answers      per family and code style (codestyle.py): the best configuration,
               its geometric-mean speedup over the group's kernel variants with
               interval, verdict and threshold, and a `why` slot
  sureness     the A/A and placement false-call rates, cells stopped by the time budget
  next_runs    kernels left undecided (rerun with more samples), and combinations
               people ship that this matrix did not build (a matrix that does)
"""
from __future__ import annotations

import dataclasses
import re
import shlex

from . import codestyle, fmt
from . import statistics as st
from .analysis import Analysis
from ..why import cells as why_cells


@dataclasses.dataclass
class Answer:
    family: str
    style: str
    rows: list                       # (kernel, variant)
    config: str | None               # the best configuration called faster, None if none is
    comparison: st.Comparison | None  # its speedup (or the closest one's, when none is faster)
    closest: str | None              # the configuration with the highest speedup when none is faster
    ties: list
    why: str = ""
    slower: list = dataclasses.field(default_factory=list)   # [(config, Comparison)] called slower


def group_compare(a: Analysis, rows: list, config: str) -> st.Comparison:
    """Geometric mean over the rows of the speedup of `config` against the baseline."""
    terms, ths = [], []
    for k, v in rows:
        base, cell = a.cell(k, v, a.baseline), a.cell(k, v, config)
        t = a.log_terms(base, cell)
        if t is None:
            continue
        terms.append(t)
        ths.append(a.threshold_of([base, cell], k))
    return st.combine(terms, ths, a.options.confidence)


def _why(a: Analysis, rows: list, config: str | None) -> str:
    """The why lines of the best configuration's cells (the first two that
    differ), where the run has why data (docs/why.md); else empty."""
    if not config or not why_cells.has_why_data(a.run.path):
        return ""
    seen = []
    for k, v in rows:
        cell = a.cell(k, v, config)
        e = why_cells.explain_cell(a, cell) if cell else None
        if e and e["line"] not in seen:
            seen.append(e["line"])
    return "; ".join(seen[:2])


def answers(a: Analysis) -> list:
    groups: dict = {}
    for k, v in a.rows:
        if v == "*":
            continue
        key = (k.split("/", 1)[0], codestyle.style(k, v))
        groups.setdefault(key, []).append((k, v))
    order = {s: i for i, s in enumerate(codestyle.STYLES)}
    out = []
    for (family, style), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 99))):
        comps = [(c, group_compare(a, rows, c)) for c in a.candidates()]
        comps = [(c, x) for c, x in comps if x.ratio is not None]
        slower = sorted(((c, x) for c, x in comps if x.verdict == st.SLOWER), key=lambda cx: cx[1].ratio)
        faster = [(x.ratio, c, x) for c, x in comps if x.verdict == st.FASTER]
        if faster:
            _, best, cmp_ = max(faster)
            ties = [c for _, c, x in faster if c != best and x.ci and cmp_.ci and x.ci[1] >= cmp_.ratio]
            out.append(Answer(family, style, rows, best, cmp_, None, ties, _why(a, rows, best), slower))
        elif comps:
            _, closest, cmp_ = max((x.ratio, c, x) for c, x in comps)
            out.append(Answer(family, style, rows, None, cmp_, closest, [], "", slower))
        else:
            out.append(Answer(family, style, rows, None, None, None, [], ""))
    return out


def time_budget_cells(a: Analysis) -> tuple:
    """(cells stopped by the time budget, cells timed)."""
    timed = [c for c in a.cells.values() if c.samples]
    hit = [c for c in timed if (c.timing or {}).get("stopped_by") == "time budget"]
    return len(hit), len(timed)


def placement(a: Analysis) -> dict | None:
    """The placement (layout-seed) A/A summary, when the analysis provides one."""
    fn = getattr(a, "placement_summary", None)
    if callable(fn):
        try:
            return fn()
        except Exception:  # noqa: BLE001 - an optional statistic must not lose the page
            return None
    return fn if isinstance(fn, dict) else None


def _rate(s: dict, wrong_key: str = "wrong_by_verdict") -> str:
    n = s.get("pairs") or 0
    if not n:
        return "not measured in this run"
    ci = s.get("wrong_rate_ci")
    text = f"{s.get(wrong_key, 0)} of {n} pairs called different ({fmt.pct(s.get('wrong_rate'))}"
    if ci:
        text += f", 95% interval {fmt.pct(ci[0])}–{fmt.pct(ci[1])}"
    return text + ")"


def undecided(a: Analysis) -> list:
    """Kernels with a cell whose interval reaches past its threshold on both sides:
    more samples could still make it faster or slower."""
    out = []
    for k, v in a.rows:
        for c in a.candidates():
            cell = a.cell(k, v, c)
            cmp_ = cell.vs_base if cell else None
            if cmp_ is None or cmp_.ci is None or cmp_.threshold is None or cmp_.verdict != st.SAME:
                continue
            if fmt.is_same_code(cmp_):
                continue
            t = cmp_.threshold
            if cmp_.ci[0] < 1 / (1 + t) and cmp_.ci[1] > 1 + t and k not in out:
                out.append(k)
    return out


# What people ship, and a matrix of this repository that builds it.
SHIPPED = [
    ("O3 with x86-64-v3", {"opt": "O3", "march": "x86-64-v3"}, "ship"),
    ("O3 with -march=native", {"opt": "O3", "march": "native"}, "ship"),
    ("O3 with x86-64-v3 and LTO", {"opt": "O3", "march": "x86-64-v3", "lto": ("thin", "full")}, "ship"),
    ("-ffast-math", {"fastmath": "on"}, "fastmath"),
    ("PGO", {"pgo": "on"}, "pgo"),
]


def _has(a: Analysis, want: dict) -> bool:
    for c in a.run.plan.get("configs", []):
        axes = c.get("axes") or {}
        if all(axes.get(k) in (v if isinstance(v, tuple) else (v,)) for k, v in want.items()):
            return True
    return False


def _kernels_arg(a: Analysis) -> list:
    try:
        words = shlex.split(a.run.manifest.get("command") or "")
    except ValueError:
        return []
    for i, w in enumerate(words):
        if w == "--kernels" and i + 1 < len(words):
            return ["--kernels", words[i + 1]]
        if w.startswith("--kernels="):
            return ["--kernels", w.split("=", 1)[1]]
    return []


def next_runs(a: Analysis) -> list:
    """[(what, command)]"""
    out = []
    und = undecided(a)
    if und:
        rx = "^(" + "|".join(re.escape(k) for k in und) + ")$"
        cmd = shlex.join(["scripts/sweep.sh", "--matrix", a.matrix_arg(), "--kernels", rx,
                          "--min-samples", "10", "--time-per-kernel", "6"])
        out.append((f"these kernels are undecided (an interval reaches past its threshold on both "
                    f"sides): {', '.join(und[:8])}{' …' if len(und) > 8 else ''}; rerun them with more samples",
                    cmd))
    for label, want, matrix in SHIPPED:
        if not _has(a, want):
            cmd = shlex.join(["scripts/sweep.sh", "--matrix", matrix] + _kernels_arg(a))
            out.append((f"this matrix did not try {label}", cmd))
    return out
