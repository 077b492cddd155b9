"""Samples mapped onto the normalized assembly, from a recorded `perf script`
output (fixtures/memory_init.fill.*, made by record_fixture.py from a GCC 12
-O3 -march=x86-64-v3 build), and the model column's choice of loop from it."""
import json
import unittest

from whytest import FIXTURES

from flagbench.asm import model
from flagbench.why import perfscript, profile

STEM = "memory_init.fill"


def load():
    samples = perfscript.parse((FIXTURES / f"{STEM}.perf-script.txt").read_text())
    lines = json.loads((FIXTURES / f"{STEM}.lines.json").read_text())
    table = {(sym, int(off)): ln for sym, d in lines.items() for off, ln in d.items()}
    asm = json.loads((FIXTURES / f"{STEM}.asm.json").read_text())
    return samples, table, list(lines), asm


class PerfScriptParsing(unittest.TestCase):
    def test_headers_and_frames(self):
        samples = perfscript.parse((FIXTURES / f"{STEM}.perf-script.txt").read_text())
        self.assertEqual(len(samples), 267)
        self.assertTrue(all(s.event == "cpu-clock" and s.period > 0 for s in samples))
        leaf = [s.frames[0] for s in samples if s.frames and s.frames[0].symbol == "init_fill"]
        self.assertGreater(len(leaf), 100)
        self.assertTrue(all(f.offset is not None and f.dso.endswith("/memory_init") for f in leaf))

    def test_frame_without_offset_and_header_frame(self):
        f = perfscript.parse_frame("\t               0 [unknown] ([unknown])")
        self.assertEqual((f.symbol, f.offset, f.dso), ("[unknown]", None, "[unknown]"))
        s = perfscript.parse("a.out 12 1000 cpu-clock:      401136 main+0x16 (/tmp/a.out)\n")
        self.assertEqual([(x.symbol, x.offset) for x in s[0].frames], [("main", 0x16)])

    def test_noise_lines_are_not_samples(self):
        self.assertEqual(perfscript.parse("Warning:\nsome message\n\n"), [])


class Mapping(unittest.TestCase):
    def setUp(self):
        self.samples, self.table, self.parts, self.asm = load()

    def test_lines_and_loops(self):
        m = profile.map_lines(self.samples, self.table, self.parts)
        tot = perfscript.total(self.samples)
        self.assertEqual(m["unmapped"], 0)
        # every mapped line is an instruction line of the stored text, not a label
        text = (FIXTURES / f"{STEM}.s").read_text().split("\n")
        for ln in m["lines"]:
            self.assertTrue(text[ln - 1].startswith("\t"), (ln, text[ln - 1]))
        loops = profile.loop_shares(self.asm["loop_details"], m["lines"], tot, m["inside"])
        by = {lp["index"]: lp for lp in loops}
        # the fill loop (4 words an iteration) holds most samples, the
        # one-word-per-page checksum loop (512 "items" an iteration) few
        self.assertGreater(by[1]["percent_of_function"], 80)
        self.assertLess(by[2]["percent_of_function"], 20)
        self.assertAlmostEqual(by[1]["percent_of_function"] + by[2]["percent_of_function"], 100, delta=0.1)
        self.assertEqual(profile.hottest_loop(loops)["index"], 1)

    def test_samples_outside_the_function_are_not_mapped(self):
        m = profile.map_lines(self.samples, self.table, ["no_such_function"])
        self.assertEqual((m["inside"], m["lines"]), (0, {}))

    def test_hot_symbols(self):
        hot = profile.hot_symbols(self.samples)
        self.assertIn("init_fill", [h["symbol"] for h in hot])
        self.assertAlmostEqual(sum(h["percent"] for h in profile.hot_symbols(self.samples, top=10 ** 6)), 100, delta=0.1)


