"""The sweep's why step for one kernel binary of one configuration: what the
sweep calls after the assembly step, once per kernel, for the variants whose
code is not the same as one already profiled.

Writes under kernel_dir (configs/<id>/kernels/<family>_<name>/, run.layout.KernelDir):
  profile/<variant>.json .folded .svg [.diff.svg]   why/profile.profile_cell
  remarks.json                                       why/remarks.collect (all variants)
  counters/<variant>.json                            perf stat + callgrind
and returns {'seconds': ..., 'variants': {variant: short status}}.
"""
from __future__ import annotations

import time

from ..atomic import read_json_or_none, write_json
from ..run.layout import KernelDir
from . import callgrind, counters, profile, remarks


def kernel_why(build_dir, exe, kernel: str, variants: list, kernel_dir, size: str = "ref",
               reps: int | None = None, base_kernel_dir=None, emulator: list | None = None,
               callgrind_size: str = "test", with_callgrind: bool = True,
               with_profiles: bool = True) -> dict:
    """Profiles, remarks and counters of one kernel binary; never raises for a tool failure.
    kernel_dir and base_kernel_dir: folders laid out as a run's kernel folder.
    with_profiles=False collects the remarks only (no run of the binary)."""
    t0 = time.perf_counter()
    kdir = KernelDir(kernel_dir)
    name = kernel.split("/")[-1]
    result = {"variants": {}}
    rem = remarks.collect(build_dir, [f"{name}_{v}" for v in variants], kernel=kernel)
    write_json(kdir.remarks, rem)
    result["remarks_files"] = rem.get("files", 0)
    for v in variants if with_profiles else []:
        base_folded = None
        if base_kernel_dir:
            cand = KernelDir(base_kernel_dir).profile.folded(v)
            base_folded = str(cand) if cand.exists() else None
        doc = profile.profile_cell(str(exe), v, size, reps, str(kdir.profile.path), kernel=kernel,
                                   asm_dir=str(kdir.asm.path) if kdir.asm.path.is_dir() else None,
                                   emulator=emulator, base_folded=base_folded)
        cnt = {"perf_stat": counters.stat(list(emulator or []) + [str(exe), "--variant", v, "--size",
                                                                  str(size), "--reps", str(doc.get("reps") or 1)])
               if not emulator else {"supported": False, "why": "perf stat of an emulated binary counts qemu"}}
        if with_callgrind:
            symbols = (read_json_or_none(kdir.asm.summary(v)) or {}).get("symbols") or [f"{name}_{v}"]
            cnt["callgrind"] = callgrind.instructions(str(exe), v, callgrind_size, 1, symbols,
                                                      emulator=emulator)
        write_json(kdir.counters(v), cnt)
        result["variants"][v] = doc.get("why") or f"{doc.get('samples', 0)} samples"
    result["seconds"] = round(time.perf_counter() - t0, 3)
    return result
