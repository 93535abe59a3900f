#!/usr/bin/env bash
# Every command under `mpirun -np 2` (issue 14): generate, amplitude (exact and with a
# model), predict, evaluate and train give the files of one process bit for bit, and
# train, amplitude and evaluate read on each rank only its share of the events
# (BAYESAMP_READ_STATS); a failing rank (a bad event in rank 1's share, an unwritable
# output, a rank killed) stops the job with a non-zero status, one line that names the
# rank, and no output.
#
#   bash tests/cli_mpi_test.sh PATH_TO_BAYESAMP PATH_TO_MPIEXEC
#
# Runs as root in CI and containers: Open MPI refuses root unless asked twice
# (OMPI_ALLOW_RUN_AS_ROOT*), and two ranks on fewer than two free cores need
# --oversubscribe.
source "$(dirname "$0")/cli_common.sh"
MPIEXEC=${2:?usage: $ME PATH_TO_BAYESAMP PATH_TO_MPIEXEC}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Both ranks on this machine through shared memory: no network interfaces to probe.
export OMPI_MCA_btl=self,vader

# mpi2 ARGS...: bayesamp ARGS on two ranks; rc, $T/stdout, $T/stderr as run.
mpi2() {
    timeout 300 "$MPIEXEC" --oversubscribe -np 2 "$BIN" "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
}

# same NAME A B: A and B exist and are identical byte for byte.
same() {
    if [ -f "$2" ] && [ -f "$3" ] && cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$2 and $3 differ or are missing"; fi
}

# mpi_fails NAME NEEDLE ARGS...: two ranks fail: exit non-zero, exactly one line from
# bayesamp ("bayesamp: rank R: ...") containing NEEDLE (mpirun adds its own banner).
mpi_fails() {
    local name=$1 needle=$2
    shift 2
    mpi2 "$@"
    local lines
    lines=$(grep -c '^bayesamp: ' "$T/stderr")
    if [ "$rc" -eq 0 ]; then
        fail "$name" "exit 0"
    elif [ "$lines" -ne 1 ]; then
        fail "$name" "$lines lines from bayesamp: $(head -c 400 "$T/stderr")"
    elif ! grep '^bayesamp: ' "$T/stderr" | grep -qF -- "$needle"; then
        fail "$name" "no '$needle' in: $(grep '^bayesamp: ' "$T/stderr")"
    else
        pass "$name ($(grep '^bayesamp: ' "$T/stderr"))"
    fi
}

# no_output NAME FILE: FILE does not exist and no temporary beside it.
no_output() {
    local dir
    dir=$(dirname "$2")
    if [ ! -e "$2" ] && ! ls -a "$dir" | grep -q 'tmp-'; then pass "$1"; else fail "$1" "$(ls -a "$dir")"; fi
}

# BAYESAMP_READ_STATS=1: every rank says how many bytes of data files it read.
reads() { sed -n "s/^read stats: rank $1 of $2 read \([0-9]*\) bytes of data files$/\1/p" "$T/stderr"; }
# half_each R0 R1 ALL: the two ranks' reads add up to one process's, each at most 60 %.
half_each() { [ $(($1 + $2)) -eq "$3" ] && [ $(($1 * 10)) -le $(($3 * 6)) ] && [ $(($2 * 10)) -le $(($3 * 6)) ]; }
# shared_reads NAME ARGS...: bayesamp ARGS on one process and on two ranks with read
# statistics; the ranks' reads add up to the one process's, about half each.
shared_reads() {
    local name=$1 all r0 r1
    shift
    BAYESAMP_READ_STATS=1 run "$@"
    all=$(reads 0 1)
    BAYESAMP_READ_STATS=1 mpi2 "$@"
    r0=$(reads 0 2) r1=$(reads 1 2)
    check "$name on 2 ranks: each rank reads about half (${r0:-no} and ${r1:-no} of ${all:-no} bytes)" \
        half_each "${r0:-0}" "${r1:-0}" "${all:-0}"
}

