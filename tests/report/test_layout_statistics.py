"""Statistics over layout seeds, verdicts across many comparisons, and the
sequential stopping rule, on simulated two-level data with known answers
(docs/statistics.md, "Layout seeds" and "How often a verdict is wrong").

Two-level data: a cell's time under layout seed s is exp(mu + b_s + e), with
b_s ~ N(0, sb) fixed per seed (where the code landed) and e ~ N(0, sw) per
process.  Run with -v to print the measured rates the docs quote.
"""
import math
import random
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "lib"))

from flagbench import timing  # noqa: E402
from flagbench.report import statistics as st  # noqa: E402

SEEDS = 4
VERBOSE = "-v" in sys.argv


def report(text):
    if VERBOSE:
        print(f"\n    {text}", file=sys.stderr)


class SimulatedCell:
    """A cell whose code runs in `center` ns, moved by layout and process noise."""

    def __init__(self, rng, center, sb, sw, seeds=range(SEEDS)):
        self.rng, self.center, self.sw = rng, center, sw
        self.effect = {s: rng.gauss(0, sb) for s in seeds}

    def draw(self, seed):
        return self.center * math.exp(self.effect[seed] + self.rng.gauss(0, self.sw))


def two_level(rng, center, sb, sw, per_seed):
    cell = SimulatedCell(rng, center, sb, sw)
    xs, seeds = [], []
    for s in range(SEEDS):
        for _ in range(per_seed):
            xs.append(cell.draw(s))
            seeds.append(s)
    return xs, seeds


class TwoLevelBootstrap(unittest.TestCase):
    def test_coverage_of_the_cell_interval(self):
        """The 95% interval of a cell holds the true center 93-97% of the time,
        whatever the mix of layout spread and process noise."""
        designs = [(sb, sw, k) for sb, sw in ((0.0, 0.01), (0.01, 0.01), (0.03, 0.005), (0.005, 0.02))
                   for k in (1, 2, 3)]
        trials = 150
        covered = total = 0
        for d, (sb, sw, k) in enumerate(designs):
            rng = random.Random(500 + d)
            hit = 0
            for i in range(trials):
                xs, seeds = two_level(rng, 1000.0, sb, sw, k)
                s = st.summarize(xs, st.seed_for("cov", d, i), replicates=500, seeds=seeds)
                hit += s.ci[0] <= 1000.0 <= s.ci[1]
            covered += hit
            total += trials
            report(f"layout sd {sb:.1%}, process sd {sw:.1%}, {k}/seed: coverage {hit / trials:.0%}")
        rate = covered / total
        report(f"two-level coverage over {total} simulated cells: {rate:.1%}")
        self.assertGreaterEqual(rate, 0.93)
        self.assertLessEqual(rate, 0.97)

    def test_layout_spread_is_reported(self):
        rng = random.Random(3)
        xs, seeds = two_level(rng, 1000.0, 0.05, 0.001, 2)
        s = st.summarize(xs, 1, seeds=seeds)
        self.assertGreater(s.layout, 0.02)
        self.assertEqual(sorted(s.seed_medians), list(range(SEEDS)))
        flat, seeds = two_level(rng, 1000.0, 0.0, 0.001, 2)
        self.assertLess(st.summarize(flat, 1, seeds=seeds).layout, 0.003)

    def test_layout_sensitive_code_is_not_called_different(self):
        """Two placements of the same code whose speed depends on where it
        lands (8% sd between seeds): the band holds the layout spread, so no
        call, and the spread is what the cells report."""
        wrong = 0
        for i in range(100):
            rng = random.Random(900 + i)
            a = st.summarize(*two_level(rng, 1000.0, 0.08, 0.003, 1)[:1], st.seed_for("a", i),
                             replicates=500, seeds=list(range(SEEDS)))
            b = st.summarize(*two_level(rng, 1000.0, 0.08, 0.003, 1)[:1], st.seed_for("b", i),
                             replicates=500, seeds=list(range(SEEDS)))
            wrong += st.compare(a, b).verdict != st.SAME
        report(f"layout-sensitive (8% between seeds) placement pairs called different: {wrong}/100")
        self.assertLessEqual(wrong, 1)


def simulate_kernel(rng, effects, sb, sw, policy, name):
    """One kernel: a baseline cell and one cell per true effect (a speedup
    factor), timed with the sweep's own stopping rule (timing._active);
    returns the final comparisons against the baseline."""
    sims, cells = [], []
    for j, eff in enumerate([1.0] + effects):
        sims.append(SimulatedCell(rng, 1000.0 / eff, sb, sw))
        cells.append(timing.TimingJob(f"c{j}", "v", {s: None for s in range(SEEDS)}, 1, baseline=j == 0))
    rounds = 0
    while True:
        active = timing._active(cells, policy, out_of_time=False)
        if not active:
            break
        rounds += 1
        for c in active:
            seed = c.next_seed()
            c.samples.append({"median_ns": sims[cells.index(c)].draw(seed), "seed": seed})
    summaries = [timing.summary_of(c, st.seed_for(name, c.config), 1000) for c in cells]
    return [st.compare(summaries[0], s) for s in summaries[1:]], [len(c.samples) for c in cells]


