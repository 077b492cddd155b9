"""The code style of a kernel variant, for the report's first screen: which
flags help *my kind of code*.  Derived from the kernel's family and the
variant's name by the table below (first match wins); docs/reading-a-report.md
shows the same table.

  style              matched by
  concurrent         a family of threads and shared memory (parallel, channels, queues,
                     atomics, sched), except a serial variant
  dispatch           the dispatch family, or a variant named dispatch, ifunc, clones, cpuid
  intrinsics         a variant name with an ISA token: sse, sse2, avx2, avx512, neon, sve
  vector extensions  a variant name with vecext (GCC/Clang vector types)
  autovec            a variant name with autovec or unrolled (loops written for the vectorizer)
  scalar             a variant name with scalar, naive or serial (one element at a time on purpose)
  plain C            everything else: ordinary C the compiler is free to optimize
"""
from __future__ import annotations

import re

STYLES = ["scalar", "plain C", "autovec", "vector extensions", "intrinsics", "dispatch", "concurrent"]
CONCURRENT_FAMILIES = {"parallel", "channels", "queues", "atomics", "sched"}

_RULES = [
    ("dispatch", re.compile(r"(^|_)(dispatch|ifunc|clones|cpuid)($|_)")),
    ("intrinsics", re.compile(r"(^|_)(sse\d*|avx2|avx512|neon|sve)($|_)")),
    ("vector extensions", re.compile(r"(^|_)vecext($|_)")),
    ("autovec", re.compile(r"(^|_)(autovec|unrolled)($|_)")),
    ("scalar", re.compile(r"(^|_)(scalar|naive|serial)($|_)")),
]


def style(kernel: str, variant: str) -> str:
    family = kernel.split("/", 1)[0]
    if family in CONCURRENT_FAMILIES and not re.search(r"(^|_)serial($|_)", variant):
        return "concurrent"
    if family == "dispatch":
        return "dispatch"
    for name, rx in _RULES:
        if rx.search(variant):
            return name
    return "plain C"