# off_shell FILE ROW: the first photon's energy of event ROW of a (N, 5, 4) float64 .npy
# set to 1234.5 GeV, off its mass shell.
off_shell() {
    perl -e '
        my ($f, $off) = @ARGV;
        open(my $fh, "+<:raw", $f) or die; seek($fh, $off, 0); print $fh pack("d<", 1234.5);
    ' "$1" $(($(npy_data_offset "$1") + ($2 * 20 + 2 * 4) * 8))
}

# --- generate: each rank its share of every split ------------------------------------
run generate --out "$T/g1" --n-train 700 --n-val 300 --n-test 333 --threads 2
mpi2 generate --out "$T/g2" --n-train 700 --n-val 300 --n-test 333
check "generate on 2 ranks: exit 0, says so" eval '[ "$rc" -eq 0 ] && grep -q "x 2 MPI ranks" "$T/stdout"'
for f in trn_dat trn_amp val_dat val_amp tst_dat tst_amp; do
    same "generate on 2 ranks: $f.npy identical" "$T/g1/$f.npy" "$T/g2/$f.npy"
done
check "generate on 2 ranks: generate.json written" test -s "$T/g2/generate.json"
G=$T/g1

# --- amplitude --------------------------------------------------------------------------
run amplitude --momenta "$G/tst_dat.npy" --out "$T/a1.npy"
mpi2 amplitude --momenta "$G/tst_dat.npy" --out "$T/a2.npy"
same "amplitude on 2 ranks: identical" "$T/a1.npy" "$T/a2.npy"
same "amplitude on 2 ranks: what generate wrote" "$G/tst_amp.npy" "$T/a2.npy"
# each rank reads its par_range(n) of the events, rank 0 gathers the amplitudes
shared_reads "amplitude" amplitude --momenta "$G/tst_dat.npy" --out "$T/a3.npy"
same "amplitude on 2 ranks, each with its share: identical" "$T/a1.npy" "$T/a3.npy"

# --- train: the chain of block gradients gives the one-process model ------------------
# batch 300: blocks of 64 rows, 5 per batch, split 2 + 3, and a last batch of 100 rows
# (2 blocks) and of one block; the precision preset adds gradient clipping (the global
# norm after the reduction) and the local sampler (noise by row within the batch).
run train --data "$G" --out "$T/t1" --epochs 3 --batch-size 300 --threads 2
mpi2 train --data "$G" --out "$T/t2" --epochs 3 --batch-size 300
check "train on 2 ranks: exit 0" [ "$rc" -eq 0 ]
same "train on 2 ranks: the best model identical" "$T/t1/model.safetensors" "$T/t2/model.safetensors"
same "train on 2 ranks: the last model identical" "$T/t1/model-last.safetensors" "$T/t2/model-last.safetensors"
same "train on 2 ranks: its evaluation's predictions identical" "$T/t1/eval/pred.npy" "$T/t2/eval/pred.npy"
check "train on 2 ranks: the same losses in history.csv" \
    eval 'diff <(cut -d, -f1-5 "$T/t1/history.csv") <(cut -d, -f1-5 "$T/t2/history.csv") >/dev/null'
run train --data "$G" --out "$T/p1" --preset precision --epochs 2 --batch-size 256 --no-eval
mpi2 train --data "$G" --out "$T/p2" --preset precision --epochs 2 --batch-size 256 --no-eval
same "train --preset precision on 2 ranks: identical" "$T/p1/model-last.safetensors" "$T/p2/model-last.safetensors"
# batch 128 is 2 blocks: one per rank, the tutorial's setting
run train --data "$G" --out "$T/b1" --epochs 2 --no-eval --threads 1
mpi2 train --data "$G" --out "$T/b2" --epochs 2 --no-eval
same "train, batch 128, on 2 ranks: identical" "$T/b1/model-last.safetensors" "$T/b2/model-last.safetensors"

