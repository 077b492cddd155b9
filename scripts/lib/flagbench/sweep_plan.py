"""The sweep's plan: which configurations and kernels a new run builds, checks
and times (plan.json), and --plan's printout of it."""
from __future__ import annotations

import argparse
import re

from . import config, kernels as kernels_mod, seeds as layout_seeds
from .axes import parse_axes
from .executors import estimate as executor_estimate
from .matrix import find_matrix, parse_matrix
from .paths import ROOT
from .run.plan import Plan, PlannedConfig
from .sweep_cli import UsageError


def make_plan(a: argparse.Namespace) -> Plan:
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
    planned = []
    aa_sources = {c.aa_of for c in configs if c.aa_of}
    for c in configs:
        seeds = layout_seeds.seeds_for(a.seeds, aa=bool(c.aa_of))
        planned.append(PlannedConfig(
            c, seeds, config.config_hash(axes, ROOT, c), config.resolved(axes, c),
            # its build also links the A/A duplicate's seeds
            link_seeds=seeds + layout_seeds.seeds_for(a.seeds, aa=True) if c.id in aa_sources else None,
            flags_pgo_generate=config.resolved(axes, c, "generate") if c.axes.get("pgo") == "on" else None))
    return Plan(matrix.name, str(matrix.path), matrix.description, matrix.path.read_text(),
                matrix.baseline.id, a.size, a.shard, a.seeds, a.time_identical or matrix.time_identical,
                planned, chosen)


def print_plan(plan: Plan, a: argparse.Namespace) -> None:
    print(f"matrix {plan.matrix}: {plan.description}")
    print(f"{len(plan.configs)} configurations x {len(plan.kernels)} kernels, size {plan.size}, "
          f"shard {plan.shard}\n")
    for c in plan.configs:
        tags = []
        if c.id == plan.baseline:
            tags.append("baseline")
        if c.aa_of:
            tags.append(f"A/A duplicate of {c.aa_of}: its build, layout seeds {c.seeds}")
        if c.pgo:
            tags.append("PGO: instrumented build + train run + optimized build")
        if c.arch != "x86_64":
            tags.append("emulated: not timed")
        f = c.flags
        flags = " ".join(f["target"] + f["compile"])
        print(f"  {c.id:<32} hash {c.hash}  {'; '.join(tags)}")
        print(f"      {c.toolchain}: {flags}  | link: {' '.join(f['link'])}")
    print("\nkernels: " + " ".join(plan.kernels))
    builds = sum(1 + c.pgo for c in plan.configs if not c.aa_of)
    print(f"\nwould run: {builds} builds, {len(plan.configs) * len(plan.kernels)} kernel checks"
          f"{'' if a.no_asm else ', assembly capture'}{'' if a.no_asm or a.no_mca else ' + llvm-mca'}"
          f"{'' if a.no_time else ', then timing (hyperfine)'}")
    print(executor_estimate.text(plan, a, ROOT))
