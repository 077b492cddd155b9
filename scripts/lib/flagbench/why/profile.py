#!/usr/bin/env python3
"""One untimed run of a cell under `perf record`: hot symbols, samples per line of
the normalized assembly (asm/<variant>.s) and per loop, and folded stacks for
the flame graph.

Samples land on instruction addresses; `perf script` gives each as symbol +
offset, which does not depend on where the binary was loaded.  The normalizer
(scripts/lib/flagbench/asm/normalize.py) knows, for every instruction it keeps, its
address and its line in the text, so capturing the function again from the
same binary gives the offset -> line table.  Padding (nops) has no line: a
sample there is counted as `unmapped`.

The event is `cycles` where the machine has hardware counters and `cpu-clock`
(a timer) where it has none, as in most VMs; counters.event() checks once.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flagbench.run.layout import AsmDir, ProfileDir
from flagbench.why import counters, flame, perfscript

FREQ = 4000          # samples per second: ~1000-2000 samples for a 0.3 s run
TOP_SYMBOLS = 12


def line_table(binary, function: str):
    """({(symbol name, offset): line}, Function) for one hot function, or (None, why)."""
    from flagbench.asm import analyze
    got, why = analyze.capture(binary, function)
    if got is None:
        return None, why
    fn = got[0]
    table = {}
    for ins in fn.insns:
        part = fn.parts[ins.part]
        # Every byte, not only the start: a prefix objdump printed on a line of
        # its own is merged into the next instruction, whose address perf reports.
        for k in range(ins.size):
            table[(part.name, ins.addr - part.addr + k)] = ins.line
    return (table, fn, got[1]), ""


def stream_bytes(fn, lp) -> int | None:
    """Bytes one iteration of the loop advances through memory, when every stream
    that moves with the induction variable agrees (x86 AT&T only); the items per
    iteration of a kernel whose unit is bytes.  Uses asm/loops.py's own operand
    helpers so that both readings of a loop agree."""
    from flagbench.asm import loops as L
    if fn.arch != "x86_64" or fn.syntax != "att":
        return None
    insns = lp.insns(fn)
    steps = L._x86_steps(insns)
    advances = set()
    for ins in insns:
        if ins.base.startswith("lea"):
            continue
        for op in ins.ops:
            m = L.ATT_MEM_RE.match(op)
            if not m:
                continue
            base, index, scale = m.group(2), m.group(3), int(m.group(4) or 1)
            if index and L._x86_reg(index) in steps:
                advances.add(abs(steps[L._x86_reg(index)] * scale))
            elif base and base != "%rip" and L._x86_reg(base) in steps:
                advances.add(abs(steps[L._x86_reg(base)]))
    return advances.pop() if len(advances) == 1 else None


def hot_symbols(samples: list, top: int = TOP_SYMBOLS) -> list:
    """Self samples per symbol (the leaf frame), most first."""
    tot = perfscript.total(samples) or 1
    by = {}
    for s in samples:
        f = s.frames[0] if s.frames else None
        key = (f.symbol, os.path.basename(f.dso)) if f else ("[no frame]", "")
        by[key] = by.get(key, 0) + s.period
    rows = sorted(by.items(), key=lambda kv: -kv[1])[:top]
    return [{"symbol": k[0], "dso": k[1], "percent": round(100 * v / tot, 2)} for k, v in rows]


def map_lines(samples: list, table: dict, parts: list) -> dict:
    """Leaf samples inside the hot function's parts -> {line: weight}, plus 'unmapped'."""
    names = set(parts)
    lines, unmapped, inside = {}, 0, 0
    for s in samples:
        f = s.frames[0] if s.frames else None
        if f is None or f.symbol not in names or f.offset is None:
            continue
        inside += s.period
        line = table.get((f.symbol, f.offset))
        if line is None:
            unmapped += s.period
        else:
            lines[line] = lines.get(line, 0) + s.period
    return {"lines": lines, "unmapped": unmapped, "inside": inside}


