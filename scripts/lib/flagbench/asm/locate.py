"""Resolves what asm.sh and asmdiff.sh are pointed at into kernels, variants and assembly.

A side is one of:
  - a configuration id, looked up in results/raw/latest/configs/<id>/ (or --run DIR);
  - a configuration directory (configs/<id>/ of a run: its build record, kernels/*/asm/);
  - a whole run directory (has configs/): asmdiff compares every common configuration;
  - a CMake build directory (has bin/kernels.txt): assembly is captured on the fly.
Every failure is a LocateError with a message meant for the user.
"""
import json
import os
import subprocess
from pathlib import Path

from . import analyze, disasm, elf as elfmod, summary

from .. import builddir
from ..atomic import read_json_or_none
from ..paths import ROOT
from ..run import layout
from ..run.layout import ConfigDir, RunDir


class LocateError(Exception):
    pass


class Entry:
    """One function's assembly on one side."""

    def __init__(self, label, text=None, summary_doc=None, why=""):
        self.label, self.text, self.summary, self.why = label, text, summary_doc or {}, why

    @property
    def found(self):
        return self.text is not None


def recorded_build_dir(cdir: ConfigDir) -> Path | None:
    """The built CMake build directory a configuration's files name, if it still exists."""
    build = read_json_or_none(cdir.build_record) or {}
    if isinstance(build.get("bin_dir"), str) and builddir.is_built(Path(build["bin_dir"]).parent):
        return Path(build["bin_dir"]).parent     # what the sweep records
    cfg = read_json_or_none(cdir.config) or {}
    for doc in (build, cfg):
        for key in ("build_dir", "build", "dir", "binary_dir"):
            d = doc.get(key)
            if isinstance(d, str) and builddir.is_built(d):
                return Path(d)
    return None


class ConfigSource:
    """configs/<id>/ of a run: stored normalized assembly (AT&T)."""

    kind = "config"

    def __init__(self, path, syntax="att", objdump=None):
        self.dir = ConfigDir(path)
        self.path = self.dir.path
        self.id = self.dir.id
        self.syntax, self.objdump = syntax, objdump
        build = read_json_or_none(self.dir.build_record) or {}
        if build.get("status") == "failed":
            msg = build.get("message") or build.get("error") or f"see {self.dir.build_log.name}"
            raise LocateError(f"configuration {self.id}: the build failed ({str(msg).strip()[:300]})")
        self.build = build
        self.failed = build.get("kernels_failed") or {}
        self._kernels = None
        self._binary_source = None
        if syntax == "intel":
            self._binary_source = self._build_dir_source()

    def _build_dir_source(self):
        found = recorded_build_dir(self.dir)
        if found is not None:
            return BuildSource(found, syntax="intel", objdump=self.objdump)
        raise LocateError(f"configuration {self.id}: stored assembly is AT&T; --intel needs the "
                          f"configuration's build directory, which {layout.BUILD_RECORD} does not name or "
                          "which no longer exists")

    def _check_kernel(self, kernel):
        if kernel in self.failed:
            raise LocateError(f"configuration {self.id}: {kernel} failed to build "
                              f"({str(self.failed[kernel]).strip()[:300]})")
        d = self._kernels.get(kernel)
        err = read_json_or_none(d.asm.error) if d else None
        if err and not d.asm.texts():
            raise LocateError(f"configuration {self.id}: assembly capture failed for {kernel} "
                              f"({err.get('error', 'see asm/error.json')})")
        unsupported = read_json_or_none(d.unsupported) if d else None
        if d and not d.asm.path.is_dir():
            why = f" ({unsupported.get('why')})" if unsupported else ""
            raise LocateError(f"configuration {self.id}: no assembly stored for {kernel}{why}")

    def kernels(self):
        if self._binary_source:
            return self._binary_source.kernels()
        if self._kernels is None:
            self._kernels = {}
            for d in self.dir.kernel_dirs():
                name = None
                desc = read_json_or_none(d.describe)
                if desc and desc.get("kernel"):
                    name = desc["kernel"]
                else:
                    for j in d.asm.summaries():
                        doc = read_json_or_none(j)
                        if doc and doc.get("kernel"):
                            name = doc["kernel"]
                            break
                name = name or d.name.replace("_", "/", 1)
                self._kernels[name] = d
            for k in self.failed:
                self._kernels.setdefault(k, None)
        return sorted(self._kernels)

    def variants(self, kernel):
        if self._binary_source:
            return self._binary_source.variants(kernel)
        self.kernels()
        self._check_kernel(kernel)
        d = self._kernels.get(kernel)
        if d is None:
            return []
        names = {p.stem for p in d.asm.summaries()} | {p.stem for p in d.asm.texts()}
        desc = read_json_or_none(d.describe)
        order = [v["name"] for v in (desc or {}).get("variants", []) if isinstance(v, dict)]
        return [v for v in order if v in names] + sorted(names - set(order))

    def entry(self, kernel, variant):
        if self._binary_source:
            return self._binary_source.entry(kernel, variant)
        self.kernels()
        self._check_kernel(kernel)
        d = self._kernels[kernel].asm
        doc = read_json_or_none(d.summary(variant)) or {}
        label = f"{self.id}:{kernel}/{variant}"
        if doc.get("found") is False:
            return Entry(label, why=doc.get("why", "not found"))
        try:
            text = d.text(variant).read_text()
        except OSError:
            return Entry(label, why=f"no stored assembly ({d.text(variant)})")
        return Entry(label, text, doc)


