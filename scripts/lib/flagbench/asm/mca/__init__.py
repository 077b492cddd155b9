"""llvm-mca on functions' innermost loops: CPU names, batched runs, results, soundness flags.

Each innermost loop of every variant of a binary is a region of one llvm-mca
run per CPU.  With a cache directory (FLAGBENCH_MCA_CACHE, set by the sweep),
a region analysed before for the same CPU and llvm-mca is not analysed again.

Modules, one job each:
  cpus       requested CPU names -> what this llvm-mca knows (fallbacks, borrowed models)
  tool       one llvm-mca binary: version, known CPUs, one run on a marked text
  regions    a loop's lines between region markers, labels made unique per region
  parse      llvm-mca's JSON -> numbers per region and the scheduling model
  cache      results per (llvm-mca, CPU, region text) on disk
  batch      many regions on one CPU: cache, one batched run, one-at-a-time fallback
  soundness  reasons to doubt a loop's numbers, before and after the run
  functions  the whole analysis of several functions' loops on several CPUs
"""
from .cache import RegionCache
from .cpus import DEFAULT_CPUS, model_note, resolve_cpu
from .functions import analyze_function, analyze_functions
from .tool import ITERATIONS, McaError, Tool

__all__ = ["DEFAULT_CPUS", "ITERATIONS", "McaError", "RegionCache", "Tool", "analyze_function",
           "analyze_functions", "model_note", "resolve_cpu"]
