"""flagbench.asm_step: the sweep's side of --batch (each kernel's error, and a
batch whose process dies analysed again one kernel per process)."""
import json
import subprocess
import unittest
from pathlib import Path
from unittest import mock

import asmtest

from flagbench import asm_step


@unittest.skipUnless(asmtest.GCC, "gcc not installed")
class AsmStepTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.good = Path(asmtest.build("dot.c", asmtest.GCC, "-O2", name="dot-O2-gcc"))
        cls.out = Path(asmtest.tmpdir())

    def binaries(self, tag):
        return [asm_step.Binary(self.good, "fx/dot", ["plain", "twice"], self.out / tag / "dot"),
                asm_step.Binary(self.out / "no-such-binary", "fx/gone", ["plain"], self.out / tag / "gone")]

    def test_each_kernel_gets_its_own_error(self):
        got = asm_step.analyze(self.binaries("one"), "x86_64", "x86-64", [])
        self.assertIsNone(got["fx/dot"])
        self.assertIn("cannot read", got["fx/gone"])
        doc = json.loads((self.out / "one" / "dot" / "plain.json").read_text())
        self.assertTrue(doc["found"])

    def test_a_batch_that_dies_is_run_again_one_kernel_per_process(self):
        real, counts = asm_step._run, []

        def dying(batch_file, arch, march, mca_cpus, mca_cache, count):
            counts.append(count)
            if count > 1:   # as if the batch's process were killed: no report
                return subprocess.CompletedProcess([], None, "", "killed")
            return real(batch_file, arch, march, mca_cpus, mca_cache, count)

        with mock.patch.object(asm_step, "_run", dying):
            got = asm_step.analyze(self.binaries("retry"), "x86_64", "x86-64", [])
        self.assertEqual(counts, [2, 1, 1])
        self.assertIsNone(got["fx/dot"])
        self.assertIn("cannot read", got["fx/gone"])
        self.assertTrue((self.out / "retry" / "dot" / "twice.json").exists())

    def test_a_single_kernel_that_dies_says_how(self):
        died = subprocess.CompletedProcess([], -9, "", "x\nlast words")
        with mock.patch.object(asm_step, "_run", lambda *a: died):
            got = asm_step.analyze(self.binaries("dead")[:1], "x86_64", "x86-64", [])
        self.assertIn("last words", got["fx/dot"])


if __name__ == "__main__":
    unittest.main()
