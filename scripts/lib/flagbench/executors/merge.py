"""scripts/merge.sh OUT RUN...: shard runs into one run directory.

Shards of one machine kind (the same CPU model and CPU count; the hostname may
differ, as on a cluster's identical nodes) become one run, laid out exactly
like a run of the whole matrix on one machine.  Runs of different machine
kinds stay apart, keyed by machine id: OUT/machines/<slug>/ holds one run per
kind and the manifest of OUT lists them (scripts/report.sh then writes the
cross-machine tables).

Refused, with the reason: runs of different git revisions, of different
matrices (or configuration lists, or sizes), a shard that did not finish, and
a cell present in two runs of one machine kind with different data.
"""
from __future__ import annotations

import argparse
import filecmp
import hashlib
import re
import shlex
import shutil
import sys
import time
from pathlib import Path

from ..atomic import read_json, write_json, write_text
from ..report.machines import MULTI_SCHEMA
from ..run.layout import NotARunError, RunDir


class MergeError(Exception):
    pass


class Shard:
    """One input run.  Its plan and records stay the JSON it wrote: the merge
    copies them as they are, whatever version of the sweep wrote them."""

    def __init__(self, path: Path):
        self.path = path
        self.run = RunDir(path)
        try:
            self.run.require_run()
        except NotARunError as e:
            raise MergeError(str(e)) from None
        self.plan = read_json(self.run.plan)
        self.manifest = read_json(self.run.manifest)
        if self.manifest is None:
            raise MergeError(f"{path} has no {self.run.manifest.name}: the shard never started properly")
        self.machine = self.manifest.get("machine") or {}

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def status(self) -> str:
        return self.manifest.get("status") or "unknown"

    @property
    def commit(self) -> str | None:
        return (self.machine.get("git") or {}).get("commit")

    @property
    def hostname(self) -> str:
        return self.machine.get("hostname") or "unknown-host"

    @property
    def kind(self) -> str:
        """The machine kind: machine_id without the hostname."""
        cpu = self.machine.get("cpu") or {}
        return f"{cpu.get('model', 'unknown CPU')}|{cpu.get('logical_cpus', '?')}"

    def matrix_key(self) -> tuple:
        p = self.plan
        return (p.get("matrix_text"), p.get("baseline"), p.get("size"),
                tuple(c["id"] for c in p.get("configs", [])))


def _fingerprint(text) -> str:
    return hashlib.sha256(str(text).encode()).hexdigest()[:12]


def check_compatible(shards: list) -> None:
    """Raises MergeError naming the first reason the runs cannot be one data set."""
    for s in shards:
        if s.status != "complete":
            raise MergeError(f"shard {s.name} did not finish (status '{s.status}'); finish it with: "
                             f"scripts/sweep.sh --resume --out {shlex.quote(s.name)}")
    commits = {}
    for s in shards:
        commits.setdefault(s.commit, []).append(s.name)
    if len(commits) > 1:
        parts = "; ".join(f"{(c or 'no git revision')[:12]}: {', '.join(names)}"
                          for c, names in commits.items())
        raise MergeError(f"the runs come from different git revisions ({parts}); "
                         "merge only runs of one source tree")
    first = shards[0]
    for s in shards[1:]:
        a, b = first.plan, s.plan
        if a.get("matrix_text") != b.get("matrix_text"):
            raise MergeError(f"different matrices: {first.name} ran '{a.get('matrix')}' "
                             f"(text {_fingerprint(a.get('matrix_text'))}), {s.name} ran "
                             f"'{b.get('matrix')}' (text {_fingerprint(b.get('matrix_text'))})")
        if a.get("size") != b.get("size"):
            raise MergeError(f"different sizes: {first.name} ran --size {a.get('size')}, "
                             f"{s.name} ran --size {b.get('size')}")
        if first.matrix_key() != s.matrix_key():
            ida = [c["id"] for c in a.get("configs", [])]
            idb = [c["id"] for c in b.get("configs", [])]
            raise MergeError(f"different configurations of matrix '{a.get('matrix')}' (--configs?): "
                             f"{first.name} has {', '.join(ida)}; {s.name} has {', '.join(idb)}")
    for kind, group in group_by_kind(shards).items():
        hashes = {}
        for s in group:
            for c in s.plan["configs"]:
                hashes.setdefault(c["id"], {}).setdefault(c["hash"], []).append(s.name)
        for cid, by_hash in hashes.items():
            if len(by_hash) > 1:
                runs = "; ".join(f"hash {h}: {', '.join(n)}" for h, n in by_hash.items())
                raise MergeError(f"configuration {cid} was built from different flags, compiler "
                                 f"versions or sources on machines of kind '{kind}' ({runs})")


