"""flagbench.progress: the ETA extrapolates work, not steps, so one slow step
among many quick ones (a build before its kernels' checks) does not mislead it."""
import io
import sys
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts" / "lib"))

from flagbench import progress  # noqa: E402


def last_eta(stream: io.StringIO) -> str:
    return stream.getvalue().strip().splitlines()[-1].split("ETA ")[1].split()[0]


class ProgressEta(unittest.TestCase):
    def run_steps(self, weighted: bool) -> str:
        """Two builds of 60 s, each as long as 20 kernel steps of 3 s, then 10
        of the 20 kernel steps: 150 s in, 30 s left."""
        out, clock = io.StringIO(), [0.0]
        with mock.patch.object(progress.time, "monotonic", lambda: clock[0]):
            p = progress.Progress("build", 22, stream=out, total_work=60 if weighted else None)
            for _ in range(2):
                clock[0] += 60
                p.step("built", work=20 if weighted else None)
            for _ in range(10):
                clock[0] += 3
                p.step("kernel")
            p._print(final=True)
        return last_eta(out)

    def test_weighed_steps_give_the_right_eta(self):
        self.assertEqual(self.run_steps(weighted=True), "0:30")   # 150 s / 50 units x 10 left

    def test_unweighed_steps_overstate_it(self):
        self.assertEqual(self.run_steps(weighted=False), "2:05")  # 150 s / 12 steps x 10 left

    def test_no_eta_before_a_quarter_of_the_work(self):
        out, clock = io.StringIO(), [0.0]
        with mock.patch.object(progress.time, "monotonic", lambda: clock[0]):
            p = progress.Progress("build", 10, stream=out, total_work=100)
            clock[0] += 60
            p.step("built", work=20)
            p._print(final=True)
        self.assertEqual(last_eta(out), "?")


if __name__ == "__main__":
    unittest.main()
