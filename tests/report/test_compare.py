"""scripts/compare.sh on two fixtures: two runs of one matrix on one machine
(run-a, run-b), the same with run-b moved to another machine, and two
configurations of one run."""
import csv
import io
import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from common import FIXTURES, ROOT, assert_golden, script_env

from flagbench.report import compare_drift, compare_runs


def run_compare(*args, cwd=FIXTURES):
    return subprocess.run([str(ROOT / "scripts/compare.sh"), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=script_env(), timeout=120)


class TwoRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-compare-")
        cls.out = Path(cls.tmp.name) / "out"
        # Relative paths: the output names them, and the golden files must not
        # depend on where the repository is.
        cls.r = run_compare("run-a", "run-b", "--out", cls.out)
        cls.doc = json.loads((cls.out / "compare.json").read_text()) if cls.r.returncode == 0 else None

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_and_golden(self):
        self.assertEqual(self.r.returncode, 0, self.r.stderr)
        self.assertEqual(self.r.stdout, (self.out / "compare.md").read_text())
        for name in ("compare.md", "compare.json"):
            with self.subTest(name=name):
                assert_golden(self, f"compare/{name}", (self.out / name).read_text())

    def test_one_side_only(self):
        only_a = {(c["kernel"], c["variant"]) for c in self.doc["only_a"]}
        only_b = {(c["kernel"], c["variant"]) for c in self.doc["only_b"]}
        self.assertEqual(only_a, {("simd/reduce", "autovec")})
        self.assertEqual(only_b, {("simd/reduce", "unrolled")})
        self.assertEqual(len(self.doc["only_a"]), 9)     # one per configuration
        md = self.r.stdout
        self.assertIn("## Only in A (9 cells)", md)
        self.assertIn("## Only in B (9 cells)", md)

    def test_same_machine_and_aa(self):
        self.assertTrue(self.doc["same_machine"])
        self.assertNotIn("Different machines", self.r.stdout)
        aa = self.doc["aa_check"]
        self.assertGreater(aa["pairs"], 20)
        self.assertLessEqual(aa["wrong_by_verdict"] / aa["pairs"], 0.1)

    def test_cells_carry_both_machines_and_statuses(self):
        cell = next(c for c in self.doc["cells"] if c["kernel"] == "simd/reduce" and c["variant"] == "avx2"
                    and c["config"] == "gcc12.O2.v3.lto-full.pgo")
        self.assertEqual(cell["a"]["status"], "wrong result")      # injected into run-a
        self.assertEqual(cell["b_vs_a"]["verdict"], "no verdict")
        self.assertEqual(cell["a"]["machine_id"], cell["b"]["machine_id"])
        verdicts = {c["b_vs_a"]["verdict"] for c in self.doc["cells"]}
        self.assertIn("no significant difference", verdicts)

    def test_csv_matches_json(self):
        rows = list(csv.DictReader(io.StringIO((self.out / "compare.csv").read_text())))
        both = [r for r in rows if r["a_status"] not in ("A only", "B only")]
        self.assertEqual(len(both), len(self.doc["cells"]))
        for r, c in zip(both, self.doc["cells"]):
            self.assertEqual((r["kernel"], r["variant"], r["config"]), (c["kernel"], c["variant"], c["config"]))
            self.assertEqual(r["verdict"], c["b_vs_a"]["verdict"])
            self.assertEqual((r["a_machine_id"], r["b_machine_id"]), (c["a"]["machine_id"], c["b"]["machine_id"]))
        self.assertEqual(len(rows) - len(both), len(self.doc["only_a"]) + len(self.doc["only_b"]))

    def test_ratio_direction(self):
        for c in self.doc["cells"]:
            r = c["b_vs_a"]["ratio"]
            if r is not None:
                self.assertAlmostEqual(r, c["a"]["median_ns"] / c["b"]["median_ns"], places=5)


def drifted_copy(tmp: str, factor: float) -> Path:
    """run-b with every timed sample multiplied by factor (the machine got slower)."""
    b = Path(tmp) / f"run-b-x{factor}"
    shutil.copytree(FIXTURES / "run-b", b)
    for f in b.glob("configs/*/kernels/*/time/*.json"):
        doc = json.loads(f.read_text())
        for sample in doc.get("samples") or []:
            sample["median_ns"] = sample["median_ns"] * factor
        f.write_text(json.dumps(doc))
    return b


class Drift(unittest.TestCase):
    """compare.sh measures drift as the median log ratio of identical-code cells."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-compare-drift-")
        cls.slow = drifted_copy(cls.tmp.name, 1.05)
        cls.r = run_compare("run-a", cls.slow, "--out", Path(cls.tmp.name) / "out")
        cls.doc = json.loads((Path(cls.tmp.name) / "out" / "compare.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_five_percent_drift_fails_and_is_named(self):
        self.assertEqual(self.r.returncode, 1, self.r.stderr)
        self.assertIn("compare: FAILED: drift between the runs: B is 5.0% slower than A", self.r.stderr)
        self.assertIn("--allow-drift", self.r.stderr)
        self.assertIn("> **DRIFT.**", self.r.stdout)
        d = self.doc["drift"]
        self.assertTrue(d["exceeds"])
        self.assertAlmostEqual(d["ratio"], 1 / 1.05, places=3)
        self.assertLess(d["ci"][1], 1)
        self.assertEqual(d["pairs"], self.doc["aa_check"]["pairs"])

    def test_drift_enters_every_threshold(self):
        thresholds = [c["b_vs_a"]["threshold"] for c in self.doc["cells"] if c["b_vs_a"]["threshold"]]
        self.assertTrue(thresholds)
        self.assertGreaterEqual(min(thresholds), 0.01 + 0.049)   # floor plus the drift, at least
        aa = self.doc["aa_check"]
        # Judged without the drift, most identical-code pairs are called different: that is the drift;
        # with it in the threshold, hardly any.
        self.assertGreater(aa["wrong_by_verdict"], aa["pairs"] // 2)
        self.assertLessEqual(aa["wrong_with_drift_threshold"], aa["pairs"] // 10)

    def test_allow_drift_exits_zero_and_still_warns(self):
        r = run_compare("run-a", self.slow, "--allow-drift")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("warning: drift between the runs: B is 5.0% slower than A", r.stderr)
        self.assertIn("> **DRIFT.**", r.stdout)

    def test_no_drift_passes(self):
        with tempfile.TemporaryDirectory(prefix="fb-compare-drift-") as tmp:
            same = drifted_copy(tmp, 1.0)
            r = run_compare("run-a", same)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertNotIn("DRIFT", r.stdout)
            self.assertIn("**Drift:** median ratio A ÷ B of the 44 cells with identical code 1.000", r.stdout)
        rc = compare_runs.RunComparison(FIXTURES / "run-a", FIXTURES / "run-b")
        self.assertFalse(rc.drift["exceeds"])

    def test_small_drift_within_the_floor_passes(self):
        with tempfile.TemporaryDirectory(prefix="fb-compare-drift-") as tmp:
            rc = compare_runs.RunComparison(FIXTURES / "run-a", drifted_copy(tmp, 1.005))
            self.assertAlmostEqual(rc.drift["ratio"], 1 / 1.005, places=3)
            self.assertFalse(rc.drift["exceeds"])

    def test_too_few_identical_cells(self):
        d = compare_drift.measure_drift([], 0.01, 1)
        self.assertFalse(d["exceeds"])
        self.assertIn("drift not measured", d["why"])


class DifferentMachines(unittest.TestCase):
    def test_machines_are_never_mixed_silently(self):
        with tempfile.TemporaryDirectory(prefix="fb-compare-") as tmp:
            b = Path(tmp) / "run-b-elsewhere"
            shutil.copytree(FIXTURES / "run-b", b)
            m = json.loads((b / "manifest.json").read_text())
            m["machine_id"] = "other|Intel Xeon|8"
            m["machine"]["hostname"] = "other"
            m["machine"]["cpu"]["model"] = "Intel Xeon"
            m["machine"]["tools"]["gcc"] = "gcc (Debian 13.2.0) 13.2.0"
            (b / "manifest.json").write_text(json.dumps(m))
            rc = compare_runs.RunComparison(FIXTURES / "run-a", b)
            md = rc.markdown()
            self.assertIn("**Different machines.**", md)
            self.assertIn("| A on vm\\|AMD EPYC\\|2 | B on other\\|Intel Xeon\\|8 |", md)
            self.assertIn("gcc: A `gcc (Debian 12.2.0-14+deb12u1) 12.2.0`, B `gcc (Debian 13.2.0) 13.2.0`", md)
            doc = rc.json_doc()
            self.assertFalse(doc["same_machine"])
            self.assertEqual(doc["aa_check"]["pairs"], 0)
            self.assertFalse(doc["drift"]["exceeds"])
            self.assertIn("different machines", doc["drift"]["why"])
            c = doc["cells"][0]
            self.assertEqual((c["a"]["machine_id"], c["b"]["machine_id"]), ("vm|AMD EPYC|2", "other|Intel Xeon|8"))
            csv_head = rc.csv_text().splitlines()[1]
            self.assertIn("vm|AMD EPYC|2", csv_head)
            self.assertIn("other|Intel Xeon|8", csv_head)


class TwoConfigurations(unittest.TestCase):
    def test_configs_of_one_run(self):
        r = run_compare("run-a", "--configs", "gcc12.O2.v3", "clang19.O2.v3")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("`clang19.O2.v3` against `gcc12.O2.v3`", r.stdout)
        self.assertIn("| inline/cross_tu/static_inline | 139 µs", r.stdout)
        self.assertIn("## Per kernel", r.stdout)

    def test_usage_errors(self):
        self.assertEqual(run_compare("run-a").returncode, 2)
        self.assertEqual(run_compare("run-a", "run-b", "--configs", "x", "y").returncode, 2)
        r = run_compare("run-a", "--configs", "gcc12.O2.v3", "nope")
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a configuration", r.stderr)
        self.assertEqual(run_compare("run-a", str(ROOT / "docs")).returncode, 2)
        self.assertEqual(run_compare("--help").returncode, 0)


if __name__ == "__main__":
    unittest.main()
