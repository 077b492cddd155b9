#!/usr/bin/env python3
"""Makes a small report fixture from a real sweep run: some kernels and
variants, trimmed JSON, no binaries, and (optionally) a few injected statuses
the run did not produce naturally.  How the committed fixtures were made is in
fixtures/README.md.

usage: make_fixture.py SRC DST --keep KERNEL=V1,V2 [--keep ...] [--asm-text KERNEL]
                       [--inject CONFIG:KERNEL/VARIANT=STATUS ...]
"""
import argparse
import json
import shutil
from pathlib import Path

SAMPLE_KEYS = ("median_ns", "wall_s", "checksum")
LINE_KEYS = ("kernel", "variant", "size", "status", "ok", "checksum", "items", "reps", "median_ns", "ns_per_item")
MCA_CPUS = ("host",)      # the other CPUs' results are left out


def dump(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")


def trim_asm(doc: dict) -> dict:
    doc = {k: v for k, v in doc.items() if k not in ("binary", "objdump", "seconds", "callees")}
    mca = doc.get("mca")
    if mca:
        keep = set(MCA_CPUS)
        mca = {k: v for k, v in mca.items() if k not in ("tool", "seconds")}
        mca["cpus"] = {c: v for c, v in (mca.get("cpus") or {}).items() if c in keep}
        for lp in mca.get("loops") or []:
            lp["per_cpu"] = {c: {k: v for k, v in r.items() if k != "notes"}
                             for c, r in (lp.get("per_cpu") or {}).items() if c in keep}
            for r in lp["per_cpu"].values():
                r["pressure"] = (r.get("pressure") or [])[:1]
        doc["mca"] = mca
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--keep", action="append", required=True, metavar="KERNEL=V1,V2")
    ap.add_argument("--asm-text", action="append", default=[], metavar="KERNEL",
                    help="keep the normalized .s files of this kernel (others: JSON only)")
    ap.add_argument("--inject", action="append", default=[], metavar="CONFIG:KERNEL/VARIANT=STATUS")
    ap.add_argument("--asm-minimal", action="store_true",
                    help="keep only found, bytes, instructions, vector_width and code_hash of the "
                         "asm JSON of kernels not named by --asm-text")
    ap.add_argument("--run-id")
    a = ap.parse_args()
    src, dst = Path(a.src), Path(a.dst)
    keep = {}
    for k in a.keep:
        kernel, variants = k.split("=")
        keep[kernel] = variants.split(",")
    if dst.exists():
        shutil.rmtree(dst)
    manifest = json.loads((src / "manifest.json").read_text())
    cpu = manifest["machine"]["cpu"]
    cpu["flags"] = [f for f in cpu.get("flags", []) if f in ("sse2", "avx", "avx2", "fma", "avx512f")]
    if a.run_id:
        manifest["run_id"] = a.run_id
    dump(dst / "manifest.json", manifest)
    plan = json.loads((src / "plan.json").read_text())
    plan["kernels"] = [k for k in plan["kernels"] if k in keep]
    dump(dst / "plan.json", plan)
    for cfg in plan["configs"]:
        cdir, ddir = src / "configs" / cfg["id"], dst / "configs" / cfg["id"]
        build = json.loads((cdir / "build.json").read_text())
        build.pop("pgo", None)
        build["kernels_failed"] = {k: v[:300] for k, v in build.get("kernels_failed", {}).items() if k in keep}
        if not build["kernels_failed"] and build.get("status") == "partial":
            build["status"], build["message"] = "ok", ""
        elif build.get("status") == "partial":
            build["message"] = f"{len(build['kernels_failed'])} kernel(s) failed to build"
        dump(ddir / "build.json", build)
        sizes = json.loads((cdir / "sizes.json").read_text()) if (cdir / "sizes.json").exists() else {}
        dump(ddir / "sizes.json", {k: v for k, v in sizes.items() if k in keep})
        for kernel, variants in keep.items():
            kd = cdir / "kernels" / kernel.replace("/", "_")
            kdd = ddir / "kernels" / kernel.replace("/", "_")
            if not (kd / "check.json").exists():
                continue
            check = json.loads((kd / "check.json").read_text())
            check = {v: check[v] for v in variants if v in check}
            for r in check.values():
                r.pop("stderr", None)
                if isinstance(r.get("line"), dict):
                    r["line"] = {k: r["line"][k] for k in LINE_KEYS if k in r["line"]}
            dump(kdd / "check.json", check)
            for v in variants:
                t = kd / "time" / f"{v}.json"
                if t.exists():
                    doc = json.loads(t.read_text())
                    doc["samples"] = [{k: s.get(k) for k in SAMPLE_KEYS} for s in doc.get("samples", [])]
                    dump(kdd / "time" / f"{v}.json", doc)
                j = kd / "asm" / f"{v}.json"
                if j.exists():
                    doc = trim_asm(json.loads(j.read_text()))
                    if a.asm_minimal and kernel not in a.asm_text:
                        doc = {k: doc.get(k) for k in ("kernel", "variant", "found", "bytes", "instructions",
                                                        "vector_width", "code_hash")}
                    dump(kdd / "asm" / f"{v}.json", doc)
                s = kd / "asm" / f"{v}.s"
                if s.exists() and kernel in a.asm_text:
                    (kdd / "asm").mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(s, kdd / "asm" / f"{v}.s")
    for inj in a.inject:
        where, status = inj.split("=")
        config, kv = where.split(":")
        kernel, variant = kv.rsplit("/", 1)
        kdd = dst / "configs" / config / "kernels" / kernel.replace("/", "_")
        check = json.loads((kdd / "check.json").read_text())
        why = {"wrong": "checksum differs from the reference (injected into this fixture)",
               "crashed": "killed by SIGSEGV (injected into this fixture)",
               "unsupported": "needs avx512f, which this CPU lacks (injected into this fixture)"}[status]
        check[variant].update(status=status, why=why)
        dump(kdd / "check.json", check)
        t = kdd / "time" / f"{variant}.json"
        if t.exists():
            t.unlink()
        # Any cell that borrowed this one's timing as "same code" loses it too.
        for other in (dst / "configs").glob(f"*/kernels/{kernel.replace('/', '_')}/time/{variant}.json"):
            if json.loads(other.read_text()).get("same_as") == config:
                other.unlink()


if __name__ == "__main__":
    main()
