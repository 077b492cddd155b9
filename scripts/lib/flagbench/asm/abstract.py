"""Register-abstracted assembly: a diff that ignores register allocation.

Two compilations of the same loop often differ only in which registers the
allocator picked; a line diff then shows every line changed.  `abstract(text)`
renames registers by order of first use inside the function, keeping their
class and width, and renames local labels by the content of their block with
registers blanked.  A pure renaming (any one-to-one register map applied to the
whole function) gives the same abstract text, so its diff is empty.

  x86 (AT&T or Intel): general registers -> %g1, %g2d (32 bit), %g3w, %g4b;
                       vector registers  -> %v1x / %v1y / %v1z (xmm/ymm/zmm);
                       mask registers    -> %k1 ...
                       %rsp, %rbp, %rip and their narrower names stay: they
                       mean the stack, the frame and the code, not a choice.
  AArch64:             x/w -> g1 / g1w; v/q/d/s/h/b -> v1 (with its suffix); p -> p1
                       sp, xzr, wzr, x29, x30 stay.
"""
from __future__ import annotations

import hashlib
import re

_GPR8 = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi"]
_X86_GPR = {}
for _n in _GPR8:
    _c = _n[1]                                             # a, b, c, d, s(i), d(i)
    _stem = _n[1:]
    _X86_GPR[_n] = (_n, "")
    _X86_GPR["e" + _stem] = (_n, "d")
    _X86_GPR[_stem] = (_n, "w")
_X86_GPR.update({"al": ("rax", "b"), "bl": ("rbx", "b"), "cl": ("rcx", "b"), "dl": ("rdx", "b"),
                 "ah": ("rax", "h"), "bh": ("rbx", "h"), "ch": ("rcx", "h"), "dh": ("rdx", "h"),
                 "sil": ("rsi", "b"), "dil": ("rdi", "b")})
for _i in range(8, 16):
    _X86_GPR[f"r{_i}"] = (f"r{_i}", "")
    _X86_GPR[f"r{_i}d"] = (f"r{_i}", "d")
    _X86_GPR[f"r{_i}w"] = (f"r{_i}", "w")
    _X86_GPR[f"r{_i}b"] = (f"r{_i}", "b")

_X86_NAMES = (r"((?:[xyz]mm(?:[12]?\d|3[01]))|k[1-7]|"
                     + "|".join(sorted(map(re.escape, _X86_GPR), key=len, reverse=True))
              + r")(?![\w$])")
# AT&T names registers with %, so a symbol called `dl` is left alone; Intel has no %.
_X86_ATT_RE = re.compile(r"(?<![\w.$%])(%)" + _X86_NAMES)
_X86_INTEL_RE = re.compile(r"(?<![\w.$%])()" + _X86_NAMES)
_A64_RE = re.compile(r"(?<![\w.$])([xw](?:[12]?\d|30)|[vqdshb](?:[12]?\d|3[01])|p(?:1[0-5]|\d))(?![\w$])")
_LABEL_RE = re.compile(r"\.L_[0-9a-f]{4}(?:_\d+)?\b")


def _flavour(text: str) -> str:
    """aarch64, att (x86 with %registers) or intel."""
    if re.search(r"^\t(ldr|str|ldp|stp|adrp|fmla|b\.\w+|cbn?z|ret)\b", text, re.M):
        return "aarch64"
    return "att" if re.search(r"%[a-z]", text) else "intel"


class _Namer:
    def __init__(self):
        self.ids: dict = {}

    def __call__(self, cls: str, family: str) -> int:
        key = (cls, family)
        if key not in self.ids:
            self.ids[key] = sum(1 for c, _ in self.ids if c == cls) + 1
        return self.ids[key]


def _x86(text: str, namer, blank: bool, intel: bool) -> str:
    def sub(m):
        pct, reg = m.group(1), m.group(2)
        if reg[1:3] == "mm" and reg[0] in "xyz":
            n = "" if blank else namer("v", int(reg[3:]))
            return f"{pct}v{n}{reg[0]}"
        if reg[0] == "k" and len(reg) == 2:
            return f"{pct}k{'' if blank else namer('k', reg)}"
        family, width = _X86_GPR[reg]
        return f"{pct}g{'' if blank else namer('g', family)}{width}"
    return (_X86_INTEL_RE if intel else _X86_ATT_RE).sub(sub, text)


def _a64(text: str, namer, blank: bool) -> str:
    def sub(m):
        reg = m.group(1)
        kind, num = reg[0], int(reg[1:])
        if kind in "xw":
            if num >= 29:                                  # frame pointer and link register
                return reg
            n = "" if blank else namer("g", num)
            return f"g{n}" + ("w" if kind == "w" else "")
        if kind == "p":
            return f"p{'' if blank else namer('p', num)}"
        n = "" if blank else namer("v", num)
        return f"v{n}" + ("" if kind == "v" else kind)
    return _A64_RE.sub(sub, text)


def _registers(line: str, namer, blank: bool, arch: str) -> str:
    # Only the operands: a mnemonic such as AArch64's `bl` is no register.
    head, sep, ops = line.lstrip("\t").partition("\t")
    if not sep:
        return line
    ops = _a64(ops, namer, blank) if arch == "aarch64" else _x86(ops, namer, blank, arch == "intel")
    return line[:len(line) - len(line.lstrip("\t"))] + head + sep + ops


def _relabel(lines: list, arch: str) -> dict:
    """Old label -> a name from its block's content with registers and labels blanked."""
    names, used = {}, {}
    for i, line in enumerate(lines):
        m = _LABEL_RE.fullmatch(line[:-1]) if line.endswith(":") else None
        if not m:
            continue
        body = []
        for nxt in lines[i + 1:]:
            if nxt.endswith(":"):
                break
            body.append(_LABEL_RE.sub(".L?", _registers(nxt, None, True, arch)))
        h = hashlib.sha1("\n".join(body).encode()).hexdigest()[:4]
        used[h] = used.get(h, 0) + 1
        names[line[:-1]] = f".L_{h}" if used[h] == 1 else f".L_{h}_{used[h]}"
    return names


def abstract(text: str) -> str:
    """The text with registers (and local labels) named by role, not by allocation."""
    if not text:
        return text
    arch = _flavour(text)
    lines = text.split("\n")
    labels = _relabel(lines, arch)
    namer = _Namer()
    out = []
    for line in lines:
        line = _LABEL_RE.sub(lambda m: labels.get(m.group(0), m.group(0)), line)
        out.append(line if line.endswith(":") else _registers(line, namer, False, arch))
    return "\n".join(out)
