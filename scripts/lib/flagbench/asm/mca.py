"""llvm-mca on functions' innermost loops: CPU names, batched runs, results, soundness flags.

Each innermost loop's lines of the normalized text go to llvm-mca between
`# LLVM-MCA-BEGIN name` / `# LLVM-MCA-END name` markers (never inline asm in
the C source: that changes the code).  llvm-mca analyses each region on its
own, so the loops of every variant of a binary go in one run per CPU: a
process start and a scheduling-model load cost more than a small region's
analysis.  Local labels get a per-region suffix, because content-named
labels repeat across functions.  With a cache directory (FLAGBENCH_MCA_CACHE,
set by the sweep), a region analysed before for the same CPU and llvm-mca is
not analysed again: identical loops recur across configurations.

Version differences handled here:
- llvm-mca 14 does not know znver4, znver5, graniterapids or neoverse-v2 and
  models sapphirerapids with the Skylake-server model and the Neoverse cores
  with Cortex-A57's: an unknown CPU falls back along FALLBACK (noted in the
  results) and the scheduling model actually used is reported (`sched_model`).
- llvm-mca >= 18 can skip instructions it does not know
  (--skip-unsupported-instructions); we use it and flag the loop as unsound.
  An older llvm-mca stops at such an instruction: the batch is re-run one
  region at a time so only the offending loop loses its numbers.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

# Newer CPU names -> the closest older one, for an llvm-mca that lacks them.
FALLBACK = {
    "znver5": "znver4", "znver4": "znver3", "znver3": "znver2", "znver2": "znver1",
    "graniterapids": "sapphirerapids", "graniterapids-d": "sapphirerapids",
    "emeraldrapids": "sapphirerapids", "sapphirerapids": "icelake-server",
    "icelake-server": "skylake-avx512", "arrowlake": "alderlake", "meteorlake": "alderlake",
    "lunarlake": "alderlake", "alderlake": "skylake",
    "neoverse-v3": "neoverse-v2", "neoverse-v2": "neoverse-v1", "neoverse-n3": "neoverse-n2",
    "neoverse-n2": "neoverse-n1", "neoverse-v1": "neoverse-n1",
}
# Vector ISA level a CPU can run: 0 SSE only, 1 AVX/AVX2, 2 AVX-512.  A loop that
# needs more than its CPU has gets no numbers (some models would invent them).
X86_LEVEL = {"x86-64": 0, "x86-64-v2": 0, "generic": 0, "x86-64-v3": 1, "haswell": 1,
             "broadwell": 1, "skylake": 1, "alderlake": 1, "znver1": 1, "znver2": 1, "znver3": 1,
             "x86-64-v4": 2, "skylake-avx512": 2, "cascadelake": 2, "cooperlake": 2,
             "icelake-client": 2, "icelake-server": 2, "tigerlake": 2, "sapphirerapids": 2,
             "graniterapids": 2, "znver4": 2, "znver5": 2, "sandybridge": 1, "ivybridge": 1}
DEFAULT_CPUS = {"x86_64": ["host", "skylake", "icelake-server", "znver3", "znver4", "sapphirerapids"],
                "aarch64": ["neoverse-n1", "neoverse-v2"]}
TRIPLE = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}
ITERATIONS = 100
# Above this many bytes per cycle a loop is fed only from L1 (L2 delivers about
# 32 B/cycle on current x86 and Neoverse cores, L3 and DRAM much less).
L1_ONLY_BYTES_PER_CYCLE = 32


class McaError(Exception):
    pass


class Tool:
    """One llvm-mca binary: version, host CPU, known CPUs per target (asked once each)."""

    def __init__(self, requested=None):
        path = None
        for n in ([requested] if requested else ["llvm-mca-19", "llvm-mca"]):
            path = shutil.which(n) or (n if n and os.access(n, os.X_OK) else None)
            if path:
                break
        if not path:
            raise McaError(f"llvm-mca not found ({requested or 'llvm-mca-19, llvm-mca'})")
        self.path = path
        out = self._run(["--version"]).stdout
        m = re.search(r"LLVM version (\d+)\.(\d+)\.(\d+)", out)
        self.version = m.group(0).split()[-1] if m else "unknown"
        self.major = int(m.group(1)) if m else 0
        m = re.search(r"Host CPU:\s*(\S+)", out)
        self.host_cpu = m.group(1) if m else "generic"
        self.can_skip = self.major >= 18
        self._known = {}

    def _run(self, args, stdin="", timeout=120):
        try:
            return subprocess.run([self.path] + args, input=stdin, capture_output=True, text=True,
                                  timeout=timeout)
        except OSError as e:
            raise McaError(f"cannot run {self.path}: {e.strerror}") from None

    def known_cpus(self, arch):
        if arch not in self._known:
            p = self._run([f"-mtriple={TRIPLE[arch]}", "-mcpu=help"], stdin="nop\n")
            text = p.stdout + p.stderr
            section = text.split("Available features")[0]
            self._known[arch] = set(re.findall(r"^\s+([\w.-]+)\s+- Select the", section, re.M))
        return self._known[arch]


def resolve_cpu(tool, arch, name, host_arch=None):
    """CPU name as given (a march value, 'host'/'native', or a CPU) -> what llvm-mca gets.

    Returns {"requested", "mcpu", "mattr", "note"} or {"requested", "mcpu": None, "note": why}.
    """
    host_arch = host_arch or os.uname().machine
    req = name
    mattr, note = [], ""
    if name in ("host", "native"):
        if arch != host_arch:
            return {"requested": req, "mcpu": None,
                    "note": f"'{name}' means this machine ({host_arch}); the build is {arch}"}
        name = tool.host_cpu
        note = f"{req} is {name} as llvm-mca {tool.version} sees this CPU"
    elif arch == "aarch64" and re.match(r"^armv\d", name):
        m = re.match(r"^armv(\d+)(?:\.(\d+))?-a((?:\+[\w-]+)*)$", name)
        if m:
            major, minor = m.group(1), m.group(2) or "0"
            if (major, minor) != ("8", "0"):
                mattr.append(f"+v{major}.{minor}a" if major == "8" else f"+v{major}a")
            mattr += [f for f in m.group(3).split("+") if f]
            mattr = [a if a.startswith("+") else "+" + a for a in mattr]
        note = f"{req} is an architecture, not a CPU: the generic AArch64 model"
        name = "generic"
    known = tool.known_cpus(arch)
    chosen = name
    while chosen not in known and chosen in FALLBACK:
        chosen = FALLBACK[chosen]
    if chosen not in known:
        return {"requested": req, "mcpu": None,
                "note": f"llvm-mca {tool.version} knows no CPU '{name}' (nor an older stand-in)"}
    if chosen != name:
        note = (note + "; " if note else "") + \
            f"llvm-mca {tool.version} does not know {name}: {chosen} stands in"
    return {"requested": req, "mcpu": chosen, "mattr": mattr, "note": note}


def sched_model(resources):
    """'Zn3', 'SKX', 'A57', ... : the prefix the model's resource names share."""
    names = [r for r in resources if r]
    if not names:
        return ""
    prefix = os.path.commonprefix(names)
    prefix = re.sub(r"(Unit|Port|Divider|FPDivider)\w*$", "", prefix)
    return re.sub(r"\d*$", "", prefix) if not re.search(r"\d", prefix[-1:]) else prefix


