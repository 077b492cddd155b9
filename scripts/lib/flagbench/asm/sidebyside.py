"""Loop-by-loop side-by-side comparison of two normalized functions.

A unified diff of two compilations that share little code is noise.  Cut each
function into its innermost loops (where the time goes) and the rest, pair
each loop of A with the loop of B it resembles most, and align the lines of
each pair: the reader sees the two loops next to each other however different
they are, with their cycles per item.

`compare(text_a, doc_a, text_b, doc_b)` -> list of Block; doc_* is the
asm/<variant>.json summary (loop_details, mca) or {}.  `text_table` prints the
blocks as two columns (asmdiff.sh --side-by-side); the report renders them as
two <pre> columns (report/diffview.py).
"""
from __future__ import annotations

import dataclasses
import difflib

from .abstract import abstract


@dataclasses.dataclass
class Segment:
    title: str                  # "loop 2" or "outside the loops"
    lines: list                 # the normalized lines, as stored
    cycles_per_item: float | None = None
    items_per_iteration: float | None = None
    cycles_per_iteration: float | None = None


@dataclasses.dataclass
class Block:
    a: Segment | None
    b: Segment | None
    rows: list                  # (left line or None, right line or None, "equal"|"replace"|"delete"|"insert")

    @property
    def changed(self) -> bool:
        return any(kind != "equal" for _, _, kind in self.rows)


def _mca_cycles(doc: dict, index) -> float | None:
    mca = doc.get("mca") or {}
    target = mca.get("target_cpu")
    for lp in mca.get("loops") or []:
        if lp.get("index") == index:
            per = lp.get("per_cpu") or {}
            r = per.get(target) or per.get("host") or next(iter(per.values()), None) or {}
            return r.get("cycles_per_iteration")
    return None


def _span(doc: dict, title: str) -> list:
    for d in doc.get("loop_details") or []:
        if f"loop {d.get('index')}" == title and d.get("lines"):
            return d["lines"]
    return []


def segments(text: str, doc: dict | None) -> list:
    """The innermost loops of a function (in text order), then everything else."""
    doc = doc or {}
    lines = text.rstrip("\n").split("\n") if text else []
    inside = set()
    out = []
    loops = sorted((d for d in doc.get("loop_details") or [] if d.get("innermost") and d.get("lines")),
                   key=lambda d: d["lines"][0])
    for d in loops:
        lo, hi = d["lines"]
        if any(i in inside for i in range(lo, hi + 1)):
            continue
        inside.update(range(lo, hi + 1))
        ipi = d.get("items_per_iteration_measured") or d.get("items_per_iteration")
        cyc = _mca_cycles(doc, d.get("index"))
        out.append(Segment(f"loop {d.get('index')}", lines[lo - 1:hi], cyc / ipi if cyc and ipi else None,
                           ipi, cyc))
    starts = {s_lines[0]: title for title, s_lines in
              ((seg.title, _span(doc, seg.title)) for seg in out) if s_lines}
    rest = []
    for i, ln in enumerate(lines, 1):
        if i in starts:
            rest.append(f"# ({starts[i]} here)")
        if i not in inside:
            rest.append(ln)
    if any(ln.startswith("\t") for ln in rest):
        out.append(Segment("outside the loops" if out else "whole function", rest))
    return out


def _key(lines: list, registers: bool) -> list:
    return abstract("\n".join(lines)).split("\n") if registers and lines else list(lines)


def _similarity(a: Segment, b: Segment) -> float:
    return difflib.SequenceMatcher(None, _key(a.lines, True), _key(b.lines, True), autojunk=False).ratio()


def _align(a: list, b: list, ka: list, kb: list) -> list:
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, ka, kb, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [(a[i], b[j], "equal") for i, j in zip(range(i1, i2), range(j1, j2))]
            continue
        left, right = a[i1:i2], b[j1:j2]
        for k in range(max(len(left), len(right))):
            la = left[k] if k < len(left) else None
            rb = right[k] if k < len(right) else None
            rows.append((la, rb, "replace" if la is not None and rb is not None
                         else "delete" if la is not None else "insert"))
    return rows


def compare(text_a: str, doc_a: dict | None, text_b: str, doc_b: dict | None,
            abstract_registers: bool = False) -> list:
    """Blocks: each loop of A beside its most similar loop of B (loops of one side
    left over stand alone), then the code outside the loops."""
    sa, sb = segments(text_a, doc_a), segments(text_b, doc_b)
    loops_a = [s for s in sa if s.title.startswith("loop")]
    loops_b = [s for s in sb if s.title.startswith("loop")]
    rest_a = next((s for s in sa if not s.title.startswith("loop")), None)
    rest_b = next((s for s in sb if not s.title.startswith("loop")), None)
    scores = sorted(((_similarity(x, y), i, j) for i, x in enumerate(loops_a) for j, y in enumerate(loops_b)),
                    reverse=True)
    match, used_b = {}, set()
    for score, i, j in scores:
        if i not in match and j not in used_b:
            match[i] = j
            used_b.add(j)
    pairs = [(loops_a[i], loops_b[match[i]] if i in match else None) for i in range(len(loops_a))]
    pairs += [(None, y) for j, y in enumerate(loops_b) if j not in used_b]
    pairs.append((rest_a, rest_b))
    blocks = []
    for x, y in pairs:
        if x is None and y is None:
            continue
        la, lb = (x.lines if x else []), (y.lines if y else [])
        ka, kb = _key(la, abstract_registers), _key(lb, abstract_registers)
        shown_a, shown_b = (ka, kb) if abstract_registers else (la, lb)
        blocks.append(Block(x, y, _align(shown_a, shown_b, ka, kb)))
    return blocks


def describe(seg: Segment | None) -> str:
    if seg is None:
        return "(none)"
    text = f"{seg.title}, {sum(1 for ln in seg.lines if ln.startswith(chr(9)))} instructions"
    if seg.cycles_per_item is not None:
        text += f", {seg.cycles_per_item:.3g} cycles/item (llvm-mca)"
    return text


def text_table(blocks: list, width: int = 56) -> list:
    """Two columns per block; '|' equal, '*' changed, '<' only A, '>' only B."""
    mark = {"equal": "|", "replace": "*", "delete": "<", "insert": ">"}
    out = []
    for bl in blocks:
        out.append(f"--- A: {describe(bl.a)}   B: {describe(bl.b)}")
        for left, right, kind in bl.rows:
            la = (left or "").replace("\t", " ").strip() if left is not None else ""
            rb = (right or "").replace("\t", " ").strip() if right is not None else ""
            if left is not None and not left.startswith("\t"):
                la = left
            if right is not None and not right.startswith("\t"):
                rb = right
            out.append(f"{la[:width]:<{width}} {mark[kind]} {rb}")
        out.append("")
    return out
