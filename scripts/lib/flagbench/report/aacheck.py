"""The A/A check (docs/statistics.md, "The A/A check"): pairs of timings of
identical code, each judged as a real comparison would be, and each kernel's
A/A term for the noise band of its verdicts."""
from __future__ import annotations

import dataclasses
import math

from . import statistics as st


@dataclasses.dataclass
class AAPair:
    kernel: str
    variant: str
    a: str
    b: str
    why: str                        # "A/A duplicate" or identical code, data and environment
    comparison: st.Comparison       # judged with a threshold that leaves this pair out
    ci_alone_wrong: bool            # would the interval alone have called a difference?


def candidates(a) -> list:
    """(cell, cell, why) for every two timed cells of a variant that must run
    the same: the baseline and its A/A duplicate, or equal identity keys."""
    pairs = []
    for kernel, variant in a.rows:
        timed = [a.cell(kernel, variant, c) for c in a.configs]
        timed = [c for c in timed if c is not None and c.samples and c.stats
                 and c.stats.replicates is not None]
        for i, x in enumerate(timed):
            for y in timed[i + 1:]:
                if a.config(y.config).get("aa_of") == x.config or a.config(x.config).get("aa_of") == y.config:
                    pairs.append((x, y, "A/A duplicate"))
                elif x.identity and x.identity == y.identity:
                    pairs.append((x, y, "identical code, data and environment"))
    return pairs


def judge(a) -> tuple:
    """([AAPair], {kernel: A/A term as a log}).  A kernel's A/A term is the
    largest amount by which one of its A/A intervals misses 1.  Noise the
    intervals already carry adds nothing (an interval that holds 1 gives 0),
    so the term does not grow with the number of identical pairs a matrix
    happens to have; what it catches is a difference between timings of
    identical code that the intervals do not explain (drift during the run, a
    factor that stayed fixed for a cell's processes)."""
    o = a.options
    cands = candidates(a)
    miss, term = {}, {}
    for x, y, _ in cands:
        miss[(x.key, y.key)] = st.interval_miss(st.compare(x.stats, y.stats, o.floor, 0.0, o.confidence).ci)
        term[x.kernel] = max(term.get(x.kernel, 0.0), miss[(x.key, y.key)])
    pairs = []
    for x, y, why in cands:
        # Leave-one-out: judge each pair with the A/A term of the *other*
        # pairs of its kernel, so the check is not graded by its own answer.
        others = [v for (kx, ky), v in miss.items() if kx[0] == x.kernel and (kx, ky) != (x.key, y.key)]
        extra = math.expm1(max(others)) if others else 0.0
        cmp_ = st.compare(x.stats, y.stats, o.floor, extra, o.confidence)
        ci_wrong = cmp_.ci is not None and not (cmp_.ci[0] <= 1 <= cmp_.ci[1])
        pairs.append(AAPair(x.kernel, x.variant, x.config, y.config, why, cmp_, ci_wrong))
    return pairs, term


def summary(pairs: list, confidence: float) -> dict:
    n = len(pairs)
    wrong = sum(p.comparison.verdict in (st.FASTER, st.SLOWER) for p in pairs)
    ci_wrong = sum(p.ci_alone_wrong for p in pairs)
    worst = max((abs(math.log(p.comparison.ratio)) for p in pairs), default=None)
    return {"pairs": n, "wrong_by_verdict": wrong, "wrong_by_interval_alone": ci_wrong,
            "wrong_rate": wrong / n if n else None,
            "wrong_rate_ci": st.wilson_interval(wrong, n, confidence),
            "interval_alone_rate": ci_wrong / n if n else None,
            "largest_aa_difference": math.expm1(worst) if worst is not None else None}
