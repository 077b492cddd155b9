"""The key under which two cells (one variant, two configurations) may share one timing.

Two cells run the same only when everything that decides their speed is the same:
the code reachable from the hot function (code_hash, dispatch targets included),
the data that code reads (data_hash), the shared libraries loaded (by content),
the floating-point environment at start-up (the harness's "fpenv": FTZ/DAZ in
MXCSR, FPCR on AArch64), the dispatch path taken (the harness's "dispatch") and
the alignment the hot function and its loops keep across the layout seeds.
dedupe_key hashes exactly those six; anything unknown about the code gives None,
which must mean "never merge".

Alignment is there because alignment flags (-falign-functions=64, ...) change
where code may land without changing one instruction: with them every seed
puts the function on a 64-byte boundary, without them the seeds spread it over
the four 16-byte offsets of a cache line.  Cells that differ in that are
different measurements.  Configurations that only move code keep the same
alignment, so they still share a timing.
"""
import hashlib
import json

SCHEMA = "flagbench-dedupe/1"


def dedupe_key(asm_json, check_line):
    """A hex key for the cell, or None when its code is not known well enough to merge.

    asm_json: the variant's asm/<variant>.json (analyze.py); check_line: the harness's JSON
    line (a dict) from the check run; its "fpenv" and "dispatch" are used when present."""
    if not asm_json or not asm_json.get("found"):
        return None
    code, data, libs = asm_json.get("code_hash"), asm_json.get("data_hash"), asm_json.get("libraries")
    if not code or not data or libs is None:
        return None  # written by an analyze.py without the closure: cannot prove sameness
    check_line = check_line or {}
    doc = {
        "schema": SCHEMA,
        "code_hash": code,
        "data_hash": data,
        "libraries": sorted([lib.get("soname"), lib.get("sha256") or lib.get("path")] for lib in libs),
        "fpenv": check_line.get("fpenv"),
        "dispatch": check_line.get("dispatch"),
        "alignment": alignment(asm_json),
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _alignment_of(addrs):
    """The largest power of two up to 64 that divides every address."""
    a = 64
    while a > 1 and any(x % a for x in addrs):
        a //= 2
    return a


def alignment(asm_json):
    """{"function": A, "loops": [A, ...]}: the alignment (a power of two up to
    64) that the hot function's start and each loop's start keep in every
    layout seed's binary; None when the asm has no layout record."""
    seeds = [rec for rec in (asm_json.get("layout") or {}).values() if "function" in rec]
    if not seeds:
        return None
    loops = [[lp["start"]["addr"] for lp in rec.get("loops") or []] for rec in seeds]
    return {"function": _alignment_of([rec["function"]["addr"] for rec in seeds]),
            "loops": [_alignment_of(list(col)) for col in zip(*loops)]}
