"""scripts/sweep.sh: build every configuration of a matrix, check it, analyse it, time it.

Phases (each step writes its own files atomically, so --resume skips what is done):
  1. per configuration, in parallel: build (PGO: instrumented build, train run,
     optimized build), --describe and --check every kernel, assembly + llvm-mca
  2. timing, with nothing else running: per kernel, its cells across
     configurations in interleaved random rounds (flagbench.timing)
  3. tables
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import dataclasses
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import asm_step, build, check, config, kernels as kernels_mod, layout, machine, procs, timing
from flagbench.asm import identity as asm_identity
from .atomic import read_json, write_json, write_json_if_changed, write_text, write_text_if_changed
from .axes import ConfigError, parse_axes
from .executors import cli as executor_cli, drive as executor_drive, estimate as executor_estimate
from .matrix import Configuration, find_matrix, parse_matrix
from .progress import Progress, fmt_duration
from .paths import ROOT
from .results import kernel_dir, load

MCA_CPUS = {"x86_64": ["host", "skylake", "icelake-server", "znver3", "znver4", "sapphirerapids"],
            "aarch64": ["neoverse-n1", "neoverse-v2"]}
EMULATED_NOTE = "built for another architecture and run under qemu: timings are not meaningful"


# Options a resumed run takes from the run it continues, not from the new command line.
RESUMED_OPTIONS = ("size", "no_time", "no_asm", "no_mca", "mca_cpus", "min_samples", "max_samples",
                   "time_per_kernel", "process_time", "build_root", "seeds", "time_identical", "why")


class UsageError(Exception):
    pass


def parse_args(argv) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/sweep.sh",
        description="Build every configuration of a matrix, check every kernel variant, capture "
                    "its assembly and llvm-mca analysis, time it with hyperfine, and write tables.",
        epilog="Results go to results/raw/<run-id>/ (see docs/results-format.md); "
               "results/raw/latest points at the newest run. Ctrl-C stops cleanly: finished work is "
               "kept and --resume continues.")
    p.add_argument("--matrix", default="quick", help="a matrix name in matrix/ or a .matrix file (default: quick)")
    p.add_argument("--kernels", default="", metavar="REGEX", help="only kernels whose family/name matches")
    p.add_argument("--configs", default="", metavar="REGEX",
                   help="only configurations whose id matches (the baseline is always kept)")
    p.add_argument("--plan", action="store_true", help="print what would be built and run, do nothing")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="configurations built/checked/analysed at once (default: CPUs)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out (default: results/raw/latest) without redoing finished work")
    p.add_argument("--shard", default="1/1", metavar="I/N", help="run the I-th of N slices of the kernels")
    p.add_argument("--out", metavar="DIR", help="run directory (default: results/raw/<run-id>)")
    p.add_argument("--build-root", metavar="DIR", default=str(ROOT / "build" / "sweep"),
                   help="where configuration build directories live (default: build/sweep)")
    p.add_argument("--size", default="ref", help="size checked and timed: test, train, ref or N (default: ref)")
    p.add_argument("--no-time", action="store_true", help="build, check and analyse only")
    p.add_argument("--no-asm", action="store_true", help="skip assembly capture (and so identical-code detection)")
    p.add_argument("--no-mca", action="store_true", help="capture assembly but skip llvm-mca")
    p.add_argument("--why", action="store_true",
                   help="build with optimization records and, after timing, profile every cell called "
                        "faster or slower for its why line (docs/why.md); slower, so off by default: "
                        "scripts/publish.sh profiles a run that lacks it")
    p.add_argument("--mca-cpus", metavar="LIST", help="llvm-mca CPUs besides the target (default: host, "
                   "skylake, icelake-server, znver3, znver4, sapphirerapids; neoverse-n1/v2 for aarch64)")
    p.add_argument("--seeds", type=int, default=4,
                   help="layout seeds: each configuration is linked this many times with its code at "
                        "other addresses, and every cell is timed across them (default 4; the A/A "
                        "duplicate gets as many others)")
    p.add_argument("--min-samples", type=int, default=None,
                   help="processes timed per cell at least (default: one per seed)")
    p.add_argument("--max-samples", type=int, default=None,
                   help="processes timed per cell at most, while its verdict is undecided "
                        "(default: three per seed)")
    p.add_argument("--time-per-kernel", type=float, default=2.0,
                   help="seconds of timing per kernel after which cells stop at the minimum (default 2)")
    p.add_argument("--time-identical", action="store_true",
                   help="time every cell, also where its code is identical to another configuration's "
                        "(placement experiments; see matrix/placement.matrix)")
    p.add_argument("--process-time", type=float, default=0.015,
                   help="target seconds of timed work per process; sets --reps (default 0.015)")
    p.add_argument("--seed", type=int, default=None, help="seed of the round order (default: random, recorded)")
    p.add_argument("--no-deps", action="store_true", help=argparse.SUPPRESS)  # handled by sweep.sh
    executor_cli.add_arguments(p)  # --executor local|parallel|slurm and its options (docs/scale.md)
    a = p.parse_args(argv)
    m = re.fullmatch(r"(\d+)/(\d+)", a.shard)
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise UsageError(f"--shard wants I/N with 1 <= I <= N, not '{a.shard}'")
    for opt in ("kernels", "configs"):
        try:
            re.compile(getattr(a, opt))
        except re.error as e:
            raise UsageError(f"--{opt} '{getattr(a, opt)}' is not a regular expression: {e}") from None
    if a.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    if not 1 <= a.seeds <= 32:
        raise UsageError(f"--seeds wants 1 to 32 layout seeds, not {a.seeds}")
    a.min_samples = a.seeds if a.min_samples is None else a.min_samples
    a.max_samples = 3 * a.seeds if a.max_samples is None else a.max_samples
    if not 1 <= a.min_samples <= a.max_samples:
        raise UsageError("need 1 <= --min-samples <= --max-samples")
    if a.size not in ("test", "train", "ref") and not a.size.isdigit():
        raise UsageError(f"--size wants test, train, ref or a number, not '{a.size}'")
    return a


# ---------------------------------------------------------------- the plan

def make_plan(a: argparse.Namespace) -> dict:
    axes = parse_axes(ROOT / "matrix/axes.conf")
    matrix = parse_matrix(find_matrix(a.matrix, ROOT / "matrix"), axes)
    configs = [c for c in matrix.configs
               if c.id == matrix.baseline.id or re.search(a.configs, c.id)]
    all_kernels = kernels_mod.discover(ROOT)
    chosen = [k for k in all_kernels if re.search(a.kernels, k)]
    if not chosen:
        raise UsageError(f"--kernels '{a.kernels}' matches no kernel; there are: {', '.join(all_kernels)}")
    i, n = map(int, a.shard.split("/"))
    chosen = chosen[i - 1::n]
    if not chosen:
        raise UsageError(f"shard {a.shard} has no kernels")
    plan_configs = []
    aa_sources = {c.aa_of for c in configs if c.aa_of}
    for c in configs:
        entry = dataclasses.asdict(c)
        entry["seeds"] = layout.seeds_for(a.seeds, aa=bool(c.aa_of))
        if c.id in aa_sources:      # its build also links the A/A duplicate's seeds
            entry["link_seeds"] = entry["seeds"] + layout.seeds_for(a.seeds, aa=True)
        entry["hash"] = config.config_hash(axes, ROOT, c)
        entry["flags"] = config.resolved(axes, c)
        if c.axes.get("pgo") == "on":
            entry["flags_pgo_generate"] = config.resolved(axes, c, "generate")
        plan_configs.append(entry)
    return {"matrix": matrix.name, "matrix_file": str(matrix.path), "description": matrix.description,
            "matrix_text": matrix.path.read_text(), "baseline": matrix.baseline.id,
            "size": a.size, "shard": a.shard, "seeds": a.seeds,
            "time_identical": a.time_identical or matrix.time_identical,
            "configs": plan_configs, "kernels": chosen}


def print_plan(plan: dict, a: argparse.Namespace) -> None:
    print(f"matrix {plan['matrix']}: {plan['description']}")
    print(f"{len(plan['configs'])} configurations x {len(plan['kernels'])} kernels, size {plan['size']}, "
          f"shard {plan['shard']}\n")
    for c in plan["configs"]:
        tags = []
        if c["id"] == plan["baseline"]:
            tags.append("baseline")
        if c.get("aa_of"):
            tags.append(f"A/A duplicate of {c['aa_of']}: its build, layout seeds {c['seeds']}")
        if c["axes"].get("pgo") == "on":
            tags.append("PGO: instrumented build + train run + optimized build")
        if c["arch"] != "x86_64":
            tags.append("emulated: not timed")
        f = c["flags"]
        flags = " ".join(f["target"] + f["compile"])
        print(f"  {c['id']:<32} hash {c['hash']}  {'; '.join(tags)}")
        print(f"      {c['toolchain']}: {flags}  | link: {' '.join(f['link'])}")
    print("\nkernels: " + " ".join(plan["kernels"]))
    builds = sum(1 + (c["axes"].get("pgo") == "on") for c in plan["configs"] if not c.get("aa_of"))
    print(f"\nwould run: {builds} builds, {len(plan['configs']) * len(plan['kernels'])} kernel checks"
          f"{'' if a.no_asm else ', assembly capture'}{'' if a.no_asm or a.no_mca else ' + llvm-mca'}"
          f"{'' if a.no_time else ', then timing (hyperfine)'}")
    print(executor_estimate.text(plan, a, ROOT))


# ---------------------------------------------------------------- phase 1

@dataclasses.dataclass
class Context:
    run: Path
    plan: dict
    args: argparse.Namespace
    progress: Progress | None = None


def _config_obj(entry: dict) -> Configuration:
    fields = {f.name for f in dataclasses.fields(Configuration)}
    return Configuration(**{k: v for k, v in entry.items() if k in fields})


def _binary_sizes(bin_dir: Path, kernels: list) -> dict:
    sizes = {}
    size_tool = shutil.which("llvm-size") or shutil.which("size")
    for k in kernels:
        exe = bin_dir / kernels_mod.binary_name(k)
        if not exe.exists():
            continue
        entry = {"file_bytes": exe.stat().st_size}
        if size_tool:
            r = subprocess.run([size_tool, "-A", str(exe)], capture_output=True, text=True)
            for line in r.stdout.splitlines():
                parts = line.split()
                if len(parts) >= 2 and parts[0] == ".text":
                    entry["text_bytes"] = int(parts[1])
        sizes[k] = entry
    return sizes


def _emulator(bin_dir: Path) -> list:
    info = read_json(bin_dir.parent / "flagbench-build.json", {}) or {}
    return info.get("emulator") or []


def build_config(ctx: Context, entry: dict) -> list:
    """Builds one configuration; returns its kernels' (check + analysis) tasks."""
    cid = entry["id"]
    cdir = ctx.run / "configs" / cid
    write_json_if_changed(cdir / "config.json", entry)
    kernels = ctx.plan["kernels"]
    rec = read_json(cdir / "build.json")
    if not (ctx.args.resume and rec and rec.get("bin_dir") and Path(rec["bin_dir"]).is_dir()):
        ctx.progress.note(f"building {cid}")
        cfg = _config_obj(entry)
        rec, log, _ = build.build_configuration(ROOT, cfg, entry["hash"],
                                                Path(ctx.args.build_root) / cid, kernels, 1,
                                                entry.get("link_seeds") or entry.get("seeds") or [0],
                                                remarks=ctx.args.why)
        write_text(cdir / "build.log", log)
        write_json(cdir / "build.json", rec)
    ctx.progress.step(f"built {cid}: {rec['status']}")
    if rec["status"] == "failed":
        ctx.progress.step(f"{cid}: build failed", count=len(kernels))
        return []
    bin_dir = Path(rec["bin_dir"])
    if not (cdir / "sizes.json").exists():
        write_json(cdir / "sizes.json", _binary_sizes(bin_dir, kernels))
    emulator = _emulator(bin_dir)
    tasks = []
    for k in kernels:
        if k in rec.get("kernels_failed", {}):
            ctx.progress.step(f"{cid} {k}: build failed")
            continue

        def task(k=k):
            process_kernel(ctx, entry, k, bin_dir / kernels_mod.binary_name(k), emulator)
            ctx.progress.step(f"{cid} {k}")
        tasks.append(task)
    return tasks


