"""Statistics on synthetic samples with known answers (docs/statistics.md)."""
import math
import random
import statistics as pystats
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "lib"))

from flagbench.report import statistics as st  # noqa: E402


def sample(rng, n, center, noise):
    """n per-process times around `center` with relative Gaussian noise."""
    return [center * (1 + rng.gauss(0, noise)) for _ in range(n)]


def summarize(xs, name):
    return st.summarize(xs, st.seed_for("test", name))


class ExactBootstrap(unittest.TestCase):
    def test_distribution_sums_to_one_and_matches_resampling(self):
        rng = random.Random(7)
        for n in (3, 4, 5, 6, 9, 10, 30):
            xs = [round(rng.gauss(100, 5), 1) for _ in range(n)]
            dist = st.median_bootstrap_distribution(xs)
            self.assertAlmostEqual(sum(p for _, p in dist), 1.0, places=9)
            exact_mean = sum(v * p for v, p in dist)
            mc = [pystats.median(rng.choices(xs, k=n)) for _ in range(40000)]
            self.assertAlmostEqual(exact_mean, pystats.mean(mc), delta=0.15, msg=f"n={n}")
            # The exact 95% interval brackets the Monte Carlo one within a grid step.
            mc.sort()
            self.assertLessEqual(abs(st.quantile_of(dist, 0.025) - mc[1000]), 2.5)
            self.assertLessEqual(abs(st.quantile_of(dist, 0.975) - mc[39000]), 2.5)

    def test_ties_and_constant_samples(self):
        s = summarize([5.0] * 8, "const")
        self.assertEqual(s.ci, (5.0, 5.0))
        self.assertEqual(s.noise, 0.0)
        self.assertEqual(set(s.replicates), {5.0})

    def test_deterministic(self):
        xs = sample(random.Random(1), 12, 100, 0.02)
        self.assertEqual(summarize(xs, "x").replicates, summarize(xs, "x").replicates)
        self.assertNotEqual(summarize(xs, "x").replicates, summarize(xs, "y").replicates)

    def test_too_few_samples_give_no_interval(self):
        s = summarize([1.0, 2.0], "two")
        self.assertIsNone(s.ci)
        c = st.compare(s, summarize([1.0, 2.0, 3.0], "three"))
        self.assertEqual(c.verdict, st.NO_DATA)

    def test_large_samples_use_resampling(self):
        xs = sample(random.Random(3), st.EXACT_UP_TO + 50, 100, 0.01)
        s = summarize(xs, "big")
        self.assertLess(s.ci[0], s.median)
        self.assertGreater(s.ci[1], s.median)


