#!/usr/bin/env python3
"""scripts/asmdiff.sh: a summary table of A against B first, then the diffs of
normalized assembly (unified, or loop by loop side by side)."""
import difflib
import json
import statistics
import sys

from .. import cmdline
from ..run.layout import ConfigDir
from . import locate, sidebyside, summary
from .abstract import abstract

USAGE = """usage: scripts/asmdiff.sh [options] A B [KERNEL[/VARIANT]]

Prints a summary table first (instructions, bytes, vector width, FMAs, loads,
stores, calls, branches, spills, reloads, loops; 'a→b' where they differ), with
the measured speedup of B over A when both sides are configurations of a timed
run, and llvm-mca's cycles per item of each innermost loop; then the diff of
each kernel variant's normalized assembly.

  A, B      each a configuration id (in results/raw/latest, or --run DIR), a
            configuration directory, a CMake build directory (captured on the
            fly from its bin/), or, for both, a whole run directory (every
            configuration the two runs share is compared)
  KERNEL    family/name, optionally /VARIANT; default: every common kernel
  --run DIR        the run to look configuration ids up in
  --intel          Intel syntax (needs binaries: build directories)
  -U N, --context N  lines of context in the diffs (default 3)
  --summary-only   the table only, no diffs
  --abstract-registers
                   name registers by order of first use (%g1, %v2y, ...) and
                   labels by their block with registers blanked, so a pure
                   register renaming gives no diff
  --side-by-side   loop by loop: each innermost loop of A beside the loop of B
                   it resembles most, then the rest ('|' same, '*' changed,
                   '<' only in A, '>' only in B); works when the code is
                   largely different, where a unified diff is noise
  --objdump P      disassembler for on-the-fly capture
Exit status: 0 same code (with --abstract-registers: up to register names), 1 differences, 2 nothing could be compared or usage error.
"""


def pairs(src_a, src_b, selector, notes):
    """Yields (name, entry_a, entry_b) for every kernel/variant both sides have."""
    if selector:
        ka, va = locate.split_selector(src_a, selector)
        kb, vb = locate.split_selector(src_b, selector)
        kernels = [ka] if ka == kb else []
        variant = va
    else:
        ka_all, kb_all = set(src_a.kernels()), set(src_b.kernels())
        for k in sorted(ka_all - kb_all):
            notes.append(f"only in A ({src_a.id}): kernel {k}")
        for k in sorted(kb_all - ka_all):
            notes.append(f"only in B ({src_b.id}): kernel {k}")
        kernels, variant = sorted(ka_all & kb_all), None
    for k in kernels:
        try:
            va_all, vb_all = src_a.variants(k), src_b.variants(k)
        except locate.LocateError as e:
            if selector:
                raise
            notes.append(str(e))
            continue
        if variant:
            missing = [(s, side) for s, side in ((src_a, "A"), (src_b, "B"))
                       if variant not in s.variants(k)]
            for s, side in missing:
                notes.append(f"{side} ({s.id}): {k} has no variant '{variant}' "
                             f"(variants: {', '.join(s.variants(k)) or 'none'})")
            if missing:
                continue
            names = [variant]
        else:
            for v in va_all:
                if v not in vb_all:
                    notes.append(f"only in A ({src_a.id}): {k}/{v}")
            for v in vb_all:
                if v not in va_all:
                    notes.append(f"only in B ({src_b.id}): {k}/{v}")
            names = [v for v in va_all if v in vb_all]
        for v in names:
            yield f"{k}/{v}", src_a.entry(k, v), src_b.entry(k, v)


def median_ns(src, kernel, variant):
    """The median of a run configuration's per-process medians for a variant (its
    same-code source's when it was not timed itself); None without timings."""
    if getattr(src, "kind", None) != "config" or getattr(src, "_binary_source", None):
        return None
    src.kernels()
    kdir = (src._kernels or {}).get(kernel)
    seen = set()
    while kdir is not None:
        try:
            doc = json.loads(kdir.time(variant).read_text())
        except (OSError, ValueError):
            return None
        samples = [s["median_ns"] for s in doc.get("samples") or [] if s.get("median_ns")]
        if samples:
            return statistics.median(samples)
        other = doc.get("same_as")
        if not other or other in seen:
            return None
        seen.add(other)
        kdir = ConfigDir(src.path.parent / other).kernel(kernel)
    return None


def loop_cycles(text, doc):
    """'0.5, 0.12': llvm-mca cycles per item of each innermost loop ('?' where unknown)."""
    loops = [s for s in sidebyside.segments(text, doc) if s.title.startswith("loop")]
    return ", ".join(f"{s.cycles_per_item:.3g}" if s.cycles_per_item is not None else "?" for s in loops) or "-"


