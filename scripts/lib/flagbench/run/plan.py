"""A run's plan (plan.json) and each configuration's entry in it (config.json),
as typed records.

to_json() writes the keys in the order runs have always had them, so a plan
written now is byte for byte what the sweep wrote before these records
existed; from_json() also reads older plans, filling what they lack with the
defaults the sweep used for them (one layout seed, seed 0).
"""
from __future__ import annotations

import dataclasses

from ..matrix import Configuration

_CONFIGURATION_FIELDS = [f.name for f in dataclasses.fields(Configuration)]


@dataclasses.dataclass
class PlannedConfig:
    """A configuration of the matrix with what the plan adds to it."""
    config: Configuration
    seeds: list                 # the layout seeds it is timed under
    hash: str | None            # flags + tool versions + sources (flagbench.config.config_hash)
    flags: dict                 # role -> flags, placeholders left in
    # Its build also links another configuration's seeds (the A/A duplicate's).
    link_seeds: list | None = None
    flags_pgo_generate: dict | None = None   # the instrumented build's flags (PGO only)

    @property
    def id(self) -> str:
        return self.config.id

    @property
    def axes(self) -> dict:
        return self.config.axes

    @property
    def arch(self) -> str:
        return self.config.arch

    @property
    def toolchain(self) -> str:
        return self.config.toolchain

    @property
    def aa_of(self) -> str | None:
        return self.config.aa_of

    @property
    def aa_all(self) -> bool:
        return self.config.aa_all

    @property
    def pgo(self) -> bool:
        return self.axes.get("pgo") == "on"

    @property
    def build_seeds(self) -> list:
        """The layout seeds its build links."""
        return self.link_seeds or self.seeds

    def to_json(self) -> dict:
        doc = dataclasses.asdict(self.config)
        doc["seeds"] = self.seeds
        if self.link_seeds is not None:
            doc["link_seeds"] = self.link_seeds
        doc["hash"] = self.hash
        doc["flags"] = self.flags
        if self.flags_pgo_generate is not None:
            doc["flags_pgo_generate"] = self.flags_pgo_generate
        return doc

    @classmethod
    def from_json(cls, doc: dict) -> "PlannedConfig":
        config = Configuration(**{k: doc[k] for k in _CONFIGURATION_FIELDS if k in doc})
        return cls(config, doc.get("seeds") or [0], doc.get("hash"), doc.get("flags") or {},
                   doc.get("link_seeds"), doc.get("flags_pgo_generate"))


# The plan's own keys, in the order plan.json has them; "configs" and
# "kernels" follow, then timing_seed once the run has started.
_PLAN_FIELDS = ("matrix", "matrix_file", "description", "matrix_text", "baseline", "size", "shard",
                "seeds", "time_identical")


@dataclasses.dataclass
class Plan:
    matrix: str
    matrix_file: str
    description: str
    matrix_text: str
    baseline: str               # the baseline configuration's id
    size: str                   # test, train, ref or a number
    shard: str                  # I/N
    seeds: int                  # layout seeds per configuration
    time_identical: bool        # time cells whose code is identical to another's too
    configs: list               # PlannedConfig, baseline first
    kernels: list               # family/name
    timing_seed: int | None = None   # seed of the round order, set when the run starts
    # Keys other writers added (scripts/merge.sh's merged_from), kept as they are.
    extra: dict = dataclasses.field(default_factory=dict)

    def config(self, config_id: str) -> PlannedConfig:
        for c in self.configs:
            if c.id == config_id:
                return c
        raise KeyError(config_id)

    def to_json(self) -> dict:
        doc = {name: getattr(self, name) for name in _PLAN_FIELDS}
        doc["configs"] = [c.to_json() for c in self.configs]
        doc["kernels"] = self.kernels
        if self.timing_seed is not None:
            doc["timing_seed"] = self.timing_seed
        doc.update(self.extra)
        return doc

    @classmethod
    def from_json(cls, doc: dict) -> "Plan":
        known = set(_PLAN_FIELDS) | {"configs", "kernels", "timing_seed"}
        return cls(doc["matrix"], doc.get("matrix_file", ""), doc.get("description", ""),
                   doc.get("matrix_text", ""), doc["baseline"], doc.get("size", "ref"),
                   doc.get("shard", "1/1"), doc.get("seeds", 1), doc.get("time_identical", False),
                   [PlannedConfig.from_json(c) for c in doc["configs"]], list(doc["kernels"]),
                   doc.get("timing_seed"), {k: v for k, v in doc.items() if k not in known})
