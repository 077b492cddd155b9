"""scripts/publish.sh RUN NAME: copies a run's tables and report (not its raw
files) into results/<NAME>/ with a README, ready to commit and link.

A publish is small (docs/reading-a-report.md, "Publishing"): every table,
plot and page, but the data files (CSV, JSON, the LNT export) gzipped, the
pages sharing one style sheet and script, and the assembly pages and per-cell
tables holding only the cells that have a verdict (--asm changed: or whose
code differs from the baseline's), with the baseline they are compared with,
and without flame graphs (light.py); the data files keep every cell.  The
other cells keep their anchors: a cell with the baseline's code links to it,
any other says how to reproduce it (--full-asm keeps every cell and the flame
graphs)."""
from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

from .. import results
from ..atomic import read_json, write_text
from ..why import runstep
from . import asmpage, codetables, detailspage, fmt, generate, hotcode, page, reportpage, summary
from .light import Light
from .analysis import Analysis
from .effects import Effects

from ..paths import ROOT
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
PAGES = ["summary.md", "effects.md", "code.md", "build.md", "report.html", "details.html"]
DATA = ["summary.csv", "summary.json", "effects.csv", "effects.json", "code.csv", "code.json",
        "build.csv", "build.json", "lnt.json"]       # published gzipped: NAME.gz
TABLE_FILES = PAGES + DATA
PROVENANCE = ["manifest.json", "plan.json"]
_LINK = re.compile(r'(href="|\]\()(' + "|".join(re.escape(n) for n in DATA) + r')(?=[#")])')


def relink(text: str) -> str:
    """A page's links to the data files, pointed at their gzipped copies."""
    return _LINK.sub(lambda m: m.group(1) + m.group(2) + ".gz", text)


