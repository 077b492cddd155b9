"""SVG plots drawn by gnuplot: forest plots of effects (a point and its interval
per kernel, on a log scale).  The speedup heatmap is heatmap.py's."""
from __future__ import annotations

import math
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from . import statistics as st

GNUPLOT_TIMEOUT = 120
VERDICT_COLOR = {st.FASTER: "#1b7837", st.SLOWER: "#b2182b", st.SAME: "#555555", st.NO_DATA: "#999999"}


class PlotError(Exception):
    pass


def available() -> bool:
    return shutil.which("gnuplot") is not None


def _q(text: str) -> str:
    """A gnuplot single-quoted string."""
    return "'" + str(text).replace("'", "''") + "'"


def _dq(text: str) -> str:
    """A double-quoted string in a gnuplot data file (no escapes there)."""
    return '"' + str(text).replace('"', "'") + '"'


def run_gnuplot(script: str, data: dict) -> str:
    """Runs a gnuplot script whose output is `OUT` and data files are named by
    `data` keys; returns the SVG text."""
    gp = shutil.which("gnuplot")
    if not gp:
        raise PlotError("gnuplot not found (Debian: apt-get install gnuplot-nox)")
    with tempfile.TemporaryDirectory(prefix="fb-plot-") as tmp:
        tmp = Path(tmp)
        for name, text in data.items():
            (tmp / name).write_text(text)
        out = tmp / "out.svg"
        (tmp / "plot.gp").write_text(f"set output {_q(out)}\n" + script)
        r = subprocess.run([gp, str(tmp / "plot.gp")], cwd=tmp, capture_output=True, text=True,
                           timeout=GNUPLOT_TIMEOUT)
        if r.returncode != 0 or not out.exists():
            raise PlotError(f"gnuplot failed: {r.stderr.strip()[-500:]}")
        return compact_svg(out.read_text())


# Presentation attributes that gnuplot repeats on every group; compact_svg moves
# each repeated combination into one CSS class of the SVG's own style sheet.
STYLE_ATTRS = ("fill", "color", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin",
               "font-family", "font-size", "text-anchor", "shape-rendering")
_GROUP = re.compile(r"<g((?:\s+[a-z-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))+)\s*>")
_ATTR = re.compile(r"([a-z-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")


def compact_svg(svg: str, min_uses: int = 4) -> str:
    """The same drawing in fewer bytes: no indentation or padding inside tags, and
    each combination of style attributes that gnuplot writes on many groups
    (a heatmap has a group per cell and per label) turned into a class.  A
    class's rule sets what the attributes set (a property set on an element,
    by attribute or by rule, overrides what it inherits either way)."""
    svg = re.sub(r">\s+<", "><", svg)
    svg = re.sub(r"\s*=\s*'", "='", svg)
    svg = re.sub(r"(\s)\s+", r"\1", svg)
    svg = re.sub(r"\s+(['\"]/?>)", r"\1", svg)

    def split(attrs: str) -> tuple:
        style, rest = [], []
        for m in _ATTR.finditer(attrs):
            name, value = m.group(1), m.group(2) if m.group(2) is not None else m.group(3)
            (style if name in STYLE_ATTRS else rest).append((name, value))
        return tuple(style), rest
    counts: dict = {}
    for m in _GROUP.finditer(svg):
        style, _ = split(m.group(1))
        if len(style) > 1:
            counts[style] = counts.get(style, 0) + 1
    classes = {s: f"g{i}" for i, s in enumerate(s for s, n in counts.items() if n >= min_uses)}
    if not classes:
        return svg

    def css_value(name: str, value: str) -> str:
        return value + "px" if name in ("font-size", "stroke-width") and re.fullmatch(r"[\d.]+", value) else value

    def group(m) -> str:
        style, rest = split(m.group(1))
        if style not in classes:
            return m.group(0)
        return "<g" + "".join(f' {n}="{v}"' for n, v in rest) + f' class="{classes[style]}">'
    body = _GROUP.sub(group, svg)
    rules = "".join("." + cls + "{" + ";".join(f"{n}:{css_value(n, v)}" for n, v in style) + "}"
                    for style, cls in classes.items())
    return re.sub(r"(<svg\b[^>]*>)", lambda m: m.group(1) + f"<style>{rules}</style>", body, count=1)