def _build_cost(entry: dict) -> int:
    """Rough build cost, so the longest builds start first."""
    return 2 * (entry["axes"].get("pgo") == "on") + (entry["axes"].get("lto", "off") != "off")


def process_kernel(ctx: Context, entry: dict, kernel: str, exe: Path, emulator: list) -> None:
    kdir = kernel_dir(ctx.run, entry["id"], kernel)
    desc = read_json(kdir / "describe.json")
    if desc is None and not (kdir / "unsupported.json").exists():
        desc, code, err = check.describe(exe, emulator)
        if desc is not None:
            write_json(kdir / "describe.json", desc)
        elif code == 3:
            # The whole build needs an ISA this CPU lacks: checked, timed never;
            # its variants and assembly come in the post-pass.
            write_json(kdir / "unsupported.json", {"exit": 3, "why": err})
            return
        else:
            write_json(kdir / "check.json", {"*": {"status": "crashed", "exit": code,
                                                   "why": f"--describe: {procs.describe_exit(code)} {err}"}})
            return
    if desc is None:
        return
    variants = [v["name"] for v in desc["variants"]]
    if not (ctx.args.resume and (kdir / "check.json").exists()):
        write_json(kdir / "check.json", check.check_kernel(exe, variants, emulator, ctx.plan["size"]))
    analyze(ctx, entry, kernel, exe, variants, kdir)


