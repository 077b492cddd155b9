"""A cell's per-seed medians as a small inline SVG: where the same code was
linked at other addresses, how far its time moved (docs/statistics.md,
"Layout seeds").  Drawn here, not with gnuplot: it is one row of dots per
cell, on the cell's own page, and must cost nothing when there are thousands."""
from __future__ import annotations

import html

WIDTH, HEIGHT, PAD = 360, 46, 12


def svg(seed_medians: dict, estimate: float, ci: tuple | None) -> str:
    """Dots at each seed's median on a shared ns axis, the estimate as a line
    and its interval as a band; labels name the seeds."""
    if not seed_medians or len(seed_medians) < 2:
        return ""
    values = list(seed_medians.values()) + [estimate] + (list(ci) if ci else [])
    lo, hi = min(values), max(values)
    span = (hi - lo) or abs(hi) * 0.01 or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span

    def x(v: float) -> float:
        return PAD + (WIDTH - 2 * PAD) * (v - lo) / (hi - lo)

    # Inline in HTML: no xmlns, whole-pixel positions, and the look in CSS
    # (the page's style sheet), since a page holds hundreds of these.
    parts = [f'<svg class="seedplot" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="per-seed medians">']
    if ci:
        parts.append(f'<rect x="{x(ci[0]):.0f}" y="6" width="{max(1.0, x(ci[1]) - x(ci[0])):.0f}" '
                     f'height="20"><title>95% interval of the estimate</title></rect>')
    parts.append(f'<line x1="{x(estimate):.0f}" x2="{x(estimate):.0f}" y1="4" y2="28">'
                 f'<title>estimate {estimate:.4g} ns</title></line>')
    for seed, v in sorted(seed_medians.items(), key=lambda kv: str(kv[0])):
        parts.append(f'<circle cx="{x(v):.0f}" cy="16" r="4"><title>seed {html.escape(str(seed))}: '
                     f'{v:.4g} ns</title></circle>')
    parts.append(f'<text x="{PAD}" y="42">{lo:.4g} ns</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="42" text-anchor="end">{hi:.4g} ns</text>')
    parts.append("</svg>")
    return "".join(parts)


CSS = """
svg.seedplot rect{fill:#dde8f6}svg.seedplot line{stroke:#1f5fa8;stroke-width:2}
svg.seedplot circle{fill:#c0392b;fill-opacity:.8}svg.seedplot text{font:10px sans-serif}
"""
