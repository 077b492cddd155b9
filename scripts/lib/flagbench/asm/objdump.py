"""The disassembler: which one, and one run of it over one or several files.

llvm-objdump when installed (it can disassemble only the functions asked
for), else GNU objdump.  A run over several files costs one process start,
which on a VM costs more than disassembling a few functions.
"""
import os
import re
import shutil
import subprocess


class DisasmError(Exception):
    pass


def find_objdump(requested, arch):
    """The disassembler to use: the requested one, else llvm-objdump-19, llvm-objdump,
    then the GNU objdump for the architecture."""
    if requested:
        path = shutil.which(requested) or (requested if os.access(requested, os.X_OK) else None)
        if not path:
            raise DisasmError(f"objdump '{requested}' not found")
        return path
    names = ["llvm-objdump-19", "llvm-objdump"]
    names += ["aarch64-linux-gnu-objdump"] if arch == "aarch64" else ["objdump"]
    for n in names:
        path = shutil.which(n)
        if path:
            return path
    raise DisasmError("no disassembler found (install llvm or binutils)")


_LLVM_CACHE = {}


def is_llvm_objdump(path):
    if path not in _LLVM_CACHE:
        base = os.path.basename(path)
        if "llvm" in base:
            _LLVM_CACHE[path] = True
        else:
            try:
                out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30).stdout
            except OSError:
                out = ""
            _LLVM_CACHE[path] = "LLVM" in out
    return _LLVM_CACHE[path]


LINE_RE = re.compile(r"^\s*([0-9a-f]+):\s*(.*)$")


def run_objdump(objdump, arch, syntax, extra, paths):
    """{path: (addresses, instruction texts)} from one disassembler run over
    several files (a process start costs more than a few functions' disassembly)."""
    cmd = [objdump, "-d", "--no-show-raw-insn"] + extra
    if is_llvm_objdump(objdump):
        cmd.append("--print-imm-hex")
    if syntax == "intel" and arch == "x86_64":
        cmd += ["-M", "intel"]
    cmd += list(paths)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except OSError as e:
        raise DisasmError(f"cannot run {objdump}: {e.strerror}") from None
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["no message"])[-1]
        raise DisasmError(f"{os.path.basename(objdump)} failed on {' '.join(paths)}: {msg}")
    headers = {f"{path}:": path for path in paths}
    out = {path: ([], []) for path in paths}
    addrs, texts = out[paths[0]]
    for line in p.stdout.splitlines():
        m = LINE_RE.match(line)
        if m and m.group(2):
            addrs.append(int(m.group(1), 16))
            texts.append(m.group(2))
        elif len(paths) > 1 and "file format" in line:  # "<path>:\tfile format elf64-x86-64"
            path = headers.get(line[:line.rindex("file format")].strip())
            if path is None:
                raise DisasmError(f"{os.path.basename(objdump)}: unexpected file header {line!r}")
            addrs, texts = out[path]
    for path, (addrs, texts) in out.items():
        if any(a > b for a, b in zip(addrs, addrs[1:])):
            order = sorted(range(len(addrs)), key=addrs.__getitem__)
            out[path] = ([addrs[i] for i in order], [texts[i] for i in order])
    return out
