#!/bin/bash
# Tests of processes other than g g -> gamma gamma g through the command line: train,
# evaluate and predict on small pieces of the shared data sets (g g > g g g g, g g > t t~),
# the process from --process or from generate.json, mass overrides, and bad data (wrong
# particle count, off-shell row, non-conserving row, negative amplitude) refused with one
# line naming the file and the row.
#
# usage: cli_process_test.sh PATH_TO_BAYESAMP
# shellcheck source-path=SCRIPTDIR source=cli_common.sh
source "$(dirname "$0")/cli_common.sh"

SHARED=$(cd "$(dirname "$0")/../../shared/data" && pwd)

# subset SRC DST N [ROW COLUMNS FACTOR]: the first N rows of the '<f8' .npy file SRC into
# DST; with ROW COLUMNS FACTOR, the values at those flat positions (comma-separated) of
# that row multiplied by FACTOR (e.g. to push a particle off its mass shell).
subset() {
    npy_perl '
        my ($src, $dst, $n, $row, $col, $factor) = @ARGV;
        open(my $fh, "<:raw", $src) or die "$src: $!";
        local $/;
        my $b = <$fh>;
        my $hlen = unpack("v", substr($b, 8, 2));
        my ($shape) = substr($b, 10, $hlen) =~ /\x27shape\x27: \(([^)]*)\)/;
        my @dims = grep { length } map { s/\s//gr } split /,/, $shape;
        my $per_row = 1;
        $per_row *= $dims[$_] for 1 .. $#dims;
        my @v = unpack("d<*", substr($b, 10 + $hlen, 8 * $n * $per_row));
        if (defined $factor) { $v[$row * $per_row + $_] *= $factor for split /,/, $col }
        $dims[0] = $n;
        my $new = "(" . join(", ", @dims) . (@dims == 1 ? ",)" : ")");
        npy($dst, $new, @v);
    ' "$@"
}

# data FOLDER PROCESS_DIR N [PROCESS]: a data folder of N events per split from the shared
# PROCESS_DIR, with generate.json stating PROCESS if given.
data() {
    mkdir -p "$1"
    for s in trn val tst; do
        subset "$SHARED/$2/${s}_dat.npy" "$1/${s}_dat.npy" "$3"
        subset "$SHARED/$2/${s}_amp.npy" "$1/${s}_amp.npy" "$3"
    done
    if [ -n "${4:-}" ]; then echo "{\"process\": \"$4\"}" > "$1/generate.json"; fi
}

G4=$T/gggg
data "$G4" gg_gggg 300
TT=$T/tt
data "$TT" gg_tt 300 "g g > t t~"

# ---- g g > g g g g with --process, the precision preset --------------------------------
run train --data "$G4" --process "g g > g g g g" --preset precision --epochs 2 --out "$T/r4" --threads 2
check "train g g > g g g g (precision, 2 epochs)" test "$rc" = 0
check "training line names the process" grep -q "events of g g > g g g g (validation" "$T/stdout"
check "evaluation after training" test -s "$T/r4/eval/metrics.json"
check "model records the process" grep -q '"process":"g g > g g g g"' "$T/r4/model.safetensors"
check "15 invariant inputs" grep -q '"n_inputs":"15"' "$T/r4/model.safetensors"
check "train.json records the process" test "$(json_value "$T/r4/train.json" settings/process)" = '"g g > g g g g"'
check "train.json: target log(A s12^2)" test "$(json_value "$T/r4/train.json" preprocessing/target)" = '"log(amplitude * s12^2)"'
check "train.json: mass dimension -4" test "$(json_value "$T/r4/train.json" preprocessing/amplitude_mass_dimension)" = '-4'
run predict --model "$T/r4/model.safetensors" --momenta "$G4/tst_dat.npy" --out "$T/p4.npy" --n-monte 2
check "predict g g > g g g g" test "$rc" = 0
run evaluate --model "$T/r4/model.safetensors" --data "$G4" --out "$T/e4" --n-monte 2 --process "g g > g g g g"
check "evaluate with the model's --process" test "$rc" = 0

# ---- the process is needed, and must be right -------------------------------------------
expect_error "6 particles without a process" 1 "--process" train --data "$G4" --out "$T/x" --epochs 1
expect_error "unknown particle" 2 '"x"' train --data "$G4" --process "g g > g g x g" --out "$T/x"
expect_error "malformed process" 2 "'>'" train --data "$G4" --process "g g g g g g" --out "$T/x"
expect_error "wrong particle count" 1 "(N, 5, 4)" train --data "$G4" --process "g g > g g g" --out "$T/x"
expect_error "tops are not gluons" 1 "mass shell" train --data "$TT" --process "g g > g g" --out "$T/x"
expect_error "--process not the model's (evaluate)" 2 "g g > t t~" evaluate --model "$T/r4/model.safetensors" --data "$G4" --out "$T/x" --process "g g > t t~"
expect_error "--process not the model's (predict)" 2 "g g > a a g" predict --model "$T/r4/model.safetensors" --momenta "$G4/tst_dat.npy" --out "$T/x.npy" --process "g g > a a g"
expect_error "predict: momenta of another process" 1 "(N, 6, 4)" predict --model "$T/r4/model.safetensors" --momenta "$TT/tst_dat.npy" --out "$T/x.npy"
expect_error "amplitude of another process" 2 "only" amplitude --momenta "$TT/tst_dat.npy" --out "$T/x.npy" --process "g g > t t~"
expect_error "amplitude of 4-particle momenta" 1 "g g > a a g" amplitude --momenta "$TT/tst_dat.npy" --out "$T/x.npy"

