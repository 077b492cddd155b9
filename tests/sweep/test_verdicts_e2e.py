"""End-to-end verdicts on fixture kernels with known answers, timed for real
(tests/sweep/verdicts/, matrix tests/sweep/verdicts.matrix):

- the identical-code shortcut never hides a difference: a constant table, the
  FP environment (-ffast-math on denormals) and a dispatch target each change
  the speed without changing the hot function's instructions, and each is
  timed on its own and called different;
- 3% of real extra work in a low-noise kernel is called slower;
- a kernel whose speed depends on where it lands is called "no difference"
  across configurations that only move code, and its per-seed spread is
  reported;
- layout seeds move the code and leave its code_hash alone.
"""
import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import fixture_tree

FIXTURE_AXIS = """axis fixture
  value base id=
    all:
  value table
    doc: test only: vfix/table reads a table with larger entries
    all.compile: -DFB_FIX_TABLE=1
  value target
    doc: test only: vfix/dispatch's target does twice the work
    all.compile: -DFB_FIX_TARGET=1
  value extra3
    doc: test only: vfix/extra does 3% more work
    all.compile: -DFB_FIX_EXTRA=3
"""
BASE = "gcc12.O2.v1"


class VerdictsEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-verdicts-test-")
        src = Path(cls.tmp.name) / "src"
        src.mkdir()
        cls.tree = fixture_tree.make(src, kernels=(), families=(("verdicts", "vfix"),),
                                     axes_extra=FIXTURE_AXIS)
        cls.run_dir = Path(cls.tmp.name) / "run"
        cls.result = subprocess.run(
            [str(cls.tree / "scripts/sweep.sh"), "--no-deps", "--matrix", "verdicts", "--kernels", "^vfix/",
             "--no-mca", "--jobs", "2", "--build-root", str(Path(cls.tmp.name) / "builds"),
             # Power for the 3% cell.  A cell's interval comes from its
             # seeds (t with seeds - 1 degrees of freedom), and in this matrix
             # most comparisons are null, so false-discovery-rate control
             # keeps a call only well clear of its band: with 4 seeds and
             # ~1.5% process noise, 3% was left undecided in 2 of 3 quiet
             # runs; 8 seeds call it.
             "--seeds", "8", "--max-samples", "64", "--time-per-kernel", "16",
             "--out", str(cls.run_dir)], capture_output=True, text=True, timeout=1500)
        summary = cls.run_dir / "tables/summary.json"
        cls.cells = {}
        if summary.exists():
            for c in json.loads(summary.read_text())["cells"]:
                cls.cells[(c["kernel"], c["config"])] = c

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def kernel_file(self, config, kernel, *parts):
        return json.loads((self.run_dir / "configs" / config / "kernels" / kernel.replace("/", "_")
                           / Path(*parts)).read_text())

    def verdict(self, kernel, config):
        return self.cells[(kernel, config)]["vs_baseline"]["verdict"]

    def test_the_sweep_finishes_cleanly(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr[-3000:])

    def assert_not_merged_and_called(self, kernel, variant, config, want):
        asm_base = self.kernel_file(BASE, kernel, "asm", f"{variant}.json")
        timing = self.kernel_file(config, kernel, "time", f"{variant}.json")
        self.assertIsNone(timing.get("same_as"), timing)
        self.assertGreaterEqual(timing["n"], 4)
        self.assertEqual(self.verdict(kernel, config), want, self.cells[(kernel, config)]["vs_baseline"])
        return asm_base, self.kernel_file(config, kernel, "asm", f"{variant}.json")

    def test_a_constant_table_change_is_timed_and_called(self):
        base, other = self.assert_not_merged_and_called("vfix/table", "lookup", f"{BASE}.table", "slower")
        self.assertEqual(base["code_hash"], other["code_hash"])      # the instructions did not change
        self.assertNotEqual(base["data_hash"], other["data_hash"])  # the data they read did

    def test_fast_math_on_denormals_is_timed_and_called(self):
        base, other = self.assert_not_merged_and_called("vfix/denormal", "scale", f"{BASE}.fastmath", "faster")
        self.assertEqual(base["code_hash"], other["code_hash"])
        line = self.kernel_file(f"{BASE}.fastmath", "vfix/denormal", "check.json")["scale"]["line"]
        self.assertIn("ftz=1", line["fpenv"])

    def test_a_dispatch_target_change_is_timed_and_called(self):
        self.assert_not_merged_and_called("vfix/dispatch", "run", f"{BASE}.target", "slower")

    def test_three_percent_of_extra_work_is_called_slower(self):
        timing = self.kernel_file(f"{BASE}.extra3", "vfix/extra", "time", "chain.json")
        self.assertIsNone(timing.get("same_as"), timing)
        vs = self.cells[("vfix/extra", f"{BASE}.extra3")]["vs_baseline"]
        # The true ratio lies inside the reported interval, widened by the
        # cell's own noise band: what a verdict claims to resolve.
        band = 1 + vs["threshold"]
        self.assertLessEqual(vs["ci"][0] / band, 1 / 1.03, vs)
        self.assertGreaterEqual(vs["ci"][1] * band, 1 / 1.03, vs)
        # Power is promised for a low-noise kernel: 3% against a band of at
        # most 1.5% (twice the band).  A machine noisy enough to widen the
        # band past that (other jobs beside the test, a busy VM host) makes
        # the kernel noisy, and then leaving 3% undecided is the rule working,
        # not a loss of power.
        if vs["threshold"] > 0.015:
            self.skipTest(f"vfix/extra is not low-noise on this machine now (band ±{vs['threshold']:.1%})")
        self.assertEqual(vs["verdict"], "slower", vs)

    def test_layout_sensitive_code_only_moved_is_no_difference(self):
        base = self.kernel_file(BASE, "vfix/landing", "time", "run.json")
        self.assertGreater(base["layout_spread"], 0.05)          # the seeds found the sensitivity
        for config in (f"{BASE}.p16", f"{BASE}.p48", f"{BASE}.aa"):
            self.assertEqual(self.verdict("vfix/landing", config), "no significant difference", config)
        # The summary names the widest spreads, and does not call the spread placement alone.
        text = (self.run_dir / "tables/summary.md").read_text()
        widest = text.split("**Widest spread between layout seeds**", 1)[1].split("\n", 1)[0]
        self.assertIn("`vfix/landing/run`", widest)
        self.assertIn("process noise", widest)

    def test_layout_seeds_move_code_but_not_instructions(self):
        doc = self.kernel_file(BASE, "vfix/landing", "asm", "run.json")
        seeds = doc["layout"]                     # 0-7, and 8-15 for the A/A duplicate
        self.assertEqual(sorted(seeds, key=int), [str(s) for s in range(16)])
        own = {seeds[str(s)]["function"]["mod64"] for s in range(4)}
        self.assertEqual(len(own), 4, seeds)
        self.assertEqual(len({rec["function"]["mod4096"] for rec in seeds.values()}), 16)
        for s, rec in seeds.items():
            self.assertEqual(rec["code_hash"], doc["code_hash"], s)
            self.assertNotIn("layout_error", rec)


if __name__ == "__main__":
    unittest.main()
