"""Runs a kernel's variants with --check and classifies each outcome."""
from __future__ import annotations

import json
from pathlib import Path

from . import procs

CHECK_TIMEOUT = 300


def _lines(stdout: str) -> list:
    out = []
    for line in (stdout or "").splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def reported_items(stdout: str, variant: str):
    """Work items per repetition that a kernel binary's output reports for
    variant (its last line for it), or None."""
    items = None
    for line in _lines(stdout):
        if line.get("variant") == variant:
            items = line.get("items")
    return items


def describe(exe: Path, emulator: list) -> tuple:
    """(describe JSON or None, exit code, stderr)."""
    r = procs.run([*emulator, str(exe), "--describe"], timeout=120)
    if r.returncode == 0:
        try:
            return json.loads(r.stdout), 0, ""
        except ValueError:
            return None, 1, "--describe printed invalid JSON"
    return None, r.returncode, (r.stderr or "").strip()


def _classify(code, line: dict | None, stderr: str) -> dict:
    tail = "\n".join((stderr or "").strip().splitlines()[-5:])
    if line is not None and line.get("status") == "unsupported":
        return {"status": "unsupported", "exit": code, "why": line.get("error", ""), "line": line}
    if code is None:
        return {"status": "timeout", "exit": None, "why": f"no result within {CHECK_TIMEOUT} s",
                "stderr": tail}
    if code < 0 or line is None:
        return {"status": "crashed", "exit": code, "why": procs.describe_exit(code), "stderr": tail}
    if line.get("status") == "wrong":
        return {"status": "wrong", "exit": code, "why": line.get("error", ""), "line": line}
    if line.get("status") == "ok":
        return {"status": "ok", "exit": code, "line": line}
    return {"status": "crashed", "exit": code, "why": f"unexpected output ({procs.describe_exit(code)})",
            "stderr": tail, "line": line}


def check_kernel(exe: Path, variants: list, emulator: list, size: str) -> dict:
    """Checks all variants in one process; any variant the process did not
    report (it crashed or hung) is re-run alone so the failure is attributed."""
    args = ["--size", size, "--reps", "1", "--warmup", "0", "--check"]
    r = procs.run([*emulator, str(exe), *args], timeout=CHECK_TIMEOUT)
    by_variant = {l.get("variant"): l for l in _lines(r.stdout)}
    results = {}
    for v in variants:
        if v in by_variant and by_variant[v].get("status") in ("ok", "wrong", "unsupported"):
            results[v] = _classify(r.returncode if r.returncode in (0, 1, 3) else 0, by_variant[v],
                                   "")
            continue
        alone = procs.run([*emulator, str(exe), "--variant", v, *args], timeout=CHECK_TIMEOUT)
        lines = _lines(alone.stdout)
        results[v] = _classify(alone.returncode, lines[0] if lines else None, alone.stderr)
    return results


def unsupported_build(variants: list, code: int, stderr_hint: str) -> dict:
    return {v: {"status": "unsupported", "exit": code, "why": stderr_hint} for v in variants}


def dispatch_roots(checks: dict) -> dict:
    """{variant: [symbols]} that each variant reported dispatching to at run time
    (its check line's "dispatch"), from a kernel's check record."""
    return {v: [s for s in ((c.get("line") or {}).get("dispatch") or "").split(",") if s]
            for v, c in checks.items()}
