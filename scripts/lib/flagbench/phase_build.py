"""The sweep's first phase: build every configuration, then per kernel its
--describe and --check, then the configuration's assembly + llvm-mca analysis
in a few batches.  The A/A duplicate takes all of this from the configuration
it duplicates."""
from __future__ import annotations

import concurrent.futures
import functools
import shutil
import subprocess
import threading
from pathlib import Path

from . import asm_step, build, builddir, check, kernels as kernels_mod, procs, seeds as layout_seeds
from .atomic import read_json, write_json, write_json_if_changed, write_text, write_text_if_changed
from .paths import ROOT
from .progress import Progress
from .run.plan import PlannedConfig
from .sweep_context import Context

MCA_CPUS = {"x86_64": ["host", "skylake", "icelake-server", "znver3", "znver4", "sapphirerapids"],
            "aarch64": ["neoverse-n1", "neoverse-v2"]}


def run(ctx: Context) -> None:
    """One pool of --jobs workers: every build (single-threaded Ninja, the
    longest first), then, as each build finishes, one task per kernel for its
    check, and when its checks are done, its analysis batches.  The queue keeps
    every CPU busy to the end, which one worker per configuration did not (the
    LTO build ran alone at the end)."""
    configs = sorted((c for c in ctx.plan.configs if not c.aa_of), key=_build_cost, reverse=True)
    k = len(ctx.plan.kernels)
    ctx.progress = Progress("build+check+asm", len(configs) * (1 + k),
                            total_work=sum(_build_work(c, k) + k for c in configs))
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


def _build_work(pc: PlannedConfig, kernels: int) -> float:
    """A build's weight for the ETA, in kernels' check + analysis: a plain
    build takes about twice as long as its kernels' checks and analysis (58
    against 32 CPU s a configuration in a default sweep, 2026-12-03), LTO and
    PGO more."""
    return kernels * (2 + _build_cost(pc))


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
    """Builds one configuration; returns its kernels' check tasks.  The last
    check to finish returns the configuration's analysis tasks."""
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
    ctx.progress.step(f"built {cid}: {rec['status']}", work=_build_work(pc, len(kernels)))
    if rec["status"] == "failed":
        ctx.progress.step(f"{cid}: build failed", count=len(kernels))
        return []
    bin_dir = Path(rec["bin_dir"])
    if not cdir.sizes.exists():
        write_json(cdir.sizes, _binary_sizes(bin_dir, kernels))
    emulator = builddir.emulator(bin_dir.parent)
    built = []
    for k in kernels:
        if k in rec.get("kernels_failed", {}):
            ctx.progress.step(f"{cid} {k}: build failed")
        else:
            built.append(k)
    left = _Countdown(len(built))

    def check_task(k):
        check_kernel(ctx, pc, k, bin_dir / kernels_mod.binary_name(k), emulator)
        return analysis_tasks(ctx, pc, bin_dir, built) if left.one_done() else None
    return [functools.partial(check_task, k) for k in built]


class _Countdown:
    """Counts finished tasks across the pool's threads; one_done() is True for the last."""

    def __init__(self, n: int):
        self.left, self.lock = n, threading.Lock()

    def one_done(self) -> bool:
        with self.lock:
            self.left -= 1
            return self.left == 0


def check_kernel(ctx: Context, pc: PlannedConfig, kernel: str, exe: Path, emulator: list) -> None:
    """--describe and --check of one kernel binary."""
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
    if not (ctx.args.resume and kdir.check.exists()):
        variants = [v["name"] for v in desc["variants"]]
        write_json(kdir.check, check.check_kernel(exe, variants, emulator, ctx.plan.size))


def analysis_tasks(ctx: Context, pc: PlannedConfig, bin_dir: Path, kernels: list) -> list:
    """The configuration's assembly analysis in a few batches: a batch is one
    process and one llvm-mca run per CPU model for all its kernels (starting
    llvm-mca, which relocates libLLVM, can cost more than a kernel's analysis),
    and there are enough batches, two per worker, to keep the workers busy to
    the end of the phase."""
    def task(chunk):
        wanted = [b for b in (_analysis_input(ctx, pc, k, bin_dir / kernels_mod.binary_name(k))
                              for k in chunk) if b is not None]
        if wanted:
            analyze(ctx, pc, wanted)
        for k in chunk:
            ctx.progress.step(f"{pc.id} {k}")
    return [functools.partial(task, chunk) for chunk in batches(kernels, ctx.args.jobs)]


def batches(items: list, jobs: int) -> list:
    """items in two batches per worker, as even as they go, in order."""
    size = max(1, -(-len(items) // max(1, min(len(items), 2 * jobs))))
    return [items[i:i + size] for i in range(0, len(items), size)]


def _analysis_input(ctx: Context, pc: PlannedConfig, kernel: str, exe: Path,
                    variants: list | None = None) -> asm_step.Binary | None:
    """What the analysis of one kernel binary needs; None when there is nothing to do."""
    if ctx.args.no_asm:
        return None
    kdir = ctx.run.kernel(pc.id, kernel)
    if variants is None:
        desc = read_json(kdir.describe)
        if desc is None:
            return None
        variants = [v["name"] for v in desc["variants"]]
    if ctx.args.resume and all(kdir.asm.summary(v).exists() for v in variants):
        return None
    return asm_step.Binary(exe, kernel, variants, kdir.asm.path,
                           check.dispatch_roots(read_json(kdir.check) or {}),
                           layout_binaries(exe, pc.build_seeds))


def layout_binaries(exe: Path, seeds: list) -> dict:
    """{seed: binary} of the layout seeds (not 0, the main binary) linked beside exe."""
    found = {s: layout_seeds.binary(exe.parent, s, exe.name) for s in seeds if s != 0}
    return {s: p for s, p in found.items() if p.exists()}


def analyze(ctx: Context, pc: PlannedConfig, binaries: list) -> None:
    """The assembly and llvm-mca analysis of some of a configuration's kernel
    binaries (flagbench.asm.analyze); a kernel's failure goes to its asm/error.json."""
    mca = [] if ctx.args.no_mca else (ctx.args.mca_cpus.split(",") if ctx.args.mca_cpus
                                      else MCA_CPUS.get(pc.arch, []))
    errors = asm_step.analyze(binaries, pc.arch, pc.axes["march"], mca, ctx.mca_cache)
    for kernel, err in errors.items():
        kdir = ctx.run.kernel(pc.id, kernel)
        if err:
            write_json(kdir.asm.error, {"error": err})
        elif kdir.asm.error.exists():
            kdir.asm.error.unlink()


def finish_unsupported(ctx: Context) -> None:
    """Builds this CPU cannot run: take the variant list from another build of
    the same architecture, record them unsupported, still capture assembly."""
    for pc in ctx.plan.configs:
        rec = ctx.build_record(pc.id)
        if not rec.get("bin_dir"):
            continue
        wanted = []
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
            b = _analysis_input(ctx, pc, k, Path(rec["bin_dir"]) / kernels_mod.binary_name(k), variants)
            if b is not None:
                wanted.append(b)
        if wanted:
            analyze(ctx, pc, wanted)


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
