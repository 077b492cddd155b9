"""Links one layout seed of an LTO configuration without a second LTO code generation.

CMake runs this script as the linker launcher of bin-seed<S>/<kernel>
(cmake/FlagbenchLtoSeeds.cmake), with the link command CMake made after "--".
The seed's inputs are the main binary's plus a padding object that is native
code, so the LTO code generator would see the same IR and write the same
objects: the main link kept them (OBJECTS/lto.o, lto.o1, ...).  The seed link
is the same command with the IR objects replaced by those objects, a plain
link by the same driver and linker, placed where that linker puts its LTO
output (GNU ld: where the first IR object was; lld: after every other input).

The result is checked against the main binary: the same functions with the
same sizes in the same order (the pad is no function), and the pad ahead of
the code the LTO objects hold.  (lld, for one, places a static library member
that IR referred to ahead of its LTO output, but after objects read as input.)
If the reuse link fails or the check does, the seed is linked by the original
command (a full LTO link) and a message names kernel and seed.  MARKER
records which of the two happened.
"""
from __future__ import annotations

import argparse
import collections
import re
import struct
import subprocess
import sys
from pathlib import Path

from flagbench.asm import elf as elfmod

PAD_SYMBOL = "flagbench_layout_pad"        # kernels/CMakeLists.txt, the generated pad
BITCODE_MAGIC = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")   # raw LLVM bitcode, bitcode wrapper


class Unusable(Exception):
    """The kept LTO objects cannot make this seed; the message says why."""


