#!/bin/bash
# Tests of the command-line front end: drives the real executable and checks exit codes
# (0 success, 1 failure while running, 2 usage error), that every error is exactly one
# line on stderr that starts with "bayesamp: " and names the problem, that a failed run
# leaves no files behind, and what a successful run writes.
#
# usage: cli_test.sh PATH_TO_BAYESAMP
#
# The .npy data files are written with perl (part of every Debian system), so that the
# test needs neither Python nor numpy. One line per check; the last line is
# "N passed, N failed"; the exit status is non-zero if any check failed.
# shellcheck source-path=SCRIPTDIR source=cli_common.sh
source "$(dirname "$0")/cli_common.sh"

# write_split DIR SPLIT N_DAT N_AMP [BAD_ROW]: SPLIT_dat.npy with N_DAT g g > a a g events
# (massless, momentum conserved) of shape (N, 5, 4) and SPLIT_amp.npy with N_AMP positive amplitudes, both '<f8' version 1.0 as
# numpy writes them; with BAD_ROW, that row's amplitude is -1.
write_split() {
    npy_perl '
        my ($dir, $split, $n_dat, $n_amp, $bad) = @ARGV;
        srand(length($split) * 1000 + $n_dat);
        my @mom = map { event(3) } 1 .. $n_dat;
        my @amp = map { exp(4 * rand() - 2) } 1 .. $n_amp;
        $amp[$bad] = -1 if defined $bad;
        npy("$dir/${split}_dat.npy", "($n_dat, 5, 4)", @mom);
        npy("$dir/${split}_amp.npy", "($n_amp,)", @amp);
    ' "$@"
}

write_data() { # DIR N: a good data set, N events in each split
    mkdir -p "$1"
    for s in trn val tst; do write_split "$1" "$s" "$2" "$2"; done
}

D=$T/data
write_data "$D" 64

# ---- usage errors: exit 2 -------------------------------------------------------------
OUT=$T/run-usage
expect_error "no command" 2 "command"
expect_error "unknown command" 2 "frobnicate" frobnicate
expect_error "train without --data" 2 "--data" train --out "$OUT"
expect_error "train without --out" 2 "--out" train --data "$D"
expect_error "train: bad --calibrate-sigma" 2 "--calibrate-sigma" train --data "$D" --out "$OUT" --calibrate-sigma maybe
expect_error "train: negative --nll-tail-pull" 2 "--nll-tail-pull" train --data "$D" --out "$OUT" --nll-tail-pull -1
expect_error "train: --amplitude-weight above 2" 2 "--amplitude-weight" train --data "$D" --out "$OUT" --amplitude-weight 3
expect_error "generate: --enrich-singular 1" 2 "--enrich-singular" generate --out "$OUT" --enrich-singular 1
expect_error "generate: --enrich-cut 0" 2 "--enrich-cut" generate --out "$OUT" --enrich-cut 0
expect_error "generate: a ladder with an empty cut" 2 "--enrich-cut" generate --out "$OUT" --enrich-cut 0.01,,0.001
expect_error "generate: a ladder with a cut above 1" 2 "--enrich-cut" generate --out "$OUT" --enrich-cut 0.01,2
expect_error "generate: a ladder of 9 cuts" 2 "--enrich-cut" generate --out "$OUT" --enrich-cut 1,1,1,1,1,1,1,1,1
expect_error "unknown flag" 2 "--bogus" train --data "$D" --out "$OUT" --bogus 3
expect_error "flag without its value" 2 "--epochs" train --data "$D" --out "$OUT" --epochs
expect_error "unexpected argument" 2 "extra" train --data "$D" --out "$OUT" extra
expect_error "--epochs x" 2 "--epochs" train --data "$D" --out "$OUT" --epochs x
expect_error "--epochs 0" 2 "--epochs" train --data "$D" --out "$OUT" --epochs 0
expect_error "--epochs 5x" 2 "--epochs" train --data "$D" --out "$OUT" --epochs 5x
expect_error "--batch-size 0" 2 "--batch-size" train --data "$D" --out "$OUT" --batch-size 0
expect_error "--lr -1" 2 "--lr" train --data "$D" --out "$OUT" --lr -1
expect_error "--lr nan" 2 "--lr" train --data "$D" --out "$OUT" --lr nan
expect_error "--hidden 50,,50" 2 "--hidden" train --data "$D" --out "$OUT" --hidden 50,,50
expect_error "--hidden 50," 2 "--hidden" train --data "$D" --out "$OUT" --hidden 50,
expect_error "--hidden 50,0" 2 "--hidden" train --data "$D" --out "$OUT" --hidden 50,0
expect_error "--hidden empty" 2 "--hidden" train --data "$D" --out "$OUT" --hidden ""
expect_error "--prior-sigma 0" 2 "--prior-sigma" train --data "$D" --out "$OUT" --prior-sigma 0
expect_error "--sampler foo" 2 "foo" train --data "$D" --out "$OUT" --sampler foo
expect_error "--seed -3" 2 "--seed" train --data "$D" --out "$OUT" --seed -3
expect_error "--threads 0" 2 "--threads" train --data "$D" --out "$OUT" --threads 0
expect_error "--patience -1" 2 "--patience" train --data "$D" --out "$OUT" --patience -1
if [ ! -e "$OUT" ]; then pass "usage errors create no output folder"; else fail "usage errors" "$OUT was created"; fi

