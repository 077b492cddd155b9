"""The matrix and axes parsers, configuration ids and hashes, and --plan."""
import os
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))

from flagbench.axes import ConfigError, parse_axes  # noqa: E402
from flagbench.config import config_hash  # noqa: E402
from flagbench.matrix import find_matrix, parse_matrix  # noqa: E402

AXES = parse_axes(ROOT / "matrix" / "axes.conf")


def matrix_from(text):
    f = tempfile.NamedTemporaryFile("w", suffix=".matrix", delete=False)
    f.write(textwrap.dedent(text))
    f.close()
    return Path(f.name)


class MatrixParserTest(unittest.TestCase):
    def parse(self, text):
        path = matrix_from(text)
        try:
            return parse_matrix(path, AXES)
        finally:
            os.unlink(path)

    def error(self, text):
        with self.assertRaises(ConfigError) as cm:
            self.parse(text)
        return str(cm.exception), cm.exception.line

    def test_every_shipped_matrix_parses(self):
        names = sorted(p.stem for p in (ROOT / "matrix").glob("*.matrix"))
        for required in ("quick", "ship", "isa", "lto", "pgo", "inline", "compilers", "full"):
            self.assertIn(required, names)
        for name in names:
            m = parse_matrix(find_matrix(name, ROOT / "matrix"), AXES)
            self.assertEqual(m.configs[0].id, m.baseline.id, name)
            self.assertEqual(len({c.id for c in m.configs}), len(m.configs), name)

    def test_one_factor_at_a_time(self):
        m = self.parse("""
            baseline compiler=gcc12 opt=O2
            vary opt=O3,Os
            vary lto=full
        """)
        self.assertEqual([c.id for c in m.configs],
                         ["gcc12.O2.v1", "gcc12.O3.v1", "gcc12.Os.v1", "gcc12.O2.v1.lto-full"])
        self.assertEqual(m.configs[3].axes["opt"], "O2")

    def test_cross_product_exclude_and_explicit(self):
        m = self.parse("""
            baseline compiler=gcc12
            cross compiler=gcc12,clang19 lto=off,full
            exclude compiler=clang19 lto=full
            config compiler=clang14 opt=O3 march=x86-64-v3
        """)
        self.assertEqual([c.id for c in m.configs],
                         ["gcc12.O2.v1", "gcc12.O2.v1.lto-full", "clang19.O2.v1", "clang14.O3.v3"])

    def test_aa_duplicates_the_baseline_and_shares_its_build(self):
        m = self.parse("baseline compiler=clang19 opt=O3\naa\n")
        self.assertEqual([c.id for c in m.configs], ["clang19.O3.v1", "clang19.O3.v1.aa"])
        self.assertEqual(m.configs[1].build_key, "clang19.O3.v1")
        self.assertEqual(m.configs[1].axes, m.configs[0].axes)

    def test_other_architecture_takes_its_own_march(self):
        m = self.parse("baseline compiler=gcc12\nvary compiler=gcc12-aarch64\n")
        self.assertEqual(m.configs[1].axes["march"], "armv8-a")
        self.assertEqual(m.configs[1].arch, "aarch64")

    def test_errors_name_the_line(self):
        cases = [
            ("baseline compiler=gcc12\nvary opt=O4\n", 2, "unknown value 'O4' for axis 'opt'"),
            ("baseline compiler=gcc12\n\nvary optt=O3\n", 3, "unknown axis 'optt'"),
            ("baseline compiler=gcc12\nvray opt=O3\n", 2, "unknown directive 'vray'"),
            ("baseline compiler=gcc12\nvary opt\n", 2, "expected AXIS=VALUE"),
            ("baseline compiler=gcc12\nconfig opt=O2,O3\n", 2, "one value per axis"),
            ("baseline compiler=gcc12\n# fine\nconfig compiler=gcc12-aarch64 march=x86-64-v3\n", 3,
             "is for x86_64 builds"),
            ("baseline compiler=gcc12\nbaseline compiler=clang14\n", 2, "second baseline"),
            ("vary opt=O3\n", None, "no 'baseline' line"),
        ]
        for text, line, words in cases:
            message, got_line = self.error(text)
            self.assertIn(words, message, text)
            self.assertEqual(got_line, line, text)
            if line:
                self.assertRegex(message, rf"\.matrix:{line}: ")

    def test_value_without_spelling_for_the_family(self):
        axes_text = (ROOT / "matrix" / "axes.conf").read_text() + textwrap.dedent("""
            axis extra
              value only-gcc
                gcc: -fno-gcse
        """)
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "axes.conf").write_text(axes_text)
            axes = parse_axes(Path(d) / "axes.conf")
            path = Path(d) / "m.matrix"
            path.write_text("baseline compiler=gcc12 extra=only-gcc\nvary compiler=clang19\n")
            with self.assertRaises(ConfigError) as cm:
                parse_matrix(path, axes)
            self.assertIn("no spelling for clang", str(cm.exception))
            self.assertEqual(cm.exception.line, 2)

    def test_axes_file_errors_name_the_line(self):
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "axes.conf"
            p.write_text("axis opt\n  value O2\n    gcc.compil: -O2\n")
            with self.assertRaises(ConfigError) as cm:
                parse_axes(p)
            self.assertIn("unknown flag kind 'compil'", str(cm.exception))
            self.assertEqual(cm.exception.line, 3)


class IdAndHashTest(unittest.TestCase):
    def test_hash_follows_flags_not_names(self):
        m = parse_matrix(find_matrix("quick", ROOT / "matrix"), AXES)
        by_id = {c.id: c for c in m.configs}
        base = config_hash(AXES, ROOT, by_id["gcc12.O2.v1"])
        self.assertEqual(base, config_hash(AXES, ROOT, by_id["gcc12.O2.v1"]))
        self.assertEqual(base, config_hash(AXES, ROOT, by_id["gcc12.O2.v1.aa"]))
        others = {config_hash(AXES, ROOT, c) for c in m.configs if not c.aa_of}
        self.assertEqual(len(others), len([c for c in m.configs if not c.aa_of]))
        self.assertRegex(base, r"^[0-9a-f]{16}$")


class PlanTest(unittest.TestCase):
    def test_plan_prints_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            r = subprocess.run([str(ROOT / "scripts" / "sweep.sh"), "--plan", "--matrix", "lto",
                                "--kernels", "^simd/reduce$", "--out", d],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("9 configurations x 1 kernels", r.stdout)
            self.assertIn("clang19.O2.v3.lto-thin", r.stdout)
            self.assertIn("-flto=thin", r.stdout)
            self.assertEqual(os.listdir(d), [])

    def test_bad_options_are_usage_errors(self):
        for args, words in ((["--matrix", "nosuch"], "no matrix named 'nosuch'"),
                            (["--shard", "0/3"], "--shard"),
                            (["--kernels", "("], "not a regular expression"),
                            (["--size", "huge"], "--size")):
            r = subprocess.run([str(ROOT / "scripts" / "sweep.sh"), "--plan", *args],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(words, r.stderr, args)


if __name__ == "__main__":
    unittest.main()
