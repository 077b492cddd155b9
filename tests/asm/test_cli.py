"""analyze.py (what the sweep runs), scripts/asm.sh and scripts/asmdiff.sh."""
import json
import shutil
import subprocess
import unittest
from pathlib import Path

import asmtest

ASM_SH = asmtest.ROOT / "scripts" / "asm.sh"
ASMDIFF_SH = asmtest.ROOT / "scripts" / "asmdiff.sh"
COLUMNS = ["instructions", "bytes", "vector_width", "fma", "loads", "stores", "calls", "branches",
           "spills", "reloads", "loops"]


def run(*cmd):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=120,
                          env=asmtest.ENV)


def analyze(binary, out, *extra, variants="plain,twice,missing"):
    return run(*asmtest.ANALYZE, "--binary", binary, "--kernel", "fx/dot", "--variants",
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



def without_timings(doc):
    """A summary without the fields that hold seconds."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in ("seconds", "seconds_for_run")}
    if isinstance(doc, list):
        return [without_timings(x) for x in doc]
    return doc


@unittest.skipUnless(asmtest.GCC, "gcc not installed")
class BatchTest(unittest.TestCase):
    """--batch: several binaries in one process, llvm-mca once per CPU for all."""

    @classmethod
    def setUpClass(cls):
        cls.bins = [asmtest.build("dot.c", asmtest.GCC, "-O2", name="dot-O2-gcc"),
                    asmtest.build("dot.c", asmtest.GCC, "-O2", "-DALT", name="dot-alt-gcc")]
        cls.out = Path(asmtest.tmpdir())
        cls.mca = ["--mca-cpus", "znver4"] if asmtest.MCA else ["--no-mca"]
        jobs = [{"binary": b, "kernel": "fx/dot", "variants": ["plain", "twice", "missing"],
                 "out": str(cls.out / f"batch{i}")} for i, b in enumerate(cls.bins)]
        jobs.append({"binary": str(cls.out / "nope"), "kernel": "fx/gone", "variants": ["plain"],
                     "out": str(cls.out / "batch-gone")})
        (cls.out / "jobs.json").write_text(json.dumps(jobs))
        cls.proc = run(*asmtest.ANALYZE, "--batch", cls.out / "jobs.json", "--arch", "x86_64",
                       "--target-cpu", "x86-64", *cls.mca)
        for i, b in enumerate(cls.bins):
            p = analyze(b, cls.out / f"alone{i}", *cls.mca)
            assert p.returncode == 0, p.stderr

    def test_same_summaries_and_texts_as_one_binary_per_process(self):
        for i in range(len(self.bins)):
            for v in ("plain", "twice", "missing"):
                alone = json.loads((self.out / f"alone{i}" / f"{v}.json").read_text())
                batch = json.loads((self.out / f"batch{i}" / f"{v}.json").read_text())
                self.assertEqual(without_timings(batch), without_timings(alone), (i, v))
            for v in ("plain", "twice"):
                self.assertEqual((self.out / f"batch{i}" / f"{v}.s").read_text(),
                                 (self.out / f"alone{i}" / f"{v}.s").read_text())
        if asmtest.MCA:
            self.assertTrue(json.loads((self.out / "batch0" / "plain.json").read_text())["mca"]["loops"])

    def test_reports_each_binary_and_a_bad_one_costs_only_itself(self):
        self.assertEqual(self.proc.returncode, 1, self.proc.stderr)
        said = json.loads(self.proc.stdout.strip().splitlines()[-1])
        self.assertEqual([e["kernel"] for e in said], ["fx/dot", "fx/dot", "fx/gone"])
        self.assertEqual([e["error"] for e in said[:2]], [None, None])
        self.assertIn("cannot read", said[2]["error"])
        gone = json.loads((self.out / "batch-gone" / "plain.json").read_text())
        self.assertFalse(gone["found"])

    def test_usage_errors_are_named(self):
        bad = self.out / "bad.json"
        bad.write_text('[{"binary": "x"}]')
        for args, want in ((["--batch", self.out / "jobs.json", "--binary", self.bins[0]],
                            "--batch replaces --binary"),
                           (["--batch", bad], "--batch " + str(bad)),
                           (["--binary", self.bins[0], "--kernel", "fx/dot"],
                            "--variants, --out (or --batch)")):
            p = run(*asmtest.ANALYZE, *args, "--no-mca")
            self.assertEqual(p.returncode, 2, p.stderr)
            self.assertIn(want, p.stderr)


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


LOOP_A = """f:
\tmovq\t%rdx, %r8
\txorl\t%eax, %eax
\tvxorps\t%xmm0, %xmm0, %xmm0
.L_1111:
\tvmovups\t(%rdi,%rax,4), %ymm1
\tvfmadd231ps\t(%rsi,%rax,4), %ymm1, %ymm0
\taddq\t$0x8, %rax
\tcmpq\t%rax, %r8
\tjne\t.L_1111
\tretq
"""
# The same function with every register renamed (a one-to-one map) and the
# label hashed from the renamed block, as the normalizer would name it.
LOOP_RENAMED = (LOOP_A.replace("%r8", "%r9").replace("%rax", "%rcx").replace("%eax", "%ecx")
                .replace("%ymm1", "%ymm5").replace("%ymm0", "%ymm2").replace("%xmm0", "%xmm2")
                .replace(".L_1111", ".L_2222"))
# A real change: the multiply-add becomes a multiply and an add.
LOOP_CHANGED = LOOP_A.replace("\tvfmadd231ps\t(%rsi,%rax,4), %ymm1, %ymm0\n",
                              "\tvmulps\t(%rsi,%rax,4), %ymm1, %ymm1\n\tvaddps\t%ymm1, %ymm0, %ymm0\n")


def hand_run(root, texts, times=None):
    """A run whose configurations hold the given normalized text for fx/dot/plain
    (one innermost loop on lines 5-10), and optionally timings."""
    for cid, text in texts.items():
        d = root / "configs" / cid / "kernels" / "fx_dot"
        (d / "asm").mkdir(parents=True)
        (root / "configs" / cid / "build.json").write_text('{"status": "ok"}')
        (d / "asm" / "plain.s").write_text(text)
        n = len(text.rstrip("\n").split("\n"))
        lines = [5, 10] if text.count("\n") > 10 else [5, 9]
        (d / "asm" / "plain.json").write_text(json.dumps({
            "kernel": "fx/dot", "variant": "plain", "found": True, "instructions": n - 2,
            "loop_details": [{"index": 1, "lines": lines, "innermost": True, "depth": 1,
                              "items_per_iteration": 8}],
            "mca": {"target_cpu": "x86-64-v3", "loops": [
                {"index": 1, "per_cpu": {"x86-64-v3": {"cycles_per_iteration": 4.0}}}]}}))
        if times and cid in times:
            (d / "time").mkdir()
            (d / "time" / "plain.json").write_text(json.dumps(
                {"samples": [{"median_ns": t} for t in times[cid]]}))
    return root


class AsmdiffLayoutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.run_dir = hand_run(Path(asmtest.tmpdir()), {"a": LOOP_A, "renamed": LOOP_RENAMED,
                                                        "changed": LOOP_CHANGED},
                               times={"a": [200, 210, 190], "changed": [100, 101, 99]})

    def diff(self, *args):
        return run(ASMDIFF_SH, "--run", self.run_dir, *args)

    def test_register_abstracted_diff_of_a_pure_renaming_is_empty(self):
        p = self.diff("a", "renamed", "fx/dot/plain")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("=== fx/dot/plain", p.stdout)      # without the option: a diff
        p = self.diff("--abstract-registers", "a", "renamed", "fx/dot/plain")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn("===", p.stdout)
        self.assertNotRegex(p.stdout, r"(?m)^[-+]\t")
        self.assertIn("registers renamed", p.stdout)

    def test_register_abstraction_keeps_real_changes(self):
        p = self.diff("--abstract-registers", "a", "changed", "fx/dot/plain")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("+\tvmulps\t(%g5,%g3,4), %v2y, %v2y", p.stdout)
        self.assertIn("-\tvfmadd231ps\t(%g5,%g3,4), %v2y, %v1y", p.stdout)

    def test_abstract_is_invariant_under_renaming_only(self):
        from flagbench.asm.abstract import abstract
        self.assertEqual(abstract(LOOP_A), abstract(LOOP_RENAMED))
        self.assertNotEqual(abstract(LOOP_A), abstract(LOOP_CHANGED))
        # %rsp and the frame are not a choice of the allocator: they stay
        self.assertEqual(abstract("f:\n\tmovq\t8(%rsp), %rax\n"), "f:\n\tmovq\t8(%rsp), %g1\n")
        swapped = (LOOP_A.replace("%rax", "%rXX").replace("%r8", "%rax").replace("%rXX", "%r8")
                   .replace("%eax", "%r8d"))
        self.assertEqual(abstract(LOOP_A), abstract(swapped))

    def test_summary_table_comes_first_with_speedup_and_loop_cycles(self):
        p = self.diff("a", "changed", "fx/dot/plain")
        lines = p.stdout.splitlines()
        table = next(i for i, ln in enumerate(lines) if ln.startswith("| fx/dot/plain"))
        first_diff = next(i for i, ln in enumerate(lines) if ln.startswith("==="))
        self.assertLess(table, first_diff)
        head = next(ln for ln in lines if ln.startswith("| function"))
        self.assertIn("B vs A", head)
        self.assertIn("loop cyc/item", head)
        row = [c.strip() for c in lines[table].strip("|").split("|")]
        self.assertIn("2.00x", row)                     # 200 ns / 100 ns
        self.assertIn("0.5", row)                       # 4 cycles per 8 items, both sides

    def test_asm_sh_abstract_registers(self):
        p = run(ASM_SH, "--run", self.run_dir, "--abstract-registers", "renamed", "fx/dot/plain")
        self.assertEqual(p.returncode, 0, p.stderr)
        from flagbench.asm.abstract import abstract
        self.assertEqual(p.stdout, abstract(LOOP_A))
        self.assertIn("%v1y", p.stdout)

    def test_side_by_side_pairs_loops(self):
        p = self.diff("--side-by-side", "a", "changed", "fx/dot/plain")
        self.assertEqual(p.returncode, 1, p.stderr)
        out = p.stdout
        self.assertIn("--- A: loop 1, 5 instructions, 0.5 cycles/item (llvm-mca)", out)
        self.assertRegex(out, r"vfmadd231ps \(%rsi,%rax,4\), %ymm1, %ymm0 +\* vmulps")
        self.assertRegex(out, r"addq \$0x8, %rax +\| addq \$0x8, %rax")
        self.assertIn("--- A: outside the loops", out)
        self.assertNotIn("@@", out)


if __name__ == "__main__":
    unittest.main()
