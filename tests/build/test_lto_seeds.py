"""Layout seeds of LTO builds linked from the main link's LTO objects
(cmake/FlagbenchLtoSeeds.cmake, scripts/lib/lto_seed_link.py).

A tiny build per compiler and LTO mode, two seeds: each seed must be linked by
reuse (its marker says so) where that can give the layout an LTO link gives,
run --check, and hold the main binary's hot code, unchanged (the analyzer's
code_hash) and moved by exactly its pad.  A seed
whose kept objects are wrong falls back to its own LTO link, and
FB_LTO_SEED_REUSE=OFF links every seed with LTO as before."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts/lib"))
import lto_seed_link  # noqa: E402
from flagbench import paths  # noqa: E402

KERNELS = ("inline/cross_tu", "simd/saxpy", "dispatch/ifunc")
# With lld, dispatch/ifunc's LTO link puts a libgcc.a member that its IR
# refers to (__cpu_indicator_init) ahead of the LTO code, which a plain link
# cannot: its seeds must fall back and still move by their pad.
REUSED = KERNELS[:2]
PADS = {1: 2384, 2: 672}          # flagbench.seeds.pad_bytes(1), (2): what the sweep passes


def missing_tools(toolchain):
    need = {"gcc": ["gcc"], "clang-19": ["clang-19", "ld.lld-19"]}[toolchain]
    return [t for t in need + ["cmake", "ninja"] if not shutil.which(t)]


class Build:
    """One configured and built directory of the KERNELS."""

    def __init__(self, base, toolchain, lto, reuse=True):
        self.dir = Path(base) / f"{toolchain}-{lto}-{'on' if reuse else 'off'}"
        self.lld = toolchain.startswith("clang")
        pads = ";".join(f"{s}={b}" for s, b in PADS.items())
        filter_ = "^(" + "|".join(KERNELS) + ")$"
        cfg = subprocess.run(
            ["cmake", "-S", str(ROOT), "-B", str(self.dir), "-G", "Ninja",
             f"-DCMAKE_TOOLCHAIN_FILE={ROOT}/toolchains/{toolchain}.cmake", "-DBUILD_TESTING=OFF",
             "-DFB_WERROR=ON", f"-DFB_LTO={lto}", f"-DFB_LAYOUT_PADS={pads}",
             f"-DFB_KERNELS={filter_}", f"-DFB_LTO_SEED_REUSE={'ON' if reuse else 'OFF'}"],
            capture_output=True, text=True)
        self.log = cfg.stdout + cfg.stderr
        self.ok = cfg.returncode == 0 and self.build()

    def build(self):
        """Builds what is out of date; self.output is what this build printed."""
        r = subprocess.run(["cmake", "--build", str(self.dir), "-j2"], capture_output=True, text=True)
        self.output = r.stdout + r.stderr
        self.log += self.output
        return r.returncode == 0

    def binary(self, kernel, seed=0):
        name = kernel.replace("/", "_")
        return self.dir / ("bin" if seed == 0 else f"bin-seed{seed}") / name

    def marker(self, kernel, seed):
        p = self.dir / "lto-seeds" / kernel.replace("/", "_") / f"seed{seed}.txt"
        return p.read_text() if p.exists() else None

    def analyze(self, kernel):
        """The analyzer's record per variant, with the seeds as layout binaries."""
        desc = subprocess.run([str(self.binary(kernel)), "--describe"], capture_output=True, text=True)
        variants = [v["name"] for v in json.loads(desc.stdout)["variants"]]
        out = Path(tempfile.mkdtemp(dir=self.dir))
        layout = [a for s in PADS for a in ("--layout-binary", f"{s}={self.binary(kernel, s)}")]
        r = subprocess.run(paths.module_command("flagbench.asm.analyze", "--binary", str(self.binary(kernel)),
                                                "--kernel", kernel, "--variants", ",".join(variants),
                                                "--no-mca", "--quiet", "--out", str(out), *layout),
                           capture_output=True, text=True, env=paths.module_env())
        if r.returncode != 0:
            raise AssertionError(f"analyze {kernel}: {r.stderr[-2000:]}")
        return {v: json.loads((out / f"{v}.json").read_text()) for v in variants}


class SeedChecks:
    """What every build's seeds must satisfy, reused or not."""

    def assert_seeds_run_and_hold_moved_code(self, b):
        for kernel in KERNELS:
            for seed in PADS:
                r = subprocess.run([str(b.binary(kernel, seed)), "--size", "test", "--check"],
                                   capture_output=True, text=True, timeout=300)
                self.assertIn(r.returncode, (0, 3), f"{kernel} seed {seed}: {r.stderr[-1000:]}")
            for variant, doc in b.analyze(kernel).items():
                with self.subTest(kernel=kernel, variant=variant):
                    lay = doc["layout"]
                    for seed, pad in PADS.items():
                        # lld's ifunc stubs included: asm.disasm.plt_stub_name
                        self.assertEqual(lay[str(seed)]["code_hash"], doc["code_hash"])
                        moved = lay[str(seed)]["function"]["addr"] - lay["0"]["function"]["addr"]
                        self.assertEqual(moved, pad, f"seed {seed} moved the hot function by {moved}")


