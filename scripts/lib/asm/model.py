#!/usr/bin/env python3
"""llvm-mca's prediction set against the harness's measurement, per kernel variant.

llvm-mca predicts cycles per loop iteration; the harness measures ns per item.
Joining them needs items per iteration, which comes from one of:
  - measured (exact): callgrind counts how often each loop's back-edge branch
    runs in one repetition at two input sizes; the difference over the
    difference in items is iterations per item, for any kind of item
    (add_trip_counts, or analyze.py --trip-counts);
  - static: the loop's induction step, scale and element size (loops.py), when an
    item is one element of the arrays the loop walks.
When neither is known the comparison is null with the reason.

Prediction per item:
  - with measured trip counts for every innermost loop:
    sum over loops of (iterations per item x cycles per iteration);
  - otherwise the main loop only (the innermost loop with the most items per
    iteration): cycles per iteration / items per iteration.
Then ns = cycles / GHz, and ratio = measured / predicted (1.0 = the model is right;
above 1, the machine is slower than llvm-mca's model: cache misses, frequency,
front-end effects the model does not see).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

TRIP_SIZES = (4099, 8195)  # same remainder modulo every power of two up to 4096


def compare(cycles_per_item, ns_per_item, ghz):
    """Predicted cycles per item against measured ns per item; every field that the
    inputs allow, and 'why' naming what is missing."""
    out = {"ghz": ghz,
           "predicted_cycles_per_item": _sig(cycles_per_item) if cycles_per_item else None,
           "measured_cycles_per_item": _sig(ns_per_item * ghz) if ns_per_item and ghz else None,
           "predicted_ns_per_item": _sig(cycles_per_item / ghz) if cycles_per_item and ghz else None,
           "measured_ns_per_item": ns_per_item, "ratio": None}
    if out["predicted_ns_per_item"] and ns_per_item:
        out["ratio"] = round(ns_per_item / (cycles_per_item / ghz), 3)
    else:
        missing = [n for n, v in (("predicted cycles per item", cycles_per_item),
                                  ("measured ns per item", ns_per_item), ("CPU frequency", ghz))
                   if not v]
        out["why"] = "no " + ", ".join(missing)
    return out


def _sig(x, digits=5):
    return float(f"{x:.{digits}g}")


def predict(asm_doc, cpu=None):
    """Predicted cycles per item for one variant from its asm JSON; (value, how, unsound)."""
    mca = asm_doc.get("mca") or {}
    loops = mca.get("loops") or []
    if not asm_doc.get("found"):
        return None, "variant not found in the binary", [], cpu
    if not loops:
        return None, mca.get("skipped") or "no innermost loop (nothing for llvm-mca)", [], cpu
    if cpu is None:  # the measurement ran on this machine: prefer its model
        cpu = "host"
        if not any((lp["per_cpu"].get(cpu) or {}).get("cycles_per_iteration") for lp in loops):
            cpu = mca.get("target_cpu")
    details = {d["index"]: d for d in asm_doc.get("loop_details") or []}
    rows = []
    for lp in loops:
        r = lp["per_cpu"].get(cpu) or {}
        d = details.get(lp["index"], {})
        rows.append((lp, r.get("cycles_per_iteration"), d.get("iterations_per_item"),
                     d.get("items_per_iteration_measured") or lp.get("items_per_iteration"),
                     r.get("unsound") or []))
    if all(c is not None and ipi is not None for _, c, ipi, _, _ in rows):
        total = sum(c * ipi for _, c, ipi, _, _ in rows)
        unsound = sorted({u for *_, us in rows for u in us})
        return total, f"sum over {len(rows)} innermost loop(s), measured trip counts, {cpu}", unsound, cpu
    unknown = [row[0]["index"] for row in rows if not row[3]]
    if unknown:
        # Guessing from the loops that are known would pick a remainder loop
        # whenever the vector loop is the unknown one: no prediction instead.
        return None, f"items per iteration unknown for loop(s) {unknown} (see loop_details " \
                     "items_why; analyze.py --trip-counts measures it)", [], cpu
    lp, c, _, ipi, unsound = max(rows, key=lambda row: row[3])
    if c is None:
        return None, f"llvm-mca has no result for loop {lp['index']} on {cpu}: " + \
            "; ".join(unsound or ["unknown"]), unsound, cpu
    return c / ipi, f"main loop {lp['index']} only ({ipi} items/iteration), {cpu}", unsound, cpu


def model_vs_measurement(asm_doc, ns_per_item, ghz, cpu=None):
    cycles, how, unsound, cpu = predict(asm_doc, cpu)
    out = compare(cycles, ns_per_item, ghz)
    out.update({"cpu": cpu, "method": how, "unsound": unsound})
    if cycles is None:
        out["why"] = how
    return out


def ns_per_item_from(doc):
    """Median of every 'ns_per_item' in a time JSON (hyperfine export + harness lines)."""
    found = []

    def walk(x):
        if isinstance(x, dict):
            if isinstance(x.get("ns_per_item"), (int, float)):
                found.append(float(x["ns_per_item"]))
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
    walk(doc)
    return statistics.median(found) if found else None


def host_ghz():
    """(GHz, source) from /proc/cpuinfo's current clock; a VM often reports the nominal one."""
    try:
        mhz = [float(m) for m in re.findall(r"^cpu MHz\s*:\s*([\d.]+)", Path("/proc/cpuinfo").read_text(), re.M)]
    except OSError:
        mhz = []
    if not mhz:
        return None, "unknown (pass --ghz)"
    return round(max(mhz) / 1000, 3), "/proc/cpuinfo cpu MHz (max over CPUs)"


