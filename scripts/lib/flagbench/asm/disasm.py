"""Finds a variant's code in a linked binary and disassembles the binary once.

Symbols come from the ELF symbol table (one read); compiler suffixes are folded
so `reduce_avx2.lto_priv.0`, `.constprop.0`, `.isra.0`, `.part.0`, `.cold`,
`.llvm.<hash>` all answer to `reduce_avx2`.  The whole binary is disassembled
by one objdump run (objdump.py), and each function's instructions are a slice
of it.
"""
import bisect
import os
import re
from dataclasses import dataclass, field

from . import elf as elfmod
from .objdump import LINE_RE, DisasmError, find_objdump, is_llvm_objdump, run_objdump

# Suffixes GCC and Clang append to a function's name when they clone, split or
# rename it.  Each may carry a number (".0"); ".llvm.<digits>" is ThinLTO's
# promotion of a local symbol.
FOLD_KINDS = ("lto_priv", "constprop", "isra", "part", "cold", "clone", "specialized",
              "localalias", "llvm")
SPLIT_KINDS = ("part", "cold")  # pieces of one function, shown together


def fold_name(name):
    """Returns (base, [suffix kinds]); ('foo.avx2.0', []) is left alone (unknown suffix)."""
    pieces = name.split(".")
    base, kinds, i = pieces[0], [], 1
    while i < len(pieces):
        if pieces[i] in FOLD_KINDS:
            kinds.append(pieces[i])
            i += 1
            while i < len(pieces) and pieces[i].isdigit():
                i += 1
            continue
        return name, []
    return base, kinds


# Sections of stubs that call through a GOT slot (lazy binding, ifuncs).
PLT_SECTIONS = (".plt", ".plt.sec", ".plt.got", ".iplt")


def display_name(name):
    """A symbol name without the parts that change between builds: suffix numbers,
    ThinLTO hashes and symbol versions ('foo.constprop.3' -> 'foo.constprop')."""
    if "@" in name and not name.endswith("@plt"):
        name = name.split("@", 1)[0]
    plt = name.endswith("@plt")
    core = name[:-4] if plt else name
    base, kinds = fold_name(core)
    if kinds or base != core:
        if base == core:
            return name
        core = base + "".join("." + k for k in kinds if k != "llvm")
    return core + ("@plt" if plt else "")


def prefetch_together(wanted):
    """Partial disassembly of several binaries: wanted is [(Binary, function symbols)].
    Binaries that share a disassembler and syntax (a configuration's layout seeds)
    are disassembled in one run, asking each for the union of the names."""
    groups = {}
    for b, symbols in wanted:
        if b._covered is None:
            b.disassemble()
            continue
        todo = b._todo(symbols)
        if todo:
            groups.setdefault((b.objdump, b.arch, b.syntax), []).append((b, todo))
    for (objdump, arch, syntax), members in groups.items():
        names = sorted({n for _b, todo in members for n in todo})
        paths = list(dict.fromkeys(b.path for b, _todo in members))
        got = run_objdump(objdump, arch, syntax, ["--disassemble-symbols=" + ",".join(names)], paths)
        for i, (b, _todo) in enumerate(members):
            b.objdump_runs += i == 0  # one run, counted once
            b._add(*got[b.path], set(names))


@dataclass
class Lookup:
    """A variant's symbols: parts[0] is the function, then its split pieces."""
    name: str
    parts: list = field(default_factory=list)
    clones_not_shown: list = field(default_factory=list)
    why: str = ""

    @property
    def found(self):
        return bool(self.parts)


