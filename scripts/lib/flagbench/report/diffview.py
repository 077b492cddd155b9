"""A cell's code against the baseline's on its assembly page: loop by loop, side
by side (asm/sidebyside.py), however different the two compilations are; the
unified line diff beside it when they share most lines.  Each loop whose
comparison changes when registers are abstracted (asm/abstract.py) comes twice;
the page's "abstract registers" switch shows one or the other."""
from __future__ import annotations

import difflib
import html

from ..asm import sidebyside

MARK = {"equal": "", "replace": "chg", "delete": "del", "insert": "ins"}
SIMILAR = 0.4       # share of common lines above which the unified diff is shown too

SWITCH = ('<label class="absreg"><input type="checkbox" class="absreg-toggle"> abstract registers '
          '(a pure renaming then shows as equal)</label>')


CONTEXT = 3          # equal lines kept on each side of a change; longer equal runs are folded


def _folded(rows: list) -> list:
    """The rows with each run of more than 2*CONTEXT+1 equal lines cut to its ends
    and a ("fold", n) marker: pages stay small, changes stay in context."""
    out, i = [], 0
    while i < len(rows):
        if rows[i][2] != "equal":
            out.append(rows[i])
            i += 1
            continue
        j = i
        while j < len(rows) and rows[j][2] == "equal":
            j += 1
        run = rows[i:j]
        keep_head = 0 if i == 0 else CONTEXT
        keep_tail = 0 if j == len(rows) else CONTEXT
        if len(run) > keep_head + keep_tail + 1:
            out += run[:keep_head] + [(None, None, ("fold", len(run) - keep_head - keep_tail))]
            out += run[len(run) - keep_tail:] if keep_tail else []
        else:
            out += run
        i = j
    return out


def _rows_html(bl) -> list:
    """One row a line pair; the optional end tags (</td>, </tr>) are left out:
    a page holds thousands of rows."""
    h = html.escape
    out = []
    for left, right, kind in _folded(bl.rows):
        if isinstance(kind, tuple):
            out.append(f'<tr class="fold"><td colspan="2">… {kind[1]} equal lines …')
            continue
        cls = MARK[kind]
        out.append((f'<tr class="{cls}">' if cls else "<tr>") + f"<td>{h(left or '')}<td>{h(right or '')}")
    return out


def _side_table(plain: list, abstr: list) -> str:
    """One table, a body per block; a loop whose register-abstracted alignment
    differs gets a second body that the switch shows instead (the code outside
    the loops is shown as allocated only, to keep the page small)."""
    h = html.escape
    out = ['<table class="sbs"><thead><tr><th>baseline</th><th>this cell</th></tr></thead>']
    for bp, ba in zip(plain, abstr):
        head = f'<tr class="blk"><th>{h(sidebyside.describe(bp.a))}<th>{h(sidebyside.describe(bp.b))}'
        is_loop = (bp.a or bp.b).title.startswith("loop")
        if is_loop and [k for _, _, k in bp.rows] != [k for _, _, k in ba.rows]:
            out.append('<tbody class="regs-plain">' + head + "".join(_rows_html(bp)) + "</tbody>")
            out.append('<tbody class="regs-abstract">' + head + "".join(_rows_html(ba)) + "</tbody>")
        else:
            out.append("<tbody>" + head + "".join(_rows_html(bp)) + "</tbody>")
    out.append("</table>")
    return "".join(out)


def _unified(la: list, lb: list, name_a: str, name_b: str) -> str:
    out = []
    for line in difflib.unified_diff(la, lb, name_a, name_b, n=2, lineterm=""):
        cls = "a" if line.startswith("+") and not line.startswith("+++") else \
            "d" if line.startswith("-") and not line.startswith("---") else \
            "h" if line.startswith("@@") else ""
        esc = html.escape(line)
        out.append(f'<span class="{cls}">{esc}</span>' if cls else esc + "\n")
    return '<pre class="diff">' + "".join(out) + "</pre>"


def render(text_a: str, doc_a: dict | None, text_b: str, doc_b: dict | None,
           name_a: str, name_b: str) -> str:
    """HTML for code that differs: the loop-by-loop view (both register forms)
    and, when the two share most lines, the unified diff."""
    la, lb = text_a.splitlines(), text_b.splitlines()
    same = sum(m.size for m in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_matching_blocks())
    share = same / max(len(la), len(lb), 1)
    parts = [f"<p>{same} lines in common out of {len(la)} (baseline) and {len(lb)} (this cell). "
             "Loop by loop: each innermost loop of the baseline beside the loop of this cell it "
             "resembles most, then the code outside the loops; changed lines are shaded.</p>", SWITCH]
    plain = sidebyside.compare(text_a, doc_a, text_b, doc_b, abstract_registers=False)
    abstr = sidebyside.compare(text_a, doc_a, text_b, doc_b, abstract_registers=True)
    table = _side_table(plain, abstr)
    if "regs-abstract" not in table:
        parts[1] = ("<p class=\"note\">Abstracting registers changes no loop's comparison here: "
                    "no difference in a loop is a pure renaming.</p>")
    parts.append(f'<div class="sbs-wrap">{table}</div>')
    if share >= SIMILAR:
        parts.append("<details><summary>unified diff</summary>"
                     f"{_unified(la, lb, name_a, name_b)}</details>")
    return "\n".join(parts)


# The switch: a checkbox on the page flips the body's class; no network, no library.
SCRIPT = """
(function () {
  function show(on) { document.body.classList.toggle('abstract-registers', on);
    document.querySelectorAll('.absreg-toggle').forEach(function (b) { b.checked = on; }); }
  document.querySelectorAll('.absreg-toggle').forEach(function (b) {
    b.addEventListener('change', function () { show(b.checked); }); });
})();
"""

CSS = """
tbody.regs-abstract{display:none}body.abstract-registers tbody.regs-abstract{display:table-row-group}
body.abstract-registers tbody.regs-plain{display:none}
table.sbs{font:12px/1.3 ui-monospace,Menlo,Consolas,monospace;border-collapse:collapse;width:100%}
table.sbs td{white-space:pre;border:0;border-left:1px solid #ddd;padding:0 6px;width:50%}
table.sbs tr.blk th{background:#eef3f8;font-weight:600;text-align:left}
table.sbs tr.chg td{background:#fff5d6}table.sbs tr.del td:first-child{background:#ffebe9}
table.sbs tr.ins td:last-child{background:#e6ffec}
table.sbs tr.fold td{color:#888;text-align:center;background:#fafafa;font-style:italic}
label.absreg{display:inline-block;margin:.3em 0;font-size:13px}
"""
