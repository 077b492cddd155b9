"""Builds one configuration: CMake + Ninja in its own directory, PGO in two builds.

A build directory is reused when its stamp carries the configuration's hash
(Ninja then rebuilds only what changed); otherwise it is wiped.  `ninja -k 0`
builds every kernel it can and Ninja's FAILED blocks say which kernels it
could not, so one kernel that fails to compile fails alone, with the
compiler's message.
"""
from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

from . import builddir, procs, seeds as layout_seeds, tools
from .config import cmake_definitions
from .kernels import binary_name, cmake_filter

CONFIGURE_TIMEOUT = 600
BUILD_TIMEOUT = 3600
TRAIN_TIMEOUT = 300


class Log:
    """Accumulates a build's output; the caller writes it to the run's build log."""

    def __init__(self):
        self.parts = []

    def add(self, title: str, text: str) -> None:
        self.parts.append(f"==== {title}\n{text.rstrip()}\n")

    def text(self) -> str:
        return "\n".join(self.parts)


def _configure(root: Path, cfg, build_dir: Path, phase: str, profile_dir: Path | None,
               kernels: list, config_hash: str, log: Log, pads: str = "", remarks: bool = False) -> str | None:
    """Runs CMake unless the directory is already configured for this hash,
    kernel list and set of layout seeds (pads: FB_LAYOUT_PADS; another set of
    seeds only adds or drops links, never a recompile).  Returns an error
    message, or None."""
    stamp_path = build_dir / "flagbench-stamp.json"
    stamp = {"hash": config_hash, "phase": phase, "kernels": kernels, "layout_pads": pads,
             "remarks": remarks}
    try:
        old = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        old = None
    if old == stamp and (build_dir / "build.ninja").exists():
        return None
    if old is None or old.get("hash") != config_hash or old.get("phase") != phase:
        shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True, exist_ok=True)
    cmd = ["cmake", "-S", str(root), "-B", str(build_dir), "-G", "Ninja",
           f"-DCMAKE_TOOLCHAIN_FILE={root / cfg.toolchain}", "-DBUILD_TESTING=OFF",
           f"-DFB_KERNELS={cmake_filter(kernels)}", *cmake_definitions(cfg),
           f"-DFB_PGO={phase}", f"-DFB_PGO_DIR={profile_dir or ''}", f"-DFB_LAYOUT_PADS={pads}",
           # Optimization records for the why lines (docs/why.md); proven not to change code.
           f"-DFB_REMARKS={'ON' if remarks else 'OFF'}"]
    r = procs.run(cmd, timeout=CONFIGURE_TIMEOUT)
    log.add("cmake " + " ".join(cmd[1:]), (r.stdout or "") + (r.stderr or ""))
    if r.returncode != 0:
        return _cmake_error(r.stderr or r.stdout or "") or f"CMake configure {procs.describe_exit(r.returncode)}"
    stamp_path.write_text(json.dumps(stamp))
    return None


def _cmake_error(text: str) -> str:
    lines = [l for l in text.splitlines() if l.strip()]
    for i, l in enumerate(lines):
        if "CMake Error" in l:
            body = [x.strip() for x in lines[i + 1:i + 8] if not x.startswith("Call Stack")]
            return " ".join(body).strip()
    return ""


def _ninja(build_dir: Path, jobs: int, log: Log) -> tuple:
    """Builds what it can.  Returns (did_work, output)."""
    r = procs.run(["ninja", "-C", str(build_dir), "-k", "0", f"-j{jobs}"], timeout=BUILD_TIMEOUT)
    out = (r.stdout or "") + (r.stderr or "")
    log.add(f"ninja -C {build_dir} -k 0 -j{jobs}", out)
    return "no work to do" not in out, out


def _failed_kernels(kernels: list, ninja_output: str) -> dict:
    """Kernels Ninja could not build, each with the compiler's message.  A
    failed edge is retried on every build, so its FAILED block is always in
    this build's output; the kernel's old binary (if any) is ignored."""
    messages = _failure_messages(ninja_output)
    failed = {}
    for k in kernels:
        msg = messages.get(binary_name(k)) or messages.get("harness")
        if msg:
            failed[k] = msg
    if messages and not failed:
        # A failure we cannot attribute (a generator step, the linker of
        # something shared): every kernel is suspect.
        failed = {k: next(iter(messages.values())) for k in kernels}
    return failed


def _failure_messages(ninja_output: str) -> dict:
    """First compiler error per target, from Ninja's FAILED: blocks."""
    messages = {}
    blocks = re.split(r"^FAILED: ", ninja_output, flags=re.M)[1:]
    for block in blocks:
        first = block.splitlines()[0] if block else ""
        m = (re.search(r"CMakeFiles/([a-z0-9_]+)\.dir", first)
             or re.search(r"bin(?:-seed\d+)?/([a-z0-9_]+)", first))
        # A kernel's objects (X_objects) and its per-seed links (X_seedN) are the kernel X.
        key = re.sub(r"_(objects|seed\d+)$", "", m.group(1)) if m else "unknown"
        if key in ("fb_harness", "fb_cpu_check"):
            key = "harness"
        errors = [l.strip() for l in block.splitlines()
                  if re.search(r"\berror\b|undefined reference|ld returned", l)]
        text = " | ".join(errors[:3]) or " ".join(block.splitlines()[1:3])
        messages.setdefault(key, text[:600])
    return messages


