"""Loops of a normalized function: back edges, nesting, innermost loops, items per iteration.

A back edge is a jump to a label at or before the jump, in the same part of the
function.  Jumps back to one header form one loop that ends at its last back
edge.  A loop is innermost when no other loop's header lies inside it.  This
works on any compiler's output (GCC emits no loop comments) and on both
x86-64 and AArch64.
"""
import re
from dataclasses import dataclass, field

X86_GPR32 = {"eax": "rax", "ebx": "rbx", "ecx": "rcx", "edx": "rdx", "esi": "rsi", "edi": "rdi",
             "ebp": "rbp", "esp": "rsp"}
ATT_MEM_RE = re.compile(r"^(?:[a-z]+:)?(-?(?:0x[0-9a-f]+|\d+)|[\w.+@-]+)?\((%\w+)?(?:,(%\w+)(?:,(\d+))?)?\)$")
A64_MEM_RE = re.compile(r"^\[(\w+)(?:,\s*(#-?(?:0x[0-9a-f]+|\d+)|:lo12:[^\]]+|\w+)(?:,\s*(lsl|[su]xt[wx])"
                        r"(?:\s*#(\d+))?)?)?\](!?)$")
X86_ELEM = [(re.compile(r"(ps|ss)$"), 4), (re.compile(r"(pd|sd)$"), 8), (re.compile(r"(ph|sh)$"), 2)]
X86_PINT = re.compile(r"^v?p(add|sub|mul|max|min|cmp\w\w|and|or|xor|avg|abs|sll|srl|sra)\w*?([bwdq])$")
A64_REG_ELEM = {"b": 1, "h": 2, "s": 4, "d": 8, "w": 4, "x": 8}
A64_ARR = re.compile(r"\bv\d+\.\d*([bhsd])\b")


@dataclass
class Loop:
    header: int                 # index of the header's first instruction
    first: int                  # index of the first instruction of the region (layout order)
    end: int                    # index of the last instruction of the region
    members: list = field(default_factory=list)   # instruction indices of the natural loop
    back_edges: list = field(default_factory=list)  # indices of the jumps that close the loop
    depth: int = 1
    innermost: bool = True
    contiguous: bool = True     # the region holds the loop's blocks and nothing else
    start_line: int = 0         # first line of the region (the header's label), 1-based
    end_line: int = 0

    def insns(self, fn):
        return [fn.insns[i] for i in self.members]

    def region(self, fn):
        """The instructions llvm-mca simulates: the loop's own, in the header's part
        (an unlikely path split into .cold is left out), in layout order."""
        part = fn.insns[self.header].part
        return [fn.insns[i] for i in self.members if fn.insns[i].part == part]

    def ranges(self, fn):
        """1-based [first, last] line ranges of region(), each with its block's label."""
        part = fn.insns[self.header].part
        idx = [i for i in self.members if fn.insns[i].part == part]
        out = []
        for i in idx:
            line = fn.insns[i].line
            if out and out[-1][1] >= line - 2 and all(
                    fn.lines[k - 1].endswith(":") for k in range(out[-1][1] + 1, line)):
                out[-1][1] = line
                continue
            start = line - 1 if line > 1 and fn.lines[line - 2].endswith(":") else line
            out.append([start, line])
        return out

    def left_out(self, fn):
        part = fn.insns[self.header].part
        return sum(1 for i in self.members if fn.insns[i].part != part)


def _blocks(fn):
    """Basic blocks as [start, end) instruction index ranges, and successor lists."""
    n = len(fn.insns)
    idx_of = {ins.addr: i for i, ins in enumerate(fn.insns)}
    leaders = {0} if n else set()
    for i, ins in enumerate(fn.insns):
        if i and ins.part != fn.insns[i - 1].part:
            leaders.add(i)
        if ins.local and ins.target in idx_of:
            leaders.add(idx_of[ins.target])
        if ins.kind in ("jump", "cjump", "ijump", "ret") and i + 1 < n:
            leaders.add(i + 1)
    starts = sorted(leaders)
    block_of = {}
    ranges = []
    for k, st in enumerate(starts):
        en = starts[k + 1] if k + 1 < len(starts) else n
        ranges.append((st, en))
        block_of[st] = k
    succ = [[] for _ in ranges]
    for k, (st, en) in enumerate(ranges):
        last = fn.insns[en - 1]
        if last.local and last.target in idx_of and last.kind in ("jump", "cjump"):
            succ[k].append(block_of[idx_of[last.target]])
        falls = last.kind not in ("jump", "ijump", "ret") or (last.kind == "jump" and not last.local
                                                              and last.target is None)
        if last.kind == "jump":
            falls = False
        if falls and en < n and fn.insns[en].part == last.part:
            succ[k].append(k + 1)
    return ranges, succ


