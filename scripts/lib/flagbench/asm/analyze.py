#!/usr/bin/env python3
"""Captures, normalizes, summarizes and (optionally) runs llvm-mca on every variant of one
kernel binary, or of several (--batch: what the sweep runs, a few batches per configuration).

Writes, per variant, OUT/<variant>.s (the normalized assembly of the hot function)
and OUT/<variant>.json (symbols, summary counts, code_hash over the code reachable
from the hot function, data_hash, libraries, loops, llvm-mca results, and with
--layout-binary the addresses per layout seed); both atomically.  A variant
whose symbol is missing gets "found": false and a "why", never an exception.
Each binary is read and disassembled once, whatever the number of variants;
llvm-mca runs once per CPU for all binaries of the run, every innermost loop of
every variant a region of its own (FLAGBENCH_MCA_CACHE: a directory of results
to reuse).
"""
import argparse
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from . import disasm, elf as elfmod, libraries as libmod, loops as loopmod, mca as mcamod
from . import layout as layoutmod, normalize, reach as reachmod, summary
from ..run.layout import AsmDir


def write_atomic(path, text):
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def reach_of(binary):
    """The binary's reach.Reach (one per binary: normalized functions are shared)."""
    if getattr(binary, "_reach", None) is None:
        binary._reach = reachmod.Reach(binary)
    return binary._reach


def direct_callees(fn):
    """Display names of the functions fn calls or tail-calls directly (PLT stubs included)."""
    own = {s.addr for s in fn.parts}
    seen, out = set(), []
    for ins in fn.insns:
        c = ins.callee
        if c is not None and c.addr not in own and c.addr not in seen:
            seen.add(c.addr)
            out.append(disasm.display_name(c.name))
    return out


def code_hash(binary, fn, roots=()):
    """(code_hash, direct callees): the hash covers the text of every function reachable
    from fn inside the binary (reach.py), extra roots included."""
    return reach_of(binary).closure(fn, roots).code_hash, direct_callees(fn)


def capture(binary, function):
    """(Function, loops, summary) for one function name, or (None, why)."""
    lk = binary.lookup(function)
    if not lk.found:
        return None, lk.why
    fn = normalize.normalize(binary, lk)
    lps = loopmod.find_loops(fn)
    return (fn, lps, summary.summarize(fn, lps)), ""


def loop_details(fn, lps):
    out = []
    for n, lp in enumerate(lps, 1):
        items, how = loopmod.items_per_iteration(fn, lp)
        d = {"index": n, "lines": [lp.start_line, lp.end_line], "depth": lp.depth,
             "innermost": lp.innermost, "instructions": len(lp.region(fn)),
             "back_edge": {"symbol": fn.parts[fn.insns[lp.back_edges[-1]].part].name,
                           "offset": fn.insns[lp.back_edges[-1]].addr
                           - fn.parts[fn.insns[lp.back_edges[-1]].part].addr},
             "items_per_iteration": items}
        if not lp.contiguous:
            d["line_ranges"] = lp.ranges(fn)
        d["items_method" if items is not None else "items_why"] = how
        out.append(d)
    return out


def resolve_cpus(tool, arch, target, others):
    cpus = {}
    for key in [target] + [c for c in others if c != target]:
        cpus[key] = mcamod.resolve_cpu(tool, arch, key)
    return cpus


def not_found(base, why):
    out = dict(base, found=False, why=why, symbols=[], code_hash=None, data_hash=None, reachable=[])
    out.update({c: None for c in summary.COLUMNS})
    out["mca"] = None
    return out


@dataclass
class Job:
    """One kernel binary to analyse: the command line's, or one entry of --batch."""
    binary: str
    kernel: str
    variants: list
    out: AsmDir
    roots: dict = field(default_factory=dict)           # variant -> extra root symbols
    layout_binary: dict = field(default_factory=dict)   # seed -> its binary
    libraries: list = field(default_factory=list)


def none_found(job, why):
    """Every variant of a binary that could not be analysed, not found with the reason."""
    return {v: not_found({"kernel": job.kernel, "variant": v}, why) for v in job.variants}


