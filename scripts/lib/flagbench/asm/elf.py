"""Reads what the assembly tools need from an ELF file: machine, sections, symbols,
the bytes at an address, dynamic relocations and the dynamic section.

One read per binary; the symbol table gives each function's address and size,
which is how a function's extent (and its cold part's) is known exactly.
"""
import struct
from dataclasses import dataclass, field

MACHINES = {62: "x86_64", 183: "aarch64", 3: "i386", 40: "arm"}
STT_OBJECT, STT_FUNC, STT_GNU_IFUNC = 1, 2, 10
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHT_PROGBITS, SHT_SYMTAB, SHT_RELA, SHT_DYNAMIC, SHT_NOBITS, SHT_REL, SHT_DYNSYM = 1, 2, 4, 6, 8, 9, 11
ET_EXEC = 2
DT_NEEDED, DT_RPATH, DT_RUNPATH = 1, 15, 29
# Relocation types whose value is "load base + addend": no symbol involved.
RELATIVE_TYPES = {"x86_64": 8, "aarch64": 1027}


class ElfError(Exception):
    pass


@dataclass
class Symbol:
    name: str
    addr: int
    size: int
    kind: str  # "func", "object", "ifunc", "other"
    bind: str  # "local", "global", "weak"


@dataclass
class Section:
    name: str
    addr: int
    size: int
    offset: int
    executable: bool
    type: int = SHT_PROGBITS
    flags: int = 0

    @property
    def alloc(self):
        return bool(self.flags & SHF_ALLOC)

    @property
    def writable(self):
        return bool(self.flags & SHF_WRITE)

    @property
    def nobits(self):
        return self.type == SHT_NOBITS


@dataclass
class Reloc:
    """A dynamic relocation: the word at `offset` becomes `symbol` + addend (symbol ''
    for a relative relocation: load base + addend)."""
    offset: int
    type: int
    symbol: str
    addend: int


@dataclass
class Elf:
    path: str
    arch: str
    sections: list = field(default_factory=list)
    symbols: list = field(default_factory=list)
    elf_type: int = 0
    word: int = 8                 # pointer size in bytes
    endian: str = "<"
    relocs: dict = field(default_factory=dict)     # offset -> Reloc (dynamic relocations)
    needed: list = field(default_factory=list)     # DT_NEEDED, in order
    runpath: list = field(default_factory=list)    # DT_RUNPATH entries
    rpath: list = field(default_factory=list)      # DT_RPATH entries
    interp: str = ""                               # PT_INTERP (the .interp section)
    data: bytes = b""

    @property
    def pie_or_shared(self):
        return self.elf_type != ET_EXEC

    def exec_sections(self):
        return [s for s in self.sections if s.executable and s.size]

    def section_at(self, addr):
        for s in self.sections:
            if s.addr and s.addr <= addr < s.addr + s.size:
                return s
        return None

    def read(self, addr, size):
        """The file's bytes at [addr, addr + size) inside one allocated section (clipped to
        it); zeros for .bss-like sections; b'' when no section holds addr."""
        sec = self.section_at(addr)
        if sec is None or not sec.alloc:
            return b""
        size = max(0, min(size, sec.addr + sec.size - addr))
        if sec.nobits:
            return bytes(size)
        start = sec.offset + addr - sec.addr
        return self.data[start:start + size]