# --- train: each rank reads only its share of the events --------------------------------
# Without the evaluation after training, one process reads every value of the six files
# once; two ranks read each value once between them, each about half (rows par_range(n)
# of every file), and fetch the rest of their batches from each other.
BAYESAMP_READ_STATS=1 run train --data "$G" --out "$T/s1" --epochs 2 --batch-size 300 --no-eval --threads 2
all=$(reads 0 1)
export BAYESAMP_READ_STATS=1
mpi2 train --data "$G" --out "$T/s2" --epochs 2 --batch-size 300 --no-eval
r0=$(reads 0 2) r1=$(reads 1 2)
check "train, one process: reads every value once (${all:-no} bytes)" \
    [ "${all:-0}" -eq $(((700 + 300 + 333) * 21 * 8)) ]
check "train on 2 ranks: each rank reads about half (${r0:-no} and ${r1:-no} of $all bytes)" \
    half_each "${r0:-0}" "${r1:-0}" "$all"
same "train on 2 ranks, each with its share: the one-process model" "$T/s1/model-last.safetensors" "$T/s2/model-last.safetensors"
# One file of rows (N, 21) cut by --split: a rank reads the rows from its first event of
# the fixed shuffle to its last, about half the file; the precision preset adds the
# likelihood weights (normalised over all training events) and the calibration on all
# validation events, which rank 0 gathers.
npy_perl '
    my ($dat, $amp, $dst) = @ARGV;
    sub data { open(my $fh, "<:raw", $_[0]) or die; local $/; my $b = <$fh>;
               return substr($b, 10 + unpack("v", substr($b, 8, 2))) }
    my @d = unpack("d<*", data($dat)); my @a = unpack("d<*", data($amp));
    npy($dst, "(700, 21)", map { (@d[$_ * 20 .. $_ * 20 + 19], $a[$_]) } 0 .. 699);
' "$G/trn_dat.npy" "$G/trn_amp.npy" "$T/rows.npy"
unset BAYESAMP_READ_STATS
run train --data "$T/rows.npy" --split 0.6,0.2,0.2 --out "$T/f1" --preset precision --epochs 2 --batch-size 128 --no-eval --threads 2
export BAYESAMP_READ_STATS=1
mpi2 train --data "$T/rows.npy" --split 0.6,0.2,0.2 --out "$T/f2" --preset precision --epochs 2 --batch-size 128 --no-eval
unset BAYESAMP_READ_STATS
r0=$(reads 0 2) r1=$(reads 1 2)
check "train --split on 2 ranks: each rank reads at most 60 % of the file (${r0:-no} and ${r1:-no} bytes)" \
    eval '[ "${r0:-0}" -gt 0 ] && [ "${r1:-0}" -gt 0 ] && [ $((r0 * 10)) -le $((700 * 21 * 8 * 6)) ] && [ $((r1 * 10)) -le $((700 * 21 * 8 * 6)) ]'
same "train --split --preset precision on 2 ranks: identical (calibrated) model" "$T/f1/model.safetensors" "$T/f2/model.safetensors"
same "train --split --preset precision on 2 ranks: identical last model" "$T/f1/model-last.safetensors" "$T/f2/model-last.safetensors"
MODEL=$T/t1/model.safetensors

# --- predict and evaluate ---------------------------------------------------------------
# 333 events in batches of 50: rank 0 takes batches 0-2, rank 1 batches 3-6 (the last short)
run predict --model "$MODEL" --momenta "$G/tst_dat.npy" --out "$T/pr1.npy" --batch-size 50
mpi2 predict --model "$MODEL" --momenta "$G/tst_dat.npy" --out "$T/pr2.npy" --batch-size 50
same "predict on 2 ranks: identical" "$T/pr1.npy" "$T/pr2.npy"
run evaluate --model "$MODEL" --data "$G" --out "$T/e1" --rescale-on-val
mpi2 evaluate --model "$MODEL" --data "$G" --out "$T/e2" --rescale-on-val
same "evaluate on 2 ranks: pred.npy identical" "$T/e1/pred.npy" "$T/e2/pred.npy"
check "evaluate on 2 ranks: the same metrics" eval \
    '[ "$(json_value "$T/e1/metrics.json" metrics)" = "$(json_value "$T/e2/metrics.json" metrics)" ]'
