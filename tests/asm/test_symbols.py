"""Finding a variant's code by symbol: suffix folding, split parts, missing symbols."""
import unittest

import asmtest
from flagbench.asm import disasm, normalize


class FoldTest(unittest.TestCase):
    def test_fold_name(self):
        cases = {
            "reduce_avx2": ("reduce_avx2", []),
            "reduce_avx2.lto_priv.0": ("reduce_avx2", ["lto_priv"]),
            "helper.constprop.0": ("helper", ["constprop"]),
            "field_sum.isra.0": ("field_sum", ["isra"]),
            "expensive.part.0": ("expensive", ["part"]),
            "clamp_sum.cold": ("clamp_sum", ["cold"]),
            "f.part.0.cold": ("f", ["part", "cold"]),
            "f.constprop.0.isra.0": ("f", ["constprop", "isra"]),
            "helper.llvm.17942724492204472665": ("helper", ["llvm"]),
            "foo.avx2.0": ("foo.avx2.0", []),  # target_clones: not a compiler rename
        }
        for name, want in cases.items():
            self.assertEqual(disasm.fold_name(name), want, name)

    def test_display_name_drops_numbers_and_versions(self):
        self.assertEqual(disasm.display_name("helper.constprop.3"), "helper.constprop")
        self.assertEqual(disasm.display_name("helper.llvm.1234"), "helper")
        self.assertEqual(disasm.display_name("stderr@GLIBC_2.2.5"), "stderr")
        self.assertEqual(disasm.display_name("memcpy@plt"), "memcpy@plt")
        self.assertEqual(disasm.display_name("x.lto_priv.0"), "x.lto_priv")

    def test_text_lookup_joins_cold_part(self):
        b = disasm.TextBinary(asmtest.read("gcc_cold.objdump"), "x86_64")
        lk = b.lookup("clamp_sum")
        self.assertEqual([p.name for p in lk.parts], ["clamp_sum", "clamp_sum.cold"])
        fn = normalize.normalize(b, lk)
        self.assertIn("clamp_sum.cold:", fn.lines)
        self.assertIn("\tjl\tclamp_sum.cold", fn.lines)     # hot -> cold
        self.assertTrue(any(ln.startswith("\tjmp\t.L_") for ln in fn.lines[fn.lines.index(
            "clamp_sum.cold:"):]))                           # cold -> back into the hot loop

    def test_missing_symbol_says_why(self):
        b = disasm.TextBinary(asmtest.read("gcc_cold.objdump"), "x86_64")
        lk = b.lookup("clamp_avx2")
        self.assertFalse(lk.found)
        self.assertIn("no symbol clamp_avx2", lk.why)
        self.assertIn("similar: clamp_sum", lk.why)


@unittest.skipUnless(asmtest.GCC, "gcc not installed")
class CompiledSuffixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.binary = disasm.Binary(asmtest.build("suffixes.c", asmtest.GCC, "-O2", name="suffixes"))
        cls.names = {s.name for s in cls.binary.functions}

    def test_cold_part_is_shown_with_the_function(self):
        parts = [p.name for p in self.binary.lookup("clamp_sum").parts]
        self.assertEqual(parts[0], "clamp_sum")
        if "clamp_sum.cold" in self.names:  # GCC splits it at -O2 on x86-64
            self.assertEqual(parts, ["clamp_sum", "clamp_sum.cold"])
            text = normalize.normalize(self.binary, self.binary.lookup("clamp_sum")).text
            self.assertIn("\nclamp_sum.cold:\n", text)

    def test_clones_and_parts_answer_to_the_plain_name(self):
        for base in ("expensive", "scale"):
            renamed = [n for n in self.names if n.startswith(base + ".")]
            lk = self.binary.lookup(base)
            self.assertTrue(lk.found, lk.why)
            if renamed and base not in self.names:
                self.assertIn(lk.parts[0].name, renamed)

    def test_elf_symbols_and_extents(self):
        lk = self.binary.lookup("clamp_sum")
        fn = normalize.normalize(self.binary, lk)
        self.assertEqual(fn.bytes, sum(p.size for p in lk.parts))
        self.assertEqual(fn.symbols, [p.name for p in lk.parts])
        self.assertIn("callq\treport_bad", fn.text)
        self.assertIn("fprintf@plt", fn.text)


if __name__ == "__main__":
    unittest.main()
