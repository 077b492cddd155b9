"""details.html: the long tables (every cell, effects per variant and pair, code,
build), kept off report.html so that it opens fast."""
from __future__ import annotations

from . import mdhtml, webui
from .analysis import Analysis
from .page import page, section_md, strip_header, tag
from .reportpage import files_html
from .summary import header


def details(a: Analysis, docs: dict) -> str:
    """details.html: the long tables, kept off the first page so it opens fast."""
    body = [mdhtml.convert("\n".join(header(a, f"flagbench run {a.run_id}: details"))),
            '<nav><a href="report.html">back to the report</a><a href="#every-cell">every cell</a>'
            '<a href="#effect-pairs">effects per pair</a><a href="#code">code</a><a href="#build">build</a></nav>',
            '<h2 id="every-cell">Every cell</h2>',
            webui.filter_box("cells-table", "cells", sum(1 for _ in a.cells)),
            tag(mdhtml.convert(section_md(docs["summary"], "## Every cell").replace("## Every cell", "", 1)
                                .replace("<details><summary>", "").replace("</summary>", "")
                                .replace("</details>", "")), "cells-table"),
            '<h2 id="effect-pairs">Effects per variant and pair</h2>',
            mdhtml.convert(section_md(docs["effects"], "### ", "## Interactions")),
            '<h2 id="code">Code</h2>',
            webui.filter_box("code-table", "code rows", len(a.cells)),
            tag(mdhtml.convert(strip_header(docs["code"])), "code-table"),
            '<h2 id="build">Build</h2>', mdhtml.convert(strip_header(docs["build"])), files_html()]
    return page(f"flagbench run {a.run_id}: details", body, "")
