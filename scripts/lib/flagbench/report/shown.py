"""Blocks already shown on the assembly pages being written, by content: a
block identical to one shown before (the normalized assembly of an A/A
duplicate, an llvm-mca loop that two configurations compiled alike) links to
the first instead of repeating it, which keeps the pages and a published run
small."""
from __future__ import annotations

import html


class Shown:
    def __init__(self):
        self._first: dict = {}
        self.page = ""          # file name of the page being written (links within it need no name)

    def link(self, kind: str, content: str, anchor: str, label: str) -> str | None:
        """None the first time `content` of this kind is shown (it is remembered
        at anchor, on this page, as label); afterwards a link to that place."""
        key = (kind, content)
        if key not in self._first:
            self._first[key] = (self.page, anchor, label)
            return None
        page, anc, text = self._first[key]
        href = ("" if page == self.page else page) + "#" + anc
        return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'
