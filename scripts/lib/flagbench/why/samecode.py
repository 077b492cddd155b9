#!/usr/bin/env python3
"""Checks that FB_REMARKS=ON does not change the code: builds chosen kernels of one
configuration twice (remarks off, on) and compares every variant's code_hash
(analyze.py --no-mca).  Prints one line per variant and a verdict; exit 0 when
every hash is the same, 1 when one differs, 2 on a usage or build error.

  PYTHONPATH=scripts/lib python3 -m flagbench.why.samecode --toolchain toolchains/clang-19.cmake \\
      --set FB_OPT=O3 --set FB_MARCH=x86-64-v3 --set FB_LTO=thin \\
      --kernels simd/reduce,simd/saxpy --work build/samecode
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .. import paths
from ..kernels import binary_name
from ..paths import ROOT
from ..run.layout import AsmDir


def build(work: Path, toolchain: str | None, sets: list, kernels: list, remarks: bool) -> tuple:
    d = work / ("remarks-on" if remarks else "remarks-off")
    regex = "^(" + "|".join(kernels) + ")$"
    cmd = ["cmake", "-S", str(ROOT), "-B", str(d), "-G", "Ninja", f"-DFB_KERNELS={regex}",
           f"-DFB_REMARKS={'ON' if remarks else 'OFF'}"] + [f"-D{s}" for s in sets]
    if toolchain:
        cmd.append(f"-DCMAKE_TOOLCHAIN_FILE={Path(toolchain).resolve()}")
    t0 = time.perf_counter()
    for c in (cmd, ["cmake", "--build", str(d), "-j2"]):
        p = subprocess.run(c, capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"samecode.py: {' '.join(c[:4])}... failed:\n{p.stdout[-2000:]}{p.stderr[-2000:]}")
    return d, time.perf_counter() - t0


def hashes(build_dir: Path, kernel: str) -> dict:
    binary = build_dir / "bin" / binary_name(kernel)
    p = subprocess.run([str(binary), "--list"], capture_output=True, text=True)
    variants = p.stdout.split()
    with tempfile.TemporaryDirectory() as out:
        r = subprocess.run(paths.module_command("flagbench.asm.analyze", "--binary", str(binary),
                            "--kernel", kernel, "--variants", ",".join(variants), "--arch", "x86_64",
                            "--target-cpu", "x86-64", "--no-mca", "--out", out),
                           capture_output=True, text=True, env=paths.module_env())
        if r.returncode != 0:
            raise SystemExit(f"samecode.py: analyze.py failed for {binary}: {r.stderr[-1000:]}")
        return {v: json.loads(AsmDir(out).summary(v).read_text()).get("code_hash") for v in variants}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--toolchain")
    ap.add_argument("--set", action="append", default=[], help="CMake cache entry NAME=VALUE")
    ap.add_argument("--kernels", required=True, help="comma-separated family/name list")
    ap.add_argument("--work", required=True, help="directory for the two builds")
    a = ap.parse_args(argv)
    kernels = [k for k in a.kernels.split(",") if k]
    work = Path(a.work)
    off, t_off = build(work, a.toolchain, a.set, kernels, False)
    on, t_on = build(work, a.toolchain, a.set, kernels, True)
    records = list(on.rglob("*.opt-record.json.gz")) + list(on.rglob("*.opt.yaml"))
    same = differ = 0
    for k in kernels:
        h_off, h_on = hashes(off, k), hashes(on, k)
        for v in h_off:
            ok = h_off[v] == h_on.get(v)
            same += ok
            differ += not ok
            print(f"{k}/{v}: {h_off[v]} {'==' if ok else '!='} {h_on.get(v)}")
    print(f"{a.toolchain or 'default compiler'} {' '.join(a.set)}: {same} same, {differ} differ; "
          f"{len(records)} record files; build {t_off:.1f} s without remarks, {t_on:.1f} s with")
    return 0 if differ == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
