#!/usr/bin/env bash
# SIGKILL at any moment: generate, train (with its evaluation), predict and evaluate are
# killed after several delays, from right after the start to the middle of writing, and
# each time every output file is either absent or complete (npy files have their full
# shape and size, JSON parses, a model file predicts), a folder's completion marker
# (generate.json, train.json, metrics.json) appears only beside its complete files, no
# temporary file is left in the output folders, and a re-run with the same arguments
# succeeds. Once more with the named-temporary fallback (BAYESAMP_NO_O_TMPFILE=1), where
# a kill may leave a temporary that the re-run must remove.
source "$(dirname "$0")/cli_common.sh"

D=$T/data
run generate --out "$D" --n-train 2000 --n-val 500 --n-test 500 --threads 2
[ "$rc" -eq 0 ] || { echo "$ME: cannot generate the data: $(cat "$T/stderr")" >&2; exit 2; }
run train --data "$D" --out "$T/ref" --epochs 2 --threads 2 --no-eval
[ "$rc" -eq 0 ] || { echo "$ME: cannot train the model: $(cat "$T/stderr")" >&2; exit 2; }
MODEL=$T/ref/model.safetensors

# npy_ok FILE SHAPE: the header gives SHAPE (as numpy writes it, e.g. "(500, 4)") and the
# file holds exactly the data that shape asks for.
npy_ok() {
    local file=$1 shape=$2 count=1 d
    npy_header "$file" | grep -qF "'shape': $shape" || return 1
    for d in $(tr -d '(),' <<<"$shape"); do count=$((count * d)); done
    [ "$(wc -c <"$file")" -eq $(($(npy_data_offset "$file") + 8 * count)) ]
}
json_ok() { perl -MJSON::PP -e 'local $/; open(my $f, "<", $ARGV[0]) or exit 1; JSON::PP->new->decode(<$f>)' "$1" 2>/dev/null; }
model_ok() { "$BIN" predict --model "$1" --momenta "$D/tst_dat.npy" --out "$T/model-check.npy" --n-monte 2 >/dev/null 2>&1; }
no_temps() { [ -z "$(find "$1" -name '*.tmp*' 2>/dev/null)" ]; }