class BuildSource:
    """A CMake build directory: capture from bin/<family>_<name> on the fly."""

    kind = "build"

    def __init__(self, path, syntax="att", objdump=None):
        self.path = Path(path)
        self.id = self.path.name
        self.syntax, self.objdump = syntax, objdump
        self._bins = builddir.binaries(self.path)
        self.emulator = builddir.emulator(self.path)
        self._binaries = {}
        self._variants = {}

    def kernels(self):
        return sorted(self._bins)

    def _binary(self, kernel):
        if kernel not in self._binaries:
            path = self._bins[kernel]
            if not os.path.exists(path):
                raise LocateError(f"build {self.path}: {path} does not exist (build not finished, "
                                  "or it failed: run cmake --build)")
            try:
                self._binaries[kernel] = disasm.Binary(path, objdump=self.objdump, syntax=self.syntax)
            except (elfmod.ElfError, disasm.DisasmError) as e:
                raise LocateError(str(e)) from None
        return self._binaries[kernel]

    def variants(self, kernel):
        if kernel not in self._variants:
            names = []
            path = self._bins[kernel]
            try:
                cmd = list(self.emulator) + [path, "--describe"]
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
                desc = json.loads(p.stdout) if p.returncode == 0 else {}
                names = [v["name"] for v in desc.get("variants", [])]
            except (OSError, ValueError, subprocess.TimeoutExpired):
                names = []
            if not names:  # not runnable here: the symbols say which variants exist
                prefix = kernel.split("/")[-1] + "_"
                names = sorted({b[len(prefix):] for b in self._binary(kernel).by_base
                                if b.startswith(prefix)})
            self._variants[kernel] = names
        return self._variants[kernel]

    def entry(self, kernel, variant):
        binary = self._binary(kernel)
        label = f"{self.id}:{kernel}/{variant}"
        got, why = analyze.capture(binary, f"{kernel.split('/')[-1]}_{variant}")
        if got is None:
            return Entry(label, why=why)
        fn, lps, summ = got
        summ = dict(summ)
        summ["code_hash"] = analyze.code_hash(binary, fn)[0]
        summ["loop_details"] = analyze.loop_details(fn, lps)
        return Entry(label, fn.text, summ)


class RunSource:
    kind = "run"

    def __init__(self, path, syntax="att", objdump=None):
        self.run = RunDir(path)
        self.path = self.run.path
        self.id = self.run.name
        self.syntax, self.objdump = syntax, objdump

    def configs(self):
        return self.run.config_ids()

    def config(self, cid):
        return ConfigSource(self.run.config(cid), self.syntax, self.objdump)


def default_run():
    return layout.latest_run(ROOT)


def open_side(spec, run=None, syntax="att", objdump=None):
    """A configuration id, a config dir, a run dir or a build dir -> a source object."""
    p = Path(spec)
    if p.is_dir():
        if builddir.is_built(p):
            return BuildSource(p, syntax, objdump)
        if RunDir(p).configs_dir.is_dir():
            return RunSource(p, syntax, objdump)
        if ConfigDir(p).looks_like_one():
            return ConfigSource(p, syntax, objdump)
        if builddir.is_configured(p):
            raise LocateError(f"{spec}: a build directory without bin/kernels.txt (not built yet?)")
        raise LocateError(f"{spec}: not a configuration, run or build directory")
    run_dir = RunDir(run if run else default_run())
    if "/" in spec:
        raise LocateError(f"{spec}: no such directory")
    cdir = run_dir.config(spec)
    if not cdir.path.is_dir():
        if not run_dir.configs_dir.is_dir():
            raise LocateError(f"{spec}: not a directory, and {run_dir.path} holds no run "
                              "(run scripts/sweep.sh, or pass --run DIR)")
        have = run_dir.config_ids()
        close = [c for c in have if spec in c or c in spec][:6] or have[:6]
        raise LocateError(f"no configuration '{spec}' in {run_dir.path}"
                          + (f" (have: {', '.join(close)}{', ...' if len(have) > 6 else ''})"
                             if have else ""))
    return ConfigSource(cdir, syntax, objdump)


def split_selector(source, selector):
    """'simd/reduce', 'simd/reduce/avx2' or 'simd_reduce/avx2' -> (kernel, variant or None)."""
    kernels = source.kernels()
    if selector is None:
        return None, None
    sel = selector.strip("/")
    parts = sel.split("/")
    if len(parts) >= 2 and "/".join(parts[:2]) in kernels:
        return "/".join(parts[:2]), ("/".join(parts[2:]) or None)
    by_dir = {layout.kernel_dir_name(k): k for k in kernels}
    if parts[0] in by_dir:
        return by_dir[parts[0]], ("/".join(parts[1:]) or None)
    by_name = [k for k in kernels if k.split("/")[-1] == parts[0]]
    if len(by_name) == 1:
        return by_name[0], ("/".join(parts[1:]) or None)
    if len(parts) >= 2 and parts[1:] and "/".join(parts[:2]) not in kernels:
        raise LocateError(f"{source.id}: no kernel {'/'.join(parts[:2])} "
                          f"(kernels: {', '.join(kernels) or 'none'})")
    raise LocateError(f"{source.id}: no kernel {sel} (kernels: {', '.join(kernels) or 'none'})")


def summary_row(name, a, b=None):
    """A table row: name, then each summary column ('a' or 'a→b' when they differ)."""
    row = [name]
    for c in summary.COLUMNS:
        va = a.get(c) if a else None
        if b is None:
            row.append(summary.cell(va))
            continue
        vb = b.get(c)
        row.append(summary.cell(va) if va == vb else f"{summary.cell(va)}→{summary.cell(vb)}")
    return row