def _dominators(nblocks, succ):
    """Dominator sets (bit masks).  Blocks nothing reaches (jump-table targets) are
    treated as extra entries, so loops inside them are still found."""
    preds = [[] for _ in range(nblocks)]
    for a in range(nblocks):
        for b in succ[a]:
            preds[b].append(a)
    entries = {0} | {b for b in range(nblocks) if not preds[b]}
    full = (1 << nblocks) - 1
    dom = [full] * nblocks
    for e in entries:
        dom[e] = 1 << e
    changed = True
    while changed:
        changed = False
        for b in range(nblocks):
            if b in entries:
                continue
            new = full
            for p in preds[b]:
                new &= dom[p]
            new |= 1 << b
            if new != dom[b]:
                dom[b] = new
                changed = True
    return dom, preds


def find_loops(fn):
    """Natural loops: an edge to a block that dominates its source closes a loop."""
    if not fn.insns:
        return []
    ranges, succ = _blocks(fn)
    dom, preds = _dominators(len(ranges), succ)
    by_header = {}
    for t in range(len(ranges)):
        for h in succ[t]:
            if dom[t] >> h & 1:  # h dominates t: back edge t -> h
                body = {h, t}
                work = [t] if t != h else []
                while work:
                    x = work.pop()
                    for p in preds[x]:
                        if p not in body:
                            body.add(p)
                            work.append(p)
                entry = by_header.setdefault(h, [set(), []])
                entry[0] |= body
                entry[1].append(ranges[t][1] - 1)
    loops = []
    for h, (body, latches) in by_header.items():
        members = sorted(i for b in body for i in range(*ranges[b]))
        hdr = ranges[h][0]
        part = fn.insns[hdr].part
        same = [i for i in members if fn.insns[i].part == part]
        first, end = min(same), max(same)
        loop = Loop(header=hdr, first=first, end=end, members=members,
                    back_edges=sorted(latches),
                    contiguous=len(same) == len(members) and end - first + 1 == len(members))
        loops.append(loop)
    loops.sort(key=lambda lp: (lp.first, -lp.end))
    sets = [set(lp.members) for lp in loops]
    for a, sa in zip(loops, sets):
        a.depth = 1 + sum(1 for b, sb in zip(loops, sets) if b is not a and a.header in sb
                          and sa <= sb and sa != sb)
        a.innermost = not any(b is not a and b.header in sa and sb <= sa for b, sb in zip(loops, sets))
        first = fn.insns[a.first]
        a.start_line = first.line - 1 if first.line > 1 and fn.lines[first.line - 2].endswith(":") \
            else first.line
        a.end_line = fn.insns[a.end].line
    return loops


# ---- items per iteration (static) ------------------------------------------------


def _x86_reg(op):
    r = op.lstrip("%")
    if r in X86_GPR32:
        return X86_GPR32[r]
    m = re.fullmatch(r"(r\d+)[dwb]?", r)
    return m.group(1) if m else ("r" + r[1:] if re.fullmatch(r"e[a-z]{2}", r) else r)


def _x86_steps(insns):
    """Register -> bytes (or elements) it advances per iteration; None when not a simple IV."""
    steps, other = {}, set()
    for ins in insns:
        b, ops = ins.base, ins.ops
        step = None
        if re.fullmatch(r"(add|sub)[lq]?", b) and len(ops) == 2 and ops[0].startswith("$") \
                and ops[1].startswith("%"):
            v = int(ops[0][1:], 0)
            step = (ops[1], v if b.startswith("add") else -v)
        elif re.fullmatch(r"(inc|dec)[lq]?", b) and len(ops) == 1 and ops[0].startswith("%"):
            step = (ops[0], 1 if b.startswith("inc") else -1)
        elif re.fullmatch(r"lea[lq]?", b) and len(ops) == 2:
            m = re.fullmatch(r"(-?(?:0x[0-9a-f]+|\d+))\((%\w+)\)", ops[0])
            if m and _x86_reg(m.group(2)) == _x86_reg(ops[1]):
                step = (ops[1], int(m.group(1), 0))
        if step:
            r = _x86_reg(step[0])
            steps[r] = steps.get(r, 0) + step[1]
            continue
        # anything else that writes a register disqualifies it as an IV
        if ops and ops[-1].startswith("%") and ins.kind is None and not re.match(
                r"^(cmp|test|bt[lqw]?$|v?u?comis|push)", b):
            other.add(_x86_reg(ops[-1]))
    return {r: s for r, s in steps.items() if r not in other and s}


def _x86_elem(ins):
    """The element size an instruction's mnemonic states, or None."""
    b = ins.base
    if "cvt" in b or b.startswith(("vbroadcast", "vpbroadcast", "vperm", "vshuf", "shuf", "vinsert",
                                    "vextract", "unpck", "vunpck", "lea")):
        return None
    for rx, size in X86_ELEM:
        if rx.search(b):
            return size
    m = X86_PINT.match(b)
    if m:
        return {"b": 1, "w": 2, "d": 4, "q": 8}[m.group(2)]
    if any(re.search(r"%[xyz]mm", o) for o in ins.ops):
        return None
    m = re.fullmatch(r"mov([sz])([bw])([lqw])", b)
    if m:
        return {"b": 1, "w": 2}[m.group(2)]
    if b == "movslq":
        return 4
    m = re.fullmatch(r"[a-z]+?([bwlq])", b)
    if m and ins.kind is None:
        return {"b": 1, "w": 2, "l": 4, "q": 8}[m.group(1)]
    return None