class Verdicts(unittest.TestCase):
    def test_identical_distributions_are_no_difference(self):
        rng = random.Random(11)
        a, b = sample(rng, 30, 1000, 0.02), sample(rng, 30, 1000, 0.02)
        c = st.compare(summarize(a, "a"), summarize(b, "b"))
        self.assertEqual(c.verdict, st.SAME, c)

    def test_five_percent_shift_with_low_noise_is_detected(self):
        rng = random.Random(12)
        base, faster = sample(rng, 12, 1000, 0.005), sample(rng, 12, 1000 / 1.05, 0.005)
        c = st.compare(summarize(base, "base"), summarize(faster, "faster"))
        self.assertEqual(c.verdict, st.FASTER, c)
        self.assertAlmostEqual(c.ratio, 1.05, delta=0.01)
        self.assertLessEqual(c.ci[0], c.ratio)
        self.assertGreaterEqual(c.ci[1], c.ratio)
        c = st.compare(summarize(faster, "faster"), summarize(base, "base"))
        self.assertEqual(c.verdict, st.SLOWER, c)

    def test_half_percent_shift_under_three_percent_noise_is_not_called(self):
        for seed in range(20):
            rng = random.Random(100 + seed)
            base, shifted = sample(rng, 30, 1000, 0.03), sample(rng, 30, 1000 / 1.005, 0.03)
            c = st.compare(summarize(base, f"b{seed}"), summarize(shifted, f"s{seed}"))
            self.assertEqual(c.verdict, st.SAME, (seed, c))

    def test_change_below_the_noise_is_never_a_win_however_many_samples(self):
        # 2% better, 4% noise, 300 samples: the interval alone would call it.
        rng = random.Random(5)
        base, other = sample(rng, 300, 1000, 0.04), sample(rng, 300, 1000 / 1.02, 0.04)
        c = st.compare(summarize(base, "b"), summarize(other, "o"))
        self.assertGreater(c.ci[0], 1.0)
        self.assertEqual(c.verdict, st.SAME)
        self.assertIn("noise", c.reason)

    def test_floor_and_extra_threshold(self):
        rng = random.Random(8)
        base, other = sample(rng, 20, 1000, 0.001), sample(rng, 20, 1000 / 1.008, 0.001)
        sb, so = summarize(base, "b"), summarize(other, "o")
        self.assertEqual(st.compare(sb, so).verdict, st.SAME)                 # below the 1% floor
        self.assertEqual(st.compare(sb, so, floor=0.002).verdict, st.FASTER)
        self.assertEqual(st.compare(sb, so, floor=0.002, extra=0.02).verdict, st.SAME)  # A/A term

    def test_false_positive_rate_on_aa_pairs_is_low(self):
        """Many A/A pairs with realistic sample counts: the rule must call
        (far) fewer than 5% of them, while the interval alone calls more."""
        rng = random.Random(2024)
        wrong = ci_wrong = 0
        pairs = 300
        for i in range(pairs):
            noise = rng.choice([0.003, 0.01, 0.03])
            n = rng.choice([6, 10, 30])
            a, b = sample(rng, n, 500, noise), sample(rng, n, 500, noise)
            c = st.compare(summarize(a, f"a{i}"), summarize(b, f"b{i}"))
            wrong += c.verdict != st.SAME
            ci_wrong += not (c.ci[0] <= 1 <= c.ci[1])
        self.assertLess(wrong / pairs, 0.05)
        self.assertLessEqual(wrong, ci_wrong)

    def test_interval_coverage(self):
        """The 95% interval of a ratio holds the true ratio about 95% of the time."""
        covered, trials = 0, 200
        for i in range(trials):
            rng = random.Random(1000 + i)
            a, b = sample(rng, 12, 1000, 0.01), sample(rng, 12, 1000 / 1.05, 0.01)
            c = st.compare(summarize(a, f"a{i}"), summarize(b, f"b{i}"))
            covered += c.ci[0] <= 1.05 <= c.ci[1]
        self.assertGreater(covered / trials, 0.9)

    def test_ratio_symmetry_on_log_scale(self):
        self.assertEqual(st.verdict(1.05, (1.045, 1.06), 0.04)[0], st.FASTER)
        self.assertEqual(st.verdict(1 / 1.05, (1 / 1.06, 1 / 1.045), 0.04)[0], st.SLOWER)
        self.assertEqual(st.verdict(1.03, (1.02, 1.04), 0.04)[0], st.SAME)

    def test_the_whole_interval_must_clear_the_band(self):
        """+3% beyond a 1% band is not called while the interval reaches down to +0.1%."""
        v, why = st.verdict(1.03, (1.001, 1.06), 0.01)
        self.assertEqual(v, st.SAME)
        self.assertIn("reaches into", why)
        self.assertEqual(st.verdict(1.03, (1.011, 1.06), 0.01)[0], st.FASTER)


class GeometricMeans(unittest.TestCase):
    def test_combine_of_identical_effects(self):
        rng = random.Random(9)
        terms = []
        for i in range(4):
            a = summarize(sample(rng, 10, 100, 0.003), f"a{i}")
            b = summarize(sample(rng, 10, 100 / 1.2, 0.003), f"b{i}")
            terms.append([math.log(a.median / b.median)] +
                         [math.log(x / y) for x, y in zip(a.replicates, b.replicates)])
        c = st.combine(terms, [0.01] * 4)
        self.assertAlmostEqual(c.ratio, 1.2, delta=0.01)
        self.assertEqual(c.verdict, st.FASTER)
        self.assertLess(c.ci[0], c.ratio)
        self.assertGreater(c.ci[1], c.ratio)

    def test_combine_empty(self):
        self.assertEqual(st.combine([], []).verdict, st.NO_DATA)

    def test_wilson(self):
        lo, hi = st.wilson_interval(0, 28)
        self.assertEqual(lo, 0.0)
        self.assertAlmostEqual(hi, 0.1206, places=3)
        self.assertIsNone(st.wilson_interval(0, 0))

    def test_robust_noise(self):
        xs = [100, 101, 99, 100, 102, 98, 100, 500]  # one outlier does not move it much
        self.assertLess(st.robust_noise(xs), 0.03)


if __name__ == "__main__":
    unittest.main()
