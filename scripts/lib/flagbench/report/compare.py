"""scripts/compare.sh: two whole runs (RUN_A RUN_B), or two configurations of
one run (RUN --configs A B), cell by cell: the ratio of medians with interval
and verdict, and which cells exist on one side only.

Runs from different machines are compared only openly: every table names the
machine of each side, and a warning heads the output when they differ.

Drift: on one machine, the cells whose code is identical in both runs (same
code_hash, each timed in its own run) should have a ratio of 1.  Their median log
ratio is the drift between the runs (the machine got slower, a neighbour got
busy); its interval comes from resampling those cells and each cell's own
bootstrap.  |drift| is added to every cell's threshold, and a drift beyond the
noise floor whose interval excludes 1 fails the comparison (exit 1) unless
--allow-drift: without it every cell would be called different by the same few
percent."""
from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

from .. import results
from ..atomic import write_text
from . import fmt
from . import statistics as st
from .analysis import Analysis, Options

SCHEMA = "flagbench-compare/1"
MIN_DRIFT_PAIRS = 3      # fewer identical-code cells and drift is not measured
EXIT_DRIFT = 1


def measure_drift(pairs: list, floor: float, seed: int, confidence: float = st.CONFIDENCE) -> dict:
    """Drift from identical-code cells: pairs = [(Summary A, Summary B)], ratio A ÷ B.

    The point estimate is the median over cells of log(median A / median B).  Each
    bootstrap replicate resamples the cells and takes each cell's replicate median,
    so the interval covers both the spread between cells and each cell's noise."""
    n = len(pairs)
    doc = {"pairs": n, "floor": floor}
    if n < MIN_DRIFT_PAIRS:
        doc.update(ratio=None, ci=None, exceeds=False,
                   why=f"{n} cells with identical code in both runs (fewer than {MIN_DRIFT_PAIRS}): "
                       "drift not measured")
        return doc
    logs = [math.log(a.median / b.median) for a, b in pairs]
    point = _median_of(logs)
    reps = min(len(a.replicates) for a, _ in pairs + [(b, None) for _, b in pairs])
    rng = random.Random(seed)
    dist = []
    for j in range(reps):
        draw = [pairs[rng.randrange(n)] for _ in range(n)]
        dist.append(_median_of([math.log(a.replicates[j] / b.replicates[j]) for a, b in draw]))
    lo, hi = st.percentile_interval(dist, confidence)
    ci = (math.exp(lo), math.exp(hi))
    ratio = math.exp(point)
    exceeds = abs(point) > math.log1p(floor) and not ci[0] <= 1 <= ci[1]
    doc.update(ratio=ratio, ci=list(ci), log_ratio=point, magnitude=math.expm1(abs(point)), exceeds=exceeds)
    return doc


def _median_of(xs: list) -> float:
    xs = sorted(xs)
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else (xs[m - 1] + xs[m]) / 2


def drift_sentence(d: dict) -> str:
    """'B is 5.0% slower than A' for a drift doc with a ratio (A ÷ B)."""
    r = d["ratio"]
    if r >= 1:
        return f"B is {r - 1:.1%} faster than A"
    return f"B is {1 / r - 1:.1%} slower than A"


class Side:
    def __init__(self, path: Path, label: str, options: Options):
        self.path = path
        self.label = label
        self.a = Analysis(results.load(path), options)

    @property
    def machine(self) -> str:
        return self.a.machine_id


def _keys(a: Analysis) -> list:
    return [cell.key for cell in a.ordered_cells()]


