"""What a hot function's speed depends on inside its binary: the code reachable from
it and the bytes of data that code reads.

Two cells may share one timing only when nothing that decides their speed
differs, so the closure is taken generously:

- code: the hot function (with its split parts), then every function reached by a
  direct call or a jump into another function (tail call), by taking a function's
  address (`lea fn(%rip)`, `adrp`+`add`, an absolute `mov $fn` in a non-PIE
  binary), by a function pointer stored in data the code reads, and from extra
  roots (the dispatch targets a kernel reported at run time), transitively.
  Calls into shared libraries (PLT stubs) stop there: the libraries are covered
  by their own record (libraries.py).
- data: every address the closure's code names that lands in an allocated,
  non-executable section (.rodata, .data, .data.rel.ro, .got, ...).  The bytes
  hashed are the covering sized symbol's (an object or a table); where no sized
  symbol covers the address (GCC's `.LC` constants have none) they are the bytes
  the instruction reads (access_width: `movss` 4, a `%ymm` operand 32, `addl` 4,
  ...) when that is known, else from the address to the next symbol or the
  section's end, at most UNSIZED_CAP bytes (an address taken by `lea` may be a
  table).  A width never undercounts (when unsure it is larger or unknown): more
  bytes only ever make two builds differ, never look alike.  Each reference is
  hashed in code order, so two builds that read the same values from merged or
  separate constants agree.  A word that a dynamic relocation fills in is
  hashed as what it points to (so a table of pointers does not change with the
  load address or the layout), and a pointer to code adds that function to the
  closure; a pointer to data adds that data.  .bss-like sections hash as their
  size (their bytes are zero).

Addresses come from the normalizer (`Insn.refs`): x86-64 RIP-relative operands,
AArch64 `adrp`+`add`/`ldr`/`str`, `adr` and literal loads; on x86-64 non-PIE
binaries also absolute immediates and displacements inside an allocated section.
An AArch64 `adrp` whose page is combined by anything else (register offsets) is
not resolved: the page's section name is in the text, the bytes are not hashed.
"""
import bisect
import hashlib
import re
from collections import deque
from dataclasses import dataclass, field

from . import disasm, normalize

UNSIZED_CAP = 256
SCALAR_FP_RE = re.compile(r"^v?(mov|add|sub|mul|div|min|max|sqrt|rcp\w*|rsqrt\w*|cmp\w*|u?comi|"
                          r"f?n?m(add|sub)\d*|round|rndscale|getexp|getmant|scalef|range|reduce)(ss|sd|sh)$")
BROADCAST_WIDTH = {"b": 1, "w": 2, "d": 4, "ss": 4, "q": 8, "sd": 8, "i128": 16, "f128": 16,
                   "f32x2": 8, "i32x2": 8, "f32x4": 16, "i32x4": 16, "f64x2": 16, "i64x2": 16,
                   "f32x8": 32, "i32x8": 32, "f64x4": 32, "i64x4": 32}
GPR_RE = re.compile(r"%(r\w+|e[a-z]{2}|[a-d]x|[sd]il?|[bs]p|[a-d][lh]|[sd]il|[bs]pl)\b")
INTEL_PTR = {"byte": 1, "word": 2, "dword": 4, "qword": 8, "tbyte": 10, "xmmword": 16, "ymmword": 32,
             "zmmword": 64}
HEX_RE = re.compile(r"(?<![\w.])(?:\$)?(0x[0-9a-f]+)")
DATA_METHOD = {
    "x86_64": "RIP-relative operands; absolute immediates and displacements in non-PIE binaries",
    "aarch64": "adrp+add/ldr/str pairs, adr and literal loads (adrp with a register offset: not resolved)",
}


