"""Per-axis effects and two-axis interactions, from pairs of configurations
that differ in one axis (or, for interactions, in two) and in nothing else."""
from __future__ import annotations

import dataclasses
import itertools
import math

from . import statistics as st
from .analysis import Analysis

from ..paths import ROOT


@dataclasses.dataclass
class Pair:
    frm: str                        # configuration with the "from" value
    to: str
    context: str                    # the other varied axes, e.g. "compiler=gcc12 pgo=off"


@dataclasses.dataclass
class Effect:
    axis: str
    frm: str                        # axis values
    to: str
    pairs: list                     # Pair
    rows: dict                      # (kernel, variant) -> {"pairs": [Comparison|None], "all": Comparison}
    kernels: dict                   # kernel -> Comparison (geomean over variants and pairs)
    overall: st.Comparison          # geomean over kernels

    @property
    def label(self) -> str:
        return f"{self.axis}: {self.frm} → {self.to}"


@dataclasses.dataclass
class Interaction:
    x: tuple                        # (axis, from, to)
    y: tuple
    squares: list                   # [(c00, c10, c01, c11, context)]
    rows: dict                      # (kernel, variant) -> {"at_y0", "at_y1", "interaction"} Comparisons
    kernels: dict                   # kernel -> interaction Comparison
    overall: st.Comparison

    @property
    def label(self) -> str:
        return f"{self.x[0]} {self.x[1]} → {self.x[2]} × {self.y[0]} {self.y[1]} → {self.y[2]}"


def _value_order() -> dict:
    """axis -> [value names] in axes.conf order (the default first)."""
    try:
        from ..axes import parse_axes
        axes = parse_axes(ROOT / "matrix" / "axes.conf")
        return {name: list(ax.values) for name, ax in axes.axes.items()}
    except Exception:       # noqa: BLE001 - ordering is cosmetic; fall back to names
        return {}


