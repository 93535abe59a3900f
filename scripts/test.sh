#!/usr/bin/env bash
# Builds and runs every test twice: the optimised build, then an AddressSanitizer +
# UndefinedBehaviorSanitizer build; then runs each fuzz harness of every file reader
# briefly (clang's libFuzzer, scripts/fuzz.sh --ci). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"
(cd build && ctest --output-on-failure -j"$jobs")
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBAYESAMP_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j"$jobs")
# Each harness a fixed number of executions from its seed corpus (under a minute).
bash scripts/fuzz.sh --ci
