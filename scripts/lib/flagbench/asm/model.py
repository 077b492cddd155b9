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
  - otherwise the main loop only: cycles per iteration / items per iteration.
    The main loop is chosen by measured weight: the innermost loop with the most
    profile samples (flagbench/why/profile.py), else the one the trip counts say
    costs most per item; with neither, the innermost loop with the most items
    per iteration, which is only a guess (a checksum loop that reads one word
    per page wins it: memory/init read 88.6) and is said so.
Items per iteration: measured, else static.  The static count is in array
elements, so it applies only where the kernel's unit is 'elements'; for
'bytes' the profile's bytes per iteration (the distance the loop's memory
streams advance) is used; other units need measured trip counts.
Then ns = cycles / GHz, and ratio = measured / predicted (1.0 = the model is right;
above 1, the machine is slower than llvm-mca's model: cache misses, frequency,
front-end effects the model does not see).  A ratio outside 0.3-3 is marked
'suspect' with the likely reason.
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

from .. import check


TRIP_SIZES = (4099, 8195)  # same remainder modulo every power of two up to 4096
SUSPECT_LOW, SUSPECT_HIGH = 0.3, 3.0
STATIC_UNITS = ("elements",)    # where one item is one element of the arrays a loop walks
MIN_FUNCTION_SHARE = 50         # % of the function's samples the modelled loop must hold


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


def loop_profile(profile):
    """{loop index: profile loop entry} from a why/profile.py document (or {})."""
    return {lp["index"]: lp for lp in (profile or {}).get("loops") or [] if "index" in lp}


def choose_loop(rows, profile=None):
    """The main loop among rows [(mca loop, cycles, iterations/item, items/iteration, unsound)]:
    (row, how).  Measured weight first: profile samples, then trip counts."""
    prof = loop_profile(profile)
    weighted = [(prof[r[0]["index"]].get("percent") or 0, r) for r in rows if r[0]["index"] in prof]
    if weighted and max(w for w, _ in weighted) > 0:
        w, row = max(weighted, key=lambda x: x[0])
        share = prof[row[0]["index"]].get("percent_of_function")
        if share is not None and share < MIN_FUNCTION_SHARE:
            # The time is elsewhere, e.g. in a loop that is not innermost
            # (llvm-mca models innermost loops only): a ratio would be of the
            # wrong loop.
            other = max(prof.values(), key=lambda lp: lp.get("percent") or 0)
            where = (f"; loop {other['index']} holds {other.get('percent_of_function'):g}% of them"
                     + ("" if other.get("innermost") else " but is not innermost, so llvm-mca did not model it")
                     if other["index"] != row[0]["index"] else "")
            return None, (f"the hottest modelled loop {row[0]['index']} holds only {share:g}% of the "
                          f"function's samples{where}")
        return row, f"hottest loop {row[0]['index']} ({w:g}% of samples)"
    timed = [(r[2] * r[1], r) for r in rows if r[2] is not None and r[1] is not None]
    if timed and max(t for t, _ in timed) > 0:
        _, row = max(timed, key=lambda x: x[0])
        return row, f"loop {row[0]['index']}, most cycles per item by measured trip counts"
    unknown = [r[0]["index"] for r in rows if not r[3]]
    if unknown:
        # Guessing from the loops that are known would pick a remainder loop
        # whenever the vector loop is the unknown one: no choice instead.
        return None, (f"items per iteration unknown for loop(s) {unknown} and no measured weight "
                      "(see loop_details items_why; analyze.py --trip-counts measures it)")
    row = max(rows, key=lambda r: r[3])
    return row, (f"loop {row[0]['index']}: no measured weight (no profile, no trip counts), "
                 "so the loop with the most items per iteration, a guess")


def _items(lp, detail, unit, profile):
    """(items per iteration of one loop, why when None) for this kernel's unit."""
    measured = detail.get("items_per_iteration_measured") or lp.get("items_per_iteration_measured")
    if measured:
        return measured, ""
    if unit in (None, *STATIC_UNITS):
        static = detail.get("items_per_iteration") or lp.get("items_per_iteration")
        if static:
            return static, ""
        return None, f"items per iteration unknown for loop {lp['index']}: " + \
            (detail.get("items_why") or "no static count") + " (analyze.py --trip-counts measures it)"
    if unit == "bytes":
        b = loop_profile(profile).get(lp["index"], {}).get("bytes_per_iteration")
        if b:
            return b, ""
        return None, (f"an item is a byte and the bytes loop {lp['index']} walks per iteration are "
                      "unknown (no profile, or its memory streams disagree; --trip-counts measures it)")
    return None, (f"an item of this kernel is one of its {unit}, not an array element, so items per "
                  "iteration cannot be read off the loop (analyze.py --trip-counts measures it)")