# Scheduling models llvm-mca borrows from an older core when it has none of a CPU's own.
BORROWED = {"A57": {"cortex-a57", "cortex-a72", "cortex-a73"},
            "SKX": {"skylake-avx512", "cascadelake", "cooperlake", "x86-64-v4"},
            "SB": {"sandybridge", "ivybridge", "x86-64", "x86-64-v2", "generic"},
            "HW": {"haswell", "x86-64-v3"}, "SKL": {"skylake", "skylake-client"}}


def model_note(tool, mcpu, model):
    """A note when llvm-mca models mcpu with another core's scheduling model."""
    if mcpu and model in BORROWED and mcpu not in BORROWED[model]:
        return f"llvm-mca {tool.version} models {mcpu} with the {model} scheduling model"
    return ""


def clean_resource(name):
    return re.sub(r"\.([\x00-\x1f])", lambda m: "." + str(ord(m.group(1))), name)


LOCAL_LABEL_RE = re.compile(r"(\.L_[0-9A-Za-z_]+)")


def region_lines(fn, ranges, tag=""):
    """A loop's lines; with a tag, its local labels renamed so that regions of
    several functions can share one llvm-mca input."""
    lines = [line for a, b in ranges for line in fn.lines[a - 1:b]]
    if tag:
        lines = [LOCAL_LABEL_RE.sub(rf"\1_{tag}", line) for line in lines]
    return lines


