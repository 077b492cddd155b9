"""scripts/publish.sh: a run's tables and report into results/<name>/ with a
README, and no raw files."""
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
        for name in ("README.md", "summary.md", "summary.csv", "summary.json", "effects.md", "code.md",
                     "build.md", "lnt.json", "report.html", "manifest.json", "plan.json", "asm/simd_reduce.html"):
            self.assertTrue((self.dest / name).is_file(), name)
        self.assertFalse((self.dest / "configs").exists(), "raw files must not be published")
        self.assertEqual(list(self.dest.rglob("*.s")), [])
        self.assertEqual(list(self.results.glob(".*")), [], "no temporary folder left behind")

    def test_readme(self):
        readme = (self.dest / "README.md").read_text()
        self.assertTrue(readme.startswith("# fixture-quick\n"))
        for want in ("machine id `vm\\|AMD EPYC\\|2`", "[summary.md](summary.md)", "[report.html](report.html)",
                     "**A/A check:**", "## Best configuration per kernel", "scripts/sweep.sh"):
            self.assertIn(want, readme)

    def test_light_asm_pages_keep_verdicts_and_changed_code_only(self):
        page = (self.dest / "asm" / "simd_reduce.html").read_text()
        full = (self.run_dir / "tables" / "asm" / "simd_reduce.html").read_text()
        # same code as the baseline, no verdict: a stub with its anchors and how to reproduce it
        stub = re.search(r'<section class="cell" id="c-scalar--gcc12.O2.v3.lto-full">.*?</section>', page, re.S)
        self.assertIsNotNone(stub)
        self.assertIn("Not published (same code as the baseline)", stub.group(0))
        self.assertIn('id="c-scalar--gcc12.O2.v3.lto-full--diff"', stub.group(0))
        self.assertIn("scripts/sweep.sh", stub.group(0))
        # changed code (and its baseline) stay whole
        kept = re.search(r'<section class="cell" id="c-vecext--clang19.O2.v3">.*?</section>', page, re.S)
        self.assertIn('table class="sbs"', kept.group(0))
        self.assertNotIn("Not published", re.search(
            r'<section class="cell" id="c-vecext--gcc12.O2.v3">.*?</section>', page, re.S).group(0))
        self.assertLess(len(page), len(full))
        self.assertNotIn("Not published", full)

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
