"""The summary table: kernel/variant x configuration, speedup against the
baseline with interval and verdict, status, best configuration; the A/A check.
Markdown (tables/summary.md), CSV (summary.csv), JSON (summary.json; schema in
docs/reading-a-report.md)."""
from __future__ import annotations

import math

from . import fmt
from . import statistics as st
from .analysis import Analysis
from ..why import cells as why_cells

SCHEMA = "flagbench-summary/1"


# ---------------------------------------------------------------- shared header

def header(a: Analysis, title: str, links: dict | None = None) -> list:
    m = a.run.manifest
    plan = a.run.plan
    git = (a.machine.get("git") or {})
    commit = (git.get("commit") or "")[:12]
    if commit and git.get("dirty"):
        commit += " (uncommitted changes)"
    times = [m.get("started"), m.get("finished")]
    rows = [["machine", f"{machine_text(a)} — machine id `{a.machine_id}`"],
            ["command", f"`{m.get('command', '')}`"],
            ["matrix", f"`{plan.get('matrix')}`: {plan.get('description', '')}"],
            ["baseline", f"`{a.baseline}`"],
            ["size", f"`{plan.get('size')}`, {len(a.configs)} configurations × "
                     f"{len(plan.get('kernels', []))} kernels"],
            ["source", commit or "unknown"],
            ["time", " – ".join(t for t in times if t) or "unknown"]]
    if m.get("status") and m.get("status") != "complete":
        rows.append(["status", f"**{m['status']}**: the run did not finish; missing cells say so"])
    out = [f"# {title}", ""]
    out += fmt.md_table(["run", f"`{a.run_id}`"], rows)
    out.append("")
    if links:
        out.append(" · ".join(f"[{k}]({v})" for k, v in links.items()))
        out.append("")
    return out


def clock_text(a: Analysis) -> str:
    """The one clock the report uses (cycles = ns × this), and where it came from."""
    cpu = a.machine.get("cpu") or {}
    if not a.mhz:
        return "clock unknown"
    text = f"clock {a.mhz / 1000:.3f} GHz"
    if cpu.get("measured_ghz"):
        text += " (measured by the sweep"
        if cpu.get("mhz_reported"):
            text += f"; /proc/cpuinfo reports {cpu['mhz_reported'] / 1000:.3f} GHz"
        return text + ")"
    return text + " (reported by /proc/cpuinfo: often the nominal clock in a VM)"


def machine_text(a: Analysis) -> str:
    """The machine line with one clock and plain words (analysis.machine_line has
    the raw fields)."""
    m = a.machine
    cpu = m.get("cpu") or {}
    tools = m.get("tools") or {}
    smt = cpu.get("smt")
    smt_text = {"0": "SMT off (one thread per core)", "1": "SMT on (two threads per core)"}.get(
        str(smt), f"SMT {smt}") if smt not in (None, "") else None
    parts = [cpu.get("model", "unknown CPU"), f"{cpu.get('logical_cpus', '?')} logical CPUs",
             clock_text(a), smt_text,
             f"governor {cpu.get('governor')}" if cpu.get("governor") else None,
             m.get("kernel"), m.get("os"),
             f"{m['memory_bytes'] / 2**30:.0f} GiB" if m.get("memory_bytes") else None]
    line = ", ".join(p for p in parts if p)
    comp = [tools[t] for t in ("gcc", "clang-19", "clang") if tools.get(t)]
    return line + ("; " + "; ".join(comp) if comp else "")


# ---------------------------------------------------------------- cells

def not_timed_aa(a: Analysis, cell) -> bool:
    """An A/A duplicate's variant that the sweep did not sample (it times one per kernel)."""
    return cell.status == "not timed" and a.is_duplicate(cell.config)


