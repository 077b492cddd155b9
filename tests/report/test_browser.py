"""The HTML report in headless Chromium: it renders with its plots, with no
console error, no exception, no failed load and no network request; its first
screen answers "which flags for my kind of code"; its tables sort and filter;
its cell links reach the assembly pages, where a large code change opens a
loop-by-loop side-by-side view.  The checker itself is tested on pages that
must fail it.

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
    # The page needs no network: besides itself it loads only files of its own
    # folder (report.css, report.js, plots/*.svg; a failed one is a failed load).
    bad += [f"network request: {u}" for u in r.get("requests", [])
            if u != r.get("url") and not u.startswith("data:") and not u.startswith("file://")]
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
        r = self.inspect(self.tables / "report.html")
        page = r["page"]
        self.assertEqual(page["title"], "flagbench run fixture-run-a")
        plots_shown = [i for i in page["images"] if "/tables/plots/" in i["src"]]   # src is cut short
        # heatmap, effects overview, 3 effects, 3 interactions
        self.assertEqual(len(plots_shown), 8, page["images"])
        for img in plots_shown:
            self.assertGreater(img["width"], 300)
            self.assertGreater(img["shownWidth"], 300)
        self.assertGreater(page["tables"], 6)
        self.assertGreater(page["bodyHeight"], 3000)
        self.assertGreater(browser.png_colors(r["screenshot"]), 10)
        (Path(tempfile.gettempdir()) / "flagbench-report-screenshot.png").write_bytes(r["screenshot"])

    def inspect(self, path, fragment="", script=None):
        url = path.as_uri() + fragment
        r = self.chrome.inspect(url, settle=0.3, script=script)
        self.assertEqual(verdict(r), [])
        return r

    def test_first_screen_holds_the_family_by_style_answer(self):
        r = self.inspect(self.tables / "report.html", script="""JSON.stringify((() => {
          const t = document.getElementById('by-style');
          const box = t.getBoundingClientRect();
          const rows = [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent.trim()));
          return {top: box.top, bottom: box.bottom, viewport: window.innerHeight, rows: rows,
                  first_h2: document.querySelector('h2').textContent};
        })())""")
        ans = r["script"]
        self.assertEqual(ans["first_h2"], "Which flags for my kind of code")
        self.assertLess(ans["top"], ans["viewport"] / 2)       # on the first screen, no scrolling
        pairs = {(row[0], row[1]) for row in ans["rows"]}
        for want in [("simd", "scalar"), ("simd", "autovec"), ("simd", "vector extensions"),
                     ("simd", "intrinsics"), ("inline", "plain C")]:
            self.assertIn(want, pairs)
        for row in ans["rows"]:     # every answer says what to use and how sure
            self.assertTrue(row[3], row)
            self.assertRegex(row[4], r"(\d\.\d+× \[[\d.]+, [\d.]+\] [▲▼≈] \(±[\d.]+%\)|= same code|·)", row)
        html = (self.tables / "report.html").read_text()
        self.assertIn("How sure", html)
        self.assertIn("A/A false calls", html)
        self.assertIn("Suggested next runs", html)

    def test_sorting_and_filtering(self):
        r = self.inspect(self.tables / "report.html", script="""JSON.stringify((() => {
          const t = document.getElementById('speedups');
          const col = [...t.tHead.rows[0].cells].findIndex(th => th.textContent === 'gcc12.O2.v3.pgo');
          const values = () => [...t.tBodies[0].rows].map(r => r.cells[col].textContent.trim());
          const before = values();
          t.tHead.rows[0].cells[col].click();
          const asc = values();
          t.tHead.rows[0].cells[col].click();
          const desc = values();
          const inp = document.querySelector('input.filter[data-for=speedups]');
          inp.value = 'reduce avx2';
          inp.dispatchEvent(new Event('input'));
          const shown = [...t.tBodies[0].rows].filter(r => r.style.display !== 'none')
                          .map(r => r.cells[0].textContent);
          return {before, asc, desc, shown, count: inp.parentNode.parentNode.querySelector('.count').textContent};
        })())""")
        res = r["script"]
        num = [float(v.split("×")[0]) for v in res["asc"] if v[:1].isdigit()]
        self.assertGreater(len(num), 3)
        self.assertEqual(num, sorted(num))
        num_desc = [float(v.split("×")[0]) for v in res["desc"] if v[:1].isdigit()]
        self.assertEqual(num_desc, sorted(num_desc, reverse=True))
        self.assertNotEqual(res["before"], res["asc"])
        self.assertEqual(res["shown"], ["simd/reduce/avx2"])
        self.assertTrue(res["count"].startswith("1 of "), res["count"])

    def test_assembly_page_renders_and_has_the_linked_anchors(self):
        html = (self.tables / "report.html").read_text()
        self.assertIn('href="asm/simd_reduce.html#c-vecext--clang19.O2.v3"', html)
        self.assertIn('href="asm/simd_reduce.html#c-vecext--clang19.O2.v3--diff"', html)
        page = (self.tables / "asm" / "simd_reduce.html")
        text = page.read_text()
        for anchor in ('id="c-vecext--clang19.O2.v3"', 'id="c-vecext--clang19.O2.v3--diff"',
                       'id="c-vecext--clang19.O2.v3--mca"'):
            self.assertIn(anchor, text)
        self.assertIn("Identical to the baseline's code", text)
        self.assertNotIn("no line diff is shown", text)

    def test_large_code_change_opens_a_loop_by_loop_side_by_side_view(self):
        # vecext under clang19.O2.v3 shares 3 of 55 baseline lines: a unified diff would be noise.
        r = self.inspect(self.tables / "asm" / "simd_reduce.html", "#c-vecext--clang19.O2.v3--diff",
                         script="""JSON.stringify((() => {
          const d = document.getElementById('c-vecext--clang19.O2.v3--diff');
          const g = d.querySelector('div.sbs');
          const visible = el => el.getClientRects().length > 0;
          const lines = pre => Math.round(pre.scrollHeight / parseFloat(getComputedStyle(pre).lineHeight));
          // the blocks shown: each a pair of headings and a pair of <pre> columns
          const blocks = () => {
            const heads = [...g.querySelectorAll('.h:not(.top)')].filter(visible);
            const pres = [...g.querySelectorAll('pre')].filter(visible);
            return heads.map((h, i) => i % 2 ? null : {head: [h.textContent, heads[i + 1].textContent],
                left: pres[i].getBoundingClientRect(), right: pres[i + 1].getBoundingClientRect(),
                lines: [lines(pres[i]), lines(pres[i + 1])],
                changed: [...pres[i].querySelectorAll('span.c, span.d'), ...pres[i + 1].querySelectorAll('span.c, span.i')]
                  .map(s => getComputedStyle(s).backgroundColor)}).filter(Boolean);
          };
          const shown = cls => [...g.querySelectorAll('.' + cls)].filter(b => getComputedStyle(b).display !== 'none').length;
          const plainBlocks = blocks();
          const plain = shown('regs-plain'), hiddenAbstract = shown('regs-abstract');
          const box = d.getBoundingClientRect();
          d.querySelector('.absreg-toggle').click();
          const abstract = shown('regs-abstract'), plainAfter = shown('regs-plain');
          const text = [...g.querySelectorAll('.regs-abstract')].map(b => b.textContent).join(' ');
          return {blocks: plainBlocks, top: box.top, plain, hiddenAbstract, abstract, plainAfter,
                  abstractBlocks: blocks().length, percent_g: /%g\\d/.test(text),
                  tables: g.querySelectorAll('table, tr').length};
        })())""")
        res = r["script"]
        self.assertLess(abs(res["top"]), 200)           # the anchor scrolls to the view
        heads = [b["head"] for b in res["blocks"]]
        loop_heads = [h for h in heads if h[0].startswith("loop") and h[1].startswith("loop")]
        self.assertGreaterEqual(len(loop_heads), 2, heads)   # loops paired side by side
        self.assertTrue(any(h[0].startswith("outside the loops") for h in heads))
        self.assertEqual(res["tables"], 0)              # two <pre> columns, not a row per line
        for b in res["blocks"]:
            left, right = b["left"], b["right"]
            # two columns: side by side, level, the same height, so line N of each faces the other
            self.assertLess(left["left"] + left["width"], right["left"] + 1, b["head"])
            self.assertEqual((left["top"], left["height"]), (right["top"], right["height"]), b["head"])
            self.assertEqual(b["lines"][0], b["lines"][1], b["head"])
        self.assertGreater(sum(b["lines"][0] for b in res["blocks"]), 20)
        # changed lines are marked: shaded, not white or transparent
        marks = [c for b in res["blocks"] for c in b["changed"]]
        self.assertTrue(marks)
        for c in marks:
            self.assertNotIn(c, ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"))
        # each loop changed by abstraction has both forms; the switch swaps them
        self.assertGreaterEqual(res["plain"], 1)
        self.assertEqual((res["hiddenAbstract"], res["abstract"], res["plainAfter"]), (0, res["plain"], 0))
        self.assertEqual(res["abstractBlocks"], len(res["blocks"]))
        self.assertTrue(res["percent_g"])                # abstracted registers: %g1, %g2 ...


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

    def test_network_request(self):
        bad = verdict(self.page("net.html", "<p>text</p><img alt='remote' src='http://127.0.0.1:9/x.png'>"))
        self.assertTrue(any(b.startswith("network request: http://127.0.0.1:9/x.png") for b in bad), bad)

    def test_good_page_passes(self):
        self.assertEqual(verdict(self.page("good.html", "<h1>Fine</h1><p>Some text.</p>")), [])


if __name__ == "__main__":
    unittest.main()