class RunComparison:
    """B against A: ratio = median(A) / median(B), above 1 when B is faster."""

    def __init__(self, path_a: Path, path_b: Path, floor: float = st.NOISE_FLOOR,
                 replicates: int = st.REPLICATES):
        self.A = Side(path_a, "A", Options(floor=floor, replicates=replicates, namespace="A"))
        self.B = Side(path_b, "B", Options(floor=floor, replicates=replicates, namespace="B"))
        self.floor = floor
        self.same_machine = self.A.machine == self.B.machine
        ka, kb = _keys(self.A.a), _keys(self.B.a)
        sb, sa = set(kb), set(ka)
        self.common = [k for k in ka if k in sb]
        self.only_a = [k for k in ka if k not in sb]
        self.only_b = [k for k in kb if k not in sa]
        self.drift = self._drift()
        self.rows = [self._row(k) for k in self.common]
        self.aa = self._aa()

    def _identical(self, ca, cb) -> bool:
        """Both cells timed in their own run, with the same code: an A/A pair of the comparison."""
        return bool(ca.code_hash and ca.code_hash == cb.code_hash and ca.samples and cb.samples
                    and ca.stats is not None and cb.stats is not None
                    and ca.stats.replicates is not None and cb.stats.replicates is not None
                    and ca.stats.median > 0 and cb.stats.median > 0)

    def _drift(self) -> dict:
        if not self.same_machine:
            return {"pairs": 0, "ratio": None, "ci": None, "exceeds": False,
                    "why": "different machines: identical code measures the machines' difference, not drift"}
        pairs = []
        for key in self.common:
            ca, cb = self.A.a.cell(*key), self.B.a.cell(*key)
            if self._identical(ca, cb):
                pairs.append((ca.stats, cb.stats))
        return measure_drift(pairs, self.floor, st.seed_for("drift", self.A.a.run_id, self.B.a.run_id))

    def _drift_term(self) -> float:
        """|drift| as a log ratio when it was measured, else 0."""
        return abs(self.drift["log_ratio"]) if self.drift.get("log_ratio") is not None else 0.0

    def _threshold_extra(self, kernel: str) -> float:
        return max(self.A.a.extra_threshold(kernel), self.B.a.extra_threshold(kernel))

    def _row(self, key) -> dict:
        k, v, c = key
        ca, cb = self.A.a.cell(*key), self.B.a.cell(*key)
        if ca.stats is None or cb.stats is None:
            missing = [f"{s.label}: {x.status_text}" for s, x in ((self.A, ca), (self.B, cb)) if x.stats is None]
            cmp_ = st.Comparison(None, None, None, st.NO_DATA, "; ".join(missing))
        else:
            # the threshold without drift, then |drift| on top of it (log scale): a cell is
            # called only when its change exceeds its noise plus the runs' drift
            base = st.threshold_of([ca.stats.noise, cb.stats.noise], self.floor, self._threshold_extra(k))
            cmp_ = st.compare(ca.stats, cb.stats, self.floor, math.expm1(math.log1p(base) + self._drift_term()))
        ha, hb = self.A.a.config(c).get("hash"), self.B.a.config(c).get("hash")
        notes = []
        if ha and hb and ha != hb:
            notes.append("configuration hash differs (flags, tool versions or sources)")
        if ca.code_hash and cb.code_hash:
            notes.append("same code" if ca.code_hash == cb.code_hash else "code differs")
        if ca.status != cb.status:
            notes.append(f"status {ca.status_text} → {cb.status_text}")
        return {"kernel": k, "variant": v, "config": c, "a": ca, "b": cb, "cmp": cmp_, "notes": notes}

    def _aa(self) -> dict:
        """Cells with identical code on both sides, on one machine: each is an A/A pair of
        the comparison.  Each is judged with the threshold the runs themselves give (noise
        floor, both cells' noise, each run's own A/A differences for the kernel), never with
        the other pairs of this comparison (a drift shared by every pair would hide itself),
        and again with the drift term every row gets."""
        if not self.same_machine:
            return {"pairs": 0, "why": "different machines: identical code is not an A/A pair"}
        pairs = [r for r in self.rows if self._identical(r["a"], r["b"])]
        wrong, wrong_drift, detail = 0, 0, []
        for r in pairs:
            extra = max(self.A.a.aa_noise.get(r["kernel"], 0.0), self.B.a.aa_noise.get(r["kernel"], 0.0))
            c = st.compare(r["a"].stats, r["b"].stats, self.floor, math.expm1(extra))
            wrong += c.verdict in (st.FASTER, st.SLOWER)
            wrong_drift += r["cmp"].verdict in (st.FASTER, st.SLOWER)
            detail.append({"kernel": r["kernel"], "variant": r["variant"], "config": r["config"],
                           **fmt.comparison_json(c)})
        n = len(pairs)
        return {"pairs": n, "wrong_by_verdict": wrong, "wrong_rate": wrong / n if n else None,
                "wrong_rate_ci": st.wilson_interval(wrong, n),
                "wrong_with_drift_threshold": wrong_drift, "pairs_detail": detail}

    # ---------------------------------------------------------------- output

    def _side_line(self, s: Side) -> str:
        return (f"**{s.label}** `{s.a.run_id}` ({s.path}): {s.a.machine_line()} — machine id "
                f"`{s.machine}`; source {((s.a.machine.get('git') or {}).get('commit') or '?')[:12]}; "
                f"matrix `{s.a.run.plan.get('matrix')}`; {s.a.run.manifest.get('started', '?')}")

    def markdown(self) -> str:
        A, B = self.A, self.B
        out = [f"# flagbench compare: {B.a.run_id} against {A.a.run_id}", "",
               "- " + self._side_line(A), "- " + self._side_line(B), ""]
        if not self.same_machine:
            out += [f"> **Different machines.** A ran on `{A.machine}`, B on `{B.machine}`: every "
                    "ratio below mixes the machines' difference with the builds'. Times are labelled "
                    "with their machine.", ""]
        tools = _tool_changes(A.a, B.a)
        if tools:
            out += ["Tool versions that differ: " + "; ".join(tools), ""]
        out += ["Each row: the median time per repetition on each side [95% interval], the ratio "
                "A ÷ B (above 1: **B is faster**) with its 95% bootstrap interval, and a verdict "
                f"({fmt.LEGEND}). A verdict needs the interval to exclude 1 and the change to exceed "
                "the noise threshold (the largest of the noise floor, both cells' noise and both runs' "
                "A/A differences for the kernel, plus the drift between the runs); see `docs/statistics.md`.", ""]
        out += self._drift_lines()
        if self.aa["pairs"]:
            ci = self.aa["wrong_rate_ci"]
            out += [f"**A/A check:** {self.aa['pairs']} cells have identical code in both runs on the same "
                    f"machine; the verdict rule called {self.aa['wrong_by_verdict']} of them different "
                    f"({fmt.pct(self.aa['wrong_rate'])}, 95% interval {fmt.pct(ci[0])}–{fmt.pct(ci[1])}), "
                    f"{self.aa['wrong_with_drift_threshold']} with the drift in the threshold.", ""]
        ma, mb = ("", "") if self.same_machine else (f" on {A.machine}", f" on {B.machine}")
        out += ["## Per configuration (geometric mean over kernels)", ""]
        out += fmt.md_table(["configuration", "B vs A", "kernels"], self._per_config_rows()) + [""]
        out += ["## Per cell", ""]
        rows = []
        for r in self.rows:
            ca, cb = r["a"], r["b"]
            rows.append([f"{r['kernel']}/{r['variant']}", r["config"], _median(ca), _median(cb),
                         fmt.comparison(r["cmp"]), "; ".join(r["notes"])])
        out += fmt.md_table(["kernel/variant", "configuration", f"A{ma}", f"B{mb}", "A ÷ B", "notes"], rows)
        out.append("")
        for label, keys in (("Only in A", self.only_a), ("Only in B", self.only_b)):
            if keys:
                out += [f"## {label} ({len(keys)} cells)", ""]
                out += [f"- `{k}/{v}` under `{c}`" for k, v, c in keys] + [""]
        return "\n".join(out)

    def drift_message(self) -> str:
        """One line naming the drift, for the terminal and the report's head."""
        d = self.drift
        lo, hi = d["ci"]
        return (f"drift between the runs: {drift_sentence(d)} on the {d['pairs']} cells whose code is "
                f"identical in both (median ratio A ÷ B {d['ratio']:.3f}, 95% interval {lo:.3f}–{hi:.3f}), "
                f"beyond the ±{self.floor:.1%} noise floor")

    def _drift_lines(self) -> list:
        d = self.drift
        if d.get("ratio") is None:
            return [f"**Drift:** not measured: {d['why']}.", ""] if self.same_machine else []
        if d["exceeds"]:
            return [f"> **DRIFT.** The {self.drift_message()}. Every cell's threshold below includes "
                    f"±{d['magnitude']:.1%} for it, so smaller changes are not called; the check fails "
                    "(exit 1) unless `--allow-drift`. Re-run both sides in one session, or interleaved.", ""]
        lo, hi = d["ci"]
        return [f"**Drift:** median ratio A ÷ B of the {d['pairs']} cells with identical code "
                f"{d['ratio']:.3f} (95% interval {lo:.3f}–{hi:.3f}): within the ±{self.floor:.1%} noise "
                f"floor or not distinguishable from 1; each cell's threshold includes ±{d['magnitude']:.1%}.",
                ""]

    def _per_config_rows(self) -> list:
        rows = []
        configs = []
        for r in self.rows:
            if r["config"] not in configs:
                configs.append(r["config"])
        for c in configs:
            per_kernel = {}
            for r in self.rows:
                if r["config"] != c or r["cmp"].ratio is None or r["cmp"].ci is None:
                    continue
                ca, cb = r["a"], r["b"]
                terms = [math.log(ca.stats.median / cb.stats.median)] + [
                    math.log(x / y) for x, y in zip(ca.stats.replicates, cb.stats.replicates)]
                pk = per_kernel.setdefault(r["kernel"], ([], []))
                pk[0].append(terms)
                pk[1].append(r["cmp"].threshold)
            kterms, kths = [], []
            for t, th in per_kernel.values():
                kterms.append([sum(col) / len(t) for col in zip(*t)])
                kths.append(math.expm1(sum(math.log1p(h) for h in th) / len(th)))
            rows.append([c, fmt.comparison(st.combine(kterms, kths)), len(kterms)])
        return rows

    def json_doc(self) -> dict:
        def side(s: Side):
            return {"path": str(s.path), "run_id": s.a.run_id, "machine_id": s.machine,
                    "machine": s.a.machine_line(), "git": s.a.machine.get("git"),
                    "matrix": s.a.run.plan.get("matrix"), "started": s.a.run.manifest.get("started")}

        def cell(c, s: Side):
            st_ = c.stats
            return {"machine_id": s.machine, "status": c.status_text, "n": st_.n if st_ else 0,
                    "median_ns": st_.median if st_ else None, "ci_ns": list(st_.ci) if st_ and st_.ci else None,
                    "noise": st_.noise if st_ else None, "code_hash": c.code_hash,
                    "config_hash": s.a.config(c.config).get("hash")}
        return {"schema": SCHEMA, "a": side(self.A), "b": side(self.B), "same_machine": self.same_machine,
                "ratio": "median(A) / median(B): above 1 when B is faster",
                "drift": self.drift,
                "aa_check": self.aa,
                "cells": [{"kernel": r["kernel"], "variant": r["variant"], "config": r["config"],
                           "a": cell(r["a"], self.A), "b": cell(r["b"], self.B),
                           "b_vs_a": fmt.comparison_json(r["cmp"]), "notes": r["notes"]} for r in self.rows],
                "only_a": [{"kernel": k, "variant": v, "config": c} for k, v, c in self.only_a],
                "only_b": [{"kernel": k, "variant": v, "config": c} for k, v, c in self.only_b]}

    def csv_text(self) -> str:
        rows = []
        for r in self.rows:
            ca, cb, c = r["a"], r["b"], fmt.rnd(fmt.comparison_json(r["cmp"]))
            ci = c.get("ci") or [None, None]
            rows.append([r["kernel"], r["variant"], r["config"], self.A.machine,
                         fmt.rnd(ca.stats.median) if ca.stats else None, ca.status_text, self.B.machine,
                         fmt.rnd(cb.stats.median) if cb.stats else None, cb.status_text, c["ratio"], ci[0],
                         ci[1], c["threshold"], c["verdict"], "; ".join(r["notes"])])
        for side, keys in (("A only", self.only_a), ("B only", self.only_b)):
            for k, v, c in keys:
                rows.append([k, v, c, "", "", side, "", "", side, "", "", "", "", "", ""])
        return fmt.csv_text(["kernel", "variant", "config", "a_machine_id", "a_median_ns", "a_status",
                             "b_machine_id", "b_median_ns", "b_status", "ratio_a_over_b", "ci_low",
                             "ci_high", "threshold", "verdict", "notes"], rows)


