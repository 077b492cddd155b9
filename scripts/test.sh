#!/usr/bin/env bash
# Builds the test configurations and runs CTest in each: every kernel x variant
# at --size test --check, the harness and script tests, sanitizers, and the
# aarch64 cross build under qemu when its tools are installed.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/test.sh [--only NAME[,NAME]] [--no-deps] [--jobs N] [--help]

Test builds (each in build/test-NAME):
  default     gcc, -O2, warnings as errors; kernels, harness and script tests
  clang       clang 19 (clang 14 if 19 is missing), -O3 -march=x86-64-v3, LTO
  asan        gcc with AddressSanitizer + UndefinedBehaviorSanitizer
  tsan        clang with ThreadSanitizer (concurrent kernels only)
  aarch64     gcc cross build run under qemu-user (skipped if not installed)

  --only      run only these builds
  --no-deps   do not call scripts/deps.sh first
  --jobs N    parallel build and test jobs (default: CPUs)
Exit status: 0 when every build passed.
EOF
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
only="default clang asan tsan aarch64"
deps=1
jobs=$(nproc 2>/dev/null || echo 2)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --help|-h) usage; exit 0 ;;
    --only) [[ $# -ge 2 ]] || { echo "test.sh: --only needs a list" >&2; exit 2; }; only="${2//,/ }"; shift ;;
    --no-deps) deps=0 ;;
    --jobs) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "test.sh: --jobs needs a number" >&2; exit 2; }; jobs=$2; shift ;;
    *) echo "test.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ $deps -eq 1 ]]; then
  "$root/scripts/deps.sh"
fi

clang_toolchain=toolchains/clang-19.cmake
command -v clang-19 >/dev/null 2>&1 || clang_toolchain=toolchains/clang.cmake

build_args() {
  case "$1" in
    default) echo "-DFB_WERROR=ON -DFB_SCRIPT_TESTS=ON" ;;
    clang) echo "-DCMAKE_TOOLCHAIN_FILE=$clang_toolchain -DFB_WERROR=ON -DFB_OPT=O3 -DFB_MARCH=x86-64-v3 -DFB_LTO=thin" ;;
    asan) echo "-DFB_WERROR=ON -DFB_SANITIZE=address,undefined" ;;
    tsan) echo "-DCMAKE_TOOLCHAIN_FILE=toolchains/clang.cmake -DFB_WERROR=ON -DFB_SANITIZE=thread" ;;
    aarch64) echo "-DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake -DFB_WERROR=ON" ;;
    *) return 1 ;;
  esac
}

declare -A result
failed=0
for name in $only; do
  if ! args=$(build_args "$name"); then
    echo "test.sh: unknown build '$name' (see --help)" >&2
    exit 2
  fi
  if [[ $name == aarch64 ]] && ! { command -v aarch64-linux-gnu-gcc && command -v qemu-aarch64; } >/dev/null 2>&1; then
    result[$name]="skipped (aarch64-linux-gnu-gcc or qemu-aarch64 missing)"
    continue
  fi
  mkdir -p "$root/build"
  dir="$root/build/test-$name"
  echo "== $name: configure and build in build/test-$name" >&2
  # shellcheck disable=SC2086 # args is a list of -D options
  if ! cmake -S "$root" -B "$dir" -G Ninja $args >"$dir.configure.log" 2>&1; then
    tail -n 30 "$dir.configure.log" >&2
    result[$name]="FAILED to configure (build/test-$name.configure.log)"
    failed=1
    continue
  fi
  if ! cmake --build "$dir" -j "$jobs" >"$dir.build.log" 2>&1; then
    grep -E "error|warning" "$dir.build.log" | head -n 30 >&2 || tail -n 30 "$dir.build.log" >&2
    result[$name]="FAILED to build (build/test-$name.build.log)"
    failed=1
    continue
  fi
  echo "== $name: ctest" >&2
  if (cd "$dir" && ctest -j "$jobs" --output-on-failure --no-tests=error); then
    result[$name]="passed"
  else
    result[$name]="FAILED (cd build/test-$name && ctest --rerun-failed --output-on-failure)"
    failed=1
  fi
done

echo
echo "test.sh summary:"
for name in $only; do
  printf '  %-8s %s\n' "$name" "${result[$name]}"
done
exit "$failed"
