"""plots/heatmap.svg: kernel/variant x configuration, each cell coloured by log2
of its speedup against the baseline where the verdict is faster (green) or
slower (red), and labelled with the speedup and the verdict (+ faster, - slower,
~ no significant difference).  Drawn here rather than with gnuplot: a cell is
a rectangle and a label, about 90 bytes, where gnuplot's SVG spends several
hundred on each (a quick matrix has a thousand cells)."""
from __future__ import annotations

import html
import math

from . import statistics as st
from .analysis import Analysis
from .plots import PlotError
from .summary import not_timed_aa

MARK_ASCII = {st.FASTER: "+", st.SLOWER: "-", st.SAME: "~", st.NO_DATA: ""}
# log2 of the speedup -> colour, interpolated in RGB between these stops
PALETTE = [(-2, (0xb2, 0x18, 0x2b)), (-1, (0xef, 0x8a, 0x62)), (0, (0xf7, 0xf7, 0xf7)),
           (1, (0x7f, 0xbf, 0x7b)), (2, (0x1b, 0x78, 0x37))]
MISSING = "#dddddd"
CELL_W, CELL_H = 68, 17
CHAR_W = 5.8            # average width of a character of the 10 px sans-serif labels
BAR_W = 14              # the colour bar


def colour(l2: float) -> str:
    l2 = max(-2.0, min(2.0, l2))
    i = min(int(l2 + 2), len(PALETTE) - 2)      # the stops are one apart, from -2
    (x0, c0), (_, c1) = PALETTE[i], PALETTE[i + 1]
    return "#" + "".join(f"{round(a + (b - a) * (l2 - x0)):02x}" for a, b in zip(c0, c1))


def _cell(a: Analysis, k: str, v: str, c: str) -> tuple:
    """(fill, label, missing) of one cell."""
    cell = a.cell(k, v, c)
    cmp_ = cell.vs_base if cell else None
    if cmp_ is None or cmp_.ratio is None:
        label = (cell.status_text if cell else "missing")[:14]
        if cell is not None and not_timed_aa(a, cell):
            label = "not sampled"    # the A/A duplicate times one variant per kernel
        return MISSING, label, True
    # Only a significant change gets a colour: "no significant difference"
    # stays pale whatever its point estimate.
    l2 = math.log2(cmp_.ratio) if cmp_.verdict in (st.FASTER, st.SLOWER) else 0.0
    label = f"{cmp_.ratio:.2f}{MARK_ASCII.get(cmp_.verdict, '')}"
    if cell.same_as == a.baseline:
        label = "= same code"
    elif cell.same_as:
        label += " (=)"
    return colour(l2), label, False


def svg(a: Analysis) -> str:
    configs = [c for c in a.configs if c != a.baseline]
    rows = [r for r in a.rows if r[1] != "*"]
    if not configs or not rows:
        raise PlotError("nothing to plot: no configuration besides the baseline, or no variants")
    h = html.escape
    left = max(100, round(CHAR_W * max(len(f"{k}/{v}") for k, v in rows)) + 16)
    # configuration labels at 40 degrees, above and below the grid: a tall heatmap stays readable
    band = round(CHAR_W * max(len(c) for c in configs) * math.sin(math.radians(40))) + 14
    top = 34 + band
    grid_w, grid_h = CELL_W * len(configs), CELL_H * len(rows)
    bar_x = left + grid_w + 14
    width, height = bar_x + BAR_W + 44, top + grid_h + band + 12
    title = f"vs {a.baseline}: + faster, - slower, ~ not significant, (=) same code as another config"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="10">',
           '<linearGradient id="bar" x1="0" y1="1" x2="0" y2="0">'
           + "".join(f'<stop offset="{(x + 2) / 4:g}" stop-color="{colour(x)}"/>' for x, _ in PALETTE)
           + "</linearGradient>",
           f'<rect width="{width}" height="{height}" fill="#fff"/>',
           f'<text x="{left + grid_w / 2:.0f}" y="18" text-anchor="middle" font-size="11">{h(title)}</text>',
           f'<g text-anchor="end">']
    for i, (k, v) in enumerate(rows):
        out.append(f'<text x="{left - 6}" y="{top + i * CELL_H + 12}">{h(k)}/{h(v)}</text>')
    out.append("</g><g>")
    for j, c in enumerate(configs):
        x = left + j * CELL_W + CELL_W / 2
        out.append(f'<text transform="translate({x:.0f},{top - 6}) rotate(-40)">{h(c)}</text>'
                   f'<text transform="translate({x:.0f},{top + grid_h + 10}) rotate(40)">{h(c)}</text>')
    out.append('</g><g stroke="#fff">')
    labels, missing = [], []
    for i, (k, v) in enumerate(rows):
        y = top + i * CELL_H
        for j, c in enumerate(configs):
            fill, label, is_missing = _cell(a, k, v, c)
            x = left + j * CELL_W
            out.append(f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{fill}"/>')
            (missing if is_missing else labels).append(f'<text x="{x + CELL_W // 2}" y="{y + 12}">{h(label)}</text>')
    out.append('</g><g text-anchor="middle" font-size="8">' + "".join(labels) + "</g>")
    out.append('<g text-anchor="middle" font-size="7" fill="#555">' + "".join(missing) + "</g>")
    out.append(f'<rect x="{left}" y="{top}" width="{grid_w}" height="{grid_h}" fill="none" stroke="#000"/>')
    out.append(f'<rect x="{bar_x}" y="{top}" width="{BAR_W}" height="{grid_h}" fill="url(#bar)" stroke="#000"/>')
    for x, name in ((-2, "0.25x"), (-1, "0.5x"), (0, "1x"), (1, "2x"), (2, "4x")):
        y = top + grid_h * (2 - x) / 4
        out.append(f'<text x="{bar_x + BAR_W + 4}" y="{y + 3:.0f}">{name}</text>')
    out.append("</svg>")
    return "".join(out) + "\n"