def analyze(ctx: Context, entry: dict, kernel: str, exe: Path, variants: list, kdir: Path) -> None:
    if ctx.args.no_asm:
        return
    if ctx.args.resume and all((kdir / "asm" / f"{v}.json").exists() for v in variants):
        return
    mca = [] if ctx.args.no_mca else (ctx.args.mca_cpus.split(",") if ctx.args.mca_cpus
                                      else MCA_CPUS.get(entry["arch"], []))
    checks = read_json(kdir / "check.json") or {}
    roots = {v: [s for s in ((c.get("line") or {}).get("dispatch") or "").split(",") if s]
             for v, c in checks.items()}
    seeds = {s: layout.binary(exe.parent, s, exe.name)
             for s in entry.get("link_seeds") or entry.get("seeds") or [] if s != 0}
    err = asm_step.analyze(exe, kernel, variants, entry["arch"], entry["axes"]["march"], mca,
                           kdir / "asm", Path(ctx.args.build_root) / "mca-cache",
                           roots=roots, layout_binaries={s: p for s, p in seeds.items() if p.exists()})
    if err:
        write_json(kdir / "asm" / "error.json", {"error": err})


def finish_unsupported(ctx: Context) -> None:
    """Builds this CPU cannot run: take the variant list from another build of
    the same architecture, record them unsupported, still capture assembly."""
    for entry in ctx.plan["configs"]:
        rec = read_json(ctx.run / "configs" / entry["id"] / "build.json") or {}
        if not rec.get("bin_dir"):
            continue
        for k in ctx.plan["kernels"]:
            kdir = kernel_dir(ctx.run, entry["id"], k)
            marker = read_json(kdir / "unsupported.json")
            if marker is None or (kdir / "check.json").exists():
                continue
            variants = None
            for other in ctx.plan["configs"]:
                d = read_json(kernel_dir(ctx.run, other["id"], k) / "describe.json")
                if d and other["arch"] == entry["arch"]:
                    variants = [v["name"] for v in d["variants"]]
                    break
            if variants is None:
                write_json(kdir / "check.json", {"*": {"status": "unsupported", "exit": 3,
                                                       "why": marker["why"]}})
                continue
            write_json(kdir / "check.json", check.unsupported_build(variants, 3, marker["why"]))
            analyze(ctx, entry, k, Path(rec["bin_dir"]) / kernels_mod.binary_name(k), variants, kdir)


