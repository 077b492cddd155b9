"""The layout of a run directory (docs/results-format.md): the one place its
files and folders are named.

    RunDir(path)                    results/raw/<run-id>/
      .config(id) -> ConfigDir      configs/<id>/
        .kernel(k) -> KernelDir     configs/<id>/kernels/<family>_<name>/
          .asm -> AsmDir            asm/<variant>.s, .json
          .profile -> ProfileDir    profile/<variant>.json, .folded, .svg, .diff.svg
      .tables -> TablesDir          tables/

Every object only names paths; reading and writing them stays with the modules
that own the data.  A ConfigDir, KernelDir, AsmDir or ProfileDir can also stand
for a folder outside a run that a tool lays out the same way (scripts/asm.sh
pointed at a configuration folder, scripts/profile.sh's --out).
"""
from __future__ import annotations

from pathlib import Path

PLAN = "plan.json"
MANIFEST = "manifest.json"
CONFIG = "config.json"
BUILD_RECORD = "build.json"
BUILD_LOG = "build.log"
SIZES = "sizes.json"
DESCRIBE = "describe.json"
CHECK = "check.json"
UNSUPPORTED = "unsupported.json"
REMARKS = "remarks.json"
WHY_MARKER = "why-step.json"       # the why step has run over this run (why/runstep.py)
EXECUTOR_STATE = "executor.json"   # a distributed run's state (executors/shards.py)


class NotARunError(FileNotFoundError):
    """A folder that holds no sweep run (no plan)."""


def kernel_dir_name(kernel: str) -> str:
    """'simd/saxpy' -> 'simd_saxpy', the kernel's folder under kernels/."""
    return kernel.replace("/", "_")


def raw_runs(root: Path) -> Path:
    """Where the sweep puts a run without --out: results/raw/."""
    return Path(root) / "results" / "raw"


def latest_run(root: Path) -> Path:
    """results/raw/latest, the symlink to the newest run."""
    return raw_runs(root) / "latest"


def run_folders(root: Path) -> list:
    """The folders whose subfolders are runs: published (results/) and raw."""
    return [Path(root) / "results", raw_runs(root)]


class _Folder:
    """A folder of the layout; a path-like object, so it goes wherever a path does."""

    def __init__(self, path):
        self.path = Path(path)

    @property
    def name(self) -> str:
        return self.path.name

    def __fspath__(self) -> str:
        return str(self.path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.path)!r})"


class AsmDir(_Folder):
    """asm/ of a kernel: what flagbench.asm.analyze writes per variant."""

    def summary(self, variant: str) -> Path:
        return self.path / f"{variant}.json"

    def text(self, variant: str) -> Path:
        """The normalized assembly of the variant's hot function (AT&T)."""
        return self.path / f"{variant}.s"

    @property
    def error(self) -> Path:
        """Why the assembly capture failed, when it did."""
        return self.path / "error.json"

    def summaries(self) -> list:
        return sorted(self.path.glob("*.json"))

    def texts(self) -> list:
        return sorted(self.path.glob("*.s"))

    def files(self) -> list:
        return sorted(self.path.iterdir()) if self.path.is_dir() else []


class ProfileDir(_Folder):
    """profile/ of a kernel: what flagbench.why.profile writes per variant."""

    def summary(self, variant: str) -> Path:
        return self.path / f"{variant}.json"

    def folded(self, variant: str) -> Path:
        return self.path / f"{variant}.folded"

    def flame_graph(self, variant: str) -> Path:
        return self.path / f"{variant}.svg"

    def diff_flame_graph(self, variant: str) -> Path:
        """The flame graph against the baseline's profile."""
        return self.path / f"{variant}.diff.svg"


class KernelDir(_Folder):
    """configs/<id>/kernels/<family>_<name>/: one kernel under one configuration."""

    @property
    def describe(self) -> Path:
        return self.path / DESCRIBE

    @property
    def check(self) -> Path:
        return self.path / CHECK

    @property
    def unsupported(self) -> Path:
        """Written when the whole build needs an ISA this CPU lacks."""
        return self.path / UNSUPPORTED

    @property
    def remarks(self) -> Path:
        return self.path / REMARKS

    @property
    def asm(self) -> AsmDir:
        return AsmDir(self.path / "asm")

    @property
    def profile(self) -> ProfileDir:
        return ProfileDir(self.path / "profile")

    @property
    def time_dir(self) -> Path:
        return self.path / "time"

    def time(self, variant: str) -> Path:
        return self.time_dir / f"{variant}.json"

    def counters(self, variant: str) -> Path:
        return self.path / "counters" / f"{variant}.json"

    def is_checked(self) -> bool:
        """Whether the check step is done with it (an unsupported build counts)."""
        return self.check.exists() or self.unsupported.exists()

    def has_timing(self) -> bool:
        return self.time_dir.is_dir() and any(self.time_dir.glob("*.json"))

    def build_files(self) -> list:
        """Its existing files that come from the build and the check, not from
        timing: what an A/A duplicate shares with its source configuration."""
        files = [self.describe, self.check, self.unsupported] + self.asm.files()
        return [f for f in files if f.exists()]