def read_elf(path):
    """Parses the header, section headers and .symtab (or .dynsym) of an ELF file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ElfError(f"cannot read {path}: {e.strerror}") from None
    if data[:4] != b"\x7fELF":
        raise ElfError(f"{path} is not an ELF file")
    is64 = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if is64:
        (machine,) = struct.unpack_from(endian + "H", data, 18)
        shoff, = struct.unpack_from(endian + "Q", data, 40)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 58)
        sh_fmt, sym_fmt, sym_size = endian + "IIQQQQIIQQ", endian + "IBBHQQ", 24
    else:
        (machine,) = struct.unpack_from(endian + "H", data, 18)
        shoff, = struct.unpack_from(endian + "I", data, 32)
        shentsize, shnum, shstrndx = struct.unpack_from(endian + "HHH", data, 46)
        sh_fmt, sym_fmt, sym_size = endian + "IIIIIIIIII", endian + "IIIBBH", 16
    arch = MACHINES.get(machine, f"machine-{machine}")
    raw = []
    for i in range(shnum):
        raw.append(struct.unpack_from(sh_fmt, data, shoff + i * shentsize))

    def strtab_at(offset, index):
        end = data.index(b"\0", offset + index)
        return data[offset + index:end].decode("utf-8", "replace")

    shstr_off = raw[shstrndx][4] if shstrndx < len(raw) else 0
    (elf_type,) = struct.unpack_from(endian + "H", data, 16)
    elf = Elf(path=path, arch=arch, elf_type=elf_type, word=8 if is64 else 4, endian=endian, data=data)
    for sh in raw:
        name_idx, sh_type, flags, addr, offset, size = sh[0], sh[1], sh[2], sh[3], sh[4], sh[5]
        elf.sections.append(Section(strtab_at(shstr_off, name_idx), addr, size, offset,
                                    bool(flags & SHF_EXECINSTR) and sh_type == 1, sh_type, flags))
    # SHT_SYMTAB = 2, SHT_DYNSYM = 11; a stripped binary still has .dynsym.
    tables = [sh for sh in raw if sh[1] == 2] or [sh for sh in raw if sh[1] == 11]
    for sh in tables:
        offset, size, link, entsize = sh[4], sh[5], sh[6], sh[9] or sym_size
        str_off = raw[link][4]
        for pos in range(offset + entsize, offset + size, entsize):
            if is64:
                name_idx, info, _other, shndx, value, sym_sz = struct.unpack_from(sym_fmt, data, pos)
            else:
                name_idx, value, sym_sz, info, _other, shndx = struct.unpack_from(sym_fmt, data, pos)
            if not name_idx or shndx == 0:
                continue
            typ, bind = info & 0xF, info >> 4
            kind = {STT_FUNC: "func", STT_OBJECT: "object", STT_GNU_IFUNC: "ifunc"}.get(typ, "other")
            elf.symbols.append(Symbol(strtab_at(str_off, name_idx), value, sym_sz, kind,
                                      {0: "local", 1: "global", 2: "weak"}.get(bind, "other")))
    _read_dynamic(elf, raw, data, is64, endian, strtab_at)
    return elf


def _read_dynamic(elf, raw, data, is64, endian, strtab_at):
    """Dynamic relocations (RELA and REL), DT_NEEDED / DT_RUNPATH / DT_RPATH and .interp."""
    def symbol_name(symtab_index, sym_index):
        if not sym_index or symtab_index >= len(raw):
            return ""
        sh = raw[symtab_index]
        entsize = sh[9] or (24 if is64 else 16)
        pos = sh[4] + sym_index * entsize
        if pos + 4 > len(data):
            return ""
        (name_idx,) = struct.unpack_from(endian + "I", data, pos)
        return strtab_at(raw[sh[6]][4], name_idx) if name_idx else ""

    for sh in raw:
        sh_type, flags, offset, size, link = sh[1], sh[2], sh[4], sh[5], sh[6]
        if sh_type in (SHT_RELA, SHT_REL) and flags & SHF_ALLOC:
            rela = sh_type == SHT_RELA
            fmt = endian + ("QQq" if rela else "QQ") if is64 else endian + ("IIi" if rela else "II")
            step = struct.calcsize(fmt)
            for pos in range(offset, offset + size - step + 1, step):
                row = struct.unpack_from(fmt, data, pos)
                r_offset, info = row[0], row[1]
                typ, sym = (info & 0xFFFFFFFF, info >> 32) if is64 else (info & 0xFF, info >> 8)
                addend = row[2] if rela else 0
                elf.relocs[r_offset] = Reloc(r_offset, typ, symbol_name(link, sym), addend)
        elif sh_type == SHT_DYNAMIC:
            fmt = endian + ("qQ" if is64 else "iI")
            step = struct.calcsize(fmt)
            str_off = raw[link][4]
            for pos in range(offset, offset + size - step + 1, step):
                tag, val = struct.unpack_from(fmt, data, pos)
                if tag == 0:
                    break
                if tag == DT_NEEDED:
                    elf.needed.append(strtab_at(str_off, val))
                elif tag in (DT_RUNPATH, DT_RPATH):
                    dirs = [d for d in strtab_at(str_off, val).split(":") if d]
                    (elf.runpath if tag == DT_RUNPATH else elf.rpath).extend(dirs)
    for sec in elf.sections:
        if sec.name == ".interp" and sec.size:
            elf.interp = data[sec.offset:sec.offset + sec.size].split(b"\0")[0].decode("utf-8", "replace")