def copy_aa(ctx: Context, entry: dict) -> None:
    """The A/A duplicate shares its source configuration's build and checks;
    only its timing is its own."""
    src = ctx.run / "configs" / entry["aa_of"]
    dst = ctx.run / "configs" / entry["id"]
    write_json_if_changed(dst / "config.json", entry)
    rec = read_json(src / "build.json") or {"status": "failed", "message": "source build missing"}
    write_json_if_changed(dst / "build.json", dict(rec, shared_with=entry["aa_of"]))
    if (src / "sizes.json").exists():
        write_text_if_changed(dst / "sizes.json", (src / "sizes.json").read_text())
    for k in ctx.plan["kernels"]:
        s, d = kernel_dir(ctx.run, entry["aa_of"], k), kernel_dir(ctx.run, entry["id"], k)
        files = [s / f for f in ("describe.json", "check.json", "unsupported.json")]
        if (s / "asm").is_dir():
            files += sorted((s / "asm").iterdir())
        for f in files:
            if f.exists():
                write_text_if_changed(d / f.relative_to(s), f.read_text())


def phase_build(ctx: Context) -> None:
    """One pool of --jobs workers: every build (single-threaded Ninja, the
    longest first), then, as each build finishes, one task per kernel for its
    check and analysis.  The queue keeps every CPU busy to the end, which one
    worker per configuration did not (the LTO build ran alone at the end)."""
    entries = sorted((e for e in ctx.plan["configs"] if not e.get("aa_of")), key=_build_cost,
                     reverse=True)
    total = len(entries) * (1 + len(ctx.plan["kernels"]))
    ctx.progress = Progress("build+check+asm", total)
    with concurrent.futures.ThreadPoolExecutor(max_workers=ctx.args.jobs) as pool:
        pending = {pool.submit(build_config, ctx, e) for e in entries}
        while pending:
            done, pending = concurrent.futures.wait(pending,
                                                    return_when=concurrent.futures.FIRST_COMPLETED)
            for f in done:
                try:
                    for task in f.result() or []:
                        pending.add(pool.submit(task))
                except procs.Stopped:
                    pass
    if procs.stopping():
        raise procs.Stopped()
    ctx.progress.finish()
    finish_unsupported(ctx)
    for e in ctx.plan["configs"]:
        if e.get("aa_of"):
            copy_aa(ctx, e)


