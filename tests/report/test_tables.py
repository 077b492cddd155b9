"""Tables from a fixed raw-results fixture (fixtures/run-a): golden files, and
the properties the golden files are meant to show."""
import csv
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import unittest
from pathlib import Path

from common import LIB, ROOT, assert_golden, fixture_copy, script_env

from flagbench.report import generate, hotcode, plots

TABLES = ["summary.md", "summary.csv", "summary.json", "effects.md", "effects.csv", "effects.json",
          "code.md", "code.csv", "code.json", "build.md", "build.csv", "build.json", "lnt.json"]
# The big CSV files are projections of their JSON: they are checked against it
# (test_csv_matches_json) instead of keeping a second golden copy.
GOLDEN_TABLES = [t for t in TABLES if t not in ("summary.csv", "effects.csv", "code.csv")]


class TablesFromFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.run_dir = fixture_copy("run-a")
        # The golden files must not depend on the assembly helper's model
        # (scripts/lib/flagbench/asm/model.py): it is tested separately below.
        cls.saved_model, hotcode.asm_model = hotcode.asm_model, None
        try:
            cls.result = generate.generate(cls.run_dir, want_plots=False, want_html=False)
        finally:
            hotcode.asm_model = cls.saved_model
        cls.out = cls.run_dir / "tables"
        cls.summary = json.loads((cls.out / "summary.json").read_text())
        cls.effects = json.loads((cls.out / "effects.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_golden_files(self):
        for name in GOLDEN_TABLES:
            with self.subTest(name=name):
                assert_golden(self, f"run-a/{name}", (self.out / name).read_text())

    def test_deterministic(self):
        again = generate.generate(self.run_dir, out=self.run_dir / "again", want_plots=False, want_html=False)
        for name in TABLES:
            if name.startswith("code."):
                continue        # the model may be importable this time
            self.assertEqual((self.out / name).read_text(), (again["written"][name]).read_text(), name)

    def test_every_status_is_shown(self):
        texts = {c["status_text"] for c in self.summary["cells"]}
        for want in ("ok", "wrong result", "crashed", "unsupported", "build failed",
                     "same code as gcc12.O2.v3"):
            self.assertIn(want, texts)
        md = (self.out / "summary.md").read_text()
        for want in ("wrong result", "crashed", "unsupported", "build failed", "= same code",
                     "## Best configuration per kernel", "machine id `vm\\|AMD EPYC\\|2`", "Command".lower()):
            self.assertIn(want, md)

    def test_aa_pairs_come_out_no_difference(self):
        aa = self.summary["aa_check"]
        self.assertEqual(aa["pairs"], 9)            # every timed variant of the A/A duplicate
        self.assertEqual(aa["wrong_by_verdict"], 0)
        for p in aa["pairs_detail"]:
            self.assertEqual(p["b"], "gcc12.O2.v3.aa")
        for c in self.summary["cells"]:
            if c["config"] == "gcc12.O2.v3.aa" and c["vs_baseline"]["ratio"] is not None:
                self.assertEqual(c["vs_baseline"]["verdict"], "no significant difference", c)

    def test_same_code_cells_are_one_with_an_honest_interval(self):
        """A cell timed once for two configurations reads 1.00, with the
        interval its twin's samples support, never a false [1.00, 1.00]."""
        seen = 0
        for c in self.summary["cells"]:
            if c["same_as"] == "gcc12.O2.v3":
                seen += 1
                vs = c["vs_baseline"]
                self.assertEqual(vs["ratio"], 1.0)
                self.assertLessEqual(vs["ci"][0], 1.0)
                self.assertGreaterEqual(vs["ci"][1], 1.0)
                self.assertEqual(vs["verdict"], "no significant difference")
                self.assertIn("same code as gcc12.O2.v3", vs["reason"])
                if c["noise"]:
                    self.assertLess(vs["ci"][0], vs["ci"][1])
        self.assertGreater(seen, 0)

    def test_every_cell_has_a_reproduce_command(self):
        for c in self.summary["cells"]:
            self.assertTrue(c["reproduce"]["sweep"].startswith("scripts/sweep.sh --matrix "), c)
            self.assertIn(f"--kernels '^{c['kernel']}$'", c["reproduce"]["sweep"])
            if c["status"] in ("ok", "same code"):
                self.assertRegex(c["reproduce"]["run"], r"/bin/\w+ --variant \w+ --size ref --reps \d+$")

    def test_verdicts_follow_the_rule(self):
        for c in self.summary["cells"]:
            vs = c["vs_baseline"]
            if not vs or vs["ci"] is None or vs["threshold"] is None:
                continue
            lo, hi = vs["ci"]
            if vs["verdict"] == "faster":
                self.assertGreater(lo, 1)
                self.assertGreater(vs["ratio"], 1 + vs["threshold"] - 1e-9)
            elif vs["verdict"] == "slower":
                self.assertLess(hi, 1)
            self.assertGreaterEqual(vs["threshold"], 0.01)

    def test_effects_and_interactions(self):
        self.assertEqual(self.effects["varied_axes"], ["compiler", "lto", "pgo"])
        labels = [e["label"] for e in self.effects["effects"]]
        self.assertEqual(labels, ["compiler: gcc12 → clang19", "lto: off → full", "pgo: off → on"])
        for e in self.effects["effects"]:
            self.assertEqual(len(e["pairs"]), 4)
            for p in e["pairs"]:
                self.assertIn("--configs", p["reproduce"])
        self.assertEqual(len(self.effects["interactions"]), 3)
        lto = self.effects["effects"][1]
        self.assertEqual(lto["kernels"]["inline/cross_tu"]["verdict"], "faster")

    def test_csv_matches_json(self):
        rows = list(csv.DictReader(io.StringIO((self.out / "summary.csv").read_text())))
        self.assertEqual(len(rows), len(self.summary["cells"]))
        for row, cell in zip(rows, self.summary["cells"]):
            self.assertEqual((row["kernel"], row["variant"], row["config"], row["status"]),
                             (cell["kernel"], cell["variant"], cell["config"], cell["status_text"]))
            self.assertEqual(row["median_ns"], "" if cell["median_ns"] is None else str(cell["median_ns"]))
            vs = cell["vs_baseline"] or {}
            self.assertEqual(row["speedup"], "" if vs.get("ratio") is None else str(vs["ratio"]))
            self.assertEqual(row["verdict"], vs.get("verdict") or "")
            self.assertEqual(row["sweep_command"], cell["reproduce"]["sweep"])
        rows = list(csv.DictReader(io.StringIO((self.out / "effects.csv").read_text())))
        overall = [r for r in rows if r["kind"] == "overall"]
        self.assertEqual([r["change"] for r in overall], [e["label"] for e in self.effects["effects"]])
        for r, e in zip(overall, self.effects["effects"]):
            self.assertEqual(float(r["ratio"]), e["overall"]["ratio"])
        code = json.loads((self.out / "code.json").read_text())["cells"]
        rows = list(csv.DictReader(io.StringIO((self.out / "code.csv").read_text())))
        self.assertEqual([(r["kernel"], r["variant"], r["config"], r["bytes"]) for r in rows],
                         [(c["kernel"], c["variant"], c["config"], "" if c["bytes"] is None else str(c["bytes"]))
                          for c in code])

    def test_csv_files_are_rectangular(self):
        for name in ("summary.csv", "effects.csv", "code.csv", "build.csv"):
            rows = list(csv.reader(io.StringIO((self.out / name).read_text())))
            self.assertGreater(len(rows), 1, name)
            self.assertEqual({len(r) for r in rows}, {len(rows[0])}, name)
            self.assertEqual(rows[0][0], "machine_id", name)

    def test_lnt_submission(self):
        doc = json.loads((self.out / "lnt.json").read_text())
        self.assertEqual(doc["format_version"], "2")
        self.assertTrue(doc["machine"]["name"])
        self.assertRegex(doc["run"]["start_time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
        self.assertRegex(doc["run"]["llvm_project_revision"], r"^\d{14}$")
        names = {t["name"]: t for t in doc["tests"]}
        t = names["flagbench/gcc12.O2.v3/simd/reduce/vecext"]
        self.assertTrue(all(0 < x < 1e-3 for x in t["execution_time"]))
        self.assertEqual(names["flagbench/gcc12.O2.v3.lto-full.pgo/simd/reduce/avx2"]["execution_status"], 1)
        for t in doc["tests"]:     # every metric is one the default nts suite knows
            self.assertLessEqual(set(t) - {"name"}, {"execution_time", "execution_status", "code_size",
                                                     "hash", "compile_time"})

    def test_model_column_says_why_when_absent(self):
        code = json.loads((self.out / "code.json").read_text())
        self.assertIsNone(code["model"])
        row = next(c for c in code["cells"] if c["kernel"] == "simd/reduce" and c["variant"] == "vecext"
                   and c["config"] == "gcc12.O2.v3")
        self.assertEqual(row["block_rthroughput"], 4)
        self.assertIsNone(row["predicted_cycles_per_item"])
        self.assertIn("n/a", row["model_why"])
        self.assertAlmostEqual(row["ghz"], 2.596138, places=4)

    @unittest.skipIf(hotcode.asm_model is None, "scripts/lib/flagbench/asm/model.py is not available")
    def test_model_column_with_the_asm_model(self):
        r = hotcode.rows(self.result["analysis"])
        row = next(c for c in r if c["kernel"] == "simd/reduce" and c["variant"] == "vecext"
                   and c["config"] == "gcc12.O2.v3")
        self.assertIsNotNone(row["predicted_cycles_per_item"])
        self.assertAlmostEqual(row["model_ratio"], row["measured_cycles_per_item"] / row["predicted_cycles_per_item"],
                               delta=0.01)


class DegradedRuns(unittest.TestCase):
    """Runs with parts missing still give every table, saying what is missing."""

    def generate(self, mutate, want_plots=False):
        tmp, run = fixture_copy("run-a")
        self.addCleanup(tmp.cleanup)
        mutate(run)
        res = generate.generate(run, want_plots=want_plots)
        return run / "tables", res

    def test_no_timing_no_assembly(self):
        def strip(run):
            for d in list(run.glob("configs/*/kernels/*/time")) + list(run.glob("configs/*/kernels/*/asm")):
                shutil.rmtree(d)
        out, res = self.generate(strip)
        summary = json.loads((out / "summary.json").read_text())
        self.assertEqual(summary["aa_check"]["pairs"], 0)
        self.assertIn("no A/A pairs", (out / "summary.md").read_text())
        statuses = {c["status_text"] for c in summary["cells"]}
        self.assertIn("not timed", statuses)
        self.assertIn("No assembly analysis in this run", (out / "code.md").read_text())
        self.assertTrue((out / "report.html").exists())

    def test_without_gnuplot(self):
        saved = plots.available
        plots.available = lambda: False
        try:
            out, res = self.generate(lambda run: None, want_plots=True)
        finally:
            plots.available = saved
        html = (out / "report.html").read_text()
        self.assertIn("Effect plots skipped: gnuplot not found", html)
        # the heatmap is drawn in Python, the effect plots only by gnuplot
        self.assertIn("![speedup heatmap]", (out / "summary.md").read_text())
        plotted = sorted(p.name for p in (out / "plots").glob("*.svg"))
        self.assertEqual(plotted, ["heatmap.svg"])

    def test_kernel_that_never_built(self):
        def fail(run):
            for cfg in run.glob("configs/*"):
                shutil.rmtree(cfg / "kernels" / "inline_sort", ignore_errors=True)
                b = json.loads((cfg / "build.json").read_text())
                b["kernels_failed"]["inline/sort"] = "error: something"
                b["status"] = "partial"
                (cfg / "build.json").write_text(json.dumps(b))
        out, _ = self.generate(fail)
        md = (out / "summary.md").read_text()
        self.assertRegex(md, r"\| inline/sort/\* \| build failed \|")
        effects = json.loads((out / "effects.json").read_text())
        self.assertEqual(effects["effects"][0]["kernels"]["inline/sort"]["verdict"], "no verdict")

    def test_no_effects_when_nothing_varies_alone(self):
        def only_baseline_and_aa(run):
            plan = json.loads((run / "plan.json").read_text())
            plan["configs"] = [c for c in plan["configs"] if c["id"] in ("gcc12.O2.v3", "gcc12.O2.v3.aa")]
            (run / "plan.json").write_text(json.dumps(plan))
        out, _ = self.generate(only_baseline_and_aa)
        self.assertIn("no effects to measure", (out / "effects.md").read_text())
        self.assertEqual(json.loads((out / "summary.json").read_text())["aa_check"]["pairs"], 9)


class AssemblyDiff(unittest.TestCase):
    def test_small_change_gets_a_line_diff(self):
        tmp, run = fixture_copy("run-a")
        self.addCleanup(tmp.cleanup)
        kdir = "kernels/simd_reduce/asm/vecext"
        base = (run / "configs/gcc12.O2.v3" / f"{kdir}.s").read_text().splitlines()
        changed = base[:10] + ["\tnop"] + base[10:]
        (run / "configs/gcc12.O2.v3.pgo" / f"{kdir}.s").write_text("\n".join(changed) + "\n")
        from flagbench import results
        from flagbench.report import analysis, asmpage
        a = analysis.Analysis(results.load(run))
        cell = a.cell("simd/reduce", "vecext", "gcc12.O2.v3.pgo")
        cell.code_hash = "changed"
        view = asmpage._diff_view(a, cell, None)
        self.assertIn('<pre class="diff">', view)
        self.assertIn('<span class="a">+\tnop</span>', view)


class McaView(unittest.TestCase):
    def test_cpus_with_the_same_figures_share_a_row(self):
        from flagbench.report import mcaview
        fig = {"block_rthroughput": 3.0, "cycles_per_iteration": 3.19, "ipc": 5.016, "uops_per_cycle": 5.3,
               "pressure": [{"resource": "Port3", "cycles": 3.0}]}
        per_cpu = {"x86-64": dict(fig, block_rthroughput=4.25), "host": dict(fig, mcpu="znver5"),
                   "skylake": dict(fig), "znver4": dict(fig, mcpu="znver4")}
        rows = mcaview._rows(per_cpu)
        self.assertEqual([r[0] for r in rows[1:]], ["x86-64", "host (znver5), skylake, znver4"])
        table = mcaview._text_table(rows)
        self.assertEqual(len(table.splitlines()), 3)
        self.assertFalse(any(line != line.rstrip() for line in table.splitlines()))


class ReportScript(unittest.TestCase):
    def test_help(self):
        r = subprocess.run([str(ROOT / "scripts/report.sh"), "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("RUN", r.stdout)

    def test_not_a_run(self):
        r = subprocess.run([str(ROOT / "scripts/report.sh"), str(ROOT / "docs")], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a sweep run", r.stderr)

    def test_writes_every_file(self):
        tmp, run = fixture_copy("run-a")
        with tmp:
            stale = run / "tables" / "plots" / "stale.svg"
            stale.parent.mkdir(parents=True)
            stale.write_text("<svg/>")
            r = subprocess.run([str(ROOT / "scripts/report.sh"), str(run)], capture_output=True, text=True,
                               env=script_env(), timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            for name in TABLES + ["report.html", "asm/simd_reduce.html", "asm/inline_sort.html"]:
                self.assertTrue((run / "tables" / name).is_file(), name)
            if plots.available():
                self.assertFalse(stale.exists())
                for name in ("heatmap", "effects-overview", "effect-0", "interaction-0"):
                    svg = (run / "tables" / "plots" / f"{name}.svg").read_text()
                    self.assertIn("<svg", svg)
                self.assertIn("![speedup heatmap](plots/heatmap.svg)", (run / "tables/summary.md").read_text())
            self.assertIn("A/A check: 0 of 9", r.stderr)




def generate_under_umask(mask: int, run_dir) -> None:
    # A child process, so the umask of the test runner is left alone.
    code = ("import os, sys; os.umask(%d); sys.path.insert(0, %r); "
            "from flagbench.report import generate; "
            "generate.generate(%r, want_plots=False, want_html=False)") % (mask, str(LIB), str(run_dir))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    if p.returncode:
        raise AssertionError(p.stderr)


class TableModes(unittest.TestCase):
    def modes(self, mask):
        tmp, run_dir = fixture_copy("run-a")
        self.addCleanup(tmp.cleanup)
        generate_under_umask(mask, run_dir)
        files = [p for p in (run_dir / "tables").iterdir() if p.is_file()]
        self.assertGreater(len(files), 10)
        return {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in files}

    def test_tables_are_0644_under_umask_022(self):
        for name, mode in self.modes(0o022).items():
            self.assertEqual(mode, 0o644, f"{name}: {mode:o}")

    def test_umask_is_honoured(self):
        # The writer itself, in a child process under umask 077: private files stay private.
        tmp, _ = fixture_copy("run-a")
        self.addCleanup(tmp.cleanup)
        target = Path(tmp.name) / "out" / "f.txt"
        code = ("import os, sys; os.umask(0o077); sys.path.insert(0, %r); "
                "from flagbench.atomic import write_text; write_text(%r, 'x')") % (str(LIB), str(target))
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(target).st_mode), 0o600)


class Vocabulary(unittest.TestCase):
    """One label for identical code, a threshold on every verdict, named A/A pairs."""

    @classmethod
    def setUpClass(cls):
        from flagbench import results
        from flagbench.report.analysis import Analysis, Options
        from flagbench.report import effecttables, summary
        from flagbench.report.effects import Effects
        cls.tmp, cls.run_dir = fixture_copy("run-a")
        cls.a = Analysis(results.load(cls.run_dir), Options(replicates=200))
        cls.md = summary.markdown(cls.a) + effecttables.markdown(cls.a, Effects(cls.a))

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_verdict_cell_carries_its_threshold(self):
        md = self.md
        cells = [c.strip() for line in md.splitlines() if line.startswith("| ")
                 for c in line.strip("|").split(" | ")]
        verdicts = [c for c in cells if re.search(r"\] [▲▼≈]", c)]
        self.assertGreater(len(verdicts), 50)
        for c in verdicts:
            self.assertRegex(c, r"\] [▲▼≈] \(±\d+(\.\d)?%\)", c)

    def test_identical_code_has_one_label(self):
        md = self.md
        self.assertIn("= same code", md)
        for old in ("= baseline", "=base"):
            self.assertNotIn(old, md)

    def test_aa_statement_names_the_pairs_it_called_different(self):
        from flagbench.report import statistics as st
        from flagbench.report import summary
        quiet = " ".join(summary.aa_paragraph(self.a))
        self.assertNotIn("Called different", quiet)
        p = self.a.aa_pairs[0]
        saved = p.comparison
        try:
            p.comparison = st.Comparison(1.3, (1.2, 1.4), 0.05, st.FASTER, "injected")
            text = " ".join(summary.aa_paragraph(self.a))
        finally:
            p.comparison = saved
        self.assertIn(f"Called different: `{p.kernel}/{p.variant}` (`{p.a}` vs `{p.b}`", text)

    def test_aa_statement_says_which_thresholds_the_aa_check_widened(self):
        from flagbench.report import summary
        quiet = " ".join(summary.aa_paragraph(self.a))
        self.assertIn("no threshold of this run is widened", quiet)
        kernel = self.a.aa_pairs[0].kernel
        saved = dict(self.a.aa_noise)
        try:
            self.a.aa_noise[kernel] = 0.0488  # an A/A interval missing 1 by 5%
            text = " ".join(summary.aa_paragraph(self.a))
        finally:
            self.a.aa_noise.clear()
            self.a.aa_noise.update(saved)
        self.assertIn(f"miss 1): `{kernel}` 5.0%.", text)
        self.assertNotIn("no threshold of this run is widened", text)

    def test_glossary_names_the_runs_noise_floor(self):
        from flagbench import results
        from flagbench.report.analysis import Analysis, Options
        from flagbench.report.reporttop import glossary
        self.assertIn("the largest of the 1% floor", glossary(self.a))
        wider = Analysis(results.load(self.run_dir), Options(floor=0.025, replicates=200))
        text = glossary(wider)
        self.assertIn("the largest of the 2.5% floor", text)
        self.assertNotIn("1% floor", text)

    def test_code_styles(self):
        from flagbench.report.codestyle import style
        cases = {("simd/reduce", "scalar"): "scalar", ("simd/reduce", "autovec"): "autovec",
                 ("simd/reduce", "vecext"): "vector extensions", ("simd/reduce", "avx512"): "intrinsics",
                 ("simd/gather", "idx_int_avx2"): "intrinsics", ("simd/reduce", "dispatch"): "dispatch",
                 ("dispatch/cpuid", "direct_avx2"): "dispatch", ("parallel/map", "pool"): "concurrent",
                 ("parallel/map", "serial"): "scalar", ("alias/restrict", "triad_plain"): "plain C"}
        for (k, v), want in cases.items():
            self.assertEqual(style(k, v), want, (k, v))


if __name__ == "__main__":
    unittest.main()
