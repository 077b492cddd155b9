"""The pieces of the executors that need no sweep: the --plan estimate, the
command a shard runs on its node (fresh, then resumed), the engines' command
lines, and the refusals of bad options."""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import scale_fixture  # noqa: F401 - puts scripts/lib on the path
from flagbench.executors import cli, estimate, parallel, shards, slurm
from flagbench.run.plan import Plan

ROOT = scale_fixture.ROOT


def plan_of(configs, kernels=("a/x", "a/y", "b/z"), size="ref"):
    """plan.json with what the estimate reads."""
    return {"matrix": "m", "baseline": configs[0]["id"], "size": size, "kernels": list(kernels),
            "configs": configs}


def cfg(cid, pgo="off", aa_of=None, arch="x86_64"):
    return {"id": cid, "axes": {"pgo": pgo}, "family": "gcc", "arch": arch,
            "toolchain": "toolchains/gcc.cmake", "line": 1, "aa_of": aa_of}


def state_for(tmp: Path, n=2, **extra) -> dict:
    st = {"shards": n, "shards_dir": str(tmp / "my shards"), "root": str(tmp / "src tree"),
          "build_root": str(tmp / "b"), "sweep_options": ["--matrix", "tiny", "--size", "test"],
          "seed": 5, "jobs_arg": ["--jobs", "2"], "no_deps": True, "run_name": "r",
          "kernels": ["a/x", "a/y", "b/z"], "configs": [{"id": "c1", "aa_of": None}]}
    st.update(extra)
    return st