# ---------------------------------------------------------------- phase 2

def measure_clock(ctx: Context) -> dict | None:
    """The core's effective clock, from a host binary's --clock (the report
    turns measured time into cycles with it; /proc/cpuinfo's MHz is often a
    VM's nominal clock)."""
    for entry in ctx.plan["configs"]:
        rec = read_json(ctx.run / "configs" / entry["id"] / "build.json") or {}
        if entry["arch"] != "x86_64" or not rec.get("bin_dir") or entry.get("aa_of"):
            continue
        for k in ctx.plan["kernels"]:
            exe = Path(rec["bin_dir"]) / kernels_mod.binary_name(k)
            if exe.exists():
                r = procs.run([str(exe), "--clock"], timeout=60)
                try:
                    return json.loads(r.stdout) if r.returncode == 0 else None
                except ValueError:
                    return None
    return None


def phase_time(ctx: Context) -> None:
    policy = timing.Policy(size=ctx.plan["size"], min_samples=ctx.args.min_samples,
                           max_samples=ctx.args.max_samples, time_per_kernel=ctx.args.time_per_kernel)
    seed = ctx.plan["timing_seed"]
    work = []  # (kernel, [cells])
    for k in ctx.plan["kernels"]:
        cells = plan_cells(ctx, k)
        if cells:
            work.append((k, cells))
    total = sum(len(c) for _, c in work)
    print(f"sweep: timing {total} cells of {len(work)} kernels, {policy.min_samples} to "
          f"{policy.max_samples} processes each across {ctx.plan.get('seeds', 1)} layout seeds; "
          f"budget {fmt_duration(len(work) * policy.time_per_kernel)} "
          f"({policy.time_per_kernel:g} s per kernel, more where the minimum needs it)", file=sys.stderr)
    ctx.progress = Progress("time", total * policy.min_samples)
    for k, cells in work:
        rng = random.Random(f"{seed}:{k}")
        ctx.progress.note(f"{k}: {len(cells)} cells")

        def on_round(active, k=k):
            first = [c for c in active if len(c.samples) <= policy.min_samples]
            if first:
                ctx.progress.step(f"{k}: round of {len(active)} cells", count=len(first))

        timing.time_cells(cells, policy, rng, on_round)
        if procs.stopping():
            raise procs.Stopped()
        for cell in cells:
            kdir = kernel_dir(ctx.run, cell.config, k)
            write_json(kdir / "time" / f"{cell.variant}.json", timing.summarize(cell))
    ctx.progress.finish()


