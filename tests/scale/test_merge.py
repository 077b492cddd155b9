"""scripts/merge.sh on real shard runs (--shard 1/2 and 2/2 of the tiny matrix):
shards of one machine kind become one run; runs of another machine kind stay
apart, keyed by machine id, with cross-machine tables; and each refusal
(different revisions, different matrices, overlapping cells with different
data, an unfinished shard) says why and writes nothing."""
import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import scale_fixture


def edit_json(path: Path, change) -> None:
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


def as_other_machine(run: Path, host: str, model: str) -> None:
    def change(m):
        m["machine"]["hostname"] = host
        m["machine"]["cpu"]["model"] = model
        m["machine_id"] = f"{host}|{model}|{m['machine']['cpu']['logical_cpus']}"
    edit_json(run / "manifest.json", change)


class Merge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="fb-merge-test-")
        cls.base = Path(cls.tmp.name)
        cls.tree = scale_fixture.make_tree(cls.base / "src")
        cls.shards = []
        for i in (1, 2):
            out = cls.base / f"shard{i}"
            r = scale_fixture.sweep(cls.tree, "--shard", f"{i}/2", "--build-root", str(cls.base / "b"),
                                    "--out", str(out))
            # 1: finished, listing the fixture kernels' failures (on purpose).
            if r.returncode != 1 or "problem(s)" not in r.stderr:
                raise AssertionError(f"shard {i} sweep failed: {r.stderr[-2000:]}")
            cls.shards.append(out)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def merge(self, out, *runs, tables=False):
        args = [str(self.tree / "scripts/merge.sh"), str(out), *map(str, runs)]
        if not tables:
            args.insert(1, "--no-tables")
        return subprocess.run(args, capture_output=True, text=True, timeout=300)

    def copy(self, run: Path, name: str) -> Path:
        dest = self.base / name
        shutil.copytree(run, dest)
        return dest

    def refused(self, out: Path, r, *phrases):
        self.assertEqual(r.returncode, 1, r.stderr)
        for p in phrases:
            self.assertIn(p, r.stderr)
        self.assertFalse(out.exists(), "a refused merge wrote its output")

    def test_shards_of_one_machine_become_one_run(self):
        out = self.base / "merged-one"
        r = self.merge(out, *self.shards, tables=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads((out / "plan.json").read_text())
        self.assertEqual(plan["kernels"], ["fixture/broken", "fixture/faulty", "simd/reduce"])
        self.assertEqual(plan["shard"], "1/1")
        cells = scale_fixture.cells(out)
        self.assertEqual(set(cells), set(scale_fixture.cells(self.shards[0])) | set(scale_fixture.cells(self.shards[1])))
        self.assertEqual(cells[("fixture/faulty", "crash", "gcc12.O2.v1")][0], "crashed")
        self.assertEqual(cells[("fixture/broken", "*", "gcc12.O2.v3")][0], "build failed")
        build = json.loads((out / "configs/gcc12.O2.v3/build.json").read_text())
        self.assertEqual(build["status"], "partial")
        self.assertIn("refuses to build for AVX2", build["kernels_failed"]["fixture/broken"])
        manifest = json.loads((out / "manifest.json").read_text())
        self.assertEqual(len(manifest["shards"]), 2)
        self.assertTrue((out / "tables/summary.md").is_file())

    def test_shards_of_one_kind_on_two_hosts_are_one_run(self):
        other = self.copy(self.shards[1], "shard2-node2")
        edit_json(other / "manifest.json", lambda m: (m["machine"].update(hostname="node2"),
                                                      m.update(machine_id="node2|" + m["machine_id"].split("|", 1)[1])))
        out = self.base / "merged-hosts"
        r = self.merge(out, self.shards[0], other)
        self.assertEqual(r.returncode, 0, r.stderr)
        manifest = json.loads((out / "manifest.json").read_text())
        host = json.loads((self.shards[0] / "manifest.json").read_text())["machine"]["hostname"]
        self.assertEqual(manifest["machine_id"].split("|")[0], ",".join(sorted({host, "node2"})))
        self.assertEqual(manifest["machine"]["hostname"], ",".join(sorted({host, "node2"})))
        self.assertFalse((out / "machines").exists())

    def test_runs_of_two_machines_stay_apart_with_cross_machine_tables(self):
        b1, b2 = self.copy(self.shards[0], "zen5-1"), self.copy(self.shards[1], "zen5-2")
        for run in (b1, b2):
            as_other_machine(run, "zen5box", "AMD Ryzen 9 9950X")
        # On this machine the x86-64-v3 build of simd/reduce runs 8 times as fast (far beyond
        # the noise of 3 processes at the test size, over layout seeds).
        for t in b1.glob("configs/gcc12.O2.v3/kernels/simd_reduce/time/*.json"):
            edit_json(t, lambda d: [s.update(median_ns=s["median_ns"] / 8) for s in d.get("samples") or []
                                    if isinstance(s, dict) and s.get("median_ns")])
        out = self.base / "merged-machines"
        r = self.merge(out, *self.shards, b1, b2, tables=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        manifest = json.loads((out / "manifest.json").read_text())
        self.assertEqual(manifest["schema"], "flagbench-machines/1")
        self.assertEqual(len(manifest["machines"]), 2)
        ids = [m["machine_id"] for m in manifest["machines"]]
        self.assertIn("zen5box|AMD Ryzen 9 9950X|" + ids[1].split("|")[-1], ids)
        for m in manifest["machines"]:
            self.assertEqual(json.loads((out / m["dir"] / "plan.json").read_text())["kernels"],
                             ["fixture/broken", "fixture/faulty", "simd/reduce"])
            self.assertTrue((out / m["dir"] / "tables/summary.md").is_file())
        md = (out / "tables/machines.md").read_text()
        for heading in ("## Flag effect per machine", "## A/A check per machine",
                        "## Best configuration per machine"):
            self.assertIn(heading, md)
        esc = {i: i.replace("|", "\\|") for i in ids}
        for i in ids:
            self.assertIn(f"`{esc[i]}`", md)
        # Only the second machine got faster v3 code: its best configuration, not the first's.
        best = next(line for line in md.split("## Best configuration per machine")[1].splitlines()
                    if line.startswith("| `simd/reduce` | "))
        cells = [c.strip() for c in best.strip("|").split(" | ")]
        self.assertEqual(cells[1], "none faster", best)
        self.assertTrue(cells[2].startswith("`gcc12.O2.v3`"), best)
        self.assertEqual(cells[3], f"`gcc12.O2.v3`: `{esc[ids[1]]}`", best)
        aa_rows = [line for line in md.split("## A/A check per machine")[1].split("##")[0].splitlines()
                   if line.startswith("| `")]
        self.assertEqual(len(aa_rows), 2)
        doc = json.loads((out / "tables/machines.json").read_text())
        self.assertEqual({m["machine_id"] for m in doc["machines"]}, set(ids))
        self.assertEqual([c["config"] for c in doc["configs"]], ["gcc12.O2.v3", "gcc12.O2.v1.aa"])
        for entry in doc["configs"]:
            self.assertEqual(set(entry["by_machine"]), set(ids))
        self.assertTrue((out / "tables/report.html").read_text().startswith("<!doctype html>"))
        self.assertIn("table,machine_id,kernel", (out / "tables/machines.csv").read_text())

    def test_refuses_different_git_revisions(self):
        other = self.copy(self.shards[1], "shard2-other-rev")
        edit_json(other / "manifest.json", lambda m: m["machine"]["git"].update(commit="0" * 40))
        out = self.base / "never-rev"
        self.refused(out, self.merge(out, self.shards[0], other), "different git revisions", "000000000000")

    def test_refuses_different_matrices(self):
        other = self.copy(self.shards[1], "shard2-other-matrix")
        edit_json(other / "plan.json", lambda p: p.update(matrix="quick", matrix_text="vary opt=O3\n"))
        out = self.base / "never-matrix"
        self.refused(out, self.merge(out, self.shards[0], other), "different matrices", "'quick'")

    def test_refuses_overlapping_cells_with_different_data(self):
        other = self.copy(self.shards[0], "shard1-again")
        t = next(other.glob("configs/*/kernels/*/time/*.json"))
        edit_json(t, lambda d: d.update(median_ns=(d.get("median_ns") or 1) * 2))
        out = self.base / "never-overlap"
        self.refused(out, self.merge(out, self.shards[0], other, self.shards[1]),
                     "overlapping cells with different data", str(other))

    def test_accepts_the_same_shard_twice(self):
        same = self.copy(self.shards[0], "shard1-copy")
        out = self.base / "merged-dup"
        r = self.merge(out, self.shards[0], same, self.shards[1])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(json.loads((out / "plan.json").read_text())["kernels"]), 3)

    def test_refuses_a_shard_that_did_not_finish(self):
        other = self.copy(self.shards[1], "shard2-unfinished")
        edit_json(other / "manifest.json", lambda m: m.update(status="interrupted"))
        out = self.base / "never-unfinished"
        self.refused(out, self.merge(out, self.shards[0], other), "did not finish", "'interrupted'",
                     "--resume --out")

    def test_refuses_an_output_that_holds_a_run(self):
        r = self.merge(self.shards[0], self.shards[1])
        self.assertEqual(r.returncode, 1)
        self.assertIn("already holds files", r.stderr)


if __name__ == "__main__":
    unittest.main()
