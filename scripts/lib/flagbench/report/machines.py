"""Cross-machine tables of a run that spans several machines (scripts/merge.sh
of runs from different machine kinds: OUT/machines/<kind>/ holds one run each).

scripts/report.sh OUT writes every machine's own tables and report into
OUT/machines/<kind>/tables/, then, into OUT/tables/, machines.md/.csv/.json
and report.html: the flag effects per machine side by side, each machine's
A/A rate, and which machine each "best configuration" holds for.  Speedups
are only ever computed within one machine; the tables set them side by side.
"""
from __future__ import annotations

from pathlib import Path

from .. import results
from ..atomic import read_json, write_text
from ..run.layout import RunDir, TablesDir as T
from . import fmt, mdhtml
from . import statistics as st
from .analysis import Analysis, Options
from .effects import Effects, _overall

SCHEMA = "flagbench-machines-tables/1"
MULTI_SCHEMA = "flagbench-machines/1"   # the merged run's manifest (executors/merge.py)


def is_multi_machine(run_dir) -> bool:
    m = read_json(RunDir(run_dir).manifest)
    return isinstance(m, dict) and m.get("schema") == MULTI_SCHEMA


class Machine:
    def __init__(self, entry: dict, run_dir: Path, options: Options | None):
        self.entry = entry
        self.dir = run_dir / entry["dir"]
        self.id = entry["machine_id"]
        self.a = Analysis(results.load(self.dir), options)
        self.e = Effects(self.a)

    def config_speedup(self, config: str) -> st.Comparison:
        """Geometric mean over kernels of the speedup of `config` over the baseline."""
        a = self.a
        per_kernel = {}
        for kernel, variant in a.rows:
            t = a.log_terms(a.cell(kernel, variant, a.baseline), a.cell(kernel, variant, config))
            if t is None:
                continue
            terms, ths = per_kernel.setdefault(kernel, ([], []))
            terms.append(t)
            ths.append(a.threshold_of([a.cell(kernel, variant, a.baseline), a.cell(kernel, variant, config)],
                                      kernel))
        return _overall(per_kernel, a.options.confidence)