def _loop_lines(d: dict) -> list:
    ranges = d.get("line_ranges") or [d["lines"]]
    return [(a, b) for a, b in ranges]


def loop_shares(loop_details: list, lines: dict, total_weight: int, fn_weight: int) -> list:
    """Per loop: percent of all samples and of the function's samples."""
    out = []
    for d in loop_details or []:
        w = sum(v for ln, v in lines.items() if any(a <= ln <= b for a, b in _loop_lines(d)))
        out.append({"index": d["index"], "innermost": bool(d.get("innermost")),
                    "lines": d["lines"],
                    "percent": round(100 * w / total_weight, 2) if total_weight else 0.0,
                    "percent_of_function": round(100 * w / fn_weight, 2) if fn_weight else 0.0})
    return out


def hottest_loop(loops: list) -> dict | None:
    """The innermost loop with the most samples (None when no loop has any)."""
    cands = [lp for lp in loops if lp["innermost"] and lp["percent"] > 0]
    return max(cands, key=lambda lp: lp["percent"]) if cands else None


def summarize(samples: list, function: str, binary=None, asm_doc: dict | None = None,
              stored_text: str | None = None) -> dict:
    """The profile document of one cell from its parsed samples."""
    tot = perfscript.total(samples)
    doc = {"samples": len(samples), "weight": tot,
           "event": samples[0].event if samples else None,
           "hot_symbols": hot_symbols(samples), "function": function}
    if not samples:
        doc["why"] = "perf recorded no samples"
        return doc
    if binary is None:
        doc["lines_why"] = "no binary to map samples onto"
        return doc
    got, why = line_table(binary, function)
    if got is None:
        doc["lines_why"] = why
        return doc
    table, fn, _ = got
    m = map_lines(samples, table, [p.name for p in fn.parts])
    inside = m["inside"]
    doc["function_percent"] = round(100 * inside / tot, 2) if tot else 0.0
    if stored_text is not None and stored_text != fn.text:
        doc["lines_why"] = ("the stored assembly is not this binary's (rebuilt since?): "
                            "samples are not mapped onto its lines")
        return doc
    doc["unmapped_percent"] = round(100 * m["unmapped"] / tot, 2) if tot else 0.0
    doc["line_percent"] = {str(k): round(100 * v / tot, 2) for k, v in sorted(m["lines"].items())}
    details = (asm_doc or {}).get("loop_details")
    if details is None:
        from flagbench.asm import analyze
        details = analyze.loop_details(fn, got[2])
    doc["loops"] = loop_shares(details, m["lines"], tot, inside)
    for entry, lp in zip(doc["loops"], got[2]):
        entry["bytes_per_iteration"] = stream_bytes(fn, lp)
    hot = hottest_loop(doc["loops"])
    doc["hottest_loop"] = hot["index"] if hot else None
    return doc


