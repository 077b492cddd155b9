"""analyze.py (what the sweep runs), scripts/asm.sh and scripts/asmdiff.sh."""
import json
import shutil
import subprocess
import sys
import unittest
from pathlib import Path

import asmtest

ANALYZE = asmtest.LIB / "asm" / "analyze.py"
ASM_SH = asmtest.ROOT / "scripts" / "asm.sh"
ASMDIFF_SH = asmtest.ROOT / "scripts" / "asmdiff.sh"
COLUMNS = ["instructions", "bytes", "vector_width", "fma", "loads", "stores", "calls", "branches",
           "spills", "reloads", "loops"]


def run(*cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120)


def analyze(binary, out, *extra, variants="plain,twice,missing"):
    return run(sys.executable, ANALYZE, "--binary", binary, "--kernel", "fx/dot", "--variants",
               variants, "--arch", "x86_64", "--target-cpu", "x86-64", "--out", out, *extra)


@unittest.skipUnless(asmtest.GCC, "gcc not installed")
class AnalyzeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = asmtest.build("dot.c", asmtest.GCC, "-O2", name="dot-O2-gcc")
        cls.alt = asmtest.build("dot.c", asmtest.GCC, "-O2", "-DALT", name="dot-alt-gcc")
        cls.out = Path(asmtest.tmpdir())
        p = analyze(cls.bin, cls.out / "a", "--no-mca")
        assert p.returncode == 0, p.stderr
        p = analyze(cls.alt, cls.out / "b", "--no-mca")
        assert p.returncode == 0, p.stderr

    def doc(self, side, v):
        return json.loads((self.out / side / f"{v}.json").read_text())

    def test_writes_assembly_and_summary(self):
        d = self.doc("a", "plain")
        for key in ["kernel", "variant", "symbols", "found", "code_hash", "mca"] + COLUMNS:
            self.assertIn(key, d)
        self.assertEqual((d["kernel"], d["variant"], d["found"]), ("fx/dot", "plain", True))
        self.assertEqual(d["symbols"], ["dot_plain"])
        self.assertEqual(d["mca"], {"skipped": "not requested (--no-mca)", "loops": []})
        text = (self.out / "a" / "plain.s").read_text()
        self.assertTrue(text.startswith("dot_plain:\n"))
        self.assertEqual(d["instructions"], text.count("\n\t"))

    def test_missing_variant_is_found_false_with_why(self):
        d = self.doc("a", "missing")
        self.assertFalse(d["found"])
        self.assertIn("no symbol dot_missing", d["why"])
        self.assertFalse((self.out / "a" / "missing.s").exists())

    def test_code_hash_covers_direct_callees(self):
        a, b = self.doc("a", "twice"), self.doc("b", "twice")
        self.assertEqual(a["callees"], ["dot_plain"])
        self.assertEqual((self.out / "a" / "twice.s").read_text(),
                         (self.out / "b" / "twice.s").read_text())
        self.assertNotEqual(a["code_hash"], b["code_hash"])
        self.assertNotEqual(self.doc("a", "plain")["code_hash"], self.doc("b", "plain")["code_hash"])

    def test_unreadable_binary_gives_found_false(self):
        out = Path(asmtest.tmpdir())
        p = analyze(out / "nope", out, "--no-mca", variants="plain")
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot read", json.loads((out / "plain.json").read_text())["why"])

    @unittest.skipUnless(asmtest.MCA, "llvm-mca not installed")
    def test_mca_fields(self):
        out = Path(asmtest.tmpdir())
        p = analyze(self.bin, out, "--mca-cpus", "host,znver4", "--jobs", "2", variants="plain")
        self.assertEqual(p.returncode, 0, p.stderr)
        m = json.loads((out / "plain.json").read_text())["mca"]
        self.assertEqual((m["target_cpu"], m["mcpu"]), ("x86-64", "x86-64"))
        self.assertRegex(m["version"], r"^\d+\.\d+\.\d+$")
        self.assertEqual(set(m["cpus"]), {"x86-64", "host", "znver4"})
        self.assertTrue(m["loops"])
        for loop in m["loops"]:
            self.assertEqual(set(loop["per_cpu"]), {"x86-64", "host", "znver4"})
            for r in loop["per_cpu"].values():
                for key in ("block_rthroughput", "ipc", "uops_per_cycle", "pressure", "unsound"):
                    self.assertIn(key, r)


def make_run(root, configs, build_dir=None):
    """A results run: configs/<id>/ with build.json and kernels/fx_dot/asm/ from analyze.py."""
    for cid, binary in configs.items():
        cdir = root / "configs" / cid
        cdir.mkdir(parents=True)
        if binary is None:
            (cdir / "build.json").write_text(json.dumps(
                {"status": "failed", "message": "cc1: error: bad value 'x86-64-v9' for -march"}))
            continue
        if binary == "partial":
            (cdir / "build.json").write_text(json.dumps(
                {"status": "partial", "kernels_failed": {"fx/dot": "dot.c:3: error: oops"}}))
            continue
        rec = {"status": "ok"}
        if build_dir:
            rec.update(build_dir=str(build_dir), bin_dir=str(build_dir / "bin"))
        (cdir / "build.json").write_text(json.dumps(rec))
        p = analyze(binary, cdir / "kernels" / "fx_dot" / "asm", "--no-mca", variants="plain,twice")
        assert p.returncode == 0, p.stderr
    return root


