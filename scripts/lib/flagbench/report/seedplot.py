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

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'role="img" aria-label="per-seed medians">']
    if ci:
        parts.append(f'<rect x="{x(ci[0]):.1f}" y="6" width="{max(1.0, x(ci[1]) - x(ci[0])):.1f}" '
                     f'height="20" fill="#dde8f6"><title>95% interval of the estimate</title></rect>')
    parts.append(f'<line x1="{x(estimate):.1f}" x2="{x(estimate):.1f}" y1="4" y2="28" stroke="#1f5fa8" '
                 f'stroke-width="2"><title>estimate {estimate:.4g} ns</title></line>')
    # The dots and the labels share their style through a group: a page holds
    # thousands of these.
    parts.append('<g fill="#c0392b" fill-opacity="0.8">')
    for seed, v in sorted(seed_medians.items(), key=lambda kv: str(kv[0])):
        parts.append(f'<circle cx="{x(v):.1f}" cy="16" r="4"><title>seed {html.escape(str(seed))}: '
                     f'{v:.4g} ns</title></circle>')
    parts.append('</g><g font-size="10" font-family="sans-serif">')
    parts.append(f'<text x="{PAD}" y="42">{lo:.4g} ns</text>')
    parts.append(f'<text x="{WIDTH - PAD}" y="42" text-anchor="end">{hi:.4g} ns</text>')
    parts.append("</g></svg>")
    return "".join(parts)
