#!/usr/bin/env bash
# Installs what bayesamp needs to build, test and benchmark on Debian 12 (as root).
#   build:      cmake, a C compiler, OpenBLAS (OpenMP build), cJSON, Random123
#   plots:      gnuplot-nox (found at run time; optional)
#   fuzzing:    clang with libFuzzer and the sanitizer runtimes (libclang-rt-14-dev, only
#               recommended by clang, so named here) and clang's OpenMP (libomp-14-dev),
#               for scripts/fuzz.sh, which scripts/test.sh runs
#   benchmark:  Debian's PyTorch and numpy, for the peer script in ../shared/peers
set -euo pipefail
packages=(build-essential cmake pkg-config libopenblas-openmp-dev libcjson-dev
          librandom123-dev gnuplot-nox clang libclang-rt-14-dev libomp-14-dev)
if [ "${1:-}" = "--bench" ]; then
  packages+=(python3-torch python3-numpy python3-matplotlib hyperfine)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
