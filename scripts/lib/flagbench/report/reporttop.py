"""The top of report.html: the answer to "which flags for my kind of code"
(per kernel family and code style, from firstscreen.py), how sure the run is,
the suggested next runs, and the glossary of configurations, symbols and code
styles."""
from __future__ import annotations

import html

from . import codestyle, firstscreen, fmt
from . import statistics as st
from .analysis import Analysis
from .page import verdict_td
from .summary import clock_text


def first_screen(a: Analysis) -> str:
    """Which flags for my kind of code, how sure, and what to run next."""
    h = html.escape
    out = ['<section id="answer" class="answer"><h2>Which flags for my kind of code</h2>',
           f"<p>Per kernel family and code style: the configuration with the highest speedup over "
           f"<code>{h(a.baseline)}</code> among those called faster, as a geometric mean over the "
           "group's kernel variants with its 95% interval, verdict and noise threshold. Where nothing "
           "is called faster the baseline is the answer, and the closest configuration is shown. "
           "Styles come from the variant names (see the glossary).</p>",
           '<div class="scroll"><table class="t" id="by-style"><thead><tr><th>family</th><th>code style</th>'
           "<th>variants</th><th>best configuration</th><th>speedup [95% interval], verdict (threshold)</th>"
           "<th>why</th><th>slower under</th></tr></thead><tbody>"]
    for ans in firstscreen.answers(a):
        names = ", ".join(f"{k.split('/', 1)[1]}/{v}" for k, v in ans.rows)
        if ans.config:
            best = f"<code>{h(ans.config)}</code>" + (f" (+{len(ans.ties)} tied)" if ans.ties else "")
        elif ans.closest:
            best = f"baseline (nothing faster; closest <code>{h(ans.closest)}</code>)"
        else:
            best = "no timing"
        out.append(f"<tr><td>{h(ans.family)}</td><td>{h(ans.style)}</td>"
                   f'<td title="{h(names)}">{len(ans.rows)}</td><td>{best}</td>'
                   + verdict_td(ans.comparison) + f'<td class="why">{h(ans.why)}</td>'
                   + "<td>" + "; ".join(f"<code>{h(c)}</code> {h(fmt.verdict_cell(x))}" for c, x in ans.slower)
                   + "</td></tr>")
    out.append("</tbody></table></div>")
    out.append(_how_sure(a))
    runs = firstscreen.next_runs(a)
    if runs:
        out.append("<h3>Suggested next runs</h3><ul>" + "".join(
            f"<li>{h(what)}: <code>{h(cmd)}</code></li>" for what, cmd in runs) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def _how_sure(a: Analysis) -> str:
    h = html.escape
    s = a.aa_summary()
    called = [p for p in a.aa_pairs if p.comparison.verdict in (st.FASTER, st.SLOWER)]
    aa = firstscreen._rate(s)
    if called:
        aa += "; called different: " + ", ".join(f"{p.kernel}/{p.variant} ({p.a} vs {p.b})" for p in called)
    pl = firstscreen.placement(a)
    hit, timed = firstscreen.time_budget_cells(a)
    items = [f"<li><strong>A/A false calls</strong> (identical code timed twice): {h(aa)}.</li>",
             "<li><strong>Placement false calls</strong> (the same code under different layouts): "
             + h(firstscreen._rate(pl) if pl else "not measured in this run") + ".</li>",
             f"<li><strong>Time budget</strong>: {hit} of {timed} timed cells stopped because their time "
             "ran out, not because their interval converged"
             + (" (their intervals are wider than asked for)" if hit else "") + ".</li>"]
    return '<h3>How sure</h3><ul class="sure">' + "".join(items) + "</ul>"


def glossary(a: Analysis) -> str:
    h = html.escape
    rows = []
    for c in a.run.plan.get("configs", []):
        flags = c.get("flags") or {}
        compile_ = " ".join(flags.get("compile") or []) + " " + " ".join(flags.get("target") or [])
        link = " ".join(flags.get("link") or [])
        role = "baseline" if c["id"] == a.baseline else (f"A/A duplicate of {c['aa_of']}" if c.get("aa_of") else "")
        rows.append(f"<tr><td><code>{h(c['id'])}</code></td><td>{h(role)}</td>"
                    f"<td>{h(str((c.get('axes') or {}).get('compiler', '')))}</td>"
                    f"<td><code>{h(compile_.strip())}</code></td><td><code>{h(link)}</code></td></tr>")
    syms = "".join(f"<tr><td><strong>{h(sym)}</strong></td><td>{h(text)}</td></tr>" for sym, text in fmt.symbols(a.options.floor))
    styles = "".join(f"<li>{h(line.strip())}</li>" for line in codestyle.__doc__.split("\n")
                     if line.startswith("  ") and not line.strip().startswith("style "))
    return ('<details class="glossary" open><summary><strong>Glossary</strong>: configurations, symbols, '
            'code styles</summary><div class="cols">'
            '<div><h4>Configurations</h4><table class="t"><thead><tr><th>id</th><th>role</th><th>compiler</th>'
            "<th>compile flags</th><th>link flags</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
            f'<div><h4>Symbols</h4><table class="plain">{syms}</table>'
            f"<h4>Machine words</h4><ul><li><strong>SMT off</strong>: one hardware thread per core "
            "(simultaneous multithreading disabled or absent).</li>"
            f"<li><strong>clock</strong>: the one clock every cycle figure uses: {h(clock_text(a))}.</li>"
            "<li><strong>host (cpu)</strong> in the code table: the CPU llvm-mca modelled for this "
            "machine, and the scheduling model it used (a newer CPU without its own model borrows "
            "an older one, e.g. znver5 with the Zen 4 model).</li></ul>"
            f"<h4>Code styles</h4><ul>{styles}</ul></div></div></details>")
