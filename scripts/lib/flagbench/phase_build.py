"""The sweep's first phase: build every configuration, then per kernel its
--describe and --check and its assembly + llvm-mca analysis.  The A/A
duplicate takes all of this from the configuration it duplicates."""
from __future__ import annotations

import concurrent.futures
import shutil
import subprocess
from pathlib import Path

from . import asm_step, build, builddir, check, kernels as kernels_mod, procs, seeds as layout_seeds
from .atomic import read_json, write_json, write_json_if_changed, write_text, write_text_if_changed
from .paths import ROOT
from .progress import Progress
from .run.layout import KernelDir
from .run.plan import PlannedConfig
from .sweep_context import Context

MCA_CPUS = {"x86_64": ["host", "skylake", "icelake-server", "znver3", "znver4", "sapphirerapids"],
            "aarch64": ["neoverse-n1", "neoverse-v2"]}


def run(ctx: Context) -> None:
    """One pool of --jobs workers: every build (single-threaded Ninja, the
    longest first), then, as each build finishes, one task per kernel for its
    check and analysis.  The queue keeps every CPU busy to the end, which one
    worker per configuration did not (the LTO build ran alone at the end)."""
    configs = sorted((c for c in ctx.plan.configs if not c.aa_of), key=_build_cost, reverse=True)
    total = len(configs) * (1 + len(ctx.plan.kernels))
    ctx.progress = Progress("build+check+asm", total)
    with concurrent.futures.ThreadPoolExecutor(max_workers=ctx.args.jobs) as pool:
        pending = {pool.submit(build_config, ctx, c) for c in configs}
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
    for c in ctx.plan.configs:
        if c.aa_of:
            copy_aa(ctx, c)


def _build_cost(pc: PlannedConfig) -> int:
    """Rough build cost, so the longest builds start first."""
    return 2 * pc.pgo + (pc.axes.get("lto", "off") != "off")


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


def build_config(ctx: Context, pc: PlannedConfig) -> list:
    """Builds one configuration; returns its kernels' (check + analysis) tasks."""
    cid = pc.id
    cdir = ctx.run.config(cid)
    write_json_if_changed(cdir.config, pc.to_json())
    kernels = ctx.plan.kernels
    rec = read_json(cdir.build_record)
    if not (ctx.args.resume and rec and rec.get("bin_dir") and Path(rec["bin_dir"]).is_dir()):
        ctx.progress.note(f"building {cid}")
        rec, log, _ = build.build_configuration(ROOT, pc.config, pc.hash, Path(ctx.args.build_root) / cid,
                                                kernels, 1, pc.build_seeds, remarks=ctx.args.why)
        write_text(cdir.build_log, log)
        write_json(cdir.build_record, rec)
    ctx.progress.step(f"built {cid}: {rec['status']}")
    if rec["status"] == "failed":
        ctx.progress.step(f"{cid}: build failed", count=len(kernels))
        return []
    bin_dir = Path(rec["bin_dir"])
    if not cdir.sizes.exists():
        write_json(cdir.sizes, _binary_sizes(bin_dir, kernels))
    emulator = builddir.emulator(bin_dir.parent)
    tasks = []
    for k in kernels:
        if k in rec.get("kernels_failed", {}):
            ctx.progress.step(f"{cid} {k}: build failed")
            continue

        def task(k=k):
            check_and_analyze(ctx, pc, k, bin_dir / kernels_mod.binary_name(k), emulator)
            ctx.progress.step(f"{cid} {k}")
        tasks.append(task)
    return tasks