def marked_text_multi(pieces, arch, syntax):
    """llvm-mca input for [(name, lines)] regions.  Labels outside a region
    stay undefined, which llvm-mca accepts; code outside the markers would be
    ignored anyway."""
    out = []
    if syntax == "intel" and arch == "x86_64":
        out.append("\t.intel_syntax noprefix")
    for name, lines in pieces:
        out.append(f"# LLVM-MCA-BEGIN {name}")
        out.extend(lines)
        out.append(f"# LLVM-MCA-END {name}")
    return "\n".join(out) + "\n"


def marked_text(fn, regions, arch):
    """llvm-mca input: for each (name, [[first, last] line ranges]) the loop's lines of fn."""
    return marked_text_multi([(name, region_lines(fn, ranges)) for name, ranges in regions], arch,
                             fn.syntax)


def region_isa_level(insns):
    level = 0
    for ins in insns:
        ops = " ".join(ins.ops)
        if "zmm" in ops or re.search(r"\b%?k[1-7]\b", ops) or re.search(r"[xy]mm(1[6-9]|2\d|3[01])\b", ops):
            return 2
        if "%ymm" in ops or "ymm" in ops or ins.base.startswith("v"):
            level = 1
    return level


def static_flags(fn, loop, arch, mcpu):
    """Reasons a loop's prediction is likely unsound that need no llvm-mca run."""
    unsound, notes = [], []
    region = loop.region(fn)
    calls = [i for i in region if i.kind in ("call", "icall") or
             (i.kind in ("jump", "cjump") and i.target is not None and not i.local)]
    if calls:
        unsound.append(f"call inside the loop ({calls[0].text.split()[-1]}): llvm-mca assumes a "
                       "fixed latency and does not see the callee")
    if any(i.kind == "ret" for i in region):
        unsound.append("return inside the loop")
    if any(i.text.startswith("<unknown>") or i.base in (".byte", "(bad)") for i in region):
        unsound.append("undecodable bytes inside the loop")
    # branches that stay inside the loop without closing it: an if/else in the body
    member_addrs = {fn.insns[i].addr for i in loop.members}
    latches = {fn.insns[i].addr for i in loop.back_edges}
    inner = [i for i in region if i.kind in ("cjump", "jump") and i.local and i.addr not in latches
             and i.target in member_addrs
             and i.target not in (fn.insns[loop.header].addr, region[0].addr)]
    inner += [i for i in region if i.kind == "ijump"]
    if inner:
        notes.append(f"{len(inner)} branch(es) inside the loop body: llvm-mca runs every "
                     "instruction of the region each iteration, taken or not")
    if not loop.contiguous:
        notes.append("the loop's blocks are not contiguous: llvm-mca gets them in layout order "
                     f"(lines {', '.join(f'{a}-{b}' for a, b in loop.ranges(fn))})")
    if loop.left_out(fn):
        notes.append(f"{loop.left_out(fn)} instruction(s) of the loop in another part of the "
                     "function (.cold) are left out")
    chase = pointer_chase(region, arch, fn.syntax)
    if chase:
        unsound.append(f"pointer chasing ({chase}): each iteration waits for a load, and llvm-mca "
                       "assumes it hits L1")
    if arch == "x86_64" and mcpu in X86_LEVEL:
        need = region_isa_level(region)
        if need > X86_LEVEL[mcpu]:
            isa = "AVX-512" if need == 2 else "AVX"
            return unsound + [f"needs {isa}, which {mcpu} does not have"], notes, True
    return unsound, notes, False