def record(cmd: list, data: str, event: str, callgraph: bool = True, timeout: int = 600):
    """perf record of one command; (ok, why)."""
    perf = shutil.which("perf")
    if not perf:
        return False, "perf is not installed"
    args = [perf, "record", "-q", "-e", event, "-F", str(FREQ), "-o", data]
    if callgraph:
        args.append("-g")
    try:
        p = subprocess.run(args + ["--"] + cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"perf record timed out after {timeout} s"
    if p.returncode != 0:
        tail = (p.stderr.strip().splitlines() or [""])[-1]
        return False, f"perf record exited {p.returncode}: {tail}"
    return True, ""


def script(data: str) -> str:
    p = subprocess.run(["perf", "script", "-i", data, "-F", perfscript.FIELDS],
                       capture_output=True, text=True, timeout=600)
    return p.stdout


def profile_cell(exe: str, variant: str, size: str, reps: int | None, out_dir: str,
                 kernel: str | None = None, asm_dir: str | None = None,
                 emulator: list | None = None, base_folded: str | None = None) -> dict:
    """One untimed perf-record run of `exe --variant V --size S --reps N` (reps None:
    what --describe says a timed process of that size runs).

    Writes in out_dir: <variant>.json (this function's result), <variant>.folded
    (folded stacks), <variant>.svg (flame graph) and, with base_folded (the
    baseline cell's .folded file), <variant>.diff.svg.  asm_dir is the cell's
    asm/ folder: its <variant>.json gives the loops and its <variant>.s is
    checked against the binary before lines are mapped.  Never raises for a
    tool failure: the result then has 'why'."""
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = (kernel or "").split("/")[-1] or Path(exe).name.split("_", 1)[-1]
    function = f"{name}_{variant}"
    if reps is None:
        reps = default_reps(exe, size)
    doc = {"variant": variant, "size": size, "reps": reps, "function": function}
    if emulator:
        doc["why"] = "perf cannot profile inside an emulator (qemu-user): not profiled"
        return _finish(doc, out, variant, t0)
    ev = counters.event()
    doc["event"] = ev["event"]
    doc["event_note"] = ev.get("note")
    with tempfile.TemporaryDirectory(prefix="fb-perf-") as tmp:
        data = os.path.join(tmp, "perf.data")
        ok, why = record([exe, "--variant", variant, "--size", str(size), "--reps", str(reps)],
                         data, ev["event"])
        if not ok:
            doc["why"] = why
            return _finish(doc, out, variant, t0)
        text = script(data)
    samples = perfscript.parse(text)
    asm_doc, stored = None, None
    if asm_dir:
        try:
            asm_doc = json.loads(AsmDir(asm_dir).summary(variant).read_text())
            stored = AsmDir(asm_dir).text(variant).read_text()
        except (OSError, ValueError):
            asm_doc, stored = None, None
    try:
        from flagbench.asm import disasm
        binary = disasm.Binary(exe)
    except Exception as e:  # noqa: BLE001 - an unreadable binary still has hot symbols
        binary = None
        doc["lines_why"] = f"cannot disassemble {exe}: {e}"
    doc.update(summarize(samples, function, binary, asm_doc, stored))
    folded = flame.fold(samples)
    files = ProfileDir(out)
    files.folded(variant).write_text(flame.folded_text(folded))
    title = f"{kernel or name}/{variant}"
    files.flame_graph(variant).write_text(flame.svg(folded, title=title))
    doc["flame_graph"] = files.flame_graph(variant).name
    if base_folded and Path(base_folded).exists():
        base = flame.read_folded(Path(base_folded).read_text())
        files.diff_flame_graph(variant).write_text(flame.diff_svg(base, folded, title=title + " vs baseline"))
        doc["diff_flame_graph"] = files.diff_flame_graph(variant).name
    return _finish(doc, out, variant, t0)


def default_reps(exe: str, size: str) -> int:
    """The repetitions a timed process of this size runs (--describe's reps), else 1."""
    try:
        p = subprocess.run([exe, "--describe"], capture_output=True, text=True, timeout=60)
        return int(json.loads(p.stdout).get("reps", {}).get(str(size)) or 1)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 1


def _finish(doc: dict, out: Path, variant: str, t0: float) -> dict:
    doc["seconds"] = round(time.perf_counter() - t0, 3)
    path = ProfileDir(out).summary(variant)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    os.replace(tmp, path)
    return doc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Profile one kernel variant under perf record "
                                             "(writes OUT/<variant>.json, .folded, .svg).")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--kernel", required=True, help="family/name")
    ap.add_argument("--variant", required=True)
    ap.add_argument("--size", default="ref")
    ap.add_argument("--reps", type=int, help="default: the binary's own for --size")
    ap.add_argument("--asm-dir", help="the cell's asm/ folder (loops; line check)")
    ap.add_argument("--base-folded", help="the baseline's .folded, for a differential flame graph")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    doc = profile_cell(a.binary, a.variant, a.size, a.reps, a.out, kernel=a.kernel,
                       asm_dir=a.asm_dir, base_folded=a.base_folded)
    print(json.dumps(doc, indent=1))
    return 0 if not doc.get("why") else 1


if __name__ == "__main__":
    sys.exit(main())
