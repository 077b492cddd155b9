#!/usr/bin/env python3
"""scripts/asm.sh: print the normalized assembly of one kernel variant (or of all its variants)."""
import sys

from .. import cmdline
from . import locate, summary
from .abstract import abstract

USAGE = """usage: scripts/asm.sh [--intel] [--run DIR] [--summary] [--annotate] [--abstract-registers]
                      CONFIG KERNEL[/VARIANT]

Prints the normalized assembly of a kernel variant's hot function, as stored by
the sweep (or captured on the fly from a build directory).

  CONFIG    a configuration id (looked up in results/raw/latest/configs/, or in
            --run DIR), a configuration directory, or a CMake build directory
            (one with bin/kernels.txt: captured from bin/<family>_<name>)
  KERNEL    family/name (simd/reduce); with /VARIANT one variant, else all
  --intel      Intel syntax (needs the binary: a build directory, or a
               configuration whose config.json names its build directory)
  --run DIR    the run to look configuration ids up in
  --summary    print the summary counts after each function
  --annotate   mark loops (and llvm-mca's cycles per iteration, when stored)
  --abstract-registers  name registers by order of first use (%g1, %v2y, ...), as
               scripts/asmdiff.sh --abstract-registers compares them
  --objdump P  disassembler for on-the-fly capture
Exit status: 0 printed, 1 not found (a message says why), 2 usage error.
"""


def annotate(text, doc):
    lines = text.rstrip("\n").split("\n")
    before, after = {}, {}
    mca = {tuple(m["lines"]): m for m in ((doc.get("mca") or {}).get("loops") or [])}
    target = (doc.get("mca") or {}).get("target_cpu")
    for d in doc.get("loop_details") or []:
        a, b = d["lines"]
        kind = "innermost" if d.get("innermost") else f"depth {d.get('depth')}"
        extra = ""
        ipi = d.get("items_per_iteration")
        if ipi is not None:
            extra += f", {ipi} items/iteration"
        m = mca.get((a, b))
        if m and target in m.get("per_cpu", {}):
            r = m["per_cpu"][target]
            if r.get("cycles_per_iteration") is not None:
                extra += f", llvm-mca {r.get('mcpu')}: {r['cycles_per_iteration']} cycles/iteration"
            if r.get("unsound"):
                extra += " (unsound: " + "; ".join(r["unsound"]) + ")"
        before.setdefault(a, []).append(f"# loop {d['index']} ({kind}{extra})")
        after.setdefault(b, []).append(f"# end of loop {d['index']}")
    return with_markers(lines, before, after)


def with_markers(lines, before, after):
    """The listing with marker lines put before / after given (1-based) lines."""
    out = []
    for i, line in enumerate(lines, 1):
        out += before.get(i, [])
        out.append(line)
        out += after.get(i, [])
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = cmdline.parser()
    ap.add_argument("--intel", action="store_true")
    ap.add_argument("--run")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--annotate", action="store_true")
    ap.add_argument("--abstract-registers", action="store_true")
    ap.add_argument("--objdump")
    a, status = cmdline.parse(ap, argv, (2,), "asm.sh", USAGE)
    if a is None:
        return status
    config, selector = a.args
    try:
        src = locate.open_side(config, run=a.run, syntax="intel" if a.intel else "att",
                               objdump=a.objdump)
        if src.kind == "run":
            raise locate.LocateError(f"{config} is a whole run; name one of its configurations "
                                     f"({', '.join(src.configs()[:6])}...) with --run {config}")
        kernel, variant = locate.split_selector(src, selector)
        variants = [variant] if variant else src.variants(kernel)
        if variant and variant not in src.variants(kernel):
            have = src.variants(kernel)
            raise locate.LocateError(f"{src.id}: {kernel} has no variant '{variant}' "
                                     f"(variants: {', '.join(have) or 'none'})")
        status = 0
        for v in variants:
            e = src.entry(kernel, v)
            if len(variants) > 1:
                print(f"# {kernel}/{v} ({src.id})")
            if not e.found:
                print(f"asm.sh: {e.label}: {e.why}", file=sys.stderr)
                status = 1
                continue
            text = annotate(e.text, e.summary) if a.annotate else e.text
            print(abstract(text) if a.abstract_registers else text, end="")
            if a.summary:
                print(summary.format_table([locate.summary_row(f"{kernel}/{v}", e.summary)],
                                           titles=["function"] + [summary.SHORT.get(c, c)
                                                                  for c in summary.COLUMNS]))
            if len(variants) > 1:
                print()
        return status
    except locate.LocateError as e:
        print(f"asm.sh: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
