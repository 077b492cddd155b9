"""What code_hash and data_hash cover (the closure of a hot function inside its binary),
the libraries record, the dedupe key, and layout seeds that move code without changing it.

The fixture (fixtures/reach.c) is compiled here, several times with one -D changed each
time; every test first shows that the hot function's own text did not change, so a
different hash can only come from what the closure adds."""
import hashlib
import json
import os
import subprocess
import unittest

import asmtest
from flagbench.asm import analyze, disasm, elf as elfmod, identity, libraries, normalize, reach


def hot(binary_path, name):
    b = disasm.Binary(binary_path)
    fn = normalize.normalize(b, b.lookup(name))
    return b, fn


def closure(binary_path, name, roots=()):
    b, fn = hot(binary_path, name)
    return fn, analyze.reach_of(b).closure(fn, roots)


def gcc(*defines, name=None):
    return asmtest.build("reach.c", asmtest.GCC, "-O2", *[f"-D{d}" for d in defines], name=name)


@unittest.skipUnless(asmtest.GCC and asmtest.OBJDUMP, "gcc and llvm-objdump needed")
class ClosureTest(unittest.TestCase):
    def test_closure_follows_deep_callees_and_function_pointer_targets(self):
        fn, cl = closure(gcc(), "hot_main")
        self.assertEqual(cl.reachable[0], "hot_main")
        for name in ("middle", "deep", "apply", "target_fp"):
            self.assertIn(name, cl.reachable)
        self.assertLess(cl.reachable.index("middle"), cl.reachable.index("deep"))  # breadth first
        self.assertNotIn("printf@plt", cl.reachable)
        self.assertIn("target_fp", fn.text)   # taken by lea: a function-pointer target

    def test_a_change_two_calls_deep_changes_code_hash(self):
        fn1, a = closure(gcc("DEEP_ADD=1"), "hot_main")
        fn2, b = closure(gcc("DEEP_ADD=2"), "hot_main")
        self.assertEqual(fn1.text, fn2.text)                  # the hot function is the same
        self.assertEqual(analyze.direct_callees(fn1), analyze.direct_callees(fn2))
        self.assertNotEqual(a.code_hash, b.code_hash)

    def test_a_change_in_a_function_pointer_target_changes_code_hash(self):
        fn1, a = closure(gcc("FP_XOR=5"), "hot_main")
        fn2, b = closure(gcc("FP_XOR=9"), "hot_main")
        self.assertEqual(fn1.text, fn2.text)
        self.assertNotEqual(a.code_hash, b.code_hash)
        self.assertEqual(a.data_hash, b.data_hash)

    def test_dispatch_roots(self):
        b3, b5 = gcc("IMPL_B_MUL=3"), gcc("IMPL_B_MUL=5")
        # Without the root, the target of an indirect call is invisible ...
        self.assertEqual(closure(b3, "hot_dispatch")[1].code_hash, closure(b5, "hot_dispatch")[1].code_hash)
        # ... with the dispatch target the kernel reported, it is covered.
        _, r3 = closure(b3, "hot_dispatch", ["impl_b"])
        _, r5 = closure(b5, "hot_dispatch", ["impl_b"])
        self.assertEqual(r3.reachable, ["hot_dispatch", "impl_b"])
        self.assertNotEqual(r3.code_hash, r5.code_hash)
        _, gone = closure(b3, "hot_dispatch", ["impl_nowhere"])
        self.assertEqual(gone.roots_missing, ["impl_nowhere"])
        self.assertNotEqual(gone.code_hash, closure(b3, "hot_dispatch")[1].code_hash)