def gzip_copy(src: Path, dest: Path) -> None:
    """dest: src gzipped, byte for byte the same for the same input (no name, no time)."""
    with open(src, "rb") as f, open(dest, "wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as z:
        shutil.copyfileobj(f, z)


def pages(a: Analysis, e: Effects, note, tables: Path, light: Light | None) -> dict:
    """File name -> text of the published pages: the run's own, or with light,
    the per-cell tables cut to the cells it keeps and the report's asm links
    to those (the others go, or point to the baseline's section)."""
    if light is None:
        return {f: (tables / f).read_text() for f in PAGES}
    plots = {p.stem for p in (tables / "plots").glob("*.svg")}
    docs = generate.markdown_docs(a, e, plots, hotcode.rows(a), codetables.build_rows(a), keep=light)
    out = {f"{name}.md": text for name, text in docs.items()}
    out["report.html"] = reportpage.report(a, docs, plots, note, e, light)
    out["details.html"] = detailspage.details(a, docs)
    return {f: out[f] for f in PAGES}


class PublishError(Exception):
    pass


def readme(a: Analysis, name: str, files: list, light: Light | None = None) -> str:
    m = a.run.manifest
    plan = a.run.plan
    git = a.machine.get("git") or {}
    out = [f"# {name}", "",
           f"A flagbench run published with `scripts/publish.sh`: matrix `{plan.get('matrix')}` "
           f"({plan.get('description', '')}), {len(a.configs)} configurations × "
           f"{len(plan.get('kernels', []))} kernels at size `{plan.get('size')}`.", "",
           *fmt.md_table(["run", f"`{a.run_id}` ({m.get('started', '?')} – {m.get('finished', '?')})"], [
               ["machine", f"{summary.machine_text(a)} — machine id `{a.machine_id}`"],
               ["command", f"`{m.get('command', '')}`"],
               ["source", f"{git.get('commit', '?')}{' (uncommitted changes)' if git.get('dirty') else ''}"],
               ["baseline", f"`{a.baseline}`"]]), ""]
    out += ["## Files", "",
            "- [summary.md](summary.md): speedup of every configuration against the baseline, with "
            "intervals, verdicts and status; best configuration per kernel",
            "- [effects.md](effects.md): the effect of each axis change, and interactions",
            "- [code.md](code.md): hot-function size, instructions, vector width, llvm-mca beside the measurement"
            + ("" if light is None else " (summary.md's Every cell and code.md list the cells the assembly "
               "pages keep; the data files hold every cell)"),
            "- [build.md](build.md): build time and binary size per configuration",
            "- [report.html](report.html): which flags for which kind of code, how sure, all of it with "
            "plots and, per cell, its assembly, loop-by-loop comparison with the baseline and llvm-mca "
            "view (download the folder and open it locally; it needs no network); "
            "[details.html](details.html): the per-cell, code and build tables; `report.css`, "
            "`report.js`: the style and the sorting/filtering script the pages share",
            "- `plots/`: the plots the report shows, as SVG",
            "- `asm/`: assembly pages, one per kernel" + (
                "" if light is None else
                f" with a cell kept: {light.note()}"),
            "- `*.csv.gz`, `*.json.gz`: the same tables as data, gzipped (`zcat summary.json.gz`; "
            "schemas: `docs/reading-a-report.md`); `lnt.json.gz`: LNT submission; `manifest.json`, "
            "`plan.json`: the run's provenance", ""]
    out += summary.aa_paragraph(a)
    out += ["## Best configuration per kernel", ""]
    out += fmt.md_table(["kernel", "best configuration", "speedup (geomean over variants)",
                         "not significantly slower than the best"], summary.best_rows(a)) + [""]
    out += ["## Reproducing", "",
            "Each cell of `summary.json` carries the command that reruns it (`reproduce.run`: the "
            "binary as timed; `reproduce.sweep`: rebuild and re-time that configuration with the "
            "baseline). The whole run: the command above, on a machine like this one. Numbers from "
            "another machine are comparable only through `scripts/compare.sh`, which labels each "
            "side's machine.", "",
            "What is not published: the raw files (samples, logs, build directories)" + (
                "." if light is None else
                ", the assembly sections of the cells left out and the flame graphs (see `asm/` above)."), "",
            f"Published files: {len(files)}.", ""]
    return "\n".join(out)


def publish(run_dir: Path, name: str, results_dir: Path, force: bool = False, regenerate: bool = True,
            allow_incomplete: bool = False, full_asm: bool = False, why: bool = True,
            asm: str = "verdicts") -> Path:
    if not NAME_RE.match(name) or name in ("raw", "latest"):
        raise PublishError(f"'{name}' is not a usable name: letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit, and not 'raw' or 'latest'")
    run_dir = Path(run_dir).resolve()
    if not (run_dir / "plan.json").exists():
        raise PublishError(f"{run_dir} is not a sweep run (no plan.json)")
    manifest = read_json(run_dir / "manifest.json", {}) or {}
    if manifest.get("status") != "complete" and not allow_incomplete:
        raise PublishError(f"{run_dir} did not finish (status {manifest.get('status')!r}); finish it with "
                           "`scripts/sweep.sh --resume --out RUN`, or pass --allow-incomplete")
    dest = Path(results_dir) / name
    if dest.exists() and not force:
        raise PublishError(f"{dest} exists; pass --force to replace it")
    if why and not runstep.done(run_dir):
        # Profiles and counters for every verdict (docs/why.md): too slow for
        # every sweep (`sweep.sh --why`), so a published run gets them here, once.
        runstep.main([str(run_dir)])
    tables = run_dir / "tables"
    if regenerate:
        res = generate.generate(run_dir)
        a, e, note = res["analysis"], res["effects"], res["plot_note"]
    missing = [f for f in TABLE_FILES if not (tables / f).exists()]
    if missing:
        raise PublishError(f"{tables} lacks {', '.join(missing)}: run scripts/report.sh {run_dir}")
    if not regenerate:
        a = Analysis(results.load(run_dir))
        e, note = Effects(a), None
    light = None if full_asm else Light(a, changed=asm == "changed")
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=results_dir))
    try:
        files = []
        for f, text in pages(a, e, note, tables, light).items():
            (tmp / f).write_text(relink(text))
            files.append(f)
        for f in DATA:
            gzip_copy(tables / f, tmp / f"{f}.gz")
            files.append(f"{f}.gz")
        for asset, text in page.assets().items():
            (tmp / asset).write_text(text)
            files.append(asset)
        subs = [("plots", "*.svg")]
        if full_asm:
            subs.append(("asm", "*.html"))
        else:
            for p in asmpage.write_asm_pages(a, tmp, write_text, keep=light):
                files.append(str(p.relative_to(tmp)))
        for sub, pattern in subs:
            if (tables / sub).is_dir():
                (tmp / sub).mkdir()
                for p in sorted((tables / sub).glob(pattern)):
                    shutil.copyfile(p, tmp / sub / p.name)
                    files.append(f"{sub}/{p.name}")
        for f in PROVENANCE:
            if (run_dir / f).exists():
                shutil.copyfile(run_dir / f, tmp / f)
                files.append(f)
        (tmp / "README.md").write_text(readme(a, name, files + ["README.md"], light))
        os.chmod(tmp, 0o755)
        for p in tmp.rglob("*"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{name}.old.", dir=results_dir))
            os.rmdir(old)
            os.replace(dest, old)
            os.replace(tmp, dest)
            shutil.rmtree(old)
        else:
            os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/publish.sh",
        description="Copy a run's tables, plots and HTML report (not its raw files) into "
                    "results/NAME/ with a README, so they can be committed and linked. The tables are "
                    "regenerated first.")
    p.add_argument("run", metavar="RUN", help="the run directory (results/raw/<run-id> or results/raw/latest)")
    p.add_argument("name", metavar="NAME", help="folder name under results/ (e.g. 2026-11-quick-epyc)")
    p.add_argument("--results", metavar="DIR", default=str(ROOT / "results"),
                   help="where published runs live (default: results/)")
    p.add_argument("--force", action="store_true", help="replace an existing results/NAME")
    p.add_argument("--no-regenerate", action="store_true", help="copy the tables as they are")
    p.add_argument("--allow-incomplete", action="store_true", help="publish a run that did not finish")
    p.add_argument("--no-why", action="store_true",
                   help="skip the why step (profiles, remarks and counters of every verdict, docs/why.md) "
                        "that a run gets once, before its first publish")
    p.add_argument("--asm", choices=("verdicts", "changed"), default="verdicts",
                   help="which cells keep their assembly section and their rows in the per-cell tables "
                        "(summary.md's Every cell, code.md, details.html): 'verdicts' (default), the cells called "
                        "faster or slower; 'changed', those and every cell whose code differs from the "
                        "baseline's (several times larger); either with the baseline cells they are "
                        "compared with. The README says how to reproduce the others")
    p.add_argument("--full-asm", action="store_true",
                   help="keep every cell's assembly section and table rows, and the flame graphs of the why step")
    return p.parse_args(argv)


def main(argv=None) -> int:
    a = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        dest = publish(Path(a.run), a.name, Path(a.results), a.force, not a.no_regenerate, a.allow_incomplete,
                       a.full_asm, not a.no_why, a.asm)
    except PublishError as e:
        print(f"publish: {e}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    rel = os.path.relpath(dest)
    print(f"publish: {dest} ({size / 1e6:.1f} MB); commit it with: git add {dest if rel.startswith('..') else rel}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
