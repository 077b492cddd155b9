"""Reads matrix/axes.conf: what each axis value means as flags per compiler family.

The file format is described at the top of matrix/axes.conf.  Every error names
the file and line, so a typo is found before anything is built.
"""
from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

FAMILIES = ("gcc", "clang")
ARCHES = ("x86_64", "aarch64")
FLAG_KINDS = ("both", "compile", "link", "generate", "use")
WILDCARD = "*"


class ConfigError(Exception):
    """A mistake in a matrix or axes file, or an impossible combination."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        self.path, self.line = path, line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(where + message)


@dataclasses.dataclass
class Value:
    name: str
    token: str                  # its part of a configuration id ("" = omitted)
    line: int
    flags: dict = dataclasses.field(default_factory=dict)  # (family, kind) -> [flag]
    arch: str | None = None
    toolchain: str | None = None
    family: str | None = None
    doc: str = ""

    def spelled_for(self, family: str) -> str | None:
        """The family whose lines apply: the family itself, else "all", else None."""
        if any(f == family for f, _ in self.flags):
            return family
        if any(f == "all" for f, _ in self.flags):
            return "all"
        return None


@dataclasses.dataclass
class Axis:
    name: str
    target: bool
    line: int
    values: dict = dataclasses.field(default_factory=dict)  # name -> Value
    wildcard: Value | None = None

    def lookup(self, name: str) -> Value | None:
        if name in self.values:
            return self.values[name]
        if self.wildcard is not None and name and name != WILDCARD:
            w = self.wildcard
            return dataclasses.replace(w, name=name, token=name if w.token == WILDCARD else w.token)
        return None


@dataclasses.dataclass
class Axes:
    path: Path
    axes: dict  # name -> Axis, in file order

    def axis(self, name: str) -> Axis:
        return self.axes[name]


def parse_axes(path: str | Path) -> Axes:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"cannot read axes file: {e.strerror}", path) from None
    axes: dict[str, Axis] = {}
    axis: Axis | None = None
    value: Value | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].rstrip() if not raw.lstrip().startswith("doc:") else raw.rstrip()
        if not line.strip():
            continue
        words = line.split()
        head = words[0]
        if head == "axis":
            if len(words) not in (2, 3) or (len(words) == 3 and words[2] != "target"):
                raise ConfigError("expected 'axis NAME [target]'", path, lineno)
            if words[1] in axes:
                raise ConfigError(f"axis '{words[1]}' defined twice", path, lineno)
            axis = Axis(words[1], len(words) == 3, lineno)
            axes[axis.name] = axis
            value = None
        elif head == "value":
            if axis is None:
                raise ConfigError("'value' before any 'axis'", path, lineno)
            if len(words) not in (2, 3) or (len(words) == 3 and not words[2].startswith("id=")):
                raise ConfigError("expected 'value NAME [id=TOKEN]'", path, lineno)
            name = words[1]
            token = words[2][3:] if len(words) == 3 else name
            if name in axis.values or (name == WILDCARD and axis.wildcard):
                raise ConfigError(f"value '{name}' of axis '{axis.name}' defined twice", path, lineno)
            value = Value(name, token, lineno)
            if name == WILDCARD:
                axis.wildcard = value
            else:
                axis.values[name] = value
        else:
            if value is None:
                raise ConfigError(f"'{line.strip()}' is outside any 'value'", path, lineno)
            key, sep, rest = line.strip().partition(":")
            if not sep:
                raise ConfigError(f"expected 'KEY: ...', got '{line.strip()}'", path, lineno)
            rest = rest.strip()
            _set_attribute(value, key.strip(), rest, path, lineno)
    for a in axes.values():
        if not a.values and not a.wildcard:
            raise ConfigError(f"axis '{a.name}' has no values", path, a.line)
    return Axes(path, axes)


def _set_attribute(value: Value, key: str, rest: str, path: Path, lineno: int) -> None:
    if key == "doc":
        value.doc = rest
    elif key == "arch":
        value.arch = _one_of(key, rest, ARCHES, path, lineno)
    elif key == "toolchain":
        value.toolchain = rest
    elif key == "family":
        value.family = _one_of(key, rest, FAMILIES, path, lineno)
    else:
        family, _, kind = key.partition(".")
        kind = kind or "both"
        if family not in FAMILIES + ("all",):
            raise ConfigError(
                f"unknown key '{key}': expected doc, arch, toolchain, family, or FAMILY[.KIND] "
                f"with FAMILY one of {', '.join(FAMILIES)}, all", path, lineno)
        if kind not in FLAG_KINDS:
            raise ConfigError(f"unknown flag kind '{kind}': use one of {', '.join(FLAG_KINDS)}",
                              path, lineno)
        try:
            flags = shlex.split(rest)
        except ValueError as e:
            raise ConfigError(f"cannot split flags: {e}", path, lineno) from None
        value.flags.setdefault((family, kind), []).extend(flags)


def _one_of(key: str, word: str, allowed: tuple, path: Path, lineno: int) -> str:
    """word, when it is one of the values key allows; else the error that lists them."""
    if word not in allowed:
        raise ConfigError(f"{key} must be one of {', '.join(allowed)}, not '{word}'", path, lineno)
    return word


@dataclasses.dataclass
class AxisFlags:
    axis: str
    value: str
    role: str      # "target" (ISA choice), "pgo" or "compile" (everything else)
    compile: list  # flags for compiling (target flags also go to the link)
    link: list     # flags for linking


def resolve_axis(axes: Axes, axis_name: str, value_name: str, family: str, arch: str,
                 pgo_phase: str = "use", profile_dir: str = "", build_dir: str = "",
                 source_dir: str | None = None) -> AxisFlags:
    """The flags one axis value contributes for one compiler family.

    pgo_phase says which half of a PGO value applies: "generate" for the
    instrumented build, "use" for the optimized one.  {source_dir} is the
    repository (the folder above matrix/) unless given.
    """
    if axis_name not in axes.axes:
        raise ConfigError(f"unknown axis '{axis_name}'; known: {', '.join(axes.axes)}", axes.path)
    axis = axes.axis(axis_name)
    value = check_value(axes, axis_name, value_name)
    if value.arch and value.arch != arch:
        raise ConfigError(f"{axis_name}={value_name} is for {value.arch} builds, not {arch}",
                          axes.path, value.line)
    spelled = value.spelled_for(family)
    if spelled is None:
        raise ConfigError(f"{axis_name}={value_name} has no spelling for {family}", axes.path,
                          value.line)
    if source_dir is None:
        source_dir = str(Path(axes.path).resolve().parent.parent)
    subst = {"value": value.name, "profile_dir": profile_dir, "build_dir": build_dir,
             "source_dir": source_dir}

    def flags(kind: str) -> list:
        return [f.format(**subst) for f in value.flags.get((spelled, kind), [])]

    if any(k in ("generate", "use") for _, k in value.flags):
        phase = flags(pgo_phase)
        return AxisFlags(axis_name, value_name, "pgo", phase, phase)
    both = flags("both")
    if axis.target:
        return AxisFlags(axis_name, value_name, "target", both + flags("compile"),
                         both + flags("link"))
    return AxisFlags(axis_name, value_name, "compile", both + flags("compile"), both + flags("link"))


def resolve_flags(axes: Axes, choice: dict, family: str, arch: str, pgo_phase: str = "use",
                  profile_dir: str = "", build_dir: str = "", source_dir: str | None = None) -> list:
    """Turns {axis: value} into one AxisFlags per axis (the compiler axis has no flags)."""
    return [resolve_axis(axes, a, v, family, arch, pgo_phase, profile_dir, build_dir, source_dir)
            for a, v in choice.items() if a != "compiler"]


def check_value(axes: Axes, axis_name: str, value_name: str) -> Value:
    axis = axes.axis(axis_name)
    value = axis.lookup(value_name)
    if value is None:
        known = ", ".join(axis.values)
        raise ConfigError(f"unknown value '{value_name}' for axis '{axis_name}'; known: {known}",
                          axes.path, axis.line)
    return value
