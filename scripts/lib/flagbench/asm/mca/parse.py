"""llvm-mca's JSON document -> per-region numbers and the scheduling model used."""
import os
import re

from .tool import ITERATIONS


def clean_resource(name):
    """A resource name with its control-character suffix (".\\x01") as a number (".1")."""
    return re.sub(r"\.([\x00-\x1f])", lambda m: "." + str(ord(m.group(1))), name)


def sched_model(resources):
    """'Zn3', 'SKX', 'A57', ... : the prefix the model's resource names share."""
    names = [r for r in resources if r]
    if not names:
        return ""
    prefix = os.path.commonprefix(names)
    prefix = re.sub(r"(Unit|Port|Divider|FPDivider)\w*$", "", prefix)
    return re.sub(r"\d*$", "", prefix) if not re.search(r"\d", prefix[-1:]) else prefix


def parse_regions(doc):
    """({region name: numbers}, sched_model).  Keys starting with "_" are counts
    for the soundness checks, not results."""
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
