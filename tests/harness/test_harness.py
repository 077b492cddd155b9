"""Tests of the harness contract, run by CTest from a default build.

Environment (set by tests/harness/CMakeLists.txt): FB_ESCAPE_PROBE,
FB_AVX2_PROBE, FB_STACK_PROBE, FB_FTZ_PROBE and FB_FASTMATH_PROBE (probe
binaries; the last is empty where the compiler does not link crtfastmath.o),
FB_KERNELS (bin/kernels.txt), FB_EMULATOR (qemu for cross builds, else
empty), FB_ARCH.
"""
import json
import os
import shlex
import shutil
import statistics
import subprocess
import unittest

EMULATOR = shlex.split(os.environ.get("FB_EMULATOR", ""))
ESCAPE = os.environ.get("FB_ESCAPE_PROBE", "")
AVX2 = os.environ.get("FB_AVX2_PROBE", "")
KERNELS = os.environ.get("FB_KERNELS", "")
STACK = os.environ.get("FB_STACK_PROBE", "")
FTZ = os.environ.get("FB_FTZ_PROBE", "")
FASTMATH = os.environ.get("FB_FASTMATH_PROBE", "")
ARCH = os.environ.get("FB_ARCH", "")


def run(exe, *args, env=None):
    full_env = dict(os.environ)
    full_env.pop("FLAGBENCH_ISA_MAX", None)
    full_env.update(env or {})
    return subprocess.run(EMULATOR + [exe, *args], capture_output=True, text=True, env=full_env,
                          timeout=300)


def lines(proc):
    return [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]


def kernel_exe(name):
    with open(KERNELS) as f:
        return dict(l.split() for l in f)[name]


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
        exe = kernel_exe("simd/reduce")
        if json.loads(run(exe, "--describe").stdout)["build_isa"]:
            self.skipTest("this build itself needs more than the baseline")
        p = run(exe, "--variant", "avx2", "--size", "test", env={"FLAGBENCH_ISA_MAX": "baseline"})
        self.assertEqual(p.returncode, 3)
        self.assertEqual(lines(p)[0]["status"], "unsupported")
        p = run(exe, "--variant", "dispatch", "--size", "test", "--check",
                env={"FLAGBENCH_ISA_MAX": "baseline"})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(lines(p)[0]["dispatched"], "vecext")
        self.assertEqual(lines(p)[0]["dispatch"], "reduce_vecext")

    def test_bad_isa_max_is_a_usage_error(self):
        p = run(ESCAPE, "--list", env={"FLAGBENCH_ISA_MAX": "avx9000"})
        self.assertEqual(p.returncode, 2)
        self.assertIn("FLAGBENCH_ISA_MAX", p.stderr)


@unittest.skipUnless(STACK, "FB_STACK_PROBE not set")
class StackPadTest(unittest.TestCase):
    def depth(self, pad):
        p = run(STACK, "--stack-pad", str(pad))
        self.assertEqual(p.returncode, 0, p.stderr)
        line = lines(p)[0]
        self.assertEqual(line["stack_pad"], pad)
        return line["stack_depth"]

    def test_pad_moves_the_run_loop_frames_by_the_pad(self):
        base = self.depth(0)
        self.assertGreater(base, 0)
        for pad in (16, 1000, 4096, 65536):
            moved = self.depth(pad) - base
            # the pad moves in the stack's 16-byte steps (alloca rounds)
            self.assertLess(abs(moved - pad), 32, pad)

    def test_pad_out_of_range_is_a_usage_error(self):
        for bad in ("65537", "-1", "x"):
            p = run(STACK, "--stack-pad", bad)
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn("--stack-pad", p.stderr, bad)


