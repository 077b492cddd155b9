"""Bootstrap intervals, ratios, noise, layout spread and verdicts (docs/statistics.md).

A cell's samples are per-process times, each taken under one layout seed (the
same code linked at another address).  With one seed the statistic is the
median of the samples, and its bootstrap distribution (the median of n draws
with replacement) is computed exactly: the resampled median is an order
statistic (or the mean of two) of the sorted sample, and the probability of
each is a binomial expression.  With several seeds the statistic is the
geometric mean of the per-seed medians and its replicates come from resampling
seeds (summarize_seeded).  Ratios and geometric means, which combine cells,
draw a fixed number of replicates from each cell with a generator seeded from
the cell's name, so every number is reproducible.
"""
from __future__ import annotations

import bisect
import dataclasses
import hashlib
import math
import random
import statistics as pystats

from .student import Z975, t_quantile

CONFIDENCE = 0.95
REPLICATES = 2000
NOISE_FLOOR = 0.01          # never call a change below 1% (docs/statistics.md)
MIN_SAMPLES = 3             # fewer and a cell gets no interval and no verdict
EXACT_UP_TO = 300           # samples per cell up to which the bootstrap is exact
IQR_TO_SIGMA = 1.349        # the IQR of a normal distribution in standard deviations

FASTER, SLOWER, SAME, NO_DATA = "faster", "slower", "no significant difference", "no verdict"


# ------------------------------------------------------------ exact bootstrap of the median

def _log_binom_pmf(k: int, n: int, p: float) -> float:
    if p <= 0.0:
        return 0.0 if k == 0 else -math.inf
    if p >= 1.0:
        return 0.0 if k == n else -math.inf
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def _binom_tail(k: int, n: int, p: float) -> float:
    """P(X >= k), X ~ Binomial(n, p)."""
    return min(1.0, sum(math.exp(_log_binom_pmf(i, n, p)) for i in range(k, n + 1)))


def median_bootstrap_distribution(xs) -> list:
    """[(value, probability)] of the median of n draws with replacement from xs,
    sorted by value, equal values merged."""
    s = sorted(xs)
    n = len(s)
    if n == 0:
        return []
    probs: dict = {}
    if n % 2:
        m = n // 2 + 1                       # the median is the m-th order statistic
        prev = 0.0
        for j in range(1, n + 1):            # P(J <= j) = P(#draws <= j >= m)
            cdf = _binom_tail(m, n, j / n)
            probs[s[j - 1]] = probs.get(s[j - 1], 0.0) + cdf - prev
            prev = cdf
    else:
        m = n // 2                           # mean of the m-th and (m+1)-th order statistics
        lc = math.lgamma(n + 1) - 2 * math.lgamma(m + 1)

        def g(a: int, b: int) -> float:
            """P(J1 <= a, J2 > b) for a <= b: exactly m draws <= a, none in (a, b]."""
            if a <= 0 or b >= n:
                return 0.0
            return math.exp(lc + m * math.log(a / n) + m * math.log((n - b) / n))

        marginal_prev = 0.0
        for a in range(1, n + 1):
            p_j1 = _binom_tail(m, n, a / n) - marginal_prev     # P(J1 = a)
            marginal_prev += p_j1
            rest = p_j1
            for b in range(a + 1, n + 1):
                p = g(a, b - 1) - g(a - 1, b - 1) - g(a, b) + g(a - 1, b)
                if p > 0:
                    v = (s[a - 1] + s[b - 1]) / 2
                    probs[v] = probs.get(v, 0.0) + p
                    rest -= p
            if rest > 0:                                         # J1 = J2 = a
                probs[s[a - 1]] = probs.get(s[a - 1], 0.0) + rest
    total = sum(probs.values())
    return [(v, p / total) for v, p in sorted(probs.items()) if p > 0]


def quantile_of(dist: list, q: float) -> float:
    """The q-quantile of a discrete distribution [(value, prob)] sorted by value."""
    acc = 0.0
    for v, p in dist:
        acc += p
        if acc >= q - 1e-12:
            return v
    return dist[-1][0]