class Estimate(unittest.TestCase):
    def test_rates_come_from_an_earlier_run_and_weigh_pgo_aa_and_emulation(self):
        with tempfile.TemporaryDirectory() as tmp:
            run = Path(tmp) / "results" / "old-run"
            run.mkdir(parents=True)
            # 2 plain configurations + an A/A duplicate, 4 kernels: 8 build units, 12 timed units.
            (run / "plan.json").write_text(json.dumps(plan_of(
                [cfg("b"), cfg("o3"), cfg("b.aa", aa_of="b")], kernels=("k1", "k2", "k3", "k4"))))
            (run / "manifest.json").write_text(json.dumps({
                "status": "complete", "options": {"time_per_kernel": 2, "min_samples": 5},
                "durations": [{"build_check_asm_s": 16.0, "total_s": 52.0}]}))
            bc, tm, source = estimate.rates(Path(tmp), "ref")
            self.assertAlmostEqual(bc, 2.0)
            self.assertAlmostEqual(tm, 3.0 / 5)     # per timed unit and --min-samples
            self.assertIn("old-run", source)
            self.assertEqual(estimate.rates(Path(tmp), "test")[:2],
                             (estimate.DEFAULT_BUILD_CHECK_S, estimate.DEFAULT_TIME_S))
        plan = Plan.from_json(plan_of([cfg("b"), cfg("p", pgo="on"), cfg("b.aa", aa_of="b"),
                                       cfg("arm", arch="aarch64")]))
        costs = estimate.per_config(plan, 2.0, 3.0, True)
        self.assertEqual(costs, {"b": 3 * (2 + 3), "p": 3 * (4 + 3), "b.aa": 3 * 3, "arm": 3 * 2})
        self.assertEqual(estimate.per_config(plan, 2.0, 3.0, False)["b.aa"], 0)
        self.assertEqual(estimate.per_config(plan, 2.0, 0.5, True, min_samples=4)["b"], 3 * (2 + 2))

    def test_wall_time_is_the_largest_shard(self):
        self.assertAlmostEqual(estimate.wall_for(470, 47, 4), 470 * 12 / 47)
        self.assertAlmostEqual(estimate.wall_for(470, 47, 1), 470)
        self.assertAlmostEqual(estimate.wall_for(470, 47, 100), 10)   # no more nodes than kernels

    def test_plan_prints_the_estimate(self):
        r = subprocess.run([str(ROOT / "scripts/sweep.sh"), "--plan", "--matrix", "quick", "--shards", "3"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("estimated machine-time", r.stdout)
        self.assertRegex(r.stdout, r"total: [\d.]+ machine-hours \(6 configurations x \d+ kernels\)")
        self.assertRegex(r.stdout, r"wall time on N nodes.* 3: ")


class ShardCommand(unittest.TestCase):
    def test_a_shard_starts_then_resumes_on_its_node(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            st = state_for(tmp)
            stub = tmp / "src tree" / "scripts" / "sweep.sh"
            stub.parent.mkdir(parents=True)
            # Records its arguments and leaves a run behind, as the sweep does.
            stub.write_text('#!/bin/sh\nprev=""\nfor a in "$@"; do\n'
                            '  [ "$prev" = --out ] && touch "$a/plan.json"\n  prev=$a\ndone\n'
                            'echo "ARGS $*"\n')
            stub.chmod(0o755)
            line = shards.command(st, "2")
            for _ in range(2):
                r = subprocess.run(["sh", "-c", line], capture_output=True, text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
            log = (tmp / "my shards" / "shard-2-of-2" / "sweep.log").read_text().splitlines()
            self.assertEqual(len(log), 2)
            self.assertIn("--matrix tiny --size test --seed 5 --shard 2/2 --out", log[0])
            self.assertIn(f"--build-root {tmp}/b/shard-2-of-2 --jobs 2 --no-deps", log[0])
            self.assertTrue(log[1].startswith("ARGS --resume --out"), log[1])
            self.assertNotIn("--shard", log[1])

    def test_engines_command_lines(self):
        with tempfile.TemporaryDirectory() as tmp:
            st = state_for(Path(tmp), n=4, hosts_file="/h", shared=False, partition="bench")
            self.assertIn("i=$SLURM_ARRAY_TASK_ID", slurm.job_script(st))
            cmd = parallel.command_line(st, [2, 4])
            self.assertEqual(cmd[:6], ["parallel", "--will-cite", "--sshloginfile", "/h", "-j1", "--halt"])
            self.assertIn("--return", cmd)
            self.assertEqual(cmd[-3:], [":::", "2", "4"])
            self.assertNotIn("--return", parallel.command_line(dict(st, shared=True), [1]))

    def test_progress_units_count_what_the_shard_wrote(self):
        with tempfile.TemporaryDirectory() as tmp:
            st = state_for(Path(tmp), n=2, configs=[{"id": "c1", "aa_of": None}, {"id": "c1.aa", "aa_of": "c1"}])
            self.assertEqual(shards.units(st, 1), (0, 1 + 2 * 2 + 2))   # kernels a/x and b/z
            d = shards.shard_dir(st, 1)
            (d / "configs/c1/kernels/a_x/time").mkdir(parents=True)
            (d / "configs/c1/build.json").write_text("{}")
            (d / "configs/c1/kernels/a_x/check.json").write_text("{}")
            (d / "configs/c1/kernels/a_x/time/v.json").write_text("{}")
            (d / "manifest.json").write_text(json.dumps({"status": "running"}))
            self.assertEqual(shards.units(st, 1), (3, 7))
            self.assertEqual(shards.missing(st), [1, 2])
            (d / "manifest.json").write_text(json.dumps({"status": "complete"}))
            self.assertEqual(shards.units(st, 1), (7, 7))
            self.assertEqual(shards.missing(st), [2])


class Options(unittest.TestCase):
    def sweep(self, *args):
        return subprocess.run([str(ROOT / "scripts/sweep.sh"), "--no-deps", *args], capture_output=True,
                              text=True, timeout=120)

    def test_bad_options_are_refused_with_the_reason(self):
        p = argparse.ArgumentParser()
        cli.add_arguments(p)
        self.assertEqual(p.parse_args(["--executor", "slurm", "--shards", "3"]).shards, 3)
        r = self.sweep("--executor", "slurm", "--shards", "0")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--shards: wants a whole number of at least 1, not '0'", r.stderr)
        r = self.sweep("--executor", "slurm", "--shard", "1/2", "--out", os.devnull + "-never")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--shard is chosen by the executor", r.stderr)
        r = self.sweep("--executor", "slurm", "--resume", "--out", str(ROOT / "docs"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("holds no distributed run", r.stderr)


@unittest.skipUnless(shutil.which("parallel"), "GNU parallel is not installed (scripts/deps.sh --only scale)")
class FailedShard(unittest.TestCase):
    def test_a_shard_that_cannot_start_is_reported_with_the_resume_command(self):
        with tempfile.TemporaryDirectory() as tmp:
            hosts = Path(tmp) / "hosts"
            hosts.write_text(":\n")
            out = Path(tmp) / "run"
            r = subprocess.run([str(ROOT / "scripts/sweep.sh"), "--no-deps", "--matrix", "quick", "--kernels",
                                "^simd/reduce$", "--executor", "parallel", "--hosts", str(hosts),
                                "--remote-root", str(Path(tmp) / "no-such-tree"), "--out", str(out)],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("shard 1 of 1 did not finish (not started)", r.stderr)
            self.assertIn("no-such-tree", r.stderr)     # the engine's log says why
            self.assertIn(f"--executor parallel --resume --out {out}", r.stderr)
            self.assertFalse((out / "manifest.json").exists())


if __name__ == "__main__":
    unittest.main()
