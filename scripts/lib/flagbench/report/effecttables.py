"""tables/effects.md, effects.csv, effects.json: per-axis effects and interactions."""
from __future__ import annotations

from . import fmt
from . import statistics as st
from .analysis import Analysis
from .effects import INTERACTION_WORDS, Effects
from .summary import header

SCHEMA = "flagbench-effects/1"


def _interaction_text(c: st.Comparison) -> str:
    if c is None or c.ratio is None:
        return "—"
    if fmt.is_same_code(c):
        return fmt.SAME_CODE
    text = fmt.ratio(c.ratio) + (" " + fmt.interval(c.ci) if c.ci else "")
    return f"{text} {INTERACTION_WORDS.get(c.verdict, '')} {fmt.threshold(c.threshold)}".rstrip()


def kernel_rows(a: Analysis, e: Effects) -> tuple:
    """(headers, rows) of the effects with kernels as rows and one column per
    change (the transposed, narrow form), 'all kernels' last."""
    kernels = list(a.run.plan.get("kernels", []))
    headers = ["kernel"] + [ef.label for ef in e.effects]
    rows = [[k] + [fmt.verdict_cell(ef.kernels.get(k)) for ef in e.effects] for k in kernels]
    rows.append(["all kernels"] + [fmt.verdict_cell(ef.overall) for ef in e.effects])
    return headers, rows


def interaction_rows(a: Analysis, e: Effects) -> tuple:
    """(headers, rows): kernels as rows, one column per interaction."""
    kernels = list(a.run.plan.get("kernels", []))
    headers = ["kernel"] + [it.label for it in e.interactions]
    rows = [[k] + [_interaction_text(it.kernels.get(k)) for it in e.interactions] for k in kernels]
    rows.append(["all kernels"] + [_interaction_text(it.overall) for it in e.interactions])
    return headers, rows


def markdown(a: Analysis, e: Effects, links: dict | None = None, images: dict | None = None) -> str:
    out = header(a, f"flagbench run {a.run_id}: effects", links)
    if not e.effects:
        out += ["This matrix varies no axis on pairs of configurations that differ in that axis "
                "alone, so there are no effects to measure (the `vary` and `cross` lines of a "
                "matrix make such pairs).", ""]
        return "\n".join(out)
    out += ["The effect of changing one axis value with everything else equal: the geometric mean "
            "of the speedups over every pair of configurations that differ in that axis alone "
            "(and, per kernel, over its variants), with a 95% bootstrap interval and a verdict "
            f"({fmt.CELL_LEGEND}). \"all kernels\" weighs every kernel the same. "
            "One column per change; its pairs are listed below.", ""]
    for alt, src in (images or {}).items():
        out += [f"![{alt}]({src})", ""]
    headers, rows = kernel_rows(a, e)
    out += ["## Effects per kernel", ""]
    out += fmt.md_table(headers, rows) + [""]
    for ef in e.effects:
        out += [f"### {ef.label}", "", f"{len(ef.pairs)} pairs: " + "; ".join(
            f"`{p.frm}` → `{p.to}` ({p.context})" for p in ef.pairs), ""]
        headers = ["kernel/variant"] + [p.context for p in ef.pairs] + ["geometric mean"]
        rows = []
        for (kernel, variant), r in ef.rows.items():
            rows.append([f"{kernel}/{variant}"] + [fmt.verdict_cell(c) for c in r["pairs"]]
                        + [fmt.verdict_cell(r["all"])])
        out += fmt.md_table(headers, rows) + [""]
    if e.interactions:
        out += ["## Interactions", "",
                "Where the matrix crosses two axes X and Y, the interaction is the effect of X "
                "with Y changed divided by the effect of X with Y at its first value (= the effect "
                "of Y with X changed divided by that with X at its first value). 1 means the two "
                "changes add up (on a log scale); *larger* means they help each other, *smaller* "
                "that they overlap or conflict. Same interval and verdict rule as the effects.", ""]
        headers, rows = interaction_rows(a, e)
        out += fmt.md_table(headers, rows) + [""]
        for it in e.interactions:
            x, y = it.x, it.y
            out += [f"### {it.label}", "",
                    "Squares: " + "; ".join(f"`{s[0]}`, `{s[1]}`, `{s[2]}`, `{s[3]}` ({s[4]})"
                                            for s in it.squares), ""]
            rows = []
            for (kernel, variant), r in it.rows.items():
                rows.append([f"{kernel}/{variant}", fmt.verdict_cell(r["at_y0"]), fmt.verdict_cell(r["at_y1"]),
                             _interaction_text(r["interaction"])])
            out += fmt.md_table(["kernel/variant", f"{x[0]} {x[1]}→{x[2]} with {y[0]}={y[1]}",
                                 f"{x[0]} {x[1]}→{x[2]} with {y[0]}={y[2]}", "interaction"], rows) + [""]
    return "\n".join(out)