def _train(cfg, root: Path, gen_dir: Path, profile_dir: Path, kernels: list, log: Log) -> dict:
    """Runs every instrumented kernel on the train size, then merges the
    profiles (clang).  Never the ref size: PGO must not see what is measured."""
    shutil.rmtree(profile_dir, ignore_errors=True)
    profile_dir.mkdir(parents=True)
    emulator = builddir.emulator(gen_dir)
    runs = {}
    for k in kernels:
        exe = gen_dir / "bin" / binary_name(k)
        if not exe.exists():
            continue
        r = procs.run([*emulator, str(exe), "--size", "train"], timeout=TRAIN_TIMEOUT, cwd=profile_dir)
        runs[k] = procs.describe_exit(r.returncode)
        if r.returncode not in (0, 3):
            log.add(f"train {k}: {runs[k]}", r.stderr or "")
    result = {"train_size": "train", "runs": runs}
    if cfg.family == "clang":
        raws = sorted(profile_dir.glob("*.profraw"))
        profdata = tools.profdata_of(root / cfg.toolchain)
        if not raws:
            result["error"] = "training wrote no .profraw files"
            return result
        cmd = [profdata, "merge", "-o", str(profile_dir / "merged.profdata"), *map(str, raws)]
        r = procs.run(cmd, timeout=600)
        log.add(" ".join(cmd[:4]) + " ...", (r.stdout or "") + (r.stderr or ""))
        if r.returncode != 0:
            result["error"] = f"{profdata} merge failed: {(r.stderr or '').strip()[:400]}"
        for raw in raws:
            raw.unlink()
    else:
        result["profiles"] = len(list(profile_dir.rglob("*.gcda")))
        if not result["profiles"]:
            result["error"] = "training wrote no .gcda files"
    return result


def build_configuration(root: Path, cfg, config_hash: str, build_dir: Path, kernels: list,
                        jobs: int, seeds: list = (0,), remarks: bool = False) -> tuple:
    """Builds one configuration, linked once per layout seed (flagbench.seeds).
    Returns (build record, log text, bin dir)."""
    t0 = time.monotonic()
    log = Log()
    record = {"status": "ok", "reused": False, "kernels_failed": {}, "message": ""}
    pgo = cfg.axes.get("pgo") == "on"
    final_dir = build_dir / "use" if pgo else build_dir / "plain"
    profile_dir = build_dir / "profile"

    def fail(message: str):
        record.update(status="failed", message=message, seconds=round(time.monotonic() - t0, 2))
        return record, log.text(), None

    retrain = False
    if pgo:
        gen_dir = build_dir / "generate"
        err = _configure(root, cfg, gen_dir, "generate", profile_dir, kernels, config_hash, log)
        if err:
            return fail(f"instrumented build: {err}")
        did_work, out = _ninja(gen_dir, jobs, log)
        gen_failed = _failed_kernels(kernels, out)
        trained = [k for k in kernels if k not in gen_failed]
        marker = profile_dir / "trained.json"
        retrain = did_work or not marker.exists()
        if retrain:
            record["pgo"] = _train(cfg, root, gen_dir, profile_dir, trained, log)
            marker.write_text(json.dumps(record["pgo"]))
        else:
            record["pgo"] = json.loads(marker.read_text())
        if record["pgo"].get("error"):
            return fail(f"PGO training: {record['pgo']['error']}")

    phase = "use" if pgo else "off"
    err = _configure(root, cfg, final_dir, phase, profile_dir if pgo else None, kernels, config_hash,
                     log, layout_seeds.cmake_pads(seeds), remarks)
    if err:
        return fail(err)
    if retrain:
        # The profile is not a Ninja dependency: new profile, rebuild everything.
        procs.run(["ninja", "-C", str(final_dir), "-t", "clean"], timeout=120)
    did_work, out = _ninja(final_dir, jobs, log)
    record["reused"] = not did_work
    record["kernels_failed"] = _failed_kernels(kernels, out)
    if len(record["kernels_failed"]) == len(kernels):
        first = next(iter(record["kernels_failed"].values()), "")
        return fail(f"no kernel built: {first}")
    if record["kernels_failed"]:
        record["status"] = "partial"
        record["message"] = f"{len(record['kernels_failed'])} kernel(s) failed to build"
    record["seconds"] = round(time.monotonic() - t0, 2)
    # A reused build took no time now; tables want what building it cost.
    cost_file = build_dir / "build-seconds.json"
    if did_work or retrain or not cost_file.exists():
        cost_file.write_text(json.dumps({"seconds": record["seconds"]}))
    record["build_seconds"] = json.loads(cost_file.read_text())["seconds"]
    record["bin_dir"] = str(final_dir / "bin")
    record["layout_seeds"] = {str(s): layout_seeds.pad_bytes(s) for s in sorted(set(seeds))}
    record["build_dir"] = str(final_dir)
    return record, log.text(), final_dir / "bin"
