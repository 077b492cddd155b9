"""Reasons a loop's llvm-mca prediction is likely unsound: some seen in the code
before any run (static_flags), some in llvm-mca's results (result_flags)."""
import re

from .. import insn as insnmod
from .cpus import X86_LEVEL

# Above this many bytes per cycle a loop is fed only from L1 (L2 delivers about
# 32 B/cycle on current x86 and Neoverse cores, L3 and DRAM much less).
L1_ONLY_BYTES_PER_CYCLE = 32


def region_isa_level(insns):
    """The vector ISA level (as in X86_LEVEL) the instructions need."""
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
    cls = insnmod.Classifier(arch, syntax)
    total = 0
    for ins in region:
        ld, st = cls.memory(ins.base, ins.ops)
        if ld or st:
            total += (ld + st) * insnmod.access_bytes(arch, ins.base, ins.ops)
    return total


def result_flags(r, region, arch, syntax, skipped):
    """Reasons in llvm-mca's numbers r for a loop's instructions (region) to doubt
    them, and the loop's memory traffic {"bytes_per_iteration", "bytes_per_cycle"}."""
    unsound = []
    ours = len(region)
    partial = r["_instructions"] < ours
    if partial:
        unsound.append(
            "llvm-mca skipped instruction(s) it does not know: " +
            "; ".join(" ".join(x.split()) for x in skipped[:3]) if skipped else
            f"llvm-mca saw {r['_instructions']} of {ours} instructions")
    nbytes = memory_bytes(region, arch, syntax)
    cpi = r.get("cycles_per_iteration")
    if cpi and nbytes / cpi > L1_ONLY_BYTES_PER_CYCLE and not partial:
        unsound.append(
            f"memory-dominated: needs {nbytes / cpi:.0f} B/cycle at the predicted rate "
            f"({r['_memory']} of {r['_instructions']} instructions access memory); only "
            "an L1-resident working set sustains that (llvm-mca assumes L1 hits)")
    if r["_side_effects"]:
        unsound.append(
            f"{r['_side_effects']} instruction(s) with effects llvm-mca does not model "
            "(locked, fences, serializing)")
    return unsound, {"bytes_per_iteration": nbytes,
                     "bytes_per_cycle": round(nbytes / cpi, 2) if cpi else None}
