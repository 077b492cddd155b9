"""Flame graphs: folded stacks, the SVG renderer and the differential graph;
both render in headless Chromium with no console error and no network request
(skipped, saying why, without Chromium)."""
import base64
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

from whytest import FIXTURES, ROOT

from flagbench.why import flame, perfscript

sys.path.insert(0, str(ROOT / "tests" / "report"))
import browser  # noqa: E402

SVG_NS = "{http://www.w3.org/2000/svg}"


def folded_fixture():
    return flame.fold(perfscript.parse((FIXTURES / "memory_init.fill.perf-script.txt").read_text()))


class Folding(unittest.TestCase):
    def test_fold_round_trip(self):
        f = folded_fixture()
        self.assertEqual(sum(f.values()), 267)          # one per sample
        self.assertTrue(all(k.startswith("memory_init;") for k in f))
        self.assertTrue(any(k.endswith(";init_fill") for k in f))
        self.assertTrue(any("_[k]" in k for k in f))    # kernel frames marked
        self.assertEqual(flame.read_folded(flame.folded_text(f)), f)

    def test_bad_folded_line_names_the_line(self):
        with self.assertRaisesRegex(ValueError, "line 2: no weight"):
            flame.read_folded("a;b 3\na;c\n")


class Rendering(unittest.TestCase):
    def rects(self, svg):
        root = ET.fromstring(svg)
        return [(g.find(f"{SVG_NS}title").text, g.find(f"{SVG_NS}rect")) for g in root.iter(f"{SVG_NS}g")]

    def test_widths_follow_the_weights(self):
        svg = flame.svg({"p;main;a": 3, "p;main;b": 1}, title="t")
        got = {t.split(":")[0]: float(r.get("width")) for t, r in self.rects(svg)}
        self.assertAlmostEqual(got["all"], flame.WIDTH)
        self.assertAlmostEqual(got["a"], 0.75 * flame.WIDTH)
        self.assertAlmostEqual(got["b"], 0.25 * flame.WIDTH)
        self.assertIn("a: 3 samples, 75.00%", [t for t, _ in self.rects(svg)])

    def test_empty_profile_is_a_valid_svg(self):
        self.assertIn("no samples", flame.svg({}, title="t"))
        ET.fromstring(flame.svg({}, title="t"))

    def test_escapes_names(self):
        ET.fromstring(flame.svg({"p;operator<<&;x": 1}))

    def test_diff_colours_growth_red_and_shrink_blue(self):
        base, cell = {"p;a": 1, "p;b": 3}, {"p;a": 3, "p;b": 1}
        fills = {t.split(":")[0]: r.get("fill") for t, r in self.rects(flame.diff_svg(base, cell))}
        ra, ga, _ = map(int, fills["a"][4:-1].split(","))
        rb, gb, bb = map(int, fills["b"][4:-1].split(","))
        self.assertGreater(ra, ga)   # red: a's share grew 25% -> 75%
        self.assertGreater(bb, rb)   # blue: b's share shrank
        same = {t.split(":")[0]: r.get("fill") for t, r in self.rects(flame.diff_svg(base, base))}
        self.assertEqual(same["a"], "rgb(220,220,220)")


@unittest.skipIf(not browser.find_chromium(), "Chromium not found: the flame graph browser test did not run")
class InChromium(unittest.TestCase):
    def test_flame_graphs_render_without_errors_or_requests(self):
        f = folded_fixture()
        base = {k: v for k, v in f.items() if "init_fill" not in k}
        imgs = []
        for name, svg in (("flame", flame.svg(f, "memory/init/fill")),
                          ("diff", flame.diff_svg(base, f, "memory/init/fill vs baseline"))):
            b64 = base64.b64encode(svg.encode()).decode()
            imgs.append(f'<img alt="{name}" src="data:image/svg+xml;base64,{b64}">')
        with tempfile.TemporaryDirectory() as d:
            page = Path(d) / "flame.html"
            page.write_text("<!doctype html><html><head><meta charset='utf-8'><title>flame</title></head>"
                            "<body><p>flame graphs</p>" + "".join(imgs) + "</body></html>")
            chrome = browser.Chromium(browser.find_chromium())
            try:
                r = chrome.inspect(page.as_uri())
                requests = [e["params"]["request"]["url"] for e in chrome.events
                            if e.get("method") == "Network.requestWillBeSent"]
            finally:
                chrome.close()
        self.assertEqual(r["problems"] + r["console_errors"] + r["exceptions"] + r["failed_loads"]
                         + r["log_errors"], [])
        self.assertEqual(len(r["page"]["images"]), 2)
        for img in r["page"]["images"]:
            self.assertTrue(img["complete"])
            self.assertEqual(img["width"], flame.WIDTH + 20)
        self.assertEqual([u for u in requests if not u.startswith(("file:", "data:"))], [])


if __name__ == "__main__":
    unittest.main()
