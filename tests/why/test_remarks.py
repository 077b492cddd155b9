"""The remarks parser on recorded GCC 12 and Clang 19 optimization records of
fixtures/remarks_source.c (-O3 -march=x86-64-v3 -fsave-optimization-record)."""
import unittest

from whytest import FIXTURES

from flagbench.why import remarks

GCC = FIXTURES / "gcc12-O3-v3.opt-record.json.gz"
CLANG = FIXTURES / "clang19-O3-v3.opt.yaml"


class GccRecords(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = remarks.parse_file(GCC)

    def test_vectorized_with_width(self):
        self.assertEqual(self.f["dot"]["vectorized"][0]["bits"], 256)
        self.assertEqual(self.f["dot"]["vectorized"][0]["line"], 1)
        self.assertEqual(self.f["scale"]["vectorized"][0]["bits"], 256)

    def test_missed_with_reason(self):
        self.assertEqual(self.f["chase"]["vectorized"], [])
        self.assertEqual(self.f["chase"]["missed"], [{"line": 4, "reason": "unsupported use in stmt."}])

    def test_inlined_and_not(self):
        self.assertEqual([i["callee"] for i in self.f["scale"]["inlined"]], ["sq"])
        self.assertEqual(self.f["callbig"]["not_inlined"],
                         [{"callee": "big", "reason": "function not inlinable"}])

    def test_unrolled(self):
        self.assertIn("completely unrolled", self.f["big"]["unrolled"][0]["how"])


class ClangRecords(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.f = remarks.parse_file(CLANG)

    def test_vectorized_with_lanes_and_interleave(self):
        self.assertEqual(self.f["big"]["vectorized"], [{"line": 5, "bits": None, "lanes": 8, "interleave": 4}])
        self.assertEqual(self.f["scale"]["vectorized"][0]["lanes"], 8)

    def test_missed_with_reason(self):
        self.assertEqual(self.f["dot"]["missed"][0]["reason"],
                         "cannot prove it is safe to reorder floating-point operations")
        self.assertIn("could not be identified as reduction", self.f["chase"]["missed"][0]["reason"])

    def test_inlined_and_not(self):
        self.assertEqual([i["callee"] for i in self.f["scale"]["inlined"]], ["sq"])
        self.assertEqual(self.f["callbig"]["not_inlined"][0]["callee"], "big")
        self.assertIn("noinline", self.f["callbig"]["not_inlined"][0]["reason"])

    def test_unrolled(self):
        self.assertIn("factor of 8", self.f["dot"]["unrolled"][0]["how"])


class Summaries(unittest.TestCase):
    def test_brief_and_differences(self):
        g, c = remarks.parse_file(GCC), remarks.parse_file(CLANG)
        self.assertEqual(remarks.brief(c["big"]), "vectorized 8 lanes, interleave 4")
        self.assertTrue(remarks.brief(g["dot"]).startswith("vectorized 256-bit"))
        diff = remarks.differences(g["dot"], c["dot"])
        self.assertTrue(any(d.startswith("- vectorized") for d in diff), diff)
        self.assertTrue(any(d.startswith("+ missed") for d in diff), diff)
        self.assertEqual(remarks.differences(c["dot"], c["dot"]), [])

    def test_collect_keeps_the_hot_functions_only(self):
        import shutil
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            shutil.copy(CLANG, d)
            got = remarks.collect(d, ["dot", "big.constprop.0"])
        self.assertEqual(got["files"], 1)
        self.assertEqual(sorted(got["functions"]), ["big", "dot"])

    def test_no_records_says_how_to_get_them(self):
        import tempfile
        with tempfile.TemporaryDirectory() as d:
            got = remarks.collect(d, ["dot"])
        self.assertIn("FB_REMARKS=ON", got["why"])

    def test_bad_file_is_a_clear_error(self):
        with self.assertRaisesRegex(ValueError, "not an optimization record"):
            remarks.parse_file(FIXTURES / "remarks_source.c")


if __name__ == "__main__":
    unittest.main()
