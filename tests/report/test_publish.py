"""scripts/publish.sh: a run's tables and report into results/<name>/ with a
README, and no raw files."""
import gzip
import json
import re
import subprocess
import unittest
from pathlib import Path

from common import ROOT, fixture_copy, script_env


def publish(*args):
    # --no-why: the fixture run has no binaries to profile (tests/why covers that step).
    return subprocess.run([str(ROOT / "scripts/publish.sh"), "--no-why", *map(str, args)], capture_output=True,
                          text=True, env=script_env(), timeout=180)


def add_profile(run: Path, config: str, kernel: str, variant: str) -> None:
    """A profile and its flame graphs, where the why step writes them (docs/why.md)."""
    kdir = run / "configs" / config / "kernels" / kernel.replace("/", "_")
    asm = json.loads((kdir / "asm" / f"{variant}.json").read_text())
    pdir = kdir / "profile"
    pdir.mkdir(exist_ok=True)
    fn = f"{kernel.split('/')[-1]}_{variant}"
    (pdir / f"{variant}.json").write_text(json.dumps({
        "variant": variant, "function": fn, "event": "cpu-clock", "samples": 100,
        "hot_symbols": [{"symbol": fn, "dso": kernel, "percent": 90.0}], "function_percent": 90.0,
        "loops": [{"index": d["index"], "innermost": d["innermost"], "lines": d["lines"], "percent": 0.0,
                   "percent_of_function": 0.0} for d in asm.get("loop_details") or []]}))
    graph = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>'
    (pdir / f"{variant}.svg").write_text(graph)
    (pdir / f"{variant}.diff.svg").write_text(graph)


def section(text: str, cell: str) -> str | None:
    m = re.search(rf'<section class="cell" id="c-{re.escape(cell)}">.*?</section>', text, re.S)
    return m and m.group(0)


