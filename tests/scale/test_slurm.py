"""sweep --executor slurm on a real one-node Slurm cluster on localhost.

The test starts munged, slurmctld and slurmd itself from a configuration in a
temporary folder and stops them by pid.  A 2-shard sweep of the tiny matrix
goes through one `sbatch --array` job; its merged run must hold the same
cells, statuses and same-code marks as a local sweep of that matrix."""
import json
import os
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import scale_fixture
from local_slurm import LocalSlurm, missing_tools


def _install_attempt() -> str:
    """CI installs the packages with scripts/deps.sh first; try once more here."""
    r = subprocess.run([str(scale_fixture.ROOT / "scripts/deps.sh"), "--only", "scale"],
                       capture_output=True, text=True)
    return (r.stdout + r.stderr).strip()


class SlurmExecutor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if missing_tools():
            note = _install_attempt()
            if missing_tools():
                raise unittest.SkipTest(f"Slurm/munge cannot be installed here (missing "
                                        f"{', '.join(missing_tools())}; scripts/deps.sh --only scale said: "
                                        f"{note[-300:] or 'nothing'})")
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-slurm-test-")
        base = Path(cls.tmp.name)
        cls.tree = scale_fixture.make_tree(base / "src")
        cls.cluster = LocalSlurm(base / "slurm")
        try:
            cls.cluster.start()
            t0 = time.monotonic()
            cls.local = scale_fixture.sweep(cls.tree, "--build-root", str(base / "b-local"),
                                            "--out", str(base / "local"))
            cls.local_s = time.monotonic() - t0
            cls.out = base / "slurm-run"
            t0 = time.monotonic()
            cls.run_ = scale_fixture.sweep(cls.tree, "--executor", "slurm", "--shards", "2",
                                           "--build-root", str(base / "b-slurm"), "--out", str(cls.out),
                                           env=cls.cluster.env)
            cls.slurm_s = time.monotonic() - t0
            cls.job_ids = [s.get("job") for s in
                           json.loads((cls.out / "executor.json").read_text())["submissions"]]
            cls.job_info = subprocess.run(["scontrol", "show", "job", cls.job_ids[0]], env=cls.cluster.env,
                                          capture_output=True, text=True).stdout
        except BaseException:
            cls.cluster.stop()
            cls.tmp.cleanup()
            raise
        cls.pids = [p.pid for _, p in cls.cluster.procs]
        cls.cluster.stop()
        print(f"\nwall time: local sweep {cls.local_s:.1f} s, 2-shard Slurm sweep {cls.slurm_s:.1f} s",
              flush=True)

    @classmethod
    def tearDownClass(cls):
        cls.cluster.stop()
        cls.tmp.cleanup()

    def test_both_sweeps_finish(self):
        # 1: both finish, listing the fixture kernels' failures (on purpose).
        self.assertEqual(self.local.returncode, 1, self.local.stderr[-2000:])
        self.assertEqual(self.run_.returncode, 1, self.run_.stderr[-3000:] + self.cluster.logs())
        self.assertIn("problem(s)", self.run_.stderr)
        self.assertIn("submitted Slurm array job", self.run_.stderr)
        self.assertRegex(self.run_.stderr, r"\[slurm\] \d+/\d+ ")  # the progress line

    def test_one_array_job_with_a_task_per_shard_on_an_exclusive_node(self):
        self.assertEqual(len(self.job_ids), 1)
        folder = Path(json.loads((self.out / "executor.json").read_text())["shards_dir"])
        outs = sorted(p.name for p in folder.glob("slurm-*_*.out"))
        self.assertEqual(outs, [f"slurm-{self.job_ids[0]}_1.out", f"slurm-{self.job_ids[0]}_2.out"])
        self.assertIn("OverSubscribe=NO", self.job_info)   # --exclusive
        for i in (1, 2):
            m = json.loads((folder / f"shard-{i}-of-2" / "manifest.json").read_text())
            self.assertEqual(m["status"], "complete")
            self.assertIn(f"--shard {i}/2", m["command"])

    def test_merged_run_equals_the_local_run(self):
        local, merged = scale_fixture.cells(self.tmp_path("local")), scale_fixture.cells(self.out)
        self.assertEqual(set(merged), set(local))
        self.assertEqual(merged, local)
        # The fixture's known outcomes, so equality is not two empty runs.
        self.assertEqual(merged[("fixture/faulty", "wrong", "gcc12.O2.v1")][0], "wrong")
        self.assertEqual(merged[("fixture/broken", "*", "gcc12.O2.v3")][0], "build failed")
        self.assertTrue(any(v[1] for v in merged.values()), "no same-code mark to compare")
        manifest = json.loads((self.out / "manifest.json").read_text())
        self.assertEqual(manifest["executor"]["kind"], "slurm")
        self.assertEqual(len(manifest["shards"]), 2)
        self.assertTrue((self.out / "tables" / "summary.md").is_file())

    def test_every_daemon_is_stopped(self):
        for pid in self.pids:
            self.assertFalse(os.path.exists(f"/proc/{pid}") and _state(pid) != "Z", f"pid {pid} still runs")

    def tmp_path(self, name):
        return Path(self.tmp.name) / name


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


if __name__ == "__main__":
    unittest.main()