NICE_TICKS = [0.05, 0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 0.95, 0.98, 0.99, 1, 1.01, 1.02, 1.05, 1.1, 1.25, 1.5, 2, 3, 4, 5,
              10, 20, 50, 100]
MIN_TICK_GAP_PX = 55    # '0.95x' at font 10 is about 35 px wide


def axis_ticks(lo: float, hi: float, plot_px: float) -> list:
    """Ticks of a log axis from lo to hi drawn plot_px wide, at least MIN_TICK_GAP_PX
    apart so no two labels overlap: 1 first, then the others nearest to 1."""
    span = math.log(hi) - math.log(lo)
    if span <= 0:
        return [1]
    px = max(plot_px, 100) / span
    cands = sorted((t for t in NICE_TICKS if lo <= t <= hi), key=lambda t: abs(math.log(t)))
    kept = []
    for t in cands:
        if all(abs(math.log(t) - math.log(k)) * px >= MIN_TICK_GAP_PX for k in kept):
            kept.append(t)
    return sorted(kept)


def forest(title: str, items: list, xlabel: str = "speedup (log scale; > 1 faster)") -> str:
    """items: [(label, Comparison)], drawn top to bottom: the ratio as a point,
    its interval as a bar, coloured by verdict; a line at 1."""
    items = [(lab, c) for lab, c in items if c is not None and c.ratio is not None]
    if not items:
        raise PlotError("nothing to plot: no measured comparison")
    lines = {v: [] for v in VERDICT_COLOR}
    lo_all, hi_all = 1.0, 1.0
    for y, (label, c) in enumerate(items):
        lo, hi = c.ci if c.ci else (c.ratio, c.ratio)
        lines.setdefault(c.verdict, []).append(f"{c.ratio:.6g} {y} {lo:.6g} {hi:.6g}")
        lo_all, hi_all = min(lo_all, lo, c.ratio), max(hi_all, hi, c.ratio)
    lo_all, hi_all = lo_all / 1.15, hi_all * 1.15
    height = 110 + 24 * len(items)
    longest = max(len(lab) for lab, _ in items)
    width = max(640, 300 + 7 * longest)
    yt = ", ".join(f"{_q(lab)} {i}" for i, (lab, _) in enumerate(items))
    ticks = axis_ticks(lo_all, hi_all, width - 7 * longest - 120)
    xt = ", ".join(f"'{t:g}x' {t}" for t in ticks)
    plots = []
    data = {}
    names = {st.FASTER: "faster", st.SLOWER: "slower", st.SAME: "no significant difference",
             st.NO_DATA: "no verdict"}
    for i, (verdict, rows) in enumerate(lines.items()):
        if not rows:
            continue
        data[f"d{i}.dat"] = "\n".join(rows) + "\n"
        plots.append(f"'d{i}.dat' using 1:2:3:4 with xerrorbars pt 7 ps 0.8 lw 1.5 "
                     f"lc rgb '{VERDICT_COLOR[verdict]}' title {_q(names[verdict])}")
    script = f"""set terminal svg size {width},{height} noenhanced font 'sans,10' background '#ffffff'
set encoding utf8
set title {_q(title)}
set logscale x 2
set xrange [{lo_all:.6g}:{hi_all:.6g}]
set xtics ({xt})
set yrange [{len(items) - 0.5}:-0.5]
set ytics ({yt}) scale 0
set xlabel {_q(xlabel)}
set grid xtics lc rgb '#dddddd'
set key outside top center horizontal
set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb '#888888' dt 2
plot {", ".join(plots)}
"""
    return run_gnuplot(script, data)
