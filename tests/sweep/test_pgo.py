"""PGO through the sweep: instrumented build, train run, profile, optimized
build, for GCC and Clang; and a profile that no longer matches the source is
an error, not a silent no-op."""
import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import fixture_tree

KERNEL = "simd/reduce"


class PgoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("clang-19"):
            raise unittest.SkipTest("clang-19 is not installed")
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-pgo-test-")
        base = Path(cls.tmp.name)
        (base / "src").mkdir()
        cls.tree = fixture_tree.make(base / "src")
        cls.builds, cls.run_dir = base / "builds", base / "run"
        cls.result = subprocess.run(
            [str(cls.tree / "scripts/sweep.sh"), "--no-deps", "--matrix", "pgo", "--kernels",
             f"^{KERNEL}$", "--size", "test", "--no-time", "--no-mca", "--build-root",
             str(cls.builds), "--out", str(cls.run_dir)], capture_output=True, text=True, timeout=1200)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def build(self, config):
        return json.loads((self.run_dir / "configs" / config / "build.json").read_text())

    def test_both_families_train_on_the_train_size_and_build(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr[-3000:])
        for config in ("gcc12.O2.v1.pgo", "clang19.O2.v1.pgo"):
            rec = self.build(config)
            self.assertEqual(rec["status"], "ok", rec.get("message"))
            self.assertEqual(rec["pgo"]["train_size"], "train")
            self.assertEqual(rec["pgo"]["runs"], {KERNEL: "exit 0"})
            checks = json.loads((self.run_dir / "configs" / config / "kernels/simd_reduce/check.json")
                                .read_text())
            self.assertTrue(all(c["status"] in ("ok", "unsupported") for c in checks.values()))
        self.assertGreater(self.build("gcc12.O2.v1.pgo")["pgo"]["profiles"], 0)
        self.assertTrue((self.builds / "clang19.O2.v1.pgo/profile/merged.profdata").exists())
        flags = json.loads((self.run_dir / "plan.json").read_text())["configs"]
        gen = {c["id"]: c.get("flags_pgo_generate") for c in flags}
        self.assertIn("-fprofile-update=atomic", gen["gcc12.O2.v1.pgo"]["compile"])

    def stale_build(self, config, toolchain, words):
        """Rebuilds the kernel, changed, against the profile of the original."""
        self.assertEqual(self.result.returncode, 0, self.result.stderr[-3000:])
        src = Path(self.tmp.name) / f"stale-{config}"
        shutil.copytree(self.tree, src, ignore=shutil.ignore_patterns("results"))
        reduce_c = src / "kernels/simd/reduce.c"
        text = reduce_c.read_text()
        old = "FB_HOT float reduce_autovec(const float *a, const float *b, size_t n)\n{\n"
        self.assertIn(old, text)
        reduce_c.write_text(text.replace(old, old + "    if (n == 12345) return -1.0f;\n"))
        build = Path(self.tmp.name) / f"stale-build-{config}"
        profile = self.builds / config / "profile"
        r = subprocess.run(["cmake", "-S", str(src), "-B", str(build), "-G", "Ninja",
                            f"-DCMAKE_TOOLCHAIN_FILE={src / toolchain}", "-DBUILD_TESTING=OFF",
                            f"-DFB_KERNELS=^{KERNEL}$", "-DFB_PGO=use", f"-DFB_PGO_DIR={profile}"],
                           capture_output=True, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run(["ninja", "-C", str(build)], capture_output=True, text=True, timeout=600)
        self.assertNotEqual(r.returncode, 0, "a stale profile was accepted")
        self.assertRegex(r.stdout + r.stderr, words)

    def test_gcc_rejects_a_stale_profile(self):
        self.stale_build("gcc12.O2.v1.pgo", "toolchains/gcc.cmake", r"coverage-mismatch|control flow")

    def test_clang_rejects_a_stale_profile(self):
        self.stale_build("clang19.O2.v1.pgo", "toolchains/clang-19.cmake",
                         r"profile-instr-out-of-date|out of date")


if __name__ == "__main__":
    unittest.main()
