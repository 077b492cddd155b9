#!/bin/sh
# Stands in for GCC's lto-wrapper in the main link of a kernel
# (cmake/FlagbenchLtoSeeds.cmake puts it first on the driver's -B path):
#   fb_gcc_lto_keep.sh KEEP_DIR REAL_LTO_WRAPPER ARGS...
# lto-wrapper does the LTO code generation and prints the objects the linker
# is to add, one per line (ltrans objects, then the early-debug objects the
# ltrans objects' debug info refers to); the linker plugin deletes them after
# the link.  This keeps copies, in that order, as KEEP_DIR/lto.o, lto.o1, ...
# (the names lld's obj-path gives), so the layout seeds can be linked from
# them.  The main link never fails for want of a copy: without one the seeds
# get their own LTO link (scripts/lib/lto_seed_link.py).
keep=$1
real=$2
shift 2

list=$("$real" "$@") || exit $?
if ! printf '%s\n' "$list" | {
  n=0
  while IFS= read -r obj; do
    [ -n "$obj" ] || continue
    if [ "$n" -eq 0 ]; then name=lto.o; else name=lto.o$n; fi
    cp "$obj" "$keep/$name" || exit 1
    n=$((n + 1))
  done
}; then
  echo "flagbench: could not keep the LTO objects in $keep; the layout seeds will redo LTO" >&2
  rm -f "$keep"/lto.o*
fi
printf '%s\n' "$list"
