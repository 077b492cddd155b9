"""llvm-mca results kept across runs: identical loops recur across configurations."""
import hashlib
import json
import os


class RegionCache:
    """llvm-mca results per (llvm-mca, CPU, region text), in a directory of small
    JSON files written atomically (several sweeps may share it)."""

    def __init__(self, directory):
        self.dir = directory

    @classmethod
    def from_env(cls):
        """The cache the sweep names in FLAGBENCH_MCA_CACHE; None without one."""
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