class ModelUsesTheHottestLoop(unittest.TestCase):
    """memory/init read 88.6: the checksum loop (512 items/iteration) was taken as the main loop."""

    def setUp(self):
        self.samples, self.table, self.parts, self.asm = load()
        m = profile.map_lines(self.samples, self.table, self.parts)
        tot = perfscript.total(self.samples)
        self.profile = {"loops": profile.loop_shares(self.asm["loop_details"], m["lines"], tot, m["inside"])}
        for lp in self.profile["loops"]:
            lp["bytes_per_iteration"] = {1: 32, 2: 4096}[lp["index"]]

    def test_without_profile_the_loop_is_a_guess(self):
        r = model.model_vs_measurement(self.asm, ns_per_item=0.27, ghz=3.7, unit="elements")
        self.assertIn("a guess", r["method"])
        self.assertIn("loop 2", r["method"])

    def test_with_profile_the_fill_loop(self):
        r = model.model_vs_measurement(self.asm, ns_per_item=0.27, ghz=3.7, profile=self.profile,
                                       unit="bytes")
        self.assertIn("main loop 1", r["method"])
        self.assertIn("32 items/iteration", r["method"])
        cyc = next(lp for lp in self.asm["mca"]["loops"] if lp["index"] == 1)["per_cpu"]["host"]["cycles_per_iteration"]
        self.assertAlmostEqual(r["predicted_cycles_per_item"], cyc / 32, places=4)

    def test_ratio_outside_band_is_suspect_with_reason(self):
        r = model.model_vs_measurement(self.asm, ns_per_item=5.0, ghz=3.7, profile=self.profile, unit="bytes")
        self.assertGreater(r["ratio"], 3)
        self.assertIn("suspect", r["suspect"])
        self.assertIn("% of all samples", r["suspect"])
        with_kernel = dict(self.profile, hot_symbols=[{"symbol": "clear_page_erms", "dso": "[kernel.kallsyms]",
                                                       "percent": 30.0}, {"symbol": "x", "dso": "a", "percent": 60.0}])
        r = model.model_vs_measurement(self.asm, ns_per_item=5.0, ghz=3.7, profile=with_kernel, unit="bytes")
        self.assertIn("OS kernel holds at least 30% of the samples", r["suspect"])
        r = model.model_vs_measurement(self.asm, ns_per_item=0.001, ghz=3.7, profile=self.profile, unit="bytes")
        self.assertLess(r["ratio"], 0.3)
        self.assertIn("faster than llvm-mca", r["suspect"])

    def test_no_ratio_when_the_time_is_in_a_loop_llvm_mca_did_not_model(self):
        # memchr find_vecext at O2 v3: the vector loop encloses the post-hit scans,
        # so it is not innermost; the innermost loop with samples holds 5% of them.
        prof = {"loops": [{"index": 1, "innermost": True, "percent": 2.0, "percent_of_function": 5.0,
                           "bytes_per_iteration": 32},
                          {"index": 2, "innermost": True, "percent": 0.0, "percent_of_function": 0.0},
                          {"index": 3, "innermost": False, "percent": 38.0, "percent_of_function": 95.0}]}
        r = model.model_vs_measurement(self.asm, ns_per_item=0.02, ghz=3.7, profile=prof, unit="bytes")
        self.assertIsNone(r["ratio"])
        self.assertIn("holds only 5% of the function's samples; loop 3 holds 95% of them but is not "
                      "innermost", r["why"])

    def test_units_that_are_not_elements_need_measured_counts(self):
        r = model.model_vs_measurement(self.asm, ns_per_item=0.27, ghz=3.7, profile=self.profile, unit="messages")
        self.assertIsNone(r["ratio"])
        self.assertIn("messages", r["why"])
        no_bytes = {"loops": [dict(lp, bytes_per_iteration=None) for lp in self.profile["loops"]]}
        r = model.model_vs_measurement(self.asm, ns_per_item=0.27, ghz=3.7, profile=no_bytes, unit="bytes")
        self.assertIsNone(r["ratio"])
        self.assertIn("an item is a byte", r["why"])


if __name__ == "__main__":
    unittest.main()