def _x86_items(loop_insns):
    steps = _x86_steps(loop_insns)
    if not steps:
        return None, "no induction variable (a register stepped by a constant) in the loop"
    streams, elems = [], set()
    for ins in loop_insns:
        e = _x86_elem(ins)
        if e and (any("(" in o for o in ins.ops) or any(re.search(r"%[xyz]mm", o) for o in ins.ops)):
            elems.add(e)
        for op in ins.ops:
            m = ATT_MEM_RE.match(op)
            if not m or ins.base.startswith("lea"):
                continue
            base, index, scale = m.group(2), m.group(3), int(m.group(4) or 1)
            if index and _x86_reg(index) in steps:
                streams.append((steps[_x86_reg(index)] * scale, scale if scale > 1 else None, e))
            elif base and _x86_reg(base) in steps and base != "%rip":
                streams.append((steps[_x86_reg(base)], None, e))
    return _items_from_streams(streams, elems)


def _items_from_streams(streams, elems):
    """Items per iteration from the memory streams [(bytes per iteration,
    element size from the scale or None, element size from the register or
    None)] and the element sizes seen in the loop; (None, why) when unclear."""
    if not streams:
        return None, "no memory access advances with the induction variable"
    results = set()
    for nbytes, scale_elem, e in streams:
        elem = scale_elem or e or (min(elems) if len(elems) == 1 else None)
        if not elem:
            return None, "element size not determinable from the loop's instructions"
        results.add(abs(nbytes) / elem)
    if len(results) != 1:
        return None, "the loop's memory streams advance by different element counts"
    v = results.pop()
    return (int(v) if v == int(v) else v), "static: induction step x scale / element size"


def _a64_items(loop_insns):
    steps, other = {}, set()
    for ins in loop_insns:
        b, ops = ins.base, ins.ops
        if b in ("add", "sub") and len(ops) == 3 and ops[0] == ops[1] and ops[2].startswith("#") \
                and ops[0].startswith("x"):
            v = int(ops[2][1:], 0)
            steps[ops[0]] = steps.get(ops[0], 0) + (v if b == "add" else -v)
            continue
        for k, op in enumerate(ops):  # writeback addressing
            m = A64_MEM_RE.match(op)
            if m and m.group(5) and m.group(2) and m.group(2).startswith("#"):
                steps[m.group(1)] = steps.get(m.group(1), 0) + int(m.group(2)[1:], 0)
            if m and not m.group(5) and k + 1 < len(ops) and ops[k + 1].startswith("#"):
                steps[m.group(1)] = steps.get(m.group(1), 0) + int(ops[k + 1][1:], 0)
        if ops and ins.kind is None and not b.startswith(("st", "cmp", "cmn", "tst", "prfm")) \
                and re.fullmatch(r"[xw]\d+", ops[0]):
            other.add("x" + ops[0][1:])
            if b.startswith("ldp") and len(ops) > 1 and re.fullmatch(r"[xw]\d+", ops[1]):
                other.add("x" + ops[1][1:])
    steps = {r: s for r, s in steps.items() if r not in other and s}
    if not steps:
        return None, "no induction variable (a register stepped by a constant) in the loop"
    elems = set()
    for ins in loop_insns:
        for op in ins.ops:
            for m in A64_ARR.finditer(op):
                elems.add(A64_REG_ELEM[m.group(1)])
    streams = []
    for ins in loop_insns:
        if not ins.base.startswith(("ld", "st")):
            continue
        regs = [o for o in ins.ops if re.fullmatch(r"[bhsdwxq]\d+", o)]
        e = A64_REG_ELEM.get(regs[0][0]) if regs and regs[0][0] != "q" else None
        m = re.fullmatch(r"(?:ld|st)(?:l|a)?u?r(s?)([bhw])", ins.base)
        if m and (m.group(2) != "w" or m.group(1)):
            e = {"b": 1, "h": 2, "w": 4}[m.group(2)]
        for op in ins.ops:
            m = A64_MEM_RE.match(op)
            if not m:
                continue
            base, off, shift = m.group(1), m.group(2), m.group(4)
            if off and re.fullmatch(r"[xw]\d+", off) and ("x" + off[1:]) in steps:
                sh = int(shift) if shift else 0
                streams.append((steps["x" + off[1:]] << sh, (1 << sh) if sh else None, e))
            elif base in steps:
                streams.append((steps[base], None, e))
    return _items_from_streams(streams, elems)


def items_per_iteration(fn, loop):
    """(items, how) when an item is one element of the arrays the loop walks; (None, why) else."""
    insns = loop.insns(fn)
    if fn.syntax != "att" and fn.arch == "x86_64":
        return None, "static derivation reads AT&T syntax only"
    try:
        return _a64_items(insns) if fn.arch == "aarch64" else _x86_items(insns)
    except (ValueError, KeyError) as e:  # an operand the parser did not expect
        return None, f"could not parse the loop ({e})"