# ---- data and output errors: exit 1 ---------------------------------------------------
OUT=$T/run-bad          # must never be created
EMPTY=$T/run-empty      # exists and must stay empty
mkdir "$EMPTY"
expect_error "data folder missing" 1 "$T/no-such-data" train --data "$T/no-such-data" --out "$OUT"

B=$T/bad-missing
write_data "$B" 16
rm "$B/val_amp.npy"
expect_error "val_amp.npy missing" 1 "val_amp.npy" train --data "$B" --out "$OUT"
expect_error "val_amp.npy missing, existing output folder" 1 "val_amp.npy" train --data "$B" --out "$EMPTY"

B=$T/bad-rows
write_data "$B" 16
write_split "$B" tst 16 15
expect_error "mismatched row counts" 1 "tst_amp.npy" train --data "$B" --out "$OUT"
expect_error "mismatched row counts, existing output folder" 1 "tst_amp.npy" train --data "$B" --out "$EMPTY"

B=$T/bad-amp
write_data "$B" 16
write_split "$B" trn 16 16 7
expect_error "negative amplitude" 1 "row 7" train --data "$B" --out "$OUT"

B=$T/bad-shape
write_data "$B" 16
cp "$B/val_amp.npy" "$B/val_dat.npy" # (16,) where (16, 5, 4) belongs
expect_error "momenta of the wrong shape" 1 "val_dat.npy" train --data "$B" --out "$OUT"

if [ ! -e "$OUT" ]; then pass "data errors create no output folder"; else fail "data errors" "$OUT was created"; fi
if [ -z "$(ls -A "$EMPTY")" ]; then pass "data errors leave an existing output folder empty"; else fail "data errors" "files left in $EMPTY: $(ls -A "$EMPTY")"; fi

expect_error "output under /proc" 1 "/proc/forbidden" train --data "$D" --out /proc/forbidden --epochs 1
: >"$T/a-file"
expect_error "output under a regular file" 1 "$T/a-file" train --data "$D" --out "$T/a-file/run" --epochs 1
expect_error "output is a regular file" 1 "$T/a-file" train --data "$D" --out "$T/a-file" --epochs 1
if [ ! -s "$T/a-file" ]; then pass "the regular file is left alone"; else fail "regular file" "it was written to"; fi

# ---- help -----------------------------------------------------------------------------
run --help
if [ "$rc" -eq 0 ] && grep -q "train" "$T/stdout" && [ ! -s "$T/stderr" ]; then
    pass "bayesamp --help"
