"""The run's manifest (docs/results-format.md): who ran what, where and when,
its status, and how long its phases took."""
from __future__ import annotations

import argparse
import time

from . import machine
from .atomic import read_json, write_json
from .paths import ROOT
from .run.layout import RunDir
from .run.plan import Plan

# Options a resumed run takes from the run it continues, not from the new command line.
RESUMED_OPTIONS = ("size", "no_time", "no_asm", "no_mca", "mca_cpus", "min_samples", "max_samples",
                   "time_per_kernel", "process_time", "build_root", "seeds", "time_identical", "why")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def new(run: RunDir, plan: Plan, a: argparse.Namespace, command: str) -> dict:
    manifest = {"run_id": run.name, "command": command, "matrix": plan.matrix, "started": _now(),
                "machine": machine.fingerprint(ROOT),
                "machine_id": None, "options": {k: v for k, v in vars(a).items()}}
    manifest["machine_id"] = machine.machine_id(manifest["machine"])
    return manifest


def resumed(run: RunDir, a: argparse.Namespace, command: str) -> dict:
    """The manifest of the run being resumed, with this resumption recorded.
    A resumed run finishes the way it started: its steps and stopping rules
    are set back on `a`."""
    manifest = read_json(run.manifest) or {}
    manifest.setdefault("resumed", []).append({"at": _now(), "command": command})
    for key in RESUMED_OPTIONS:
        if key in manifest.get("options", {}):
            setattr(a, key, manifest["options"][key])
    return manifest


def save(run: RunDir, manifest: dict) -> None:
    write_json(run.manifest, manifest)


def record_clock(manifest: dict, clock: dict | None) -> bool:
    """Adds the measured core clock (phase_time.measure_clock); False when there is none."""
    if not (clock and clock.get("clock_ghz")):
        return False
    manifest["machine"]["cpu"]["measured_ghz"] = clock["clock_ghz"]
    manifest["machine"]["cpu"]["measured_ghz_method"] = clock["method"]
    return True


def record_finish(manifest: dict, build_s: float, total_s: float) -> None:
    manifest["finished"] = _now()
    manifest.setdefault("durations", []).append({"build_check_asm_s": round(build_s, 1),
                                                 "total_s": round(total_s, 1),
                                                 "load_average_at_end": machine.load_average()})
