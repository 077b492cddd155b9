"""Per-function counts: the columns asmdiff prints and the sweep's tables use.

Counts are per instruction (not per micro-op), over every part of the function
(hot and cold), padding excluded:
  instructions  instructions in the normalized text
  bytes         the symbols' sizes (alignment padding inside the function included)
  vector_width  the widest vector register doing packed work: zmm, ymm, xmm on x86
                (scalar SSE like addss does not count), v(128)/v(64) or sve on
                AArch64; 'scalar' when none
  fma           fused multiply-adds, packed or scalar (vfmadd*, fmla, fmadd, ...)
  loads/stores  instructions that read / write memory (an RMW `addl $1, (%rax)` is both;
                push/pop and call's return address are not counted)
  calls         call instructions plus direct tail calls (a jump to another function)
  branches      jumps inside the function, conditional or not, and indirect jumps
  spills/reloads register stores to / loads from a stack slot by a plain move
                (%rsp, or %rbp when it is the frame pointer; sp/x29 on AArch64,
                the x29/x30 frame record excluded): a register-pressure sign
  loops         loops found by back edges (see loops.py)
"""
from . import insn, loops as loopmod

COLUMNS = ["instructions", "bytes", "vector_width", "fma", "loads", "stores", "calls",
           "branches", "spills", "reloads", "loops"]
SHORT = {"instructions": "insns", "vector_width": "width", "branches": "brs"}
WIDTH_ORDER = ["scalar", "v(64)", "xmm", "v(128)", "ymm", "zmm", "sve"]


def summarize(fn, loops=None):
    cls = insn.Classifier(fn.arch, fn.syntax)
    counts = {c: 0 for c in COLUMNS if c != "vector_width"}
    widths = {}
    tail_calls = indirect = 0
    for ins in fn.insns:
        if cls.sets_frame_pointer(ins.base, ins.ops):
            cls.frame_pointer = True
        counts["instructions"] += 1
        ld, st = cls.memory(ins.base, ins.ops)
        counts["loads"] += ld
        counts["stores"] += st
        sp, rl = cls.spill_reload(ins.base, ins.ops)
        counts["spills"] += sp
        counts["reloads"] += rl
        if cls.is_fma(ins.base):
            counts["fma"] += 1
        w = cls.vector_width(ins.base, ins.ops)
        if w:
            widths[w] = widths.get(w, 0) + 1
        if ins.kind in ("call", "icall"):
            counts["calls"] += 1
            indirect += ins.kind == "icall"
        elif ins.kind in ("jump", "cjump") and ins.target is not None and not ins.local:
            counts["calls"] += 1
            tail_calls += 1
        elif ins.kind in ("jump", "cjump", "ijump"):
            counts["branches"] += 1
            indirect += ins.kind == "ijump"
    if loops is None:
        loops = loopmod.find_loops(fn)
    counts["loops"] = len(loops)
    counts["bytes"] = fn.bytes
    out = {c: counts.get(c) for c in COLUMNS}
    out["vector_width"] = max(widths, key=WIDTH_ORDER.index) if widths else "scalar"
    out["vector_instructions"] = widths
    out["tail_calls"] = tail_calls
    out["indirect_branches"] = indirect
    out["innermost_loops"] = sum(1 for lp in loops if lp.innermost)
    return out


def cell(value):
    return "-" if value is None else str(value)


def format_table(rows, columns=None, titles=None):
    """rows: [[str, ...]] -> aligned plain-text (Markdown-compatible) table."""
    columns = columns or []
    head = titles or columns
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
              for i, h in enumerate(head)]
    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    out = [line(head), "|" + "|".join(("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":")
                                      for i, w in enumerate(widths)) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)
