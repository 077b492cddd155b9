"""CPU names for llvm-mca: what a requested name becomes for the llvm-mca at hand.

llvm-mca 14 does not know znver4, znver5, graniterapids or neoverse-v2 and
models sapphirerapids with the Skylake-server model and the Neoverse cores
with Cortex-A57's: an unknown CPU falls back along FALLBACK (noted in the
results), and a model borrowed from another core is noted (model_note).
"""
import os
import re

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
# Scheduling models llvm-mca borrows from an older core when it has none of a CPU's own.
BORROWED = {"A57": {"cortex-a57", "cortex-a72", "cortex-a73"},
            "SKX": {"skylake-avx512", "cascadelake", "cooperlake", "x86-64-v4"},
            "SB": {"sandybridge", "ivybridge", "x86-64", "x86-64-v2", "generic"},
            "HW": {"haswell", "x86-64-v3"}, "SKL": {"skylake", "skylake-client"}}


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


def model_note(tool, mcpu, model):
    """A note when llvm-mca models mcpu with another core's scheduling model."""
    if mcpu and model in BORROWED and mcpu not in BORROWED[model]:
        return f"llvm-mca {tool.version} models {mcpu} with the {model} scheduling model"
    return ""