def analyze_variant(binary, job, variant, skip_reason):
    """(doc without llvm-mca, normalized text, (fn, loops) or None, closure or None)."""
    kernel = job.kernel
    name = kernel.split("/")[-1]
    function = f"{name}_{variant}"
    base = {"kernel": kernel, "variant": variant, "function": function,
            "binary": os.path.abspath(job.binary), "arch": binary.arch, "syntax": binary.syntax,
            "objdump": binary.objdump}
    got, why = capture(binary, function)
    if got is None:
        return not_found(base, why), None, None, None
    fn, lps, summ = got
    roots = job.roots.get(variant, [])
    cl = reach_of(binary).closure(fn, roots)
    out = dict(base, found=True, symbols=fn.symbols)
    if fn.clones_not_shown:
        out["clones_not_shown"] = fn.clones_not_shown
    out.update(summ)
    out["code_hash"] = cl.code_hash
    out["callees"] = direct_callees(fn)
    out["reachable"] = cl.reachable
    out["roots"] = roots
    if cl.roots_missing:
        out["roots_missing"] = cl.roots_missing
    out["data_hash"] = cl.data_hash
    out["data"] = cl.data
    out["data_refs"] = reachmod.DATA_METHOD[binary.arch]
    out["libraries"] = job.libraries
    out["loop_details"] = loop_details(fn, lps)
    out["mca"] = {"skipped": skip_reason, "loops": []}
    return out, fn.text, (fn, lps), cl


def add_mca(docs, captured, arch, target_cpu, jobs, tool, cpus):
    """llvm-mca for every captured variant of every binary at once: one run per CPU.
    docs and captured are keyed alike (by (job, variant))."""
    t0 = time.perf_counter()
    batch = mcamod.analyze_functions(tool, [(k, fn, lps) for k, (fn, lps) in captured.items()],
                                     arch, cpus, jobs=jobs, cache=mcamod.RegionCache.from_env())
    seconds = round(time.perf_counter() - t0, 3)
    for k, (results, models) in batch.items():
        details = docs[k]["loop_details"]
        index_of = {tuple(d["lines"]): d["index"] for d in details}
        for r in results:
            r["index"] = index_of.get(tuple(r["lines"]), r["index"])
            r["items_per_iteration"] = details[r["index"] - 1]["items_per_iteration"]
        docs[k]["mca"] = {
            "version": tool.version, "tool": tool.path, "iterations": mcamod.ITERATIONS,
            "target_cpu": target_cpu,
            "mcpu": cpus[target_cpu].get("mcpu"),
            "cpus": {c: {"mcpu": cpu.get("mcpu"), "mattr": cpu.get("mattr") or [],
                         "sched_model": models.get(c, ""),
                         "note": "; ".join(filter(None, [cpu.get("note", ""), mcamod.model_note(
                             tool, cpu.get("mcpu"), models.get(c, ""))]))}
                     for c, cpu in cpus.items()},
            "loops": results,
            "seconds_for_run": seconds,
        }


def add_layout(docs, binary, closures, job, args):
    """docs[v]["layout"] = {seed: record}: the main binary as seed 0 (unless a seed 0 is
    given), then each layout binary."""
    t0 = time.perf_counter()
    per_seed = {}
    if "0" not in job.layout_binary:
        per_seed["0"] = {v: layoutmod.describe(job.binary, fn, lps, cl) for v, (fn, lps, cl) in closures.items()}
    per_seed.update(layoutmod.seed_layouts(job.layout_binary, binary, closures, job.roots, reach_of,
                                           args.objdump))
    runs = sum(r.pop("_objdump_runs", 0) for r in per_seed.values())
    seconds = round(time.perf_counter() - t0, 3)
    for v in closures:
        docs[v]["layout"] = {seed: recs[v] for seed, recs in per_seed.items() if v in recs}
        errors = [s for s, r in docs[v]["layout"].items() if "layout_error" in r]
        docs[v]["layout_errors"] = errors
    bad = sorted({s for v in closures for s in docs[v]["layout_errors"]})
    if bad or not args.quiet:  # a seed that changed code is an error: said even with --quiet
        print(f"analyze: {job.kernel}: {len(job.layout_binary)} layout seeds in {seconds:.2f} s "
              f"({runs} objdump runs)" + (f"; code differs in seeds {', '.join(bad)}" if bad else ""),
              file=sys.stderr)


def parse_pairs(values, what, split_list):
    """['A=x,y', 'B=z'] -> {'A': ['x', 'y'], 'B': ['z']} (or {'A': 'x,y'} without split_list);
    a malformed entry raises ValueError naming it."""
    out = {}
    for item in values or []:
        key, sep, val = item.partition("=")
        if not sep or not key or not val:
            raise ValueError(f"{what} takes KEY=VALUE, got '{item}'")
        if split_list:
            out.setdefault(key, []).extend(x for x in val.split(",") if x)
        elif key in out:
            raise ValueError(f"{what} {key} given twice")
        else:
            out[key] = val
    return out


