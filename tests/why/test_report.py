"""The report with why data: the summary's "Why it changed" section and closing
note, the `why`/`remarks` fields of summary.json, and the asm page's annotated
listing, remarks and flame graphs, rendered in headless Chromium with no
console error and no network request (that part skips without Chromium).

The why data is written into a copy of the report tests' fixture run the way
the sweep's why step writes it (why/step.py)."""
import json
import sys
import unittest

from whytest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "tests" / "report"))
import browser  # noqa: E402
from common import fixture_copy  # noqa: E402

from flagbench.report import generate  # noqa: E402
from flagbench.why import flame, perfscript  # noqa: E402

KERNEL_DIR = "kernels/simd_reduce"


def add_why_data(run):
    folded = flame.fold(perfscript.parse((FIXTURES / "memory_init.fill.perf-script.txt").read_text()))
    for config in ("gcc12.O2.v3", "clang19.O2.v3"):
        kdir = run / "configs" / config / KERNEL_DIR
        asm = json.loads((kdir / "asm" / "vecext.json").read_text())
        loops = asm.get("loop_details") or []
        first, last = loops[0]["lines"]
        pdir = kdir / "profile"
        pdir.mkdir(exist_ok=True)
        prof = {"variant": "vecext", "function": "reduce_vecext", "event": "cpu-clock", "samples": 200,
                "hot_symbols": [{"symbol": "reduce_vecext", "dso": "simd_reduce", "percent": 90.0}],
                "function_percent": 90.0, "line_percent": {str(first + 1): 60.0, str(last): 30.0},
                "loops": [{"index": d["index"], "innermost": d["innermost"], "lines": d["lines"],
                           "percent": 90.0 if d["index"] == 1 else 0.0,
                           "percent_of_function": 100.0 if d["index"] == 1 else 0.0} for d in loops],
                "hottest_loop": 1}
        (pdir / "vecext.json").write_text(json.dumps(prof))
        (pdir / "vecext.svg").write_text(flame.svg(folded, "simd/reduce/vecext"))
        (pdir / "vecext.diff.svg").write_text(flame.diff_svg(folded, folded, "simd/reduce/vecext"))
        facts = {"vectorized": [{"line": 40, "bits": 256, "lanes": None, "interleave": None}],
                 "missed": [], "inlined": [{"callee": "hsum", "line": 41}], "not_inlined": [], "unrolled": []}
        (kdir / "remarks.json").write_text(json.dumps({"files": 3, "functions": {"reduce_vecext": facts}}))


class ReportWithWhyData(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.run_dir = fixture_copy("run-a")
        add_why_data(cls.run_dir)
        generate.generate(cls.run_dir, want_plots=False)
        cls.tables = cls.run_dir / "tables"

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_summary_has_why_section_and_closing_note(self):
        md = (self.tables / "summary.md").read_text()
        self.assertIn("## Why it changed", md)
        section = md.split("## Why it changed", 1)[1].split("\n## ", 1)[0]
        self.assertRegex(section, r"\d+ faster/slower verdicts: \d+ \(\d+%\) explained by a code change")
        summary = json.loads((self.tables / "summary.json").read_text())
        called = [c for c in summary["cells"] if (c.get("vs_baseline") or {}).get("verdict") in ("faster", "slower")]
        self.assertTrue(called)
        for c in called:
            self.assertTrue(c["why"], c)
            self.assertIn(c["why_kind"], ("code", "remarks", "placement", "unexplained"))
            self.assertIn(f"| {c['kernel']}/{c['variant']} | `{c['config']}` |", section)
        rows = [c for c in summary["cells"] if c["kernel"] == "simd/reduce" and c["variant"] == "vecext"
                and c["config"] == "clang19.O2.v3"]
        self.assertEqual(rows[0]["remarks"], "vectorized 256-bit; inlined hsum")

    def test_first_screen_carries_the_why_line_of_its_best_configuration(self):
        from flagbench import results
        from flagbench.report import firstscreen
        from flagbench.report.analysis import Analysis
        from flagbench.why import cells
        a = Analysis(results.load(self.run_dir))
        answers = [x for x in firstscreen.answers(a) if x.config]
        checked = 0
        for x in answers:
            lines = {(cells.explain_cell(a, a.cell(k, v, x.config)) or {}).get("line") for k, v in x.rows}
            lines.discard(None)
            if lines:       # a best configuration whose cells have why lines shows one
                self.assertIn(x.why.split("; ")[0], lines, x)
                checked += 1
        self.assertGreater(checked, 0)

    def test_asm_page_has_annotated_listing_remarks_and_flame_graphs(self):
        page = (self.tables / "asm" / "simd_reduce.html").read_text()
        self.assertIn("left: percent of all samples on each line", page)
        self.assertIn(" 60.00%\t", page)
        self.assertIn("Compiler remarks for <code>reduce_vecext</code>: vectorized 256-bit; inlined hsum", page)
        self.assertIn("<summary>flame graph</summary>", page)
        self.assertIn("<summary>differential flame graph against the baseline</summary>", page)

    @unittest.skipIf(not browser.find_chromium(), "Chromium not found: the asm page browser test did not run")
    def test_asm_page_renders_without_errors_or_requests(self):
        chrome = browser.Chromium(browser.find_chromium())
        try:
            r = chrome.inspect((self.tables / "asm" / "simd_reduce.html").as_uri())
            requests = [e["params"]["request"]["url"] for e in chrome.events
                        if e.get("method") == "Network.requestWillBeSent"]
        finally:
            chrome.close()
        self.assertEqual(r["problems"] + r["console_errors"] + r["exceptions"] + r["failed_loads"]
                         + r["log_errors"], [])
        flames = [i for i in r["page"]["images"] if "flame graph" in i["alt"]]
        self.assertEqual(len(flames), 4)     # two cells x (flame, differential)
        for img in flames:
            self.assertTrue(img["complete"])
            self.assertGreater(img["width"], 0)
        self.assertEqual([u for u in requests if not u.startswith(("file:", "data:"))], [])


if __name__ == "__main__":
    unittest.main()
