"""flagbench.run: RunDir names the files a real run has and docs/results-format.md
describes, a plan survives plan.json unchanged, and no other module spells a
run file's name."""
import json
import re
import sys
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "scripts" / "lib"
sys.path.insert(0, str(LIB))

from flagbench.run.layout import RunDir, kernel_dir_name  # noqa: E402
from flagbench.run.plan import Plan  # noqa: E402
from flagbench.sweep_cli import parse_args  # noqa: E402
from flagbench.sweep_plan import make_plan  # noqa: E402

# A real sweep run, trimmed (tests/report/fixtures/README.md).
FIXTURE_RUN = ROOT / "tests" / "report" / "fixtures" / "run-a"
# The report's pages (split out of html.py) and publish.py were rewritten by
# another change while the run layout came in; they still spell run files.
NOT_YET_CONVERTED = {"report/reportpage.py", "report/publish.py"}


def named_by_layout(run: RunDir, plan: dict) -> set:
    """Every file RunDir names for the plan's configurations, kernels and the
    variants their checks list."""
    names = {run.plan, run.manifest, run.why_marker, run.executor_state}
    for c in plan["configs"]:
        cdir = run.config(c["id"])
        names |= {cdir.config, cdir.build_record, cdir.build_log, cdir.sizes}
        for k in plan["kernels"]:
            kdir = cdir.kernel(k)
            names |= {kdir.describe, kdir.check, kdir.unsupported, kdir.remarks, kdir.asm.error}
            checks = json.loads(kdir.check.read_text()) if kdir.check.exists() else {}
            for v in checks:
                names |= {kdir.asm.summary(v), kdir.asm.text(v), kdir.time(v), kdir.counters(v),
                          kdir.profile.summary(v), kdir.profile.folded(v), kdir.profile.flame_graph(v),
                          kdir.profile.diff_flame_graph(v)}
    return names


class LayoutOfARealRun(unittest.TestCase):
    def test_every_file_of_a_run_is_one_the_layout_names(self):
        run = RunDir(FIXTURE_RUN)
        plan = json.loads(run.plan.read_text())
        on_disk = {p for p in FIXTURE_RUN.rglob("*") if p.is_file()}
        self.assertGreater(len(on_disk), 100)
        self.assertEqual(sorted(on_disk - named_by_layout(run, plan)), [])

    def test_one_cell_by_hand(self):
        run = RunDir("/r")
        k = run.kernel("gcc12.O2.v3", "simd/reduce")
        self.assertEqual(k.path, Path("/r/configs/gcc12.O2.v3/kernels/simd_reduce"))
        self.assertEqual(k.check, k.path / "check.json")
        self.assertEqual(k.asm.summary("avx2"), k.path / "asm/avx2.json")
        self.assertEqual(k.asm.text("avx2"), k.path / "asm/avx2.s")
        self.assertEqual(k.time("avx2"), k.path / "time/avx2.json")
        self.assertEqual(run.config("gcc12.O2.v3").build_record, Path("/r/configs/gcc12.O2.v3/build.json"))
        self.assertEqual(run.manifest, Path("/r/manifest.json"))
        self.assertEqual(run.tables.file(run.tables.SUMMARY.md), Path("/r/tables/summary.md"))
        self.assertEqual(kernel_dir_name("simd/reduce"), "simd_reduce")

    def test_the_layout_is_the_documented_one(self):
        """Each file of the tree in docs/results-format.md, for <config-id>,
        <family>_<name> and <variant>, is what RunDir names."""
        doc = (ROOT / "docs" / "results-format.md").read_text()
        tree = doc.split("```", 2)[1]
        run = RunDir("results/raw/<run-id>")
        cdir = run.config("<config-id>")
        kdir = cdir.kernel("<family>/<name>")
        v = "<variant>"
        expected = {
            "manifest.json": run.manifest, "plan.json": run.plan, "config.json": cdir.config,
            "build.json": cdir.build_record, "build.log": cdir.build_log, "sizes.json": cdir.sizes,
            "describe.json": kdir.describe, "check.json": kdir.check, "asm/<variant>.s": kdir.asm.text(v),
            "asm/<variant>.json": kdir.asm.summary(v), "time/<variant>.json": kdir.time(v),
            "profile/<variant>.*": kdir.profile.summary(v).with_suffix(".*"),
            "remarks.json": kdir.remarks, "counters/<variant>.json": kdir.counters(v),
            "tables/": run.tables.path}
        # Rebuild each documented path from the tree's indentation.
        stack = []
        documented = {}
        for line in tree.splitlines():
            m = re.match(r"^( *)(\S+)", line)
            if not m or line.startswith(" " * 27):   # a description's continuation
                continue
            depth, name = len(m.group(1)), m.group(2)
            while stack and stack[-1][0] >= depth:
                stack.pop()
            path = "/".join([s[1].rstrip("/") for s in stack] + [name])
            stack.append((depth, name))
            if name in expected:
                documented[name] = Path(path.rstrip("/"))
        self.assertEqual(set(documented), set(expected))
        for name, path in documented.items():
            self.assertEqual(path, expected[name], name)