def pointer_chase(region, arch, syntax):
    """A load whose result is its own next address: its destination is its address base
    and nothing else in the loop writes that register.  '' when there is none."""
    from . import insn as insnmod
    cls = insnmod.Classifier(arch, syntax)

    def canon(reg):
        if reg and arch == "aarch64" and reg[0] in "xw":
            return "x" + reg[1:]
        return reg

    def written(ins):
        if ins.kind or not ins.ops or ins.base.startswith(("cmp", "test", "push", "st", "tst", "cmn")):
            return None
        return ins.ops[0] if arch == "aarch64" or syntax == "intel" else ins.ops[-1]

    for ins in region:
        ld, _st = cls.memory(ins.base, ins.ops)
        if not ld or len(ins.ops) < 2 or ins.kind:
            continue
        if arch == "aarch64":
            dest, mem = ins.ops[0], next((o for o in ins.ops if o.startswith("[")), "")
            m = re.match(r"^\[x(\d+)", mem)
            chased = m and dest[0] in "xw" and dest[1:] == m.group(1)
        elif syntax == "att":
            dest, mem = ins.ops[-1], ins.ops[0]
            m = re.search(r"\((%\w+)", mem)
            chased = m and dest.startswith("%r") and m.group(1) == dest and ins.base.startswith("mov")
        else:
            chased = False
        if chased and all(o is ins or canon(written(o)) != canon(dest) for o in region):
            return ins.text
    return ""


def memory_bytes(region, arch, syntax):
    """Bytes the region loads and stores per iteration (estimate, see insn.access_bytes)."""
    from . import insn as insnmod
    cls = insnmod.Classifier(arch, syntax)
    total = 0
    for ins in region:
        ld, st = cls.memory(ins.base, ins.ops)
        if ld or st:
            total += (ld + st) * insnmod.access_bytes(arch, ins.base, ins.ops)
    return total


def _parse_regions(doc):
    out = {}
    res_names = [clean_resource(r) for r in doc.get("TargetInfo", {}).get("Resources", [])]
    for reg in doc.get("CodeRegions", []):
        sv = reg.get("SummaryView", {})
        pressure = {}
        entries = reg.get("ResourcePressureView", {}).get("ResourcePressureInfo", [])
        # the entries indexed one past the last instruction are the per-iteration totals
        total_row = len(reg.get("Instructions", []))
        if any(e.get("InstructionIndex") == total_row for e in entries):
            entries = [e for e in entries if e.get("InstructionIndex") == total_row]
        for e in entries:
            k = e.get("ResourceIndex")
            pressure[k] = pressure.get(k, 0.0) + float(e.get("ResourceUsage", 0))
        top = sorted(((v, k) for k, v in pressure.items() if v > 0), reverse=True)[:3]
        info = reg.get("InstructionInfoView", {}).get("InstructionList", [])
        iters = sv.get("Iterations") or ITERATIONS
        out[reg.get("Name", "")] = {
            "block_rthroughput": sv.get("BlockRThroughput"),
            "cycles_per_iteration": round(sv["TotalCycles"] / iters, 3) if sv.get("TotalCycles") else None,
            "ipc": _round(sv.get("IPC")),
            "uops_per_cycle": _round(sv.get("uOpsPerCycle")),
            "dispatch_width": sv.get("DispatchWidth"),
            "pressure": [{"resource": res_names[k] if k < len(res_names) else str(k),
                          "cycles": round(v, 2)} for v, k in top],
            "_instructions": len(info),
            "_memory": sum(1 for i in info if i.get("mayLoad") or i.get("mayStore")),
            "_side_effects": sum(1 for i in info if i.get("hasUnmodeledSideEffects")),
        }
    return out, sched_model(res_names)


def _round(v):
    return round(v, 3) if isinstance(v, (int, float)) else None