def plan_cells(ctx: Context, kernel: str) -> list:
    """The cells of one kernel to time now; writes "same code" and "not timed"
    records for the others."""
    cells, first_with_code = [], {}
    args = ctx.args
    dedupe = not ctx.plan.get("time_identical")
    aa_timed = set()  # A/A configurations that have their one variant of this kernel
    for entry in ctx.plan["configs"]:
        cid = entry["id"]
        kdir = kernel_dir(ctx.run, cid, kernel)
        checks = read_json(kdir / "check.json") or {}
        rec = read_json(ctx.run / "configs" / cid / "build.json") or {}
        desc = read_json(kdir / "describe.json") or {}
        default_reps = (desc.get("reps") or {}).get(ctx.plan["size"], 10)
        for variant, chk in checks.items():
            if chk.get("status") != "ok":
                continue
            out = kdir / "time" / f"{variant}.json"
            if entry["arch"] != "x86_64" or _emulator(Path(rec["bin_dir"])):
                if not out.exists():
                    write_json(out, {"not_timed": EMULATED_NOTE})
                continue
            line = chk.get("line") or {}
            # What must be equal for two cells to be one measurement: code, data,
            # libraries, start-up FP environment and dispatch path (None: never merge).
            key = (variant, asm_identity.dedupe_key(read_json(kdir / "asm" / f"{variant}.json"), line))
            if entry.get("aa_of") and not entry.get("aa_all"):
                # The A/A check needs one pair per kernel (its noise threshold
                # is per kernel), not a second copy of every cell.
                if cid in aa_timed:
                    if not out.exists():
                        write_json(out, {"not_timed": "A/A duplicate: one variant per kernel is timed"})
                    continue
                aa_timed.add(cid)
            same = dedupe and key[1] and not entry.get("aa_of")
            if same and key in first_with_code:
                if not out.exists():
                    write_json(out, {"same_as": first_with_code[key]})
                continue
            if same:
                first_with_code[key] = cid
            if args.resume and out.exists():
                continue
            name = kernels_mod.binary_name(kernel)
            exes = {s: layout.binary(rec["bin_dir"], s, name) for s in entry.get("seeds") or [0]}
            missing = [str(e) for e in exes.values() if not e.exists()]
            if missing:
                write_json(out, {"error": f"layout seed binary missing: {missing[0]}", "n": 0})
                continue
            rep_ns = line.get("median_ns")
            reps = timing.reps_for(rep_ns, default_reps, args.process_time)
            # The timed processes' checksums are compared with each other, not
            # with the check's: the check runs every variant in one process,
            # and kernels that update shared state in place (layout/particles,
            # memory/init) end there with another, equally right, checksum.
            cells.append(timing.Cell(cid, variant, exes, reps, baseline=cid == ctx.plan["baseline"]))
    return cells


