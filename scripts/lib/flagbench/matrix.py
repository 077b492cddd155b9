"""Reads a named matrix (matrix/<name>.matrix) into configurations.

Format (one directive a line, '#' starts a comment):

    description: free text
    baseline AXIS=VALUE ...         the reference configuration; axes not named
                                    take their first value in axes.conf
    vary AXIS=V1[,V2...] ...        one configuration per value, everything else
                                    as the baseline (one factor at a time)
    config AXIS=VALUE ...           one configuration: the baseline with these changes
    cross AXIS=V1,V2 AXIS=V3,V4 ... the cross product of the listed values
    exclude AXIS=VALUE ...          drop every configuration matching all pairs
    aa [all]                        a duplicate of the baseline, timed separately,
                                    for the A/A check (id: <baseline>.aa): the first
                                    passing variant of each kernel, or with "all"
                                    every variant
    time-identical                  time every cell, also where the code is identical
                                    to another configuration's (placement experiments)

Every mistake is reported with file and line before anything is built.
"""
from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

from .axes import Axes, ConfigError, check_value

DIRECTIVES = ("description:", "baseline", "vary", "config", "cross", "exclude", "aa", "time-identical")


@dataclasses.dataclass
class Configuration:
    id: str
    axes: dict            # every axis -> value name, in axes.conf order
    family: str           # gcc | clang
    arch: str             # x86_64 | aarch64
    toolchain: str        # CMake toolchain file, relative to the repository
    line: int             # matrix line that produced it
    aa_of: str | None = None  # for the A/A duplicate: the id it duplicates
    aa_all: bool = False      # the A/A duplicate times every variant, not one per kernel

    @property
    def build_key(self) -> str:
        """Configurations with the same key share one build (the A/A duplicate)."""
        return self.aa_of or self.id


@dataclasses.dataclass
class Matrix:
    name: str
    path: Path
    description: str
    baseline: Configuration
    configs: list  # Configuration, baseline first, no duplicates
    time_identical: bool = False  # no identical-code shortcut


def default_axes(axes: Axes) -> dict:
    return {name: next(iter(a.values)) for name, a in axes.axes.items()}


def config_id(axes: Axes, choice: dict) -> str:
    tokens = []
    for name, value in choice.items():
        v = axes.axis(name).lookup(value)
        if v is not None and v.token:
            tokens.append(v.token)
    return ".".join(tokens)


def make_config(axes: Axes, choice: dict, path, line: int) -> Configuration:
    """Validates a full choice of axis values and turns it into a Configuration."""
    compiler = check_value(axes, "compiler", choice["compiler"])
    family, arch = compiler.family, compiler.arch or "x86_64"
    if not family or not compiler.toolchain:
        raise ConfigError(f"compiler '{compiler.name}' in {axes.path} needs family: and toolchain:",
                          path, line)
    for name, value in choice.items():
        if name == "compiler":
            continue
        v = axes.axis(name).lookup(value)
        if v is None:
            known = ", ".join(axes.axis(name).values)
            raise ConfigError(f"unknown value '{value}' for axis '{name}'; known: {known}", path, line)
        if v.arch and v.arch != arch:
            raise ConfigError(f"{name}={value} is for {v.arch} builds, but compiler "
                              f"{compiler.name} builds for {arch}", path, line)
        if v.spelled_for(family) is None:
            raise ConfigError(f"{name}={value} has no spelling for {family} "
                              f"(compiler {compiler.name}); see {axes.path}:{v.line}", path, line)
    return Configuration(config_id(axes, choice), dict(choice), family, arch, compiler.toolchain, line)


def _adapt_to_arch(axes: Axes, choice: dict, explicit: set) -> None:
    """A baseline value meant for another architecture (march=x86-64 when the
    line chose the aarch64 compiler) becomes the axis's first value for this
    one.  Values written on the line itself are never changed."""
    arch = check_value(axes, "compiler", choice["compiler"]).arch or "x86_64"
    for name, value in choice.items():
        v = axes.axis(name).lookup(value)
        if name in explicit or v is None or not v.arch or v.arch == arch:
            continue
        values = list(axes.axis(name).values.values())
        # Prefer a value made for this architecture over a portable one (native).
        for candidate in [c for c in values if c.arch == arch] + [c for c in values if not c.arch]:
            choice[name] = candidate.name
            break


