"""What a light publish (scripts/publish.sh without --full-asm) keeps of the
assembly pages and the per-cell tables, and what it tells the reader about
the cells it leaves out."""
from __future__ import annotations

from . import statistics as st
from .analysis import Analysis, Cell


def _verdict(cell: Cell) -> bool:
    return cell.vs_base is not None and cell.vs_base.verdict in (st.FASTER, st.SLOWER)


class Light:
    """What a light publish (scripts/publish.sh) keeps of the assembly pages: a
    cell's whole section when it has a verdict (faster or slower) or its code
    differs from the baseline's, and the baseline's section of a variant with
    such a cell.  A cell with the baseline's code (the same code_hash, or the
    same normalized assembly) keeps its anchors and links to the baseline's
    section; any other cell left out says how to reproduce it.  The kept
    sections leave out their flame graphs: two per profiled cell, they would
    weigh twice as much as everything else published."""

    FLAME_GRAPHS = "<p>Flame graphs: left out of this published run (the note at the top says how to draw them).</p>"
    # The kept sections compare the loops only: the code outside them is in the
    # cell's listing, and a side-by-side copy of it weighs as much as the loops'.
    OUTSIDE_THE_LOOPS = ("left out of this published run's comparison (the listing above has all of this "
                         "cell's code; the note at the top says how to compare it whole)")

    def __init__(self, a: Analysis, changed: bool = True):
        """changed: keep the cells whose code differs from the baseline's even
        without a verdict (False: the verdicts only)."""
        self.a = a
        self.changed = changed
        self._text: dict = {}

    def text(self, cell: Cell) -> str | None:
        if cell.key not in self._text:
            self._text[cell.key] = self.a.asm_text(cell)
        return self._text[cell.key]

    def base(self, cell: Cell) -> Cell | None:
        return self.a.cell(cell.kernel, cell.variant, self.a.baseline)

    def same_code(self, cell: Cell) -> bool:
        """The cell's code is the baseline's."""
        base = self.base(cell)
        if base is None or cell is base:
            return False
        if cell.code_hash and cell.code_hash == base.code_hash:
            return True
        text = self.text(cell)
        return text is not None and text == self.text(base)

    def differs(self, cell: Cell) -> bool:
        base = self.base(cell)
        return bool(cell.code_hash and base is not None and base.code_hash) and not self.same_code(cell)

    def _own(self, cell: Cell) -> bool:
        return _verdict(cell) or (self.changed and self.differs(cell))

    def keep(self, cell: Cell) -> bool:
        a = self.a
        others = [c for c in (a.cell(cell.kernel, cell.variant, x) for x in a.configs if x != cell.config)
                  if c is not None]
        if cell.config == a.baseline:
            return any(self._own(c) for c in others)
        # a kept cell whose code was timed under another configuration links to that one's section
        return self._own(cell) or any(c.same_as == cell.config and self._own(c) for c in others)

    __call__ = keep

    @property
    def kept(self) -> str:
        """Which cells are kept, in words."""
        return ("that have a verdict" + (" or whose code differs from the baseline's" if self.changed else "")
                + ", and the baseline cells they are compared with")

    def rows_note(self, shown: int, total: int, data_file: str) -> str:
        """The sentence above a per-cell table that lists only the kept cells."""
        return (f"This published run lists {shown} of its {total} cells here: those {self.kept} "
                f"(as its assembly pages do). Every cell is in [{data_file}]({data_file}).")

    def note(self) -> str:
        return (f"This is a published run: the assembly pages hold the cells {self.kept}; a cell with "
                "the baseline's code links to the baseline's section. The others are left out: " + REPRODUCE
                + " The flame graphs are left out too: scripts/profile.sh CONFIG KERNEL/VARIANT draws them "
                "from the rerun's build.")


REPRODUCE = ("rerun a cell's configuration with the sweep command in its reproduce.sweep field "
             "(summary.json.gz), then scripts/asm.sh --annotate CONFIG KERNEL/VARIANT prints its "
             "normalized assembly and scripts/asmdiff.sh --side-by-side BASELINE CONFIG KERNEL/VARIANT "
             "its loop-by-loop comparison (scripts/report.sh on the rerun writes every cell's page).")
