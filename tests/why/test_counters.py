"""Counters: perf stat's CSV with and without hardware events, and callgrind's
fallbacks (an AVX-512 binary under valgrind 3.19, an emulated binary)."""
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

from whytest import ROOT  # noqa: F401

from flagbench.why import callgrind, counters

AVX512 = r"""
#include <immintrin.h>
#include <stdio.h>
int main(void) {
    volatile float x[16] = {1};
    __m512 v = _mm512_loadu_ps((const float *)x);
    _mm512_storeu_ps((float *)x, _mm512_add_ps(v, v));
    printf("%f\n", x[0]);
    return 0;
}
"""

CALLGRIND_OUT = """# callgrind format
version: 1
positions: line
events: Ir
summary: 1000
fn=(1) reduce_autovec
5 300
6 200
cfn=(2) helper
calls=4 7
7 400
fn=(3) main
9 50
fn=(1)
8 10
totals: 1000
"""


class PerfStat(unittest.TestCase):
    def test_parse_counts_and_not_supported(self):
        text = ("<not supported>,,cycles,0,100.00,,\n"
                "12345,,instructions:u,1000,100.00,,\n"
                "77,,branch-misses,1000,100.00,,\n")
        self.assertEqual(counters.parse_stat_csv(text),
                         {"cycles": None, "instructions": 12345, "branch-misses": 77})

    def test_without_hardware_events_one_clear_record(self):
        hw = counters.hardware()
        if hw["supported"]:
            self.skipTest("this machine has hardware counters")
        got = counters.stat(["true"])
        self.assertEqual(got["supported"], False)
        self.assertIn("no hardware performance counters", got["why"])
        self.assertEqual(counters.event()["event"], "cpu-clock")


class Callgrind(unittest.TestCase):
    def test_self_cost_of_the_named_function_only(self):
        with tempfile.NamedTemporaryFile("w", suffix=".cg", delete=False) as f:
            f.write(CALLGRIND_OUT)
        try:
            got = callgrind.parse_out(f.name, {"reduce_autovec"})
        finally:
            Path(f.name).unlink()
        self.assertEqual(got, {"total": 1000, "function": 510})   # the call's 400 is not its own

    def test_emulated_binary_is_not_available(self):
        got = callgrind.instructions("/bin/true", "x", "test", 1, ["f"], emulator=["qemu-aarch64"])
        self.assertFalse(got["supported"])
        self.assertIn("not available", got["why"])

    @unittest.skipIf(not shutil.which("valgrind"), "valgrind not installed")
    def test_avx512_build_is_not_measurable_never_a_crash(self):
        cc = shutil.which("gcc") or shutil.which("clang-19")
        with tempfile.TemporaryDirectory() as d:
            src, exe = Path(d) / "v4.c", Path(d) / "v4"
            src.write_text(AVX512)
            subprocess.run([cc, "-O2", "-march=x86-64-v4", str(src), "-o", str(exe)], check=True)
            got = callgrind.instructions(str(exe), "x", "test", 1, ["main"])
        self.assertFalse(got["supported"])
        self.assertIn(callgrind.NOT_MEASURABLE, got["why"])
        self.assertIn("AVX-512", got["why"])


if __name__ == "__main__":
    unittest.main()