def _parse_pairs(axes: Axes, words: list, path, line: int, multi: bool) -> dict:
    pairs = {}
    if not words:
        raise ConfigError("expected AXIS=VALUE pairs", path, line)
    for w in words:
        axis, sep, values = w.partition("=")
        if not sep or not axis or not values:
            raise ConfigError(f"expected AXIS=VALUE, got '{w}'", path, line)
        if axis not in axes.axes:
            raise ConfigError(f"unknown axis '{axis}'; known: {', '.join(axes.axes)}", path, line)
        if axis in pairs:
            raise ConfigError(f"axis '{axis}' given twice on one line", path, line)
        vals = values.split(",")
        if not multi and len(vals) > 1:
            raise ConfigError(f"'{w}': this directive takes one value per axis", path, line)
        for v in vals:
            if axes.axis(axis).lookup(v) is None:
                known = ", ".join(axes.axis(axis).values)
                raise ConfigError(f"unknown value '{v}' for axis '{axis}'; known: {known}", path, line)
        pairs[axis] = vals
    return pairs


def parse_matrix(path: str | Path, axes: Axes) -> Matrix:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"cannot read matrix: {e.strerror}", path) from None
    description = ""
    base_choice, base_line = None, 0
    pending = []  # (line, [choice dicts]) built once the baseline is known
    excludes = []
    want_aa = None
    aa_all = False
    time_identical = False
    for lineno, raw in enumerate(text.splitlines(), 1):
        if raw.lstrip().startswith("description:"):
            description = raw.split(":", 1)[1].strip()
            continue
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        head, rest = words[0], words[1:]
        if head == "baseline":
            if base_choice is not None:
                raise ConfigError(f"a second baseline (the first is on line {base_line})", path, lineno)
            pairs = _parse_pairs(axes, rest, path, lineno, multi=False)
            base_choice = default_axes(axes)
            base_choice.update({a: v[0] for a, v in pairs.items()})
            base_line = lineno
        elif head in ("vary", "config", "cross"):
            pairs = _parse_pairs(axes, rest, path, lineno, multi=head != "config")
            if head == "vary":
                changes = [{a: v} for a, vals in pairs.items() for v in vals]
            elif head == "config":
                changes = [{a: v[0] for a, v in pairs.items()}]
            else:
                names = list(pairs)
                changes = [dict(zip(names, combo)) for combo in itertools.product(*pairs.values())]
            pending.append((lineno, changes))
        elif head == "exclude":
            pairs = _parse_pairs(axes, rest, path, lineno, multi=False)
            excludes.append({a: v[0] for a, v in pairs.items()})
        elif head == "aa":
            if rest not in ([], ["all"]):
                raise ConfigError("'aa' takes no argument or 'all'", path, lineno)
            want_aa = lineno
            aa_all = rest == ["all"]
        elif head == "time-identical":
            if rest:
                raise ConfigError("'time-identical' takes no argument", path, lineno)
            time_identical = True
        else:
            raise ConfigError(f"unknown directive '{head}'; expected one of {', '.join(DIRECTIVES)}",
                              path, lineno)
    if base_choice is None:
        raise ConfigError("no 'baseline' line", path)

    baseline = make_config(axes, base_choice, path, base_line)
    configs, seen = [baseline], {baseline.id}
    for lineno, changes in pending:
        for change in changes:
            choice = dict(base_choice)
            choice.update(change)
            _adapt_to_arch(axes, choice, set(change))
            if any(all(choice.get(a) == v for a, v in ex.items()) for ex in excludes):
                continue
            c = make_config(axes, choice, path, lineno)
            if c.id not in seen:
                seen.add(c.id)
                configs.append(c)
    if want_aa is not None:
        aa = dataclasses.replace(baseline, id=baseline.id + ".aa", line=want_aa, aa_of=baseline.id,
                                 aa_all=aa_all)
        configs.append(aa)
    return Matrix(path.stem, path, description, baseline, configs, time_identical)


def find_matrix(name_or_path: str, matrix_dir: Path) -> Path:
    """A matrix name (quick) or a file path."""
    p = Path(name_or_path)
    if p.suffix == ".matrix" or "/" in name_or_path:
        if not p.exists():
            raise ConfigError(f"no such matrix file: {name_or_path}")
        return p
    candidate = matrix_dir / f"{name_or_path}.matrix"
    if not candidate.exists():
        known = ", ".join(sorted(f.stem for f in matrix_dir.glob("*.matrix")))
        raise ConfigError(f"no matrix named '{name_or_path}'; known: {known}")
    return candidate