else
    fail "bayesamp --help" "exit $rc"
fi

run train --help
if [ "$rc" -eq 0 ] && [ ! -s "$T/stderr" ]; then
    pass "bayesamp train --help exits 0"
else
    fail "bayesamp train --help" "exit $rc"
fi
# Every flag with its default: the text from the flag's line to the next flag's line
# (help_block) must mention it. The defaults are those of ba_train_defaults() and the
# tutorial.
check_flag() { # FLAG TEXT
    local block
    block=$(help_block "$1")
    if [ -z "$block" ]; then
        fail "train --help documents $1" "not listed"
    elif [[ $block != *"$2"* ]]; then
        fail "train --help documents $1" "'$2' missing from: $block"
    else
        pass "train --help documents $1 ($2)"
    fi
}
check_flag --data "required"
check_flag --out "required"
check_flag --epochs "default 100"
check_flag --batch-size "default 128"
check_flag --lr "default 1e-3"
check_flag --hidden "default 50,50,50"
check_flag --prior-sigma "default 1"
check_flag --sampler "default weight"
check_flag --seed "default 1"
check_flag --threads "default: all cores"
check_flag --patience "default 0"
check_flag --help "this text"
# Flags added later must document their default too.
help_defaults train

# ---- a successful run -----------------------------------------------------------------
R=$T/run
# --no-eval: the evaluation that follows training is tested in cli_predict_test.sh
run train --data "$D" --out "$R" --epochs 2 --batch-size 16 --threads 2 --no-eval
if [ "$rc" -eq 0 ]; then pass "short training run exits 0"; else fail "short training run" "exit $rc: $(head -c 300 "$T/stderr")"; fi
if [ ! -s "$T/stderr" ]; then pass "short training run: nothing on stderr"; else fail "short training run" "stderr: $(head -c 300 "$T/stderr")"; fi
for f in model.safetensors model-last.safetensors history.csv train.json; do
    if [ -s "$R/$f" ]; then pass "run wrote $f"; else fail "run wrote $f" "missing or empty"; fi
done
leftovers=$(find "$R" -name '*.tmp*')
if [ -z "$leftovers" ]; then pass "no temporary files left"; else fail "temporary files" "$leftovers"; fi
if [ "$(ls -A "$R" | wc -l)" -eq 4 ]; then pass "exactly four files written"; else fail "files written" "$(ls -A "$R")"; fi

header=$(head -n 1 "$R/history.csv")
if [ "$header" = "epoch,train_loss,train_nll,train_kl,val_loss,seconds,lr" ]; then
    pass "history.csv header"
else
    fail "history.csv header" "$header"
fi
if [ "$(wc -l <"$R/history.csv")" -eq 3 ]; then pass "history.csv has 2 rows"; else fail "history.csv rows" "$(cat "$R/history.csv")"; fi
number='-?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?'
if sed -n 2,3p "$R/history.csv" | grep -Ecx "[12],$number,$number,$number,$number,$number,$number" | grep -qx 2 &&
   [ "$(sed -n 2p "$R/history.csv" | cut -d, -f1)" = 1 ] && [ "$(sed -n 3p "$R/history.csv" | cut -d, -f1)" = 2 ]; then
    pass "history.csv rows are epochs 1 and 2 with 7 numbers each"
else
    fail "history.csv rows" "$(sed -n 2,3p "$R/history.csv")"
fi

# train.json: the settings actually used (the defaults where no flag was given) and the
# result. cJSON writes "key":<tab>value.
check_json() { # NAME REGEX
    if grep -Eq "$2" "$R/train.json"; then pass "train.json: $1"; else fail "train.json: $1" "no match for $2"; fi
}
check_json "epochs 2" '"epochs":[[:space:]]*2,'
check_json "batch size 16" '"batch_size":[[:space:]]*16,'
check_json "default lr" '"lr":[[:space:]]*0.001,'
check_json "default hidden" '"hidden":[[:space:]]*\[50,[[:space:]]*50,[[:space:]]*50\]'
check_json "default sampler" '"sampler":[[:space:]]*"weight"'
check_json "default seed" '"seed":[[:space:]]*1,'
check_json "threads" '"threads":[[:space:]]*2,'
check_json "epochs run" '"epochs_run":[[:space:]]*2,'
check_json "data sizes" '"trn":[[:space:]]*64,'

