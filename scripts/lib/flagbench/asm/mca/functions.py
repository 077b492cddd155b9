"""llvm-mca on the innermost loops of several functions: one run per CPU for all of them.

Results per loop and CPU: llvm-mca's numbers, the loop's memory traffic, and
the reasons to doubt them (soundness).  A CPU llvm-mca cannot model still gets
an entry per loop, with the reason as its only flag.
"""
from concurrent.futures import ThreadPoolExecutor

from . import soundness
from .batch import run_regions
from .regions import region_lines

NUMBERS = ("block_rthroughput", "cycles_per_iteration", "ipc", "uops_per_cycle", "dispatch_width")


def analyze_functions(tool, items, arch, cpus, jobs=1, cache=None):
    """Runs llvm-mca on the innermost loops of several functions: one run per
    CPU for all of them.

    items: [(key, fn, loops)]; cpus: {key: resolve_cpu(...) result}.  Returns
    {item key: ([{"index", "lines", "instructions", "per_cpu": {cpu key: {...}}}]
    for the function's innermost loops in text order, {cpu key: sched_model})}.
    """
    prepared = [_prepare(key, fn, loops) for key, fn, loops in items]
    out = {key: (results, {}) for key, _fn, _inner, results in prepared}
    if not any(inner for _k, _f, inner, _r in prepared):
        return out
    # CPU names that resolve to the same model share one run
    unique = {}
    for key, cpu in cpus.items():
        if cpu.get("mcpu"):
            unique.setdefault((cpu["mcpu"], tuple(cpu.get("mattr") or [])), []).append(key)

    def run(item):
        (mcpu, _mattr), keys = item
        return (keys,) + _run_cpu(tool, arch, cpus[keys[0]], mcpu, prepared, cache)

    items_by_cpu = list(unique.items())
    if jobs > 1 and len(items_by_cpu) > 1:
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            outs = list(ex.map(run, items_by_cpu))
    else:
        outs = [run(i) for i in items_by_cpu]
    for keys, per_loop, model in outs:
        for cpu_key in keys:
            for (f, n), r in per_loop.items():
                entry = {k: v for k, v in r.items() if k != "skip"}
                for k in NUMBERS:
                    entry.setdefault(k, None)
                entry.setdefault("pressure", [])
                prepared[f][3][n - 1]["per_cpu"][cpu_key] = entry
            for key, _fn, inner, _results in prepared:
                if inner:  # the model its loops were analysed with (none without loops)
                    out[key][1][cpu_key] = model
    for cpu_key, cpu in cpus.items():
        if not cpu.get("mcpu"):
            for _key, _fn, _inner, results in prepared:
                for r in results:
                    r["per_cpu"][cpu_key] = {"mcpu": None, "unsound": [cpu["note"]], "notes": [],
                                             **dict.fromkeys(NUMBERS), "pressure": []}
    return out


def analyze_function(tool, fn, loops, arch, cpus, jobs=1, cache=None):
    """analyze_functions for one function: (results, {cpu key: sched_model})."""
    return analyze_functions(tool, [(None, fn, loops)], arch, cpus, jobs, cache)[None]


def _prepare(key, fn, loops):
    """(key, fn, its innermost loops, their result entries, per_cpu still empty)."""
    inner = [lp for lp in loops if lp.innermost]
    results = []
    for n, lp in enumerate(inner, 1):
        results.append({"index": n, "lines": [lp.start_line, lp.end_line],
                        "instructions": len(lp.region(fn)), "per_cpu": {}})
        if not lp.contiguous:
            results[-1]["line_ranges"] = lp.ranges(fn)
    return key, fn, inner, results


def _run_cpu(tool, arch, cpu, mcpu, prepared, cache):
    """({(function index, loop number): entry}, sched_model) for one CPU: every loop
    that can be modelled on it as a region of one batch."""
    per_loop, regions = {}, []
    for f, (_key, fn, inner, _results) in enumerate(prepared):
        for n, lp in enumerate(inner, 1):
            unsound, notes, skip = soundness.static_flags(fn, lp, arch, mcpu)
            per_loop[(f, n)] = {"mcpu": mcpu, "unsound": unsound, "notes": notes, "skip": skip}
            if not skip:
                tag = f"f{f}l{n}"
                regions.append((tag, region_lines(fn, lp.ranges(fn), tag), f, n))
    syntax = prepared[0][1].syntax
    got, model = run_regions(tool, arch, cpu, [r[:2] for r in regions], syntax, cache) \
        if regions else ({}, "")
    for tag, _lines, f, n in regions:
        r, skipped, errors = got.get(tag, (None, [], []))
        entry = per_loop[(f, n)]
        if r is None:
            entry["unsound"].append("llvm-mca could not analyse the loop: " +
                                    " ".join(" ".join(errors).split()))
            continue
        fn, inner = prepared[f][1], prepared[f][2]
        unsound, traffic = soundness.result_flags(r, inner[n - 1].region(fn), arch, fn.syntax,
                                                  skipped)
        entry["unsound"] += unsound
        entry.update({k: v for k, v in r.items() if not k.startswith("_")})
        entry.update(traffic)
    return per_loop, model
