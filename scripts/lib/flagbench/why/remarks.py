#!/usr/bin/env python3
"""Optimization remarks per hot function: what the compiler says it did.

Reads what `-fsave-optimization-record` writes next to each object (CMake
option FB_REMARKS=ON adds it):
  - GCC: <object-stem>.opt-record.json.gz, a JSON array [header, passes, records],
    records nested through 'children' (GCC 12 names the file after the object
    path without its last suffix plus the source's: kernels/.../reduce.c.c.opt-record.json.gz);
  - Clang: <object-stem>.opt.yaml, a stream of YAML documents (!Passed,
    !Missed, !Analysis...), one per remark.
and keeps, per function, four kinds of facts:
  vectorized   {line, bits (GCC: vector bytes x 8), lanes (Clang: vectorization
               factor), interleave (Clang's interleave count; GCC has none)}
  missed       {line, reason}              a loop the vectorizer gave up on
  inlined      {callee, line} / not_inlined {callee, reason}
  unrolled     {line, how}
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

from flagbench.kernels import binary_name


KINDS = ("vectorized", "missed", "inlined", "not_inlined", "unrolled")


def _empty() -> dict:
    return {k: [] for k in KINDS}


def _add(out: dict, fn: str, kind: str, item: dict) -> None:
    if not fn:
        return
    lst = out.setdefault(fn, _empty())[kind]
    if item not in lst:
        lst.append(item)


# ---- GCC ---------------------------------------------------------------------

GCC_VEC_RE = re.compile(r"loop vectorized using (\d+) byte vectors")
GCC_INLINE_RE = re.compile(r"Inlining (\S+?)(?:/\d+)? into (\S+?)(?:/\d+)?\.?\s*$")
GCC_NOT_INLINE_RE = re.compile(r"not inlinable: (\S+?)(?:/\d+)? -> (\S+?)(?:/\d+)?, ([^\n]+)")
GCC_UNROLL_RE = re.compile(r"(loop with \d+ iterations completely unrolled|loop unrolled \d+ times"
                           r"|completely unrolled)")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _gcc_text(message: list) -> str:
    parts = []
    for x in message:
        if isinstance(x, str):
            parts.append(x)
        elif isinstance(x, dict):
            parts.append(str(x.get("symtab_node") or x.get("expr") or x.get("stmt") or ""))
    return "".join(parts)


def _gcc_failures(rec: dict) -> list:
    out = []
    for c in rec.get("children") or []:
        if c.get("kind") == "failure":
            t = _gcc_text(c.get("message") or []).strip()
            if t:
                out.append(t)
        out += _gcc_failures(c)
    return out


def parse_gcc(doc: list) -> dict:
    """A loaded .opt-record.json -> {function: facts}."""
    out = {}
    records = doc[2] if len(doc) > 2 and isinstance(doc[2], list) else []
    pending_missed = {}   # function -> index of a "couldn't vectorize loop" awaiting its reason
    pending_reason = {}   # function -> a "not vectorized: ..." seen before its loop's record

    def walk(recs, top):
        for r in recs:
            fn = r.get("function") or ""
            text = _gcc_text(r.get("message") or []).strip()
            line = (r.get("location") or {}).get("line")
            kind = r.get("kind")
            m = GCC_VEC_RE.search(text)
            if kind == "success" and m:
                _add(out, fn, "vectorized", {"line": line, "bits": int(m.group(1)) * 8,
                                             "lanes": None, "interleave": None})
            elif kind == "success" and GCC_UNROLL_RE.search(text):
                _add(out, fn, "unrolled", {"line": line, "how": text.split("(")[0].strip()})
            elif kind == "success" and GCC_INLINE_RE.search(text):
                mm = GCC_INLINE_RE.search(text)
                _add(out, mm.group(2), "inlined", {"callee": mm.group(1), "line": line})
            elif kind == "failure" and GCC_NOT_INLINE_RE.search(text):
                for mm in GCC_NOT_INLINE_RE.finditer(text):
                    _add(out, mm.group(1), "not_inlined", {"callee": mm.group(2),
                                                           "reason": mm.group(3).strip()})
            elif top and kind == "failure" and text.startswith("couldn't vectorize loop"):
                _add(out, fn, "missed", {"line": line, "reason": pending_reason.pop(fn, None)})
                if out[fn]["missed"][-1]["reason"] is None:
                    pending_missed[fn] = len(out[fn]["missed"]) - 1
            elif top and kind == "failure" and text.startswith("not vectorized:"):
                reason = _one_line(text[len("not vectorized:"):])
                if fn in pending_missed:
                    out[fn]["missed"][pending_missed.pop(fn)]["reason"] = reason
                else:
                    pending_reason[fn] = reason
            if r.get("children"):
                walk(r["children"], False)
    walk(records, True)
    for facts in out.values():
        for item in facts["missed"]:
            if item["reason"] is None:
                item["reason"] = "no reason given"
    return out


# ---- Clang -------------------------------------------------------------------

def _yaml_scalar(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == "'" and v[-1] == "'":
        return v[1:-1].replace("''", "'")
    if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
        return v[1:-1]
    return v


def clang_documents(text: str) -> list:
    """The remark documents of an .opt.yaml: {kind, Pass, Name, Function, Line, args [(key, value)]}."""
    docs, cur, in_args = [], None, False
    for raw in text.splitlines():
        if raw.startswith("--- !"):
            cur = {"kind": raw[5:].strip(), "args": []}
            docs.append(cur)
            in_args = False
            continue
        if cur is None or raw.startswith("..."):
            continue
        if not raw.startswith(" "):
            key, _, val = raw.partition(":")
            in_args = key == "Args"
            if key == "DebugLoc":
                m = re.search(r"Line:\s*(\d+)", val)
                cur["Line"] = int(m.group(1)) if m else None
            elif key in ("Pass", "Name", "Function"):
                cur[key] = _yaml_scalar(val)
            continue
        if in_args and raw.startswith("  - "):
            key, _, val = raw[4:].partition(":")
            cur["args"].append((key.strip(), _yaml_scalar(val)))
    return docs


def parse_clang(text: str) -> dict:
    out = {}
    for d in clang_documents(text):
        fn, p, name, kind, line = d.get("Function", ""), d.get("Pass"), d.get("Name"), d["kind"], d.get("Line")
        args = dict(d["args"])
        msg = "".join(v for _, v in d["args"])
        if p == "loop-vectorize" and name == "Vectorized":
            _add(out, fn, "vectorized", {"line": line, "bits": None,
                                         "lanes": int(args.get("VectorizationFactor", 0) or 0) or None,
                                         "interleave": int(args.get("InterleaveCount", 0) or 0) or None})
        elif p == "loop-vectorize" and kind.startswith("Analysis") and msg.startswith("loop not vectorized:"):
            _add(out, fn, "missed", {"line": line, "reason": msg[len("loop not vectorized:"):].strip()})
        elif p == "loop-vectorize" and kind == "Missed" and name == "MissedDetails":
            facts = out.setdefault(fn, _empty())
            if not any(m["line"] == line for m in facts["missed"]):
                _add(out, fn, "missed", {"line": line, "reason": msg})
        elif p == "inline" and kind == "Passed":
            _add(out, args.get("Caller", fn), "inlined", {"callee": args.get("Callee"), "line": line})
        elif p == "inline" and kind == "Missed":
            reason = msg.split("because", 1)[-1].strip() if "because" in msg else msg
            _add(out, args.get("Caller", fn), "not_inlined", {"callee": args.get("Callee"),
                                                              "reason": reason.strip(" '")})
        elif p == "loop-unroll" and kind == "Passed":
            _add(out, fn, "unrolled", {"line": line, "how": msg})
    return out


# ---- files -------------------------------------------------------------------

def parse_file(path: Path) -> dict:
    name = path.name
    if name.endswith(".opt-record.json.gz"):
        with gzip.open(path, "rt") as f:
            return parse_gcc(json.load(f))
    if name.endswith(".opt-record.json"):
        return parse_gcc(json.loads(path.read_text()))
    if name.endswith((".opt.yaml", ".opt.ld.yaml")) or ".opt.ld.yaml.thin." in name:  # .ld: link time (LTO)
        return parse_clang(path.read_text(errors="replace"))
    raise ValueError(f"{path}: not an optimization record (.opt-record.json[.gz] or .opt.yaml)")


def find_files(build_dir: str | Path) -> list:
    b = Path(build_dir)
    return sorted(list(b.rglob("*.opt-record.json.gz")) + list(b.rglob("*.opt-record.json"))
                  + list(b.rglob("*.opt.yaml")) + list(b.rglob("*.opt.ld.yaml"))
                  + list(b.rglob("*.opt.ld.yaml.thin.*.yaml")))   # ThinLTO: one per backend


def _base(name: str) -> str:
    from flagbench.asm import disasm
    return disasm.fold_name(name)[0]


def collect(build_dir, hot_functions, kernel: str | None = None) -> dict:
    """{'files': n, 'functions': {hot function: facts}, 'why'?} for the named functions,
    from the record files under build_dir (with kernel, family/name: only those
    of its own target, CMakeFiles/<family>_<name>.dir/, and its binary's link-time
    records, when there are any).  Facts of one function from several objects
    (a static helper compiled twice) are merged."""
    files = find_files(build_dir)
    if kernel:
        target = binary_name(kernel)     # the kernel's CMake target is named like its binary
        own = [f for f in files if f"/{target}.dir/" in f.as_posix() or f.name.startswith(target + ".")]
        files = own or files
    wanted = {_base(f) for f in hot_functions}
    out = {"files": len(files), "functions": {}}
    if files:   # a function the records never mention has none: empty facts, not absent
        out["functions"] = {b: _empty() for b in sorted(wanted)}
    if not files:
        out["why"] = (f"no optimization records under {build_dir} (configure with -DFB_REMARKS=ON; "
                      "LTO builds record the compile step only)")
        return out
    for path in files:
        try:
            facts = parse_file(path)
        except (OSError, ValueError, EOFError) as e:
            out.setdefault("errors", []).append(f"{path.name}: {e}")
            continue
        for fn, f in facts.items():
            b = _base(fn)
            if b not in wanted:
                continue
            dst = out["functions"].setdefault(b, _empty())
            for k in KINDS:
                for item in f[k]:
                    if item not in dst[k]:
                        dst[k].append(item)
    return out


def brief(facts: dict | None) -> str:
    """One short phrase for a table cell: 'vec 256b x1; missed 1; inl 2; unroll 1'."""
    if not facts:
        return ""
    parts = []
    if facts.get("vectorized"):
        v = facts["vectorized"][0]
        w = f"{v['bits']}-bit" if v.get("bits") else f"{v.get('lanes')} lanes"
        parts.append(f"vectorized {w}" + (f", interleave {v['interleave']}" if v.get("interleave") else ""))
    if facts.get("missed"):
        parts.append(_one_line(f"missed: {facts['missed'][0]['reason']}")[:80])
    if facts.get("inlined"):
        parts.append("inlined " + ", ".join(sorted({str(i['callee']) for i in facts['inlined']}))[:60])
    if facts.get("not_inlined"):
        parts.append("not inlined " + ", ".join(sorted({str(i['callee']) for i in facts['not_inlined']}))[:60])
    if facts.get("unrolled"):
        parts.append("unrolled")
    return "; ".join(parts)


def differences(a: dict | None, b: dict | None) -> list:
    """Lines saying what one function's remarks gained or lost from a to b."""
    a, b = a or _empty(), b or _empty()
    out = []
    for k in KINDS:
        def keyed(items):
            return {json.dumps({x: y for x, y in i.items() if x != "line"}, sort_keys=True) for i in items}
        ka, kb = keyed(a.get(k, [])), keyed(b.get(k, []))
        for gone in sorted(ka - kb):
            out.append(f"- {k}: {gone}")
        for new in sorted(kb - ka):
            out.append(f"+ {k}: {new}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Optimization remarks per function from GCC/Clang "
                                             "optimization records (prints JSON).")
    ap.add_argument("paths", nargs="+", help="record files, or build directories to search")
    ap.add_argument("--function", action="append", default=[], help="keep only these (repeatable)")
    a = ap.parse_args(argv)
    merged = {}
    for p in map(Path, a.paths):
        if p.is_dir():
            files = find_files(p)
        elif p.exists():
            files = [p]
        else:
            print(f"remarks.py: {p}: no such file or directory", file=sys.stderr)
            return 2
        for f in files:
            try:
                facts = parse_file(f)
            except (OSError, ValueError, EOFError) as e:
                print(f"remarks.py: {f}: {e}", file=sys.stderr)
                return 2
            for fn, v in facts.items():
                if not a.function or fn in a.function:
                    merged.setdefault(fn, v)
    print(json.dumps(merged, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
