#!/usr/bin/env python3
"""Resolves one configuration's axis values to flags, for CMake.

CMake calls this at configure time (cmake/FlagbenchFlags.cmake) and includes
the file it writes; the sweep uses the same code (axes.py), so a flag is spelled
in matrix/axes.conf and nowhere else.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flagbench.axes import ConfigError, parse_axes, resolve_flags  # noqa: E402


# Options whose next word is their argument.  CMake de-duplicates options, so
# two "-mllvm" would collapse into one; "SHELL:" keeps each pair together.
PAIRED_OPTIONS = ("-mllvm", "-Xclang", "-Xlinker")


def cmake_options(flags):
    out, i = [], 0
    while i < len(flags):
        if flags[i] in PAIRED_OPTIONS and i + 1 < len(flags):
            out.append(f"SHELL:{flags[i]} {flags[i + 1]}")
            i += 2
        else:
            out.append(flags[i])
            i += 1
    return cmake_list(out)


def cmake_list(flags):
    for f in flags:
        if ";" in f or '"' in f or "\\" in f:
            raise ConfigError(f"flag {f!r} contains a character CMake lists cannot hold")
    return '"' + ";".join(flags) + '"'


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--axes", required=True, help="matrix/axes.conf")
    p.add_argument("--family", required=True, choices=["gcc", "clang"])
    p.add_argument("--arch", required=True, choices=["x86_64", "aarch64"])
    p.add_argument("--set", action="append", default=[], metavar="AXIS=VALUE",
                   help="an axis value (repeatable); pgo takes off, generate or use")
    p.add_argument("--profile-dir", default="")
    p.add_argument("--build-dir", default="")
    p.add_argument("--out", required=True, help="CMake file to write")
    a = p.parse_args()
    try:
        axes = parse_axes(a.axes)
        choice, phase = {}, "use"
        for item in a.set:
            axis, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"--set wants AXIS=VALUE, not '{item}'")
            if axis == "pgo" and value in ("generate", "use"):
                choice[axis], phase = "on", value
            else:
                choice[axis] = value
        if choice.get("pgo") == "on" and not a.profile_dir:
            raise ConfigError("PGO needs a profile directory (FB_PGO_DIR)")
        resolved = resolve_flags(axes, choice, a.family, a.arch, phase, a.profile_dir,
                                 a.build_dir)
        lines = [f"set(FB_RESOLVED_AXES {cmake_list([r.axis for r in resolved])})"]
        for r in resolved:
            lines += [f"set(FB_AXIS_{r.axis}_VALUE {cmake_list([r.value])})",
                      f"set(FB_AXIS_{r.axis}_ROLE {r.role})",
                      f"set(FB_AXIS_{r.axis}_COMPILE {cmake_options(r.compile)})",
                      f"set(FB_AXIS_{r.axis}_LINK {cmake_options(r.link)})"]
        Path(a.out).write_text("\n".join(lines) + "\n")
    except ConfigError as e:
        print(f"flagbench: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