def cell_text(a: Analysis, kernel, variant, config) -> str:
    cell = a.cell(kernel, variant, config)
    if cell is None:
        return "—"
    if config == a.baseline:
        if cell.stats is None:
            return cell.status_text
        return fmt.ns_with_interval(cell.stats.median, cell.stats.ci)
    if not_timed_aa(a, cell):
        return "— (A/A: one variant per kernel is timed)"
    if cell.stats is None or cell.vs_base is None or cell.vs_base.ratio is None:
        if cell.stats is not None and cell.vs_base is not None:
            return f"{fmt.fmt_ns(cell.stats.median)} (baseline: {cell.vs_base.reason})"
        return cell.status_text
    if cell.same_as == a.baseline:
        return fmt.SAME_CODE
    return fmt.verdict_cell(cell.vs_base, cell.same_as)


def aa_terms_sentence(a: Analysis) -> str:
    """Which kernels' thresholds the A/A check widened, and by how much: a
    kernel's A/A term is how far its A/A intervals miss 1, so a large A/A
    difference whose interval holds 1 widens nothing."""
    terms = sorted(((k, a.extra_threshold(k)) for k in a.aa_noise), key=lambda kv: -kv[1])
    terms = [(k, t) for k, t in terms if t > 0]
    if not terms:
        return "Every A/A interval holds 1, so no threshold of this run is widened by an A/A term."
    return ("A/A terms added to the noise thresholds of their kernel (how far its A/A intervals "
            "miss 1): " + ", ".join(f"`{k}` {fmt.pct(t)}" for k, t in terms) + ".")


def aa_paragraph(a: Analysis) -> list:
    s = a.aa_summary()
    if not s["pairs"]:
        return ["**A/A check:** this run has no A/A pairs (add `aa` to the matrix: an A/A "
                "duplicate of the baseline is timed separately), so its false-positive rate "
                "is not measured.", ""]
    ci = s["wrong_rate_ci"]
    # the same measure as largest_aa_difference, so the pair named is the one measured
    worst = max(a.aa_pairs, key=lambda p: abs(math.log(p.comparison.ratio)))
    kinds = sorted({p.why for p in a.aa_pairs})
    out = [f"**A/A check:** {s['pairs']} pairs of identical code timed separately "
           f"({', '.join(kinds)}). The verdict rule called {s['wrong_by_verdict']} of them a "
           f"difference ({fmt.pct(s['wrong_rate'])}, 95% interval {fmt.pct(ci[0])}–{fmt.pct(ci[1])}), "
           f"each judged with a threshold computed without it; the interval alone would have "
           f"called {s['wrong_by_interval_alone']}. Largest A/A difference: "
           f"{fmt.pct(s['largest_aa_difference'])} "
           f"(`{worst.kernel}/{worst.variant}`, interval {fmt.interval(worst.comparison.ci)}). "
           + aa_terms_sentence(a)]
    called = [p for p in a.aa_pairs if p.comparison.verdict in (st.FASTER, st.SLOWER)]
    if called:
        out[-1] += (" Called different: " + "; ".join(
            f"`{p.kernel}/{p.variant}` (`{p.a}` vs `{p.b}`: {fmt.verdict_cell(p.comparison)}, judged "
            "without its own pair; its table cell uses the full A/A term and may show ≈)" for p in called)
            + ".")
        out[-1] += " **Some verdicts of this run would be wrong on identical code: read them with care.**"
    return out + [""] + fdr_paragraph(a) + layout_paragraph(a)


def fdr_paragraph(a: Analysis) -> list:
    """How many of the run's calls may be false (docs/statistics.md, "Many comparisons")."""
    f = a.fdr_summary()
    if not f["tested"]:
        return []
    text = (f"**Verdicts:** {f['tested']} comparisons with the baseline; {f['called']} called faster "
            f"or slower, each with its whole interval outside its noise band and surviving "
            f"false-discovery-rate control (Benjamini-Hochberg, q = {f['q']:g}: at most "
            f"{f['expected_false_by_fdr']:.1f} of them are expected to be false)")
    if f["demoted"]:
        text += f"; {f['demoted']} more cleared their band alone but not the FDR control"
    if f.get("expected_false_by_aa_upper") is not None:
        text += (f". The A/A check measured a false-call rate of {fmt.pct(f['aa_rate'])} (95% upper "
                 f"bound {fmt.pct(f['aa_rate_upper'])}); over the {f['tested']} comparisons that bounds "
                 f"the false calls at about {f['expected_false_by_aa_upper']:.1f}")
    return [text + ".", ""]


