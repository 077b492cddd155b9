"""Normalization: golden outputs, stability across builds, one-block diffs."""
import difflib
import os
import re
import unittest

import asmtest
from flagbench.asm import disasm, normalize

GOLDEN = [("a64_neon", "aarch64", "att"), ("blocks_a", "x86_64", "att"),
          ("blocks_b", "x86_64", "att"), ("clang_scalar", "x86_64", "att"),
          ("clang_scalar_intel", "x86_64", "intel"), ("gcc_cold", "x86_64", "att"),
          ("gcc_lto_avx2", "x86_64", "att"), ("gcc_prefix", "x86_64", "att"),
          ("gnu_clang_scalar", "x86_64", "att")]


def normalize_text(name, arch, syntax):
    b = disasm.TextBinary(asmtest.read(name + ".objdump"), arch, syntax)
    bases = []
    for s in b.functions:
        base = disasm.fold_name(s.name)[0]
        if base not in bases:
            bases.append(base)
    return "".join(normalize.normalize(b, b.lookup(base)).text for base in bases)


def changed_lines(a, b):
    return [ln for ln in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
            if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]


class GoldenTest(unittest.TestCase):
    def test_fixtures_match_golden_output(self):
        for name, arch, syntax in GOLDEN:
            with self.subTest(name):
                self.assertEqual(normalize_text(name, arch, syntax),
                                 asmtest.read(name + ".expected.s"))

    def test_no_addresses_encodings_padding_or_comments(self):
        for name, arch, syntax in GOLDEN:
            text = normalize_text(name, arch, syntax)
            self.assertNotIn("<", text)  # objdump's <symbol+offset> annotations
            self.assertNotRegex(text, r"\t(j\w+|call\w*|b|bl|b\.\w+|cbn?z)\t(\S+, )*0x")
            self.assertNotIn("nop", text)
            self.assertNotIn("int3", text)
            self.assertNotRegex(text, r"#\s*(x|y|z)mm\d+ =")  # objdump's comments
            for line in text.splitlines():  # one instruction a line, or a label
                self.assertTrue(line.endswith(":") or line.startswith("\t"), line)

    def test_lone_prefix_line_is_merged(self):
        text = normalize_text("gcc_prefix", "x86_64", "att")
        self.assertIn("\tlock addq\t%rax, counter(%rip)\n", text)
        self.assertIn("\trep stosb\t%al, %es:(%rdi)\n", text)
        self.assertIn("\tjmp\tmemset@plt\n", text)  # a tail call names its target

    def test_labels_are_named_by_block_content(self):
        text = normalize_text("clang_scalar", "x86_64", "att")
        labels = re.findall(r"^(\.L_[0-9a-f]{4}(?:_\d+)?):$", text, re.M)
        self.assertEqual(len(labels), len(set(labels)))
        # the 'ret' block gets the same name in every function and syntax
        self.assertIn(".L_2934:\n\tretq\n", text)
        self.assertIn(".L_2934:\n\tretq\n", normalize_text("gcc_prefix", "x86_64", "att"))


class StabilityTest(unittest.TestCase):
    def test_one_block_change_gives_a_one_block_diff(self):
        a = asmtest.read("blocks_a.expected.s")
        b = asmtest.read("blocks_b.expected.s")
        changed = changed_lines(a, b)
        # the changed arm is a fall-through block: only its instructions change,
        # no label and no branch
        self.assertIn("-\tleaq\t(%rcx,%rcx,4), %rax", changed)
        for line in changed:
            self.assertTrue(line.startswith(("-\t", "+\t")), line)
            self.assertNotRegex(line, r"\tj\w+\t")
        self.assertEqual(re.findall(r"^\.L_\w+", a, re.M), re.findall(r"^\.L_\w+", b, re.M))

    def test_unchanged_loop_keeps_its_label_when_the_code_after_it_changes(self):
        # A loop's back edge ends its block: code that falls through after the
        # loop (changed here) must not rename the loop's label.
        text = asmtest.read("gcc_lto_avx2.objdump")
        after_loop = "    2c38:      \tvaddps\t%ymm3, %ymm0, %ymm0"
        self.assertIn(after_loop, text)
        patched = text.replace(after_loop, after_loop.replace("%ymm3, %ymm0,", "%ymm0, %ymm3,"))
        before = normalize.normalize(*self._fn(text))
        after = normalize.normalize(*self._fn(patched))
        self.assertNotEqual(before.text, after.text)
        self.assertEqual(sorted(before.labels.values()), sorted(after.labels.values()))
        changed = changed_lines(before.text, after.text)
        self.assertEqual(changed, ["-\tvaddps\t%ymm3, %ymm0, %ymm0", "+\tvaddps\t%ymm0, %ymm3, %ymm0"])

    def test_inserted_block_does_not_rename_other_labels(self):
        text = asmtest.read("gcc_lto_avx2.objdump")
        # insert a new block (a label target) in front of the epilogue
        lines = text.splitlines()
        i = next(k for k, ln in enumerate(lines) if "vzeroupper" in ln)
        addr = int(lines[i].split(":")[0], 16)
        extra = [f"{addr - 2:8x}:      \txorl\t%ecx, %ecx"]
        patched = "\n".join(lines[:i] + extra + lines[i:])
        patched = patched.replace(f"jae\t0x{addr:x} <", f"jae\t0x{addr - 2:x} <", 1)
        before = normalize.normalize(*self._fn(text))
        after = normalize.normalize(*self._fn(patched))
        changed = changed_lines(before.text, after.text)
        self.assertLessEqual(len(changed), 6, "\n".join(changed))
        kept = set(before.labels.values()) & set(after.labels.values())
        self.assertGreaterEqual(len(kept), len(before.labels) - 1)

    @staticmethod
    def _fn(text):
        b = disasm.TextBinary(text, "x86_64")
        return b, b.lookup("reduce_avx2")

    @unittest.skipUnless(asmtest.GCC, "gcc not installed")
    def test_same_source_built_twice_gives_identical_text(self):
        for compiler in filter(None, [asmtest.GCC, asmtest.CLANG]):
            with self.subTest(compiler):
                one = asmtest.build("blocks.c", compiler, "-O2", name="blk-once-" + os.path.basename(compiler))
                two = asmtest.build("blocks.c", compiler, "-O2", "-DSHIFT",
                                    name="blk-shift-" + os.path.basename(compiler))
                b1, b2 = disasm.Binary(one), disasm.Binary(two)
                self.assertNotEqual(b1.lookup("classify").parts[0].addr,
                                    b2.lookup("classify").parts[0].addr)
                t1 = normalize.normalize(b1, b1.lookup("classify")).text
                t2 = normalize.normalize(b2, b2.lookup("classify")).text
                self.assertEqual(t1, t2)

    @unittest.skipUnless(asmtest.GCC, "gcc not installed")
    def test_compiled_one_block_change(self):
        a = asmtest.build("blocks.c", asmtest.GCC, "-O2", name="blk-a")
        b = asmtest.build("blocks.c", asmtest.GCC, "-O2", "-DCHANGED", name="blk-b")
        ta = normalize.normalize(disasm.Binary(a), disasm.Binary(a).lookup("classify")).text
        tb = normalize.normalize(disasm.Binary(b), disasm.Binary(b).lookup("classify")).text
        la = set(re.findall(r"^\.L_\w+", ta, re.M))
        lb = set(re.findall(r"^\.L_\w+", tb, re.M))
        self.assertLessEqual(len(la ^ lb), 2)  # at most the changed block's label


if __name__ == "__main__":
    unittest.main()
