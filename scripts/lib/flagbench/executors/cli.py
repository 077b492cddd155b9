"""The sweep's options for running beyond one machine (docs/scale.md)."""
from __future__ import annotations

import argparse


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"wants a whole number of at least 1, not '{text}'")
    return n


def add_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("beyond one machine (docs/scale.md)")
    g.add_argument("--executor", choices=("local", "parallel", "slurm"), default="local",
                   help="local: this machine (default); parallel: GNU parallel over the ssh hosts of "
                        "--hosts; slurm: one sbatch --array job, a shard per task; the shards are "
                        "merged into --out at the end")
    g.add_argument("--shards", type=_positive, metavar="N",
                   help="slices of the kernels (default: one per host for parallel, 4 for slurm); "
                        "with --plan, the number of nodes the wall time is estimated for")
    g.add_argument("--hosts", metavar="FILE", help="parallel: ssh hosts, one per line (':' is this machine)")
    g.add_argument("--partition", metavar="NAME", help="slurm: the partition to submit to")
    g.add_argument("--sbatch-arg", action="append", metavar="ARG",
                   help="slurm: one more sbatch option, e.g. --sbatch-arg=--time=4:00:00 (repeatable)")
    g.add_argument("--shared-dir", metavar="DIR",
                   help="a folder every node writes its shard to (default: beside --out; slurm needs "
                        "it shared with the nodes; parallel without it copies shards back with rsync)")
    g.add_argument("--remote-root", metavar="DIR",
                   help="this source tree's path on the nodes (default: the same path as here)")