# Each rank reads its batches of the tst and val events (333 and 300 in batches of 50:
# 150 + 183 and 150 + 150); rank 0 gathers the predictions, amplitudes and singular
# measures, and the metrics (near-singular events included) are one process's.
shared_reads "evaluate --rescale-on-val" evaluate --model "$MODEL" --data "$G" --out "$T/e3" \
    --rescale-on-val --batch-size 50
run evaluate --model "$MODEL" --data "$G" --out "$T/e4" --rescale-on-val --batch-size 50
same "evaluate on 2 ranks, each with its share: pred.npy identical" "$T/e4/pred.npy" "$T/e3/pred.npy"
check "evaluate on 2 ranks, each with its share: the same metrics" eval \
    '[ "$(json_value "$T/e4/metrics.json" metrics)" = "$(json_value "$T/e3/metrics.json" metrics)" ]'
# One file cut by --data-split: a rank reads the rows from its first event to its last
# of every split (one process checks every event), once for tst and once for val; in
# batches of 10, each rank's events of the 140 tst and val events are about half of them
run evaluate --model "$MODEL" --data "$T/rows.npy" --data-split 0.6,0.2,0.2 --out "$T/ef1" \
    --rescale-on-val --batch-size 10
BAYESAMP_READ_STATS=1 mpi2 evaluate --model "$MODEL" --data "$T/rows.npy" --data-split 0.6,0.2,0.2 \
    --out "$T/ef2" --rescale-on-val --batch-size 10
r0=$(reads 0 2) r1=$(reads 1 2)
check "evaluate --data-split on 2 ranks: each rank reads at most 60 % of the file twice (${r0:-no} and ${r1:-no} bytes)" \
    eval '[ "${r0:-0}" -gt 0 ] && [ "${r1:-0}" -gt 0 ] && [ $((r0 * 10)) -le $((2 * 700 * 21 * 8 * 6)) ] && [ $((r1 * 10)) -le $((2 * 700 * 21 * 8 * 6)) ]'
same "evaluate --data-split on 2 ranks: pred.npy identical" "$T/ef1/pred.npy" "$T/ef2/pred.npy"
check "evaluate --data-split on 2 ranks: the same metrics" eval \
    '[ "$(json_value "$T/ef1/metrics.json" metrics)" = "$(json_value "$T/ef2/metrics.json" metrics)" ]'
run amplitude --momenta "$G/tst_dat.npy" --model "$MODEL" --out "$T/h1.npy" --tolerance 0.3
mpi2 amplitude --momenta "$G/tst_dat.npy" --model "$MODEL" --out "$T/h2.npy" --tolerance 0.3
same "amplitude --model on 2 ranks: identical" "$T/h1.npy" "$T/h2.npy"
# 700 events in batches of 128: rank 0 reads and predicts batches 0-2, rank 1 3-5; the
# events the network is unsure of are shared out evenly for the exact code
# (the barely trained model is sure of some events only at a low confidence)
shared_reads "amplitude --model" amplitude --momenta "$G/trn_dat.npy" --model "$MODEL" \
    --out "$T/h3.npy" --tolerance 0.3 --confidence 0.1
n_exact=$(sed -n 's/^700 amplitudes: \([0-9]*\) exact .*/\1/p' "$T/stdout")
check "amplitude --model on 2 ranks: some events exact (${n_exact:-no}), the others the network's" \
    eval '[ "${n_exact:-0}" -gt 0 ] && [ "$n_exact" -lt 700 ]'
run amplitude --momenta "$G/trn_dat.npy" --model "$MODEL" --out "$T/h4.npy" --tolerance 0.3 --confidence 0.1
same "amplitude --model on 2 ranks, each with its share: identical" "$T/h4.npy" "$T/h3.npy"

