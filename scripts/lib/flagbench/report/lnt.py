"""tables/lnt.json: the run in LNT's JSON submission format (format_version 2),
for `lnt submit <server>/db_default/v4/nts/submitRun tables/lnt.json`.

One submission holds one machine and one run; a flagbench run has many
configurations, so each configuration becomes part of the test name:
`flagbench/<config>/<family>/<name>/<variant>`.  Metrics follow the default
`nts` test suite: execution_time (a list: every sample, in seconds per
repetition), code_size (bytes of the hot function), hash (its code_hash) and
compile_time (the configuration's build, seconds).  Cells that were not timed
(a build failure, a wrong result, a crash, unsupported, same code as another
configuration) have no execution_time; wrong results, crashes and timeouts get
execution_status 1 (LNT's FAIL; its status metrics are integers: 0 PASS,
1 FAIL, 2 XFAIL).  The run's order field
(llvm_project_revision in nts) is the run's start time as YYYYMMDDHHMMSS so
runs sort by time; the source commit is in the run info."""
from __future__ import annotations

import re

from . import fmt
from .analysis import Analysis

LNT_FAIL = 1        # lnt.testing.FAIL


def _time(iso: str | None) -> str | None:
    if not iso:
        return None
    return iso[:19]        # %Y-%m-%dT%H:%M:%S, as LNT wants it (no zone)


def _order(iso: str | None) -> str:
    digits = re.sub(r"\D", "", (iso or "")[:19])
    return digits or "0"


def _machine_name(a: Analysis) -> str:
    name = a.machine.get("hostname") or "machine"
    cpu = (a.machine.get("cpu") or {}).get("model") or ""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"flagbench-{name}-{cpu}").strip("-")


def document(a: Analysis) -> dict:
    m = a.run.manifest
    cpu = a.machine.get("cpu") or {}
    machine = {"name": _machine_name(a), "machine_id": a.machine_id,
               "cpu_model": str(cpu.get("model", "")), "logical_cpus": str(cpu.get("logical_cpus", "")),
               "mhz_reported": str(cpu.get("mhz_reported", "")), "os": str(a.machine.get("os", "")),
               "kernel": str(a.machine.get("kernel", ""))}
    for tool, version in (a.machine.get("tools") or {}).items():
        machine[f"tool_{tool}"] = str(version)
    git = a.machine.get("git") or {}
    run = {"start_time": _time(m.get("started")), "end_time": _time(m.get("finished") or m.get("started")),
           "llvm_project_revision": _order(m.get("started")), "flagbench_run_id": a.run_id,
           "flagbench_commit": str(git.get("commit", "")), "flagbench_dirty": str(git.get("dirty", "")),
           "flagbench_matrix": str(a.run.plan.get("matrix", "")), "flagbench_baseline": a.baseline,
           "flagbench_command": str(m.get("command", "")), "flagbench_size": str(a.run.plan.get("size", ""))}
    run = {k: v for k, v in run.items() if v is not None}
    tests = []
    for cell in a.ordered_cells():
        if cell.variant == "*":
            continue
        t = {"name": f"flagbench/{cell.config}/{cell.kernel}/{cell.variant}"}
        if cell.samples:
            t["execution_time"] = [x / 1e9 for x in cell.samples]
        elif cell.status in ("wrong", "crashed", "timeout"):
            t["execution_status"] = LNT_FAIL
        if cell.asm and cell.asm.get("bytes") is not None:
            t["code_size"] = cell.asm["bytes"]
        if cell.code_hash:
            t["hash"] = cell.code_hash
        build = a.run.builds.get(cell.config) or {}
        if build.get("build_seconds") is not None and cell.status != "build failed":
            t["compile_time"] = build["build_seconds"]
        if len(t) > 1:
            tests.append(t)
    return {"format_version": "2", "machine": machine, "run": run, "tests": tests}


def json_text(a: Analysis) -> str:
    return fmt.json_text(document(a))
