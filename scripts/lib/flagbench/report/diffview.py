"""A cell's code against the baseline's on its assembly page: loop by loop, side
by side (asm/sidebyside.py), however different the two compilations are; the
unified line diff beside it when they share most lines.  Each loop whose
comparison changes when registers are abstracted (asm/abstract.py) comes twice;
the page's "abstract registers" switch shows one or the other."""
from __future__ import annotations

import difflib
import html

from ..asm import sidebyside

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


# The class a changed line gets in each column: a line replaced on both sides, a
# line only the baseline has (the other column shows a blank line) and one only
# this cell has.
MARK = {"replace": ("c", "c"), "delete": ("d", None), "insert": (None, "i")}


def _pre(lines: list) -> str:
    """A column: (class or None, text) per line; each run of lines of one class
    in one span, which the style sheet shades across the column."""
    out, i = ["<pre>\n"], 0     # the parser drops one newline after <pre>: a blank first line stays
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j][0] == lines[i][0]:
            j += 1
        run = [html.escape(text) for _, text in lines[i:j]]
        if lines[i][0]:
            # a block span ends its own line; a space keeps an empty one a line high
            out.append(f'<span class="{lines[i][0]}">' + "\n".join(x or " " for x in run) + "</span>")
        else:
            out.append("".join(x + "\n" for x in run))
        i = j
    return "".join(out) + "</pre>"


def _columns(bl) -> tuple:
    """The block as two columns of the same number of lines: a line one side
    lacks is a blank line on that side.  Much smaller than a table row per line
    pair; the lines stay side by side because both columns share one line
    height and never wrap."""
    left, right = [], []
    for a, b, kind in _folded(bl.rows):
        if isinstance(kind, tuple):
            fold = ("f", f"… {kind[1]} equal lines …")
            left.append(fold)
            right.append(fold)
            continue
        marks = MARK.get(kind, (None, None))
        left.append((marks[0], a) if a is not None else (None, ""))
        right.append((marks[1], b) if b is not None else (None, ""))
    return _pre(left), _pre(right)


def _block(bl, regs: str = "") -> str:
    """A block's two headings and two columns, cells of the comparison's grid."""
    heads = "".join(f'<div class="h">{html.escape(sidebyside.describe(s))}</div>' for s in (bl.a, bl.b))
    body = heads + "".join(_columns(bl))
    return f'<div class="{regs}">{body}</div>' if regs else body


def _side_by_side(plain: list, abstr: list, outside: str | None = None) -> str:
    """One two-column grid, a pair of headings and columns per block; a loop
    whose register-abstracted alignment differs comes twice, and the switch
    shows one form or the other (the code outside the loops is shown as
    allocated only, to keep the page small).  outside: say this instead of
    showing the code outside the loops."""
    out = ['<div class="sbs"><div class="h top">baseline</div><div class="h top">this cell</div>']
    for bp, ba in zip(plain, abstr):
        is_loop = (bp.a or bp.b).title.startswith("loop")
        if not is_loop and outside is not None:
            changed = sum(kind != "equal" for _, _, kind in bp.rows)
            out.append(f'<div class="note">The code outside the loops ({changed} of {len(bp.rows)} lines '
                       f"changed): {html.escape(outside)}.</div>")
        elif is_loop and [k for _, _, k in bp.rows] != [k for _, _, k in ba.rows]:
            out.append(_block(bp, "regs-plain") + _block(ba, "regs-abstract"))
        else:
            out.append(_block(bp))
    out.append("</div>")
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
           name_a: str, name_b: str, outside: str | None = None) -> str:
    """HTML for code that differs: the loop-by-loop view (both register forms)
    and, when the two share most lines, the unified diff.  outside: the note
    that stands for the code outside the loops (a light publish)."""
    la, lb = text_a.splitlines(), text_b.splitlines()
    same = sum(m.size for m in difflib.SequenceMatcher(None, la, lb, autojunk=False).get_matching_blocks())
    share = same / max(len(la), len(lb), 1)
    parts = [f"<p>{same} lines in common out of {len(la)} (baseline) and {len(lb)} (this cell). "
             "Loop by loop: each innermost loop of the baseline beside the loop of this cell it "
             "resembles most, then the code outside the loops; changed lines are shaded.</p>", SWITCH]
    plain = sidebyside.compare(text_a, doc_a, text_b, doc_b, abstract_registers=False)
    abstr = sidebyside.compare(text_a, doc_a, text_b, doc_b, abstract_registers=True)
    view = _side_by_side(plain, abstr, outside)
    if "regs-abstract" not in view:
        parts[1] = ("<p class=\"note\">Abstracting registers changes no loop's comparison here: "
                    "no difference in a loop is a pure renaming.</p>")
    parts.append(view)
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
.regs-abstract{display:none}body.abstract-registers .regs-abstract{display:contents}
body.abstract-registers .regs-plain{display:none}.regs-plain{display:contents}
.sbs{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);border:1px solid #ddd}
.sbs .h{background:#eef3f8;font-weight:600;padding:2px 6px;font-size:12px}.sbs .h.top{background:#f4f4f4}
.sbs pre{margin:0;border:0;border-left:1px solid #ddd;border-radius:0;background:#fff;padding:0 6px;
white-space:pre;overflow-x:auto;font:12px/1.3 ui-monospace,Menlo,Consolas,monospace}
.sbs pre span{display:block}.sbs .c{background:#fff5d6}.sbs .d{background:#ffebe9}.sbs .i{background:#e6ffec}
.sbs .f{color:#888;text-align:center;background:#fafafa;font-style:italic}
.sbs .note{grid-column:1/-1;padding:2px 6px;font-size:12px;color:#555;background:#fafafa}
label.absreg{display:inline-block;margin:.3em 0;font-size:13px}
"""