def _median(c) -> str:
    if c.stats is None:
        return c.status_text
    text = fmt.ns_with_interval(c.stats.median, c.stats.ci)
    return text + (f" (= {c.same_as})" if c.same_as else "")


def _tool_changes(a: Analysis, b: Analysis) -> list:
    ta, tb = a.machine.get("tools") or {}, b.machine.get("tools") or {}
    out = []
    for t in sorted(set(ta) | set(tb)):
        if ta.get(t) != tb.get(t):
            out.append(f"{t}: A `{ta.get(t)}`, B `{tb.get(t)}`")
    return out


# ---------------------------------------------------------------- two configurations of one run

def config_markdown(a: Analysis, ca: str, cb: str) -> tuple:
    """(markdown, json doc) comparing configuration cb against ca in one run."""
    out = [f"# flagbench compare: `{cb}` against `{ca}` in run {a.run_id}", "",
           f"Machine: {a.machine_line()} — machine id `{a.machine_id}` (both sides).", "",
           f"Ratio: median(`{ca}`) ÷ median(`{cb}`), above 1 when `{cb}` is faster; "
           f"{fmt.LEGEND}. Method: `docs/statistics.md`.", ""]
    rows, cells = [], []
    kernels = []
    for k, v in a.rows:
        x, y = a.cell(k, v, ca), a.cell(k, v, cb)
        if x is None or y is None:
            continue
        c = a.compare_configs(k, v, ca, cb)
        rows.append([f"{k}/{v}", _median(x), _median(y), fmt.comparison(c)])
        cells.append({"kernel": k, "variant": v, "a_median_ns": x.stats.median if x.stats else None,
                      "b_median_ns": y.stats.median if y.stats else None, "b_vs_a": fmt.comparison_json(c)})
        if k not in kernels:
            kernels.append(k)
    out += fmt.md_table(["kernel/variant", ca, cb, f"{ca} ÷ {cb}"], rows) + [""]
    krows = [[k, fmt.comparison(a.kernel_compare(k, ca, cb))] for k in kernels]
    out += ["## Per kernel (geometric mean over variants)", ""] + fmt.md_table(["kernel", "ratio"], krows) + [""]
    doc = {"schema": SCHEMA, "run_id": a.run_id, "machine_id": a.machine_id, "a_config": ca, "b_config": cb,
           "ratio": "median(a) / median(b): above 1 when b is faster", "cells": cells,
           "kernels": {k: fmt.comparison_json(a.kernel_compare(k, ca, cb)) for k in kernels}}
    return "\n".join(out), doc