class Binary:
    """One linked binary: symbols, and its disassembly (run on first use, once).

    partial=True disassembles only the functions asked for (llvm-objdump's
    --disassemble-symbols, one run per batch; see prefetch), which is what a layout
    seed's binary needs: a few functions out of thousands."""

    _covered = None   # partial mode: addresses of the function symbols disassembled so far
    objdump_runs = 0

    def __init__(self, path, objdump=None, syntax="att", partial=False):
        self.path = path
        self.elf = elfmod.read_elf(path)
        self.arch = self.elf.arch
        if self.arch not in ("x86_64", "aarch64"):
            raise DisasmError(f"{path}: architecture {self.arch} is not supported (x86_64, aarch64)")
        self.syntax = syntax if self.arch == "x86_64" else "att"  # Intel syntax is x86's only
        self.objdump = find_objdump(objdump, self.arch)
        seen = set()
        funcs = []
        for s in self.elf.symbols:
            if s.kind in ("func", "ifunc") and (s.name, s.addr) not in seen:
                seen.add((s.name, s.addr))
                funcs.append(s)
        self._index_functions(funcs)
        data = [s for s in self.elf.symbols if s.kind in ("object", "func", "ifunc", "other")
                and s.name and not s.name.startswith("$")]
        data.sort(key=lambda s: (s.addr, -s.size))
        self._data = data
        self._data_addrs = [s.addr for s in data]
        self._addrs = None
        self._texts = None
        self._covered = set() if partial and is_llvm_objdump(self.objdump) else None
        self.objdump_runs = 0

    def _index_functions(self, funcs):
        """Function symbols by address (an unsuffixed alias before its clones) and by base name."""
        funcs.sort(key=lambda s: (s.addr, fold_name(s.name)[1] != [], s.name))
        self.functions = funcs
        self._func_addrs = [s.addr for s in funcs]
        self.by_base = {}
        for s in funcs:
            self.by_base.setdefault(fold_name(s.name)[0], []).append(s)

    # ---- disassembly ----------------------------------------------------------

    def disassemble(self):
        """The whole binary, once (also in partial mode, when something needs it all)."""
        if self._addrs is not None and self._covered is None:
            return
        self._covered = None
        self._addrs, self._texts = self._run_objdump([])

    def prefetch(self, symbols):
        """Partial mode: disassembles the function symbols not done yet, in one run."""
        prefetch_together([(self, symbols)])

    def _todo(self, symbols):
        """Names of the function symbols still to disassemble (partial mode)."""
        return sorted({s.name for s in symbols if s.addr not in self._covered})

    def _add(self, addrs, texts, names):
        """Merges a partial disassembly of the function symbols `names`."""
        merged = dict(zip(self._addrs or [], self._texts or []))
        merged.update(zip(addrs, texts))
        self._addrs = sorted(merged)
        self._texts = [merged[a] for a in self._addrs]
        self._covered.update(s.addr for s in self.functions if s.name in names)

    def _run_objdump(self, extra):
        self.objdump_runs += 1
        return run_objdump(self.objdump, self.arch, self.syntax, extra, [self.path])[self.path]

    def extent(self, sym):
        """[start, end) of a function symbol; a zero size runs to the next function."""
        if sym.size:
            return sym.addr, sym.addr + sym.size
        i = bisect.bisect_right(self._func_addrs, sym.addr)
        while i < len(self._func_addrs) and self._func_addrs[i] == sym.addr:
            i += 1
        end = self._func_addrs[i] if i < len(self._func_addrs) else sym.addr
        sec = self.elf.section_at(sym.addr)
        if sec is not None:  # never past its section (_init's size is 0; .plt follows)
            end = min(end, sec.addr + sec.size) if end > sym.addr else sec.addr + sec.size
        return sym.addr, end

    def instructions(self, sym):
        """[(addr, size, text)] of one function symbol, from the single disassembly."""
        if self._covered is not None:
            self.prefetch([sym])
        else:
            self.disassemble()
        start, end = self.extent(sym)
        lo = bisect.bisect_left(self._addrs, start)
        hi = bisect.bisect_left(self._addrs, end)
        out = []
        for i in range(lo, hi):
            nxt = self._addrs[i + 1] if i + 1 < hi else end
            out.append((self._addrs[i], max(nxt - self._addrs[i], 0), self._texts[i]))
        return out

    # ---- symbols ------------------------------------------------------------------

    def function_at(self, addr):
        """The function symbol whose extent holds addr (the unsuffixed alias first), or None."""
        best = None
        for s in _nearest_below(self._func_addrs, self.functions, addr, 8):
            start, end = self.extent(s)
            if start <= addr < end or addr == start:
                if best is None or s.addr >= best.addr:
                    best = s
        return best

    def plt_stub_name(self, addr):
        """A stable name for a call into a PLT stub that no symbol names, or None
        outside the PLT sections.  lld's ifunc stubs (.iplt) have no symbol, and
        objdump names them after whatever symbol it finds, at an offset that moves
        with every layout seed.  'resolver@iplt' when the stub is x86-64's
        `jmp *slot(%rip)` and the slot's relocation is IRELATIVE (its addend is
        the resolver), 'name@plt' for a symbol's slot, else the section's name."""
        sec = self.elf.section_at(addr)
        if sec is None or sec.name not in PLT_SECTIONS:
            return None
        code = self.elf.read(addr, 6) if self.arch == "x86_64" else b""
        if code[:2] == b"\xff\x25" and len(code) == 6:
            rel = self.elf.relocs.get(addr + 6 + int.from_bytes(code[2:], "little", signed=True))
            if rel is not None and rel.symbol:
                return display_name(rel.symbol) + "@plt"
            resolver = self.function_at(rel.addend) if rel is not None else None
            if resolver is not None:
                return display_name(resolver.name) + "@iplt"
        return sec.name

    def data_name(self, addr):
        """A stable name for a data address: 'sym', 'sym+0x8', or its section."""
        best = None
        for s in _nearest_below(self._data_addrs, self._data, addr, 16):
            if s.addr <= addr < s.addr + max(s.size, 1):
                if best is None or s.size < best.size or (s.size == best.size and s.bind != "local"):
                    best = s
        if best is not None:
            off = addr - best.addr
            name = display_name(best.name)
            return name if not off else f"{name}+{off:#x}"
        sec = self.elf.section_at(addr)
        return sec.name if sec else f"{addr:#x}"

    def direct_references(self):
        """How often each address is the direct target of a call or jump (for clone choice)."""
        self.disassemble()
        counts = {}
        for t in self._texts:
            m = re.search(r"(?:0x)?([0-9a-f]+) <[^>]+>\s*$", t.split("#")[0].split("//")[0])
            if m:
                a = int(m.group(1), 16)
                counts[a] = counts.get(a, 0) + 1
        return counts

    def lookup(self, name):
        """Finds a function and its split pieces by name, compiler suffixes folded."""
        cands = self.by_base.get(name, [])
        if not cands:
            similar = sorted(n for n in self.by_base if n.startswith(name.rsplit("_", 1)[0] + "_"))
            why = f"no symbol {name} (or {name}.<suffix>) in {os.path.basename(self.path)}"
            if similar:
                why += "; similar: " + ", ".join(similar[:8])
            return Lookup(name, why=why)
        whole = [s for s in cands if not set(fold_name(s.name)[1]) & set(SPLIT_KINDS)]
        if not whole:
            whole = [s for s in cands if "cold" not in fold_name(s.name)[1]] or cands
        if len(whole) > 1:
            refs = self.direct_references()
            whole.sort(key=lambda s: (-refs.get(s.addr, 0), s.name != name, s.addr))
        primary = whole[0]
        # Aliases at the primary's address are the same code.
        clones = [s for s in whole[1:] if s.addr != primary.addr]
        pieces = []
        for s in cands:
            if s is primary or s.addr == primary.addr or s in whole:
                continue
            if belongs_to(s.name, primary.name, name):
                pieces.append(s)
            else:
                clones.append(s)
        pieces.sort(key=lambda s: s.addr)
        seen_addr, parts = set(), []
        for s in [primary] + pieces:
            if s.addr not in seen_addr:
                seen_addr.add(s.addr)
                parts.append(s)
        return Lookup(name, parts=parts, clones_not_shown=sorted(s.name for s in clones))


