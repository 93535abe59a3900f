#!/usr/bin/env bash
# Installs what bayesamp needs to build, test and benchmark on Debian 12 (as root).
#   build:      cmake, GCC and clang (scripts/test.sh builds with both; clang's OpenMP
#               runtime is libomp), libxsmm (the backward pass's products), OpenBLAS
#               (OpenMP build; libxsmm's fallback), cJSON, Random123,
#               HDF5 (serial; for FILE.h5:NAME event files, -DBAYESAMP_HDF5=OFF without)
#   plots:      gnuplot-nox (found at run time; optional)
#   MPI:        Open MPI (openmpi-bin for mpirun, libopenmpi-dev for CMake's FindMPI);
#               optional for a build (-DBAYESAMP_MPI=OFF), needed for the mpirun tests
#   fuzzing:    clang with libFuzzer and the sanitizer runtimes (libclang-rt-14-dev, only
#               recommended by clang, so named here) and clang's OpenMP (libomp-14-dev),
#               for scripts/fuzz.sh, which scripts/test.sh runs
#   Python:     numpy, pytest, tqdm and matplotlib for the bayesamp module (python/) and
#               its tests; Jupyter's nbconvert and kernel to run examples/tutorial.ipynb;
#               PyTorch, to test that a model loads into the tutorial's network
#   benchmark:  hyperfine (the PyTorch peer in ../shared/peers uses the packages above)
set -euo pipefail
packages=(build-essential clang libclang-rt-14-dev libomp-dev libomp-14-dev cmake pkg-config
          libxsmm-dev libopenblas-openmp-dev libcjson-dev librandom123-dev libhdf5-dev
          gnuplot-nox
          python3-numpy python3-pytest python3-tqdm python3-matplotlib python3-torch
          jupyter-nbconvert python3-nbconvert python3-nbformat python3-ipykernel
          openmpi-bin libopenmpi-dev)
if [ "${1:-}" = "--bench" ]; then
  packages+=(hyperfine)
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
