"""What every phase of a sweep works from: the run directory, its plan, the
command line and the progress line."""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from .atomic import read_json
from .progress import Progress
from .run.layout import RunDir
from .run.plan import Plan


@dataclasses.dataclass
class Context:
    run: RunDir
    plan: Plan
    args: argparse.Namespace
    progress: Progress | None = None

    def build_record(self, config_id: str) -> dict:
        """The configuration's build record; {} before it was built."""
        return read_json(self.run.config(config_id).build_record) or {}

    @property
    def mca_cache(self) -> Path:
        """llvm-mca results by region text, shared by the configurations of a sweep."""
        return Path(self.args.build_root) / "mca-cache"