def analyze_binary(job, args, mca_for):
    """Docs and normalized texts of one kernel binary's variants, llvm-mca still to add:
    (docs, captured, arch, binary, error or None).  mca_for(arch)[2]: why no llvm-mca."""
    try:
        binary = disasm.Binary(job.binary, objdump=args.objdump, syntax=args.syntax)
    except (elfmod.ElfError, disasm.DisasmError) as e:
        print(f"analyze: {e}", file=sys.stderr)
        return none_found(job, str(e)), {}, None, None, str(e)
    if args.arch and args.arch != binary.arch:
        print(f"analyze: --arch {args.arch} but {job.binary} is {binary.arch}; using {binary.arch}",
              file=sys.stderr)
    skip_reason = mca_for(binary.arch)[2]
    error = None
    job.libraries = libmod.libraries(binary.elf)
    docs, captured, closures = {}, {}, {}
    for v in job.variants:
        t1 = time.perf_counter()
        try:
            doc, text, got, cl = analyze_variant(binary, job, v, skip_reason)
        except disasm.DisasmError as e:
            doc, text, got, cl = not_found({"kernel": job.kernel, "variant": v}, str(e)), None, None, None
            error = error or f"{v}: {e}"
        docs[v] = doc
        if got is not None:
            captured[v] = got
            closures[v] = (got[0], got[1], cl)
        if text is not None:
            write_atomic(job.out.text(v), text)
        elif job.out.text(v).exists():
            job.out.text(v).unlink()
        doc["seconds"] = round(time.perf_counter() - t1, 3)
        if not args.quiet:
            what = (f"{doc['instructions']} insns, {doc['vector_width']}, {doc['loops']} loops"
                    if doc.get("found") else "not found: " + doc.get("why", ""))
            print(f"analyze: {job.kernel}/{v}: {what}", file=sys.stderr)
    if job.layout_binary and closures:
        add_layout(docs, binary, closures, job, args)
    return docs, captured, binary.arch, binary, error


def run_jobs(jobs, args):
    """Every job's variants, then llvm-mca once per CPU and architecture for all of
    them (a process start costs more than a loop's analysis), then the summaries.
    Returns each job's error (None where it had none)."""
    tools = {}

    def mca_for(arch):
        """(llvm-mca Tool or None, {cpu key: model}, why not, target CPU) for an architecture."""
        if arch not in tools:
            target = args.target_cpu or ("x86-64" if arch == "x86_64" else "armv8-a")
            tools[arch] = (None, {}, "not requested (--no-mca)", target)
            if not args.no_mca:
                try:
                    tool = mcamod.Tool(args.mca)
                    others = args.mca_cpus.split(",") if args.mca_cpus else mcamod.DEFAULT_CPUS[arch]
                    tools[arch] = (tool, resolve_cpus(tool, arch, target, [c for c in others if c]), "",
                                   target)
                except mcamod.McaError as e:
                    tools[arch] = (None, {}, str(e), target)
                    print(f"analyze: {e}; continuing without llvm-mca", file=sys.stderr)
        return tools[arch]

    errors, done, by_arch = [], [], {}
    for i, job in enumerate(jobs):
        t0 = time.perf_counter()
        job.out.path.mkdir(parents=True, exist_ok=True)
        try:
            docs, captured, arch, binary, err = analyze_binary(job, args, mca_for)
        except Exception as e:  # one binary's failure must not cost the batch its others
            traceback.print_exc()
            why = f"analysis failed: {type(e).__name__}: {e}"
            print(f"analyze: {job.kernel}: {why}", file=sys.stderr)
            docs, captured, arch, binary, err = none_found(job, why), {}, None, None, why
        errors.append(err)
        done.append((job, docs, binary, time.perf_counter() - t0))
        if captured:
            by_arch.setdefault(arch, {}).update({(i, v): got for v, got in captured.items()})
    all_docs = {(i, v): doc for i, (_job, docs, _b, _s) in enumerate(done) for v, doc in docs.items()}
    for arch, captured in by_arch.items():
        tool, cpus, _why, target = mca_for(arch)
        if tool is not None:
            add_mca(all_docs, captured, arch, target, args.jobs, tool, cpus)
    for job, docs, binary, seconds in done:
        if args.trip_counts and binary is not None:
            from . import model
            foreign = binary.arch != os.uname().machine
            model.add_trip_counts(job.binary, binary, docs, emulator=["(foreign)"] if foreign else None)
        for v, doc in docs.items():
            write_atomic(job.out.summary(v), json.dumps(doc, indent=1) + "\n")
        if not args.quiet:
            print(f"analyze: {job.kernel}: {len(job.variants)} variants in {seconds:.2f} s "
                  "(llvm-mca apart)", file=sys.stderr)
    return errors