class Sampler:
    """Draws from a discrete distribution by inverse CDF."""

    def __init__(self, dist: list):
        self.values = [v for v, _ in dist]
        self.cdf = []
        acc = 0.0
        for _, p in dist:
            acc += p
            self.cdf.append(acc)
        self.cdf[-1] = 1.0

    def draws(self, rng: random.Random, k: int) -> list:
        vals, cdf = self.values, self.cdf
        return [vals[bisect.bisect_left(cdf, rng.random())] for _ in range(k)]


def seed_for(*parts) -> int:
    """A seed that depends only on the names given (a cell's kernel, variant,
    configuration, and a namespace), never on the order cells are processed."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


# ------------------------------------------------------------ one cell

@dataclasses.dataclass
class Summary:
    n: int
    median: float               # the cell's estimate (one seed: the median; several: see summarize_seeded)
    ci: tuple | None            # bootstrap percentile interval of the estimate
    noise: float | None         # robust relative spread of all samples: IQR / 1.349 / median
    min: float
    max: float
    replicates: list | None     # bootstrap estimates, REPLICATES of them (None below MIN_SAMPLES)
    seed_medians: dict | None = None   # layout seed -> median of its samples (several seeds only)
    layout: float | None = None        # spread between seeds: sd of ln(per-seed median)


def robust_noise(xs) -> float | None:
    """Process-to-process noise as a fraction of the median: the interquartile
    range scaled to a standard deviation (IQR / 1.349), divided by the median.
    Unlike the standard deviation it ignores a few outliers."""
    if len(xs) < MIN_SAMPLES:
        return None
    q1, _, q3 = pystats.quantiles(xs, n=4, method="inclusive")
    med = pystats.median(xs)
    return (q3 - q1) / IQR_TO_SIGMA / med if med > 0 else None


def summarize(xs, seed: int, confidence: float = CONFIDENCE, replicates: int = REPLICATES,
              seeds=None) -> Summary:
    """One cell.  seeds: the layout seed of each sample (None or a single seed:
    the one-level exact bootstrap of the median)."""
    xs = list(xs)
    if not xs:
        raise ValueError("no samples")
    if seeds is not None and len(set(seeds)) > 1:
        return summarize_seeded(xs, list(seeds), seed, confidence, replicates)
    med = pystats.median(xs)
    if len(xs) < MIN_SAMPLES:
        return Summary(len(xs), med, None, None, min(xs), max(xs), None)
    rng = random.Random(seed)
    alpha = 1 - confidence
    if len(xs) <= EXACT_UP_TO:
        dist = median_bootstrap_distribution(xs)
        ci = (quantile_of(dist, alpha / 2), quantile_of(dist, 1 - alpha / 2))
        reps = Sampler(dist).draws(rng, replicates)
    else:   # the exact distribution costs n^2: resample instead
        n = len(xs)
        reps = [pystats.median(rng.choices(xs, k=n)) for _ in range(replicates)]
        ci = percentile_interval(reps, confidence)
    return Summary(len(xs), med, ci, robust_noise(xs), min(xs), max(xs), reps)


def summarize_seeded(xs: list, seeds: list, seed: int, confidence: float = CONFIDENCE,
                     replicates: int = REPLICATES) -> Summary:
    """A cell timed under S >= 2 layout seeds.

    Each seed's samples give its median m_s; the estimate is exp(mean ln m_s),
    the geometric mean of the per-seed medians, so every layout weighs the same
    however many processes it got.  The seeds are the independent units: a
    replicate resamples S seeds with replacement and averages their ln m_s.
    Processes within a seed are not resampled again: each m_s already carries
    its processes' noise, and resampling them too counts that noise twice (in
    simulation the interval then covers 99-100% instead of 95%; docs/statistics.md).
    The bootstrap's spread of a mean of S values is too narrow for small S,
    so the interval is exp(theta +- t(S-1) * se) with se = sqrt(S/(S-1)) times
    the replicates' standard deviation (Student's interval on the bootstrap
    standard error), and the replicates handed on to ratios and geometric means
    are widened by t(S-1)/z to match.  The 95% interval covers 93-97% of
    simulated two-level data (tests/report/test_layout_statistics.py)."""
    by_seed: dict = {}
    for x, s in zip(xs, seeds):
        by_seed.setdefault(s, []).append(x)
    logs = [math.log(pystats.median(v)) for _, v in sorted(by_seed.items())]
    k = len(logs)
    theta = sum(logs) / k
    est = math.exp(theta)
    seed_medians = {s: pystats.median(v) for s, v in sorted(by_seed.items())}
    layout = pystats.stdev(logs)
    if len(xs) < MIN_SAMPLES:
        return Summary(len(xs), est, None, None, min(xs), max(xs), None, seed_medians, layout)
    rng = random.Random(seed)
    boots = [sum(logs[rng.randrange(k)] for _ in range(k)) / k for _ in range(replicates)]
    se = math.sqrt(k / (k - 1)) * pystats.pstdev(boots)
    half = t_quantile(1 - (1 - confidence) / 2, k - 1) * se
    ci = (math.exp(theta - half), math.exp(theta + half))
    # Replicates for ratios and geometric means: the bootstrap's deviations,
    # widened so that their spread is Student's rather than the normal's.
    scale = math.sqrt(k / (k - 1)) * t_quantile(0.975, k - 1) / Z975
    reps = [math.exp(theta + scale * (b - theta)) for b in boots]
    return Summary(len(xs), est, ci, robust_noise(xs), min(xs), max(xs), reps, seed_medians, layout)


# ------------------------------------------------------------ comparisons

def percentile_interval(values, confidence: float = CONFIDENCE) -> tuple:
    s = sorted(values)
    alpha = (1 - confidence) / 2

    def at(q):
        pos = q * (len(s) - 1)
        lo = math.floor(pos)
        hi = min(lo + 1, len(s) - 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - lo)
    return at(alpha), at(1 - alpha)


@dataclasses.dataclass
class Comparison:
    ratio: float | None         # > 1: the second is faster (a speedup)
    ci: tuple | None
    threshold: float | None     # relative change below which nothing is called
    verdict: str
    reason: str
    log_replicates: list | None = dataclasses.field(default=None, repr=False)
    p_value: float | None = None    # set by the run's FDR control (analysis.py)


def threshold_of(noises, floor: float = NOISE_FLOOR, extra: float = 0.0) -> float:
    """The noise band of a comparison: the largest of the floor, the spreads
    of every cell involved (process noise and spread between layout seeds), and
    `extra` (the kernel's A/A term, the drift between runs)."""
    return max([floor, extra] + [x for x in noises if x is not None])


def verdict(ratio: float, ci: tuple, threshold: float) -> tuple:
    """faster / slower only when the WHOLE interval lies outside the noise band
    [1/(1+t), 1+t] (a log scale, so 1.05x and 1/1.05x weigh the same)."""
    edge = 1 + threshold
    if ci[0] > edge:
        return FASTER, f"the interval lies above the ±{threshold:.1%} band ({ratio - 1:+.1%})"
    if ci[1] < 1 / edge:
        return SLOWER, f"the interval lies below the ±{threshold:.1%} band ({ratio - 1:+.1%})"
    if ci[0] <= 1 <= ci[1]:
        return SAME, "the interval includes 1"
    if 1 / edge <= ci[0] and ci[1] <= edge:
        return SAME, f"the change ({ratio - 1:+.1%}) is within the ±{threshold:.1%} noise"
    return SAME, f"the interval reaches into the ±{threshold:.1%} noise band ({ratio - 1:+.1%})"


def interval_miss(ci: tuple | None) -> float:
    """How far, on the log scale, an interval of a ratio misses 1 (0 when it
    holds 1): the part of a difference between identical code that its noise
    does not explain (the A/A term of docs/statistics.md)."""
    if ci is None:
        return 0.0
    return max(0.0, math.log(ci[0]), -math.log(ci[1]))


def decided(c: "Comparison") -> bool:
    """A comparison more samples cannot change: called, or its whole interval
    inside the noise band.  The sweep stops timing a cell when this holds."""
    if c.ci is None or c.threshold is None:
        return False
    edge = 1 + c.threshold
    return c.verdict in (FASTER, SLOWER) or (1 / edge <= c.ci[0] and c.ci[1] <= edge)


def p_value(c: "Comparison", replicates_log: list) -> float | None:
    """p-value of "the change lies inside the noise band" |ln r| <= ln(1+t),
    from a normal fit to the log-ratio replicates (the tails of 2000
    replicates are too coarse for the p-values FDR control needs).  The null
    is an interval, so the p-value is the chance, at the band edge nearest
    the estimate, of landing this far beyond it, plus the far edge's (tiny)
    share: a call whose 95% interval clears the band has p < 0.025, the same
    test as the verdict's."""
    if c.ratio is None or c.threshold is None or len(replicates_log) < 2:
        return None
    sd = pystats.stdev(replicates_log)
    lr, t = abs(math.log(c.ratio)), math.log1p(c.threshold)
    if sd <= 0:
        return 0.0 if lr > t else 1.0
    normal = pystats.NormalDist()
    return min(1.0, normal.cdf(-(lr - t) / sd) + normal.cdf(-(lr + t) / sd))


def benjamini_hochberg(pvalues: list, q: float) -> list:
    """Which hypotheses are rejected at false discovery rate q (Benjamini-Hochberg
    step-up): the k smallest p-values, k the largest with p(k) <= q k / m."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    k = 0
    for rank, i in enumerate(order, 1):
        if pvalues[i] <= q * rank / m:
            k = rank
    keep = [False] * m
    for i in order[:k]:
        keep[i] = True
    return keep


def compare(base: Summary, other: Summary, floor: float = NOISE_FLOOR, extra: float = 0.0,
            confidence: float = CONFIDENCE) -> Comparison:
    """Speedup of `other` over `base`: median(base) / median(other)."""
    if base.median <= 0 or other.median <= 0:
        return Comparison(None, None, None, NO_DATA, "a median is zero")
    ratio = base.median / other.median
    if base.replicates is None or other.replicates is None:
        return Comparison(ratio, None, None, NO_DATA, f"fewer than {MIN_SAMPLES} samples")
    reps = [b / o for b, o in zip(base.replicates, other.replicates)]
    ci = percentile_interval(reps, confidence)
    th = threshold_of([base.noise, other.noise, base.layout, other.layout], floor, extra)
    v, why = verdict(ratio, ci, th)
    return Comparison(ratio, ci, th, v, why, [math.log(r) for r in reps])


def combine(log_terms: list, thresholds: list, confidence: float = CONFIDENCE) -> Comparison:
    """A geometric-mean effect from several comparisons.  log_terms: one list per
    comparison, [log point estimate] + its log replicates (aligned across
    comparisons: replicate i of every cell is the same draw wherever the cell
    appears).  The threshold is the geometric mean of the comparisons' thresholds."""
    k = len(log_terms)
    if k == 0:
        return Comparison(None, None, None, NO_DATA, "no pairs")
    point = math.exp(sum(t[0] for t in log_terms) / k)
    if min(len(t) for t in log_terms) <= 1:
        return Comparison(point, None, None, NO_DATA, f"fewer than {MIN_SAMPLES} samples")
    reps = [sum(col) / k for col in zip(*log_terms)][1:]
    lo, hi = percentile_interval(reps, confidence)
    ci = (math.exp(lo), math.exp(hi))
    th = math.expm1(sum(math.log1p(x) for x in thresholds) / k)
    v, why = verdict(point, ci, th)
    return Comparison(point, ci, th, v, why, reps)


def geomean(xs) -> float | None:
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def wilson_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple | None:
    """Interval of a proportion k/n (Wilson score)."""
    if n == 0:
        return None
    z = pystats.NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)
