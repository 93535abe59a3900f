#!/usr/bin/env bash
# Every command under `mpirun -np 2` (issue 14): generate, amplitude (exact and with a
# model), predict, evaluate and train give the files of one process bit for bit, and
# train reads on each rank only its share of the events (BAYESAMP_READ_STATS); a
# failing rank (a bad event in rank 1's share, an unwritable output, a rank killed)
# stops the job with a non-zero status, one line that names the rank, and no output.
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
# BAYESAMP_READ_STATS=1: every rank says how many bytes of data files it read. Without the
# evaluation after training, one process reads every value of the six files once; two
# ranks read each value once between them, each about half (rows par_range(n) of every
# file), and fetch the rest of their batches from each other.
reads() { sed -n "s/^read stats: rank $1 of $2 read \([0-9]*\) bytes of data files$/\1/p" "$T/stderr"; }
half_each() { [ $(($1 + $2)) -eq "$3" ] && [ $(($1 * 10)) -le $(($3 * 6)) ] && [ $(($2 * 10)) -le $(($3 * 6)) ]; }
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
run amplitude --momenta "$G/tst_dat.npy" --model "$MODEL" --out "$T/h1.npy" --tolerance 0.3
mpi2 amplitude --momenta "$G/tst_dat.npy" --model "$MODEL" --out "$T/h2.npy" --tolerance 0.3
same "amplitude --model on 2 ranks: identical" "$T/h1.npy" "$T/h2.npy"

# --- failures ---------------------------------------------------------------------------
# Row 300 (rank 1's share of 333 events in batches of 50) off shell: rank 1 finds it.
cp "$G/tst_dat.npy" "$T/bad.npy"
perl -e '
    my ($f, $off) = @ARGV;
    open(my $fh, "+<:raw", $f) or die; seek($fh, $off, 0); print $fh pack("d<", 1234.5);
' "$T/bad.npy" $(($(npy_data_offset "$T/bad.npy") + (300 * 20 + 2 * 4) * 8))
mpi_fails "predict: a bad event in rank 1's share" "rank 1: $T/bad.npy: row 300" \
    predict --model "$MODEL" --momenta "$T/bad.npy" --out "$T/bad_pred.npy" --batch-size 50
no_output "predict: no file after rank 1 failed" "$T/bad_pred.npy"
mpi_fails "predict: unwritable output" "rank 0: $T/nodir/p.npy: cannot write" \
    predict --model "$MODEL" --momenta "$G/tst_dat.npy" --out "$T/nodir/p.npy"
mpi_fails "amplitude: a bad event" "row 300" amplitude --momenta "$T/bad.npy" --out "$T/bad_amp.npy"
no_output "amplitude: no file after the failure" "$T/bad_amp.npy"
mpi_fails "train: missing data" "rank 0:" train --data "$T/nothing" --out "$T/t3"
# Row 600 of the training momenta off shell: only rank 1, which reads rows 350-699, sees it.
mkdir -p "$T/badtrn" && cp "$G"/*.npy "$G/generate.json" "$T/badtrn/"
perl -e '
    my ($f, $off) = @ARGV;
    open(my $fh, "+<:raw", $f) or die; seek($fh, $off, 0); print $fh pack("d<", 1234.5);
' "$T/badtrn/trn_dat.npy" $(($(npy_data_offset "$T/badtrn/trn_dat.npy") + (600 * 20 + 2 * 4) * 8))
mpi_fails "train: a bad event in rank 1's share" "rank 1: $T/badtrn/trn_dat.npy: row 600" \
    train --data "$T/badtrn" --out "$T/t4"
no_output "train: no model after rank 1 failed" "$T/t4/model.safetensors"
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
