"""End to end on a small real build: simd/reduce built with -DFB_REMARKS=ON,
its assembly analysed (analyze.py), then the sweep's why step (why/step.py):
a perf profile mapped onto the stored assembly, flame graph, remarks and
counters; and scripts/profile.sh on the build directory.  Skips (saying why)
without perf or when perf may not record here."""
import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from whytest import ROOT

from flagbench import paths
from flagbench.why import counters, profile, step

KERNEL = "simd/reduce"
VARIANTS = ["scalar", "autovec"]


def perf_works() -> str | None:
    if not shutil.which("perf"):
        return "perf is not installed"
    with tempfile.TemporaryDirectory() as d:
        ok, why = profile.record(["true"], f"{d}/p.data", counters.event()["event"], callgraph=False)
    return None if ok else f"perf record does not work here: {why}"


SKIP = perf_works()


@unittest.skipIf(SKIP, SKIP)
class WhyStepOnARealBuild(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-why-e2e-")
        cls.build = Path(cls.tmp.name) / "build"
        for cmd in (["cmake", "-S", str(ROOT), "-B", str(cls.build), "-G", "Ninja", "-DFB_OPT=O3",
                     "-DFB_REMARKS=ON", f"-DFB_KERNELS=^{KERNEL}$"],
                    ["cmake", "--build", str(cls.build), "-j2"]):
            subprocess.run(cmd, check=True, capture_output=True)
        cls.exe = cls.build / "bin" / "simd_reduce"
        cls.kdir = Path(cls.tmp.name) / "configs" / "c" / "kernels" / "simd_reduce"
        subprocess.run([*paths.module_command("flagbench.asm.analyze"), "--binary", str(cls.exe),
                        "--kernel", KERNEL, "--variants", ",".join(VARIANTS), "--arch", "x86_64",
                        "--target-cpu", "x86-64", "--no-mca", "--out", str(cls.kdir / "asm")],
                       check=True, capture_output=True, env=paths.module_env())
        cls.result = step.kernel_why(cls.build, cls.exe, KERNEL, VARIANTS, cls.kdir, size="100000",
                                     reps=2000, callgrind_size="10000")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_files_written(self):
        for v in VARIANTS:
            for name in (f"profile/{v}.json", f"profile/{v}.folded", f"profile/{v}.svg", f"counters/{v}.json"):
                self.assertTrue((self.kdir / name).exists(), name)
        self.assertTrue((self.kdir / "remarks.json").exists())
        self.assertGreater(self.result["seconds"], 0)

    def test_samples_land_on_the_stored_lines_and_loop(self):
        doc = json.loads((self.kdir / "profile" / "scalar.json").read_text())
        self.assertNotIn("lines_why", doc)
        self.assertGreater(doc["samples"], 50)
        self.assertGreater(doc["function_percent"], 30)        # the kernel loop dominates the run
        text = (self.kdir / "asm" / "scalar.s").read_text().split("\n")
        for ln in doc["line_percent"]:
            self.assertTrue(text[int(ln) - 1].startswith("\t"), text[int(ln) - 1])
        hot = next(lp for lp in doc["loops"] if lp["index"] == doc["hottest_loop"])
        self.assertGreater(hot["percent_of_function"], 80)
        self.assertEqual(hot["bytes_per_iteration"], 4)          # one float per iteration

    def test_remarks_of_the_hot_functions(self):
        rem = json.loads((self.kdir / "remarks.json").read_text())
        self.assertGreater(rem["files"], 0)
        self.assertEqual(sorted(rem["functions"]), ["reduce_autovec", "reduce_scalar"])
        # GCC -O3 vectorizes neither float sum (no -ffast-math): a missed remark with its reason
        self.assertTrue(rem["functions"]["reduce_autovec"]["missed"] or
                        rem["functions"]["reduce_autovec"]["vectorized"])

    def test_counters(self):
        c = json.loads((self.kdir / "counters" / "autovec.json").read_text())
        self.assertIn("supported", c["perf_stat"])
        if not c["perf_stat"]["supported"]:
            self.assertIn("no hardware performance counters", c["perf_stat"]["why"])
        cg = c["callgrind"]
        if shutil.which("valgrind"):
            self.assertGreater(cg["function_instructions"], 10000)
            self.assertGreater(cg["instructions"], cg["function_instructions"])

    def test_profile_sh_by_hand(self):
        with tempfile.TemporaryDirectory() as out:
            p = subprocess.run([str(ROOT / "scripts/profile.sh"), "--size", "100000", "--reps", "1000",
                                "--no-callgrind", "--out", out, str(self.build), f"{KERNEL}/scalar"],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("== simd/reduce/scalar", p.stdout)
            self.assertRegex(p.stdout, r"loop \d+ \(lines \d+-\d+, innermost\): [\d.]+% of samples")
            self.assertIn("flame graph: ", p.stdout)
            self.assertIn("remarks: ", p.stdout)
            bad = subprocess.run([str(ROOT / "scripts/profile.sh"), str(self.build), "simd/nope"],
                                 capture_output=True, text=True)
            self.assertEqual(bad.returncode, 1)
            self.assertIn("no kernel simd/nope", bad.stderr)

    def test_v4_build_is_not_measurable_with_valgrind(self):
        if not shutil.which("valgrind"):
            self.skipTest("valgrind not installed")
        b4 = Path(self.tmp.name) / "build-v4"
        for cmd in (["cmake", "-S", str(ROOT), "-B", str(b4), "-G", "Ninja", "-DFB_MARCH=x86-64-v4",
                     f"-DFB_KERNELS=^{KERNEL}$"], ["cmake", "--build", str(b4), "-j2"]):
            subprocess.run(cmd, check=True, capture_output=True)
        from flagbench.why import callgrind
        got = callgrind.instructions(str(b4 / "bin" / "simd_reduce"), "avx512", "1000", 1, ["reduce_avx512"])
        self.assertFalse(got["supported"])
        self.assertIn(callgrind.NOT_MEASURABLE, got["why"])


if __name__ == "__main__":
    unittest.main()
