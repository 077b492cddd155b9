"""Statistics the sweep and the tables share (standard library only)."""
from __future__ import annotations

import math
import statistics


def median(xs) -> float:
    return statistics.median(xs)


def _binom_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    return sum(math.comb(n, i) for i in range(0, k + 1)) / 2 ** n


def median_ci(xs, confidence: float = 0.95) -> tuple | None:
    """Distribution-free confidence interval of the median from order
    statistics: [x(k), x(n-k+1)] with the largest k whose coverage is still at
    least `confidence`.  None when n is too small for that coverage (n < 6 at
    95%)."""
    s = sorted(xs)
    n = len(s)
    alpha = 1 - confidence
    best = None
    for k in range(1, n // 2 + 1):
        # Coverage of [x(k), x(n-k+1)] is 1 - 2 * P(X <= k-1).
        if 1 - 2 * _binom_cdf(k - 1, n) >= 1 - alpha:
            best = k
        else:
            break
    if best is None:
        return None
    return s[best - 1], s[n - best]


def relative_halfwidth(xs, confidence: float = 0.95) -> float | None:
    ci = median_ci(xs, confidence)
    if ci is None:
        return None
    m = median(xs)
    return (ci[1] - ci[0]) / 2 / m if m > 0 else None