def failures(run_dir: Path) -> list:
    """Everything of a finished run that a CI user must hear about: failed
    builds, kernels that failed to build, crashed, gave a wrong or
    nondeterministic result, or could not be timed."""
    out = []
    run = load(run_dir)
    for cid in run.configs:
        b = run.builds.get(cid) or {}
        if b.get("status") == "failed":
            out.append(f"{cid}: build failed: {b.get('message', '')}")
    for c in run.cells:
        moved = [s for s, rec in ((c.asm or {}).get("layout") or {}).items() if "layout_error" in rec]
        if moved:
            out.append(f"{c.config} {c.kernel}/{c.variant}: layout seed(s) {', '.join(moved)} changed "
                       f"the code, not only its place: {c.asm['layout'][moved[0]]['layout_error']}")
        if c.status in ("crashed", "wrong", "timeout", "timing failed") or (
                c.status == "build failed" and (run.builds.get(c.config) or {}).get("status") != "failed"):
            out.append(f"{c.config} {c.kernel}{'' if c.variant == '*' else '/' + c.variant}: "
                       f"{c.status}{': ' + c.detail[:200] if c.detail else ''}")
    return out


# ---------------------------------------------------------------- phase 3 and main

def write_tables(run_dir: Path) -> str | None:
    """The report (scripts/report.sh), written once, by its own writer.
    Returns what went wrong, or None."""
    r = subprocess.run([str(ROOT / "scripts" / "report.sh"), str(run_dir)], check=False)
    if r.returncode != 0:
        return f"the report failed ({procs.describe_exit(r.returncode)}); rerun: scripts/report.sh {run_dir}"
    return None


def update_latest(run_dir: Path) -> None:
    raw = ROOT / "results" / "raw"
    if run_dir.parent.resolve() != raw.resolve():
        return
    tmp = raw / ".latest.tmp"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(run_dir.name)
    os.replace(tmp, raw / "latest")


def resolve_run_dir(a: argparse.Namespace, plan: dict | None) -> Path:
    if a.resume:
        d = Path(a.out) if a.out else ROOT / "results" / "raw" / "latest"
        if not (d / "plan.json").exists():
            raise UsageError(f"--resume: {d} holds no run to resume (no plan.json)")
        return d.resolve()
    if a.out:
        d = Path(a.out)
        if (d / "plan.json").exists():
            raise UsageError(f"{d} already holds a run; use --resume to continue it, or another --out")
        return d.resolve()
    shard = "" if plan["shard"] == "1/1" else "-shard" + plan["shard"].replace("/", "of")
    return ROOT / "results" / "raw" / f"{time.strftime('%Y%m%d-%H%M%S')}-{plan['matrix']}{shard}"


def check_tools(a: argparse.Namespace) -> None:
    needed = ["cmake", "ninja"] + ([] if a.no_time else ["hyperfine"])
    missing = [t for t in needed if not shutil.which(t)]
    if missing:
        raise UsageError(f"missing tools: {', '.join(missing)} (scripts/deps.sh installs them)")