def predict(asm_doc, cpu=None, profile=None, unit=None):
    """Predicted cycles per item for one variant from its asm JSON; (value, how, unsound, cpu).
    profile: the cell's why/profile.py document (loop weights, bytes per iteration);
    unit: the kernel's unit (describe.json), which decides whether static counts apply."""
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
        items, _ = _items(lp, d, unit, profile)
        rows.append((lp, r.get("cycles_per_iteration"), d.get("iterations_per_item"),
                     items, r.get("unsound") or []))
    if all(c is not None and ipi is not None for _, c, ipi, _, _ in rows):
        total = sum(c * ipi for _, c, ipi, _, _ in rows)
        unsound = sorted({u for *_, us in rows for u in us})
        return total, f"sum over {len(rows)} innermost loop(s), measured trip counts, {cpu}", unsound, cpu
    row, chosen = choose_loop(rows, profile)
    if row is None:
        return None, chosen, [], cpu
    lp, c, _, ipi, unsound = row
    if not ipi:
        return None, _items(lp, details.get(lp["index"], {}), unit, profile)[1] + f" ({chosen})", [], cpu
    if c is None:
        return None, f"llvm-mca has no result for loop {lp['index']} on {cpu}: " + \
            "; ".join(unsound or ["unknown"]), unsound, cpu
    return c / ipi, f"main loop {lp['index']} only ({chosen}; {ipi} items/iteration), {cpu}", unsound, cpu


def suspect(ratio, method, profile=None, unsound=()):
    """Why a ratio outside SUSPECT_LOW..SUSPECT_HIGH is not to be trusted, or None."""
    if ratio is None or SUSPECT_LOW <= ratio <= SUSPECT_HIGH:
        return None
    share = ""
    m = re.search(r"hottest loop (\d+) \(([\d.]+)% of samples\)", method or "")
    if m:
        fn_pct = loop_profile(profile).get(int(m.group(1)), {}).get("percent_of_function")
        share = f" The loop holds {m.group(2)}% of all samples" + \
            (f" ({fn_pct:g}% of the function's)" if fn_pct is not None else "") + "."
    kernel = sum(h.get("percent") or 0 for h in (profile or {}).get("hot_symbols") or []
                 if str(h.get("dso", "")).startswith("[kernel"))
    if kernel >= 20:
        share += f" The OS kernel holds at least {kernel:.0f}% of the samples (page faults, system calls)."
    if "a guess" in (method or ""):
        share += " The loop was not chosen by measured weight (no profile or trip counts)."
    extra = f" llvm-mca flags it: {'; '.join(unsound)}." if unsound else ""
    if ratio > SUSPECT_HIGH:
        return (f"suspect: measured {ratio:g}x slower than llvm-mca's model. Likely time outside the "
                "modelled loop (setup, page faults, calls, other loops) or memory-bound: llvm-mca "
                "assumes every access hits L1." + share + extra)
    return (f"suspect: measured {1 / ratio:.3g}x faster than llvm-mca's model. The loop runs less "
            "than the model assumes per item (early exit, items per iteration underestimated) or "
            "is not where the time goes." + share + extra)


def model_vs_measurement(asm_doc, ns_per_item, ghz, cpu=None, profile=None, unit=None):
    cycles, how, unsound, cpu = predict(asm_doc, cpu, profile, unit)
    out = compare(cycles, ns_per_item, ghz)
    out.update({"cpu": cpu, "method": how, "unsound": unsound})
    if cycles is None:
        out["why"] = how
    s = suspect(out.get("ratio"), how, profile, unsound)
    if s:
        out["suspect"] = s
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
        return callgrind_counts(out, names), check.reported_items(p.stdout, variant), ""


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
    ap.add_argument("--profile", help="profile/<variant>.json (flagbench/why/profile.py): the hottest loop")
    ap.add_argument("--unit", help="the kernel's unit (describe.json): static counts need 'elements'")
    a = ap.parse_args(argv)
    try:
        doc = json.loads(Path(a.asm).read_text())
        profile = json.loads(Path(a.profile).read_text()) if a.profile else None
        ns = a.ns_per_item if a.ns_per_item is not None else ns_per_item_from(
            json.loads(Path(a.time).read_text()))
    except (OSError, ValueError) as e:
        print(f"model.py: {e}", file=sys.stderr)
        return 2
    ghz, source = (a.ghz, "--ghz") if a.ghz else host_ghz()
    out = model_vs_measurement(doc, ns, ghz, a.cpu, profile, a.unit)
    out["ghz_source"] = source
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
