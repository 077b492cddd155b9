"""The drift check of scripts/compare.sh: on one machine, the cells whose code
is identical in both runs (same code_hash, each timed in its own run) should
have a ratio of 1.  Their median log ratio is the drift between the runs (the
machine got slower, a neighbour got busy); its interval comes from resampling
those cells and each cell's own bootstrap."""
from __future__ import annotations

import math
import random
import statistics

from . import statistics as st

MIN_DRIFT_PAIRS = 3      # fewer identical-code cells and drift is not measured


def measure_drift(pairs: list, floor: float, seed: int, confidence: float = st.CONFIDENCE) -> dict:
    """Drift from identical-code cells: pairs = [(Summary A, Summary B)], ratio A ÷ B.

    The point estimate is the median over cells of log(median A / median B).  Each
    bootstrap replicate resamples the cells and takes each cell's replicate median,
    so the interval covers both the spread between cells and each cell's noise."""
    n = len(pairs)
    doc = {"pairs": n, "floor": floor}
    if n < MIN_DRIFT_PAIRS:
        doc.update(ratio=None, ci=None, exceeds=False,
                   why=f"{n} cells with identical code in both runs (fewer than {MIN_DRIFT_PAIRS}): "
                       "drift not measured")
        return doc
    logs = [math.log(a.median / b.median) for a, b in pairs]
    point = statistics.median(logs)
    reps = min(len(a.replicates) for a, _ in pairs + [(b, None) for _, b in pairs])
    rng = random.Random(seed)
    dist = []
    for j in range(reps):
        draw = [pairs[rng.randrange(n)] for _ in range(n)]
        dist.append(statistics.median([math.log(a.replicates[j] / b.replicates[j]) for a, b in draw]))
    lo, hi = st.percentile_interval(dist, confidence)
    ci = (math.exp(lo), math.exp(hi))
    ratio = math.exp(point)
    exceeds = abs(point) > math.log1p(floor) and not ci[0] <= 1 <= ci[1]
    doc.update(ratio=ratio, ci=list(ci), log_ratio=point, magnitude=math.expm1(abs(point)), exceeds=exceeds)
    return doc


def drift_sentence(d: dict) -> str:
    """'B is 5.0% slower than A' for a drift doc with a ratio (A ÷ B)."""
    r = d["ratio"]
    if r >= 1:
        return f"B is {r - 1:.1%} faster than A"
    return f"B is {1 / r - 1:.1%} slower than A"