# --- failures ---------------------------------------------------------------------------
# Row 300 (rank 1's share of 333 events in batches of 50) off shell: rank 1 finds it.
cp "$G/tst_dat.npy" "$T/bad.npy"
off_shell "$T/bad.npy" 300
mpi_fails "predict: a bad event in rank 1's share" "rank 1: $T/bad.npy: row 300" \
    predict --model "$MODEL" --momenta "$T/bad.npy" --out "$T/bad_pred.npy" --batch-size 50
no_output "predict: no file after rank 1 failed" "$T/bad_pred.npy"
mpi_fails "predict: unwritable output" "rank 0: $T/nodir/p.npy: cannot write" \
    predict --model "$MODEL" --momenta "$G/tst_dat.npy" --out "$T/nodir/p.npy"
# rank 1 reads rows 166-332 of the exact amplitude, and 128-332 with --model
mpi_fails "amplitude: a bad event in rank 1's share" "rank 1: $T/bad.npy: row 300" \
    amplitude --momenta "$T/bad.npy" --out "$T/bad_amp.npy"
no_output "amplitude: no file after the failure" "$T/bad_amp.npy"
mpi_fails "amplitude --model: a bad event in rank 1's share" "rank 1: $T/bad.npy: row 300" \
    amplitude --momenta "$T/bad.npy" --model "$MODEL" --out "$T/bad_hyb.npy"
no_output "amplitude --model: no file after the failure" "$T/bad_hyb.npy"
mpi_fails "train: missing data" "rank 0:" train --data "$T/nothing" --out "$T/t3"
# Row 600 of the training momenta off shell: only rank 1, which reads rows 350-699, sees it.
mkdir -p "$T/badtrn" && cp "$G"/*.npy "$G/generate.json" "$T/badtrn/"
off_shell "$T/badtrn/trn_dat.npy" 600
mpi_fails "train: a bad event in rank 1's share" "rank 1: $T/badtrn/trn_dat.npy: row 600" \
    train --data "$T/badtrn" --out "$T/t4"
no_output "train: no model after rank 1 failed" "$T/t4/model.safetensors"
# Row 300 of the test momenta off shell: rank 1 reads rows 128-332 (batches of 128).
off_shell "$T/badtrn/tst_dat.npy" 300
mpi_fails "evaluate: a bad event in rank 1's share" "rank 1: $T/badtrn/tst_dat.npy: row 300" \
    evaluate --model "$MODEL" --data "$T/badtrn" --out "$T/ebad"
no_output "evaluate: no pred.npy after rank 1 failed" "$T/ebad/pred.npy"
no_output "evaluate: no metrics.json after rank 1 failed" "$T/ebad/metrics.json"
mpi_fails "generate: unwritable folder" "rank 0:" generate --out /proc/no/such --n-train 10

# A rank killed (SIGKILL) in the middle of a long prediction: mpirun stops the job and
# says which rank died; no file appears. Each rank records its process id first.
cat >"$T/rank.sh" <<'EOF'
#!/usr/bin/env bash
echo $$ >"$PIDS.$OMPI_COMM_WORLD_RANK"
exec "$@"
EOF
chmod +x "$T/rank.sh"
PIDS=$T/pid timeout 300 "$MPIEXEC" --oversubscribe -np 2 -x PIDS "$T/rank.sh" "$BIN" predict \
    --model "$MODEL" --momenta "$G/trn_dat.npy" --out "$T/killed.npy" --n-monte 200000 \
    >"$T/stdout" 2>"$T/stderr" &
job=$!
for _ in $(seq 100); do [ -s "$T/pid.1" ] && break; sleep 0.1; done
sleep 1
kill -KILL "$(cat "$T/pid.1")"
wait $job
rc=$?
if [ "$rc" -ne 0 ] && grep -q "rank 1" "$T/stderr"; then
    pass "a killed rank stops the job (exit $rc): $(grep -m1 'rank 1' "$T/stderr" | sed 's/^ *//')"
else
    fail "a killed rank" "exit $rc, stderr: $(head -c 400 "$T/stderr")"
fi
no_output "a killed rank: no file" "$T/killed.npy"

summary
