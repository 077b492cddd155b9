"""The HTML report in headless Chromium: it renders with its plots, with no
console error, no exception and no failed load; its cell links reach the
assembly pages.  The checker itself is tested on pages that must fail it.

Skips (with the reason) when Chromium or gnuplot is missing; FB_CHROMIUM
names another browser binary."""
import shutil
import tempfile
import unittest
from pathlib import Path

import browser
from common import fixture_copy

from flagbench.report import generate, plots

CHROMIUM = browser.find_chromium()
SKIP = ("Chromium not found (Debian: apt-get install chromium; or set FB_CHROMIUM): "
        "the report's browser test did not run") if not CHROMIUM else None


def verdict(r: dict) -> list:
    """Every reason the page counts as broken (empty: it rendered)."""
    bad = list(r["problems"])
    bad += [f"console error: {e}" for e in r["console_errors"]]
    bad += [f"exception: {e}" for e in r["exceptions"]]
    bad += [f"failed load: {e}" for e in r["failed_loads"]]
    bad += [f"log error: {e}" for e in r["log_errors"]]
    for img in r["page"]["images"]:
        if not img["complete"] or img["width"] == 0:
            bad.append(f"image did not render: {img['alt'] or img['src']}")
    if r["page"]["text"] == 0 or r["page"]["bodyHeight"] < 50:
        bad.append("empty page")
    if browser.png_colors(r["screenshot"]) < 4:
        bad.append("the screenshot is blank")
    return bad


@unittest.skipIf(SKIP, SKIP)
class ReportInChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not plots.available():
            raise unittest.SkipTest("gnuplot not found (apt-get install gnuplot-nox): the report would have no plots")
        cls.tmp, cls.run_dir = fixture_copy("run-a")
        generate.generate(cls.run_dir)
        cls.tables = cls.run_dir / "tables"
        cls.chrome = browser.Chromium(CHROMIUM, width=1400, height=1000)

    @classmethod
    def tearDownClass(cls):
        cls.chrome.close()
        cls.tmp.cleanup()

    def test_report_renders_with_its_plots(self):
        r = self.chrome.inspect((self.tables / "report.html").as_uri())
        self.assertEqual(verdict(r), [])
        page = r["page"]
        self.assertEqual(page["title"], "flagbench run fixture-run-a")
        plots_shown = [i for i in page["images"] if i["src"].startswith("data:image/svg+xml")]
        # heatmap, effects overview, 3 effects, 3 interactions
        self.assertEqual(len(plots_shown), 8, page["images"])
        for img in plots_shown:
            self.assertGreater(img["width"], 300)
            self.assertGreater(img["shownWidth"], 300)
        self.assertGreater(page["tables"], 8)
        self.assertGreater(page["bodyHeight"], 3000)
        self.assertGreater(browser.png_colors(r["screenshot"]), 10)
        (Path(tempfile.gettempdir()) / "flagbench-report-screenshot.png").write_bytes(r["screenshot"])

    def test_assembly_page_renders_and_has_the_linked_anchors(self):
        html = (self.tables / "report.html").read_text()
        self.assertIn('href="asm/simd_reduce.html#c-vecext--clang19.O2.v3--diff"', html)
        self.assertIn('href="asm/simd_reduce.html#c-vecext--clang19.O2.v3--mca"', html)
        page = (self.tables / "asm" / "simd_reduce.html")
        text = page.read_text()
        for anchor in ('id="c-vecext--clang19.O2.v3"', 'id="c-vecext--clang19.O2.v3--diff"',
                       'id="c-vecext--clang19.O2.v3--mca"'):
            self.assertIn(anchor, text)
        # Two different compilations get a note and both listings, not a line diff.
        self.assertIn("Largely different code", text)
        self.assertIn("Identical to the baseline's code", text)
        r = self.chrome.inspect(page.as_uri() + "#c-vecext--clang19.O2.v3--diff")
        self.assertEqual(verdict(r), [])
        self.assertGreater(r["page"]["tables"], 5)


@unittest.skipIf(SKIP, SKIP)
class CheckerCatchesBrokenPages(unittest.TestCase):
    """The checks above must be able to fail."""

    @classmethod
    def setUpClass(cls):
        cls.dir = Path(tempfile.mkdtemp(prefix="fb-browser-"))
        cls.chrome = browser.Chromium(CHROMIUM, width=600, height=400)

    @classmethod
    def tearDownClass(cls):
        cls.chrome.close()
        shutil.rmtree(cls.dir)

    def page(self, name, body):
        p = self.dir / name
        p.write_text(f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
        return self.chrome.inspect(p.as_uri(), settle=0.3)

    def test_console_error(self):
        bad = verdict(self.page("console.html", "<p>text</p><script>console.error('boom')</script>"))
        self.assertTrue(any("console error: boom" in b for b in bad), bad)

    def test_exception(self):
        bad = verdict(self.page("throw.html", "<p>text</p><script>undefinedFunction()</script>"))
        self.assertTrue(any(b.startswith("exception:") for b in bad), bad)

    def test_broken_plot(self):
        bad = verdict(self.page("plot.html", "<p>text</p><img alt='plot' src='data:image/svg+xml;base64,PHN2Zz4='>"))
        self.assertIn("image did not render: plot", bad)

    def test_missing_file(self):
        bad = verdict(self.page("missing.html", "<p>text</p><img alt='gone' src='plots/gone.svg'>"))
        self.assertTrue(any(b.startswith("failed load") for b in bad), bad)
        self.assertIn("image did not render: gone", bad)

    def test_blank_page(self):
        bad = verdict(self.page("blank.html", ""))
        self.assertIn("empty page", bad)
        self.assertIn("the screenshot is blank", bad)

    def test_good_page_passes(self):
        self.assertEqual(verdict(self.page("good.html", "<h1>Fine</h1><p>Some text.</p>")), [])


if __name__ == "__main__":
    unittest.main()
