"""Reads what the assembly tools need from an ELF file: machine, sections, symbols.

One read per binary; the symbol table gives each function's address and size,
which is how a function's extent (and its cold part's) is known exactly.
"""
import struct
from dataclasses import dataclass, field

MACHINES = {62: "x86_64", 183: "aarch64", 3: "i386", 40: "arm"}
STT_OBJECT, STT_FUNC, STT_GNU_IFUNC = 1, 2, 10
SHF_EXECINSTR = 0x4


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


@dataclass
class Elf:
    path: str
    arch: str
    sections: list = field(default_factory=list)
    symbols: list = field(default_factory=list)

    def exec_sections(self):
        return [s for s in self.sections if s.executable and s.size]

    def section_at(self, addr):
        for s in self.sections:
            if s.addr and s.addr <= addr < s.addr + s.size:
                return s
        return None


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
    elf = Elf(path=path, arch=arch)
    for sh in raw:
        name_idx, sh_type, flags, addr, offset, size = sh[0], sh[1], sh[2], sh[3], sh[4], sh[5]
        elf.sections.append(Section(strtab_at(shstr_off, name_idx), addr, size, offset,
                                    bool(flags & SHF_EXECINSTR) and sh_type == 1))
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
    return elf
