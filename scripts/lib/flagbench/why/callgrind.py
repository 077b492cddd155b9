#!/usr/bin/env python3
"""Instruction counts under callgrind: a second, noise-free metric per cell.

One run of the variant under `valgrind --tool=callgrind` counts the
instructions executed (Ir) by the whole process and by the hot function
itself (self cost, every part: .cold included).  The same code gives the same
count on every run, so a count that moved is a change in work, not noise.

What cannot be counted says so instead of failing:
  - valgrind 3.19 decodes no AVX-512: an x86-64-v4 build either exits 3 (the
    harness sees no AVX-512 on valgrind's virtual CPU) or dies on the first
    EVEX instruction (SIGILL, "unhandled instruction bytes"); both read
    "not measurable with valgrind";
  - a binary run under an emulator (aarch64 under qemu-user): valgrind cannot
    run it, and qemu-user counts nothing by itself (-d in_asm,exec is a trace
    log, not a counter; an instruction-count TCG plugin would be, but Debian 12
    ships neither the plugins nor qemu-plugin.h), so "not available".
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from flagbench import check

NOT_MEASURABLE = "not measurable with valgrind"
UNHANDLED_RE = re.compile(r"unhandled instruction|SIGILL|Illegal instruction", re.I)


def parse_out(path: str, names: set) -> dict:
    """{'total': Ir of the process, 'function': self Ir of the named functions}."""
    total, fn_ir, in_fn, skip = None, 0, False, False
    names_by_id = {}
    with open(path) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
                continue
            if line.startswith("fn="):
                spec = line[3:].strip()
                m = re.match(r"\((\d+)\)(?:\s+(.*))?$", spec)
                if m:
                    if m.group(2):
                        names_by_id[m.group(1)] = m.group(2)
                    spec = names_by_id.get(m.group(1), "")
                in_fn = spec in names
                continue
            if line.startswith(("calls=",)):
                skip = True      # the next cost line is the call's inclusive cost
                continue
            if skip:
                skip = False
                continue
            if in_fn and (line[:1].isdigit() or line[:1] in "+-*"):
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit():
                    fn_ir += int(parts[1])
    return {"total": total, "function": fn_ir}


def instructions(exe: str, variant: str, size: str, reps: int, function_symbols: list,
                 emulator: list | None = None, timeout: int = 600) -> dict:
    """Instruction counts of one cell, or {'supported': False, 'why'} (never raises for a tool failure)."""
    if emulator:
        return {"supported": False,
                "why": "not available: the binary runs under an emulator (qemu-user), which valgrind "
                       "cannot run and which counts no instructions itself"}
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return {"supported": False, "why": "valgrind is not installed"}
    with tempfile.TemporaryDirectory(prefix="fb-cg-") as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}", "--compress-strings=no",
               "--compress-pos=no", exe, "--variant", variant, "--size", str(size), "--reps", str(reps),
               "--warmup", "0"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"supported": True, "why": f"callgrind run timed out after {timeout} s"}
        if p.returncode in (3, -4) or (p.returncode != 0 and UNHANDLED_RE.search(p.stderr)):
            return {"supported": False,
                    "why": f"{NOT_MEASURABLE}: {_version(valgrind)} has no AVX-512 "
                           f"(exit {p.returncode}: {_tail(p.stderr)})"}
        if p.returncode != 0:
            return {"supported": True, "why": f"exit {p.returncode} under callgrind: {_tail(p.stderr)}"}
        items = check.reported_items(p.stdout, variant)
        got = parse_out(out, set(function_symbols))
    doc = {"supported": True, "tool": "callgrind", "reps": reps, "size": size,
           "instructions": got["total"], "function_instructions": got["function"], "items": items}
    if items and reps:
        doc["function_instructions_per_item"] = round(got["function"] / (float(items) * reps), 4)
    return doc


def _version(valgrind: str) -> str:
    try:
        return subprocess.run([valgrind, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def _tail(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    hit = [ln for ln in lines if UNHANDLED_RE.search(ln)]
    return (hit or lines or [""])[-1].replace("==", "").strip()[:200]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Instruction counts of one kernel variant under callgrind.")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--function", action="append", default=[], help="hot function symbol(s)")
    ap.add_argument("--size", default="test")
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args(argv)
    print(json.dumps(instructions(a.binary, a.variant, a.size, a.reps, a.function), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