@unittest.skipUnless(FTZ and ESCAPE, "FB_FTZ_PROBE not set")
class FpenvTest(unittest.TestCase):
    def fpenv(self, exe):
        p = run(exe, "--size", "test")
        self.assertEqual(p.returncode, 0, p.stderr)
        return lines(p)[0]["fpenv"]

    def flags(self):
        return ("ftz=1 daz=1", "ftz=0 daz=0") if ARCH == "x86_64" else ("fz=1", "fz=0")

    @unittest.skipUnless(ARCH in ("x86_64", "aarch64"), "no FP environment reader here")
    def test_start_up_ftz_is_reported(self):
        on, off = self.flags()
        self.assertIn(off, self.fpenv(ESCAPE))
        self.assertIn(on, self.fpenv(FTZ))

    @unittest.skipUnless(FASTMATH, "this compiler does not link crtfastmath.o")
    def test_fast_math_link_sets_ftz_before_main(self):
        self.assertIn("ftz=1 daz=1", self.fpenv(FASTMATH))


@unittest.skipUnless(ESCAPE, "FB_ESCAPE_PROBE not set")
class BatchTimingTest(unittest.TestCase):
    @unittest.skipIf(EMULATOR, "timing under emulation means nothing")
    def test_short_repetitions_are_timed_in_batches(self):
        # ~40 multiply-adds: tens of ns a repetition, far below 1000 clock steps.
        p = run(ESCAPE, "--variant", "escaped", "--size", "40", "--reps", "200", "--samples")
        self.assertEqual(p.returncode, 0, p.stderr)
        line = lines(p)[0]
        self.assertGreater(line["batch_reps"], 1)
        self.assertEqual(line["batches"], len(line["samples_ns"]))
        self.assertGreaterEqual(line["batches"], 5)
        self.assertEqual(line["reps"], line["batches"] * line["batch_reps"])
        # The summaries are those of the printed samples (identical samples are
        # allowed: a quiet machine gives them for a short, steady kernel).
        self.assertAlmostEqual(statistics.median(line["samples_ns"]), line["median_ns"], delta=0.006)
        self.assertAlmostEqual(min(line["samples_ns"]), line["min_ns"], delta=0.006)
        self.assertFalse(line["quantized"])
        sample_ns = line["median_ns"] * line["batch_reps"]
        self.assertGreaterEqual(sample_ns, 1000 * line["timer_resolution_ns"])
        self.assertGreater(line["timer_overhead_ns"], 0)
        self.assertLess(line["median_ns"], 10_000)

    def test_kernel_with_prepare_is_timed_a_repetition_a_sample(self):
        p = run(kernel_exe("dispatch/cpuid"), "--variant", "setup", "--size", "test", "--reps", "3")
        self.assertEqual(p.returncode, 0, p.stderr)
        line = lines(p)[0]
        self.assertEqual((line["batch_reps"], line["batches"], line["reps"]), (1, 3, 3))
        self.assertIsInstance(line["quantized"], bool)


class DispatchNoteTest(unittest.TestCase):
    def test_dispatching_variants_name_a_symbol_of_their_binary(self):
        nm = shutil.which("nm") or shutil.which("llvm-nm-19")
        for kernel, variant in (("simd/reduce", "dispatch"), ("dispatch/cpuid", "setup"),
                                ("dispatch/cpuid", "lazy"), ("dispatch/ifunc", "ifunc"),
                                ("dispatch/clones", "clones")):
            exe = kernel_exe(kernel)
            p = run(exe, "--variant", variant, "--size", "test", "--check")
            self.assertEqual(p.returncode, 0, p.stderr)
            symbol = lines(p)[0].get("dispatch")
            self.assertTrue(symbol, f"{kernel} {variant}: no dispatch field")
            if nm:
                names = subprocess.run([nm, exe], capture_output=True, text=True).stdout.split()
                self.assertIn(symbol, names, f"{kernel} {variant}")

    def test_fixed_path_variants_have_no_dispatch_field(self):
        p = run(kernel_exe("simd/reduce"), "--variant", "scalar", "--size", "test")
        self.assertNotIn("dispatch", lines(p)[0])


if __name__ == "__main__":
    unittest.main()