class ConfigDir(_Folder):
    """configs/<id>/: one configuration of a run."""

    @property
    def id(self) -> str:
        return self.name

    @property
    def config(self) -> Path:
        """The plan's entry of the configuration."""
        return self.path / CONFIG

    @property
    def build_record(self) -> Path:
        return self.path / BUILD_RECORD

    @property
    def build_log(self) -> Path:
        return self.path / BUILD_LOG

    @property
    def sizes(self) -> Path:
        return self.path / SIZES

    @property
    def kernels_dir(self) -> Path:
        return self.path / "kernels"

    def kernel(self, kernel: str) -> KernelDir:
        return KernelDir(self.kernels_dir / kernel_dir_name(kernel))

    def kernel_dirs(self) -> list:
        """Every kernel folder it holds, by name."""
        d = self.kernels_dir
        return [KernelDir(p) for p in sorted(d.iterdir())] if d.is_dir() else []

    def looks_like_one(self) -> bool:
        """Whether the folder holds a configuration's files."""
        return self.build_record.exists() or self.kernels_dir.is_dir() or self.config.exists()


class Table:
    """One table of the report in its three forms, named relative to tables/."""

    def __init__(self, stem: str):
        self.md, self.csv, self.json = f"{stem}.md", f"{stem}.csv", f"{stem}.json"


class TablesDir(_Folder):
    """tables/: what scripts/report.sh writes (docs/reading-a-report.md)."""

    SUMMARY = Table("summary")
    EFFECTS = Table("effects")
    CODE = Table("code")
    BUILD = Table("build")
    MACHINES = Table("machines")     # a run of several machine kinds
    LNT = "lnt.json"
    REPORT_HTML = "report.html"
    DETAILS_HTML = "details.html"
    PLOTS = "plots"
    ASM_PAGES = "asm"

    def file(self, name: str) -> Path:
        return self.path / name

    @classmethod
    def plot(cls, name: str) -> str:
        """A plot's file, relative to tables/ (pages link it so)."""
        return f"{cls.PLOTS}/{name}.svg"


class RunDir(_Folder):
    """results/raw/<run-id>/: one sweep run."""

    @property
    def plan(self) -> Path:
        return self.path / PLAN

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST

    @property
    def why_marker(self) -> Path:
        return self.path / WHY_MARKER

    @property
    def executor_state(self) -> Path:
        return self.path / EXECUTOR_STATE

    @property
    def tables(self) -> TablesDir:
        return TablesDir(self.path / "tables")

    @property
    def configs_dir(self) -> Path:
        return self.path / "configs"

    def config(self, config_id: str) -> ConfigDir:
        return ConfigDir(self.configs_dir / config_id)

    def kernel(self, config_id: str, kernel: str) -> KernelDir:
        return self.config(config_id).kernel(kernel)

    def config_ids(self) -> list:
        """The configurations it has folders for, by name."""
        d = self.configs_dir
        return sorted(p.name for p in d.iterdir() if p.is_dir()) if d.is_dir() else []

    def is_run(self) -> bool:
        return self.plan.exists()

    def require_run(self) -> "RunDir":
        if not self.is_run():
            raise NotARunError(f"{self.path} is not a sweep run (no {PLAN})")
        return self

    def has_why_data(self) -> bool:
        """Whether the why step left profiles or remarks in it."""
        d = self.configs_dir
        return (any(d.glob("*/kernels/*/profile/*.json"))
                or any(d.glob(f"*/kernels/*/{REMARKS}")))

    @staticmethod
    def machine_subdir(name: str) -> str:
        """Where a run of several machine kinds keeps one kind's run, relative
        to it (the manifest's machines[].dir)."""
        return f"machines/{name}"

    def machine(self, name: str) -> "RunDir":
        return RunDir(self.path / self.machine_subdir(name))