# ---- trip counts under callgrind -------------------------------------------------


def callgrind_counts(out_file, names):
    """Executions per instruction address of the named functions (one callgrind file)."""
    counts, in_fn, skip = {}, False, False
    with open(out_file) as f:
        for line in f:
            if line.startswith("fn="):
                in_fn = line[3:].strip().split(" ", 1)[-1] in names if line[3:4] == "(" else \
                    line[3:].strip() in names
                continue
            if skip:
                skip = False
                continue
            if line.startswith("calls="):
                skip = True
                continue
            if in_fn and line.startswith("0x"):
                parts = line.split()
                if len(parts) >= 2:
                    a = int(parts[0], 16)
                    counts[a] = counts.get(a, 0) + int(parts[1])
    return counts


def run_harness(binary_path, variant, size, names, emulator=None, timeout=300):
    """One repetition at one size under callgrind: (executions by address, items, why)."""
    valgrind = shutil.which("valgrind")
    if not valgrind:
        return None, None, "valgrind is not installed"
    if emulator:
        return None, None, "trip counts need a native binary (this one runs under an emulator)"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = [valgrind, "--tool=callgrind", "--dump-instr=yes", "--dump-line=no",
               "--compress-pos=no", "--compress-strings=no", f"--callgrind-out-file={out}",
               binary_path, "--variant", variant, "--size", str(size), "--reps", "1", "--warmup", "0"]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, None, f"callgrind run timed out after {timeout} s"
        if p.returncode == 3:
            return None, None, ("exit 3 under valgrind: the CPU valgrind presents lacks this "
                                "variant's features (valgrind has no AVX-512)")
        if p.returncode != 0:
            tail = (p.stderr.strip().splitlines() or [""])[-1]
            return None, None, f"exit {p.returncode} under valgrind (unsupported instructions?): {tail}"
        items = None
        for ln in p.stdout.splitlines():
            try:
                j = json.loads(ln)
            except ValueError:
                continue
            if j.get("variant") == variant:
                items = j.get("items")
        return callgrind_counts(out, names), items, ""


def add_trip_counts(binary_path, binary, docs, emulator=None, sizes=TRIP_SIZES):
    """Adds iterations_per_item / items_per_iteration_measured to each loop of each found doc."""
    for variant, doc in docs.items():
        if not doc.get("found") or not doc.get("loop_details"):
            continue
        names = set(doc["symbols"])
        runs = []
        for size in sizes:
            counts, items, why = run_harness(binary_path, variant, size, names, emulator)
            if counts is None or not items:
                doc["trip_counts"] = {"why": why or "the harness printed no item count"}
                break
            runs.append((counts, items))
        else:
            parts = {s.name: s for s in binary.functions if s.name in names}
            (c1, i1), (c2, i2) = runs
            doc["trip_counts"] = {"sizes": list(sizes), "items": [i1, i2], "method": "callgrind"}
            for d in doc["loop_details"]:
                sym = parts.get(d["back_edge"]["symbol"])
                if sym is None or i2 == i1:
                    continue
                addr = sym.addr + d["back_edge"]["offset"]
                b1, b2 = c1.get(addr, 0), c2.get(addr, 0)
                ipi = (b2 - b1) / (i2 - i1)
                d["iterations_per_item"] = round(ipi, 6)
                d["items_per_iteration_measured"] = round(1 / ipi, 3) if ipi > 0 else None
        for lp in (doc.get("mca") or {}).get("loops") or []:
            d = doc["loop_details"][lp["index"] - 1]
            if d.get("items_per_iteration_measured"):
                lp["items_per_iteration_measured"] = d["items_per_iteration_measured"]


def main(argv=None):
    ap = argparse.ArgumentParser(description="llvm-mca prediction against measured time per item, "
                                             "for one kernel variant (prints JSON).")
    ap.add_argument("--asm", required=True, help="asm/<variant>.json written by analyze.py")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--ns-per-item", type=float, help="the measured time per item")
    g.add_argument("--time", help="time/<variant>.json (median of its ns_per_item values)")
    ap.add_argument("--ghz", type=float, help="CPU clock (default: /proc/cpuinfo)")
    ap.add_argument("--cpu", help="which llvm-mca CPU result (default: the target, else host)")
    a = ap.parse_args(argv)
    try:
        doc = json.loads(Path(a.asm).read_text())
        ns = a.ns_per_item if a.ns_per_item is not None else ns_per_item_from(
            json.loads(Path(a.time).read_text()))
    except (OSError, ValueError) as e:
        print(f"model.py: {e}", file=sys.stderr)
        return 2
    ghz, source = (a.ghz, "--ghz") if a.ghz else host_ghz()
    out = model_vs_measurement(doc, ns, ghz, a.cpu)
    out["ghz_source"] = source
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
