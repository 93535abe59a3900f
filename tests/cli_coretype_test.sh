#!/bin/bash
# Training does not depend on which kernels OpenBLAS picks for the processor
# (OPENBLAS_CORETYPE, set on some of our machines): the same seed gives the same model
# files byte for byte with the autodetected kernels, with Haswell's and with Prescott's
# (SSE3). Training's products are libxsmm's (src/nn/layerprod.h) and validation's our
# own (src/nn/rowwise.h), each summing in a fixed order; OpenBLAS is only libxsmm's
# fallback. 1000 training events make a last batch of 104 rows, whose shorter second
# block takes kernels of its own. Both samplers, one and two threads.
#
# usage: cli_coretype_test.sh PATH_TO_BAYESAMP
# shellcheck source-path=SCRIPTDIR source=cli_common.sh
source "$(dirname "$0")/cli_common.sh"

D="$T/data"
run generate --out "$D" --n-train 1000 --n-val 200 --n-test 200 --seed 5 --threads 2
check "generate the data" test "$rc" -eq 0

# train_with CORETYPE SAMPLER THREADS: a two-epoch run into $T/CORETYPE-SAMPLER-THREADS,
# with OPENBLAS_CORETYPE unset where CORETYPE is "auto".
train_with() {
    local out="$T/$1-$2-$3"
    if [ "$1" = auto ]; then
        env -u OPENBLAS_CORETYPE "$BIN" train --data "$D" --out "$out" --epochs 2 \
            --sampler "$2" --threads "$3" --seed 9 --no-eval >"$T/stdout" 2>"$T/stderr"
    else
        OPENBLAS_CORETYPE=$1 "$BIN" train --data "$D" --out "$out" --epochs 2 \
            --sampler "$2" --threads "$3" --seed 9 --no-eval >"$T/stdout" 2>"$T/stderr"
    fi
    rc=$?
}

for sampler in weight local; do
    train_with auto "$sampler" 2
    check "train ($sampler sampler, autodetected kernels)" test "$rc" -eq 0
    for run_as in Haswell:2 Prescott:1; do
        coretype=${run_as%:*} threads=${run_as#*:}
        train_with "$coretype" "$sampler" "$threads"
        ref="$T/auto-$sampler-2/model.safetensors"
        got="$T/$coretype-$sampler-$threads/model.safetensors"
        if [ "$rc" -eq 0 ] && cmp -s "$ref" "$got"; then
            pass "$sampler sampler: OPENBLAS_CORETYPE=$coretype, $threads thread(s) gives the same model bytes"
        else
            fail "$sampler sampler, OPENBLAS_CORETYPE=$coretype" \
                "exit $rc, stderr: $(head -c 300 "$T/stderr"); models differ or missing"
        fi
    done
done
summary