# ---- g g > t t~ from generate.json, masses ----------------------------------------------
run train --data "$TT" --epochs 1 --out "$T/rt" --threads 2 --no-eval
check "train g g > t t~ from generate.json" test "$rc" = 0
check "model records the top masses" grep -q '"masses":"0,0,173,173"' "$T/rt/model.safetensors"
expect_error "tops at 172.5 GeV are off shell" 1 "row 0" train --data "$TT" --mass t=172.5 --out "$T/x"
expect_error "--mass of a particle not in the process" 2 "no z" train --data "$TT" --mass z=91 --out "$T/x"
expect_error "--mass malformed" 2 "t=heavy" train --data "$TT" --mass t=heavy --out "$T/x"

# ---- bad rows, named with their file ----------------------------------------------------
B=$T/bad
data "$B" gg_tt 40 "g g > t t~"
subset "$SHARED/gg_tt/val_dat.npy" "$B/val_dat.npy" 40 7 8 1.001   # row 7: top's E
expect_error "off-shell row" 1 "val_dat.npy: row 7: particle 3 (t) is off its mass shell" train --data "$B" --out "$T/x"
data "$B" gg_tt 40 "g g > t t~"
subset "$SHARED/gg_tt/tst_dat.npy" "$B/tst_dat.npy" 40 12 0,3 1.001  # row 12: gluon 1 (still massless)
expect_error "non-conserving row" 1 "tst_dat.npy: row 12: momentum not conserved" train --data "$B" --out "$T/x"
data "$B" gg_tt 40 "g g > t t~"
subset "$SHARED/gg_tt/trn_amp.npy" "$B/trn_amp.npy" 40 3 0 -1     # row 3: amplitude < 0
expect_error "negative amplitude" 1 "trn_amp.npy: row 3" train --data "$B" --out "$T/x"
# ---- one file of rows (N, 4P + 1), cut by --split ---------------------------------------
# rows N DAT AMP DST: the first N events of DAT and AMP as rows (momenta, amplitude)
rows() {
    npy_perl '
        my ($n, $dat, $amp, $dst) = @ARGV;
        sub data { open(my $fh, "<:raw", $_[0]) or die "$_[0]: $!"; local $/; my $b = <$fh>;
                   my $hlen = unpack("v", substr($b, 8, 2)); return substr($b, 10 + $hlen) }
        my @d = unpack("d<*", data($dat)); my @a = unpack("d<*", data($amp));
        my $per = 16;
        my @v;
        for my $i (0 .. $n - 1) { push @v, @d[$i * $per .. ($i + 1) * $per - 1], $a[$i] }
        npy($dst, "($n, 17)", @v);
    ' "$@"
}
rows 400 "$SHARED/gg_tt/trn_dat.npy" "$SHARED/gg_tt/trn_amp.npy" "$T/tt_rows.npy"
run train --data "$T/tt_rows.npy" --split 0.5,0.25,0.25 --process "g g > t t~" --epochs 2 --out "$T/rr" --threads 2
check "train on one file of rows with --split (exit $rc)" test "$rc" = 0
check "200 training and 100 validation events" grep -q "on 200 events of g g > t t~ (validation 100)" "$T/stdout"
check "train.json records the split" test "$(json_value "$T/rr/train.json" settings/split)" = "[0.5,0.25,0.25]"
check "the evaluation after training: 100 test events" test "$(json_value "$T/rr/eval/metrics.json" n_events)" = 100
run evaluate --model "$T/rr/model.safetensors" --data "$T/tt_rows.npy" --data-split 0.5,0.25,0.25 --out "$T/ev_rows" --seed 1
check "evaluate the same file and split: the same metrics as after training" \
    test "$(json_value "$T/ev_rows/metrics.json" rel_dev)" = "$(json_value "$T/rr/eval/metrics.json" rel_dev)"
run predict --model "$T/rr/model.safetensors" --momenta "$T/tt_rows.npy" --out "$T/p_rows.npy"
check "predict reads the rows, ignoring the amplitude column" grep -q "predicted 400 events" "$T/stdout"
expect_error "one file without --split" 1 "give the fractions" \
    train --data "$T/tt_rows.npy" --process "g g > t t~" --out "$T/x1"
expect_error "a folder with --split" 1 "--split is for a single file" \
    train --data "$TT" --split 0.8,0.1,0.1 --out "$T/x2"
expect_error "--split of two fractions" 2 "three fractions" \
    train --data "$T/tt_rows.npy" --split 0.8,0.2 --process "g g > t t~" --out "$T/x3"
expect_error "rows of the wrong width for the process" 1 "tt_rows.npy" \
    train --data "$T/tt_rows.npy" --split 0.8,0.1,0.1 --process "g g > t t~ g" --out "$T/x4"
check "no run folders from the failures" test ! -e "$T/x1" -a ! -e "$T/x2" -a ! -e "$T/x3" -a ! -e "$T/x4"

subset "$SHARED/gg_tt/tst_dat.npy" "$T/off.npy" 40 5 8 1.001
expect_error "predict: off-shell row" 1 "off.npy: row 5" predict --model "$T/rt/model.safetensors" --momenta "$T/off.npy" --out "$T/x.npy"
check "no prediction written" test ! -e "$T/x.npy"

summary
