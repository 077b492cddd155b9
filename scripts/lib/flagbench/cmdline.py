"""The command line of the scripts/*.sh commands that print their own USAGE text
(asm.sh, asmdiff.sh, profile.sh): options, then a few positional words."""
from __future__ import annotations

import argparse
import sys


def parser() -> argparse.ArgumentParser:
    """A parser with -h/--help only: the command's USAGE says the rest, so
    argparse's own help and error messages are not used."""
    ap = argparse.ArgumentParser(add_help=False)
    ap.add_argument("-h", "--help", action="store_true")
    return ap


def parse(ap: argparse.ArgumentParser, argv, counts: tuple, prog: str = "", usage: str = ""):
    """(arguments, None) when argv has known options and a number of positional
    words (.args) in counts, else (None, exit status: 0 for -h, 2 otherwise).
    With a usage text, -h prints it on stdout and a bad command line prints what
    was wrong and the usage on stderr; without one nothing is printed (for a
    command run after another has checked the same command line)."""
    ap.add_argument("args", nargs="*")
    a, unknown = ap.parse_known_args(argv)
    if a.help:
        print(usage, end="")
        return None, 0
    if unknown or len(a.args) not in counts:
        if usage:
            if unknown:
                print(f"{prog}: unknown option " + " ".join(unknown), file=sys.stderr)
            print(usage, end="", file=sys.stderr)
        return None, 2
    return a, None
