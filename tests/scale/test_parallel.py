"""sweep --executor parallel with ':' (this machine) as the ssh host: 2 shards of
the tiny matrix, one at a time, merged into one run; then --resume resubmits
only a shard that did not finish."""
import json
import shutil
import tempfile
import unittest
from pathlib import Path

import scale_fixture

EXPECTED = {  # the fixture kernels' known outcomes (tests/sweep/fixture)
    ("fixture/faulty", "right", "gcc12.O2.v1"): "ok",
    ("fixture/faulty", "wrong", "gcc12.O2.v1"): "wrong",
    ("fixture/faulty", "crash", "gcc12.O2.v3"): "crashed",
    ("fixture/broken", "plain", "gcc12.O2.v1"): "ok",
    ("fixture/broken", "*", "gcc12.O2.v3"): "build failed",
}


@unittest.skipUnless(shutil.which("parallel"), "GNU parallel is not installed (scripts/deps.sh --only scale)")
class ParallelExecutor(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-parallel-test-")
        base = Path(cls.tmp.name)
        cls.tree = scale_fixture.make_tree(base / "src")
        cls.hosts = base / "hosts"
        cls.hosts.write_text("# this machine\n:\n")
        cls.out = base / "par-run"
        cls.build_root = base / "b"
        cls.first = cls.sweep("--out", str(cls.out))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    @classmethod
    def sweep(cls, *args):
        return scale_fixture.sweep(cls.tree, "--executor", "parallel", "--hosts", str(cls.hosts),
                                   "--shards", "2", "--build-root", str(cls.build_root), *args)

    def state(self):
        return json.loads((self.out / "executor.json").read_text())

    def test_1_shards_run_and_merge(self):
        self.assertEqual(self.first.returncode, 1, self.first.stderr[-3000:])  # the fixtures' failures
        self.assertIn("GNU parallel", self.first.stderr)
        self.assertRegex(self.first.stderr, r"\[parallel\] \d+/\d+ ")
        folder = Path(self.state()["shards_dir"])
        kernels = [json.loads((folder / f"shard-{i}-of-2/plan.json").read_text())["kernels"] for i in (1, 2)]
        self.assertEqual(kernels, [["fixture/broken", "simd/reduce"], ["fixture/faulty"]])
        merged = scale_fixture.cells(self.out)
        for key, status in EXPECTED.items():
            self.assertEqual(merged[key][0], status, key)
        plan = json.loads((self.out / "plan.json").read_text())
        self.assertEqual(plan["kernels"], ["fixture/broken", "fixture/faulty", "simd/reduce"])
        self.assertTrue((self.out / "tables" / "summary.md").is_file())

    def test_2_resume_resubmits_only_the_missing_shard(self):
        self.assertEqual(self.first.returncode, 1, self.first.stderr[-3000:])  # the fixtures' failures
        before = scale_fixture.cells(self.out)
        folder = Path(self.state()["shards_dir"])
        shard1 = {f: f.stat().st_mtime_ns for f in (folder / "shard-1-of-2").rglob("*.json")}
        # Shard 2 "did not finish": its timings are gone and its manifest says so.
        m2 = folder / "shard-2-of-2" / "manifest.json"
        m = json.loads(m2.read_text())
        m["status"] = "interrupted"
        m2.write_text(json.dumps(m))
        for f in (folder / "shard-2-of-2").glob("configs/*/kernels/*/time/*.json"):
            f.unlink()
        for p in self.out.iterdir():
            if p.name != "executor.json":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        r = self.sweep("--resume", "--out", str(self.out))
        self.assertEqual(r.returncode, 1, r.stderr[-3000:])
        self.assertEqual(self.state()["submissions"][-1]["shards"], [2])
        self.assertEqual({f: f.stat().st_mtime_ns for f in shard1}, shard1)
        self.assertEqual(json.loads(m2.read_text())["status"], "complete")
        self.assertEqual(scale_fixture.cells(self.out), before)
        again = self.sweep("--resume", "--out", str(self.out))
        self.assertEqual(again.returncode, 1, again.stderr[-2000:])
        self.assertIn("nothing to do", again.stderr)

    def test_bad_hosts_file_is_refused_clearly(self):
        empty = Path(self.tmp.name) / "no-hosts"
        empty.write_text("# nobody\n")
        r = scale_fixture.sweep(self.tree, "--executor", "parallel", "--hosts", str(empty),
                                "--out", str(Path(self.tmp.name) / "never"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("lists no hosts", r.stderr)
        r = scale_fixture.sweep(self.tree, "--executor", "parallel", "--out", str(Path(self.tmp.name) / "never"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("needs --hosts FILE", r.stderr)


if __name__ == "__main__":
    unittest.main()