def read_batch(path):
    """--batch FILE: a JSON list of {"binary", "kernel", "variants": [...], "out",
    "roots": {variant: [symbols]}, "layout_binaries": {seed: path}}."""
    try:
        with open(path) as f:
            entries = json.load(f)
        return [Job(e["binary"], e["kernel"], list(e["variants"]), AsmDir(e["out"]),
                    {k: list(v) for k, v in (e.get("roots") or {}).items()},
                    {str(k): v for k, v in (e.get("layout_binaries") or {}).items()})
                for e in entries]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"--batch {path}: {type(e).__name__}: {e}") from None


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Capture normalized assembly, summary counts and llvm-mca results for the "
                    "variants of one kernel binary, or of several with --batch (writes "
                    "OUT/<variant>.s and OUT/<variant>.json).")
    ap.add_argument("--binary", help="the linked kernel binary")
    ap.add_argument("--kernel", help="FAMILY/NAME, e.g. simd/reduce")
    ap.add_argument("--variants", help="comma-separated variant names")
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--batch", metavar="FILE",
                    help="instead of --binary/--kernel/--variants/--out/--roots/--layout-binary: a JSON "
                         "list of {binary, kernel, variants, out, roots, layout_binaries}, analysed in one "
                         "process with one llvm-mca run per CPU for all of them")
    ap.add_argument("--arch", choices=["x86_64", "aarch64"], help="checked against the binary")
    ap.add_argument("--target-cpu", default=None,
                    help="the configuration's march (x86-64, x86-64-v3, native, znver4, armv8-a, ...)")
    ap.add_argument("--mca-cpus", default=None,
                    help="comma-separated CPUs besides the target ('host' = this machine); "
                         "default: " + "; ".join(f"{a}: {','.join(c)}" for a, c in mcamod.DEFAULT_CPUS.items()))
    ap.add_argument("--objdump", help="disassembler (default llvm-objdump-19, llvm-objdump, objdump)")
    ap.add_argument("--mca", help="llvm-mca binary (default llvm-mca-19, then llvm-mca)")
    ap.add_argument("--syntax", choices=["att", "intel"], default="att")
    ap.add_argument("--no-mca", action="store_true", help="skip llvm-mca")
    ap.add_argument("--jobs", type=int, default=1, help="llvm-mca runs in parallel (per CPU)")
    ap.add_argument("--trip-counts", action="store_true",
                    help="also measure items per loop iteration under callgrind (slow; x86 host only)")
    ap.add_argument("--roots", action="append", metavar="VARIANT=SYM[,SYM...]",
                    help="extra functions a variant's code reaches at run time (the dispatch target "
                         "it reported), hashed with its closure; repeatable")
    ap.add_argument("--layout-binary", action="append", metavar="SEED=PATH",
                    help="the same configuration relinked with layout seed SEED: record where each "
                         "hot function and loop landed there and check its code_hash; repeatable")
    ap.add_argument("--quiet", action="store_true", help="no per-variant line on stderr")
    args = ap.parse_args(argv)
    try:
        if args.batch:
            if args.binary or args.kernel or args.variants or args.out or args.roots or args.layout_binary:
                raise ValueError("--batch replaces --binary, --kernel, --variants, --out, --roots and "
                                 "--layout-binary")
            jobs = read_batch(args.batch)
        else:
            missing = [o for o in ("binary", "kernel", "variants", "out") if not getattr(args, o)]
            if missing:
                raise ValueError("the following arguments are required: " +
                                 ", ".join("--" + o for o in missing) + " (or --batch)")
            jobs = [Job(args.binary, args.kernel, [v for v in args.variants.split(",") if v],
                        AsmDir(args.out), parse_pairs(args.roots, "--roots", True),
                        parse_pairs(args.layout_binary, "--layout-binary", False))]
    except ValueError as e:
        ap.error(str(e))
    for job in jobs:
        for seed, path in job.layout_binary.items():
            if not os.path.isfile(path):
                ap.error(f"{job.kernel}: layout binary {seed}={path}: no such file")
    errors = run_jobs(jobs, args)
    if args.batch:  # the sweep reads which kernels failed, and why
        print(json.dumps([{"kernel": j.kernel, "error": e} for j, e in zip(jobs, errors)]))
    return 1 if any(errors) else 0


if __name__ == "__main__":
    sys.exit(main())