def layout_paragraph(a: Analysis) -> list:
    """The cells whose per-seed medians differ most.  The spread also holds
    each seed's process noise, so it is not called placement alone."""
    top = a.layout_sensitive(5)
    if not top:
        return []
    items = "; ".join(f"`{k}/{v}` under `{c}` ({fmt.pct(math.expm1(sp))})" for k, v, c, sp in top)
    return [f"**Widest spread between layout seeds** (the per-seed medians of the same code linked "
            f"at other addresses): {items}. The spread holds placement and each seed's own process "
            f"noise, which for threaded kernels on few CPUs can be most of it "
            f"(docs/statistics.md, Layout spread). A change of these cells smaller than that spread "
            f"is never called.", ""]


def problems(a: Analysis) -> list:
    out = []
    for c in a.configs:
        b = a.run.builds.get(c) or {}
        if b.get("status") in ("failed", "partial"):
            out.append(f"- `{c}`: build {b.get('status')}: {b.get('message', '')}")
            for k, msg in (b.get("kernels_failed") or {}).items():
                out.append(f"  - `{k}`: {fmt.md_escape(msg)[:400]}")
    for cell in a.ordered_cells():
        if cell.status in ("wrong", "crashed", "timeout", "timing failed", "unsupported"):
            # The loader's status word (wrong, crashed, ...): the line format
            # the sweep's own first table used, which scripts may grep.
            out.append(f"- `{cell.kernel}/{cell.variant}` under `{cell.config}`: {cell.status}"
                       + (f": {fmt.md_escape(cell.detail)}" if cell.detail else ""))
    return (["## Build failures, wrong results, crashes, unsupported", ""] + out + [""]) if out else []


def best_rows(a: Analysis) -> list:
    rows = []
    for kernel in a.run.plan.get("kernels", []):
        cfg, cmp_, ties = a.best_for_kernel(kernel)
        if cfg is None:
            rows.append([kernel, "— (none significantly faster than the baseline)", "", ""])
        else:
            rows.append([kernel, f"`{cfg}`", fmt.verdict_cell(cmp_),
                         ", ".join(f"`{t}`" for t in ties) or "none"])
    return rows


def markdown(a: Analysis, links: dict | None = None, images: dict | None = None, keep=None) -> str:
    """keep: a published run's choice of cells (light.Light); the "Every cell"
    table then lists only those, and says where the others are."""
    out = header(a, f"flagbench run {a.run_id}", links)
    out += [f"Each cell is the **speedup against the baseline** `{a.baseline}` (baseline median ÷ "
            "this median; above 1 is faster) with its 95% bootstrap interval, a verdict and the "
            f"noise threshold it was judged against: {fmt.CELL_LEGEND}. A verdict needs the **whole** "
            "interval outside the noise band (the largest of "
            f"{fmt.pct(a.options.floor)}, either cell's process-to-process noise and spread between "
            "layout seeds, and how far the kernel's A/A intervals miss 1) and must survive the "
            "false-discovery-rate control: see `docs/statistics.md` in the flagbench repository.",
            "The baseline column gives its median time per repetition and the interval of that median.",
            ""]
    out += aa_paragraph(a)
    for alt, src in (images or {}).items():
        out += [f"![{alt}]({src})", ""]
    cands = [c for c in a.configs if c != a.baseline]
    headers = ["kernel/variant", f"{a.baseline} (baseline)"] + cands + ["best"]
    rows = []
    for kernel, variant in a.rows:
        r = [f"{kernel}/{variant}", cell_text(a, kernel, variant, a.baseline)]
        r += [cell_text(a, kernel, variant, c) for c in cands]
        best, bc, ties = a.best_for_row(kernel, variant)
        r.append((f"`{best}` {fmt.ratio(bc.ratio)}" + (f" (+{len(ties)} tied)" if ties else ""))
                 if best else "—")
        rows.append(r)
    out += ["## Speedup against the baseline", ""] + fmt.md_table(headers, rows) + [""]
    out += ["## Best configuration per kernel", "",
            "The configuration with the highest geometric-mean speedup over the kernel's variants "
            "among those called faster (A/A duplicates excluded); the last column lists the other "
            "configurations called faster that are not significantly slower than it.", ""]
    out += fmt.md_table(["kernel", "best configuration", "speedup (geomean over variants)",
                         "not significantly slower than the best"], best_rows(a)) + [""]
    out += why_cells.markdown_section(a)
    out += problems(a)
    rows = detail_rows(a, keep)
    out += ["## Every cell", ""]
    if keep is not None:
        out += [keep.rows_note(len(rows), sum(1 for _ in a.ordered_cells()), "summary.csv"), ""]
    out += ["<details><summary>median, interval, samples and noise of every cell</summary>", ""]
    out += fmt.md_table(["kernel/variant", "configuration", "status", "n", "median [95% interval]",
                         "noise", "min", "max", "stopped by"], rows)
    out += ["", "</details>", ""]
    return "\n".join(out)


