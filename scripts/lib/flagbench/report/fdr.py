"""False-discovery-rate control over a run's verdicts (docs/statistics.md,
"Many comparisons at once"): Benjamini-Hochberg over every comparison with
the baseline, so a call must survive the rate q, not just its own interval."""
from __future__ import annotations

from . import statistics as st


def _judge(cmp_: st.Comparison, p: float | None, kept: bool, q: float) -> None:
    """Records p and demotes a call that Benjamini-Hochberg did not keep."""
    cmp_.p_value = p
    if cmp_.verdict in (st.FASTER, st.SLOWER) and not kept:
        cmp_.reason = (f"{cmp_.reason}, but not significant after false-discovery-rate "
                       f"control (Benjamini-Hochberg, q = {q:g})")
        cmp_.verdict = st.SAME


def _p(cmp_: st.Comparison) -> float | None:
    return st.p_value(cmp_, cmp_.log_replicates or [])


def _bh(pvals: list, q: float) -> list:
    return st.benjamini_hochberg([1.0 if p is None else p for p in pvals], q)


def control(a) -> dict:
    """Applies the control to a's comparisons with the baseline and to its A/A
    pairs; returns the counts for the summary."""
    q = a.options.fdr
    tested = [c for c in a.cells.values() if c.vs_base is not None and c.vs_base.log_replicates is not None]
    pvals = [_p(c.vs_base) for c in tested]
    # The A/A pairs join the family as the comparisons they stand in for
    # (their calls must pass the same rule as a real one), but only their
    # own calls are judged by that larger family.
    aa_pvals = [_p(pair.comparison) for pair in a.aa_pairs]
    keep_all = _bh(pvals + aa_pvals, q)
    for pair, p, k in zip(a.aa_pairs, aa_pvals, keep_all[len(pvals):]):
        _judge(pair.comparison, p, k, q)
    keep = _bh(pvals, q)
    out = {"q": q, "tested": len(tested), "called_before": 0, "demoted": 0}
    for cell, p, k in zip(tested, pvals, keep):
        if cell.vs_base.verdict in (st.FASTER, st.SLOWER):
            out["called_before"] += 1
            out["demoted"] += not k
        _judge(cell.vs_base, p, k, q)
    out["called"] = out["called_before"] - out["demoted"]
    return out


def summary(a) -> dict:
    """How many calls of the run are expected to be false: at most q of them
    by the FDR control, and, from the measured A/A rate, that rate times the
    comparisons that had no real change to find."""
    aa = a.aa_summary()
    out = dict(a.fdr)
    out["expected_false_by_fdr"] = a.fdr["called"] * a.options.fdr
    if aa.get("wrong_rate_ci"):
        out["aa_rate"] = aa["wrong_rate"]
        out["aa_rate_upper"] = aa["wrong_rate_ci"][1]
        # Every comparison with no real change is a draw at the A/A rate:
        # over all of them, that many false calls at most.
        out["expected_false_by_aa_upper"] = aa["wrong_rate_ci"][1] * a.fdr["tested"]
    return out
