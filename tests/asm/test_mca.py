"""llvm-mca: region markers, CPU names per version, JSON parsing, soundness flags."""
import json
import unittest

import asmtest
from flagbench.asm import disasm, loops, mca, normalize
from flagbench.asm.mca import parse, regions, soundness


def fn_of(text, name, arch="x86_64"):
    b = disasm.TextBinary(text, arch)
    fn = normalize.normalize(b, b.lookup(name))
    return fn, loops.find_loops(fn)


class FakeTool:
    def __init__(self, version, host, x86, a64):
        self.version, self.host_cpu = version, host
        self.major = int(version.split(".")[0])
        self._cpus = {"x86_64": set(x86), "aarch64": set(a64)}

    def known_cpus(self, arch):
        return self._cpus[arch]


MCA14 = FakeTool("14.0.6", "znver3",
                 ["x86-64", "x86-64-v2", "x86-64-v3", "x86-64-v4", "skylake", "icelake-server",
                  "znver3", "sapphirerapids", "generic"],
                 ["generic", "neoverse-n1", "neoverse-v1", "cortex-a72"])
MCA19 = FakeTool("19.1.7", "znver4", MCA14._cpus["x86_64"] | {"znver4", "znver5"},
                 MCA14._cpus["aarch64"] | {"neoverse-v2"})

LOOP_WITH_CALL = """
0000000000001000 <f>:
    1000:      \txorl\t%eax, %eax
    1002:      \tmovq\t(%rdi), %rdi
    1005:      \tcallq\t0x2000 <g>
    100a:      \ttestq\t%rdi, %rdi
    100d:      \tjne\t0x1002 <f+0x2>
    100f:      \tretq
"""


class MarkerTest(unittest.TestCase):
    def test_markers_wrap_each_innermost_loop(self):
        fn, lps = fn_of(asmtest.read("gcc_lto_avx2.objdump"), "reduce_avx2")
        inner = [lp for lp in lps if lp.innermost]
        text = regions.marked_text(fn, [(f"loop{n}", lp.ranges(fn))
                                    for n, lp in enumerate(inner, 1)], "x86_64")
        self.assertEqual(text, asmtest.read("gcc_lto_avx2.mca.s"))


class CpuNameTest(unittest.TestCase):
    def test_known_names_pass_through(self):
        for name in ("x86-64", "x86-64-v3", "x86-64-v4", "skylake", "znver3"):
            self.assertEqual(mca.resolve_cpu(MCA14, "x86_64", name, "x86_64")["mcpu"], name)

    def test_newer_cpus_fall_back_on_llvm_14(self):
        r = mca.resolve_cpu(MCA14, "x86_64", "znver4", "x86_64")
        self.assertEqual(r["mcpu"], "znver3")
        self.assertIn("does not know znver4", r["note"])
        self.assertEqual(mca.resolve_cpu(MCA19, "x86_64", "znver4", "x86_64")["mcpu"], "znver4")
        self.assertEqual(mca.resolve_cpu(MCA14, "aarch64", "neoverse-v2", "x86_64")["mcpu"],
                         "neoverse-v1")
        self.assertIsNone(mca.resolve_cpu(MCA14, "x86_64", "pentium9000", "x86_64")["mcpu"])

    def test_host_and_native(self):
        for name in ("host", "native"):
            self.assertEqual(mca.resolve_cpu(MCA14, "x86_64", name, "x86_64")["mcpu"], "znver3")
            self.assertEqual(mca.resolve_cpu(MCA19, "x86_64", name, "x86_64")["mcpu"], "znver4")
        r = mca.resolve_cpu(MCA19, "aarch64", "host", "x86_64")
        self.assertIsNone(r["mcpu"])
        self.assertIn("the build is aarch64", r["note"])

    def test_aarch64_architecture_names(self):
        r = mca.resolve_cpu(MCA19, "aarch64", "armv8.2-a+dotprod", "x86_64")
        self.assertEqual((r["mcpu"], r["mattr"]), ("generic", ["+v8.2a", "+dotprod"]))
        self.assertEqual(mca.resolve_cpu(MCA19, "aarch64", "armv8-a", "x86_64")["mattr"], [])


class ParseTest(unittest.TestCase):
    def test_llvm_14_and_19_json(self):
        for fixture, model, cycles, ipc in (("mca14_znver3.json", "Zn3", [4.14, 24.14], 2.899),
                                            ("mca19_znver4.json", "Zn4", [4.13, 24.14], 2.906)):
            with self.subTest(fixture):
                parsed, sched = parse.parse_regions(json.loads(asmtest.read(fixture)))
                self.assertEqual(sched, model)
                self.assertEqual(sorted(parsed), ["loop1", "loop2"])
                self.assertEqual([parsed[n]["cycles_per_iteration"] for n in ("loop1", "loop2")],
                                 cycles)
                r = parsed["loop1"]
                self.assertEqual(r["block_rthroughput"], 4)
                self.assertEqual(r["dispatch_width"], 6)
                self.assertAlmostEqual(r["ipc"], ipc, places=3)
                self.assertEqual(r["_instructions"], 12)
                self.assertEqual(r["_memory"], 8)
                self.assertEqual(len(r["pressure"]), 3)
                top = r["pressure"][0]
                self.assertRegex(top["resource"], r"^Zn[34]\w+(\.\d)?$")  # no control bytes
                self.assertLessEqual(top["cycles"], 4.5)  # per iteration, not summed twice

    def test_resource_names(self):
        self.assertEqual(parse.clean_resource("Zn3FPP45.\x01"), "Zn3FPP45.1")
        self.assertEqual(parse.sched_model(["SKXDivider", "SKXFPDivider", "SKXPort0"]), "SKX")
        self.assertEqual(parse.sched_model(["A57UnitB", "A57UnitI.0"]), "A57")


