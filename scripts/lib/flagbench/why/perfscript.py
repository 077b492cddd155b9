"""Reads `perf script` output (the fields of perfscript.FIELDS, with call chains)
into samples: a weight and a stack of frames, leaf first.

The text looks like

    memory_init 13788     500000 cpu-clock:
    \t    5579a7773a40 init_fill+0x20 (/path/bin/memory_init)
    \t    5579a7772c10 run_variant+0x90 (/path/bin/memory_init)

A header line per sample (comm, tid, period, event), then one line per frame,
then a blank line.  Without call chains the frame sits on the header line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

FIELDS = "comm,tid,period,event,ip,sym,symoff,dso"

HEADER_RE = re.compile(r"^(?P<comm>\S.*?)\s+(?P<tid>-?\d+)\s+(?P<period>\d+)\s+(?P<event>[\w:.-]+):\s*(?P<rest>.*)$")
FRAME_RE = re.compile(r"^\s*(?P<ip>[0-9a-f]+)\s+(?P<sym>.+?)\s+\((?P<dso>[^()]*)\)\s*$")
SYMOFF_RE = re.compile(r"^(?P<name>.+)\+0x(?P<off>[0-9a-f]+)$")


@dataclass
class Frame:
    symbol: str          # '[unknown]' when perf could not name it
    offset: int | None   # from the symbol's start
    dso: str

    @property
    def kernel(self) -> bool:
        return self.dso.startswith("[kernel")


@dataclass
class Sample:
    comm: str
    event: str
    period: int
    frames: list = field(default_factory=list)   # leaf first


def parse_frame(text: str) -> Frame | None:
    m = FRAME_RE.match(text)
    if not m:
        return None
    sym, off = m.group("sym"), None
    so = SYMOFF_RE.match(sym)
    if so:
        sym, off = so.group("name"), int(so.group("off"), 16)
    return Frame(sym, off, m.group("dso"))


def parse(text: str) -> list:
    """Every sample in a `perf script -F FIELDS [-g]` text."""
    samples, cur = [], None
    for line in text.splitlines():
        if not line.strip():
            cur = None
            continue
        if not line[0].isspace():
            m = HEADER_RE.match(line)
            if not m:
                cur = None      # a line perf prints that is not a sample (warnings)
                continue
            cur = Sample(m.group("comm"), m.group("event"), int(m.group("period")))
            samples.append(cur)
            rest = m.group("rest").strip()
            if rest:
                f = parse_frame(rest)
                if f:
                    cur.frames.append(f)
            continue
        if cur is not None:
            f = parse_frame(line)
            if f:
                cur.frames.append(f)
    return samples


def total(samples: list) -> int:
    return sum(s.period for s in samples)