CSV_COLUMNS = ["machine_id", "kind", "change", "kernel", "variant", "context", "from_config",
               "to_config", "ratio", "ci_low", "ci_high", "threshold", "verdict", "reason"]


def _csv_row(a, kind, change, kernel, variant, context, frm, to, c):
    j = fmt.rnd(fmt.comparison_json(c) or {})
    ci = j.get("ci") or [None, None]
    return [a.machine_id, kind, change, kernel, variant, context, frm, to, j.get("ratio"), ci[0], ci[1],
            j.get("threshold"), j.get("verdict"), j.get("reason")]


def csv_text(a: Analysis, e: Effects) -> str:
    rows = []
    for ef in e.effects:
        for (kernel, variant), r in ef.rows.items():
            for p, c in zip(ef.pairs, r["pairs"]):
                rows.append(_csv_row(a, "pair", ef.label, kernel, variant, p.context, p.frm, p.to, c))
            rows.append(_csv_row(a, "variant", ef.label, kernel, variant, "geomean", "", "", r["all"]))
        for kernel, c in ef.kernels.items():
            rows.append(_csv_row(a, "kernel", ef.label, kernel, "", "geomean", "", "", c))
        rows.append(_csv_row(a, "overall", ef.label, "", "", "geomean over kernels", "", "", ef.overall))
    for it in e.interactions:
        for (kernel, variant), r in it.rows.items():
            rows.append(_csv_row(a, "interaction-variant", it.label, kernel, variant, "", "", "",
                                 r["interaction"]))
        for kernel, c in it.kernels.items():
            rows.append(_csv_row(a, "interaction-kernel", it.label, kernel, "", "", "", "", c))
        rows.append(_csv_row(a, "interaction-overall", it.label, "", "", "", "", "", it.overall))
    return fmt.csv_text(CSV_COLUMNS, rows)


def json_doc(a: Analysis, e: Effects) -> dict:
    cj = fmt.comparison_json
    effects = []
    for ef in e.effects:
        effects.append({
            "axis": ef.axis, "from": ef.frm, "to": ef.to, "label": ef.label,
            "pairs": [{"from": p.frm, "to": p.to, "context": p.context,
                       "reproduce": a.sweep_command([p.frm, p.to], a.run.plan["kernels"])}
                      for p in ef.pairs],
            "rows": [{"kernel": k, "variant": v, "pairs": [cj(c) for c in r["pairs"]], "geomean": cj(r["all"])}
                     for (k, v), r in ef.rows.items()],
            "kernels": {k: cj(c) for k, c in ef.kernels.items()},
            "overall": cj(ef.overall)})
    inter = []
    for it in e.interactions:
        inter.append({
            "x": {"axis": it.x[0], "from": it.x[1], "to": it.x[2]},
            "y": {"axis": it.y[0], "from": it.y[1], "to": it.y[2]}, "label": it.label,
            "squares": [{"x0y0": s[0], "x1y0": s[1], "x0y1": s[2], "x1y1": s[3], "context": s[4]}
                        for s in it.squares],
            "rows": [{"kernel": k, "variant": v, "effect_at_y0": cj(r["at_y0"]), "effect_at_y1": cj(r["at_y1"]),
                      "interaction": cj(r["interaction"])} for (k, v), r in it.rows.items()],
            "kernels": {k: cj(c) for k, c in it.kernels.items()},
            "overall": cj(it.overall)})
    return {"schema": SCHEMA, "run_id": a.run_id, "machine_id": a.machine_id, "baseline": a.baseline,
            "varied_axes": e.varied, "effects": effects, "interactions": inter}


def json_text(a: Analysis, e: Effects) -> str:
    return fmt.json_text(json_doc(a, e))
