"""Turns a function's raw disassembly into stable text that diffs show real changes in.

- no addresses, no encodings, no objdump comments, no padding (nop family; trailing int3);
- one instruction a line: a tab, the mnemonic (with its prefixes: `lock addq`), a tab,
  the operands joined by ', ';
- branch targets inside the function become local labels named by the content of
  the block they start (`.L_3f2a`): inserting a block elsewhere renames nothing
  else; a changed block renames only itself (and the branches to it);
- calls and tail calls name their target (`callq fprintf@plt`, `jmp helper.constprop`),
  suffix numbers folded; data references name their symbol (`counter(%rip)`,
  `adrp x3, dispatched_dot` / `:lo12:dispatched_dot`) or, when no symbol covers the
  address, its section (`.rodata(%rip)`);
- each part of the function starts with its name as a label: `reduce_avx2:` and,
  when the compiler split it, `reduce_avx2.cold:`.

The text stays valid assembly for llvm-mca: labels, symbols and operands all parse.
"""
import hashlib
import re
from dataclasses import dataclass, field

from . import disasm, insn

TARGET_RE = re.compile(r"^(?:0x)?([0-9a-f]+)(?:\s+<([^>]*)>)?$")
ANNOT_RE = re.compile(r"\s+<[^>]*>$")
RIP_ATT_RE = re.compile(r"(-?(?:0x[0-9a-f]+|\d+))?\(%rip\)")
RIP_INTEL_RE = re.compile(r"\[rip(?:\s*([-+])\s*(0x[0-9a-f]+|\d+))?\]")
A64_MEM_IMM_RE = re.compile(r"^\[(x\d+|sp),\s*#(-?(?:0x[0-9a-f]+|\d+))\](!?)$")


@dataclass
class Insn:
    addr: int
    size: int
    part: int
    base: str               # mnemonic without prefixes
    mnemonic: str           # with prefixes ('lock addq')
    ops: list               # normalized operands
    kind: str = None        # jump | cjump | ijump | call | icall | ret | None
    target: int = None      # direct branch or call target address
    local: bool = False     # target inside this function (a label)
    callee: object = None   # elf.Symbol of a direct call / tail-call target, if any
    ref: int = None         # RIP-relative data address from objdump's comment (x86)
    line: int = 0           # 1-based line in the function's text
    refs: list = field(default_factory=list)  # addresses this instruction's operands name

    @property
    def text(self):
        return f"{self.mnemonic}\t{insn.join_operands(self.ops)}" if self.ops else self.mnemonic


@dataclass
class Function:
    name: str
    arch: str
    syntax: str
    symbols: list                 # actual symbol names, in part order
    parts: list                   # elf.Symbol per part
    bytes: int
    insns: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)   # address -> label name
    label_line: dict = field(default_factory=dict)  # label name -> 1-based line
    clones_not_shown: list = field(default_factory=list)

    @property
    def text(self):
        return "\n".join(self.lines) + "\n"


def _comment_free(text, arch):
    cut = text.find("//") if arch == "aarch64" else text.find("#")
    return (text[:cut] if cut >= 0 else text).strip()


COMMENT_REF_RE = re.compile(r"#\s*(?:0x)?([0-9a-f]+)\b")


def parse_raw(raw, arch):
    """[(addr, size, text)] -> [(addr, size, mnemonic, base, ops, ref)], prefix lines merged;
    ref is the address objdump's comment gives for a RIP-relative operand (x86), or None."""
    out, pending = [], None
    for addr, size, text in raw:
        body = _comment_free(text, arch)
        if not body:
            continue
        ref = None
        if arch == "x86_64" and ("(%rip)" in body or "[rip" in body):
            m = COMMENT_REF_RE.search(text[len(text.split("#")[0]):])
            ref = int(m.group(1), 16) if m else None
        mnemonic, base, ops = insn.split_mnemonic(body)
        if arch == "x86_64" and not ops and base in insn.X86_PREFIXES:
            # llvm-objdump prints a lone prefix ('lock') on its own line
            if pending:
                pending = (pending[0], pending[1] + size, pending[2] + " " + base)
            else:
                pending = (addr, size, base)
            continue
        if pending:
            addr, size, mnemonic = pending[0], pending[1] + size, pending[2] + " " + mnemonic
            pending = None
        out.append((addr, size, mnemonic, base, ops, ref))
    if pending:
        out.append((pending[0], pending[1], pending[2], pending[2].split()[-1], [], None))
    return out


