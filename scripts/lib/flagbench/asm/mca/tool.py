"""One llvm-mca binary and one run of it on a marked text.

llvm-mca >= 18 can skip instructions it does not know
(--skip-unsupported-instructions): we use it, and report what it skipped so
the loop can be flagged as unsound.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

TRIPLE = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}
ITERATIONS = 100


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

    def invoke(self, arch, cpu, text):
        """llvm-mca's JSON document for a marked text (None when it failed), the
        instructions it skipped, and its first error lines."""
        args = [f"-mtriple={TRIPLE[arch]}", f"-mcpu={cpu['mcpu']}", "--json",
                f"--iterations={ITERATIONS}"]
        if cpu.get("mattr"):
            args.append("-mattr=" + ",".join(cpu["mattr"]))
        if self.can_skip:
            args.append("--skip-unsupported-instructions=any")
        with tempfile.NamedTemporaryFile("w", suffix=".s", delete=False) as f:
            f.write(text)
            path = f.name
        try:
            p = self._run(args + [path])
        finally:
            os.unlink(path)
        doc = None
        if p.returncode == 0:
            start = p.stdout.find("{")
            try:
                doc = json.loads(p.stdout[start:]) if start >= 0 else None
            except json.JSONDecodeError:
                doc = None
        skipped = re.findall(r"note: instruction:\s*(.+)", p.stderr) if self.can_skip else []
        errors = [ln.strip() for ln in p.stderr.splitlines() if "error" in ln]
        notes = [ln.strip() for ln in p.stderr.splitlines() if ln.startswith("note: instruction")]
        return doc, skipped, (errors + notes)[:3]
