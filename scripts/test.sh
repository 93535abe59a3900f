#!/usr/bin/env bash
# Builds and runs every test (C, shell, Python with pytest, the tutorial notebook with
# nbconvert): the optimised GCC build (under the OpenBLAS kernel this
# machine picks, then under forced other kernels), the optimised clang build (the code
# must build -Wall -Wextra clean and behave the same with both), an AddressSanitizer +
# UndefinedBehaviorSanitizer build with GCC; then runs each fuzz harness of every file
# reader briefly (clang's libFuzzer, scripts/fuzz.sh --ci). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")

# The results must not depend on which kernel OpenBLAS picks at run time: some machines
# set OPENBLAS_CORETYPE, and a test that passes under one kernel only must not land.
# Prescott (SSE3) runs on every x86-64 processor, Haswell needs AVX2, SkylakeX AVX-512.
# (The kill and full-disk tests do no arithmetic; they run once. The Python module's
# tests and the notebook run once too: they call the library the C tests run under every
# kernel, and the module's round trips against the command line hold under any one.)
# The MPI test compares ranks with one process under the same kernel, which the first
# run covers.
kernels=()
if [ "$(uname -m)" = x86_64 ]; then
  kernels+=(Prescott)
  grep -qw avx2 /proc/cpuinfo && kernels+=(Haswell)
  grep -qw avx512f /proc/cpuinfo && kernels+=(SkylakeX)
fi
for kernel in "${kernels[@]}"; do
  echo "== tests with OPENBLAS_CORETYPE=$kernel"
  (cd build && OPENBLAS_CORETYPE=$kernel ctest --output-on-failure -j"$jobs" \
     -E '^(cli_kill|cli_enospc|cli_mpi|python_api|python_notebook)$')
done

# MPI is optional (CMakeLists.txt): the tool must build without it as well. The library
# and the command suffice; the tests above ran on the MPI build (cli_mpi included).
cmake -S . -B build-nompi -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DBAYESAMP_MPI=OFF >/dev/null
cmake --build build-nompi -j"$jobs" --target bayesamp

# clang needs its own OpenMP runtime, libomp (scripts/install-deps.sh).
cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build build-clang -j"$jobs"
# The notebook shows the workflow, not the compiler: once, above.
(cd build-clang && ctest --output-on-failure -j"$jobs" -E '^python_notebook$')

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBAYESAMP_SANITIZE=ON -DCMAKE_C_COMPILER=gcc >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")
# Each harness a fixed number of executions from its seed corpus (under a minute).
bash scripts/fuzz.sh --ci
