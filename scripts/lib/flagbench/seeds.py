"""Layout seeds: the same compiled code linked at other addresses.

Seed 0 is the configuration's plain link (bin/).  Seed s > 0 is the same
objects linked with a padding object of pad_bytes(s) ahead of them
(kernels/CMakeLists.txt, bin-seed<s>/), so every function moves by that many
bytes and no instruction changes.  The pads are a fixed function of the seed,
so a build directory is reusable and a run is reproducible:
  - seeds 4k..4k+3 take the four 16-byte offsets mod 64 (a function's place in
    its cache line and in the decoded-uop / loop-stream windows);
  - the 64-byte part walks the page with a stride of 37 lines (coprime with
    64), so seeds below 64 land on distinct offsets mod 4096 (4K aliasing,
    branch-predictor and BTB indexing).
"""
from __future__ import annotations

from pathlib import Path

PAD_GRANULE = 16        # functions are 16-byte aligned: a multiple of it moves code, not bytes in it


def pad_bytes(seed: int) -> int:
    if seed < 0:
        raise ValueError(f"layout seed {seed} is negative")
    return PAD_GRANULE * (seed % 4) + 64 * ((37 * seed) % 64)


def seeds_for(count: int, aa: bool = False) -> list:
    """The seeds a configuration is timed under: 0..count-1, and for an A/A
    duplicate the disjoint count..2*count-1 (so the A/A pair compares two
    independent draws of layout, not one binary with itself)."""
    first = count if aa else 0
    return list(range(first, first + count))


def cmake_pads(seeds) -> str:
    """FB_LAYOUT_PADS for the seeds that need a relink (all but 0)."""
    return ";".join(f"{s}={pad_bytes(s)}" for s in sorted(set(seeds)) if s != 0)


def binary(bin_dir: str | Path, seed: int, name: str) -> Path:
    """The kernel binary of one seed: bin/<name> for seed 0, else bin-seed<s>/<name>."""
    bin_dir = Path(bin_dir)
    return bin_dir / name if seed == 0 else bin_dir.parent / f"bin-seed{seed}" / name
