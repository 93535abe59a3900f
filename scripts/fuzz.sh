#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz with clang (AddressSanitizer and
# UndefinedBehaviorSanitizer on, libFuzzer coverage on every library source) into
# build-fuzz/, then either
#   bash scripts/fuzz.sh --ci                      the short CTest runs (label fuzz): a
#                                                  fixed seed and run count per harness,
#                                                  what CI runs through scripts/test.sh
#   bash scripts/fuzz.sh --campaign N [NAME...]    N executions of each harness (all, or
#                                                  those named: npy dataset model json
#                                                  history), one after the other at
#                                                  nice 19, then a table of executions,
#                                                  exec/s, coverage and findings
# A campaign keeps its corpus in build-fuzz/campaign/NAME (seeded from the committed
# tests/fuzz/corpus/NAME, which it never writes), its log in build-fuzz/campaign/NAME.log
# and any crash, leak or timeout input in build-fuzz/campaign/artifacts/NAME/ (emptied
# when NAME's run starts: copy a finding out, e.g. into the seed corpus, to keep it).
# Exits non-zero if a harness fails. Needs clang, libclang-rt-14-dev and libomp-14-dev
# (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
mode=${1:---ci}
case "$mode" in
  --ci) [ $# -le 1 ] || usage ;;
  --campaign) [ $# -ge 2 ] && [[ "$2" =~ ^[0-9]+$ ]] || usage; runs=$2; shift 2 ;;
  *) usage ;;
esac
all=(npy dataset model json history)
harnesses=("${@:-${all[@]}}")
[ "$mode" = --campaign ] || harnesses=("${all[@]}")

jobs=$(nproc)
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBAYESAMP_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzz

if [ "$mode" = --ci ]; then
  cd build-fuzz && exec ctest -L fuzz --output-on-failure -j"$jobs"
fi

camp=build-fuzz/campaign
failed=0
summary=()
for h in "${harnesses[@]}"; do
  [ -x "build-fuzz/tests/fuzz/fuzz_$h" ] || { echo "no harness fuzz_$h" >&2; exit 2; }
  rm -rf "$camp/artifacts/$h"
  mkdir -p "$camp/$h" "$camp/artifacts/$h"
  args=(-seed=1 "-runs=$runs" -timeout=10 -print_final_stats=1
        "-artifact_prefix=$camp/artifacts/$h/")
  [ -f "tests/fuzz/$h.dict" ] && args+=("-dict=tests/fuzz/$h.dict")
  echo "== fuzz_$h: $runs executions"
  start=$(date +%s)
  rc=0
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    nice -n 19 "build-fuzz/tests/fuzz/fuzz_$h" "${args[@]}" "$camp/$h" "tests/fuzz/corpus/$h" \
    >"$camp/$h.log" 2>&1 || rc=$?
  seconds=$(( $(date +%s) - start ))
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$camp/$h.log" | tail -1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$camp/$h.log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$camp/$h.log")
  cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) .*/cov \1, ft \2/p' <<<"$done_line")
  findings=$(find "$camp/artifacts/$h" -type f | wc -l)
  [ "$rc" -eq 0 ] && [ "$findings" -eq 0 ] || failed=1
  summary+=("$(printf '%-8s %12s %8s %18s %6ss  exit %d, %d finding(s)' "$h" "${execs:-?}" \
    "${rate:-?}" "${cov:-?}" "$seconds" "$rc" "$findings")")
  tail -3 "$camp/$h.log"
done
echo
printf '%-8s %12s %8s %18s %7s\n' harness executions exec/s coverage time
printf '%s\n' "${summary[@]}"
exit $failed
