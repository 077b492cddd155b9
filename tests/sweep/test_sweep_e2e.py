"""End-to-end sweeps on a tiny matrix at --size test: a failing build, wrong
and crashing variants, resume after an interrupt, and a resume with nothing to do."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import fixture_tree

COMMON = ["--no-deps", "--matrix", "tiny", "--size", "test", "--no-mca", "--jobs", "2"]


def statuses(run: Path) -> dict:
    out = {}
    for f in sorted(run.glob("configs/*/kernels/*/check.json")):
        config, kernel = f.parts[-4], f.parts[-2]
        for variant, r in json.loads(f.read_text()).items():
            out[(config, kernel, variant)] = r["status"]
    return out


def timed(run: Path) -> set:
    return {(f.parts[-5], f.parts[-3], f.stem) for f in run.glob("configs/*/kernels/*/time/*.json")}


class SweepEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-sweep-test-")
        cls.tree = fixture_tree.make(_mkdir(cls.tmp.name, "src"))
        cls.build_root = Path(cls.tmp.name) / "builds"
        cls.run_dir = Path(cls.tmp.name) / "run-full"
        cls.first = cls.sweep("--out", str(cls.run_dir))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def sweep(cls, *args, timeout=900):
        return subprocess.run([str(cls.tree / "scripts/sweep.sh"), *COMMON, "--build-root",
                               str(cls.build_root), *args], capture_output=True, text=True,
                              timeout=timeout)

    def test_sweep_completes_and_writes_the_layout(self):
        # The fixtures fail on purpose: the run completes, then says so.
        self.assertEqual(self.first.returncode, 1, self.first.stderr[-3000:])
        manifest = json.loads((self.run_dir / "manifest.json").read_text())
        self.assertEqual(manifest["status"], "complete")
        for key in ("cpu", "kernel", "aslr", "environment_bytes", "tools", "git"):
            self.assertIn(key, manifest["machine"])
        plan = json.loads((self.run_dir / "plan.json").read_text())
        self.assertEqual([c["id"] for c in plan["configs"]],
                         ["gcc12.O2.v1", "gcc12.O2.v3", "gcc12.O2.v1.aa"])
        self.assertEqual(list(self.run_dir.rglob("*.tmp")), [])
        self.assertIn("Tables:", self.first.stderr)

    def test_the_last_lines_list_every_problem(self):
        tail = self.first.stderr.split("Tables:", 1)[1]
        self.assertIn("problem(s)", tail)
        self.assertRegex(tail, r"gcc12\.O2\.v3 fixture/broken: build failed: .*refuses to build for AVX2")
        for config in ("gcc12.O2.v1", "gcc12.O2.v3"):
            self.assertIn(f"{config} fixture/faulty/wrong: wrong", tail)
            self.assertIn(f"{config} fixture/faulty/crash: crashed", tail)
        self.assertNotIn("fixture/faulty/right", tail)

    def test_failing_build_fails_alone_with_the_compiler_message(self):
        v3 = json.loads((self.run_dir / "configs/gcc12.O2.v3/build.json").read_text())
        self.assertEqual(v3["status"], "partial")
        self.assertEqual(list(v3["kernels_failed"]), ["fixture/broken"])
        self.assertIn("refuses to build for AVX2", v3["kernels_failed"]["fixture/broken"])
        s = statuses(self.run_dir)
        self.assertEqual(s[("gcc12.O2.v1", "fixture_broken", "plain")], "ok")
        self.assertNotIn(("gcc12.O2.v3", "fixture_broken", "plain"), s)
        summary = (self.run_dir / "tables/summary.md").read_text()
        self.assertIn("refuses to build for AVX2", summary)

    def test_wrong_and_crashing_variants_are_recorded_and_not_timed(self):
        s = statuses(self.run_dir)
        for config in ("gcc12.O2.v1", "gcc12.O2.v3"):
            self.assertEqual(s[(config, "fixture_faulty", "right")], "ok")
            self.assertEqual(s[(config, "fixture_faulty", "wrong")], "wrong")
            self.assertEqual(s[(config, "fixture_faulty", "crash")], "crashed")
        t = timed(self.run_dir)
        self.assertIn(("gcc12.O2.v1", "fixture_faulty", "right"), t)
        self.assertNotIn(("gcc12.O2.v1", "fixture_faulty", "wrong"), t)
        self.assertNotIn(("gcc12.O2.v1", "fixture_faulty", "crash"), t)
        summary = (self.run_dir / "tables/summary.md").read_text()
        self.assertRegex(summary, r"fixture/faulty/wrong` under `gcc12.O2.v1`: wrong: sum \d+, want \d+")
        self.assertIn("killed by SIGSEGV", summary)

    def test_aa_duplicate_is_timed_on_its_own(self):
        aa = json.loads((self.run_dir / "configs/gcc12.O2.v1.aa/kernels/simd_reduce/time/scalar.json")
                        .read_text())
        self.assertGreaterEqual(aa["n"], 2)
        self.assertIsNone(aa.get("same_as"))
        self.assertEqual(aa["seeds"], [4, 5, 6, 7])      # layouts of its own, not the baseline's
        self.assertLessEqual({x["seed"] for x in aa["samples"]}, {4, 5, 6, 7})

    def test_resume_with_nothing_left_redoes_nothing(self):
        before = {f: f.stat().st_mtime_ns for f in self.run_dir.rglob("*.json")
                  if "tables" not in f.parts and f.name != "manifest.json"}
        r = self.sweep("--resume", "--out", str(self.run_dir))
        self.assertEqual(r.returncode, 1, r.stderr[-2000:])     # the fixtures' failures, again
        after = {f: f.stat().st_mtime_ns for f in before}
        self.assertEqual(before, after)

    def test_interrupt_then_resume_equals_an_uninterrupted_run(self):
        run = Path(self.tmp.name) / "run-interrupted"
        args = [str(self.tree / "scripts/sweep.sh"), *COMMON, "--build-root", str(self.build_root),
                "--min-samples", "15", "--max-samples", "15", "--out", str(run)]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not list(run.glob("configs/*/kernels/*/time/*.json")):
            if p.poll() is not None:
                break
            time.sleep(0.05)
        self.assertIsNone(p.poll(), "the sweep ended before it could be interrupted")
        os.kill(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, err[-2000:])
        self.assertIn("--resume", err)
        self.assertEqual(json.loads((run / "manifest.json").read_text())["status"], "interrupted")
        self.assertEqual(list(run.rglob("*.tmp")), [])
        partial = timed(run)
        self.assertLess(len(partial), len(timed(self.run_dir)))

        r = self.sweep("--resume", "--out", str(run))
        self.assertEqual(r.returncode, 1, r.stderr[-2000:])
        self.assertEqual(json.loads((run / "manifest.json").read_text())["status"], "complete")
        self.assertEqual(statuses(run), statuses(self.run_dir))
        self.assertEqual(timed(run), timed(self.run_dir))
        # What was finished before the interrupt was kept, not redone.
        resumed = json.loads((run / "manifest.json").read_text())["resumed"]
        self.assertEqual(len(resumed), 1)


def _mkdir(base, name):
    p = Path(base) / name
    p.mkdir()
    return p


if __name__ == "__main__":
    unittest.main()
