#!/bin/bash
# The README's main job, shortened: 'bayesamp demo --epochs 2' on a fresh folder generates
# the default data set, trains, evaluates and says where the results are; a second run
# reuses the data. One line per check, then "N passed, N failed".
set -u
BIN=${1:?usage: cli_demo_test.sh PATH_TO_BAYESAMP}
T=$(mktemp -d "${TMPDIR:-/tmp}/bayesamp-demo-XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
passed=0 failed=0
check() { if eval "$2"; then echo "ok   $1"; passed=$((passed + 1)); else echo "FAIL $1"; failed=$((failed + 1)); fi; }

"$BIN" demo --out "$T/demo" --epochs 2 >"$T/out1" 2>"$T/err1"
rc=$?
check "demo exits 0" "[ $rc -eq 0 ]"
for s in trn val tst; do
    check "data $s generated" "[ -s $T/demo/data/${s}_dat.npy ] && [ -s $T/demo/data/${s}_amp.npy ]"
done
check "generate.json written" "grep -q '\"acceptance\"' $T/demo/data/generate.json"
check "model trained" "[ -s $T/demo/tutorial/model.safetensors ] && [ \$(wc -l < $T/demo/tutorial/history.csv) -eq 3 ]"
check "metrics written" "grep -q '\"coverage\"' $T/demo/tutorial/eval/metrics.json"
for p in loss amplitudes rel_dev uncertainties pull rel_dev_vs_amp calibration; do
    check "plot $p: data and script" "[ -s $T/demo/tutorial/eval/$p.dat ] && [ -s $T/demo/tutorial/eval/$p.gp ]"
done
check "says where the results are" "grep -q 'eval/metrics.json' $T/out1"
check "no temporary files left" "[ -z \"\$(find $T/demo -name '*.tmp*')\" ]"

"$BIN" demo --out "$T/demo" --epochs 1 >"$T/out2" 2>"$T/err2"
rc=$?
check "second run exits 0" "[ $rc -eq 0 ]"
check "second run reuses the data" "grep -q 'already generated' $T/out2"

"$BIN" demo --epochs x >/dev/null 2>"$T/err3"
rc=$?
check "bad --epochs: exit 2, one line" "[ $rc -eq 2 ] && [ \$(wc -l < $T/err3) -eq 1 ]"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
