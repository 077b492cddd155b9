#!/usr/bin/env python3
"""Records the profile fixture the mapping test reads (run by hand; the test
never runs perf):

  python3 tests/why/record_fixture.py BUILD_DIR memory/init fill

writes tests/why/fixtures/<family>_<name>.<variant>.{perf-script.txt,lines.json,s,asm.json}:
the `perf script` text of one perf record run (samples outside the hot
function's binary trimmed to a few hundred, so the file stays small), the hot
function's offset -> line table, its normalized assembly and its asm JSON
(loops and llvm-mca on the host model)."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
from flagbench import paths  # noqa: E402
from flagbench.asm import disasm  # noqa: E402
from flagbench.why import counters, perfscript, profile  # noqa: E402


def main():
    build, kernel, variant = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    exe = build / "bin" / kernel.replace("/", "_")
    stem = HERE / "fixtures" / f"{kernel.replace('/', '_')}.{variant}"
    with tempfile.TemporaryDirectory() as tmp:
        data = f"{tmp}/perf.data"
        ok, why = profile.record([str(exe), "--variant", variant, "--size", "ref"], data,
                                 counters.event()["event"])
        if not ok:
            raise SystemExit(why)
        text = profile.script(data)
        subprocess.run([*paths.module_command("flagbench.asm.analyze"), "--binary", str(exe),
                        "--kernel", kernel, "--variants", variant, "--arch", "x86_64", "--target-cpu",
                        "x86-64", "--mca-cpus", "host", "--out", tmp], check=True, capture_output=True,
                       env=paths.module_env())
        asm_doc = json.loads(Path(f"{tmp}/{variant}.json").read_text())
        asm_text = Path(f"{tmp}/{variant}.s").read_text()
    # Keep every sample whose leaf is in the kernel's binary and 100 others;
    # stacks cut to 8 frames.
    keep, kept_other = [], 0
    for b in text.split("\n\n"):
        lines = [ln for ln in b.split("\n") if ln.strip()]
        if len(lines) < 2:
            continue
        mine = lines[1].rstrip().endswith(f"/{exe.name})")
        if mine or kept_other < 100:
            keep.append("\n".join(lines[:9]))
            kept_other += not mine
    name = kernel.split("/")[-1] + "_" + variant
    table, fn, _ = profile.line_table(disasm.Binary(str(exe)), name)[0]
    lines = {}
    for (sym, off), line in table.items():
        lines.setdefault(sym, {})[str(off)] = line
    stem.with_suffix(stem.suffix + ".perf-script.txt").write_text("\n\n".join(keep) + "\n")
    stem.with_suffix(stem.suffix + ".lines.json").write_text(json.dumps(lines, sort_keys=True) + "\n")
    stem.with_suffix(stem.suffix + ".s").write_text(asm_text)
    for k in ("binary", "objdump"):
        asm_doc.pop(k, None)
    stem.with_suffix(stem.suffix + ".asm.json").write_text(json.dumps(asm_doc, indent=1) + "\n")
    print(f"{len(perfscript.parse(text))} samples recorded, {len(keep)} kept")


if __name__ == "__main__":
    main()