@unittest.skipUnless(asmtest.GCC and asmtest.OBJDUMP, "gcc and llvm-objdump needed")
class DataHashTest(unittest.TestCase):
    def test_constant_table_change_only_changes_data_hash(self):
        fn1, a = closure(gcc("TABLE_LAST=8"), "hot_main")
        fn2, b = closure(gcc("TABLE_LAST=9"), "hot_main")
        self.assertEqual([f.text for f in a.functions], [f.text for f in b.functions])
        self.assertEqual(a.code_hash, b.code_hash)
        self.assertNotEqual(a.data_hash, b.data_hash)
        self.assertIn({"name": "table", "section": ".rodata", "bytes": 32}, a.data)

    def test_unnamed_constant_change_only_changes_data_hash(self):
        # GCC's .LC constants have no symbol: the bytes from the address on are hashed.
        fn1, a = closure(gcc("SCALE=1.25"), "hot_scale")
        fn2, b = closure(gcc("SCALE=1.5"), "hot_scale")
        self.assertEqual(fn1.text, fn2.text)
        self.assertEqual(a.code_hash, b.code_hash)
        self.assertNotEqual(a.data_hash, b.data_hash)
        unsized = [d for d in a.data if d["name"].startswith(".rodata")]
        self.assertTrue(unsized, a.data)
        self.assertLessEqual(unsized[0]["bytes"], 256)

    def test_same_build_same_hashes(self):
        _, a = closure(gcc(), "hot_main")
        _, b = closure(gcc("DEEP_ADD=1", name="again"), "hot_main")
        self.assertEqual((a.code_hash, a.data_hash), (b.code_hash, b.data_hash))


A64_GCC = asmtest.which("aarch64-linux-gnu-gcc")


@unittest.skipUnless(A64_GCC and asmtest.OBJDUMP, "aarch64-linux-gnu-gcc and llvm-objdump needed")
class Aarch64Test(unittest.TestCase):
    def test_adrp_pairs_reach_code_and_data(self):
        a = asmtest.build("reach.c", A64_GCC, "-O2", "-DTABLE_LAST=8", name="a64_t8")
        b = asmtest.build("reach.c", A64_GCC, "-O2", "-DTABLE_LAST=9", name="a64_t9")
        (fa, ca), (fb, cb) = closure(a, "hot_main"), closure(b, "hot_main")
        self.assertEqual(fa.text, fb.text)
        self.assertIn("target_fp", ca.reachable)       # adrp+add of a function: a pointer target
        self.assertIn("deep", ca.reachable)
        self.assertEqual(ca.code_hash, cb.code_hash)
        self.assertNotEqual(ca.data_hash, cb.data_hash)
        self.assertIn({"name": "table", "section": ".rodata", "bytes": 32}, ca.data)


class AccessWidthTest(unittest.TestCase):
    """The bytes an instruction reads at a data reference: never fewer than the real ones."""

    def width(self, mnemonic, ops, syntax="att"):
        ins = normalize.Insn(0, 0, 0, mnemonic, mnemonic, ops)
        return reach.access_width(ins, "x86_64", syntax)

    def test_widths(self):
        cases = [("movss", [".rodata(%rip)", "%xmm0"], 4), ("vmulsd", [".rodata(%rip)", "%xmm1", "%xmm0"], 8),
                 ("vbroadcastss", [".rodata(%rip)", "%ymm0"], 4), ("vmovaps", [".rodata(%rip)", "%ymm2"], 32),
                 ("vpandq", [".rodata(%rip)", "%zmm1", "%zmm0"], 64), ("andps", [".rodata(%rip)", "%xmm0"], 16),
                 ("addl", ["counter(%rip)", "%eax"], 4), ("cmpb", ["$0x0", "flag(%rip)"], 1),
                 ("movq", ["table(%rip)", "%xmm0"], 8), ("jmpq", ["*dispatched(%rip)"], 8),
                 # GNU objdump: no suffix, the register says it (and "sub" is not a byte op)
                 ("sub", ["%eax", "counter(%rip)"], 4), ("imul", ["x(%rip)", "%rax"], 8),
                 ("lea", ["table(%rip)", "%rdx"], None), ("fldl", ["x(%rip)"], None),
                 ("cvtsd2ss", [".rodata(%rip)", "%xmm0"], None)]
        for m, ops, want in cases:
            self.assertEqual(self.width(m, ops), want, (m, ops))
        self.assertEqual(self.width("movss", ["xmm0", "dword ptr [rip + .rodata]"], "intel"), 4)