def group_by_kind(shards: list) -> dict:
    groups: dict = {}
    for s in shards:
        groups.setdefault(s.kind, []).append(s)
    return groups


def _same_tree(a: Path, b: Path) -> bool:
    """Two directories with the same files and the same bytes."""
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file()) if a.is_dir() else []
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()) if b.is_dir() else []
    return fa == fb and all(filecmp.cmp(a / f, b / f, shallow=False) for f in fa)


def owners(group: list) -> dict:
    """kernel -> the shard that supplies it.  A kernel in two shards must have
    the same data in both (the same shard given twice); otherwise refused."""
    owner: dict = {}
    for s in group:
        for k in s.plan["kernels"]:
            if k not in owner:
                owner[k] = s
                continue
            other = owner[k]
            for c in s.plan["configs"]:
                if not _same_tree(other.run.kernel(c["id"], k).path, s.run.kernel(c["id"], k).path):
                    raise MergeError(f"overlapping cells with different data: kernel {k} under "
                                     f"{c['id']} is in both {other.name} and {s.name} "
                                     f"(machine kind '{s.kind}'); merge only one of them")
    return owner


def _merged_build(cid: str, group: list, kernels_of: dict) -> dict:
    records = [(s, read_json(s.run.config(cid).build_record)) for s in group]
    records = [(s, r) for s, r in records if r]
    if not records:
        return {"status": "failed", "message": "no shard recorded this build", "kernels_failed": {}}
    merged = dict(next((r for _, r in records if r.get("bin_dir")), records[0][1]))
    failed = {}
    for s, r in records:
        failed.update(r.get("kernels_failed") or {})
        if r.get("status") == "failed":
            # A shard whose whole build failed: each of its kernels failed, with its message.
            for k in kernels_of[s.name]:
                failed.setdefault(k, r.get("message", "build failed"))
    statuses = {r.get("status") for _, r in records}
    merged["kernels_failed"] = failed
    if statuses == {"failed"}:
        merged.update(status="failed", message=records[0][1].get("message", ""))
    elif failed:
        merged.update(status="partial", message=f"{len(failed)} kernel(s) failed to build")
    else:
        merged.update(status="ok", message="")
    for key in ("seconds", "build_seconds"):
        vals = [r[key] for _, r in records if isinstance(r.get(key), (int, float))]
        if vals:
            merged[key] = round(sum(vals), 2)
    merged["shards"] = [dict(r, run=s.name) for s, r in records]
    return merged


def _machine_id(group: list) -> str:
    ids = {s.manifest.get("machine_id") for s in group}
    if len(ids) == 1 and None not in ids and len({s.hostname for s in group}) == 1:
        return ids.pop()
    hosts = ",".join(sorted({s.hostname for s in group}))
    return f"{hosts}|{group[0].kind}"


def merge_group(group: list, out: RunDir, command: str) -> dict:
    """Writes one run directory from the shards of one machine kind."""
    owner = owners(group)
    kernels = sorted(owner)
    kernels_of = {s.name: [k for k in s.plan["kernels"] if owner[k] is s] for s in group}
    first = group[0]
    seeds = {s.plan.get("timing_seed") for s in group}
    plan = dict(first.plan, kernels=kernels, shard="1/1",
                merged_from=[{"run": s.name, "shard": s.plan.get("shard"), "kernels": kernels_of[s.name],
                              "timing_seed": s.plan.get("timing_seed")} for s in group])
    if len(seeds) != 1:
        plan.pop("timing_seed", None)
    for c in first.plan["configs"]:
        cid = c["id"]
        cdir = out.config(cid)
        write_json(cdir.config, read_json(first.run.config(cid).config) or c)
        write_json(cdir.build_record, _merged_build(cid, group, kernels_of))
        logs = [f"==== shard {s.name}\n{s.run.config(cid).build_log.read_text()}"
                for s in group if s.run.config(cid).build_log.is_file()]
        if logs:
            write_text(cdir.build_log, "\n".join(logs))
        sizes = {}
        for s in group:
            for k, v in (read_json(s.run.config(cid).sizes) or {}).items():
                if owner.get(k) is s:
                    sizes[k] = v
        write_json(cdir.sizes, sizes)
        for k in kernels:
            src = owner[k].run.kernel(cid, k).path
            if src.is_dir():
                shutil.copytree(src, out.kernel(cid, k).path, dirs_exist_ok=True)
    manifest = dict(first.manifest)
    manifest.update(
        run_id=out.name, command=command, status="complete",
        started=min(s.manifest.get("started", "") for s in group) or None,
        finished=max(s.manifest.get("finished", "") for s in group) or None,
        machine_id=_machine_id(group), durations=[],
        shards=[{"run": s.name, "run_id": s.manifest.get("run_id"), "shard": s.plan.get("shard"),
                 "hostname": s.hostname, "machine_id": s.manifest.get("machine_id"),
                 "kernels": kernels_of[s.name], "configs": len(s.plan["configs"]),
                 "command": s.manifest.get("command"), "started": s.manifest.get("started"),
                 "finished": s.manifest.get("finished"), "durations": s.manifest.get("durations", []),
                 "options": s.manifest.get("options", {})}
                for s in group])
    hosts = sorted({s.hostname for s in group})
    if len(hosts) > 1:
        manifest["machine"] = dict(first.machine, hostname=",".join(hosts))
    write_json(out.plan, plan)
    write_json(out.manifest, manifest)
    return manifest


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "machine"