# safetensors: an 8-byte little-endian header length, then the JSON header.
if [ "$(head -c 9 "$R/model.safetensors" | tail -c 1)" = "{" ] &&
   grep -q 'model.0.mu_w' "$R/model.safetensors"; then
    pass "model.safetensors is a safetensors file with the tutorial's names"
else
    fail "model.safetensors" "unexpected content"
fi

# The same seed gives the same model whatever the thread count; a rerun replaces the
# files in place.
R1=$T/run-1thread
run train --data "$D" --out "$R1" --epochs 2 --batch-size 16 --threads 1 --no-eval
if [ "$rc" -eq 0 ] && cmp -s "$R/model-last.safetensors" "$R1/model-last.safetensors"; then
    pass "1 and 2 threads give the same model file"
else
    fail "1 and 2 threads" "exit $rc, or the model files differ"
fi
run train --data "$D" --out "$R" --epochs 1 --batch-size 16 --seed 2 --no-eval
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$R/history.csv")" -eq 2 ] && [ "$(ls -A "$R" | wc -l)" -eq 4 ] &&
   ! cmp -s "$R/model-last.safetensors" "$R1/model-last.safetensors"; then
    pass "a second run into the same folder replaces its files"
else
    fail "second run" "exit $rc: $(ls -A "$R")"
fi

# The divergence guard from the command line (BAYESAMP_INJECT_NAN_STEP poisons the loss of
# one optimiser step; 4 steps per epoch here, so step 10 lies in epoch 3). With rollbacks
# the epoch is repeated at half the learning rate and training finishes; without, the run
# stops with one line, exit 1, and the best model on disk is the one of epoch 2.
R2=$T/run-nan
BAYESAMP_INJECT_NAN_STEP=10 run train --data "$D" --out "$R2" --epochs 4 --batch-size 16 --no-eval
if [ "$rc" -eq 0 ] && grep -q "epoch    3  failed: the loss or gradient is not finite" "$T/stdout" &&
   [ "$(wc -l <"$R2/history.csv")" -eq 5 ] && [ "$(tail -n 1 "$R2/history.csv" | cut -d, -f7)" = 0.0005 ]; then
    pass "a NaN in epoch 3 is rolled back and training finishes at half the rate"
else
    fail "rollback" "exit $rc: $(cat "$T/stdout" "$T/stderr" | head -c 400)"
fi
R3=$T/run-nan-stop
BAYESAMP_INJECT_NAN_STEP=10 run train --data "$D" --out "$R3" --epochs 4 --batch-size 16 --no-eval --max-rollbacks 0
first=$(head -n 1 "$T/stderr")
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/stderr")" -eq 1 ] && [[ $first == *"diverged in epoch 3"* ]] &&
   [ "$(wc -l <"$R3/history.csv")" -eq 3 ] && [ -z "$(find "$R3" -name '*.tmp*')" ]; then
    pass "without rollbacks: exit 1, one line, history of 2 epochs ($first)"
else
    fail "stop on divergence" "exit $rc: $(head -c 300 "$T/stderr")"
fi
run predict --model "$R3/model.safetensors" --momenta "$D/tst_dat.npy" --out "$T/nan-pred.npy" --mode map
if [ "$rc" -eq 0 ] && [ -s "$T/nan-pred.npy" ]; then
    pass "the model kept on disk after the divergence is valid and predicts"
else
    fail "model after divergence" "exit $rc: $(head -c 300 "$T/stderr")"
fi

summary