class FlagTest(unittest.TestCase):
    def test_isa_beyond_the_cpu(self):
        fn, lps = fn_of(asmtest.read("gcc_lto_avx2.objdump"), "reduce_avx2")
        unsound, _notes, skip = soundness.static_flags(fn, lps[0], "x86_64", "x86-64")
        self.assertTrue(skip)
        self.assertIn("needs AVX, which x86-64 does not have", unsound)
        self.assertFalse(soundness.static_flags(fn, lps[0], "x86_64", "znver3")[2])

    def test_call_and_pointer_chase(self):
        fn, lps = fn_of(LOOP_WITH_CALL, "f")
        unsound, _notes, _skip = soundness.static_flags(fn, lps[0], "x86_64", "znver3")
        self.assertTrue(any(u.startswith("call inside the loop (g)") for u in unsound), unsound)
        self.assertTrue(any(u.startswith("pointer chasing") for u in unsound), unsound)

    def test_branch_inside_the_loop_is_noted(self):
        fn, lps = fn_of(asmtest.read("blocks_a.objdump"), "classify")
        _u, notes, _s = soundness.static_flags(fn, lps[0], "x86_64", "znver3")
        self.assertTrue(any("branch(es) inside the loop" in n for n in notes), notes)


@unittest.skipUnless(asmtest.MCA, "llvm-mca not installed")
class LiveTest(unittest.TestCase):
    def run_tool(self, path):
        tool = mca.Tool(path)
        fn, lps = fn_of(asmtest.read("gcc_lto_avx2.objdump"), "reduce_avx2")
        cpus = {k: mca.resolve_cpu(tool, "x86_64", k) for k in ("x86-64-v3", "znver4", "skylake")}
        results, models = mca.analyze_function(tool, fn, lps, "x86_64", cpus, jobs=2)
        self.assertEqual([r["lines"] for r in results],
                         [[lp.start_line, lp.end_line] for lp in lps if lp.innermost])
        for r in results:
            for cpu, v in r["per_cpu"].items():
                self.assertGreater(v["cycles_per_iteration"], 0, (cpu, v))
                self.assertGreater(v["block_rthroughput"], 0)
                self.assertTrue(v["pressure"])
        self.assertTrue(any("memory-dominated" in u for u in results[0]["per_cpu"]["znver4"]["unsound"]))
        self.assertEqual(models["skylake"], "SKL")
        return tool, models

    def test_default_llvm_mca(self):
        self.run_tool(asmtest.MCA)

    @unittest.skipUnless(asmtest.MCA14, "llvm-mca 14 not installed")
    def test_llvm_mca_14(self):
        tool, models = self.run_tool(asmtest.MCA14)
        self.assertEqual(tool.major, 14)
        self.assertEqual(models["znver4"], "Zn3")  # znver3 stands in

    def unknown_instruction_batch(self, path):
        # btver2 is not in the ISA table, so the zmm loop reaches llvm-mca, whose
        # btver2 model does not know it: the other loop must keep its numbers.
        text = """
0000000000001000 <f>:
    1000:      \tvfmadd231ps\t(%rax), %zmm1, %zmm2
    1006:      \taddq\t$0x1, %rax
    100a:      \tjne\t0x1000 <f>
    100c:      \taddq\t$0x1, %rcx
    1010:      \tjne\t0x100c <f+0xc>
    1012:      \tretq
"""
        tool = mca.Tool(path)
        fn, lps = fn_of(text, "f")
        cpus = {"btver2": mca.resolve_cpu(tool, "x86_64", "btver2")}
        results, _m = mca.analyze_function(tool, fn, lps, "x86_64", cpus)
        first, second = (r["per_cpu"]["btver2"] for r in results)
        self.assertIsNotNone(second["cycles_per_iteration"])
        self.assertEqual(second["unsound"], [])
        return tool, first

    def test_unknown_instruction_default_llvm_mca(self):
        tool, first = self.unknown_instruction_batch(asmtest.MCA)
        if tool.can_skip:
            self.assertTrue(any(u.startswith("llvm-mca skipped instruction(s) it does not know")
                                for u in first["unsound"]), first)
        else:
            self.assertIsNone(first["cycles_per_iteration"])

    @unittest.skipUnless(asmtest.MCA14, "llvm-mca 14 not installed")
    def test_unknown_instruction_llvm_mca_14(self):
        _tool, first = self.unknown_instruction_batch(asmtest.MCA14)
        self.assertIsNone(first["cycles_per_iteration"])
        self.assertTrue(any(u.startswith("llvm-mca could not analyse the loop")
                            and "vfmadd231ps" in u for u in first["unsound"]), first)

    def test_unknown_instruction_is_flagged_not_fatal(self):
        text = """
0000000000001000 <f>:
    1000:      \tvpdpbusd\t%zmm1, %zmm2, %zmm3
    1006:      \taddq\t$0x1, %rax
    100a:      \tjne\t0x1000 <f>
    100c:      \tretq
"""
        tool = mca.Tool(asmtest.MCA)
        fn, lps = fn_of(text, "f")
        cpus = {"icelake-server": mca.resolve_cpu(tool, "x86_64", "icelake-server"),
                "znver3": mca.resolve_cpu(tool, "x86_64", "znver3")}
        results, _m = mca.analyze_function(tool, fn, lps, "x86_64", cpus)
        z3 = results[0]["per_cpu"]["znver3"]
        self.assertIsNone(z3["cycles_per_iteration"])
        self.assertIn("needs AVX-512, which znver3 does not have", z3["unsound"])
        self.assertIsNotNone(results[0]["per_cpu"]["icelake-server"]["cycles_per_iteration"])


if __name__ == "__main__":
    unittest.main()
