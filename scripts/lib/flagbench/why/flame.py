"""Flame graphs as standalone SVG from folded stacks, and a differential one.

Folded stacks are the format of Brendan Gregg's stackcollapse tools: one line
per distinct stack, frames root first, separated by ';', then a space and the
weight.  The renderer is written here (no network, no JavaScript: a <title>
per frame is the tooltip), so the SVG shows in any browser and inside the
report without a script that could fail.

A differential graph has the widths of the cell's profile and colours each
frame by how its share of all samples changed against the baseline: red grew,
blue shrank, grey the same (within half a percentage point).
"""
from __future__ import annotations

import hashlib
from html import escape

from flagbench.asm import disasm

WIDTH = 1000
ROW = 16
MIN_PX = 0.3         # frames narrower than this are not drawn (their parent shows them)
FONT = 11


def frame_name(f) -> str:
    """A frame's name, stable across builds: suffix numbers folded, unknowns by module."""
    if f.symbol == "[unknown]":
        return f"[{f.dso.rsplit('/', 1)[-1] or 'unknown'}]"
    name = disasm.display_name(f.symbol)
    return name + "_[k]" if f.kernel else name


def fold(samples: list) -> dict:
    """{'root;...;leaf': number of samples} from perfscript samples (a count, not
    the period, so the graph's numbers read as samples)."""
    out = {}
    for s in samples:
        names = [frame_name(f) for f in reversed(s.frames)] or ["[no frame]"]
        key = ";".join([s.comm] + names)
        out[key] = out.get(key, 0) + 1
    return out


def folded_text(folded: dict) -> str:
    return "".join(f"{k} {v}\n" for k, v in sorted(folded.items()))


def read_folded(text: str) -> dict:
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        stack, _, w = line.rpartition(" ")
        try:
            out[stack] = out.get(stack, 0) + int(w)
        except ValueError:
            raise ValueError(f"folded stacks line {n}: no weight at the end: {line[:80]!r}") from None
    return out


def _tree(folded: dict) -> dict:
    root = {"name": "all", "w": 0, "kids": {}}
    for stack, w in folded.items():
        node = root
        root["w"] += w
        for name in stack.split(";"):
            node = node["kids"].setdefault(name, {"name": name, "w": 0, "kids": {}})
            node["w"] += w
    return root


def _shares(folded: dict) -> dict:
    """{path tuple: share of all weight} for every prefix of every stack."""
    tot = sum(folded.values()) or 1
    out = {}
    for stack, w in folded.items():
        parts = stack.split(";")
        for i in range(1, len(parts) + 1):
            out[tuple(parts[:i])] = out.get(tuple(parts[:i]), 0) + w / tot
    return out


def _warm(name: str) -> str:
    h = int(hashlib.md5(name.encode()).hexdigest()[:6], 16)
    return f"rgb({205 + h % 50},{80 + (h >> 8) % 120},{30 + (h >> 16) % 40})"


def _diff_colour(delta: float) -> str:
    if abs(delta) < 0.005:
        return "rgb(220,220,220)"
    k = min(1.0, abs(delta) / 0.25)
    c = int(220 - 180 * k)
    return f"rgb(250,{c},{c})" if delta > 0 else f"rgb({c},{c},250)"


def _render(folded: dict, title: str, colour) -> str:
    tree = _tree(folded)
    tot = tree["w"]
    rects = []
    depth_max = [0]

    def walk(node, x, depth, path):
        w_px = WIDTH * node["w"] / tot if tot else 0
        if w_px < MIN_PX:
            return
        depth_max[0] = max(depth_max[0], depth)
        rects.append((x, depth, w_px, node["name"], node["w"], path))
        cx = x
        for kid in sorted(node["kids"].values(), key=lambda k: k["name"]):
            walk(kid, cx, depth + 1, path + (kid["name"],))
            cx += WIDTH * kid["w"] / tot
    if tot:
        walk(tree, 0.0, 0, ())
    height = (depth_max[0] + 1) * ROW + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH + 20}" height="{height}" '
           f'viewBox="0 0 {WIDTH + 20} {height}" font-family="monospace" font-size="{FONT}">',
           f'<title>{escape(title)}</title>',
           '<rect x="0" y="0" width="100%" height="100%" fill="rgb(250,250,245)"/>',
           f'<text x="10" y="16" font-size="13">{escape(title)} ({tot} samples)</text>']
    if not tot:
        out.append('<text x="10" y="34">no samples</text>')
    for x, depth, w_px, name, w, path in rects:
        y = height - (depth + 1) * ROW - 4
        pct = 100 * w / tot
        label = name if depth else "all"
        fill = colour(path, name)
        tip = f"{label}: {w} samples, {pct:.2f}%" + (colour.tip(path) if hasattr(colour, "tip") else "")
        chars = int((w_px - 4) / (FONT * 0.6))
        text = label if len(label) <= chars else (label[:chars - 2] + ".." if chars > 3 else "")
        out.append(f'<g><title>{escape(tip)}</title><rect x="{x + 10:.2f}" y="{y}" width="{w_px:.2f}" '
                   f'height="{ROW - 1}" fill="{fill}" rx="2"/>'
                   + (f'<text x="{x + 12:.2f}" y="{y + ROW - 4}">{escape(text)}</text>' if text else "")
                   + '</g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def svg(folded: dict, title: str = "flame graph") -> str:
    return _render(folded, title, lambda path, name: _warm(name))


class _Diff:
    def __init__(self, base: dict, cell: dict):
        self.b, self.c = _shares(base), _shares(cell)

    def delta(self, path):
        return self.c.get(path, 0.0) - self.b.get(path, 0.0)

    def __call__(self, path, name):
        return _diff_colour(self.delta(path)) if path else "rgb(220,220,220)"

    def tip(self, path):
        if not path:
            return ""
        return (f"; baseline {100 * self.b.get(path, 0.0):.2f}% -> {100 * self.c.get(path, 0.0):.2f}% "
                f"({100 * self.delta(path):+.2f} points)")


def diff_svg(base: dict, cell: dict, title: str = "differential flame graph") -> str:
    """The cell's flame graph coloured by its change against the baseline's."""
    return _render(cell, title + " (red: larger share than the baseline, blue: smaller)", _Diff(base, cell))
