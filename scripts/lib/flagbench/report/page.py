"""What every page of the HTML report shares: the style sheet and script
(report.css, report.js, written once beside report.html), the page skeleton,
the names of links (cell anchors, kernel pages, plots) and the small helpers
that turn the Markdown tables into the pages' tables.  The pages read without
the script; none needs the network."""
from __future__ import annotations

import html
import re
from pathlib import Path

from . import diffview, fmt, seedplot, webui
from . import statistics as st

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1500px;
padding:0 18px 40px;color:#1d1d1f;background:#fff}
h1{font-size:1.6em;margin:.8em 0 .3em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
h3{margin-top:1.3em}code{background:#f3f3f3;padding:0 3px;border-radius:3px;font-size:.92em}
pre{background:#f7f7f7;border:1px solid #e3e3e3;padding:8px 10px;overflow:auto;font-size:12px;line-height:1.35}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ddd;padding:6px 0;z-index:3}
nav a{margin-right:14px}
.scroll{overflow:auto;max-width:100%;max-height:80vh}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:12.5px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
.scroll th{background:#f4f4f4;position:sticky;top:0;z-index:1}
.scroll td:first-child{position:sticky;left:0;background:#fff}
.scroll th:first-child{left:0;z-index:2}
td.faster{background:#e3f2e1}td.slower{background:#f9e0de}td.same{background:#fff}
td.samecode{background:#f4f4f4;color:#555}
td.none{background:#eee;color:#666}td.base{background:#f4f7fb}
td .links{display:block;font-size:11px;color:#666}td .links a{margin-right:5px}
img.plot{max-width:100%;height:auto;border:1px solid #eee;margin:.4em 0}
.legend span{padding:0 6px;margin-right:6px}.note{color:#555}
pre.diff .a{background:#e6ffec;display:block}pre.diff .d{background:#ffebe9;display:block}
pre.diff .h{color:#6639ba;display:block}
section.cell{border-top:1px solid #ddd;margin-top:1.2em}
section.answer{background:#fbfcfe;border:1px solid #dfe6ef;border-radius:6px;padding:2px 14px 8px;margin-top:.6em}
section.answer h2{margin-top:.5em}
details.glossary{border:1px solid #e3e3e3;border-radius:6px;padding:6px 12px;margin:1em 0}
details.glossary .cols{display:flex;flex-wrap:wrap;gap:24px}details.glossary .cols>div{flex:1 1 420px}
table.plain td{border:0;padding:1px 8px 1px 0}
"""


def anchor(variant: str, config: str) -> str:
    """The id of a cell's section on its kernel's assembly page."""
    return "c-" + re.sub(r"[^A-Za-z0-9_.-]", "_", f"{variant}--{config}")


def kernel_page(kernel: str) -> str:
    return "asm/" + kernel.replace("/", "_") + ".html"


def plot_img(name: str, alt: str) -> str:
    """A plot drawn into plots/<name>.svg beside the page."""
    return f'<img class="plot" alt="{html.escape(alt)}" src="plots/{html.escape(name)}.svg">'


ASSET_CSS, ASSET_JS = "report.css", "report.js"


def assets() -> dict:
    """The files the pages share: {file name: text}."""
    return {ASSET_CSS: (CSS + webui.CSS + diffview.CSS + seedplot.CSS).lstrip(),
            ASSET_JS: (webui.SCRIPT + diffview.SCRIPT).lstrip()}


def write_assets(out: Path, write) -> list:
    written = []
    for name, text in assets().items():
        write(Path(out) / name, text)
        written.append(Path(out) / name)
    return written


def page(title: str, body: list, shared: str | None = None) -> str:
    """A page that needs no network.  shared: the relative path of the folder
    holding report.css and report.js ("" beside the page, "../" one level up);
    None inlines them (a page that travels alone).  The script is included
    only where the page has something for it."""
    text = "\n".join(body)
    tables = 'class="t' in text or "filter" in text
    diffs = "absreg-toggle" in text
    if shared is None:
        scripts = ([webui.SCRIPT] if tables else []) + ([diffview.SCRIPT] if diffs else [])
        style = f"<style>{assets()[ASSET_CSS]}</style>"
        js = "".join(f"<script>{s}</script>" for s in scripts)
    else:
        style = f'<link rel="stylesheet" href="{shared}{ASSET_CSS}">'
        js = f'<script src="{shared}{ASSET_JS}"></script>' if tables or diffs else ""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{html.escape(title)}</title>"
            f"{style}</head><body>\n" + text + f"\n{js}</body></html>\n")


def tag(html_text: str, table_id: str) -> str:
    """Gives the first table of converted Markdown an id (for its filter box)."""
    return html_text.replace('<table class="t">', f'<table class="t" id="{table_id}">', 1)


def section_md(md: str, start: str, stop: str | None = None) -> str:
    """The part of a Markdown document from the heading `start` to `stop`."""
    i = md.find(start)
    if i < 0:
        return ""
    j = md.find(stop, i + len(start)) if stop else -1
    part = md[i:j] if j >= 0 else md[i:]
    # The report inlines its plots; the .md files' image links are left out.
    return "\n".join(line for line in part.split("\n") if not line.startswith("!["))


def verdict_td(c, extra: str = "") -> str:
    """A table cell for a comparison: coloured by its verdict, sorted by its ratio."""
    if c is None or c.ratio is None:
        return f'<td class="none">{html.escape(fmt.verdict_cell(c))}{extra}</td>'
    cls = "samecode" if fmt.is_same_code(c) else \
        {st.FASTER: "faster", st.SLOWER: "slower"}.get(c.verdict, "same")
    return (f'<td class="{cls}" data-sort="{c.ratio:.6g}" title="{html.escape(c.reason or "")}">'
            f"{html.escape(fmt.verdict_cell(c))}{extra}</td>")


def strip_header(md: str) -> str:
    """Drops a table document's title and run table (the report shows them once)."""
    lines = md.split("\n")
    i = 0
    if lines and lines[0].startswith("# "):
        i = 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith("|") or lines[i].startswith("[")):
            i += 1
    return "\n".join(lines[i:])