def access_width(ins, arch, syntax):
    """Bytes an x86-64 instruction reads or writes at its memory operand, or None when not
    known (lea, x87, conversions, AArch64: the caller falls back to the unsized rule).
    Never less than the real width: vector operands count the whole register."""
    if arch != "x86_64":
        return None
    m = ins.base
    if m.startswith("lea") or m.startswith("f") or "cvt" in m or m.startswith("prefetch"):
        return None
    ops = " ".join(ins.ops)
    if syntax == "intel":
        hit = re.search(r"\b(" + "|".join(INTEL_PTR) + r") ptr\b", ops)
        return INTEL_PTR[hit.group(1)] if hit else None
    if "broadcast" in m:
        return BROADCAST_WIDTH.get(m.split("broadcast", 1)[1])
    if SCALAR_FP_RE.match(m):
        return {"ss": 4, "sd": 8, "sh": 2}[m[-2:]]
    if m in ("movd", "vmovd"):
        return 4
    if m in ("movq", "vmovq") and "%xmm" in ops:
        return 8
    for reg, width in (("%zmm", 64), ("%ymm", 32), ("%xmm", 16)):
        if reg in ops:
            return width
    # The size suffix (llvm-objdump always prints one), and the registers: GNU objdump
    # leaves the suffix out when a register implies it, and then a name that merely ends
    # in a suffix letter (sub, imul) must not count alone.  The larger of the two.
    widths = [{"b": 1, "w": 2, "l": 4, "q": 8}[m[-1]]] if m[-1:] in ("b", "w", "l", "q") and len(m) > 1 else []
    widths += [8 if r.startswith("r") else 4 if r.startswith("e") else 1 if r.endswith(("l", "h")) else 2
               for r in GPR_RE.findall(ops) if r != "rip"]
    return max(widths) if widths else None


@dataclass
class Closure:
    code_hash: str
    data_hash: str
    reachable: list               # display names, the hot function first
    functions: list               # Function objects in the same order
    data: list = field(default_factory=list)        # [{"name", "section", "bytes"}]
    roots_missing: list = field(default_factory=list)