def main(argv=None) -> int:
    try:
        a = parse_args(argv if argv is not None else sys.argv[1:])
        if a.executor != "local" and not a.plan:
            return executor_drive.run(a, argv if argv is not None else sys.argv[1:], ROOT, make_plan,
                                      lambda plan: resolve_run_dir(a, plan))
        if a.resume:
            run_dir = resolve_run_dir(a, None)
            plan = read_json(run_dir / "plan.json")
        else:
            plan = make_plan(a)
            if a.plan:
                print_plan(plan, a)
                return 0
            run_dir = resolve_run_dir(a, plan)
        check_tools(a)
    except (UsageError, ConfigError) as e:
        print(f"sweep: {e}", file=sys.stderr)
        return 2

    def on_signal(signum, frame):
        if procs.stopping():
            os._exit(130)
        print(f"\nsweep: stopping ({signal.Signals(signum).name}); finished work is kept", file=sys.stderr)
        procs.request_stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_json(run_dir / "manifest.json") or {}
    command = "scripts/sweep.sh " + shlex.join(argv if argv is not None else sys.argv[1:])
    if a.resume:
        manifest.setdefault("resumed", []).append({"at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                                   "command": command})
        # A resumed run finishes the way it started: same steps, same stopping rules.
        for key in RESUMED_OPTIONS:
            if key in manifest.get("options", {}):
                setattr(a, key, manifest["options"][key])
    else:
        plan["timing_seed"] = a.seed if a.seed is not None else random.randrange(2 ** 32)
        write_json(run_dir / "plan.json", plan)
        manifest = {"run_id": run_dir.name, "command": command, "matrix": plan["matrix"],
                    "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "machine": machine.fingerprint(ROOT),
                    "machine_id": None, "options": {k: v for k, v in vars(a).items()}}
        manifest["machine_id"] = machine.machine_id(manifest["machine"])
    manifest["status"] = "running"
    write_json(run_dir / "manifest.json", manifest)
    update_latest(run_dir)

    ctx = Context(run_dir, plan, a)
    t0 = time.monotonic()
    print(f"sweep: run {run_dir}", file=sys.stderr)
    try:
        phase_build(ctx)
        t_build = time.monotonic() - t0
        if not a.no_time:
            clock = measure_clock(ctx)
            if clock and clock.get("clock_ghz"):
                manifest["machine"]["cpu"]["measured_ghz"] = clock["clock_ghz"]
                manifest["machine"]["cpu"]["measured_ghz_method"] = clock["method"]
                write_json(run_dir / "manifest.json", manifest)
            phase_time(ctx)
            if a.why:
                print("sweep: why step (profiles, remarks, counters of the verdicts)", file=sys.stderr)
                from .why import runstep
                runstep.main([str(run_dir)])
        manifest["status"] = "complete"
    except procs.Stopped:
        manifest["status"] = "interrupted"
        write_json(run_dir / "manifest.json", manifest)
        print(f"sweep: interrupted. Continue with: scripts/sweep.sh --resume --out {run_dir}",
              file=sys.stderr)
        return 130
    total = time.monotonic() - t0
    manifest["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    manifest.setdefault("durations", []).append({"build_check_asm_s": round(t_build, 1),
                                                 "total_s": round(total, 1),
                                                 "load_average_at_end": machine.load_average()})
    write_json(run_dir / "manifest.json", manifest)
    report_error = write_tables(run_dir)
    print(f"sweep: done in {fmt_duration(total)}. Tables: {run_dir / 'tables' / 'summary.md'}",
          file=sys.stderr)
    return report_problems(run_dir, [report_error] if report_error else [])


def report_problems(run_dir: Path, more: list = ()) -> int:
    """The sweep's last lines and exit status: 1, with every problem listed,
    when anything failed; 0 otherwise."""
    problems = failures(run_dir) + list(more)
    if not problems:
        return 0
    print(f"sweep: {len(problems)} problem(s); the rest of the run is complete:", file=sys.stderr)
    for line in problems:
        print(f"  {line}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
