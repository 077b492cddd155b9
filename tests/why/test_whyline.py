"""The why line of a verdict from the asm summaries, the remarks and the profile."""
import unittest

import whytest  # noqa: F401

from flagbench.why import whyline

BASE = {"code_hash": "aaaa", "vector_width": "xmm", "fma": 0, "calls": 1, "loops": 2, "spills": 0,
        "reloads": 0, "loads": 4, "stores": 1, "instructions": 40, "bytes": 160}
CELL = dict(BASE, code_hash="bbbb", vector_width="ymm", fma=4)
PROFILE = {"hottest_loop": 1, "loops": [{"index": 1, "percent": 96.0}, {"index": 2, "percent": 1.5}]}


class WhyLine(unittest.TestCase):
    def test_vectorized_example(self):
        line = whyline.why_line(BASE, CELL, {"vectorized": [{"bits": 128}]},
                                {"vectorized": [{"bits": 256}]}, PROFILE)
        self.assertEqual(line, "vector width xmm→ymm, FMA 0→4; 96% of samples in loop 1")

    def test_newly_vectorized_and_inlined_from_remarks(self):
        base = dict(BASE, vector_width="scalar")
        e = whyline.explain(base, CELL, {"missed": [{"reason": "x"}]},
                            {"vectorized": [{"bits": None, "lanes": 8, "interleave": 4}],
                             "inlined": [{"callee": "helper"}]}, PROFILE)
        self.assertEqual(e["kind"], "remarks")
        self.assertTrue(e["line"].startswith("loop vectorized scalar→ymm, FMA 0→4"), e["line"])
        self.assertIn("compiler: loop vectorized (8 lanes, interleave 4)", e["line"])
        self.assertIn("compiler: inlined helper", e["line"])

    def test_lost_inlining_with_reason(self):
        e = whyline.explain(BASE, dict(BASE, code_hash="cccc", calls=3), {"inlined": [{"callee": "f"}]},
                            {"not_inlined": [{"callee": "f", "reason": "too costly"}]}, None)
        self.assertEqual(e["line"], "calls 1→3, compiler: no longer inlined f (too costly)")

    def test_same_code_is_placement_only(self):
        e = whyline.explain(BASE, dict(BASE), None, None, PROFILE)
        self.assertEqual(e["kind"], "placement")
        self.assertTrue(e["line"].startswith("placement only"))

    def test_same_counts_different_code(self):
        e = whyline.explain(BASE, dict(BASE, code_hash="dddd", bytes=170), None, None, None)
        self.assertEqual((e["line"], e["kind"]), ("same counts, different instructions", "code"))
        e = whyline.explain(BASE, dict(BASE, code_hash="dddd"), None, None, None)
        self.assertEqual(e["line"], "helper code changed (callees differ)")

    def test_no_assembly(self):
        self.assertEqual(whyline.explain(None, CELL, None, None, None)["kind"], "unexplained")

    def test_closing_note(self):
        note = whyline.closing_note(["code", "remarks", "placement", "placement"])
        self.assertIn("4 faster/slower verdicts: 2 (50%) explained by a code change", note)
        self.assertIn("1 of them (25%) with the compiler's remarks", note)
        self.assertIn("2 (50%) placement only", note)
        self.assertEqual(whyline.closing_note([]), "No faster/slower verdicts to explain.")


if __name__ == "__main__":
    unittest.main()