# ---------------------------------------------------------------- command line

def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/compare.sh",
        description="Compare two sweep runs cell by cell (RUN_A RUN_B: B against A), or two "
                    "configurations of one run (RUN --configs A B). Prints Markdown; --out DIR also "
                    "writes compare.md, compare.csv and compare.json.",
        epilog="Ratios are A's median over B's (above 1: B is faster). Method: docs/statistics.md.")
    p.add_argument("runs", nargs="+", metavar="RUN", help="RUN_A RUN_B, or one RUN with --configs")
    p.add_argument("--configs", nargs=2, metavar=("A", "B"), help="compare two configurations of one run")
    p.add_argument("--out", metavar="DIR", help="also write compare.md, compare.csv, compare.json here")
    p.add_argument("--noise-floor", type=float, default=st.NOISE_FLOOR,
                   help="smallest relative change ever called (default 0.01)")
    p.add_argument("--replicates", type=int, default=st.REPLICATES, help="bootstrap replicates (default 2000)")
    p.add_argument("--allow-drift", action="store_true",
                   help="exit 0 even when the runs drifted apart beyond the noise floor (the drift is "
                        "still reported and still enters every threshold)")
    a = p.parse_args(argv)
    if a.configs and len(a.runs) != 1:
        p.error("--configs takes one RUN")
    if not a.configs and len(a.runs) != 2:
        p.error("give RUN_A RUN_B (or one RUN with --configs A B)")
    for r in a.runs:
        if not (Path(r) / "plan.json").exists():
            p.error(f"{r} is not a sweep run (no plan.json)")
    return a


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.configs:
        a = Analysis(results.load(args.runs[0]), Options(floor=args.noise_floor, replicates=args.replicates))
        for c in args.configs:
            if c not in a.configs:
                print(f"compare: {c} is not a configuration of {args.runs[0]} "
                      f"(it has: {', '.join(a.configs)})", file=sys.stderr)
                return 2
        md, doc = config_markdown(a, *args.configs)
        csv = fmt.csv_text(["kernel", "variant", "a_median_ns", "b_median_ns", "ratio", "ci_low", "ci_high",
                            "verdict"], [[c["kernel"], c["variant"], fmt.rnd(c["a_median_ns"]),
                                          fmt.rnd(c["b_median_ns"]), fmt.rnd(c["b_vs_a"]["ratio"]),
                                          *(fmt.rnd(c["b_vs_a"]["ci"]) or [None, None]), c["b_vs_a"]["verdict"]]
                                         for c in doc["cells"]])
    else:
        rc = RunComparison(Path(args.runs[0]), Path(args.runs[1]), args.noise_floor, args.replicates)
        md, doc, csv = rc.markdown(), rc.json_doc(), rc.csv_text()
        drifted = rc.drift.get("exceeds")
    sys.stdout.write(md)
    if args.out:
        out = Path(args.out)
        write_text(out / "compare.md", md)
        write_text(out / "compare.json", fmt.json_text(doc))
        write_text(out / "compare.csv", csv)
        print(f"compare: wrote {out}/compare.md, compare.csv, compare.json", file=sys.stderr)
    if not args.configs and drifted:
        if args.allow_drift:
            print(f"compare: warning: {rc.drift_message()} (allowed by --allow-drift)", file=sys.stderr)
        else:
            print(f"compare: FAILED: {rc.drift_message()}; every cell's threshold includes it. "
                  "Pass --allow-drift to accept it.", file=sys.stderr)
            return EXIT_DRIFT
    return 0


if __name__ == "__main__":
    sys.exit(main())
