#!/usr/bin/env python3
"""scripts/profile.sh: the why data of one cell by hand (profile, flame graph,
remarks, counters), like scripts/asm.sh for its assembly."""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from flagbench import builddir, cmdline
from flagbench.atomic import read_json_or_none
from flagbench.asm import locate
from flagbench.run.layout import BUILD_RECORD, KernelDir
from flagbench.why import asmview, remarks, step, whyline

USAGE = """usage: scripts/profile.sh [--run DIR] [--size S] [--reps N] [--out DIR] [--base CONFIG]
                          [--no-callgrind] CONFIG KERNEL[/VARIANT]

Runs one kernel variant (all variants without /VARIANT) once under perf record
and prints its hot symbols, the percent of samples per line of its normalized
assembly and per loop, the compiler's remarks for its hot function, counters
(perf stat where the machine has them; callgrind instruction counts) and where
the flame graph was written.  Nothing is timed.

  CONFIG      a configuration id (results/raw/latest/configs/, or --run DIR), a
              configuration directory whose config.json names its build
              directory, or a CMake build directory (one with bin/kernels.txt)
  --size S    test|train|ref|N (default ref)      --reps N  (default: the binary's own)
  --out DIR   where the files go (default: a new folder under /tmp)
  --base C    a second configuration: its profile gives a differential flame
              graph and a why line against it
  --no-callgrind  skip the instruction count (about 1-2 s per variant)
Remarks need a build configured with -DFB_REMARKS=ON.
Exit status: 0 done, 1 not found or the tools failed (a message says why), 2 usage error.
"""


def build_dir_of(src) -> Path:
    if src.kind == "build":
        return src.path
    found = locate.recorded_build_dir(src.dir)
    if found is None:
        raise locate.LocateError(f"configuration {src.id}: its build directory ({BUILD_RECORD} bin_dir) is "
                                 "not recorded or no longer exists; profile.sh needs the binary (pass the "
                                 "build directory)")
    return found


def report(kernel: str, v: str, kdir: KernelDir, text: str | None, asm_doc: dict | None,
           base: dict | None) -> str:
    out = [f"== {kernel}/{v}"]
    prof = read_json_or_none(kdir.profile.summary(v)) or {}
    if prof.get("why"):
        out.append(f"profile: {prof['why']}")
    else:
        out.append(f"profile: {prof.get('samples')} samples of {prof.get('event')}"
                   + (f" ({prof['event_note']})" if prof.get("event_note") else "")
                   + f", {prof.get('seconds')} s; {prof.get('function_percent', 0)}% in {prof.get('function')}")
        out.append("hot symbols: " + ", ".join(f"{s['symbol']} {s['percent']}%" for s in prof.get("hot_symbols", [])[:8]))
        for lp in prof.get("loops") or []:
            out.append(f"loop {lp['index']} (lines {lp['lines'][0]}-{lp['lines'][1]}"
                       f"{', innermost' if lp['innermost'] else ''}): {lp['percent']}% of samples, "
                       f"{lp['percent_of_function']}% of the function's")
        if prof.get("lines_why"):
            out.append(f"lines: {prof['lines_why']}")
        elif text:
            out.append(asmview.annotated(text, asm_doc, prof).rstrip("\n"))
        out.append(f"flame graph: {kdir.profile.flame_graph(v)}")
        if kdir.profile.diff_flame_graph(v).exists():
            out.append(f"differential flame graph: {kdir.profile.diff_flame_graph(v)}")
    rem = read_json_or_none(kdir.remarks) or {}
    facts = (rem.get("functions") or {}).get(f"{kernel.split('/')[-1]}_{v}")
    out.append("remarks: " + (remarks.brief(facts) or "none for this function") if rem.get("files")
               else f"remarks: {rem.get('why', 'none')}")
    cnt = read_json_or_none(kdir.counters(v)) or {}
    ps = cnt.get("perf_stat") or {}
    out.append("perf stat: " + (json.dumps(ps.get("counts")) + (f", IPC {ps.get('ipc')}" if ps.get("ipc") else "")
                                if ps.get("counts") else ps.get("why", "not run")))
    cg = cnt.get("callgrind")
    if cg:
        out.append("callgrind: " + (f"{cg.get('instructions')} instructions, {cg.get('function_instructions')} "
                                    f"in the hot function ({cg.get('function_instructions_per_item')} per item, "
                                    f"size {cg.get('size')})" if cg.get("instructions") else cg.get("why", "")))
    if base is not None:
        out.append("why (against --base): " + whyline.why_line(
            base.get("asm"), asm_doc, base.get("remarks"), facts, prof))
    return "\n".join(out)


def main(argv=None) -> int:
    ap = cmdline.parser()
    ap.add_argument("--run")
    ap.add_argument("--size", default="ref")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--out")
    ap.add_argument("--base")
    ap.add_argument("--no-callgrind", action="store_true")
    a, status = cmdline.parse(ap, argv, (2,), "profile.sh", USAGE)
    if a is None:
        return status
    config, selector = a.args
    try:
        src = locate.open_side(config, run=a.run)
        if src.kind == "run":
            raise locate.LocateError(f"{config} is a whole run; name one of its configurations with --run {config}")
        kernel, variant = locate.split_selector(src, selector)
        variants = [variant] if variant else src.variants(kernel)
        if variant and variant not in src.variants(kernel):
            raise locate.LocateError(f"{src.id}: {kernel} has no variant '{variant}' "
                                     f"(variants: {', '.join(src.variants(kernel)) or 'none'})")
        build = build_dir_of(src)
        exe = builddir.binary(build, kernel)
        if not exe.exists():
            raise locate.LocateError(f"{exe} does not exist (build not finished, or it failed)")
        base = None
        base_kdir = None
        if a.base:
            bsrc = locate.open_side(a.base, run=a.run)
            bbuild = build_dir_of(bsrc)
            base_out = Path(tempfile.mkdtemp(prefix="flagbench-profile-base-"))
            step.kernel_why(bbuild, builddir.binary(bbuild, kernel), kernel, variants, base_out, a.size,
                            a.reps, emulator=builddir.emulator(bbuild), with_callgrind=False)
            base_kdir = base_out
    except locate.LocateError as e:
        print(f"profile.sh: {e}", file=sys.stderr)
        return 1
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="flagbench-profile-"))
    kdir = KernelDir(out)     # laid out as a run's kernel folder, so the why step reads its asm/
    kdir.asm.path.mkdir(parents=True, exist_ok=True)
    entries = {}
    for v in variants:
        e = src.entry(kernel, v)
        entries[v] = e
        if e.found:
            kdir.asm.text(v).write_text(e.text)
            kdir.asm.summary(v).write_text(json.dumps(e.summary))
    res = step.kernel_why(build, exe, kernel, variants, kdir, a.size, a.reps, base_kernel_dir=base_kdir,
                          emulator=builddir.emulator(build), with_callgrind=not a.no_callgrind)
    status = 0
    for v in variants:
        e = entries[v]
        b = None
        if base_kdir is not None:
            brem = read_json_or_none(KernelDir(base_kdir).remarks) or {}
            bentry = bsrc.entry(kernel, v)
            b = {"asm": bentry.summary if bentry.found else None,
                 "remarks": (brem.get("functions") or {}).get(f"{kernel.split('/')[-1]}_{v}")}
        print(report(kernel, v, kdir, e.text if e.found else None, e.summary if e.found else None, b))
        if "samples" not in res["variants"].get(v, ""):
            status = 1
    print(f"files: {out} ({res['seconds']} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
