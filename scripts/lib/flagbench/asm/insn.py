"""Classifies one disassembled instruction: branch kind, memory access, vector width, FMA.

Works on x86-64 (AT&T or Intel syntax, llvm-objdump or GNU objdump spelling)
and AArch64.  Counts are per instruction, not per micro-op: an x86
`vfmadd231ps (%rax), %ymm1, %ymm2` is one FMA and one load.
"""
import re

X86_PREFIXES = {"lock", "rep", "repe", "repz", "repne", "repnz", "notrack", "bnd", "xacquire",
                "xrelease", "data16", "data32", "addr32", "cs", "ds", "es", "ss", "fs", "gs"}

# ---- operands ---------------------------------------------------------------


def split_operands(text):
    """Splits an operand list on top-level commas: (), [] and {} group."""
    out, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    last = "".join(cur).strip()
    if last or out:
        out.append(last)
    return out


def split_mnemonic(text):
    """'lock addq %rax, (%rbx)' -> ('lock addq', 'addq', ['%rax', '(%rbx)'])."""
    words = text.split(None, 1)
    if not words:
        return "", "", []
    prefixes = []
    rest = text.strip()
    while True:
        parts = rest.split(None, 1)
        if len(parts) == 2 and parts[0] in X86_PREFIXES and not parts[1].startswith(("%", "$")):
            prefixes.append(parts[0])
            rest = parts[1]
            continue
        break
    parts = rest.split(None, 1)
    base = parts[0] if parts else ""
    ops = split_operands(parts[1]) if len(parts) > 1 else []
    full = " ".join(prefixes + [base])
    return full, base, ops


def join_operands(ops):
    return ", ".join(ops)


# ---- x86-64 -------------------------------------------------------------------

X86_SCALAR_FP = re.compile(r"(ss|sd|sh)[lq]?$|s[sd]2|2s[sd][lq]?$")
X86_FMA = re.compile(r"^vf(n?m(add|sub)|maddsub|msubadd)")
X86_STORE_ONLY = re.compile(
    r"^(v?mov|v?movnt|stos|set|v?extract|v?pextr|vpmov[^m]|vcompress|vpcompress|vscatter|"
    r"vpscatter|v?maskmov|vpmaskmov|v?cvtps2ph|fst|fist|fbstp|v?stmxcsr|fn?stcw|fn?stsw|"
    r"fn?save|fxsave|xsave|movdir|sldt|sgdt|sidt|str[lqw]?$|smsw)")
X86_READ_ONLY_DEST = re.compile(r"^(cmp|test|bt[lqw]?$|v?u?comis|ptest|vptest|kortest|ktest)")
X86_NO_ACCESS = re.compile(r"^(lea|nop|prefetch|clflush|clwb|clflushopt|cldemote|invlpg)")
X86_MOVES = re.compile(r"^(mov[lqwb]?$|movabs|v?mov(aps|ups|apd|upd|dqa|dqu|dqa32|dqa64|dqu8|dqu16|"
                       r"dqu32|dqu64|ss|sd|d|q)$|kmov)")
X86_ZERO_IDIOM = re.compile(r"^v?p?xor(ps|pd|d|q)?[lq]?$|^vpxor[dq]$|^v?psub[bwdq]$|^sub[lq]?$")

X86_REG = re.compile(r"%?\b([xyz]mm)\d+\b")


def x86_is_memory(op, intel):
    if intel:
        return "[" in op
    return "(" in op or (op.startswith("*") and "%" not in op)


def x86_branch_kind(base):
    b = base.rstrip("q") if base in ("callq", "retq", "jmpq", "retl", "calll", "jmpl") else base
    if b == "call":
        return "call"
    if b in ("ret", "retf", "iret", "iretq", "sysret"):
        return "ret"
    if b == "jmp":
        return "jump"
    if b.startswith("j") or b.startswith("loop"):
        return "cjump"
    return None


def x86_memory_access(base, ops, intel):
    """Returns (loads, stores) for one instruction: 0 or 1 each."""
    mem = [i for i, op in enumerate(ops) if x86_is_memory(op, intel)]
    if not mem or X86_NO_ACCESS.match(base):
        return 0, 0
    b = base
    if b.startswith(("movs", "cmps")) and len(mem) == 2:  # string ops
        return 1, int(b.startswith("movs"))
    if b.startswith(("push",)):
        return 1, 0
    if b.startswith("pop"):
        return 0, 1
    if b.startswith(("stos",)):
        return 0, 1
    if b.startswith(("lods", "scas", "vgather", "vpgather", "gather")):
        return 1, 0
    if b.startswith(("vscatter", "vpscatter")):
        return 0, 1
    kind = x86_branch_kind(b)
    if kind:  # call/jmp through memory: a load
        return 1, 0
    dest = 0 if intel else len(ops) - 1
    if dest not in mem:
        return 1, 0
    if X86_READ_ONLY_DEST.match(b):
        return 1, 0
    if X86_STORE_ONLY.match(b):
        return 0, 1
    return 1, 1  # read-modify-write: add, inc, xchg, xadd, cmpxchg, ...