def _block_hash(texts):
    return hashlib.sha1("\n".join(texts).encode()).hexdigest()


def normalize(binary, lookup):
    """The normalized Function for a disasm.Lookup that was found."""
    arch, syntax = binary.arch, binary.syntax
    cls = insn.Classifier(arch, syntax)
    parts = lookup.parts
    extents = [binary.extent(s) for s in parts]

    def part_of(addr):
        for i, (a, b) in enumerate(extents):
            if a <= addr < b:
                return i
        return None

    fn = Function(name=lookup.name, arch=arch, syntax=syntax, symbols=[s.name for s in parts],
                  parts=parts, bytes=sum(b - a for a, b in extents),
                  clones_not_shown=lookup.clones_not_shown)
    starts = {s.addr: disasm.display_name(s.name) for s in parts}

    # 1. parse, drop padding, classify branches
    for pi, sym in enumerate(parts):
        rows = parse_raw(binary.instructions(sym), arch)
        while rows and rows[-1][3] in ("int3",):  # padding after the last instruction
            rows.pop()
        for addr, size, mnemonic, base, ops, ref in rows:
            if cls.is_nop(base, ops):
                continue
            kind = cls.branch_kind(base, ops)
            ins = Insn(addr, size, pi, base, mnemonic, list(ops), kind)
            ins.ref = ref
            if kind in ("jump", "cjump", "call") and ops:
                m = TARGET_RE.match(ops[-1])
                if m:
                    ins.target = int(m.group(1), 16)
                    if m.group(2) is not None:
                        ins.ops[-1] = "<" + m.group(2) + ">"  # placeholder until named below
            fn.insns.append(ins)

    starts_by_addr = {i.addr for i in fn.insns}
    # 2. labels: direct jump targets inside the function (a part's start keeps its name)
    targets = set()
    for ins in fn.insns:
        if ins.target is not None and ins.kind != "call" and part_of(ins.target) is not None:
            if ins.target in starts_by_addr or ins.target in starts:
                ins.local = True
                if ins.target not in starts:
                    targets.add(ins.target)

    # 3. operands: branch/call targets and data references
    adrp = {}  # aarch64: register -> (index of the adrp, page address)
    for idx, ins in enumerate(fn.insns):
        if ins.target is not None and not ins.local:
            callee = binary.function_at(ins.target)
            if callee is not None:
                ins.callee = callee if ins.kind in ("call", "jump", "cjump") else None
                off = ins.target - callee.addr
                name = disasm.display_name(callee.name)
                ins.ops[-1] = name if not off else f"{name}+{off:#x}"
            else:
                m = re.match(r"^<([^>+]*)(\+0x[0-9a-f]+)?>$", ins.ops[-1])
                # objdump's name for a stub is kept when it is the stub's own
                # (`memcpy@plt`); a neighbour's plus an offset moves with the layout
                stub = binary.plt_stub_name(ins.target)
                if m and (stub is None or m.group(1).endswith("@plt")):
                    ins.ops[-1] = disasm.display_name(m.group(1)) + (m.group(2) or "")
                else:
                    ins.ops[-1] = stub or binary.data_name(ins.target)
        if arch == "x86_64":
            _x86_data_refs(binary, ins, syntax)
        else:
            _a64_data_refs(binary, fn.insns, idx, ins, adrp)

    # 4. name labels by the content of their block
    order = sorted(targets)
    idx_of = {ins.addr: i for i, ins in enumerate(fn.insns)}
    boundaries = sorted(set(idx_of[a] for a in order) |
                        {i for i, ins in enumerate(fn.insns) if ins.addr in starts})
    used = {}
    for a in order:
        i = idx_of[a]
        j = next((b for b in boundaries if b > i), len(fn.insns))
        body = []
        for ins in fn.insns[i:j]:
            if ins.part != fn.insns[i].part:
                break
            body.append(ins.mnemonic + " " + ", ".join(".L?" if ins.local and k == len(ins.ops) - 1
                                                       else o for k, o in enumerate(ins.ops)))
            if ins.kind in ("jump", "cjump", "ijump", "ret"):
                break   # a basic block ends at its branch: what falls through is another block
        h = _block_hash(body)[:4]
        n = used.get(h, 0) + 1
        used[h] = n
        fn.labels[a] = f".L_{h}" if n == 1 else f".L_{h}_{n}"

    for ins in fn.insns:
        if ins.local:
            ins.ops[-1] = fn.labels.get(ins.target) or starts[ins.target]

    # 5. the text
    current = None
    for ins in fn.insns:
        if ins.part != current:
            current = ins.part
            fn.lines.append(starts[parts[current].addr] + ":")
            fn.label_line[fn.lines[-1][:-1]] = len(fn.lines)
        if ins.addr in fn.labels:
            fn.lines.append(fn.labels[ins.addr] + ":")
            fn.label_line[fn.labels[ins.addr]] = len(fn.lines)
        fn.lines.append("\t" + ins.text)
        ins.line = len(fn.lines)
    for pi, sym in enumerate(parts):  # a part with no instructions still gets its name
        if starts[sym.addr] + ":" not in fn.lines:
            fn.lines.append(starts[sym.addr] + ":")
    return fn


