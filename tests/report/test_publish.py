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

        def section(text, cell):
            m = re.search(rf'<section class="cell" id="c-{re.escape(cell)}">.*?</section>', text, re.S)
            return m and m.group(0)
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


if __name__ == "__main__":
    unittest.main()
