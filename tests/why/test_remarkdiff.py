"""why.remarkdiff takes asmdiff.sh's whole command line: scripts/asmdiff.sh
hands it the same arguments, and an option it did not know used to drop the
remarks section silently (asmdiff.sh --side-by-side printed no remarks)."""
import contextlib
import io
import unittest

import whytest  # noqa: F401  (scripts/lib on the path)

from flagbench.why import remarkdiff


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = remarkdiff.main(list(argv))
    return status, out.getvalue() + err.getvalue()


class CommandLine(unittest.TestCase):
    def test_every_asmdiff_option_is_accepted(self):
        # the sides do not exist: past the command line, that is status 0 and silence
        self.assertEqual(run("--side-by-side", "--abstract-registers", "--intel", "-U", "1",
                             "--summary-only", "/nonexistent/a", "/nonexistent/b"), (0, ""))

    def test_usage_errors_are_left_to_asmdiff(self):
        self.assertEqual(run("-h"), (0, ""))
        self.assertEqual(run("--bogus", "a", "b"), (2, ""))
        self.assertEqual(run("a"), (2, ""))


if __name__ == "__main__":
    unittest.main()
