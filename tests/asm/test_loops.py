"""Loop detection (natural loops from back edges) on GCC, Clang and AArch64 output."""
import unittest

import asmtest
from flagbench.asm import disasm, loops, normalize


def fn_of(fixture, name, arch="x86_64", syntax="att"):
    b = disasm.TextBinary(asmtest.read(fixture), arch, syntax)
    return normalize.normalize(b, b.lookup(name))


def summary_of_loops(fn):
    return [(lp.start_line, lp.end_line, lp.innermost, lp.depth) for lp in loops.find_loops(fn)]


class FixtureLoopTest(unittest.TestCase):
    def test_gcc_backward_jumps_that_are_not_loops(self):
        # GCC puts the short-input entry blocks after the return and jumps back
        # up into the function: those backward jumps close no loop.
        fn = fn_of("gcc_lto_avx2.objdump", "reduce_avx2")
        got = summary_of_loops(fn)
        self.assertEqual(len(got), 2, got)
        self.assertTrue(all(inner for _, _, inner, _ in got))
        first = loops.find_loops(fn)[0]
        self.assertEqual(fn.lines[first.start_line - 1], ".L_031e:")
        self.assertTrue(fn.lines[first.end_line - 1].startswith("\tjne\t.L_031e"))

    def test_clang_main_and_remainder_loops(self):
        fn = fn_of("clang_scalar.objdump", "reduce_scalar")
        lps = loops.find_loops(fn)
        self.assertEqual(len(lps), 2)
        self.assertEqual([loops.items_per_iteration(fn, lp)[0] for lp in lps], [4, 1])

    def test_intel_and_gnu_spellings_find_the_same_loops(self):
        att = summary_of_loops(fn_of("clang_scalar.objdump", "reduce_scalar"))
        intel = summary_of_loops(fn_of("clang_scalar_intel.objdump", "reduce_scalar", syntax="intel"))
        gnu = summary_of_loops(fn_of("gnu_clang_scalar.objdump", "reduce_scalar"))
        self.assertEqual(att, intel)
        self.assertEqual(att, gnu)

    def test_aarch64_loops_and_items(self):
        fn = fn_of("a64_neon.objdump", "reduce_neon", arch="aarch64")
        lps = loops.find_loops(fn)
        self.assertEqual(len(lps), 2)
        self.assertEqual([loops.items_per_iteration(fn, lp)[0] for lp in lps], [16, 1])

    def test_loop_through_the_cold_part(self):
        fn = fn_of("gcc_cold.objdump", "clamp_sum")
        lps = loops.find_loops(fn)
        self.assertEqual(len(lps), 1)
        lp = lps[0]
        self.assertFalse(lp.contiguous)  # its unlikely path lives in clamp_sum.cold
        parts = {fn.insns[i].part for i in lp.members}
        self.assertEqual(parts, {0, 1})
        self.assertEqual({ins.part for ins in lp.region(fn)}, {0})
        self.assertEqual(len(lp.ranges(fn)), 1)
        self.assertGreater(lp.left_out(fn), 0)

    def test_loop_with_a_block_after_the_outer_loop(self):
        # GCC puts the escape-test's taken side after the return: the innermost
        # loop is two separate pieces, and llvm-mca must not see the 'ret' between
        fn = fn_of("a64_mandelbrot.objdump", "mandelbrot_scalar", arch="aarch64")
        inner = [lp for lp in loops.find_loops(fn) if lp.innermost]
        self.assertEqual(len(inner), 1)
        lp = inner[0]
        self.assertFalse(lp.contiguous)
        self.assertEqual(len(lp.ranges(fn)), 2)
        self.assertNotIn("ret", [i.base for i in lp.region(fn)])
        self.assertEqual(lp.region(fn)[-1].kind, "cjump")

    def test_items_per_iteration_gcc_pointer_bump(self):
        fn = fn_of("gcc_lto_avx2.objdump", "reduce_avx2")
        lps = loops.find_loops(fn)
        self.assertEqual(loops.items_per_iteration(fn, lps[0]), (32, "static: induction step x "
                                                                     "scale / element size"))
        self.assertEqual(loops.items_per_iteration(fn, lps[1])[0], 8)

    def test_no_loops(self):
        fn = fn_of("gcc_prefix.objdump", "zero_rep")
        self.assertEqual(loops.find_loops(fn), [])


class CompiledLoopTest(unittest.TestCase):
    def check(self, compiler):
        path = asmtest.build("dot.c", compiler, "-O2", name="dot-O2-" + compiler.split("/")[-1])
        b = disasm.Binary(path)
        fn = normalize.normalize(b, b.lookup("dot_plain"))
        lps = loops.find_loops(fn)
        self.assertGreaterEqual(len(lps), 1)
        self.assertTrue(all(lp.innermost for lp in lps))
        self.assertIn(loops.items_per_iteration(fn, lps[0])[0], (1, 2, 4, 8))
        twice = normalize.normalize(b, b.lookup("dot_twice"))
        self.assertEqual(loops.find_loops(twice), [])

    @unittest.skipUnless(asmtest.GCC, "gcc not installed")
    def test_gcc(self):
        self.check(asmtest.GCC)

    @unittest.skipUnless(asmtest.CLANG, "clang not installed")
    def test_clang(self):
        self.check(asmtest.CLANG)


if __name__ == "__main__":
    unittest.main()