def _x86_data_refs(binary, ins, syntax):
    end = ins.addr + ins.size
    for k, op in enumerate(ins.ops):
        if syntax == "intel":
            m = RIP_INTEL_RE.search(op)
            if m:
                disp = int(m.group(2), 0) if m.group(2) else 0
                disp = -disp if m.group(1) == "-" else disp
                addr = ins.ref if ins.ref is not None else end + disp
                ins.refs.append(addr)
                ins.ops[k] = op[:m.start()] + f"[rip + {binary.data_name(addr)}]" + op[m.end():]
        else:
            m = RIP_ATT_RE.search(op)
            if m:
                disp = int(m.group(1), 0) if m.group(1) else 0
                addr = ins.ref if ins.ref is not None else end + disp
                ins.refs.append(addr)
                ins.ops[k] = op[:m.start()] + f"{binary.data_name(addr)}(%rip)" + op[m.end():]


def _a64_data_refs(binary, insns, idx, ins, adrp):
    ops = ins.ops
    if ins.base in ("adrp", "adr") and len(ops) == 2:
        m = TARGET_RE.match(ops[1]) or TARGET_RE.match(ANNOT_RE.sub("", ops[1]))
        if m:
            addr = int(m.group(1), 16)
            if ins.base == "adr":
                ops[1] = binary.data_name(addr)
                ins.refs.append(addr)
            else:
                sec = binary.elf.section_at(addr)
                ops[1] = sec.name if sec else "page"
                adrp[ops[0]] = (idx, addr)
        return
    if ins.base.startswith("ld") and len(ops) == 2 and ins.kind is None:
        m = TARGET_RE.match(ops[1])
        if m and m.group(2) is not None:  # literal-pool load
            ops[1] = binary.data_name(int(m.group(1), 16))
            ins.refs.append(int(m.group(1), 16))
            return
    if not adrp:
        return
    resolved = None
    if ins.base == "add" and len(ops) == 3 and ops[1] in adrp and ops[2].startswith("#"):
        page_idx, page = adrp[ops[1]]
        ins.refs.append(page + int(ops[2][1:], 0))
        name = binary.data_name(ins.refs[-1])
        ops[2] = f":lo12:{name}"
        resolved = (ops[1], page_idx, name)
    else:
        for k, op in enumerate(ops):
            m = A64_MEM_IMM_RE.match(op)
            if m and m.group(1) in adrp and not m.group(3):
                page_idx, page = adrp[m.group(1)]
                ins.refs.append(page + int(m.group(2), 0))
                name = binary.data_name(ins.refs[-1])
                ops[k] = f"[{m.group(1)}, :lo12:{name}]"
                resolved = (m.group(1), page_idx, name)
                break
    if resolved:
        reg, page_idx, name = resolved
        adrp_ins = insns[page_idx]
        if not getattr(adrp_ins, "_named", False):
            adrp_ins.ops[1] = name
            adrp_ins._named = True
    # a register written by anything else no longer holds the page
    if ops and ins.kind is None and ops[0] in adrp and not ins.base.startswith(
            ("st", "cmp", "cmn", "tst", "prfm")):
        del adrp[ops[0]]