def x86_vector_width(base, ops):
    """'zmm', 'ymm', 'xmm' when this instruction does vector work, else None."""
    regs = set()
    for op in ops:
        for m in X86_REG.finditer(op):
            regs.add(m.group(1))
    if not regs:
        return None
    if len(ops) >= 2 and len(set(ops)) == 1 and X86_ZERO_IDIOM.match(base):
        return None  # zeroing idiom
    if len(ops) == 3 and ops[0] == ops[1] and X86_ZERO_IDIOM.match(base):
        return None
    widest = "zmm" if "zmm" in regs else "ymm" if "ymm" in regs else "xmm"
    if widest != "xmm":
        return widest
    # xmm: only packed work counts; scalar FP, GPR<->xmm moves and register copies do not.
    if base.startswith(("vbroadcast", "vpbroadcast", "broadcast")):
        return "xmm"
    if X86_SCALAR_FP.search(base):
        return None
    if re.match(r"^v?(movd|movq|pextr|pinsr|extractps|insertps|cvtsi2|cvtusi2|movmsk|pmovmsk)", base):
        return None
    if X86_MOVES.match(base) and all(X86_REG.fullmatch(op.lstrip("%")) or X86_REG.fullmatch(op)
                                     for op in ops):
        return None
    return "xmm"


def x86_is_fma(base):
    return bool(X86_FMA.match(base))


def x86_is_nop(base, ops):
    if base.startswith("nop") or base in ("pause_padding",):
        return True
    return base in ("xchg", "xchgw") and len(ops) == 2 and ops[0] == ops[1] == "%ax"


def x86_stack_slot(op, intel, frame_pointer):
    if intel:
        m = re.search(r"\[(rsp|rbp)(\s*[-+]\s*\w+)?\]", op)
    else:
        m = re.search(r"\(%(rsp|rbp)\)$", op)
    return bool(m) and (m.group(1) == "rsp" or frame_pointer)


def x86_spill_reload(base, ops, intel, frame_pointer):
    """(spill, reload): a register stored to a stack slot by a plain move; a stack slot
    read by any instruction into a register (a folded reload like addps 0x10(%rsp) counts)."""
    if len(ops) < 2 or X86_NO_ACCESS.match(base) or base.startswith(("push", "pop")):
        return 0, 0
    dst, srcs = (ops[0], ops[1:]) if intel else (ops[-1], ops[:-1])
    is_reg = (lambda o: not x86_is_memory(o, True) and not re.match(r"^-?(0x)?[0-9a-f]+$", o)) \
        if intel else (lambda o: o.startswith("%"))
    if X86_MOVES.match(base) and len(ops) == 2 and x86_is_memory(dst, intel) \
            and x86_stack_slot(dst, intel, frame_pointer) and is_reg(srcs[0]):
        return 1, 0
    if is_reg(dst) and any(x86_is_memory(o, intel) and x86_stack_slot(o, intel, frame_pointer)
                           for o in srcs):
        return 0, 1
    return 0, 0


# ---- AArch64 ------------------------------------------------------------------

A64_FMA = re.compile(r"^(fmla|fmls|fmadd|fmsub|fnmadd|fnmsub|bfmla|fmlal|fmlsl)")
A64_RMW = re.compile(r"^(ld(add|clr|eor|set|smax|smin|umax|umin)|st(add|clr|eor|set|smax|smin|umax|umin)|"
                     r"swp|cas)")
A64_ARRANGEMENT = re.compile(r"\bv\d+\.(\d+)([bhsd])\b")
A64_ELEMENT_BITS = {"b": 8, "h": 16, "s": 32, "d": 64}


def a64_branch_kind(base):
    if base in ("bl",) or base.startswith("blr"):
        return "call"
    if base.startswith("ret") or base in ("eret",):
        return "ret"
    if base == "b":
        return "jump"
    if base.startswith("br"):
        return "ijump"
    if base.startswith(("b.", "bc.", "cbz", "cbnz", "tbz", "tbnz")):
        return "cjump"
    return None


def a64_memory_access(base, ops):
    if A64_RMW.match(base):
        return 1, 1
    if base.startswith("prfm") or base.startswith("prfum"):
        return 0, 0
    if base.startswith("ld"):
        return 1, 0
    if base.startswith("st") and not base.startswith("stg"):
        return 0, 1
    return 0, 0


def a64_vector_width(base, ops):
    if base == "movi" and ops and ops[-1] in ("#0x0", "#0"):
        return None  # zeroing idiom
    if base == "mov" and len(ops) == 2 and all(A64_ARRANGEMENT.search(o) for o in ops):
        return None  # register copy
    bits = 0
    for op in ops:
        if re.search(r"\bz\d+\.", op) or re.match(r"^p\d+(/[zm])?$", op):
            return "sve"
        for m in A64_ARRANGEMENT.finditer(op):
            bits = max(bits, int(m.group(1)) * A64_ELEMENT_BITS[m.group(2)])
    if not bits and (base.startswith(("ld", "st"))) and any(re.fullmatch(r"q\d+", o) for o in ops):
        bits = 128
    return f"v({bits})" if bits else None


