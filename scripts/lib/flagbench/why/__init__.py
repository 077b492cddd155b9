"""Why a verdict came out as it did: profiles (perf), flame graphs, optimization
remarks, counters (perf stat, callgrind) and the one-line explanation built from
them.  One module per job; see docs/why.md."""