def _nearest_below(addrs, symbols, addr, window):
    """The last `window` symbols (sorted by address; addrs their addresses) that
    start at or before addr, nearest first: those that may hold addr."""
    i = bisect.bisect_right(addrs, addr)
    return [symbols[j] for j in range(i - 1, max(i - 1 - window, -1), -1)]


def belongs_to(piece, primary, base):
    """True when a '.part'/'.cold' piece was split off the primary symbol."""
    stem = re.sub(r"(\.(part|cold)(\.\d+)?)+$", "", piece)
    return stem in (primary, base) or fold_name(stem)[0] == base and stem == primary


HEADER_RE = re.compile(r"^([0-9a-f]+) <([^>]+)>:\s*$")
ANNOTATION_RE = re.compile(r"(?:0x)?([0-9a-f]+) <([^>+]+)(?:\+0x([0-9a-f]+))?>")


class _NoSections:
    def section_at(self, addr):
        return None


class TextBinary(Binary):
    """A Binary read from saved objdump output instead of an ELF file (tests, or a listing
    someone sent you).  Function extents run from a symbol header to the next one;
    data references are named by objdump's own '<symbol+offset>' comments."""

    def __init__(self, text, arch, syntax="att"):
        self.path, self.arch, self.syntax, self.objdump = "<text>", arch, syntax, "<text>"
        self.elf = _NoSections()
        headers, addrs, texts, names = [], [], [], {}
        for line in text.splitlines():
            h = HEADER_RE.match(line)
            if h:
                headers.append((int(h.group(1), 16), h.group(2)))
                continue
            m = LINE_RE.match(line)
            if m and m.group(2):
                addrs.append(int(m.group(1), 16))
                texts.append(m.group(2))
                for a in ANNOTATION_RE.finditer(m.group(2)):
                    base = int(a.group(1), 16) - int(a.group(3) or "0", 16)
                    names.setdefault(base, a.group(2))
        self._addrs, self._texts = addrs, texts
        funcs = []
        for i, (addr, name) in enumerate(headers):
            nxt = headers[i + 1][0] if i + 1 < len(headers) else None
            inside = [a for a in addrs if a >= addr and (nxt is None or a < nxt)]
            end = max(inside) + 1 if inside else addr + 1  # the last size is unknown: 1
            funcs.append(elfmod.Symbol(name, addr, end - addr, "func", "global"))
        self._index_functions(funcs)
        self._names = names
        self._data, self._data_addrs = [], []

    def disassemble(self):
        pass

    def data_name(self, addr):
        best = max((a for a in self._names if a <= addr), default=None)
        if best is None:
            return f"{addr:#x}"
        off = addr - best
        name = display_name(self._names[best])
        return name if not off else f"{name}+{off:#x}"