class CrossMachine:
    def __init__(self, run_dir: Path, options: Options | None = None):
        self.dir = Path(run_dir)
        self.manifest = read_json(RunDir(self.dir).manifest)
        self.machines = [Machine(m, self.dir, options) for m in self.manifest["machines"]]
        first = self.machines[0].a
        self.baseline = first.baseline
        self.configs = [c for c in first.configs if c != self.baseline]
        self.kernels = sorted({k for m in self.machines for k in m.a.run.plan["kernels"]})

    # ------------------------------------------------------------ the three tables

    def config_rows(self) -> list:
        """(config, {machine id: Comparison}) — each configuration against the baseline."""
        return [(c, {m.id: m.config_speedup(c) for m in self.machines}) for c in self.configs]

    def effect_rows(self) -> list:
        labels = []
        for m in self.machines:
            for ef in m.e.effects:
                if ef.label not in labels:
                    labels.append(ef.label)
        rows = []
        for label in labels:
            rows.append((label, {m.id: next((ef.overall for ef in m.e.effects if ef.label == label), None)
                                 for m in self.machines}))
        return rows

    def kernel_rows(self) -> list:
        """(kernel, config, {machine id: Comparison}) for every candidate configuration."""
        out = []
        for k in self.kernels:
            for c in self.configs:
                by = {}
                for m in self.machines:
                    if k in m.a.run.plan["kernels"]:
                        by[m.id] = m.a.kernel_speedup(k, c)
                out.append((k, c, by))
        return out

    def aa_rows(self) -> list:
        return [(m, m.a.aa_summary()) for m in self.machines]

    def best_rows(self) -> list:
        """(kernel, {machine id: (best, ties)}, holds_for {config: [machine ids]})."""
        rows = []
        for k in self.kernels:
            by, holds = {}, {}
            for m in self.machines:
                if k not in m.a.run.plan["kernels"]:
                    continue
                best, _, ties = m.a.best_for_kernel(k)
                by[m.id] = (best, ties)
                for c in ([best] + ties) if best else []:
                    holds.setdefault(c, []).append(m.id)
            rows.append((k, by, holds))
        return rows

    # ------------------------------------------------------------ output

    def markdown(self) -> str:
        ms = self.machines
        ids = [m.id for m in ms]
        git = self.manifest.get("git") or {}
        out = [f"# flagbench run {self.manifest.get('run_id')}: {len(ms)} machines", "",
               *fmt.md_table(["run", f"`{self.manifest.get('run_id')}`"], [
                   ["command", f"`{self.manifest.get('command', '')}`"],
                   ["matrix", f"`{self.manifest.get('matrix')}`, baseline `{self.baseline}`, size "
                              f"`{self.manifest.get('size')}`"],
                   ["source", (git.get("commit") or "unknown")[:12]]]), "",
               "Every speedup below is measured within one machine (a configuration against that "
               "machine's own baseline); the machines are only set side by side.", "",
               "## Machines", ""]
        out += fmt.md_table(["machine id", "CPU", "hosts", "configurations × kernels", "report"], [
            [f"`{m.id}`", m.a.machine_line(), ", ".join(m.entry.get("hosts", [])),
             f"{len(m.a.configs)} × {len(m.a.run.plan['kernels'])}",
             f"[summary]({_link(m, T.SUMMARY.md)}) · [report]({_link(m, T.REPORT_HTML)})"]
            for m in ms])
        out += ["", "## Flag effect per machine", "",
                "Each configuration against the baseline, geometric mean over kernels "
                "(▲ faster, ▼ slower, beyond the noise):", ""]
        out += fmt.md_table(["configuration"] + [f"`{i}`" for i in ids],
                            [[f"`{c}`"] + [fmt.comparison(by.get(i)) for i in ids] for c, by in self.config_rows()])
        effects = self.effect_rows()
        if effects:
            out += ["", "Per-axis effects (pairs of configurations that differ in that axis only):", ""]
            out += fmt.md_table(["change"] + [f"`{i}`" for i in ids],
                                [[label] + [fmt.comparison(by.get(i)) for i in ids] for label, by in effects])
        out += ["", "Per kernel:", ""]
        out += fmt.md_table(["kernel", "configuration"] + [f"`{i}`" for i in ids],
                            [[f"`{k}`", f"`{c}`"] + [fmt.comparison(by[i]) if i in by else "not run here"
                                                     for i in ids] for k, c, by in self.kernel_rows()])
        out += ["", "## A/A check per machine", "",
                "Pairs of identical code timed separately on that machine, and how many the verdict "
                "rule called different (the false-positive rate of that machine's verdicts):", ""]
        rows = []
        for m, s in self.aa_rows():
            ci = s["wrong_rate_ci"]
            rows.append([f"`{m.id}`", s["pairs"], s["wrong_by_verdict"], fmt.pct(s["wrong_rate"]),
                         f"{fmt.pct(ci[0])}–{fmt.pct(ci[1])}" if ci else "",
                         fmt.pct(s["largest_aa_difference"])])
        out += fmt.md_table(["machine id", "A/A pairs", "called different", "rate", "95% interval",
                             "largest A/A difference"], rows)
        out += ["", "## Best configuration per machine", "",
                "Per kernel, the fastest configuration called faster than the baseline on each machine "
                "(ties: not significantly slower than it), and the machines each of them holds for:", ""]
        rows = []
        for k, by, holds in self.best_rows():
            cells = []
            for i in ids:
                if i not in by:
                    cells.append("not run here")
                    continue
                best, ties = by[i]
                cells.append("none faster" if not best else
                             f"`{best}`" + (f" (ties: {', '.join(f'`{t}`' for t in ties)})" if ties else ""))
            hold = "; ".join(f"`{c}`: " + (", ".join(f"`{i}`" for i in ms_) if len(ms_) < len(by) else "all")
                             for c, ms_ in holds.items()) or "—"
            rows.append([f"`{k}`"] + cells + [hold])
        out += fmt.md_table(["kernel"] + [f"`{i}`" for i in ids] + ["holds for"], rows)
        return "\n".join(out) + "\n"

    def csv_text(self) -> str:
        rows = []
        for c, by in self.config_rows():
            for i, cmp_ in by.items():
                rows.append(["config", i, "*", c, *_cmp_cols(cmp_)])
        for k, c, by in self.kernel_rows():
            for i, cmp_ in by.items():
                rows.append(["kernel", i, k, c, *_cmp_cols(cmp_)])
        for label, by in self.effect_rows():
            for i, cmp_ in by.items():
                rows.append(["effect", i, "*", label, *_cmp_cols(cmp_)])
        for m, s in self.aa_rows():
            rows.append(["aa", m.id, "*", "*", s["wrong_rate"], None, None, f"{s['wrong_by_verdict']}/{s['pairs']}"])
        for k, by, _ in self.best_rows():
            for i, (best, ties) in by.items():
                rows.append(["best", i, k, best or "", None, None, None, " ".join(ties)])
        return fmt.csv_text(["table", "machine_id", "kernel", "config_or_change", "ratio", "ci_low",
                             "ci_high", "verdict"], [fmt.rnd(r) for r in rows])

    def json_text(self) -> str:
        return fmt.json_text({
            "schema": SCHEMA, "run_id": self.manifest.get("run_id"), "baseline": self.baseline,
            "machines": [{"machine_id": m.id, "dir": m.entry["dir"], "hosts": m.entry.get("hosts"),
                          "machine": m.a.machine_line(), "aa": m.a.aa_summary()} for m in self.machines],
            "configs": [{"config": c, "by_machine": {i: fmt.comparison_json(x) for i, x in by.items()}}
                        for c, by in self.config_rows()],
            "effects": [{"change": label, "by_machine": {i: fmt.comparison_json(x) for i, x in by.items()}}
                        for label, by in self.effect_rows()],
            "kernels": [{"kernel": k, "config": c, "by_machine": {i: fmt.comparison_json(x) for i, x in by.items()}}
                        for k, c, by in self.kernel_rows()],
            "best": [{"kernel": k, "by_machine": {i: {"best": b, "ties": t} for i, (b, t) in by.items()},
                      "holds_for": holds} for k, by, holds in self.best_rows()],
        })