class PlanRoundTrip(unittest.TestCase):
    def plan(self, matrix: str) -> Plan:
        a = parse_args(["--matrix", str(ROOT / "tests" / "sweep" / matrix), "--kernels", "^simd/saxpy$",
                        "--size", "test"])
        plan = make_plan(a)
        plan.timing_seed = 12345
        return plan

    def test_a_new_plan_survives_its_file(self):
        for matrix in ("tiny.matrix", "pgo.matrix"):
            with self.subTest(matrix=matrix):
                text = json.dumps(self.plan(matrix).to_json(), indent=1)
                self.assertEqual(json.dumps(Plan.from_json(json.loads(text)).to_json(), indent=1), text)

    def test_keys_keep_the_order_runs_have_always_had(self):
        doc = self.plan("tiny.matrix").to_json()
        self.assertEqual(list(doc), ["matrix", "matrix_file", "description", "matrix_text", "baseline",
                                     "size", "shard", "seeds", "time_identical", "configs", "kernels",
                                     "timing_seed"])
        first = ["id", "axes", "family", "arch", "toolchain", "line", "aa_of", "aa_all", "seeds"]
        baseline, other, aa = doc["configs"]
        self.assertEqual(list(baseline), first + ["link_seeds", "hash", "flags"])   # links the A/A seeds
        self.assertEqual(list(other), first + ["hash", "flags"])
        self.assertEqual(aa["aa_of"], baseline["id"])
        self.assertEqual(baseline["link_seeds"], baseline["seeds"] + aa["seeds"])
        pgo = [c for c in self.plan("pgo.matrix").to_json()["configs"] if c["axes"]["pgo"] == "on"]
        self.assertEqual(list(pgo[0]), first + ["hash", "flags", "flags_pgo_generate"])

    def test_keys_of_other_writers_are_kept(self):
        doc = self.plan("tiny.matrix").to_json()
        doc["merged_from"] = [{"run": "a", "shard": "1/2"}]
        self.assertEqual(Plan.from_json(doc).to_json(), doc)

    def test_an_older_plan_reads(self):
        doc = json.loads((FIXTURE_RUN / "plan.json").read_text())
        plan = Plan.from_json(doc)
        self.assertEqual([c.id for c in plan.configs], [c["id"] for c in doc["configs"]])
        self.assertEqual(plan.configs[0].seeds, [0])   # before layout seeds: seed 0 only


class NamesAreSpelledOnce(unittest.TestCase):
    def modules(self):
        pkg = LIB / "flagbench"
        for f in sorted(pkg.rglob("*.py")):
            rel = f.relative_to(pkg).as_posix()
            if not rel.startswith("run/") and rel not in NOT_YET_CONVERTED:
                yield rel, f.read_text()

    def test_only_the_run_layout_names_run_files(self):
        spelled = re.compile(r"(?<![\w.-])(check|manifest|build)\.json")
        found = [f"{rel}:{n}: {line.strip()}" for rel, text in self.modules()
                 for n, line in enumerate(text.splitlines(), 1) if spelled.search(line)]
        self.assertEqual(found, [], "spell these through flagbench.run.layout")

    def test_only_builddir_reads_the_build_settings(self):
        found = [rel for rel, text in self.modules()
                 if "flagbench-build.json" in text and rel != "builddir.py"]
        self.assertEqual(found, [], "read the emulator and build settings through flagbench.builddir")


if __name__ == "__main__":
    unittest.main()