def detail_rows(a: Analysis, keep=None) -> list:
    rows = []
    for cell in a.ordered_cells():
        if keep is not None and not keep(cell):
            continue
        s = cell.stats if cell.samples else None
        rows.append([f"{cell.kernel}/{cell.variant}", cell.config, cell.status_text, s.n if s else "",
                     fmt.ns_with_interval(s.median, s.ci) if s else "",
                     fmt.pct(s.noise) if s else "", fmt.fmt_ns(s.min) if s else "",
                     fmt.fmt_ns(s.max) if s else "",
                     (cell.timing or {}).get("stopped_by") or "" if s else ""])
    return rows


# ---------------------------------------------------------------- CSV and JSON

CSV_COLUMNS = ["machine_id", "kernel", "variant", "config", "status", "detail", "same_as", "n",
               "median_ns", "ci_low_ns", "ci_high_ns", "noise", "min_ns", "max_ns", "items",
               "ns_per_item", "speedup", "speedup_ci_low", "speedup_ci_high", "threshold", "verdict",
               "verdict_reason", "run_command", "sweep_command"]


def cell_json(a: Analysis, cell) -> dict:
    s = cell.stats
    own = bool(cell.samples)
    vs = cell.vs_base
    return {
        "kernel": cell.kernel, "variant": cell.variant, "config": cell.config,
        "status": cell.status, "status_text": cell.status_text, "detail": cell.detail or None,
        "same_as": cell.same_as, "code_hash": cell.code_hash,
        "n": s.n if s else 0, "timed_here": own,
        "median_ns": s.median if s else None, "ci_ns": list(s.ci) if s and s.ci else None,
        "noise": s.noise if s else None, "min_ns": s.min if s else None, "max_ns": s.max if s else None,
        "stopped_by": (cell.timing or {}).get("stopped_by") if own else None,
        "items": cell.items, "ns_per_item": cell.ns_per_item,
        "vs_baseline": fmt.comparison_json(vs) if cell.config != a.baseline else None,
        "reproduce": {"run": a.run_command(cell) if cell.variant != "*" else None,
                      "sweep": a.sweep_command([cell.config], cell.kernel)},
        **why_cells.cell_fields(a, cell),
    }


