#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages flagbench needs, and only those missing.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: scripts/deps.sh [--check] [--only GROUP[,GROUP]] [--help]

Installs what flagbench needs with apt-get, skipping what is already there
(quiet when nothing is missing). Groups (default: all):
  build    cmake, ninja, gcc, clang 14, python3, sanitizer runtimes
  sweep    clang-19, LLVM 14 and 19 tools (llvm-mca, llvm-objdump,
           llvm-profdata), lld, hyperfine
  cross    gcc-aarch64-linux-gnu, qemu-user (the aarch64 configuration)
  peers    OpenMP, Concurrency Kit, libnuma, jemalloc, mimalloc, valgrind
  report   gnuplot, chromium (plots and the report's browser test)
  scale    Slurm (slurmctld, slurmd, client), munge, GNU parallel, rsync,
           ssh client: sweep --executor slurm|parallel and their tests
           (docs/scale.md; nothing is configured or started)

  --check   list what is missing and exit 1 if anything is; install nothing
  --only    install only these groups
Needs root or sudo, and apt-get.
EOF
}

declare -A GROUP_PACKAGES=(
  [build]="cmake ninja-build gcc clang python3 libclang-rt-14-dev"
  [sweep]="clang-19 llvm llvm-19 lld lld-19 libclang-rt-19-dev hyperfine"
  [cross]="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"
  [peers]="libomp-14-dev libck-dev libnuma-dev libjemalloc2 libmimalloc2.0 valgrind"
  [report]="gnuplot-nox chromium"
  [scale]="slurm-wlm slurmctld slurmd slurm-client munge parallel rsync openssh-client"
)
ALL_GROUPS="build sweep cross peers report scale"

check_only=0
groups="$ALL_GROUPS"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --help|-h) usage; exit 0 ;;
    --check) check_only=1 ;;
    --only)
      [[ $# -ge 2 ]] || { echo "deps.sh: --only needs a group list" >&2; exit 2; }
      groups="${2//,/ }"; shift ;;
    *) echo "deps.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

wanted=()
for g in $groups; do
  [[ -n "${GROUP_PACKAGES[$g]:-}" ]] || { echo "deps.sh: unknown group '$g'; groups: $ALL_GROUPS" >&2; exit 2; }
  read -r -a pkgs <<<"${GROUP_PACKAGES[$g]}"
  wanted+=("${pkgs[@]}")
done

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "deps.sh: this is not a Debian/Ubuntu system (no dpkg-query/apt-get)." >&2
  echo "deps.sh: install these by hand: ${wanted[*]}" >&2
  exit 1
fi

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $check_only -eq 1 ]]; then
  echo "deps.sh: missing: ${missing[*]}"
  exit 1
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "deps.sh: need root to install: ${missing[*]}" >&2
    echo "deps.sh: run as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A fresh machine has no package lists; refresh them once if a package is unknown.
if ! "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
  if ! { "${sudo[@]}" apt-get update -q && \
         "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    echo "deps.sh: apt-get failed; its last lines:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
fi
echo "deps.sh: done" >&2
