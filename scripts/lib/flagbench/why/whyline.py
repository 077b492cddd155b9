"""One line saying why a cell is faster or slower than its baseline.

Built from three sources, in this order:
  - the asm summary difference (scripts/lib/flagbench/asm/summary.py counts of the hot
    function): vector width, FMAs, calls, loops, spills, instructions;
  - the optimization remarks of the hot function (why/remarks.py): a loop
    vectorized or no longer, a call inlined or no longer, unrolling;
  - the profile (why/profile.py): the share of samples in the hottest loop.
e.g. "loop vectorized xmm→ymm, FMA 0→4; 96% of samples in loop 1".

Same code_hash on both sides: the instructions did not change, only where
they landed, so the line is "placement only".  The kind of explanation
(code / remarks / placement / unexplained) is kept for the closing note of a
report: what share of the verdicts each explains.
"""
from __future__ import annotations

ARROW = "→"
COUNTS = [("fma", "FMA"), ("calls", "calls"), ("loops", "loops"), ("spills", "spills"),
          ("reloads", "reloads"), ("loads", "loads"), ("stores", "stores")]


def _change(a: dict, b: dict, key: str) -> str | None:
    va, vb = (a or {}).get(key), (b or {}).get(key)
    if va is None or vb is None or va == vb:
        return None
    return f"{va}{ARROW}{vb}"


def _code_parts(base: dict, cell: dict, vectorized_now: bool) -> list:
    parts = []
    w = _change(base, cell, "vector_width")
    if w:
        parts.append(("loop vectorized " if vectorized_now else "vector width ") + w)
    for key, label in COUNTS:
        c = _change(base, cell, key)
        if c:
            parts.append(f"{label} {c}")
    if len(parts) < 3:
        c = _change(base, cell, "instructions")
        if c:
            parts.append(f"instructions {c}")
    if not parts and (base or {}).get("code_hash") != (cell or {}).get("code_hash"):
        same_text = all((base or {}).get(k) == (cell or {}).get(k) for k in ("instructions", "bytes"))
        parts.append("same counts, different instructions" if not same_text else
                     "helper code changed (callees differ)")
    return parts


def _remark_parts(base: dict | None, cell: dict | None) -> list:
    base, cell = base or {}, cell or {}
    parts = []

    def callees(facts, kind):
        return {str(i.get("callee")) for i in facts.get(kind) or []}
    vb, vc = base.get("vectorized") or [], cell.get("vectorized") or []
    if vc and not vb:
        v = vc[0]
        width = f"{v['bits']}-bit" if v.get("bits") else f"{v.get('lanes')} lanes"
        parts.append(f"compiler: loop vectorized ({width}" +
                     (f", interleave {v['interleave']})" if v.get("interleave") else ")"))
    elif vb and not vc:
        reason = (cell.get("missed") or [{}])[0].get("reason")
        parts.append("compiler: loop no longer vectorized" + (f" ({reason})" if reason else ""))
    new_inl = sorted(callees(cell, "inlined") - callees(base, "inlined"))
    lost_inl = sorted(callees(base, "inlined") - callees(cell, "inlined"))
    if new_inl:
        parts.append("compiler: inlined " + ", ".join(new_inl[:3]) + (" ..." if len(new_inl) > 3 else ""))
    if lost_inl:
        why = {str(i.get("callee")): i.get("reason") for i in cell.get("not_inlined") or []}
        first = lost_inl[0]
        parts.append("compiler: no longer inlined " + ", ".join(lost_inl[:3])
                     + (f" ({why[first]})" if why.get(first) else ""))
    if bool(cell.get("unrolled")) != bool(base.get("unrolled")):
        parts.append("compiler: " + ("unrolled" if cell.get("unrolled") else "no longer unrolled"))
    return parts


def _profile_part(profile: dict | None) -> str | None:
    if not profile or not profile.get("loops"):
        return None
    hot = profile.get("hottest_loop")
    lp = next((x for x in profile["loops"] if x.get("index") == hot), None)
    if lp is None:
        fp = profile.get("function_percent")
        return f"{fp:g}% of samples in the function, none in a loop" if fp else None
    return f"{lp['percent']:g}% of samples in loop {hot}"


def explain(base_asm: dict | None, cell_asm: dict | None, base_remarks: dict | None,
            cell_remarks: dict | None, profile: dict | None) -> dict:
    """{'line': str, 'kind': 'placement' | 'code' | 'remarks' | 'unexplained'}."""
    if not base_asm or not cell_asm or not base_asm.get("code_hash") or not cell_asm.get("code_hash"):
        return {"line": "no assembly to compare", "kind": "unexplained"}
    if base_asm["code_hash"] == cell_asm["code_hash"]:
        return {"line": "placement only (same instructions; layout, alignment or the machine's state "
                        "moved)", "kind": "placement"}
    remark_parts = _remark_parts(base_remarks, cell_remarks)
    vectorized_now = any("loop vectorized" in p for p in remark_parts) or (
        bool((cell_remarks or {}).get("vectorized")) and (base_asm.get("vector_width") == "scalar"))
    code = _code_parts(base_asm, cell_asm, vectorized_now)
    parts = code + remark_parts
    prof = _profile_part(profile)
    line = ", ".join(parts) if parts else "instructions changed"
    if prof:
        line += f"; {prof}"
    return {"line": line, "kind": "remarks" if remark_parts else "code"}


def why_line(base_asm, cell_asm, base_remarks, cell_remarks, profile) -> str:
    return explain(base_asm, cell_asm, base_remarks, cell_remarks, profile)["line"]


def closing_note(kinds: list) -> str:
    """'N verdicts: a% explained by a code change, b% also by remarks, c% placement only'."""
    n = len(kinds)
    if not n:
        return "No faster/slower verdicts to explain."
    count = {k: kinds.count(k) for k in ("code", "remarks", "placement", "unexplained")}
    pct = {k: 100 * v / n for k, v in count.items()}
    return (f"{n} faster/slower verdicts: {count['code'] + count['remarks']} ({pct['code'] + pct['remarks']:.0f}%) "
            f"explained by a code change, {count['remarks']} of them ({pct['remarks']:.0f}%) with the "
            f"compiler's remarks; {count['placement']} ({pct['placement']:.0f}%) placement only; "
            f"{count['unexplained']} ({pct['unexplained']:.0f}%) without assembly to compare.")