class Reach:
    """Computes closures on one binary; normalized functions are shared between variants."""

    def __init__(self, binary):
        self.binary = binary
        self.elf = binary.elf
        self._fns = {}
        self._func_starts = {s.addr: s for s in binary.functions}

    # ---------------------------------------------------------------- helpers

    def function(self, sym):
        """The normalized function of one symbol (cached)."""
        if sym.addr not in self._fns:
            self._fns[sym.addr] = normalize.normalize(self.binary, disasm.Lookup(sym.name, parts=[sym]))
        return self._fns[sym.addr]

    def _followable(self, sym):
        sec = self.elf.section_at(sym.addr)
        return not sym.name.endswith("@plt") and not (sec and sec.name.startswith(".plt"))

    def _symbol_covering(self, addr):
        """The smallest sized data symbol holding addr, or None."""
        b = self.binary
        i = bisect.bisect_right(b._data_addrs, addr) - 1
        best = None
        for j in range(i, max(i - 16, -1), -1):
            s = b._data[j]
            if s.size and s.addr <= addr < s.addr + s.size and s.kind != "func":
                if best is None or s.size < best.size:
                    best = s
        return best

    def _extent(self, addr, sec, width=None):
        """(start, end, label) of the data read at addr (see the module's rule)."""
        sym = self._symbol_covering(addr)
        if sym is not None:
            return sym.addr, sym.addr + sym.size, disasm.display_name(sym.name)
        b = self.binary
        i = bisect.bisect_right(b._data_addrs, addr)
        nxt = b._data_addrs[i] if i < len(b._data_addrs) else addr + UNSIZED_CAP
        if width:  # the bytes the instruction reads, even when a symbol starts inside them
            return addr, min(addr + width, sec.addr + sec.size), sec.name
        end = min(nxt, sec.addr + sec.size, addr + UNSIZED_CAP)
        return addr, max(end, addr + 1), sec.name

    def _pointer_name(self, value):
        sec = self.elf.section_at(value)
        if sec is not None and sec.executable:
            f = self.binary.function_at(value)
            if f is not None:
                off = value - f.addr
                return disasm.display_name(f.name) + (f"+{off:#x}" if off else "")
        return self.binary.data_name(value)

    # ---------------------------------------------------------------- closure

    def closure(self, root_fn, extra_roots=()):
        """The Closure of a normalized hot function plus extra root names (folded like
        variant names: 'reduce_avx2' finds 'reduce_avx2.lto_priv.0')."""
        queue = deque([root_fn])
        seen = {p.addr for p in root_fn.parts}
        order, names = [], []
        data_seen, data, missing = {}, [], []
        data_h = hashlib.sha256()

        def follow(sym):
            if sym is None or sym.addr in seen or not self._followable(sym):
                return
            seen.add(sym.addr)
            queue.append(self.function(sym))

        def visit_data(first, width=None):
            """Hashes what one reference reads (every reference, in code order), and walks
            the pointers in it (each object once)."""
            pending = [(first, width)]   # pointers in data lead to more data: a stack, not recursion
            while pending:
                addr, w = pending.pop()
                sec = self.elf.section_at(addr)
                if sec is None or not sec.alloc:
                    continue
                if sec.executable:
                    f = self.binary.function_at(addr)
                    if f is not None:
                        follow(f)
                    continue
                start, end, label = self._extent(addr, sec, w)
                if (start, end) in data_seen:
                    data_h.update(data_seen[(start, end)])
                    continue
                raw = bytearray(self.elf.read(start, end - start))
                pointers = self._pointers(start, raw, sec)
                data.append({"name": label, "section": sec.name, "bytes": end - start})
                one = hashlib.sha256(f"\n--data {label} {sec.name} {end - start}--\n".encode())
                if not sec.nobits:
                    one.update(bytes(raw))
                for off, value, symbol in pointers:
                    one.update(f"@{off:#x}={symbol or self._pointer_name(value)}".encode())
                    if not symbol:
                        pending.append((value, None))
                data_seen[(start, end)] = one.digest()
                data_h.update(data_seen[(start, end)])

        for r in extra_roots:
            lk = self.binary.lookup(r)
            if not lk.found:
                missing.append(r)
                continue
            if lk.parts[0].addr in seen:
                continue
            seen.update(p.addr for p in lk.parts)
            queue.append(normalize.normalize(self.binary, lk))

        code_h = hashlib.sha256()
        while queue:
            fn = queue.popleft()
            own = {p.addr for p in fn.parts}
            order.append(fn)
            names.append(disasm.display_name(fn.symbols[0]) if order[1:] else fn.name)
            code_h.update((f"\n--fn {names[-1]}--\n" if len(order) > 1 else "").encode() + fn.text.encode())
            for ins in fn.insns:
                if ins.callee is not None and ins.callee.addr not in own:
                    follow(ins.callee)
                width = access_width(ins, self.binary.arch, self.binary.syntax) if ins.refs else None
                for a in ins.refs:
                    visit_data(a, width)
                if self.binary.arch == "x86_64" and not self.elf.pie_or_shared:
                    for op in ins.ops:
                        for m in HEX_RE.finditer(op):
                            a = int(m.group(1), 16)
                            if a >= 0x1000 and a not in own:
                                visit_data(a)
        for r in missing:  # a root that is not there can never look like one that is
            code_h.update(f"\n--missing root {r}--\n".encode())
        return Closure(code_h.hexdigest()[:16], data_h.hexdigest()[:16], names, order, data, missing)

    def _pointers(self, start, raw, sec):
        """[(offset, value, symbol)] of the pointer-sized words in raw that hold an address:
        a dynamic relocation's (the word is zeroed in raw: its file bytes depend on the
        linker), else, in a non-PIE binary, a word equal to a function's start."""
        word, out = self.elf.word, []
        first = (start + word - 1) // word * word
        for a in range(first, start + len(raw) - word + 1, word):
            off = a - start
            rel = self.elf.relocs.get(a)
            if rel is not None:
                raw[off:off + word] = bytes(word)
                if rel.symbol:
                    out.append((off, None, rel.symbol + (f"+{rel.addend:#x}" if rel.addend else "")))
                else:
                    out.append((off, rel.addend, None))
            elif not self.elf.pie_or_shared and not sec.nobits:
                value = int.from_bytes(raw[off:off + word], "little" if self.elf.endian == "<" else "big")
                if value in self._func_starts:
                    out.append((off, value, None))
        return out
