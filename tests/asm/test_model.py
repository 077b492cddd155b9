"""Model against measurement: the arithmetic, loop choice and callgrind trip counts."""
import os
import tempfile
import unittest

import asmtest  # noqa: F401  (puts scripts/lib on the path)
from flagbench.asm import model

CALLGRIND = """# callgrind format
version: 1
positions: instr
events: Ir
fn=reduce_avx2
0x6f20 2
0x6f96 2
fi=/usr/lib/gcc/x86_64-linux-gnu/12/include/fmaintrin.h
0x6f60 254
fe=/work/main/kernels/simd/reduce.c
0x6f96 254
fn=run_avx2
0x7000 2
cfn=reduce_avx2
calls=2 0x6f20
0x7012 3164
0x7017 2
"""


def doc(cycles, items, measured=None):
    loops = [{"index": i + 1, "lines": [1, 2], "items_per_iteration": it,
              "per_cpu": {"host": {"cycles_per_iteration": c, "unsound": []}}}
             for i, (c, it) in enumerate(zip(cycles, items))]
    details = [{"index": i + 1, "items_per_iteration": it} for i, it in enumerate(items)]
    if measured:
        for d, ipi in zip(details, measured):
            d["iterations_per_item"] = ipi
    return {"found": True, "loop_details": details,
            "mca": {"target_cpu": "x86-64", "loops": loops}}


class CompareTest(unittest.TestCase):
    def test_arithmetic(self):
        r = model.compare(cycles_per_item=0.125, ns_per_item=0.05, ghz=4.0)
        self.assertAlmostEqual(r["predicted_ns_per_item"], 0.03125, places=4)
        self.assertAlmostEqual(r["measured_cycles_per_item"], 0.2)
        self.assertAlmostEqual(r["ratio"], 1.6, places=2)

    def test_main_loop_with_static_items(self):
        r = model.model_vs_measurement(doc([4.0, 3.0], [32, 1]), ns_per_item=0.05, ghz=4.0)
        self.assertAlmostEqual(r["predicted_cycles_per_item"], 0.125)
        self.assertIn("main loop 1 only", r["method"])

    def test_sum_over_loops_with_measured_trip_counts(self):
        r = model.model_vs_measurement(doc([4.0, 3.0], [32, 1], measured=[1 / 32, 0.001]),
                                       ns_per_item=0.05, ghz=4.0)
        self.assertAlmostEqual(r["predicted_cycles_per_item"], 0.125 + 0.003, places=4)
        self.assertIn("measured trip counts", r["method"])

    def test_unknown_items_is_null_with_reason(self):
        r = model.model_vs_measurement(doc([4.0], [None]), ns_per_item=0.05, ghz=4.0)
        self.assertIsNone(r["predicted_ns_per_item"])
        self.assertIn("items per iteration unknown", r["why"])
        r = model.model_vs_measurement({"found": False}, ns_per_item=0.05, ghz=4.0)
        self.assertIsNone(r["predicted_ns_per_item"])

    def test_ns_per_item_from_time_json(self):
        t = {"results": [{"mean": 1}], "harness": [{"ns_per_item": 3.0}, {"ns_per_item": 1.0},
                                                   {"ns_per_item": 2.0}]}
        self.assertEqual(model.ns_per_item_from(t), 2.0)


class CallgrindTest(unittest.TestCase):
    def test_counts_sum_over_file_switches_and_skip_call_costs(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(CALLGRIND)
        try:
            counts = model.callgrind_counts(f.name, {"reduce_avx2"})
        finally:
            os.unlink(f.name)
        self.assertEqual(counts, {0x6f20: 2, 0x6f96: 256, 0x6f60: 254})


if __name__ == "__main__":
    unittest.main()
