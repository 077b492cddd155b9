"""Summary counts on known functions."""
import unittest

import asmtest
from flagbench.asm import disasm, loops, normalize, summary


def summarize_fixture(fixture, name, arch="x86_64", syntax="att"):
    b = disasm.TextBinary(asmtest.read(fixture), arch, syntax)
    fn = normalize.normalize(b, b.lookup(name))
    return summary.summarize(fn)


class FixtureSummaryTest(unittest.TestCase):
    def test_gcc_avx2_reduction(self):
        s = summarize_fixture("gcc_lto_avx2.objdump", "reduce_avx2")
        want = {"instructions": 117, "vector_width": "ymm", "fma": 7, "loads": 18, "stores": 0,
                "calls": 0, "branches": 12, "spills": 0, "reloads": 0, "loops": 2}
        self.assertEqual({k: s[k] for k in want}, want)
        self.assertEqual(list(summary.COLUMNS), ["instructions", "bytes", "vector_width", "fma",
                                                 "loads", "stores", "calls", "branches", "spills",
                                                 "reloads", "loops"])

    def test_scalar_sse_is_not_vector_work(self):
        s = summarize_fixture("clang_scalar.objdump", "reduce_scalar")
        self.assertEqual(s["vector_width"], "scalar")
        self.assertEqual((s["fma"], s["loads"], s["loops"]), (0, 10, 2))

    def test_att_intel_and_gnu_count_alike(self):
        att = summarize_fixture("clang_scalar.objdump", "reduce_scalar")
        intel = summarize_fixture("clang_scalar_intel.objdump", "reduce_scalar", syntax="intel")
        gnu = summarize_fixture("gnu_clang_scalar.objdump", "reduce_scalar")
        for c in summary.COLUMNS:
            if c != "bytes":
                self.assertEqual(att[c], intel[c], c)
                self.assertEqual(att[c], gnu[c], c)

    def test_aarch64_neon(self):
        s = summarize_fixture("a64_neon.objdump", "reduce_neon", arch="aarch64")
        want = {"vector_width": "v(128)", "fma": 5, "loads": 6, "stores": 0, "loops": 2}
        self.assertEqual({k: s[k] for k in want}, want)

    def test_calls_spills_and_rmw(self):
        cold = summarize_fixture("gcc_cold.objdump", "clamp_sum")
        self.assertEqual(cold["calls"], 2)               # report_bad, fprintf@plt
        self.assertEqual((cold["spills"], cold["reloads"]), (1, 1))  # %r8 around the calls
        bump = summarize_fixture("gcc_prefix.objdump", "bump")
        self.assertEqual((bump["loads"], bump["stores"]), (1, 1))  # lock addq to memory
        zero = summarize_fixture("gcc_prefix.objdump", "zero")
        self.assertEqual((zero["calls"], zero["tail_calls"], zero["branches"]), (1, 1, 0))
        rep = summarize_fixture("gcc_prefix.objdump", "zero_rep")
        self.assertEqual((rep["loads"], rep["stores"]), (0, 1))


@unittest.skipUnless(asmtest.GCC or asmtest.CLANG, "no C compiler")
class CompiledSummaryTest(unittest.TestCase):
    """-march=x86-64-v3 with reassociation allowed: the reduction becomes ymm FMAs."""

    def pair(self, compiler):
        tag = compiler.split("/")[-1]
        plain = asmtest.build("dot.c", compiler, "-O2", name="dot-O2-" + tag)
        wide = asmtest.build("dot.c", compiler, "-O3", "-march=x86-64-v3", "-ffast-math",
                             name="dot-v3-" + tag)  # compiled only, never run
        out = []
        for path in (plain, wide):
            b = disasm.Binary(path)
            fn = normalize.normalize(b, b.lookup("dot_plain"))
            lps = loops.find_loops(fn)
            main = max(loops.items_per_iteration(fn, lp)[0] or 0 for lp in lps)
            out.append((summary.summarize(fn, lps), main))
        return out

    def check(self, compiler):
        (scalar, scalar_items), (vector, vector_items) = self.pair(compiler)
        self.assertEqual(scalar["vector_width"], "scalar")
        self.assertEqual(scalar["fma"], 0)
        self.assertEqual(vector["vector_width"], "ymm")
        self.assertGreaterEqual(vector["fma"], 1)
        self.assertGreaterEqual(vector["vector_instructions"].get("ymm", 0), 1)
        # the vector main loop takes 8 floats per ymm, at least
        self.assertGreaterEqual(vector_items, 8 * scalar_items if scalar_items == 1 else 8)
        self.assertLessEqual(vector["loops"], scalar["loops"])
        return scalar, vector

    @unittest.skipUnless(asmtest.GCC, "gcc not installed")
    def test_gcc(self):
        scalar, vector = self.check(asmtest.GCC)
        self.assertEqual(scalar["loops"], 1)  # GCC 12 also unrolls the vector epilogue: 1 loop

    @unittest.skipUnless(asmtest.CLANG, "clang not installed")
    def test_clang(self):
        self.check(asmtest.CLANG)


if __name__ == "__main__":
    unittest.main()
