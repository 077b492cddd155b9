"""details.html: the long tables (every cell, effects per variant and pair, code,
build), kept off report.html so that it opens fast."""
from __future__ import annotations

from . import mdhtml, webui
from .analysis import Analysis
from .page import page, section_md, strip_header, tag
from .reportpage import files_html
from .summary import header


def _table_rows(md: str) -> int:
    """Rows of the Markdown tables in md (header and rule lines not counted)."""
    lines = [l for l in md.splitlines() if l.startswith("|")]
    return len(lines) - 2 * sum(1 for l in lines if l.startswith("|---"))


def details(a: Analysis, docs: dict) -> str:
    """details.html: the long tables, kept off the first page so it opens fast."""
    cells_md = section_md(docs["summary"], "## Every cell")
    body = [mdhtml.convert("\n".join(header(a, f"flagbench run {a.run_id}: details"))),
            '<nav><a href="report.html">back to the report</a><a href="#every-cell">every cell</a>'
            '<a href="#effect-pairs">effects per pair</a><a href="#code">code</a><a href="#build">build</a></nav>',
            '<h2 id="every-cell">Every cell</h2>',
            webui.filter_box("cells-table", "cells", _table_rows(cells_md)),
            tag(mdhtml.convert(cells_md.replace("## Every cell", "", 1)
                                .replace("<details><summary>", "").replace("</summary>", "")
                                .replace("</details>", "")), "cells-table"),
            '<h2 id="effect-pairs">Effects per variant and pair</h2>',
            mdhtml.convert(section_md(docs["effects"], "### ", "## Interactions")),
            '<h2 id="code">Code</h2>',
            webui.filter_box("code-table", "code rows", _table_rows(strip_header(docs["code"]))),
            tag(mdhtml.convert(strip_header(docs["code"])), "code-table"),
            '<h2 id="build">Build</h2>', mdhtml.convert(strip_header(docs["build"])), files_html()]
    return page(f"flagbench run {a.run_id}: details", body, "")