class ManyComparisons(unittest.TestCase):
    def test_fdr_holds_and_power_is_reported(self):
        """Null cells mixed with true 3% and 10% speedups, judged together
        with Benjamini-Hochberg: the share of false calls among all calls stays
        at or below q, and most real changes are still found."""
        q = 0.05
        rng = random.Random(77)
        truth, comps = [], []
        for i in range(400):
            kind = rng.choice([1.0, 1.0, 1.0, 1.03, 1.10])
            sb, sw = rng.choice([(0.002, 0.003), (0.005, 0.005), (0.01, 0.01)])
            a = st.summarize(*two_level(rng, 1000.0, sb, sw, 2)[:1], st.seed_for("fa", i), replicates=500,
                             seeds=[s for s in range(SEEDS) for _ in range(2)])
            b = st.summarize(*two_level(rng, 1000.0 / kind, sb, sw, 2)[:1], st.seed_for("fb", i),
                             replicates=500, seeds=[s for s in range(SEEDS) for _ in range(2)])
            truth.append(kind)
            comps.append(st.compare(a, b))
        keep = st.benjamini_hochberg([st.p_value(c, c.log_replicates) for c in comps], q)
        called = [i for i, c in enumerate(comps) if c.verdict in (st.FASTER, st.SLOWER) and keep[i]]
        false = [i for i in called if truth[i] == 1.0 or comps[i].verdict == st.SLOWER]
        fdp = len(false) / max(1, len(called))
        power3 = sum(i in called for i, t in enumerate(truth) if t == 1.03) / truth.count(1.03)
        power10 = sum(i in called for i, t in enumerate(truth) if t == 1.10) / truth.count(1.10)
        report(f"FDR simulation: {len(called)} calls, {len(false)} false ({fdp:.1%}); "
               f"power 3%: {power3:.0%}, 10%: {power10:.0%}")
        self.assertLessEqual(fdp, q)
        self.assertGreater(power10, 0.9)

    def test_bh_is_the_step_up_rule(self):
        self.assertEqual(st.benjamini_hochberg([0.001, 0.04, 0.03, 0.5], 0.05), [True, False, False, False])
        self.assertEqual(st.benjamini_hochberg([0.01, 0.02, 0.03, 0.04], 0.05), [True] * 4)
        self.assertEqual(st.benjamini_hochberg([], 0.05), [])


class AATerm(unittest.TestCase):
    def test_the_term_is_what_the_intervals_do_not_explain(self):
        self.assertEqual(st.interval_miss((0.98, 1.03)), 0.0)
        self.assertAlmostEqual(st.interval_miss((1.02, 1.04)), math.log(1.02))
        self.assertAlmostEqual(st.interval_miss((0.9, 0.95)), -math.log(0.95))
        self.assertEqual(st.interval_miss(None), 0.0)

    def test_many_identical_pairs_do_not_widen_the_band(self):
        """Thirty timings of identical code: the largest |ln ratio| between
        them grows with their number, the largest interval miss stays near 0."""
        rng = random.Random(5)
        cells = [st.summarize(*two_level(rng, 1000.0, 0.005, 0.005, 2)[:1], st.seed_for("aa", i),
                              replicates=500, seeds=[s for s in range(SEEDS) for _ in range(2)])
                 for i in range(30)]
        pairs = [st.compare(a, b) for i, a in enumerate(cells) for b in cells[i + 1:]]
        largest_diff = max(abs(math.log(c.ratio)) for c in pairs)
        largest_miss = max(st.interval_miss(c.ci) for c in pairs)
        report(f"30 identical cells, {len(pairs)} pairs: largest difference {math.expm1(largest_diff):.2%}, "
               f"largest interval miss {math.expm1(largest_miss):.2%}")
        self.assertLess(largest_miss, st.NOISE_FLOOR / 2)
        self.assertGreater(largest_diff, 2 * largest_miss)


class SequentialDesign(unittest.TestCase):
    policy = timing.Policy(min_samples=SEEDS, max_samples=3 * SEEDS, replicates=300)

    def test_false_calls_and_power_of_the_stopping_rule(self):
        """The sweep's sequential rule (stop a cell once its verdict is decided)
        on simulated kernels: placement-only cells are called different in at
        most 1% of cases, a real 3% change in a low-noise kernel is called
        slower, and the rule saves samples."""
        rng = random.Random(4242)
        null_calls = null_total = 0
        slow_found = slow_total = 0
        used = []
        for k in range(48):
            sb, sw = [(0.002, 0.002), (0.005, 0.005), (0.01, 0.01), (0.03, 0.005)][k % 4]
            comps, ns = simulate_kernel(rng, [1.0, 1.0, 1.0, 1 / 1.03], sb, sw, self.policy, f"k{k}")
            used += ns
            for c in comps[:3]:
                null_total += 1
                null_calls += c.verdict != st.SAME
            if sb + sw <= 0.004:      # a low-noise kernel: layout and process noise 0.2% each
                slow_total += 1
                slow_found += comps[3].verdict == st.SLOWER
        report(f"sequential rule: {null_calls}/{null_total} placement-only cells called different; "
               f"3% slower found in {slow_found}/{slow_total} low-noise kernels; "
               f"{sum(used) / len(used):.1f} processes per cell (cap {self.policy.max_samples})")
        self.assertLessEqual(null_calls / null_total, 0.01)
        self.assertEqual(slow_found, slow_total)


if __name__ == "__main__":
    unittest.main()
