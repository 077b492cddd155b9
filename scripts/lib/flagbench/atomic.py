"""Atomic file writes: a reader (or an interrupted sweep) never sees half a file.

The files get the mode an ordinary open() would give them (0666 less the umask,
so 0644 under the usual 022): mkstemp's private 0600 would keep colleagues out
of a shared run directory."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def _umask() -> int:
    # Linux shows the umask in /proc; elsewhere it can only be read by setting
    # it, which races with threads creating files, so that is the fallback.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_text(path: str | Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json(path: str | Path, data) -> None:
    write_text(path, json.dumps(data, indent=1, sort_keys=False) + "\n")


def write_text_if_changed(path: str | Path, text: str) -> None:
    """Leaves an identical file alone (a resumed run touches nothing it has)."""
    try:
        if Path(path).read_text() == text:
            return
    except OSError:
        pass
    write_text(path, text)


def write_json_if_changed(path: str | Path, data) -> None:
    write_text_if_changed(path, json.dumps(data, indent=1, sort_keys=False) + "\n")


def read_json_or_none(path: str | Path):
    """A JSON file's content, or None when it is missing, unreadable or not JSON
    (a step that did not run, or was cut off before writing)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def read_json(path: str | Path, default=None):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default
