#!/bin/bash
# The README's main job, shortened: 'bayesamp demo --epochs 2' on a fresh folder generates
# the default data set, trains the tutorial and the precision preset, evaluates both,
# compares them and says where the results are; a second run reuses the data. One line
# per check, then "N passed, N failed".
#
# usage: cli_demo_test.sh PATH_TO_BAYESAMP
# shellcheck source-path=SCRIPTDIR source=cli_common.sh
source "$(dirname "$0")/cli_common.sh"

run demo --out "$T/demo" --epochs 2 --n-train-precision 2000
check "demo exits 0" [ "$rc" -eq 0 ]
check "precision data: enriched training events" eval "grep -q '\"enrich_singular_train\":[[:space:]]*0.3' $T/demo/data-precision/generate.json && grep -q '\"n_train\":[[:space:]]*2000' $T/demo/data-precision/generate.json"
check "precision data: the default data set's test split" cmp "$T/demo/data/tst_amp.npy" "$T/demo/data-precision/tst_amp.npy"
check "precision model trained on its own data" grep -q 'data-precision' "$T/demo/precision/train.json"
check "prints the large-amplitude rows" eval "grep -q '1 % largest A: within 1 %' $T/stdout && grep -q 'sum of amplitudes: bias' $T/stdout"
for s in trn val tst; do
    check "data $s generated" eval "[ -s $T/demo/data/${s}_dat.npy ] && [ -s $T/demo/data/${s}_amp.npy ]"
done
check "generate.json written" grep -q '"acceptance"' "$T/demo/data/generate.json"
for preset in tutorial precision; do
    check "$preset model trained" eval "[ -s $T/demo/$preset/model.safetensors ] && [ \$(wc -l < $T/demo/$preset/history.csv) -eq 3 ]"
    check "$preset metrics written" grep -q '"coverage"' "$T/demo/$preset/eval/metrics.json"
    check "$preset preset recorded" grep -q "\"preset\":[[:space:]]*\"$preset\"" "$T/demo/$preset/train.json"
    for p in loss amplitudes rel_dev uncertainties pull rel_dev_vs_amp calibration; do
        check "$preset plot $p: data and script" eval "[ -s $T/demo/$preset/eval/$p.dat ] && [ -s $T/demo/$preset/eval/$p.gp ]"
    done
done
check "precision model uses the invariants" grep -q '"features":[[:space:]]*"invariants"' "$T/demo/precision/train.json"
check "prints the comparison" eval "grep -q 'events within 1 %' $T/stdout && grep -q 'tutorial.*precision' $T/stdout"
check "says where the results are" grep -q 'eval/metrics.json' "$T/stdout"
check "no temporary files left" [ -z "$(find "$T/demo" -name '*.tmp*')" ]

run demo --out "$T/demo" --epochs 1 --preset tutorial
check "second run exits 0" [ "$rc" -eq 0 ]
check "second run reuses the data" grep -q 'already generated' "$T/stdout"

run demo --epochs x
check "bad --epochs: exit 2, one line" eval "[ $rc -eq 2 ] && [ \$(wc -l < $T/stderr) -eq 1 ]"
run demo --preset fast
check "bad --preset: exit 2, one line" eval "[ $rc -eq 2 ] && [ \$(wc -l < $T/stderr) -eq 1 ]"

summary
