"""Turns the Markdown the tables are written in into HTML, so the report shows
exactly the tables the .md files hold.  It knows the subset they use: headings,
paragraphs, pipe tables, bullet lists (two levels), `code`, **bold**, *italic*,
[links](url), images and <details> blocks."""
from __future__ import annotations

import html
import re

INLINE = [(re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
          (re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])"), r"<em>\1</em>"),
          (re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)"), r'<img alt="\1" src="\2">'),
          (re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)"), r'<a href="\2">\1</a>')]


def inline(text: str, link_map=None) -> str:
    # Code spans first, protected from the other rules.
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) > 1:
            out.append("<code>" + html.escape(p[1:-1]) + "</code>")
            continue
        s = html.escape(p, quote=False)
        for rx, rep in INLINE:
            s = rx.sub(rep, s)
        out.append(s)
    s = "".join(out)
    if link_map:
        s = re.sub(r'(href|src)="([^"]+)"', lambda m: f'{m.group(1)}="{link_map(m.group(2))}"', s)
    return s


def _cells(line: str) -> list:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells = re.split(r"(?<!\\)\|", line)
    return [c.strip().replace("\\|", "|") for c in cells]


def convert(md: str, link_map=None, table_class: str = "t") -> str:
    lines = md.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if m:
            level = len(m.group(1))
            text = m.group(2)
            anchor = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
            out.append(f'<h{level} id="{anchor}">{inline(text, link_map)}</h{level}>')
            i += 1
            continue
        if line.startswith("<details") or line.startswith("</details"):
            out.append(line)
            i += 1
            continue
        if line.lstrip().startswith("|") and i + 1 < len(lines) and re.match(r"^\|?[-| :]+\|?$", lines[i + 1].strip()):
            head = _cells(line)
            i += 2
            body = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                body.append(_cells(lines[i]))
                i += 1
            t = [f'<div class="scroll"><table class="{table_class}"><thead><tr>']
            t += [f"<th>{inline(h, link_map)}</th>" for h in head]
            t.append("</tr></thead><tbody>")
            for r in body:      # the optional </td> and </tr> left out: tables of every cell are long
                t.append("<tr>" + "".join(f"<td>{inline(c, link_map)}" for c in r))
            t.append("</tbody></table></div>")
            out.append("".join(t))
            continue
        if re.match(r"^\s*- ", line):
            items = []
            while i < len(lines) and re.match(r"^\s*- ", lines[i]):
                depth = (len(lines[i]) - len(lines[i].lstrip())) // 2
                items.append((depth, lines[i].strip()[2:]))
                i += 1
            out.append("<ul>")
            prev = 0
            for depth, text in items:
                while depth > prev:
                    out.append("<ul>")
                    prev += 1
                while depth < prev:
                    out.append("</ul>")
                    prev -= 1
                out.append(f"<li>{inline(text, link_map)}</li>")
            out += ["</ul>"] * (prev + 1)
            continue
        para = []
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("#") \
                and not lines[i].lstrip().startswith("|") and not re.match(r"^\s*- ", lines[i]) \
                and not lines[i].startswith("<details") and not lines[i].startswith("</details"):
            para.append(lines[i])
            i += 1
        out.append("<p>" + inline(" ".join(para), link_map) + "</p>")
    return "\n".join(out)
