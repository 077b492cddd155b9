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


# One vocabulary for every table, plot and page of a run's report (compare.sh
# keeps LEGEND and comparison() above).  "{floor}": the run's noise floor
# (symbols() fills it in; report.sh --noise-floor changes it).
SAME_CODE = "= same code"
SYMBOLS = [
    ("▲", "faster: the whole 95% interval lies above the noise band, and the call survives the run's "
          "false-discovery-rate control"),
    ("▼", "slower: likewise, below the band"),
    ("≈", "no significant difference: the interval includes 1, lies inside the band, or reaches into it"),
    ("(±N%)", "the cell's noise band: the largest of the {floor} floor, either side's process-to-process "
              "noise and spread between layout seeds, and how far the kernel's A/A intervals miss 1; "
              "nothing smaller is called"),
    ("·", "no verdict: too few samples, or a side has no timing (the reason follows)"),
    ("= same code", "identical code, data, libraries, FP environment, dispatch path and alignment: timed once, the ratio is "
                    "exactly 1; \"= same code as X\": this cell's timing is configuration X's"),
    ("(+N tied)", "N other configurations were also called faster and are not significantly slower than the best"),
    ("—", "no such cell (the kernel or variant does not exist in that configuration)"),
]
CELL_LEGEND = ("▲ faster, ▼ slower, ≈ no significant difference, (±N%) the noise threshold the verdict "
               "was judged against, · no verdict; = same code: identical instructions, timed once")


def symbols(floor: float) -> list:
    """SYMBOLS with the run's noise floor written in."""
    return [(sym, text.replace("{floor}", f"{floor * 100:g}%")) for sym, text in SYMBOLS]


__all__ = ["fmt_ns", "ratio", "interval", "comparison", "md_escape", "md_table", "csv_text",
           "rnd", "json_text", "pct", "MARK", "LEGEND", "SAME_CODE", "SYMBOLS", "symbols", "CELL_LEGEND",
           "threshold", "verdict_cell", "is_same_code"]


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


def threshold(t: float | None) -> str:
    """'(±14%)', '(±2.5%)': the noise threshold a verdict was judged against."""
    if t is None:
        return ""
    pct_ = t * 100
    return f"(±{pct_:.0f}%)" if pct_ >= 9.95 else f"(±{pct_:.1f}%)"


def is_same_code(c: st.Comparison | None) -> bool:
    """Identical code on both sides: a ratio of exactly 1 with a zero-width interval
    (only one timing stands for both)."""
    return bool(c is not None and c.ratio == 1.0 and c.ci and tuple(c.ci) == (1.0, 1.0))


def verdict_cell(c: st.Comparison | None, same_as: str | None = None) -> str:
    """A verdict cell of the report: '1.13× [1.12, 1.16] ≈ (±14%)'; identical
    code is '= same code' wherever it appears."""
    if c is None:
        return "—"
    if c.ratio is None:
        return f"· {c.reason}"
    if is_same_code(c):
        return SAME_CODE
    text = ratio(c.ratio) + (" " + interval(c.ci) if c.ci else "")
    text += f" {MARK.get(c.verdict, '')}".rstrip()
    if c.threshold is not None and c.verdict != st.NO_DATA:
        text += " " + threshold(c.threshold)
    if same_as:
        text += f" {SAME_CODE} as {same_as}"
    return text


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