def _check_out(out: Path, inputs: list) -> None:
    for s in inputs:
        if out.resolve() == s.path.resolve():
            raise MergeError(f"OUT {out} is one of the runs being merged")
    if out.exists():
        if not out.is_dir():
            raise MergeError(f"OUT {out} exists and is not a directory")
        # A distributed run's state is all OUT may hold already (see shards.py).
        held = [p.name for p in out.iterdir() if p.name != RunDir(out).executor_state.name]
        if held:
            raise MergeError(f"OUT {out} already holds files ({', '.join(sorted(held)[:5])}); "
                             "choose a new directory")


def merge(out: Path, runs: list, command: str) -> dict:
    """Merges; returns the written manifest.  Nothing is written when refused."""
    if not runs:
        raise MergeError("no runs to merge")
    shards = [Shard(Path(r)) for r in runs]
    _check_out(out, shards)
    check_compatible(shards)
    groups = group_by_kind(shards)
    for group in groups.values():
        owners(group)
    out.mkdir(parents=True, exist_ok=True)
    if len(groups) == 1:
        return merge_group(next(iter(groups.values())), RunDir(out), command)
    machines, used = [], set()
    for kind, group in groups.items():
        name = slug(kind)
        while name in used:
            name += "-x"
        used.add(name)
        m = merge_group(group, RunDir(out).machine(name), command)
        machines.append({"machine_id": m["machine_id"], "kind": kind, "dir": RunDir.machine_subdir(name),
                         "hosts": sorted({s.hostname for s in group}),
                         "cpu": (group[0].machine.get("cpu") or {}).get("model")})
    first = shards[0]
    doc = {"schema": MULTI_SCHEMA, "run_id": out.name, "command": command, "status": "complete",
           "matrix": first.plan.get("matrix"), "baseline": first.plan.get("baseline"),
           "size": first.plan.get("size"), "git": first.machine.get("git"),
           "merged": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machines": machines}
    write_json(RunDir(out).manifest, doc)
    return doc


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="scripts/merge.sh",
        description="Merge shard runs (sweep --shard I/N, or the shards of --executor parallel|slurm) "
                    "into one run directory. Shards of one machine kind (same CPU model and count) "
                    "become one run; runs of different machine kinds go to OUT/machines/<kind>/, "
                    "keyed by machine id, and scripts/report.sh OUT writes cross-machine tables.",
        epilog="Refuses different git revisions, different matrices, a shard that did not finish, "
               "and a cell present twice with different data. Docs: docs/scale.md.")
    p.add_argument("out", metavar="OUT", help="the merged run directory (must not hold a run yet)")
    p.add_argument("runs", metavar="RUN", nargs="+", help="shard run directories")
    p.add_argument("--no-tables", action="store_true", help="do not run scripts/report.sh OUT")
    return p.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    a = parse_args(argv)
    command = "scripts/merge.sh " + shlex.join(argv)
    try:
        doc = merge(Path(a.out), a.runs, command)
    except MergeError as e:
        print(f"merge: {e}", file=sys.stderr)
        return 1
    if doc.get("schema") == MULTI_SCHEMA:
        print(f"merge: {len(a.runs)} runs of {len(doc['machines'])} machine kinds into {a.out}: "
              + ", ".join(f"{m['dir']} ({m['machine_id']})" for m in doc["machines"]), file=sys.stderr)
    else:
        print(f"merge: {len(a.runs)} runs into {a.out} (machine id {doc['machine_id']})", file=sys.stderr)
    if not a.no_tables:
        from ..report import generate
        return generate.main([a.out, "--quiet"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