@unittest.skipUnless(asmtest.GCC, "gcc needed")
class LibrariesTest(unittest.TestCase):
    def test_needed_libraries_with_identity(self):
        path = asmtest.build("reach.c", asmtest.GCC, "-O2", "-Wl,--no-as-needed", "-lm", name="with_libm")
        e = elfmod.read_elf(path)
        self.assertIn("libm.so.6", e.needed)
        libs = {lib["soname"]: lib for lib in libraries.libraries(e)}
        for soname in ("libc.so.6", "libm.so.6", "interp"):
            self.assertIn(soname, libs)
            lib = libs[soname]
            self.assertTrue(os.path.isfile(lib["realpath"]), lib)
            with open(lib["realpath"], "rb") as f:
                self.assertEqual(lib["sha256"], hashlib.sha256(f.read()).hexdigest())
            self.assertEqual(lib["size"], os.path.getsize(lib["realpath"]))
        self.assertEqual(libs["libm.so.6"]["needed_by"], "with_libm")

    def test_runpath_wins_over_the_system(self):
        d = asmtest.tmpdir()
        fake = os.path.join(d, "libm.so.6")
        with open(libraries.find_library("libm.so.6", os.uname().machine, "/") or "/bin/true", "rb") as src:
            data = src.read()
        with open(fake, "wb") as f:
            f.write(data)
        self.assertEqual(libraries.find_library("libm.so.6", os.uname().machine, d, runpath=["$ORIGIN"]), fake)
        self.assertIsNone(libraries.find_library("libnot-there.so.1", "x86_64", d))


class DedupeKeyTest(unittest.TestCase):
    ASM = {"found": True, "code_hash": "c1", "data_hash": "d1",
           "libraries": [{"soname": "libc.so.6", "sha256": "aa"}]}

    def test_every_part_counts(self):
        line = {"fpenv": "ftz=0,daz=0", "dispatch": "reduce_avx2"}
        base = identity.dedupe_key(self.ASM, line)
        self.assertEqual(base, identity.dedupe_key(dict(self.ASM), dict(line)))
        changed = [dict(self.ASM, code_hash="c2"), dict(self.ASM, data_hash="d2"),
                   dict(self.ASM, libraries=[{"soname": "libc.so.6", "sha256": "bb"}])]
        for asm in changed:
            self.assertNotEqual(identity.dedupe_key(asm, line), base, asm)
        for ln in ({"fpenv": "ftz=1,daz=1", "dispatch": "reduce_avx2"},
                   {"fpenv": "ftz=0,daz=0", "dispatch": "reduce_avx512"}, {}):
            self.assertNotEqual(identity.dedupe_key(self.ASM, ln), base, ln)

    @staticmethod
    def seeded(function_addrs, loop_addrs):
        """An asm record whose hot function and one loop sit at these addresses
        in the successive layout seeds' binaries."""
        layout = {str(i): {"function": {"addr": f}, "loops": [{"start": {"addr": lp}}]}
                  for i, (f, lp) in enumerate(zip(function_addrs, loop_addrs))}
        return dict(DedupeKeyTest.ASM, layout=layout)

    def test_alignment_flags_are_not_merged_but_moved_code_is(self):
        # Without alignment flags the seeds spread the function over the four
        # 16-byte offsets of a cache line; -falign-functions=64 pins it to 0.
        plain = self.seeded([0x1000, 0x1950, 0x12a0, 0x1c30], [0x1040, 0x1990, 0x12e0, 0x1c70])
        moved = self.seeded([0x1030, 0x1980, 0x12d0, 0x1c60], [0x1070, 0x19c0, 0x1310, 0x1ca0])
        aligned = self.seeded([0x1000, 0x1980, 0x12c0, 0x1c40], [0x1040, 0x19c0, 0x1300, 0x1c80])
        self.assertEqual(identity.alignment(plain), {"function": 16, "loops": [16]})
        self.assertEqual(identity.alignment(aligned), {"function": 64, "loops": [64]})
        self.assertEqual(identity.dedupe_key(plain, {}), identity.dedupe_key(moved, {}))
        self.assertNotEqual(identity.dedupe_key(plain, {}), identity.dedupe_key(aligned, {}))

    def test_unknown_code_never_merges(self):
        self.assertIsNone(identity.dedupe_key({"found": False, "code_hash": None}, {}))
        self.assertIsNone(identity.dedupe_key({"found": True, "code_hash": "c1"}, {}))  # old JSON
        self.assertIsNone(identity.dedupe_key(None, {}))


