"""The sweep's assembly step: flagbench.asm.analyze on one kernel binary."""
from __future__ import annotations

from pathlib import Path

from . import paths, procs

ANALYZE_TIMEOUT = 900


def analyze(exe: Path, kernel: str, variants: list, arch: str, march: str,
            mca_cpus: list, out_dir: Path, mca_cache: Path | None = None,
            jobs: int = 1, roots: dict | None = None, layout_binaries: dict | None = None) -> str | None:
    """Writes asm/<variant>.s and .json under out_dir.  Returns an error or None.
    mca_cache: a directory of llvm-mca results by region text, shared by the
    configurations of a sweep (identical loops recur across them).
    roots: variant -> symbols it dispatched to at run time (part of its code).
    layout_binaries: seed -> the binary linked for that layout seed (their
    addresses are recorded and their code proven the same)."""
    cmd = paths.module_command("flagbench.asm.analyze", "--binary", str(exe),
                               "--kernel", kernel, "--variants", ",".join(variants), "--arch", arch,
           "--target-cpu", march, "--out", str(out_dir), "--jobs", str(jobs))
    for variant, syms in (roots or {}).items():
        if syms:
            cmd += ["--roots", f"{variant}={','.join(syms)}"]
    for seed, path in sorted((layout_binaries or {}).items()):
        cmd += ["--layout-binary", f"{seed}={path}"]
    if mca_cpus:
        cmd += ["--mca-cpus", ",".join(mca_cpus)]
    else:
        cmd += ["--no-mca"]
    env = paths.module_env()
    if mca_cache:
        env["FLAGBENCH_MCA_CACHE"] = str(mca_cache)
    r = procs.run(cmd, timeout=ANALYZE_TIMEOUT, env=env)
    if r.returncode != 0:
        lines = (r.stderr or "").strip().splitlines()
        return f"{procs.describe_exit(r.returncode)}: {lines[-1] if lines else ''}"
    return None
