"""Loads a run directory (docs/results-format.md) into one record per cell."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .atomic import read_json
from .run.layout import RunDir


@dataclasses.dataclass
class CellResult:
    kernel: str
    variant: str
    config: str
    status: str                 # ok, wrong, crashed, timeout, unsupported, build failed,
                                # same code, not timed, timing failed, not run
    detail: str = ""
    median_ns: float | None = None
    ci_ns: list | None = None
    n: int = 0
    same_as: str | None = None
    code_hash: str | None = None
    check: dict | None = None
    timing: dict | None = None
    asm: dict | None = None

    def _timed(self) -> list:
        return [s for s in (self.timing or {}).get("samples") or []
                if isinstance(s, dict) and s.get("median_ns") is not None]

    @property
    def samples(self) -> list:
        """The cell's own per-process sample values (ns per repetition); empty
        when it was not timed (a "same code" cell borrows none)."""
        return [s["median_ns"] for s in self._timed()]

    @property
    def sample_seeds(self) -> list | None:
        """The layout seed of each sample; None for runs made before seeds."""
        seeds = [s.get("seed") for s in self._timed()]
        return None if any(x is None for x in seeds) else seeds


@dataclasses.dataclass
class Run:
    path: Path
    manifest: dict
    plan: dict
    configs: list       # config ids in plan order
    baseline: str
    builds: dict        # config id -> its build record
    cells: list         # CellResult
    sizes: dict = dataclasses.field(default_factory=dict)      # config id -> its binaries' sizes

    @property
    def dir(self) -> RunDir:
        """Its files (flagbench.run.layout)."""
        return RunDir(self.path)

    def config(self, config_id: str) -> dict:
        """The plan's entry of a configuration (axes, flags, hash, aa_of)."""
        for c in self.plan["configs"]:
            if c["id"] == config_id:
                return c
        raise KeyError(config_id)

    def cell(self, kernel, variant, config):
        for c in self.cells:
            if (c.kernel, c.variant, c.config) == (kernel, variant, config):
                return c
        return None


def load(run_path: str | Path) -> Run:
    run_path = Path(run_path)
    run = RunDir(run_path)
    manifest = read_json(run.manifest, {})
    plan = read_json(run.require_run().plan)
    configs = [c["id"] for c in plan["configs"]]
    builds = {c: read_json(run.config(c).build_record, {}) for c in configs}
    sizes = {c: read_json(run.config(c).sizes, {}) or {} for c in configs}
    cells = []
    for kernel in plan["kernels"]:
        for config in configs:
            kdir = run.kernel(config, kernel)
            checks = read_json(kdir.check, {}) or {}
            build = builds.get(config) or {}
            variants = list(checks) or []
            if not variants:
                status = "not run"
                detail = ""
                if build.get("status") == "failed":
                    status, detail = "build failed", build.get("message", "")
                elif kernel in (build.get("kernels_failed") or {}):
                    status, detail = "build failed", build["kernels_failed"][kernel]
                cells.append(CellResult(kernel, "*", config, status, detail))
                continue
            for variant in variants:
                chk = checks[variant]
                cell = CellResult(kernel, variant, config, chk.get("status", "not run"),
                                  chk.get("why", ""), check=chk)
                cell.asm = read_json(kdir.asm.summary(variant))
                if cell.asm:
                    cell.code_hash = cell.asm.get("code_hash")
                timing = read_json(kdir.time(variant))
                if timing:
                    cell.timing = timing
                    if timing.get("same_as"):
                        cell.status, cell.same_as = "same code", timing["same_as"]
                        cell.detail = f"same code as {timing['same_as']}"
                    elif timing.get("not_timed"):
                        cell.status, cell.detail = "not timed", timing["not_timed"]
                    elif timing.get("error"):
                        # A cell that failed part-way keeps its samples on
                        # file but gets no verdict: the failure may be what
                        # the missing samples would have shown.
                        cell.status, cell.detail = "timing failed", timing["error"]
                    else:
                        cell.median_ns, cell.ci_ns, cell.n = (timing.get("median_ns"),
                                                              timing.get("ci_ns"), timing.get("n", 0))
                cells.append(cell)
    # A "same code" cell carries the timing of the cell it shares code with.
    index = {(c.kernel, c.variant, c.config): c for c in cells}
    for c in cells:
        if c.same_as:
            src = index.get((c.kernel, c.variant, c.same_as))
            if src is not None:
                c.median_ns, c.ci_ns, c.n = src.median_ns, src.ci_ns, src.n
    return Run(run_path, manifest, plan, configs, plan.get("baseline", configs[0]), builds, cells,
               sizes)
