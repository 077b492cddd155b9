"""scripts/compare.sh RUN_A RUN_B: two whole runs cell by cell, the ratio of
medians with interval and verdict, and which cells exist on one side only.

Runs from different machines are compared only openly: every table names the
machine of each side, and a warning heads the output when they differ.
|drift| (compare_drift) is added to every cell's threshold."""
from __future__ import annotations

import math
from pathlib import Path

from .. import results
from . import fmt
from . import statistics as st
from .analysis import Analysis, Options
from .compare_drift import drift_sentence, measure_drift

SCHEMA = "flagbench-compare/1"


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
            c = st.compare(r["a"].stats, r["b"].stats, self.floor, self._threshold_extra(r["kernel"]))
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
                f"({fmt.LEGEND}). A verdict needs the whole interval outside the noise band (the largest "
                "of the noise floor, both cells' noise and spread between layout seeds, and how far "
                "either run's A/A intervals for the kernel miss 1, plus the drift between the runs); "
                "see `docs/statistics.md`.", ""]
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
            rows.append([f"{r['kernel']}/{r['variant']}", r["config"], median_text(ca), median_text(cb),
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


def median_text(c) -> str:
    """A cell's median with its interval, or its status when it has none."""
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