class Publish(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.run_dir = fixture_copy("run-a")
        cls.results = Path(cls.tmp.name) / "results"
        cls.first = publish(cls.run_dir, "fixture-quick", "--results", cls.results)
        cls.dest = cls.results / "fixture-quick"

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_published_files(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        for name in ("README.md", "summary.md", "summary.csv.gz", "summary.json.gz", "effects.md", "code.md",
                     "build.md", "lnt.json.gz", "report.html", "details.html", "report.css", "report.js",
                     "manifest.json", "plan.json", "asm/simd_reduce.html"):
            self.assertTrue((self.dest / name).is_file(), name)
        # the data files are gzipped, whole, and the same bytes from the same tables
        with gzip.open(self.dest / "summary.json.gz", "rt") as f:
            self.assertEqual(f.read(), (self.run_dir / "tables" / "summary.json").read_text())
        self.assertFalse((self.dest / "summary.json").exists())
        # one style sheet and script for every page, none inlined
        for page in self.dest.rglob("*.html"):
            text = page.read_text()
            self.assertNotIn("<style>", text, page.name)
            self.assertRegex(text, r'<link rel="stylesheet" href="(\.\./)?report\.css">', page.name)
        self.assertFalse((self.dest / "configs").exists(), "raw files must not be published")
        self.assertEqual(list(self.dest.rglob("*.s")), [])
        self.assertEqual(list(self.results.glob(".*")), [], "no temporary folder left behind")

    def test_readme(self):
        readme = (self.dest / "README.md").read_text()
        self.assertTrue(readme.startswith("# fixture-quick\n"))
        for want in ("machine id `vm\\|AMD EPYC\\|2`", "[summary.md](summary.md)", "[report.html](report.html)",
                     "**A/A check:**", "## Best configuration per kernel", "scripts/sweep.sh"):
            self.assertIn(want, readme)

    def test_asm_pages_keep_the_verdicts_and_their_baselines_only(self):
        page = (self.dest / "asm" / "simd_reduce.html").read_text()
        full = (self.run_dir / "tables" / "asm" / "simd_reduce.html").read_text()

        summary = json.loads((self.run_dir / "tables" / "summary.json").read_text())
        called = {(c["variant"], c["config"]) for c in summary["cells"] if c["kernel"] == "simd/reduce"
                  and (c.get("vs_baseline") or {}).get("verdict") in ("faster", "slower")}
        self.assertTrue(called)
        for variant, config in called:      # a verdict keeps its whole section, and the baseline's
            kept = section(page, f"{variant}--{config}")
            self.assertIsNotNone(kept, (variant, config))
            self.assertIn("diff against the baseline", kept)
            self.assertIsNotNone(section(page, f"{variant}--gcc12.O2.v3"), variant)
        # same code as the baseline: left out; the report links it to the baseline's section
        self.assertIsNone(section(page, "scalar--gcc12.O2.v3.lto-full"))
        self.assertIsNotNone(section(full, "scalar--gcc12.O2.v3.lto-full"))
        report = (self.dest / "report.html").read_text()
        self.assertNotIn("asm/simd_reduce.html#c-scalar--gcc12.O2.v3.lto-full", report)
        self.assertLess(len(page), len(full))
        # the page and the README say what was left out and how to get it back
        for text in (page, (self.dest / "README.md").read_text()):
            self.assertIn("scripts/asm.sh --annotate", text)
            self.assertIn("scripts/asmdiff.sh --side-by-side", text)

    def test_per_cell_tables_list_the_kept_cells_and_the_data_every_cell(self):
        summary = json.loads((self.run_dir / "tables" / "summary.json").read_text())
        cells = [(f"{c['kernel']}/{c['variant']}", c["config"]) for c in summary["cells"]]
        called = {(f"{c['kernel']}/{c['variant']}", c["config"]) for c in summary["cells"]
                  if (c.get("vs_baseline") or {}).get("verdict") in ("faster", "slower")}
        self.assertTrue(called)

        md = (self.dest / "summary.md").read_text()
        listed = {tuple(c.strip() for c in l.strip("|").split("|")[:2])
                  for l in md.split("## Every cell", 1)[1].splitlines()
                  if l.startswith("| ") and not l.startswith("| kernel/variant")}
        self.assertLess(len(listed), len(cells))
        self.assertTrue(called <= listed, called - listed)
        self.assertIn("the baseline cells they are compared with", md)
        self.assertIn(f"lists {len(listed)} of its {len(cells)} cells", md)
        self.assertIn("(summary.csv.gz)", md)
        code = (self.dest / "code.md").read_text()
        self.assertIn("(code.csv.gz)", code)
        self.assertIn("the baseline cells they are compared with", (self.dest / "details.html").read_text())
        # the data files still hold every cell, and the run's own tables are whole
        with gzip.open(self.dest / "summary.csv.gz", "rt") as f:
            self.assertEqual(sum(1 for _ in f) - 1, len(cells))
        self.assertNotIn("This published run lists", (self.run_dir / "tables" / "summary.md").read_text())

    def test_links_resolve_inside_the_folder(self):
        for page in [self.dest / "report.html", self.dest / "details.html",
                     *sorted((self.dest / "asm").glob("*.html"))]:
            text = page.read_text()
            self.assertNotRegex(text, r'(src|href)="(https?:)?//', f"{page.name} reaches the network")
            for target in re.findall(r'(?:src|href)="([^"#][^"]*)"', text):
                if target.startswith("data:"):
                    continue
                path = (page.parent / target.split("#")[0]).resolve()
                self.assertTrue(path.is_file(), f"{page.name} links to missing {target}")
        for md in ("README.md", "summary.md", "effects.md"):
            for target in re.findall(r"\]\(([^)#]+)\)", (self.dest / md).read_text()):
                self.assertTrue((self.dest / target).exists(), f"{md} links to missing {target}")

    def test_refuses_to_overwrite_without_force(self):
        r = publish(self.run_dir, "fixture-quick", "--results", self.results)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)
        marker = self.dest / "README.md"
        before = marker.stat().st_mtime_ns
        r = publish(self.run_dir, "fixture-quick", "--results", self.results, "--force", "--no-regenerate")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreaterEqual(marker.stat().st_mtime_ns, before)
        self.assertEqual([p.name for p in self.results.iterdir()], ["fixture-quick"])

    def test_bad_names_and_incomplete_runs(self):
        for name in ("raw", "latest", "../escape", ".hidden", "a/b", ""):
            r = publish(self.run_dir, name, "--results", self.results)
            self.assertNotEqual(r.returncode, 0, name)
        tmp, run = fixture_copy("run-a")
        with tmp:
            m = json.loads((run / "manifest.json").read_text())
            m["status"] = "interrupted"
            (run / "manifest.json").write_text(json.dumps(m))
            r = publish(run, "partial", "--results", self.results)
            self.assertEqual(r.returncode, 1)
            self.assertIn("did not finish", r.stderr)
            r = publish(run, "partial", "--results", Path(tmp.name) / "res", "--allow-incomplete")
            self.assertEqual(r.returncode, 0, r.stderr)

    def test_help(self):
        r = subprocess.run([str(ROOT / "scripts/publish.sh"), "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("results/NAME", r.stdout)


class SharedCodeAndFlameGraphs(unittest.TestCase):
    """Code shown once: a section whose normalized assembly or llvm-mca loop an
    earlier section shows links to it.  Flame graphs: in every page of a
    --full-asm publish, in none of a light one."""

    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.run_dir = fixture_copy("run-a")
        add_profile(cls.run_dir, "gcc12.O2.v3.pgo", "simd/reduce", "autovec")
        cls.results = Path(cls.tmp.name) / "results"
        cls.light = publish(cls.run_dir, "light", "--results", cls.results)
        cls.full = publish(cls.run_dir, "full", "--results", cls.results, "--no-regenerate", "--full-asm")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_identical_code_links_to_the_section_that_shows_it(self):
        self.assertEqual(self.full.returncode, 0, self.full.stderr)
        page = (self.results / "full" / "asm" / "simd_reduce.html").read_text()
        base, twin = section(page, "vecext--gcc12.O2.v3"), section(page, "vecext--gcc12.O2.v3.aa")
        # the A/A duplicate's code is the baseline's (timed apart on purpose, so not "same code as"):
        # its listing and its llvm-mca loops link to the baseline's instead of repeating them
        self.assertIn("<summary>normalized assembly (", base)
        self.assertNotIn("<summary>normalized assembly (", twin)
        self.assertIn('The same normalized assembly as <a href="#c-vecext--gcc12.O2.v3">', twin)
        loops = re.findall(r'The same code and llvm-mca figures as <a href="#(c-vecext--gcc12\.O2\.v3--mca-\d+)">', twin)
        self.assertTrue(loops)
        for anchor in loops:
            self.assertIn(f'<h5 id="{anchor}">', base)
            self.assertIn("rthroughput", base.split(f'<h5 id="{anchor}">', 1)[1])

    def test_flame_graphs_only_in_a_full_publish(self):
        for name, r in (("light", self.light), ("full", self.full)):
            self.assertEqual(r.returncode, 0, r.stderr)
        # autovec under gcc12.O2.v3.pgo: the one verdict of simd/reduce, so a light publish keeps it
        light = section((self.results / "light" / "asm" / "simd_reduce.html").read_text(), "autovec--gcc12.O2.v3.pgo")
        full = section((self.results / "full" / "asm" / "simd_reduce.html").read_text(), "autovec--gcc12.O2.v3.pgo")
        for text in (light, full):
            self.assertIn("Profile: 100 samples", text)
        self.assertEqual(full.count("data:image/svg+xml;base64,"), 2)
        self.assertNotIn("data:image/svg+xml", light)
        self.assertIn("Flame graphs: left out of this published run", light)
        self.assertIn("scripts/profile.sh", (self.results / "light" / "README.md").read_text())

    def test_a_light_publish_compares_the_loops_only(self):
        for name, r in (("light", self.light), ("full", self.full)):
            self.assertEqual(r.returncode, 0, r.stderr)
        cell = "autovec--gcc12.O2.v3.pgo"
        light = section((self.results / "light" / "asm" / "simd_reduce.html").read_text(), cell)
        full = section((self.results / "full" / "asm" / "simd_reduce.html").read_text(), cell)
        loops = re.compile(r'<div class="h">loop \d')
        for text in (light, full):
            self.assertTrue(loops.search(text))
        # the code outside the loops: side by side in a full publish, a note with its count in a light one
        self.assertIn('<div class="h">outside the loops', full)
        self.assertNotIn('<div class="h">outside the loops', light)
        note = re.search(r"The code outside the loops \((\d+) of (\d+) lines changed\): left out", light)
        self.assertTrue(note, light)
        self.assertLessEqual(int(note.group(1)), int(note.group(2)))
        self.assertLess(len(light), len(full))


if __name__ == "__main__":
    unittest.main()