def is_ir_object(path: Path) -> bool:
    """An object the linker would hand to the LTO code generator: LLVM bitcode,
    or an ELF object with GCC's LTO sections."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    if head in BITCODE_MAGIC:
        return True
    if head != b"\x7fELF":
        return False
    try:
        return any(s.name.startswith(".gnu.lto_") for s in elfmod.read_elf(str(path)).sections)
    except (elfmod.ElfError, ValueError, IndexError, struct.error):
        return False


def kept_objects(directory: Path) -> list:
    """OBJECTS/lto.o, lto.o1, lto.o2, ... in task order (numeric, not lexical)."""
    found = []
    for p in directory.glob("lto.o*") if directory.is_dir() else ():
        m = re.fullmatch(r"lto\.o(\d*)", p.name)
        if m:
            found.append((int(m.group(1) or 0), p))
    return [p for _, p in sorted(found)]


def reuse_command(command: list, objects: list, insert: str, shared_libgcc: bool = False) -> list:
    """The link command with its IR objects replaced by the kept objects:
    at-first-ir puts them where the first IR object was (GNU ld), at-end after
    the command's own libraries (lld reads its LTO output after every input).

    shared_libgcc (lld only): the LTO link bound the calls its code generation
    added to runtime helpers (__udivti3, ...) to libgcc_s.so, because lld
    resolves them after every input is read, when the shared library has taken
    those symbols from libgcc.a's lazy members.  Read as input, the same calls
    would pull the static members; -shared-libgcc has the driver name libgcc_s
    ahead of libgcc.a, in the place it had, so they bind as they did."""
    out, first_ir = [], None
    for arg in command[1:]:
        if arg.endswith(".o") and is_ir_object(Path(arg)):
            if first_ir is None:
                first_ir = len(out)
            continue
        out.append(arg)
    if first_ir is None:
        raise Unusable("the link command has no LTO object to replace")
    objects = [str(o) for o in objects]
    if insert == "at-first-ir":
        return [command[0], *out[:first_ir], *objects, *out[first_ir:]]
    return [command[0], *(["-shared-libgcc"] if shared_libgcc else []), *out, *objects]


def functions_in_order(symbols: list) -> list:
    """(name, size) of every function, by address."""
    return [(s.name, s.size) for s in sorted(symbols, key=lambda s: (s.addr, s.name))
            if s.kind in ("func", "ifunc") and s.name != PAD_SYMBOL]


def check(seed_bin: Path, main_bin: Path, objects: list) -> None:
    """Raises Unusable unless seed_bin has main_bin's functions, same sizes, in
    the same order (what a seed linked with LTO has: only the pad is new), with
    the pad ahead of every function the kept objects define."""
    syms = elfmod.read_elf(str(seed_bin)).symbols
    seed, main = functions_in_order(syms), functions_in_order(elfmod.read_elf(str(main_bin)).symbols)
    if seed != main:
        a, b = collections.Counter(seed), collections.Counter(main)
        if a != b:
            diff = sorted(f"{n} ({s} bytes)" for n, s in (a - b) + (b - a))
            raise Unusable(f"its functions differ from the main binary's: {', '.join(diff[:5])}"
                           + (f" and {len(diff) - 5} more" if len(diff) > 5 else ""))
        i = next(i for i, (x, y) in enumerate(zip(seed, main)) if x != y)
        raise Unusable(f"its functions lie in another order than the main binary's "
                       f"({seed[i][0]} where {main[i][0]} was)")
    pad = [s.addr for s in syms if s.name == PAD_SYMBOL]
    if not pad:
        raise Unusable(f"the seed binary has no {PAD_SYMBOL} symbol")
    lto_names = set()
    for o in objects:
        lto_names.update(s.name for s in elfmod.read_elf(str(o)).symbols if s.kind == "func")
    before = sorted(s.name for s in syms if s.kind == "func" and s.name in lto_names and s.addr < pad[0])
    if before:
        raise Unusable(f"the pad is not ahead of {', '.join(before[:5])}")


def output_of(command: list) -> str:
    for i, arg in enumerate(command[:-1]):
        if arg == "-o":
            return command[i + 1]
    raise Unusable("the link command has no -o")


def link_reusing(args, command: list) -> list:
    objects = kept_objects(Path(args.objects))
    if not objects:
        raise Unusable(f"the main link kept no LTO objects in {args.objects}")
    if not Path(args.main).is_file():
        raise Unusable(f"{args.main} is missing")
    out = Path(output_of(command))
    shared_libgcc = any(n.startswith("libgcc_s.") for n in elfmod.read_elf(args.main).needed)
    relink = reuse_command(command, objects, args.insert, shared_libgcc)
    r = subprocess.run(relink, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        tail = " | ".join(r.stdout.strip().splitlines()[-3:])
        raise Unusable(f"the link from them failed ({tail})")
    check(out, Path(args.main), objects)
    return objects


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kernel", required=True, help="family/name, for messages")
    ap.add_argument("--seed", required=True)
    ap.add_argument("--main", required=True, help="the main binary, linked with LTO")
    ap.add_argument("--objects", required=True, help="where its link kept the LTO objects")
    ap.add_argument("--marker", required=True, help="file that records reused or full LTO")
    ap.add_argument("--insert", choices=("at-first-ir", "at-end"), required=True,
                    help="where the configuration's linker puts LTO output: GNU ld, lld")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- the link command")
    args = ap.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no link command after --")
    marker = Path(args.marker)
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        objects = link_reusing(args, command)
    # Whatever goes wrong with the reuse, the seed can still have the link it
    # had before: reuse saves time, it must never cost a binary.
    except Exception as e:  # noqa: BLE001
        why = str(e) if isinstance(e, (Unusable, elfmod.ElfError)) else f"{type(e).__name__}: {e}"
        return link_with_lto(args, command, marker, why)
    marker.write_text("reused: " + " ".join(o.name for o in objects) + "\n")
    return 0


def link_with_lto(args, command: list, marker: Path, why: str) -> int:
    print(f"flagbench: {args.kernel} seed {args.seed}: cannot reuse the LTO objects of "
          f"{args.main}: {why}; linking this seed with its own LTO code generation", file=sys.stderr)
    rc = subprocess.run(command).returncode
    marker.write_text(f"full-lto: {why}\n" if rc == 0 else f"failed: {why}\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
