"""A run's cells with their statistics, speedups against the baseline, verdicts
(A/A check: aacheck.py; false-discovery-rate control: fdr.py) and best
configurations: the model every table, plot and page is drawn from."""
from __future__ import annotations

import dataclasses
import math
import shlex
from pathlib import Path

from .. import results
from ..kernels import binary_name
from flagbench.asm import identity as asm_identity
from . import aacheck, fdr, statistics as st

# How a cell's status is written in tables.
STATUS_TEXT = {"ok": "ok", "wrong": "wrong result", "crashed": "crashed", "timeout": "timeout",
               "unsupported": "unsupported", "build failed": "build failed",
               "not timed": "not timed", "timing failed": "timing failed", "not run": "not run"}


@dataclasses.dataclass
class Cell:
    kernel: str
    variant: str
    config: str
    status: str                     # the loader's status (results.CellResult.status)
    detail: str = ""
    same_as: str | None = None      # configuration whose identical code was timed instead
    code_hash: str | None = None
    identity: str | None = None     # asm.identity.dedupe_key: code, data, libraries, FP env, dispatch
    samples: list = dataclasses.field(default_factory=list)   # own samples, ns per repetition
    sample_seeds: list | None = None  # layout seed of each sample (None: one layout)
    stats: st.Summary | None = None  # own, or borrowed from same_as
    items: int | None = None        # work items per repetition
    reps: int | None = None         # repetitions per timed process
    asm: dict | None = None
    timing: dict | None = None
    vs_base: st.Comparison | None = None

    @property
    def key(self):
        return self.kernel, self.variant, self.config

    @property
    def status_text(self) -> str:
        if self.same_as:
            return f"same code as {self.same_as}"
        return STATUS_TEXT.get(self.status, self.status)

    @property
    def measured(self) -> bool:
        return self.stats is not None

    @property
    def ns_per_item(self) -> float | None:
        if self.stats is None or not self.items:
            return None
        return self.stats.median / self.items


@dataclasses.dataclass
class Options:
    floor: float = st.NOISE_FLOOR
    confidence: float = st.CONFIDENCE
    replicates: int = st.REPLICATES
    namespace: str = "run"          # part of every seed; compare uses one per side
    fdr: float = 0.05               # false discovery rate q of the run's calls