def check_and_analyze(ctx: Context, pc: PlannedConfig, kernel: str, exe: Path, emulator: list) -> None:
    """--describe and --check of one kernel binary, then its analysis."""
    kdir = ctx.run.kernel(pc.id, kernel)
    desc = read_json(kdir.describe)
    if desc is None and not kdir.unsupported.exists():
        desc, code, err = check.describe(exe, emulator)
        if desc is not None:
            write_json(kdir.describe, desc)
        elif code == 3:
            # The whole build needs an ISA this CPU lacks: checked, timed never;
            # its variants and assembly come in the post-pass.
            write_json(kdir.unsupported, {"exit": 3, "why": err})
            return
        else:
            write_json(kdir.check, {"*": {"status": "crashed", "exit": code,
                                          "why": f"--describe: {procs.describe_exit(code)} {err}"}})
            return
    if desc is None:
        return
    variants = [v["name"] for v in desc["variants"]]
    if not (ctx.args.resume and kdir.check.exists()):
        write_json(kdir.check, check.check_kernel(exe, variants, emulator, ctx.plan.size))
    analyze(ctx, pc, kernel, exe, variants, kdir)


def analyze(ctx: Context, pc: PlannedConfig, kernel: str, exe: Path, variants: list,
            kdir: KernelDir) -> None:
    """The kernel's assembly and llvm-mca analysis (flagbench.asm.analyze)."""
    if ctx.args.no_asm:
        return
    if ctx.args.resume and all(kdir.asm.summary(v).exists() for v in variants):
        return
    mca = [] if ctx.args.no_mca else (ctx.args.mca_cpus.split(",") if ctx.args.mca_cpus
                                      else MCA_CPUS.get(pc.arch, []))
    checks = read_json(kdir.check) or {}
    roots = {v: [s for s in ((c.get("line") or {}).get("dispatch") or "").split(",") if s]
             for v, c in checks.items()}
    seeds = {s: layout_seeds.binary(exe.parent, s, exe.name) for s in pc.build_seeds if s != 0}
    err = asm_step.analyze(exe, kernel, variants, pc.arch, pc.axes["march"], mca, kdir.asm.path,
                           ctx.mca_cache, roots=roots,
                           layout_binaries={s: p for s, p in seeds.items() if p.exists()})
    if err:
        write_json(kdir.asm.error, {"error": err})


def finish_unsupported(ctx: Context) -> None:
    """Builds this CPU cannot run: take the variant list from another build of
    the same architecture, record them unsupported, still capture assembly."""
    for pc in ctx.plan.configs:
        rec = ctx.build_record(pc.id)
        if not rec.get("bin_dir"):
            continue
        for k in ctx.plan.kernels:
            kdir = ctx.run.kernel(pc.id, k)
            marker = read_json(kdir.unsupported)
            if marker is None or kdir.check.exists():
                continue
            variants = None
            for other in ctx.plan.configs:
                d = read_json(ctx.run.kernel(other.id, k).describe)
                if d and other.arch == pc.arch:
                    variants = [v["name"] for v in d["variants"]]
                    break
            if variants is None:
                write_json(kdir.check, {"*": {"status": "unsupported", "exit": 3, "why": marker["why"]}})
                continue
            write_json(kdir.check, check.unsupported_build(variants, 3, marker["why"]))
            analyze(ctx, pc, k, Path(rec["bin_dir"]) / kernels_mod.binary_name(k), variants, kdir)


def copy_aa(ctx: Context, pc: PlannedConfig) -> None:
    """The A/A duplicate shares its source configuration's build and checks;
    only its timing is its own."""
    src, dst = ctx.run.config(pc.aa_of), ctx.run.config(pc.id)
    write_json_if_changed(dst.config, pc.to_json())
    rec = read_json(src.build_record) or {"status": "failed", "message": "source build missing"}
    write_json_if_changed(dst.build_record, dict(rec, shared_with=pc.aa_of))
    if src.sizes.exists():
        write_text_if_changed(dst.sizes, src.sizes.read_text())
    for k in ctx.plan.kernels:
        s, d = src.kernel(k), dst.kernel(k)
        for f in s.build_files():
            write_text_if_changed(d.path / f.relative_to(s.path), f.read_text())