@unittest.skipUnless(asmtest.GCC and asmtest.OBJDUMP, "gcc and llvm-objdump needed")
class LayoutSeedTest(unittest.TestCase):
    """The same object linked twice behind a padding object of another size."""

    @classmethod
    def setUpClass(cls):
        d = asmtest.tmpdir()
        obj = os.path.join(d, "reach.o")
        subprocess.run([asmtest.GCC, "-O2", "-c", "-o", obj, str(asmtest.FIX / "reach.c")], check=True)
        cls.bins = {}
        for seed, pad in (("0", 16), ("1", 40)):
            s = os.path.join(d, f"pad{seed}.s")
            with open(s, "w") as f:
                f.write(f'\t.pushsection .text.unlikely.flagbench_pad,"ax",@progbits\n\t.skip {pad}\n'
                        '\t.popsection\n\t.section .note.GNU-stack,"",@progbits\n')
            out = os.path.join(d, f"bin{seed}")
            subprocess.run([asmtest.GCC, "-o", out, s, obj], check=True)
            cls.bins[seed] = out
        changed = os.path.join(d, "changed")
        subprocess.run([asmtest.GCC, "-O2", "-DDEEP_ADD=3", "-o", changed, str(asmtest.FIX / "reach.c")],
                       check=True)
        cls.changed = changed
        cls.out = os.path.join(d, "out")
        cls.proc = subprocess.run(
            [*asmtest.ANALYZE, "--binary", cls.bins["0"],
             "--kernel", "fixture/hot", "--variants", "main,dispatch,sum", "--no-mca", "--out", cls.out,
             "--roots", "dispatch=impl_b", "--layout-binary", "1=" + cls.bins["1"],
             "--layout-binary", "2=" + changed], capture_output=True, text=True, env=asmtest.ENV)

    def doc(self, v):
        with open(os.path.join(self.out, f"{v}.json")) as f:
            return json.load(f)

    def test_seeds_move_code_and_keep_code_hash(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        for v in ("main", "dispatch"):
            lay = self.doc(v)["layout"]
            self.assertEqual(set(lay), {"0", "1", "2"})
            a, b = lay["0"], lay["1"]
            self.assertNotEqual(a["function"]["mod64"], b["function"]["mod64"])
            self.assertEqual(a["function"]["addr"] % 64, a["function"]["mod64"])
            self.assertEqual(a["code_hash"], b["code_hash"])
            self.assertEqual(a["code_hash"], self.doc(v)["code_hash"])
            self.assertNotIn("layout_error", b)
        self.assertIn("impl_b", self.doc("dispatch")["reachable"])
        # both seeds' binaries in one disassembler run
        self.assertIn("2 layout seeds in", self.proc.stderr)
        self.assertIn("(1 objdump runs)", self.proc.stderr)

    def test_loops_are_placed(self):
        lay = self.doc("sum")["layout"]
        self.assertEqual(len(lay["0"]["loops"]), self.doc("sum")["loops"])
        self.assertGreaterEqual(len(lay["0"]["loops"]), 1)
        for a, b in zip(lay["0"]["loops"], lay["1"]["loops"]):
            self.assertEqual(a["index"], b["index"])
            self.assertNotEqual(a["start"]["addr"], b["start"]["addr"])
            self.assertNotEqual(a["start"]["mod64"], b["start"]["mod64"])
            self.assertEqual(a["start"]["mod4096"], a["start"]["addr"] % 4096)

    def test_a_seed_with_other_code_is_an_error(self):
        lay = self.doc("main")["layout"]
        self.assertIn("layout_error", lay["2"])
        self.assertIn("deep", lay["2"]["layout_error"])        # names the function that differs
        self.assertEqual(self.doc("main")["layout_errors"], ["2"])
        self.assertEqual(self.doc("dispatch")["layout_errors"], [])

    def test_bad_arguments_are_named(self):
        for args, want in ((["--roots", "nosign"], "--roots takes KEY=VALUE"),
                           (["--layout-binary", "1=/no/such/file"], "no such file")):
            p = subprocess.run([*asmtest.ANALYZE, "--binary",
                                self.bins["0"], "--kernel", "f/hot", "--variants", "main", "--no-mca",
                                "--out", asmtest.tmpdir(), *args], capture_output=True, text=True,
                               env=asmtest.ENV)
            self.assertEqual(p.returncode, 2)
            self.assertIn(want, p.stderr)


if __name__ == "__main__":
    unittest.main()
