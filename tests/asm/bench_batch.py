#!/usr/bin/env python3
"""Benchmark (not a test): the sweep's assembly step over a finished run's
builds, one kernel binary per process against --batch.

    python3 tests/asm/bench_batch.py RUN_DIR OUT [--jobs N] [--mode per-kernel|batch]

RUN_DIR is a sweep's results/raw/<run>/ whose build directories still exist.
For every kernel of every configuration (not the A/A duplicate) it runs
flagbench.asm.analyze as the sweep does (its layout seeds, the seven x86 CPUs,
a fresh llvm-mca cache in OUT), N at a time, and prints the wall time, the CPU
time of the processes and how many llvm-mca and llvm-objdump runs they made
(counted by stand-ins put first on PATH).  --compare DIR then lists which
fields of the summaries (timings and tool paths aside) and which texts differ
from those of another mode's run in DIR.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIB = HERE.parents[1] / "scripts" / "lib"
sys.path.insert(0, str(LIB))
from flagbench import asm_step, check, phase_build  # noqa: E402
from flagbench.atomic import read_json  # noqa: E402
from flagbench.run.layout import RunDir  # noqa: E402

TOOLS = ("llvm-mca-19", "llvm-objdump-19")


def counting_path(out: Path) -> tuple:
    """A folder of stand-ins that log each run, then exec the real tool."""
    shim, log = out / "shim", out / "tools.log"
    shim.mkdir()
    for t in TOOLS:
        real = shutil.which(t)
        if not real:
            raise SystemExit(f"bench_batch.py: {t} not found")
        (shim / t).write_text(f'#!/bin/sh\necho {t} >> "{log}"\nexec "{real}" "$@"\n')
        (shim / t).chmod(0o755)
    return shim, log


def jobs_of(run: RunDir, out: Path) -> dict:
    """{config id: (config, [asm_step.Binary])} for the run's kernels, as the sweep makes them."""
    found = {}
    for cid in run.config_ids():
        cdir = run.config(cid)
        cfg = read_json(cdir.config)
        if cfg.get("aa_of"):
            continue
        bin_dir = Path(read_json(cdir.build_record)["bin_dir"])
        binaries = []
        for kdir in cdir.kernel_dirs():
            desc = read_json(kdir.describe)
            exe = bin_dir / kdir.name
            binaries.append(asm_step.Binary(exe, desc["kernel"], [v["name"] for v in desc["variants"]],
                                            out / cid / kdir.name, check.dispatch_roots(read_json(kdir.check)),
                                            phase_build.layout_binaries(exe, cfg["seeds"])))
        found[cid] = (cfg, binaries)
    return found


def commands(found: dict, out: Path, mode: str, jobs: int) -> list:
    base = [sys.executable, "-m", "flagbench.asm.analyze", "--quiet",
            "--mca-cpus", ",".join(phase_build.MCA_CPUS["x86_64"])]
    cmds = []
    for cid, (cfg, binaries) in found.items():
        common = base + ["--arch", cfg["arch"], "--target-cpu", cfg["axes"]["march"]]
        if mode == "batch":
            for i, batch in enumerate(phase_build.batches(binaries, jobs)):
                f = out / f"batch-{cid}-{i}.json"
                f.write_text(json.dumps([b.batch_entry() for b in batch]))
                cmds.append(common + ["--batch", str(f)])
            continue
        for b in binaries:
            cmd = common + ["--binary", str(b.exe), "--kernel", b.kernel,
                            "--variants", ",".join(b.variants), "--out", str(b.out_dir)]
            for variant, symbols in b.roots.items():
                if symbols:
                    cmd += ["--roots", f"{variant}={','.join(symbols)}"]
            for seed, path in sorted(b.layout_binaries.items()):
                cmd += ["--layout-binary", f"{seed}={path}"]
            cmds.append(cmd)
    return cmds


IGNORED = ("seconds", "seconds_for_binary", "seconds_for_run", "tool", "objdump")


def differences(x, y, path: str, out: Counter) -> None:
    """Counts the differing fields of two summaries by path (list indices and CPU keys folded)."""
    if isinstance(x, dict) and isinstance(y, dict):
        for k in set(x) | set(y):
            if k in IGNORED:
                continue
            key = "*" if path.endswith("/cpus") or path.endswith("/per_cpu") else k
            if k not in x or k not in y:
                out[f"{path}/{key} (one side only)"] += 1
            else:
                differences(x[k], y[k], f"{path}/{key}", out)
    elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
        for p, q in zip(x, y):
            differences(p, q, path + "[]", out)
    elif x != y:
        out[path] += 1


def compare(a: Path, b: Path) -> str:
    fields, texts, files = Counter(), 0, 0
    for f in sorted(a.glob("*/*/*.json")) + sorted(a.glob("*/*/*.s")):
        if "mca-cache" in f.parts:
            continue
        g = b / f.relative_to(a)
        files += 1
        if not g.exists():
            fields["(file missing)"] += 1
        elif f.suffix == ".s":
            texts += f.read_text() != g.read_text()
        else:
            differences(json.loads(f.read_text()), json.loads(g.read_text()), "", fields)
    return (f"compared {files} files with {b}: {texts} texts differ; fields that differ: "
            + (", ".join(f"{k} ×{n}" for k, n in sorted(fields.items())) or "none"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("out", type=Path, help="a new folder for the summaries (emptied first)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--mode", choices=["per-kernel", "batch"], default="batch")
    ap.add_argument("--compare", type=Path, metavar="DIR", help="another run of this script to compare with")
    a = ap.parse_args()
    run = RunDir(a.run_dir)
    if not run.is_run():
        ap.error(f"{a.run_dir}: not a run directory")
    shutil.rmtree(a.out, ignore_errors=True)
    a.out.mkdir(parents=True)
    shim, log = counting_path(a.out)
    cmds = commands(jobs_of(run, a.out), a.out, a.mode, a.jobs)
    env = dict(os.environ, PYTHONPATH=str(LIB), PATH=f"{shim}{os.pathsep}{os.environ['PATH']}",
               FLAGBENCH_MCA_CACHE=str(a.out / "mca-cache"))
    t0, c0 = time.monotonic(), os.times()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        codes = list(pool.map(lambda c: subprocess.run(c, env=env, capture_output=True).returncode, cmds))
    wall, c1 = time.monotonic() - t0, os.times()
    cpu = c1.children_user - c0.children_user + c1.children_system - c0.children_system
    runs = log.read_text().split() if log.exists() else []
    counts = ", ".join(f"{t} {runs.count(t)}" for t in TOOLS)
    print(f"{a.mode}: {len(cmds)} processes, {a.jobs} at a time: {wall:.1f} s wall, {cpu:.1f} s CPU; "
          f"runs: {counts}; failed processes: {sum(c != 0 for c in codes)}")
    if a.compare:
        print(compare(a.out, a.compare))
    return 0


if __name__ == "__main__":
    sys.exit(main())