class Analysis:
    def __init__(self, run: results.Run, options: Options | None = None):
        self.run = run
        self.options = options or Options()
        self.baseline = run.baseline
        self.configs = list(run.configs)
        self.cells: dict = {}
        self._log_cache: dict = {}
        self.rows: list = []            # (kernel, variant) in plan order
        self._load()
        self._summarize()
        # kernel -> its A/A term: the largest log distance of an A/A interval from 1
        self.aa_pairs, self.aa_noise = aacheck.judge(self)
        self._vs_baseline()
        self.fdr = fdr.control(self)

    # ---------------------------------------------------------------- loading

    def _load(self):
        run = self.run
        variants: dict = {}
        for c in run.cells:
            if c.variant != "*":
                variants.setdefault(c.kernel, [])
                if c.variant not in variants[c.kernel]:
                    variants[c.kernel].append(c.variant)
        for kernel in run.plan["kernels"]:
            for v in variants.get(kernel) or ["*"]:   # "*": the kernel never built or ran
                self.rows.append((kernel, v))
        for c in run.cells:
            # A kernel that did not build (or run) in a configuration has no
            # variants there: give it every variant the kernel has elsewhere.
            names = [c.variant] if c.variant != "*" else (variants.get(c.kernel) or ["*"])
            for v in names:
                cell = Cell(c.kernel, v, c.config, c.status, c.detail, c.same_as, c.code_hash,
                            asm=c.asm, timing=c.timing)
                if c.variant != "*":
                    cell.identity = asm_identity.dedupe_key(c.asm, (c.check or {}).get("line"))
                if c.variant != "*" and c.status == "ok":
                    cell.samples = c.samples
                    cell.sample_seeds = c.sample_seeds
                    line = (c.check or {}).get("line") or {}
                    cell.items = line.get("items")
                    cell.reps = (c.timing or {}).get("reps_per_process")
                    if c.status == "ok" and not c.samples and not c.same_as and not c.timing:
                        cell.status, cell.detail = "not timed", "no timing in this run"
                self.cells[cell.key] = cell

    def _summarize(self):
        o = self.options
        for cell in self.cells.values():
            if cell.samples:
                cell.stats = st.summarize(cell.samples, st.seed_for(o.namespace, *cell.key),
                                          o.confidence, o.replicates, cell.sample_seeds)
        for cell in self.cells.values():
            if cell.same_as and cell.stats is None:
                # Identical code was timed once: this cell inherits its twin's
                # samples, with replicates of its own, so a comparison of the
                # two reads 1.00 with the interval the measurement supports
                # rather than a false certainty of [1.00, 1.00].
                src = self.source(cell)
                if src is not None and src.samples:
                    cell.stats = st.summarize(src.samples, st.seed_for(o.namespace, *cell.key),
                                              o.confidence, o.replicates, src.sample_seeds)

    def source(self, cell: Cell) -> Cell | None:
        """The cell whose timing this one uses (itself when timed)."""
        seen = set()
        while cell is not None and cell.same_as and cell.config not in seen:
            seen.add(cell.config)
            cell = self.cells.get((cell.kernel, cell.variant, cell.same_as))
        return cell

    def cell(self, kernel, variant, config) -> Cell | None:
        return self.cells.get((kernel, variant, config))

    def ordered_cells(self) -> list:
        """Every cell in table order: rows (plan order), then configurations.  A
        kernel that never built or ran has its cells in a "*" row."""
        return [c for k, v in self.rows for c in (self.cell(k, v, x) for x in self.configs) if c]

    def config(self, config_id: str) -> dict:
        return self.run.config(config_id)

    def is_duplicate(self, config_id: str) -> bool:
        return bool(self.config(config_id).get("aa_of"))

    # ---------------------------------------------------------------- comparisons

    def compare_cells(self, base: Cell | None, other: Cell | None, extra: float = 0.0,
                      confidence: float | None = None) -> st.Comparison:
        """Speedup of `other` over `base` with interval and verdict."""
        if base is None or other is None:
            return st.Comparison(None, None, None, st.NO_DATA, "a cell is missing")
        if base.stats is None:
            return st.Comparison(None, None, None, st.NO_DATA, f"{base.config}: {base.status_text}")
        if other.stats is None:
            return st.Comparison(None, None, None, st.NO_DATA, f"{other.config}: {other.status_text}")
        c = st.compare(base.stats, other.stats, self.options.floor, extra,
                       confidence or self.options.confidence)
        sb, so = self.source(base), self.source(other)
        if sb is so and c.ratio is not None:
            c.verdict, c.reason = st.SAME, f"same code as {sb.config}: timed once"
        return c

    def extra_threshold(self, kernel: str) -> float:
        """The A/A term of a kernel's noise threshold (a relative change)."""
        return math.expm1(self.aa_noise.get(kernel, 0.0))

    def compare_configs(self, kernel, variant, a: str, b: str) -> st.Comparison:
        return self.compare_cells(self.cell(kernel, variant, a), self.cell(kernel, variant, b),
                                  self.extra_threshold(kernel))

    def _vs_baseline(self):
        for (kernel, variant) in self.rows:
            base = self.cell(kernel, variant, self.baseline)
            for config in self.configs:
                cell = self.cell(kernel, variant, config)
                if cell is None or config == self.baseline:
                    continue
                cell.vs_base = self.compare_cells(base, cell, self.extra_threshold(kernel))

    def aa_summary(self) -> dict:
        return aacheck.summary(self.aa_pairs, self.options.confidence)

    def fdr_summary(self) -> dict:
        return fdr.summary(self)

    def placement_summary(self) -> dict | None:
        """Calls between the baseline and configurations that differ from it
        only in the placement axis (matrix/placement.matrix): code moved, no
        instruction changed, so every call is a false one.  None when the
        run has no such configuration."""
        base_axes = self.config(self.baseline).get("axes") or {}
        moved = [c for c in self.candidates()
                 if {k: v for k, v in (self.config(c).get("axes") or {}).items() if k != "placement"}
                 == {k: v for k, v in base_axes.items() if k != "placement"}]
        if not moved:
            return None
        judged = [cell.vs_base for cell in self.cells.values()
                  if cell.config in moved and cell.samples and cell.vs_base is not None
                  and cell.vs_base.ci is not None]
        wrong = sum(c.verdict in (st.FASTER, st.SLOWER) for c in judged)
        n = len(judged)
        return {"pairs": n, "wrong_by_verdict": wrong, "wrong_rate": wrong / n if n else None,
                "wrong_rate_ci": st.wilson_interval(wrong, n, self.options.confidence),
                "configs": moved}

    def layout_sensitive(self, top: int = 5) -> list:
        """(kernel, variant, config, spread) of the cells whose per-seed medians
        differ most (placement and each seed's process noise together)."""
        rows = [(c.stats.layout, c.kernel, c.variant, c.config) for c in self.cells.values()
                if c.stats is not None and c.stats.layout is not None and c.samples]
        return [(k, v, cfg, sp) for sp, k, v, cfg in sorted(rows, reverse=True)[:top]]

    def log_terms(self, base: Cell, other: Cell) -> list | None:
        """[log speedup] + its log replicates, for geometric means; None if unmeasured."""
        if base is None or other is None or base.stats is None or other.stats is None:
            return None
        if base.stats.replicates is None or other.stats.replicates is None:
            return None
        lb, lo = self._logs(base), self._logs(other)
        return [u - v for u, v in zip(lb, lo)]

    def _logs(self, cell: Cell) -> list:
        """[log median] + log replicates of a cell, computed once."""
        key = id(cell.stats)
        if key not in self._log_cache:
            s = cell.stats
            self._log_cache[key] = [math.log(s.median)] + [math.log(r) for r in s.replicates]
        return self._log_cache[key]

    def threshold_of(self, cells: list, kernel: str) -> float:
        spreads = [x for c in cells if c.stats for x in (c.stats.noise, c.stats.layout)]
        return st.threshold_of(spreads, self.options.floor, self.extra_threshold(kernel))

    # ---------------------------------------------------------------- best

    def kernel_compare(self, kernel: str, a: str, b: str,
                       confidence: float | None = None) -> st.Comparison:
        """Geometric mean over the kernel's variants of the speedup of `b` over `a`."""
        terms, ths = [], []
        for (k, v) in self.rows:
            if k != kernel:
                continue
            ca, cb = self.cell(k, v, a), self.cell(k, v, b)
            t = self.log_terms(ca, cb)
            if t is None:
                continue
            terms.append(t)
            ths.append(self.threshold_of([ca, cb], kernel))
        return st.combine(terms, ths, confidence or self.options.confidence)

    def kernel_speedup(self, kernel: str, config: str, confidence: float | None = None) -> st.Comparison:
        return self.kernel_compare(kernel, self.baseline, config, confidence)

    def candidates(self) -> list:
        """Configurations that compete for "best" (not the baseline, not A/A duplicates)."""
        return [c for c in self.configs if c != self.baseline and not self.is_duplicate(c)]

    def selection_confidence(self) -> float:
        """The confidence of a winner's interval: picking the largest of k
        speedups favours the one whose noise happened to help (the winner's
        curse), so the winner is judged with simultaneous intervals over the k
        candidates (Bonferroni: 1 - alpha/k)."""
        k = max(1, len(self.candidates()))
        return 1 - (1 - self.options.confidence) / k

    def _best(self, ranked: list, rejudge, tie_compare) -> tuple:
        """ranked: (ratio, config) of the configurations called faster.  The
        highest is the winner if it is still called faster at the selection
        confidence; ties: the others not significantly slower than it."""
        if not ranked:
            return None, None, []
        _, best = max(ranked)
        cmp_ = rejudge(best)
        if cmp_.verdict != st.FASTER:
            return None, None, []
        ties = [c for _, c in ranked if c != best and tie_compare(best, c).verdict != st.SLOWER]
        return best, cmp_, ties

    def best_for_row(self, kernel, variant) -> tuple:
        """(config, comparison, ties) for the configuration with the highest
        speedup among those called faster; ties: the other configurations
        called faster whose difference from it is not significant."""
        ranked = []
        for c in self.candidates():
            cell = self.cell(kernel, variant, c)
            if cell is not None and cell.vs_base is not None and cell.vs_base.verdict == st.FASTER:
                ranked.append((cell.vs_base.ratio, c))
        base = self.cell(kernel, variant, self.baseline)
        return self._best(
            ranked,
            lambda c: self.compare_cells(base, self.cell(kernel, variant, c), self.extra_threshold(kernel),
                                         self.selection_confidence()),
            lambda x, y: self.compare_configs(kernel, variant, x, y))

    def best_for_kernel(self, kernel) -> tuple:
        ranked = []
        for c in self.candidates():
            cmp_ = self.kernel_speedup(kernel, c)
            if cmp_.verdict == st.FASTER:
                ranked.append((cmp_.ratio, c))
        return self._best(ranked, lambda c: self.kernel_speedup(kernel, c, self.selection_confidence()),
                          lambda x, y: self.kernel_compare(kernel, x, y))

    # ---------------------------------------------------------------- provenance

    @property
    def machine(self) -> dict:
        return self.run.manifest.get("machine") or {}

    @property
    def machine_id(self) -> str:
        return self.run.manifest.get("machine_id") or "unknown machine"

    def machine_line(self) -> str:
        m = self.machine
        cpu = m.get("cpu") or {}
        tools = m.get("tools") or {}
        parts = [cpu.get("model", "unknown CPU"),
                 f"{cpu.get('logical_cpus', '?')} logical CPUs",
                 f"{cpu.get('mhz_reported')} MHz reported" if cpu.get("mhz_reported") else None,
                 f"SMT {cpu.get('smt')}" if cpu.get("smt") not in (None, "") else None,
                 f"governor {cpu.get('governor')}" if cpu.get("governor") else None,
                 m.get("kernel"), m.get("os"),
                 f"{m['memory_bytes'] / 2**30:.0f} GiB" if m.get("memory_bytes") else None]
        line = ", ".join(p for p in parts if p)
        comp = [tools[t] for t in ("gcc", "clang-19", "clang") if tools.get(t)]
        if comp:
            line += "; " + "; ".join(comp)
        return line

    @property
    def run_id(self) -> str:
        return self.run.manifest.get("run_id") or Path(self.run.path).name

    @property
    def mhz(self) -> float | None:
        """The clock that turns measured ns into cycles: the one the sweep
        measured (harness --clock), else the one /proc/cpuinfo reported."""
        cpu = self.machine.get("cpu") or {}
        if cpu.get("measured_ghz"):
            return cpu["measured_ghz"] * 1000
        return cpu.get("mhz_reported")

    @property
    def mhz_source(self) -> str:
        cpu = self.machine.get("cpu") or {}
        if cpu.get("measured_ghz"):
            return "measured by the sweep (`machine.cpu.measured_ghz`: dependent adds, 1 per cycle)"
        return "reported by /proc/cpuinfo (`machine.cpu.mhz_reported`; a VM often reports its nominal clock)"

    def matrix_arg(self) -> str:
        """The --matrix argument that names this run's matrix."""
        plan = self.run.plan
        name, path = plan.get("matrix"), plan.get("matrix_file")
        if path and Path(path).name == f"{name}.matrix" and Path(path).parent.name == "matrix":
            return name
        return path or name or "quick"

    def sweep_command(self, configs: list, kernels) -> str:
        """The one-line sweep that rebuilds and re-times these configurations (and
        the baseline, which a sweep always keeps) for these kernels."""
        def alternatives(names):
            names = [names] if isinstance(names, str) else list(names)
            esc = [n.replace(".", r"\.").replace("+", r"\+") for n in names]
            return "^" + (esc[0] if len(esc) == 1 else "(" + "|".join(esc) + ")") + "$"
        args = ["scripts/sweep.sh", "--matrix", self.matrix_arg(), "--configs", alternatives(configs),
                "--kernels", alternatives(kernels)]
        size = self.run.plan.get("size")
        if size and size != "ref":
            args += ["--size", str(size)]
        return shlex.join(args)

    def asm_text(self, cell: Cell) -> str | None:
        """The cell's normalized assembly (asm/<variant>.s), None when absent."""
        path = self.run.dir.kernel(cell.config, cell.kernel).asm.text(cell.variant)
        try:
            return path.read_text()
        except OSError:
            return None

    def run_command(self, cell: Cell) -> str | None:
        """The one-line command that runs the cell's binary as the timing did."""
        src = self.source(cell) or cell
        build = self.run.builds.get(src.config) or {}
        if not build.get("bin_dir"):
            return None
        exe = str(Path(build["bin_dir"]) / binary_name(cell.kernel))
        args = [exe, "--variant", cell.variant, "--size", str(self.run.plan.get("size", "ref"))]
        if src.reps:
            args += ["--reps", str(src.reps)]
        return shlex.join(args)
