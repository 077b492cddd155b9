"""Every link of a published run resolves inside its folder: each href and src
of its HTML pages and each link of its Markdown files names a file that was
published, and each #fragment an id on the page it names.  Checked on the
fixture run published three ways (the default, verdicts only; --asm changed;
--full-asm, whose pages link identical code across sections), with the
standard library's HTML parser."""
import re
import subprocess
import unittest
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from common import ROOT, fixture_copy, script_env


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append((tag, name, attrs[name]))


def parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text())
    p.close()
    return p


def broken_links(folder: Path) -> list:
    """'page: link (why)' for every link of the published folder that does not resolve."""
    folder = folder.resolve()
    pages = {p: parse(p) for p in folder.rglob("*.html")}
    bad = []

    def check(page: Path, link: str):
        if link.startswith("data:"):
            return
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:
            bad.append(f"{page.relative_to(folder)}: {link} (reaches the network)")
            return
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if not target.is_file() or folder not in target.parents:
            bad.append(f"{page.relative_to(folder)}: {link} (no such file in the folder)")
            return
        if parts.fragment and target.suffix == ".html" and parts.fragment not in pages[target].ids:
            bad.append(f"{page.relative_to(folder)}: {link} (no id {parts.fragment!r} there)")
    for page, parsed in pages.items():
        for _, _, link in parsed.links:
            check(page, link)
    for md in folder.rglob("*.md"):
        for link in re.findall(r"\]\(([^)\s]+)\)", md.read_text()):
            check(md, link)
    return bad


def publish(run, name, results, *args):
    # --no-why: the fixture run has no binaries to profile (tests/why covers that step).
    return subprocess.run([str(ROOT / "scripts/publish.sh"), "--no-why", str(run), name, "--results", str(results),
                           *args], capture_output=True, text=True, env=script_env(), timeout=180)


class PublishedLinks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp, cls.run_dir = fixture_copy("run-a")
        cls.results = Path(cls.tmp.name) / "results"
        cls.runs = {"verdicts": publish(cls.run_dir, "verdicts", cls.results),
                    "changed": publish(cls.run_dir, "changed", cls.results, "--no-regenerate", "--asm", "changed"),
                    "full": publish(cls.run_dir, "full", cls.results, "--no-regenerate", "--full-asm")}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_every_link_resolves(self):
        for name, r in self.runs.items():
            with self.subTest(name):
                self.assertEqual(r.returncode, 0, r.stderr)
                folder = self.results / name
                self.assertGreater(len(list(folder.rglob("*.html"))), 3)
                self.assertEqual(broken_links(folder), [])

    def test_the_checker_sees_a_broken_link(self):
        folder = self.results / "verdicts"
        page = folder / "broken.html"
        page.write_text('<p><a href="asm/nowhere.html">x</a> <a href="report.html#no-such-id">y</a>'
                        '<img src="https://example.org/x.svg"></p>')
        try:
            bad = broken_links(folder)
        finally:
            page.unlink()
        self.assertEqual(len(bad), 3, bad)

    def test_asm_links_of_the_report_reach_kept_sections_only(self):
        for name in self.runs:
            folder = self.results / name
            report = parse(folder / "report.html")
            asm = [link for _, _, link in report.links if link.startswith("asm/")]
            self.assertTrue(asm, name)
            # every link to an assembly page reaches a whole section, not a placeholder
            for link in asm:
                page, _, frag = link.partition("#")
                self.assertIn(frag, parse(folder / page).ids, link)
            self.assertNotIn("Not published", (folder / "report.html").read_text())


if __name__ == "__main__":
    unittest.main()
