"""Tests of the harness contract, run by CTest from a default build.

Environment (set by tests/harness/CMakeLists.txt): FB_ESCAPE_PROBE and
FB_AVX2_PROBE (probe binaries), FB_KERNELS (bin/kernels.txt), FB_EMULATOR
(qemu for cross builds, else empty), FB_ARCH.
"""
import json
import os
import shlex
import subprocess
import unittest

EMULATOR = shlex.split(os.environ.get("FB_EMULATOR", ""))
ESCAPE = os.environ.get("FB_ESCAPE_PROBE", "")
AVX2 = os.environ.get("FB_AVX2_PROBE", "")
KERNELS = os.environ.get("FB_KERNELS", "")


def run(exe, *args, env=None):
    full_env = dict(os.environ)
    full_env.pop("FLAGBENCH_ISA_MAX", None)
    full_env.update(env or {})
    return subprocess.run(EMULATOR + [exe, *args], capture_output=True, text=True, env=full_env,
                          timeout=300)


def lines(proc):
    return [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]


def a_kernel():
    with open(KERNELS) as f:
        name, path = f.readline().split()
    return name, path


@unittest.skipUnless(ESCAPE, "FB_ESCAPE_PROBE not set")
class EscapeTest(unittest.TestCase):
    def median(self, variant, n):
        p = run(ESCAPE, "--variant", variant, "--size", str(n), "--reps", "7")
        self.assertEqual(p.returncode, 0, p.stderr)
        return lines(p)[0]["median_ns"]

    @unittest.skipIf(EMULATOR, "timing under emulation means nothing")
    def test_escaped_work_is_timed_and_discarded_work_is_folded(self):
        # 100x more work must take far more time when the result escapes...
        small, big = self.median("escaped", 100_000), self.median("escaped", 10_000_000)
        self.assertGreater(big, 20 * max(small, 1), f"escaped: {small} ns -> {big} ns")
        # ...and the same loop without the escape is deleted, so the probe
        # really would be folded away: its time does not grow with n.
        d_small, d_big = self.median("discarded", 100_000), self.median("discarded", 10_000_000)
        self.assertLess(d_big, big / 20, f"discarded: {d_small} ns -> {d_big} ns")


class ContractTest(unittest.TestCase):
    def test_json_line_per_variant_with_contract_fields(self):
        name, exe = a_kernel()
        desc = json.loads(run(exe, "--describe").stdout)
        self.assertEqual(desc["kernel"], name)
        p = run(exe, "--size", "test", "--check")
        self.assertEqual(p.returncode, 0, p.stderr)
        out = lines(p)
        self.assertEqual([l["variant"] for l in out], [v["name"] for v in desc["variants"]])
        for l in out:
            for key in ("kernel", "variant", "size", "items", "reps", "threads", "checksum", "ok",
                        "min_ns", "median_ns"):
                self.assertIn(key, l)
            self.assertIn(l["status"], ("ok", "unsupported"))

    def test_list_matches_describe(self):
        _, exe = a_kernel()
        listed = run(exe, "--list").stdout.split()
        desc = json.loads(run(exe, "--describe").stdout)
        self.assertEqual(listed, [v["name"] for v in desc["variants"]])

    def test_usage_errors_exit_2_with_a_message(self):
        _, exe = a_kernel()
        for args, words in ((["--bogus"], "unknown option"), (["--size", "huge"], "--size"),
                            (["--variant", "nope"], "unknown variant"), (["--reps"], "needs a value"),
                            (["--reps", "0"], "--reps")):
            p = run(exe, *args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn(words, p.stderr, args)
            self.assertEqual(p.stdout, "", args)

    def test_help_exits_0(self):
        _, exe = a_kernel()
        p = run(exe, "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("--variant", p.stdout)

    def test_same_seed_same_checksum_other_seed_other_checksum(self):
        _, exe = a_kernel()
        first = [l["checksum"] for l in lines(run(exe, "--size", "test", "--seed", "7"))]
        again = [l["checksum"] for l in lines(run(exe, "--size", "test", "--seed", "7"))]
        other = [l["checksum"] for l in lines(run(exe, "--size", "test", "--seed", "8"))]
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)


@unittest.skipUnless(os.environ.get("FB_ARCH") == "x86_64" and AVX2, "x86-64 only")
class IsaTest(unittest.TestCase):
    def test_build_for_missing_isa_exits_3_before_running(self):
        p = run(AVX2, "--size", "test", env={"FLAGBENCH_ISA_MAX": "baseline"})
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertRegex(p.stderr, r"lacks [a-z0-9.,]*avx2")
        self.assertEqual(p.stdout, "")

    def test_variant_needing_hidden_isa_is_unsupported(self):
        exe = dict(l.split() for l in open(KERNELS))["simd/reduce"]
        if json.loads(run(exe, "--describe").stdout)["build_isa"]:
            self.skipTest("this build itself needs more than the baseline")
        p = run(exe, "--variant", "avx2", "--size", "test", env={"FLAGBENCH_ISA_MAX": "baseline"})
        self.assertEqual(p.returncode, 3)
        self.assertEqual(lines(p)[0]["status"], "unsupported")
        p = run(exe, "--variant", "dispatch", "--size", "test", "--check",
                env={"FLAGBENCH_ISA_MAX": "baseline"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(lines(p)[0]["dispatched"], "vecext")

    def test_bad_isa_max_is_a_usage_error(self):
        p = run(ESCAPE, "--list", env={"FLAGBENCH_ISA_MAX": "avx9000"})
        self.assertEqual(p.returncode, 2)
        self.assertIn("FLAGBENCH_ISA_MAX", p.stderr)


if __name__ == "__main__":
    unittest.main()