def compare(src_a, src_b, selector, args, out, notes, rows, prefix=""):
    differ = compared = 0
    for name, ea, eb in pairs(src_a, src_b, selector, notes):
        label = prefix + name
        kernel, variant = name.rsplit("/", 1)
        ma, mb = median_ns(src_a, kernel, variant), median_ns(src_b, kernel, variant)
        speed = f"{ma / mb:.2f}x" if ma and mb else "-"
        if not ea.found or not eb.found:
            for e, side in ((ea, "A"), (eb, "B")):
                if not e.found:
                    notes.append(f"{side}: {e.label}: {e.why}")
            rows.append(locate.summary_row(label, ea.summary if ea.found else None,
                                           eb.summary if eb.found else None) + [speed, "-", "missing"])
            continue
        compared += 1
        hash_a, hash_b = ea.summary.get("code_hash"), eb.summary.get("code_hash")
        ta, tb = ea.text, eb.text
        if args.abstract_registers:
            ta, tb = abstract(ta), abstract(tb)
        if ea.text != eb.text and ta == tb:
            state = "registers renamed"     # no diff to show: not counted as a difference
        elif ta != tb:
            state = "differs"
            differ += 1
            if not args.summary_only:
                out.append(f"=== {label}")
                if args.side_by_side:
                    out.extend(sidebyside.text_table(sidebyside.compare(
                        ea.text, ea.summary, eb.text, eb.summary, args.abstract_registers)))
                else:
                    out.extend(difflib.unified_diff(ta.splitlines(), tb.splitlines(),
                                                    f"A/{ea.label}", f"B/{eb.label}",
                                                    n=args.context, lineterm=""))
        elif hash_a and hash_b and hash_a != hash_b:
            state = "same text, callees differ"
            differ += 1
        else:
            state = "same"
        ca, cb = loop_cycles(ea.text, ea.summary), loop_cycles(eb.text, eb.summary)
        rows.append(locate.summary_row(label, ea.summary, eb.summary)
                    + [speed, ca if ca == cb else f"{ca} → {cb}", state])
    return compared, differ


def parser():
    """asmdiff.sh's options (scripts/asmdiff.sh passes the same command line to
    why.remarkdiff, which must accept every one of them)."""
    ap = cmdline.parser()
    ap.add_argument("--intel", action="store_true")
    ap.add_argument("--run")
    ap.add_argument("-U", "--context", type=int, default=3)
    ap.add_argument("--summary-only", action="store_true")
    ap.add_argument("--abstract-registers", action="store_true")
    ap.add_argument("--side-by-side", action="store_true")
    ap.add_argument("--objdump")
    return ap


def main(argv=None):
    a, status = cmdline.parse(parser(), argv, (2, 3), "asmdiff.sh", USAGE)
    if a is None:
        return status
    side_a, side_b = a.args[:2]
    selector = a.args[2] if len(a.args) == 3 else None
    syntax = "intel" if a.intel else "att"
    out, notes, rows = [], [], []
    compared = differ = 0
    try:
        src_a = locate.open_side(side_a, a.run, syntax, a.objdump)
        src_b = locate.open_side(side_b, a.run, syntax, a.objdump)
        if (src_a.kind == "run") != (src_b.kind == "run"):
            raise locate.LocateError("compare a run with a run, or a configuration with a "
                                     "configuration (or build directory)")
        if src_a.kind == "run":
            ca, cb = set(src_a.configs()), set(src_b.configs())
            for c in sorted(ca - cb):
                notes.append(f"only in A ({src_a.id}): configuration {c}")
            for c in sorted(cb - ca):
                notes.append(f"only in B ({src_b.id}): configuration {c}")
            for c in sorted(ca & cb):
                try:
                    n, d = compare(src_a.config(c), src_b.config(c), selector, a, out, notes, rows,
                                   prefix=f"{c}: ")
                    compared, differ = compared + n, differ + d
                except locate.LocateError as e:
                    notes.append(str(e))
        else:
            compared, differ = compare(src_a, src_b, selector, a, out, notes, rows)
    except locate.LocateError as e:
        print(f"asmdiff.sh: {e}", file=sys.stderr)
        return 2
    if rows:
        print(f"A = {side_a}, B = {side_b}"
              + ("; registers abstracted" if a.abstract_registers else ""))
        print(summary.format_table(rows, titles=["function"] + [summary.SHORT.get(c, c)
                                                                for c in summary.COLUMNS]
                                   + ["B vs A", "loop cyc/item", "code"]))
        print("B vs A: A's median time / B's (above 1: B is faster), when both sides were timed; "
              "loop cyc/item: llvm-mca's cycles per item of each innermost loop")
    if out:
        print()
        print("\n".join(out))
    for n in notes:
        print(f"note: {n}")
    if not compared:
        print("asmdiff.sh: nothing to compare" + (f" for {selector}" if selector else ""),
              file=sys.stderr)
        return 2
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