class Effects:
    def __init__(self, a: Analysis):
        self.a = a
        self.order = _value_order()
        self.configs = [c for c in a.configs if not a.is_duplicate(c)]
        self.axes = {c: a.config(c).get("axes") or {} for c in self.configs}
        names = []
        for c in self.configs:
            for k in self.axes[c]:
                if k not in names:
                    names.append(k)
        self.varied = [k for k in names if len({self.axes[c].get(k) for c in self.configs}) > 1]
        base_axes = a.config(a.baseline).get("axes") or {}
        self.base_axes = base_axes
        self.effects = self._effects()
        self.interactions = self._interactions()

    # ------------------------------------------------------------ directions

    def _direction(self, axis: str, v1: str, v2: str) -> bool:
        """True when v1 -> v2 is the direction to report (from the baseline's
        value, else in axes.conf order)."""
        b = self.base_axes.get(axis)
        if v1 == b:
            return True
        if v2 == b:
            return False
        order = self.order.get(axis, [])
        if v1 in order and v2 in order:
            return order.index(v1) < order.index(v2)
        return v1 < v2

    def _context(self, config: str, skip: set) -> str:
        ax = self.axes[config]
        return " ".join(f"{k}={ax.get(k)}" for k in self.varied if k not in skip) or "all else equal"

    def _diff(self, c1: str, c2: str) -> list:
        a1, a2 = self.axes[c1], self.axes[c2]
        return [k for k in set(a1) | set(a2) if a1.get(k) != a2.get(k)]

    # ------------------------------------------------------------ effects

    def _effects(self) -> list:
        groups: dict = {}
        for c1, c2 in itertools.combinations(self.configs, 2):
            d = self._diff(c1, c2)
            if len(d) != 1:
                continue
            axis = d[0]
            v1, v2 = self.axes[c1][axis], self.axes[c2][axis]
            if not self._direction(axis, v1, v2):
                c1, c2, v1, v2 = c2, c1, v2, v1
            groups.setdefault((axis, v1, v2), []).append(Pair(c1, c2, self._context(c1, {axis})))
        out = []
        for axis in self.varied:
            keys = [k for k in groups if k[0] == axis]
            keys.sort(key=lambda k: (self._rank(axis, k[1]), self._rank(axis, k[2])))
            for key in keys:
                out.append(self._effect(key, groups[key]))
        return out

    def _rank(self, axis, value):
        order = self.order.get(axis, [])
        return (0, order.index(value)) if value in order else (1, value)

    def _effect(self, key, pairs) -> Effect:
        a = self.a
        rows, per_kernel_terms = {}, {}
        for kernel, variant in a.rows:
            comps, terms, ths = [], [], []
            for p in pairs:
                base, other = a.cell(kernel, variant, p.frm), a.cell(kernel, variant, p.to)
                comps.append(a.compare_cells(base, other, a.extra_threshold(kernel)))
                t = a.log_terms(base, other)
                if t is not None:
                    terms.append(t)
                    ths.append(a.threshold_of([base, other], kernel))
            rows[(kernel, variant)] = {"pairs": comps, "all": st.combine(terms, ths, a.options.confidence)}
            kt = per_kernel_terms.setdefault(kernel, ([], []))
            kt[0].extend(terms)
            kt[1].extend(ths)
        kernels = {k: st.combine(t, th, a.options.confidence) for k, (t, th) in per_kernel_terms.items()}
        overall = _overall(per_kernel_terms, a.options.confidence)
        return Effect(key[0], key[1], key[2], pairs, rows, kernels, overall)

    # ------------------------------------------------------------ interactions

    def _interactions(self) -> list:
        out = []
        by_key = {tuple(sorted(self.axes[c].items())): c for c in self.configs}
        for ix, x in enumerate(self.varied):
            for y in self.varied[ix + 1:]:
                squares: dict = {}
                for c00 in self.configs:
                    ax = self.axes[c00]
                    for c11 in self.configs:
                        if sorted(self._diff(c00, c11)) != sorted([x, y]):
                            continue
                        x0, x1 = ax[x], self.axes[c11][x]
                        y0, y1 = ax[y], self.axes[c11][y]
                        if not (self._direction(x, x0, x1) and self._direction(y, y0, y1)):
                            continue
                        c10 = by_key.get(tuple(sorted({**ax, x: x1}.items())))
                        c01 = by_key.get(tuple(sorted({**ax, y: y1}.items())))
                        if c10 and c01:
                            squares.setdefault(((x, x0, x1), (y, y0, y1)), []).append(
                                (c00, c10, c01, c11, self._context(c00, {x, y})))
                for (xk, yk), sq in squares.items():
                    out.append(self._interaction(xk, yk, sq))
        return out

    def _interaction(self, xk, yk, squares) -> Interaction:
        a = self.a
        conf = a.options.confidence
        rows, per_kernel = {}, {}
        for kernel, variant in a.rows:
            t0s, t1s, tis, th0, th1, thi = [], [], [], [], [], []
            for c00, c10, c01, c11, _ in squares:
                cells = [a.cell(kernel, variant, c) for c in (c00, c10, c01, c11)]
                e0 = a.log_terms(cells[0], cells[1])     # effect of x at y0
                e1 = a.log_terms(cells[2], cells[3])     # effect of x at y1
                if e0 is None or e1 is None:
                    continue
                t0s.append(e0)
                t1s.append(e1)
                tis.append([u - v for u, v in zip(e1, e0)])
                th0.append(a.threshold_of(cells[:2], kernel))
                th1.append(a.threshold_of(cells[2:], kernel))
                thi.append(a.threshold_of(cells, kernel))
            rows[(kernel, variant)] = {"at_y0": st.combine(t0s, th0, conf), "at_y1": st.combine(t1s, th1, conf),
                                       "interaction": st.combine(tis, thi, conf)}
            k = per_kernel.setdefault(kernel, ([], []))
            k[0].extend(tis)
            k[1].extend(thi)
        kernels = {k: st.combine(t, th, conf) for k, (t, th) in per_kernel.items()}
        return Interaction(xk, yk, squares, rows, kernels, _overall(per_kernel, conf))


def _overall(per_kernel: dict, confidence: float) -> st.Comparison:
    """Geometric mean over kernels, each kernel weighing the same however many
    variants and pairs it has."""
    terms, ths = [], []
    for t, th in per_kernel.values():
        if not t:
            continue
        terms.append([sum(col) / len(t) for col in zip(*t)])
        ths.append(math.expm1(sum(math.log1p(h) for h in th) / len(th)))
    return st.combine(terms, ths, confidence)


INTERACTION_WORDS = {st.FASTER: "larger", st.SLOWER: "smaller", st.SAME: "no significant interaction",
                     st.NO_DATA: "no verdict"}
