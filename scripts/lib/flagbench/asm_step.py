"""The sweep's assembly step: flagbench.asm.analyze on kernel binaries, several
per process (--batch), so that llvm-mca runs once per CPU for all of them."""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import paths, procs

# A backstop only: llvm-mca and objdump runs have their own timeouts.
TIMEOUT_S, PER_KERNEL_S = 600, 60


@dataclass
class Binary:
    """One kernel binary of a configuration and where its analysis goes."""
    exe: Path
    kernel: str
    variants: list
    out_dir: Path
    roots: dict = field(default_factory=dict)            # variant -> symbols it dispatched to at run time
    layout_binaries: dict = field(default_factory=dict)  # seed -> the binary linked for that layout seed

    def batch_entry(self) -> dict:
        """This binary's entry in analyze --batch's JSON list."""
        return {"binary": str(self.exe), "kernel": self.kernel, "variants": self.variants,
                "out": str(self.out_dir), "roots": {v: s for v, s in self.roots.items() if s},
                "layout_binaries": {str(k): str(p) for k, p in sorted(self.layout_binaries.items())}}


def analyze(binaries: list, arch: str, march: str, mca_cpus: list, mca_cache: Path | None = None) -> dict:
    """Writes asm/<variant>.s and .json under each binary's out_dir; returns
    {kernel: error or None}.  The binaries share arch and march (one
    configuration).  mca_cache: a directory of llvm-mca results by region text,
    shared by the configurations of a sweep (identical loops recur across them).
    A batch whose process dies without its report is analysed again one binary
    per process, so a binary that kills the analysis costs only itself."""
    with tempfile.TemporaryDirectory(prefix="flagbench-asm-") as tmp:
        batch_file = Path(tmp) / "batch.json"
        batch_file.write_text(json.dumps([b.batch_entry() for b in binaries]))
        r = _run(batch_file, arch, march, mca_cpus, mca_cache, len(binaries))
    try:
        said = {e["kernel"]: e["error"] for e in json.loads(r.stdout.strip().splitlines()[-1])}
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        if len(binaries) > 1:
            out = {}
            for b in binaries:
                out.update(analyze([b], arch, march, mca_cpus, mca_cache))
            return out
        lines = (r.stderr or "").strip().splitlines()
        return {binaries[0].kernel: f"{procs.describe_exit(r.returncode)}: {lines[-1] if lines else ''}"}
    return {b.kernel: said.get(b.kernel, "the analysis did not report this kernel") for b in binaries}


def _run(batch_file, arch, march, mca_cpus, mca_cache, count):
    cmd = paths.module_command("flagbench.asm.analyze", "--batch", str(batch_file), "--arch", arch,
                               "--target-cpu", march, "--quiet")
    cmd += ["--mca-cpus", ",".join(mca_cpus)] if mca_cpus else ["--no-mca"]
    env = paths.module_env()
    if mca_cache:
        env["FLAGBENCH_MCA_CACHE"] = str(mca_cache)
    return procs.run(cmd, timeout=TIMEOUT_S + PER_KERNEL_S * count, env=env)
