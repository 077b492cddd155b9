#!/usr/bin/env python3
"""The optimization-remark differences scripts/asmdiff.sh prints after its code
diff: for each kernel variant both sides have, what the compiler's remarks for
the hot function gained (+) or lost (-).  Takes asmdiff.sh's own arguments.

Remarks come from a configuration's kernels/<k>/remarks.json (the sweep's why
step) or, for a CMake build directory configured with -DFB_REMARKS=ON, from
its record files.  Prints nothing when neither side has remarks, so asmdiff's
output is unchanged where remarks were not collected.  Exit status 0 always
(asmdiff.sh's status is the code diff's), 2 on a usage error.
"""
from __future__ import annotations

import json
import sys

from flagbench import cmdline
from flagbench.asm import diff as asmdiff, locate
from flagbench.why import remarks


def side_remarks(src, kernel: str, variants: list) -> dict | None:
    """{variant: facts} for one side, or None when it has no remarks at all."""
    name = kernel.split("/")[-1]
    if src.kind == "build":
        got = remarks.collect(src.path, [f"{name}_{v}" for v in variants], kernel=kernel)
        if not got.get("files"):
            return None
        funcs = got["functions"]
    else:
        path = src.dir.kernel(kernel).remarks
        try:
            funcs = (json.loads(path.read_text()) or {}).get("functions") or {}
        except (OSError, ValueError):
            return None
    return {v: funcs.get(f"{name}_{v}") for v in variants}


def config_pairs(src_a, src_b):
    if src_a.kind == "run":
        common = sorted(set(src_a.configs()) & set(src_b.configs()))
        return [(src_a.config(c), src_b.config(c)) for c in common]
    return [(src_a, src_b)]


def main(argv=None) -> int:
    # asmdiff.sh's own command line; asm.diff has said what was wrong with it
    a, status = cmdline.parse(asmdiff.parser(), argv, (2, 3))
    if a is None:
        return status
    selector = a.args[2] if len(a.args) == 3 else None
    out = []
    try:
        src_a = locate.open_side(a.args[0], a.run)
        src_b = locate.open_side(a.args[1], a.run)
        for ca, cb in config_pairs(src_a, src_b):
            if selector:
                kernel, variant = locate.split_selector(ca, selector)
                kernels = [(kernel, [variant] if variant else None)]
            else:
                kernels = [(k, None) for k in sorted(set(ca.kernels()) & set(cb.kernels()))]
            for kernel, variants in kernels:
                vs = variants or sorted(set(ca.variants(kernel)) & set(cb.variants(kernel)))
                ra, rb = side_remarks(ca, kernel, vs), side_remarks(cb, kernel, vs)
                if ra is None and rb is None:
                    continue
                for v in vs:
                    if (ra or {}).get(v) is None and (rb or {}).get(v) is None:
                        continue
                    diff = remarks.differences((ra or {}).get(v), (rb or {}).get(v))
                    label = f"{kernel}/{v}" + (f" ({ca.id})" if src_a.kind == "run" else "")
                    if ra is None or rb is None:
                        diff = [f"  (remarks only on side {'B' if ra is None else 'A'})"] + diff
                    out.append(f"{label}:" + (" same remarks" if not diff else ""))
                    out += [f"  {d}" for d in diff]
    except locate.LocateError:
        return 0   # asmdiff.sh has already said what is wrong
    if out:
        print("\n## optimization remarks (- only in A, + only in B)\n")
        print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