def csv_text(a: Analysis) -> str:
    rows = []
    for cell in a.ordered_cells():
        j = fmt.rnd(cell_json(a, cell))
        vs = j["vs_baseline"] or {}
        ci, sci = j["ci_ns"] or [None, None], vs.get("ci") or [None, None]
        rows.append([a.machine_id, cell.kernel, cell.variant, cell.config, j["status_text"], j["detail"],
                     j["same_as"], j["n"], j["median_ns"], ci[0], ci[1], j["noise"], j["min_ns"],
                     j["max_ns"], j["items"], j["ns_per_item"], vs.get("ratio"), sci[0], sci[1],
                     vs.get("threshold"), vs.get("verdict"), vs.get("reason"),
                     j["reproduce"]["run"], j["reproduce"]["sweep"]])
    return fmt.csv_text(CSV_COLUMNS, rows)


def provenance_json(a: Analysis) -> dict:
    m = a.run.manifest
    cpu = a.machine.get("cpu") or {}
    return {
        "run_id": a.run_id, "machine_id": a.machine_id,
        "machine": {"summary": a.machine_line(), "cpu_model": cpu.get("model"),
                    "logical_cpus": cpu.get("logical_cpus"), "mhz_reported": cpu.get("mhz_reported"),
                    "kernel": a.machine.get("kernel"), "os": a.machine.get("os"),
                    "tools": a.machine.get("tools"), "git": a.machine.get("git")},
        "command": m.get("command"), "started": m.get("started"), "finished": m.get("finished"),
        "status": m.get("status"), "matrix": a.run.plan.get("matrix"),
        "description": a.run.plan.get("description"), "size": a.run.plan.get("size"),
        "baseline": a.baseline,
        "configs": [{"id": c["id"], "axes": c.get("axes"), "hash": c.get("hash"),
                     "aa_of": c.get("aa_of"), "flags": c.get("flags")} for c in a.run.plan["configs"]],
        "kernels": a.run.plan.get("kernels"),
    }


def method_json(a: Analysis) -> dict:
    o = a.options
    return {"statistic": "median of per-process median times (ns per repetition)",
            "interval": f"{o.confidence:.0%} bootstrap percentile interval; exact bootstrap "
                        f"distribution of the median per cell, {o.replicates} replicates per cell "
                        "for ratios and geometric means",
            "confidence": o.confidence, "replicates": o.replicates, "seed_namespace": o.namespace,
            "noise_floor": o.floor, "min_samples": st.MIN_SAMPLES,
            "noise": "IQR / 1.349 / median of the cell's samples",
            "verdict": "faster/slower when the whole interval lies outside the band "
                       "[1/(1 + threshold), 1 + threshold] and the call survives Benjamini-Hochberg "
                       "FDR control; threshold = max(noise floor, both cells' noise and layout "
                       "spread, the kernel's A/A term)", "doc": "docs/statistics.md"}


def aa_json(a: Analysis) -> dict:
    out = a.aa_summary()
    out["pairs_detail"] = [
        {"kernel": p.kernel, "variant": p.variant, "a": p.a, "b": p.b, "why": p.why,
         **fmt.comparison_json(p.comparison), "interval_alone_wrong": p.ci_alone_wrong}
        for p in a.aa_pairs]
    out["kernel_aa_threshold"] = {k: a.extra_threshold(k) for k in sorted(a.aa_noise)}
    return out


def json_doc(a: Analysis) -> dict:
    best = []
    for kernel, variant in a.rows:
        cfg, c, ties = a.best_for_row(kernel, variant)
        best.append({"kernel": kernel, "variant": variant, "config": cfg,
                     "speedup": fmt.comparison_json(c), "tied": ties})
    best_k = []
    for kernel in a.run.plan.get("kernels", []):
        cfg, c, ties = a.best_for_kernel(kernel)
        best_k.append({"kernel": kernel, "config": cfg, "speedup": fmt.comparison_json(c), "tied": ties})
    cells = [cell_json(a, cell) for cell in a.ordered_cells()]
    return {"schema": SCHEMA, "run": provenance_json(a), "method": method_json(a),
            "aa_check": aa_json(a), "cells": cells, "best_per_row": best, "best_per_kernel": best_k}


def json_text(a: Analysis) -> str:
    return fmt.json_text(json_doc(a))
