"""The annotated listing of an asm page: its percent column and loop markers."""
import unittest

import whytest  # noqa: F401  (puts scripts/lib on sys.path)

from flagbench.why import asmview

TEXT = "sum:\n\txorl\t%eax, %eax\n.L_1:\n\taddl\t(%rdi), %eax\n\tjne\t.L_1\n\tret\n"
ASM = {"loop_details": [{"index": 1, "lines": [3, 5], "innermost": True, "depth": 1}]}
PROFILE = {"line_percent": {"4": 62.5, "5": 0.25}, "loops": [{"index": 1, "percent": 62.75}]}


class AnnotatedListing(unittest.TestCase):
    def test_columns_as_eight_wide_tab_stops_show_them(self):
        shown = asmview.annotated(TEXT, ASM, PROFILE).expandtabs(8).split("\n")
        self.assertEqual(shown[:8], [
            "        sum:",
            "                xorl    %eax, %eax",
            "        # loop 1 (innermost, 62.75% of samples)",
            "        .L_1:",
            " 62.50%         addl    (%rdi), %eax    ######",
            "  0.25%         jne     .L_1",
            "        # end of loop 1",
            "                ret",
        ])

    def test_a_line_without_samples_costs_one_byte_of_margin(self):
        out = asmview.annotated(TEXT, ASM, PROFILE).split("\n")
        self.assertEqual(out[0], "\tsum:")
        self.assertEqual(out[4], " 62.50%\t\taddl\t(%rdi), %eax    ######")


if __name__ == "__main__":
    unittest.main()
