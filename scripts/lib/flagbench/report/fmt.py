"""Formatting shared by the tables: times, ratios, intervals, verdict marks,
Markdown escaping and JSON rounding."""
from __future__ import annotations

import csv
import io
import json
import math

from . import statistics as st

MARK = {st.FASTER: "▲", st.SLOWER: "▼", st.SAME: "≈", st.NO_DATA: "·"}
LEGEND = ("▲ faster, ▼ slower, ≈ no significant difference, · no verdict (too few samples); "
          "`= X`: identical code to configuration X, timed once")

def fmt_ns(ns: float | None) -> str:
    if ns is None:
        return ""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


__all__ = ["fmt_ns", "ratio", "interval", "comparison", "md_escape", "md_table", "csv_text",
           "rnd", "json_text", "pct", "MARK", "LEGEND"]


def _num(x: float) -> str:
    """Three significant digits, trailing zeros kept (1.00, 0.998, 21.3, 130)."""
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:#.3g}"


def ratio(x: float | None) -> str:
    return "—" if x is None else f"{_num(x)}×"


def interval(ci) -> str:
    if not ci:
        return ""
    return f"[{_num(ci[0])}, {_num(ci[1])}]"


def ns_with_interval(median: float, ci) -> str:
    """'17.8 µs [17.8, 17.9]': the interval in the median's unit."""
    text = fmt_ns(median)
    if not ci:
        return text
    scale = 1.0
    for sc in (1e9, 1e6, 1e3):
        if median >= sc:
            scale = sc
            break
    return f"{text} [{ci[0] / scale:.3g}, {ci[1] / scale:.3g}]"


def pct(x: float | None, digits: int = 1) -> str:
    return "" if x is None else f"{x * 100:.{digits}f}%"


def comparison(c: st.Comparison | None) -> str:
    """'1.91× [1.67, 2.00] ▲' — the form a table cell takes."""
    if c is None or c.ratio is None:
        return "—" if c is None else f"· {c.reason}"
    text = ratio(c.ratio)
    if c.ci:
        text += " " + interval(c.ci)
    return f"{text} {MARK.get(c.verdict, '')}".rstrip()


def md_escape(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(header: list, rows: list) -> list:
    out = ["| " + " | ".join(md_escape(h) for h in header) + " |",
           "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(md_escape("" if v is None else v) for v in r) + " |")
    return out


def csv_text(header: list, rows: list) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def rnd(x, digits: int = 9):
    """Rounds floats (recursively) to `digits` significant digits so the JSON
    and CSV files are stable across platforms and readable."""
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return None
        return float(f"{x:.{digits}g}")
    if isinstance(x, dict):
        return {k: rnd(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [rnd(v, digits) for v in x]
    return x


def json_text(doc) -> str:
    return json.dumps(rnd(doc), indent=1, ensure_ascii=False) + "\n"


def comparison_json(c: st.Comparison | None) -> dict | None:
    if c is None:
        return None
    return {"ratio": c.ratio, "ci": list(c.ci) if c.ci else None, "threshold": c.threshold,
            "verdict": c.verdict, "reason": c.reason}