def _invoke(tool, arch, cpu, text):
    args = [f"-mtriple={TRIPLE[arch]}", f"-mcpu={cpu['mcpu']}", "--json", f"--iterations={ITERATIONS}"]
    if cpu.get("mattr"):
        args.append("-mattr=" + ",".join(cpu["mattr"]))
    if tool.can_skip:
        args.append("--skip-unsupported-instructions=any")
    with tempfile.NamedTemporaryFile("w", suffix=".s", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        p = tool._run(args + [path])
    finally:
        os.unlink(path)
    doc = None
    if p.returncode == 0:
        start = p.stdout.find("{")
        try:
            doc = json.loads(p.stdout[start:]) if start >= 0 else None
        except json.JSONDecodeError:
            doc = None
    skipped = re.findall(r"note: instruction:\s*(.+)", p.stderr) if tool.can_skip else []
    errors = [ln.strip() for ln in p.stderr.splitlines() if "error" in ln]
    notes = [ln.strip() for ln in p.stderr.splitlines() if ln.startswith("note: instruction")]
    return doc, skipped, (errors + notes)[:3]


class RegionCache:
    """llvm-mca results per (llvm-mca, CPU, region text), in a directory of small
    JSON files written atomically (several sweeps may share it)."""

    def __init__(self, directory):
        self.dir = directory

    @classmethod
    def from_env(cls):
        d = os.environ.get("FLAGBENCH_MCA_CACHE")
        return cls(d) if d else None

    def key(self, tool, arch, cpu, lines):
        h = hashlib.sha256()
        for part in (tool.path, tool.version, str(tool.can_skip), arch, cpu["mcpu"],
                     ",".join(cpu.get("mattr") or []), "\n".join(lines)):
            h.update(part.encode() + b"\0")
        return h.hexdigest()

    def get(self, key):
        try:
            with open(os.path.join(self.dir, key[:2], key + ".json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def put(self, key, value):
        d = os.path.join(self.dir, key[:2])
        os.makedirs(d, exist_ok=True)
        tmp = os.path.join(d, f".{key}.{os.getpid()}.tmp")
        with open(tmp, "w") as f:
            json.dump(value, f)
        os.replace(tmp, os.path.join(d, key + ".json"))


def _skipped_in(skipped, lines):
    """The skipped-instruction notes that belong to a region's own lines."""
    flat = {" ".join(line.split()) for line in lines}
    return [x for x in skipped if " ".join(x.split()) in flat]


def _run_regions(tool, arch, cpu, regions, syntax, cache):
    """{name: (parsed region or None, skipped notes, errors)} and the scheduling
    model, for regions [(name, lines)]: cached ones from the cache, the others
    in one llvm-mca run (one at a time if that run fails: an old llvm-mca stops
    at the first instruction it does not know)."""
    results, model = {}, ""
    todo = []
    for name, lines in regions:
        hit = cache.get(cache.key(tool, arch, cpu, lines)) if cache else None
        if hit is not None:
            results[name] = (hit["parsed"], hit["skipped"], hit["errors"])
            model = model or hit["model"]
        else:
            todo.append((name, lines))

    def store(name, lines, parsed, skipped, errors, model_name):
        results[name] = (parsed, skipped, errors)
        if cache and parsed is not None:
            cache.put(cache.key(tool, arch, cpu, lines),
                      {"parsed": parsed, "skipped": skipped, "errors": errors, "model": model_name})

    if todo:
        doc, skipped, errors = _invoke(tool, arch, cpu, marked_text_multi(todo, arch, syntax))
        if doc is not None:
            parsed, model = _parse_regions(doc)
            for name, lines in todo:
                store(name, lines, parsed.get(name), _skipped_in(skipped, lines), [], model)
        elif len(todo) == 1:
            results[todo[0][0]] = (None, [], errors)
        else:
            for name, lines in todo:
                d1, s1, e1 = _invoke(tool, arch, cpu, marked_text_multi([(name, lines)], arch, syntax))
                if d1 is None:
                    results[name] = (None, [], e1)
                    continue
                parsed, model = _parse_regions(d1)
                store(name, lines, parsed.get(name), s1, [], model)
    return results, model


def analyze_functions(tool, items, arch, cpus, jobs=1, cache=None):
    """Runs llvm-mca on the innermost loops of several functions: one run per
    CPU for all of them.

    items: [(key, fn, loops)]; cpus: {key: resolve_cpu(...) result}.  Returns
    {item key: ([{"index", "lines", "instructions", "per_cpu": {cpu key: {...}}}]
    for the function's innermost loops in text order, {cpu key: sched_model})}.
    """
    prepared = []  # (item key, fn, inner loops, results)
    for key, fn, loops in items:
        inner = [lp for lp in loops if lp.innermost]
        results = []
        for n, lp in enumerate(inner, 1):
            results.append({"index": n, "lines": [lp.start_line, lp.end_line],
                            "instructions": len(lp.region(fn)), "per_cpu": {}})
            if not lp.contiguous:
                results[-1]["line_ranges"] = lp.ranges(fn)
        prepared.append((key, fn, inner, results))
    out = {key: (results, {}) for key, _fn, _inner, results in prepared}
    if not any(inner for _k, _f, inner, _r in prepared):
        return out
    syntax = prepared[0][1].syntax
    unique = {}
    for key, cpu in cpus.items():
        if cpu.get("mcpu"):
            unique.setdefault((cpu["mcpu"], tuple(cpu.get("mattr") or [])), []).append(key)

    def run_cpu(item):
        (mcpu, mattr), keys = item
        cpu = cpus[keys[0]]
        per_loop, regions = {}, []
        for f, (_key, fn, inner, _results) in enumerate(prepared):
            for n, lp in enumerate(inner, 1):
                unsound, notes, skip = static_flags(fn, lp, arch, mcpu)
                per_loop[(f, n)] = {"mcpu": mcpu, "unsound": unsound, "notes": notes, "skip": skip}
                if not skip:
                    tag = f"f{f}l{n}"
                    regions.append((tag, region_lines(fn, lp.ranges(fn), tag), f, n))
        got, model = _run_regions(tool, arch, cpu, [r[:2] for r in regions], syntax, cache) \
            if regions else ({}, "")
        for tag, _lines, f, n in regions:
            r, skipped, errors = got.get(tag, (None, [], []))
            entry = per_loop[(f, n)]
            if r is None:
                entry["unsound"].append("llvm-mca could not analyse the loop: " +
                                        " ".join(" ".join(errors).split()))
                continue
            r = dict(r)
            fn, inner = prepared[f][1], prepared[f][2]
            ours = len(inner[n - 1].region(fn))
            partial = r["_instructions"] < ours
            if partial:
                entry["unsound"].append(
                    "llvm-mca skipped instruction(s) it does not know: " +
                    "; ".join(" ".join(x.split()) for x in skipped[:3]) if skipped else
                    f"llvm-mca saw {r['_instructions']} of {ours} instructions")
            nbytes = memory_bytes(inner[n - 1].region(fn), arch, fn.syntax)
            cpi = r.get("cycles_per_iteration")
            r["bytes_per_iteration"] = nbytes
            r["bytes_per_cycle"] = round(nbytes / cpi, 2) if cpi else None
            if cpi and nbytes / cpi > L1_ONLY_BYTES_PER_CYCLE and not partial:
                entry["unsound"].append(
                    f"memory-dominated: needs {nbytes / cpi:.0f} B/cycle at the predicted rate "
                    f"({r['_memory']} of {r['_instructions']} instructions access memory); only "
                    "an L1-resident working set sustains that (llvm-mca assumes L1 hits)")
            if r["_side_effects"]:
                entry["unsound"].append(
                    f"{r['_side_effects']} instruction(s) with effects llvm-mca does not model "
                    "(locked, fences, serializing)")
            entry.update({k: v for k, v in r.items() if not k.startswith("_")})
        return keys, per_loop, model

    items_by_cpu = list(unique.items())
    if jobs > 1 and len(items_by_cpu) > 1:
        with ThreadPoolExecutor(max_workers=jobs) as ex:
            outs = list(ex.map(run_cpu, items_by_cpu))
    else:
        outs = [run_cpu(i) for i in items_by_cpu]
    for keys, per_loop, model in outs:
        for cpu_key in keys:
            for (f, n), r in per_loop.items():
                entry = {k: v for k, v in r.items() if k != "skip"}
                for k in ("block_rthroughput", "cycles_per_iteration", "ipc", "uops_per_cycle",
                          "dispatch_width"):
                    entry.setdefault(k, None)
                entry.setdefault("pressure", [])
                prepared[f][3][n - 1]["per_cpu"][cpu_key] = entry
            for key, _fn, _inner, _results in prepared:
                out[key][1][cpu_key] = model
    for cpu_key, cpu in cpus.items():
        if not cpu.get("mcpu"):
            for _key, _fn, _inner, results in prepared:
                for r in results:
                    r["per_cpu"][cpu_key] = {"mcpu": None, "unsound": [cpu["note"]], "notes": [],
                                             "block_rthroughput": None, "cycles_per_iteration": None,
                                             "ipc": None, "uops_per_cycle": None,
                                             "dispatch_width": None, "pressure": []}
    return out


def analyze_function(tool, fn, loops, arch, cpus, jobs=1, cache=None):
    """analyze_functions for one function: (results, {cpu key: sched_model})."""
    return analyze_functions(tool, [(None, fn, loops)], arch, cpus, jobs, cache)[None]