class ReuseTest(SeedChecks):
    toolchain = lto = None

    @classmethod
    def setUpClass(cls):
        missing = missing_tools(cls.toolchain)
        if missing:
            raise unittest.SkipTest(f"skipped: {', '.join(missing)} not installed")
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-lto-seeds-")
        cls.b = Build(cls.tmp.name, cls.toolchain, cls.lto)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_seeds_reuse_the_lto_objects(self):
        self.assertTrue(self.b.ok, self.b.log[-4000:])
        for kernel in REUSED:
            self.assertNotIn(f"flagbench: {kernel} seed", self.b.log)
            for seed in PADS:
                self.assertRegex(self.b.marker(kernel, seed) or "", r"^reused: lto\.o",
                                 f"{kernel} seed {seed}")

    def test_seeds_run_and_hold_the_main_binarys_code_moved_by_their_pad(self):
        self.assertTrue(self.b.ok, self.b.log[-4000:])
        self.assert_seeds_run_and_hold_moved_code(self.b)


class GccFull(ReuseTest, unittest.TestCase):
    toolchain, lto = "gcc", "full"

    def test_wrong_objects_fall_back_to_an_lto_link(self):
        """Another kernel's kept objects link, but into other functions: the check
        must catch it, and the seed gets its own LTO link, named in the log."""
        self.assertTrue(self.b.ok, self.b.log[-4000:])
        seeds = self.b.dir / "lto-seeds"
        victim, donor = (seeds / k.replace("/", "_") / "objects" for k in REUSED)
        own = seeds / "own-objects"
        shutil.copytree(victim, own)
        try:
            self.swap_objects(victim, donor)
            self.assertIn(f"flagbench: {REUSED[0]} seed 1: cannot reuse the LTO objects", self.b.output)
            self.assertIn("its functions differ from the main binary's", self.b.output)
            for seed in PADS:
                self.assertRegex(self.b.marker(REUSED[0], seed), r"^full-lto: ")
            self.assert_seeds_run_and_hold_moved_code(self.b)
        finally:                                      # the other tests want reused seeds
            self.swap_objects(victim, own)

    def swap_objects(self, victim, donor):
        for f in victim.iterdir():
            f.unlink()
        for f in donor.iterdir():
            shutil.copy(f, victim / f.name)
        os.utime(self.b.binary(REUSED[0]))           # the seeds depend on it: relinks them
        self.assertTrue(self.b.build(), self.b.output[-4000:])


class ClangFull(ReuseTest, unittest.TestCase):
    toolchain, lto = "clang-19", "full"


class ClangThin(ReuseTest, unittest.TestCase):
    toolchain, lto = "clang-19", "thin"


class ReuseOff(SeedChecks, unittest.TestCase):
    """FB_LTO_SEED_REUSE=OFF: every seed is an LTO link of its own, as before."""

    def test_each_seed_gets_its_own_lto_link(self):
        missing = missing_tools("gcc")
        if missing:
            self.skipTest(f"skipped: {', '.join(missing)} not installed")
        with tempfile.TemporaryDirectory(prefix="fb-lto-seeds-") as tmp:
            b = Build(tmp, "gcc", "full", reuse=False)
            self.assertTrue(b.ok, b.log[-4000:])
            self.assertFalse((b.dir / "lto-seeds").exists())
            self.assertNotIn("lto_seed_link", (b.dir / "build.ninja").read_text())
            self.assert_seeds_run_and_hold_moved_code(b)


class CommandTest(unittest.TestCase):
    """The rewritten link command, on objects made here (no build)."""

    @classmethod
    def setUpClass(cls):
        if not shutil.which("gcc"):
            raise unittest.SkipTest("skipped: gcc not installed")
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-lto-cmd-")
        d = Path(cls.tmp.name)
        (d / "a.c").write_text("int a(void) { return 1; }\n")
        subprocess.run(["gcc", "-O2", "-flto", "-c", str(d / "a.c"), "-o", str(d / "ir.o")], check=True)
        subprocess.run(["gcc", "-O2", "-c", str(d / "a.c"), "-o", str(d / "native.o")], check=True)
        for n in ("lto.o", "lto.o10", "lto.o2", "lto.o1", "other.o"):
            (d / "kept").mkdir(exist_ok=True)
            (d / "kept" / n).write_bytes(b"")
        cls.d = d

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_kept_objects_come_in_task_order(self):
        names = [p.name for p in lto_seed_link.kept_objects(self.d / "kept")]
        self.assertEqual(names, ["lto.o", "lto.o1", "lto.o2", "lto.o10"])

    def test_ir_objects_are_replaced_where_the_linker_puts_lto_output(self):
        ir, nat = str(self.d / "ir.o"), str(self.d / "native.o")
        cmd = ["cc", "-O2", "pad.o", ir, nat, ir, "-o", "x", "-lm"]
        self.assertEqual(lto_seed_link.reuse_command(cmd, ["k0", "k1"], "at-first-ir"),
                         ["cc", "-O2", "pad.o", "k0", "k1", nat, "-o", "x", "-lm"])
        self.assertEqual(lto_seed_link.reuse_command(cmd, ["k0"], "at-end", shared_libgcc=True),
                         ["cc", "-shared-libgcc", "-O2", "pad.o", nat, "-o", "x", "-lm", "k0"])
        with self.assertRaisesRegex(lto_seed_link.Unusable, "no LTO object"):
            lto_seed_link.reuse_command(["cc", nat, "-o", "x"], ["k0"], "at-end")


if __name__ == "__main__":
    unittest.main()