def a64_is_nop(base, ops):
    return base == "nop"


def a64_spill_reload(base, ops):
    if not base.startswith(("str", "stp", "stur", "ldr", "ldp", "ldur")) or len(ops) < 2:
        return 0, 0
    mem = ops[-1] if ops[-1].startswith("[") else (ops[-2] if len(ops) >= 3 and ops[-2].startswith("[") else "")
    if not re.match(r"^\[(sp|x29)\b", mem):
        return 0, 0
    regs = [o for o in ops if not o.startswith(("[", "#"))]
    if regs[:2] == ["x29", "x30"]:
        return 0, 0  # the frame record, not a spill
    return (1, 0) if base.startswith("st") else (0, 1)


# ---- dispatch -----------------------------------------------------------------


class Classifier:
    """Per-architecture classification; one per function (knows its frame pointer)."""

    def __init__(self, arch, syntax="att"):
        self.arch = arch
        self.intel = syntax == "intel"
        self.frame_pointer = False

    def branch_kind(self, base, ops):
        if self.arch == "aarch64":
            return a64_branch_kind(base)
        kind = x86_branch_kind(base)
        if kind in ("jump", "call") and ops and (ops[0].startswith("*") or not self.intel and
                                                 ops[0].startswith("%")):
            return "ijump" if kind == "jump" else "icall"
        if kind in ("jump", "call") and self.intel and ops and not re.match(r"^(0x)?[0-9a-f]+\b", ops[0]):
            return "ijump" if kind == "jump" else "icall"
        return kind

    def memory(self, base, ops):
        if self.arch == "aarch64":
            return a64_memory_access(base, ops)
        return x86_memory_access(base, ops, self.intel)

    def vector_width(self, base, ops):
        if self.arch == "aarch64":
            return a64_vector_width(base, ops)
        return x86_vector_width(base, ops)

    def is_fma(self, base):
        return bool(A64_FMA.match(base)) if self.arch == "aarch64" else x86_is_fma(base)

    def is_nop(self, base, ops):
        return a64_is_nop(base, ops) if self.arch == "aarch64" else x86_is_nop(base, ops)

    def spill_reload(self, base, ops):
        if self.arch == "aarch64":
            return a64_spill_reload(base, ops)
        return x86_spill_reload(base, ops, self.intel, self.frame_pointer)

    def sets_frame_pointer(self, base, ops):
        if self.arch == "aarch64":
            return base == "mov" and ops[:2] == ["x29", "sp"]
        if self.intel:
            return base.startswith("mov") and ops == ["rbp", "rsp"]
        return base.startswith("mov") and ops == ["%rsp", "%rbp"]


# ---- bytes moved ----------------------------------------------------------------

X86_GPR_BYTES = {"b": 1, "w": 2, "l": 4, "q": 8}
A64_REG_BYTES = {"q": 16, "d": 8, "s": 4, "h": 2, "b": 1, "x": 8, "w": 4}


def access_bytes(arch, base, ops):
    """Bytes one execution reads plus writes (an estimate: the register width or the
    mnemonic's size suffix; gathers and masked accesses count as full width)."""
    if arch == "aarch64":
        regs = [o for o in ops if re.fullmatch(r"[qdshbxw]\d+|[xw]zr", o)]
        total = 0
        for o in ops:
            if o.startswith("{"):  # ld1/st1 register lists
                for m in A64_ARRANGEMENT.finditer(o):
                    total += int(m.group(1)) * A64_ELEMENT_BITS[m.group(2)] // 8
        if total:
            return total
        n = 2 if base.startswith(("ldp", "stp", "ldnp", "stnp")) else 1
        return sum(A64_REG_BYTES.get(r[0], 8) for r in regs[:n]) if regs else 8
    widths = [64 if "zmm" in o else 32 if "ymm" in o else 16 if "xmm" in o else 0 for o in ops]
    if X86_SCALAR_FP.search(base) and not base.startswith(("vbroadcast", "vpbroadcast")):
        return 8 if re.search(r"sd[lq]?$|sd2", base) else 2 if re.search(r"sh$", base) else 4
    if base.startswith(("vbroadcast", "vpbroadcast", "movd", "vmovd", "pinsr", "vpinsr", "pextr",
                        "vpextr")):
        return 8 if base.endswith("q") or base.endswith("sd") else 4
    if base.startswith(("movq", "vmovq")) or base.startswith("movhp") or base.startswith("movlp"):
        return 8
    if max(widths, default=0):
        return max(widths)
    m = re.search(r"([bwlq])$", base)
    if m and not base.startswith("j"):
        return X86_GPR_BYTES[m.group(1)]
    for o in ops:
        if re.fullmatch(r"%r\w+|%[re]?[a-d]x|%[re]?[sd]i|%[re]?[sb]p", o):
            return 8 if o.startswith("%r") else 4
    return 8