# killed NAME DELAY ARGS...: start bayesamp ARGS, SIGKILL it after DELAY seconds (or let
# it finish if it is faster), and wait for it.
killed() {
    local name=$1 delay=$2
    shift 2
    "$BIN" "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$delay"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

# verdict NAME PROBLEMS: one check per kill.
verdict() {
    if [ -z "$2" ]; then pass "$1"; else fail "$1" "$2"; fi
}

# ---- generate: six npy files and generate.json -------------------------------------
generate_state() { # DIR: the problems found, or nothing
    local dir=$1 p="" s n all=1
    for s in trn val tst; do
        n=$([ $s = trn ] && echo 2000 || echo 500)
        if [ -e "$dir/${s}_dat.npy" ]; then npy_ok "$dir/${s}_dat.npy" "($n, 5, 4)" || p="$p ${s}_dat.npy partial;"; else all=0; fi
        if [ -e "$dir/${s}_amp.npy" ]; then npy_ok "$dir/${s}_amp.npy" "($n,)" || p="$p ${s}_amp.npy partial;"; else all=0; fi
    done
    if [ -e "$dir/generate.json" ]; then
        json_ok "$dir/generate.json" || p="$p generate.json does not parse;"
        [ $all -eq 1 ] || p="$p generate.json beside missing data files;"
    fi
    no_temps "$dir" || p="$p temporaries left: $(find "$dir" -name '*.tmp*' | xargs -n1 basename | tr '\n' ' ');"
    echo "$p"
}
G=$T/gen
GEN_ARGS=(generate --out "$G" --n-train 2000 --n-val 500 --n-test 500 --threads 2 --seed 7)
for delay in 0.005 0.2 0.4 0.55; do
    killed generate "$delay" "${GEN_ARGS[@]}"
    verdict "generate killed after ${delay}s: each file whole or absent, no temporaries" "$(generate_state "$G")"
done
run "${GEN_ARGS[@]}"
verdict "generate re-run after the kills" "$([ "$rc" -eq 0 ] || echo "exit $rc: $(cat "$T/stderr")")$(generate_state "$G")$([ -e "$G/generate.json" ] || echo " no generate.json")"

# ---- train: models, history.csv, train.json, eval/ ----------------------------------
train_state() { # RUN
    local run=$1 p="" m
    for m in model.safetensors model-last.safetensors; do
        [ ! -e "$run/$m" ] || model_ok "$run/$m" || p="$p $m does not load;"
    done
    [ ! -e "$run/history.csv" ] || head -n 1 "$run/history.csv" | grep -q '^epoch,train_loss' || p="$p history.csv partial;"
    if [ -e "$run/train.json" ]; then
        json_ok "$run/train.json" || p="$p train.json does not parse;"
        [ -e "$run/model-last.safetensors" ] || p="$p train.json without model-last.safetensors;"
    fi
    [ ! -e "$run/eval/pred.npy" ] || npy_ok "$run/eval/pred.npy" "(500, 4)" || p="$p eval/pred.npy partial;"
    if [ -e "$run/eval/metrics.json" ]; then
        json_ok "$run/eval/metrics.json" || p="$p eval/metrics.json does not parse;"
        [ -e "$run/eval/pred.npy" ] && [ -e "$run/train.json" ] || p="$p eval/metrics.json of an incomplete run;"
    fi
    no_temps "$run" || p="$p temporaries left: $(find "$run" -name '*.tmp*' | xargs -n1 basename | tr '\n' ' ');"
    echo "$p"
}
R=$T/run
TRAIN_ARGS=(train --data "$D" --out "$R" --epochs 3 --threads 2)
for delay in 0.01 0.5 2.5; do
    killed train "$delay" "${TRAIN_ARGS[@]}"
    verdict "train killed after ${delay}s: each file whole or absent, no temporaries" "$(train_state "$R")"
done
run "${TRAIN_ARGS[@]}"
verdict "train re-run after the kills" "$([ "$rc" -eq 0 ] || echo "exit $rc: $(cat "$T/stderr")")$(train_state "$R")$([ -e "$R/eval/metrics.json" ] || echo " no eval/metrics.json")"

# ---- predict: one streamed npy file ---------------------------------------------------
P=$T/pred
mkdir -p "$P"
PRED_ARGS=(predict --model "$MODEL" --momenta "$D/trn_dat.npy" --out "$P/pred.npy" --n-monte 100 --threads 2)
predict_state() {
    local p=""
    [ ! -e "$P/pred.npy" ] || npy_ok "$P/pred.npy" "(2000, 4)" || p="$p pred.npy partial;"
    no_temps "$P" || p="$p temporaries left;"
    echo "$p"
}
for delay in 0.005 0.03 0.1 0.2; do
    killed predict "$delay" "${PRED_ARGS[@]}"
    verdict "predict killed after ${delay}s: whole or absent, no temporaries" "$(predict_state)"
done
run "${PRED_ARGS[@]}"
verdict "predict re-run after the kills" "$([ "$rc" -eq 0 ] || echo "exit $rc: $(cat "$T/stderr")")$(predict_state)$([ -e "$P/pred.npy" ] || echo " no pred.npy")"

# ---- evaluate: pred.npy, plots, metrics.json last -------------------------------------
E=$T/eval
EVAL_ARGS=(evaluate --model "$MODEL" --data "$D" --out "$E" --threads 2)
eval_state() {
    local p=""
    [ ! -e "$E/pred.npy" ] || npy_ok "$E/pred.npy" "(500, 4)" || p="$p pred.npy partial;"
    if [ -e "$E/metrics.json" ]; then
        json_ok "$E/metrics.json" || p="$p metrics.json does not parse;"
        [ -e "$E/pred.npy" ] && [ -s "$E/calibration.gp" ] || p="$p metrics.json beside missing files;"
    fi
    no_temps "$E" || p="$p temporaries left;"
    echo "$p"
}
for delay in 0.01 0.3 1.5; do
    killed evaluate "$delay" "${EVAL_ARGS[@]}"
    verdict "evaluate killed after ${delay}s: each file whole or absent, no temporaries" "$(eval_state)"
done
run "${EVAL_ARGS[@]}"
verdict "evaluate re-run after the kills" "$([ "$rc" -eq 0 ] || echo "exit $rc: $(cat "$T/stderr")")$(eval_state)$([ -e "$E/metrics.json" ] || echo " no metrics.json")"

# ---- the named-temporary fallback ------------------------------------------------------
# Without O_TMPFILE a kill can leave TARGET.tmp-PID-XXXXXX; it must be harmless: the
# re-run removes it and succeeds. Files stay whole or absent all the same.
export BAYESAMP_NO_O_TMPFILE=1
G2=$T/gen-named
GEN2_ARGS=(generate --out "$G2" --n-train 2000 --n-val 500 --n-test 500 --threads 2)
left=0
for delay in 0.4 0.55; do
    killed generate "$delay" "${GEN2_ARGS[@]}"
    problems=$(generate_state "$G2")
    [[ $problems == *"temporaries left"* ]] && left=1
    verdict "named fallback: generate killed after ${delay}s: each file whole or absent" "${problems/ temporaries left:*/}"
done
echo "     (named fallback: a kill left temporaries: $([ $left -eq 1 ] && echo yes || echo no))"
run "${GEN2_ARGS[@]}"
verdict "named fallback: the re-run succeeds and removes every stale temporary" "$([ "$rc" -eq 0 ] || echo "exit $rc: $(cat "$T/stderr")")$(generate_state "$G2")"
unset BAYESAMP_NO_O_TMPFILE

summary
