"""The shared libraries a binary loads, found the way the dynamic loader finds them,
each with an identity: real path, size and sha256 of the file.

Search order (ld.so(8)): DT_RPATH when there is no DT_RUNPATH, LD_LIBRARY_PATH,
DT_RUNPATH, the ld.so cache (`ldconfig -p`, native binaries only), then the
default directories of the binary's architecture (for an AArch64 binary on
x86-64 also the cross sysroot qemu is pointed at, /usr/aarch64-linux-gnu/lib).
A candidate counts only when it is an ELF file of the binary's machine.  The
libraries' own DT_NEEDED are followed too (libm needs libc): everything loaded.
A library not found is listed with "path": null: it cannot look the same as
one that was found.  File hashes are cached per (real path, size, mtime).
"""
import hashlib
import os
import shutil
import subprocess

from . import elf as elfmod

DEFAULT_DIRS = {
    "x86_64": ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
               "/lib", "/usr/lib"],
    "aarch64": ["/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/aarch64-linux-gnu/lib",
                "/lib64", "/usr/lib64", "/lib", "/usr/lib"],
}
LDCONFIG_ARCH = {"x86_64": "x86-64", "aarch64": "AArch64"}

_hash_cache = {}
_machine_cache = {}
_ldcache = None
_needed_cache = {}


def file_identity(path):
    """{realpath, size, sha256} of a file (cached per real path, size and mtime)."""
    real = os.path.realpath(path)
    st = os.stat(real)
    key = (real, st.st_size, st.st_mtime_ns)
    if key not in _hash_cache:
        h = hashlib.sha256()
        with open(real, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        _hash_cache[key] = h.hexdigest()
    return {"realpath": real, "size": st.st_size, "sha256": _hash_cache[key]}


def _machine(path):
    if path not in _machine_cache:
        try:
            with open(path, "rb") as f:
                head = f.read(20)
            ok = head[:4] == b"\x7fELF" and len(head) == 20
            m = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big") if ok else None
            _machine_cache[path] = elfmod.MACHINES.get(m) if ok else None
        except OSError:
            _machine_cache[path] = None
    return _machine_cache[path]


def _ld_cache(arch):
    """soname -> path from `ldconfig -p` for the host's architecture."""
    global _ldcache
    if _ldcache is None:
        _ldcache = {}
        tool = shutil.which("ldconfig") or ("/sbin/ldconfig" if os.access("/sbin/ldconfig", os.X_OK) else None)
        if tool:
            try:
                out = subprocess.run([tool, "-p"], capture_output=True, text=True, timeout=30).stdout
            except (OSError, subprocess.TimeoutExpired):
                out = ""
            for line in out.splitlines()[1:]:
                name, _, path = line.strip().partition(" => ")
                soname, _, tags = name.partition(" (")
                for a, tag in LDCONFIG_ARCH.items():
                    if tag in tags:
                        _ldcache.setdefault((a, soname.strip()), path.strip())
    return {k[1]: v for k, v in _ldcache.items() if k[0] == arch}


def _expand(d, origin):
    return d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)


def find_library(soname, arch, origin, rpath=(), runpath=(), env=None):
    """The path the dynamic loader would load for soname, or None."""
    env = os.environ if env is None else env
    if "/" in soname:
        return soname if _machine(soname) == arch else None
    dirs = [] if runpath else [_expand(d, origin) for d in rpath]
    dirs += [d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d]
    dirs += [_expand(d, origin) for d in runpath]
    for d in dirs:
        p = os.path.join(d, soname)
        if os.path.isfile(p) and _machine(p) == arch:
            return p
    if arch == os.uname().machine:
        p = _ld_cache(arch).get(soname)
        if p and os.path.isfile(p) and _machine(p) == arch:
            return p
    for d in DEFAULT_DIRS.get(arch, []):
        p = os.path.join(d, soname)
        if os.path.isfile(p) and _machine(p) == arch:
            return p
    return None


def libraries(elf, env=None):
    """[{soname, path, realpath, size, sha256, needed_by}] of everything the binary loads,
    breadth first from its DT_NEEDED, then the program interpreter (soname "interp")."""
    out, seen = [], set()
    queue = [(n, os.path.basename(elf.path), elf) for n in elf.needed]
    while queue:
        soname, by, parent = queue.pop(0)
        if soname in seen:
            continue
        seen.add(soname)
        path = find_library(soname, elf.arch, os.path.dirname(os.path.abspath(parent.path)),
                            parent.rpath, parent.runpath, env)
        rec = {"soname": soname, "path": path, "needed_by": by}
        if path is None:
            rec["why"] = "not found by the loader's search order"
        else:
            rec.update(file_identity(path))
            try:
                if rec["realpath"] not in _needed_cache:
                    _needed_cache[rec["realpath"]] = elfmod.read_elf(path)
                lib = _needed_cache[rec["realpath"]]
                queue += [(n, soname, lib) for n in lib.needed]
            except elfmod.ElfError as e:
                rec["why"] = str(e)
        out.append(rec)
    if elf.interp:
        rec = {"soname": "interp", "path": elf.interp, "needed_by": os.path.basename(elf.path)}
        if os.path.exists(elf.interp):
            rec.update(file_identity(elf.interp))
        else:  # a foreign binary: the loader lives in its sysroot, if at all
            cross = os.path.join(f"/usr/{elf.arch}-linux-gnu", elf.interp.lstrip("/"))
            if os.path.exists(cross):
                rec.update(file_identity(cross))
            else:
                rec["why"] = "interpreter not on this machine"
        out.append(rec)
    return out