@unittest.skipUnless(asmtest.GCC, "gcc not installed")
class ScriptTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = asmtest.build("dot.c", asmtest.GCC, "-O2", name="dot-O2-gcc")
        cls.alt = asmtest.build("dot.c", asmtest.GCC, "-O2", "-DALT", name="dot-alt-gcc")
        cls.tmp = Path(asmtest.tmpdir())
        build = cls.tmp / "build"
        (build / "bin").mkdir(parents=True)
        shutil.copy(cls.bin, build / "bin" / "fx_dot")
        (build / "bin" / "kernels.txt").write_text(f"fx/dot {build / 'bin' / 'fx_dot'}\n")
        cls.build = build
        cls.run_dir = make_run(cls.tmp / "run1", {"gcc.O2": cls.bin, "gcc.O2.alt": cls.alt,
                                                   "gcc.O2.v9": None, "gcc.O2.part": "partial"},
                               build_dir=build)
        cls.run2 = make_run(cls.tmp / "run2", {"gcc.O2": cls.alt})

    def test_help(self):
        for script in (ASM_SH, ASMDIFF_SH):
            p = run(script, "--help")
            self.assertEqual(p.returncode, 0)
            self.assertIn("usage:", p.stdout)

    def test_asm_prints_one_function(self):
        p = run(ASM_SH, "--run", self.run_dir, "gcc.O2", "fx/dot/plain")
        self.assertEqual(p.returncode, 0, p.stderr)
        stored = (self.run_dir / "configs/gcc.O2/kernels/fx_dot/asm/plain.s").read_text()
        self.assertEqual(p.stdout, stored)
        # the same from a build directory, captured on the fly
        p = run(ASM_SH, self.build, "fx/dot/plain")
        self.assertEqual((p.returncode, p.stdout), (0, stored), p.stderr)
        p = run(ASM_SH, "--intel", self.build, "fx/dot/plain")
        self.assertIn("\tret\n", p.stdout)
        self.assertNotIn("%", p.stdout)
        # Intel from stored results: the binary is found through build.json's build_dir
        p2 = run(ASM_SH, "--intel", "--run", self.run_dir, "gcc.O2", "fx/dot/plain")
        self.assertEqual((p2.returncode, p2.stdout), (0, p.stdout), p2.stderr)

    def test_asm_clear_messages(self):
        cases = [(["gcc.O2", "fx/dot/nope"], "has no variant 'nope'"),
                 (["gcc.O2.v9", "fx/dot"], "the build failed"),
                 (["gcc.O2.part", "fx/dot/plain"], "fx/dot failed to build (dot.c:3: error: oops)"),
                 (["nosuch", "fx/dot"], "no configuration 'nosuch'"),
                 (["gcc.O2", "fx/other"], "no kernel fx/other")]
        for args, msg in cases:
            with self.subTest(args):
                p = run(ASM_SH, "--run", self.run_dir, *args)
                self.assertEqual(p.returncode, 1)
                self.assertIn(msg, p.stderr)
                self.assertNotIn("Traceback", p.stderr)

    def test_asmdiff_configs(self):
        p = run(ASMDIFF_SH, "--run", self.run_dir, "gcc.O2", "gcc.O2.alt")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("=== fx/dot/plain", p.stdout)
        self.assertIn("--- A/gcc.O2:fx/dot/plain", p.stdout)
        self.assertNotIn("=== fx/dot/twice", p.stdout)
        table = [ln for ln in p.stdout.splitlines() if ln.startswith("| fx/dot/twice")]
        self.assertTrue(table and table[0].rstrip(" |").endswith("same text, callees differ"), table)
        p = run(ASMDIFF_SH, "--run", self.run_dir, "gcc.O2", "gcc.O2", "fx/dot/plain")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("| same", p.stdout)

    def test_asmdiff_build_dir_against_config(self):
        p = run(ASMDIFF_SH, "--run", self.run_dir, self.build, "gcc.O2", "fx/dot")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_asmdiff_whole_runs(self):
        p = run(ASMDIFF_SH, self.run_dir, self.run2)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("gcc.O2: fx/dot/plain", p.stdout)
        self.assertIn("note: only in A (run1): configuration gcc.O2.alt", p.stdout)

    def test_asmdiff_clear_messages(self):
        cases = [(["gcc.O2", "gcc.O2.v9"], "the build failed"),
                 (["gcc.O2", "gcc.O2.alt", "fx/other"], "no kernel fx/other"),
                 (["gcc.O2", str(self.run2)], "compare a run with a run")]
        for args, msg in cases:
            with self.subTest(args):
                p = run(ASMDIFF_SH, "--run", self.run_dir, *args)
                self.assertEqual(p.returncode, 2)
                self.assertIn(msg, p.stderr)
                self.assertNotIn("Traceback", p.stderr)
        p = run(ASMDIFF_SH, "--run", self.run_dir, "gcc.O2", "gcc.O2.alt", "fx/dot/nope")
        self.assertEqual(p.returncode, 2)
        self.assertIn("has no variant 'nope'", p.stdout)

    @unittest.skipUnless(shutil.which("shellcheck"), "shellcheck not installed")
    def test_shellcheck(self):
        p = run("shellcheck", ASM_SH, ASMDIFF_SH)
        self.assertEqual(p.returncode, 0, p.stdout)


if __name__ == "__main__":
    unittest.main()
