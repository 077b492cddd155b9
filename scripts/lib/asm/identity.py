"""The key under which two cells (one variant, two configurations) may share one timing.

Two cells run the same only when everything that decides their speed is the same:
the code reachable from the hot function (code_hash, dispatch targets included),
the data that code reads (data_hash), the shared libraries loaded (by content),
the floating-point environment at start-up (the harness's "fpenv": FTZ/DAZ in
MXCSR, FPCR on AArch64) and the dispatch path taken (the harness's "dispatch").
dedupe_key hashes exactly those five; anything unknown about the code gives None,
which must mean "never merge".
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
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]