def _cmp_cols(c: st.Comparison | None) -> list:
    if c is None:
        return [None, None, None, "not run"]
    lo, hi = c.ci if c.ci else (None, None)
    return [c.ratio, lo, hi, c.verdict]


def _link(m: Machine, table: str) -> str:
    """A table of one machine's run, relative to the cross-machine run."""
    return RunDir(m.entry["dir"]).tables.file(table).as_posix()


def html_page(cm: CrossMachine, md: str) -> str:
    from .page import page
    return page(f"flagbench {cm.manifest.get('run_id')}: {len(cm.machines)} machines", [mdhtml.convert(md)])


def generate(run_dir: Path, out: Path | None = None, options: Options | None = None,
             want_plots: bool = True, want_html: bool = True) -> dict:
    """Every machine's own tables, then the cross-machine ones."""
    from . import generate as single
    run_dir = Path(run_dir)
    out = out or RunDir(run_dir).tables.path
    manifest = read_json(RunDir(run_dir).manifest)
    for m in manifest["machines"]:
        single.generate(run_dir / m["dir"], None, options, want_plots, want_html)
    cm = CrossMachine(run_dir, options)
    md = cm.markdown()
    written = {}
    tables = ((T.MACHINES.md, md), (T.MACHINES.csv, cm.csv_text()), (T.MACHINES.json, cm.json_text()))
    for name, text in tables:
        write_text(out / name, text)
        written[name] = out / name
    if want_html:
        write_text(out / T.REPORT_HTML, html_page(cm, md))
        written[T.REPORT_HTML] = out / T.REPORT_HTML
    return {"cross": cm, "written": written}


def main(args) -> int:
    """scripts/report.sh on a run of several machines (called from generate.main)."""
    import sys
    opts = Options(floor=args.noise_floor, replicates=args.replicates)
    res = generate(Path(args.run), Path(args.out) if args.out else None, opts, not args.no_plots,
                   not args.no_html)
    if not args.quiet:
        rates = ", ".join(f"{m.id}: {s['wrong_by_verdict']}/{s['pairs']}" for m, s in res["cross"].aa_rows())
        print(f"report: {len(res['cross'].machines)} machines; cross-machine tables in "
              f"{res['written'][T.MACHINES.md].parent} (machines.md, report.html); A/A called different: "
              f"{rates}", file=sys.stderr)
    return 0
