#!/bin/bash
# Tests of `bayesamp predict`, `bayesamp evaluate` and the evaluation at the end of
# `bayesamp train`: drives the real executable on a tiny data set written with perl (no
# Python needed) and a model trained from it for two epochs. Checks what the commands
# write (shapes, keys, plots), that results do not depend on the thread count, and that
# bad models, momenta and flags give one-line errors with exit 1 (runtime) or 2 (usage)
# and leave no partial output.
#
# usage: cli_predict_test.sh PATH_TO_BAYESAMP
# shellcheck source-path=SCRIPTDIR source=cli_common.sh
source "$(dirname "$0")/cli_common.sh"

# npy PATH SHAPE [NAN_VALUE_INDEX]: a '<f8' .npy file of that shape (a Python tuple, e.g.
# "(10, 5, 4)") filled with the momenta of g g > a a g events; one value NaN if an index
# is given.
npy() {
    npy_perl '
        my ($path, $shape, $nan_at) = @ARGV;
        my $n = 1;
        $n *= $_ for ($shape =~ /(\d+)/g);
        srand(length($path) + $n);
        # g g > a a g events (20 values each), cut to the size of the shape
        my @v;
        push @v, event(3) while @v < $n;
        splice(@v, $n);
        $v[$nan_at] = 9**9**9 - 9**9**9 if defined $nan_at;
        npy($path, $shape, @v);
    ' "$@"
}

# amplitudes PATH N: positive amplitudes of shape (N,)
amplitudes() {
    npy_perl '
        my ($path, $n) = @ARGV;
        srand($n);
        npy($path, "($n,)", map { exp(4 * rand() - 2) } 1 .. $n);
    ' "$@"
}

# npy_info PATH: "SHAPE COUNT_OF_ZERO_VALUES_IN_COLUMN_4 N_NONFINITE" of a (N, 4) '<f8'
# prediction file, e.g. "(7, 4) 0 0".
npy_info() {
    perl -e '
        use strict;
        my ($path) = @ARGV;
        open(my $fh, "<:raw", $path) or die "$path: $!";
        local $/;
        my $b = <$fh>;
        my $hlen = unpack("v", substr($b, 8, 2));
        my $h = substr($b, 10, $hlen);
        my ($shape) = $h =~ /\x27shape\x27: (\([^)]*\))/;
        my @v = unpack("d<*", substr($b, 10 + $hlen));
        my ($zeros, $bad) = (0, 0);
        for my $i (0 .. $#v) {
            $zeros++ if $i % 4 == 3 && $v[$i] == 0;
            $bad++ unless $v[$i] == $v[$i] && abs($v[$i]) < 9**9**9;
        }
        my $rows = @v / 4;
        print "$shape $zeros $bad $rows\n";
    ' "$1"
}

# ---- a data set and a model ------------------------------------------------------------
D=$T/data
mkdir -p "$D"
N=150
for s in trn val tst; do
    npy "$D/${s}_dat.npy" "($N, 5, 4)"
    amplitudes "$D/${s}_amp.npy" $N
done
R=$T/run
run train --data "$D" --out "$R" --epochs 2 --batch-size 32 --hidden 8,8 --no-eval
if [ "$rc" -eq 0 ] && [ -s "$R/model.safetensors" ]; then
    pass "train --no-eval makes a model"
else
    echo "FAIL training a model: exit $rc: $(head -c 300 "$T/stderr")"
    exit 1
fi
if [ ! -e "$R/eval" ]; then pass "train --no-eval: no RUN/eval"; else fail "train --no-eval" "RUN/eval written"; fi
M=$R/model.safetensors
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

# ---- help -------------------------------------------------------------------------------
help_defaults predict
for want in "--n-monte N" "default 30" "--mode" "default sample" "--seed" "--threads" "default: all cores" "--batch-size" "default 128"; do
    if grep -q -- "$want" "$T/stdout"; then pass "predict --help mentions '$want'"; else fail "predict --help" "no '$want'"; fi
done
help_defaults evaluate
for want in "--split S" "default tst" "--n-monte" "default 30" "--seed" "--uncertainty U" "default corrected" "--rescale-on-val" "counts Var(mu)"; do
    if grep -q -- "$want" "$T/stdout"; then pass "evaluate --help mentions '$want'"; else fail "evaluate --help" "no '$want'"; fi
done
run train --help
if grep -q -- "--no-eval" "$T/stdout"; then pass "train --help documents --no-eval"; else fail "train --help" "no --no-eval"; fi
run --help
if grep -q "predict" "$T/stdout" && grep -q "evaluate" "$T/stdout"; then pass "bayesamp --help lists predict and evaluate"; else fail "bayesamp --help" "commands missing"; fi

# ---- predict ----------------------------------------------------------------------------
P=$T/pred
mkdir -p "$P"
npy "$T/mom.npy" "(300, 5, 4)"
run predict --model "$M" --momenta "$T/mom.npy" --out "$P/a.npy" --n-monte 5 --threads 1
if [ "$rc" -eq 0 ] && [ ! -s "$T/stderr" ] && grep -q "predicted 300 events" "$T/stdout"; then
    pass "predict exits 0 and reports 300 events"
else
    fail "predict" "exit $rc: $(head -c 300 "$T/stderr") $(cat "$T/stdout")"
fi
info=$(npy_info "$P/a.npy")
if [ "$info" = "(300, 4) 0 0 300" ]; then pass "pred.npy is (300, 4), finite, epistemic > 0"; else fail "pred.npy" "$info"; fi
run predict --model "$M" --momenta "$T/mom.npy" --out "$P/b.npy" --n-monte 5 --threads 2
check "1 and 2 threads give the same file" cmp -s "$P/a.npy" "$P/b.npy"
run predict --model "$M" --momenta "$T/mom.npy" --out "$P/c.npy" --n-monte 5 --seed 2
if [ "$rc" -eq 0 ] && ! cmp -s "$P/a.npy" "$P/c.npy"; then pass "another seed, another prediction"; else fail "seed" "exit $rc or same file"; fi
run predict --model "$M" --momenta "$T/mom.npy" --out "$P/map.npy" --mode map
info=$(npy_info "$P/map.npy")
if [ "$rc" -eq 0 ] && [ "$info" = "(300, 4) 300 0 300" ]; then pass "--mode map: epistemic sigma 0"; else fail "--mode map" "exit $rc: $info"; fi
run predict --model "$M" --momenta "$T/mom.npy" --out "$P/f1.npy" --mode fixed --n-monte 4
run predict --model "$M" --momenta "$T/mom.npy" --out "$P/f2.npy" --mode fixed --n-monte 4 --threads 1
check "--mode fixed: 1 and 2 threads give the same file" cmp -s "$P/f1.npy" "$P/f2.npy"
npy "$T/one.npy" "(5, 4)"
run predict --model "$M" --momenta "$T/one.npy" --out "$P/one.npy"
info=$(npy_info "$P/one.npy")
if [ "$rc" -eq 0 ] && [[ $info == "(1, 4) 0 0 1" ]]; then pass "one event of shape (5, 4)"; else fail "one event" "exit $rc: $info $(cat "$T/stderr")"; fi

# ---- predict errors ---------------------------------------------------------------------
E=$T/errors
mkdir -p "$E"
npy "$T/wrong.npy" "(10, 4, 5)"
npy "$T/nan.npy" "(10, 5, 4)" 66 # value 66 = row 3 (20 per row), particle 1, pz
echo "this is not a model" >"$T/text.safetensors"
expect_error "predict: momenta (N, 4, 5)" 1 "(N, 5, 4)" predict --model "$M" --momenta "$T/wrong.npy" --out "$E/p.npy"
expect_error "predict: NaN momentum" 1 "row 3" predict --model "$M" --momenta "$T/nan.npy" --out "$E/p.npy"
expect_error "predict: momenta file missing" 1 "$T/nope.npy" predict --model "$M" --momenta "$T/nope.npy" --out "$E/p.npy"
expect_error "predict: momenta not .npy" 1 "text.safetensors" predict --model "$M" --momenta "$T/text.safetensors" --out "$E/p.npy"
expect_error "predict: model missing" 1 "$T/none.safetensors" predict --model "$T/none.safetensors" --momenta "$T/mom.npy" --out "$E/p.npy"
expect_error "predict: model not safetensors" 1 "text.safetensors" predict --model "$T/text.safetensors" --momenta "$T/mom.npy" --out "$E/p.npy"
expect_error "predict: a data file as model" 1 "mom.npy" predict --model "$T/mom.npy" --momenta "$T/mom.npy" --out "$E/p.npy"
expect_error "predict: unwritable --out" 1 "$T/no-dir/p.npy" predict --model "$M" --momenta "$T/mom.npy" --out "$T/no-dir/p.npy"
expect_error "predict: --out is a folder" 1 "$E" predict --model "$M" --momenta "$T/mom.npy" --out "$E"
expect_error "predict: --n-monte 0" 2 "--n-monte" predict --model "$M" --momenta "$T/mom.npy" --out "$E/p.npy" --n-monte 0
expect_error "predict: --n-monte x" 2 "--n-monte" predict --model "$M" --momenta "$T/mom.npy" --out "$E/p.npy" --n-monte x
expect_error "predict: --mode foo" 2 "foo" predict --model "$M" --momenta "$T/mom.npy" --out "$E/p.npy" --mode foo
expect_error "predict: --batch-size 0" 2 "--batch-size" predict --model "$M" --momenta "$T/mom.npy" --out "$E/p.npy" --batch-size 0
expect_error "predict: --threads 0" 2 "--threads" predict --model "$M" --momenta "$T/mom.npy" --out "$E/p.npy" --threads 0
expect_error "predict: no --model" 2 "--model" predict --momenta "$T/mom.npy" --out "$E/p.npy"
expect_error "predict: no --momenta" 2 "--momenta" predict --model "$M" --out "$E/p.npy"
expect_error "predict: no --out" 2 "--out" predict --model "$M" --momenta "$T/mom.npy"
expect_error "predict: unknown flag" 2 "--bogus" predict --model "$M" --momenta "$T/mom.npy" --out "$E/p.npy" --bogus
if [ -z "$(ls -A "$E")" ]; then pass "failed predictions leave no files"; else fail "failed predictions" "left: $(ls -A "$E")"; fi

# ---- evaluate ---------------------------------------------------------------------------
V=$T/eval
run evaluate --model "$M" --data "$D" --out "$V" --n-monte 4
if [ "$rc" -eq 0 ] && grep -q "evaluated $N tst events" "$T/stdout"; then pass "evaluate exits 0"; else fail "evaluate" "exit $rc: $(head -c 400 "$T/stderr")"; fi
info=$(npy_info "$V/pred.npy")
if [ "$info" = "($N, 4) 0 0 $N" ]; then pass "evaluate: pred.npy ($N, 4)"; else fail "evaluate: pred.npy" "$info"; fi
for key in n_events rel_dev mean std q05 q16 q50 q84 q95 frac_abs_rel_dev_below '0.001' '0.01' '0.1' pull robust_width coverage '68' '95' nll sigma_aleatoric sigma_epistemic seconds calibration uncertainty bayes_total corrected_total near_singular bulk singular_selection; do
    if grep -q "\"$key\":" "$V/metrics.json"; then pass "metrics.json has \"$key\""; else fail "metrics.json" "no \"$key\""; fi
done
if grep -Eq "\"n_events\":[[:space:]]*$N," "$V/metrics.json"; then pass "metrics.json: n_events $N"; else fail "metrics.json" "n_events"; fi
for plot in loss amplitudes rel_dev uncertainties pull rel_dev_vs_amp calibration; do
    if [ -s "$V/$plot.dat" ] && [ -s "$V/$plot.gp" ]; then pass "evaluate: $plot.dat and $plot.gp"; else fail "evaluate: $plot" "data or script missing"; fi
    if [ "$have_gnuplot" -eq 1 ]; then
        if [ -s "$V/$plot.png" ] && [ -s "$V/$plot.pdf" ]; then pass "evaluate: $plot.png and .pdf"; else fail "evaluate: $plot" "png or pdf missing: $(cat "$T/stderr")"; fi
    fi
done
if [ "$have_gnuplot" -eq 1 ] && [ ! -s "$T/stderr" ]; then pass "evaluate with gnuplot: nothing on stderr"; fi
if [ -z "$(find "$V" -name '*.tmp*')" ]; then pass "evaluate: no temporary files"; else fail "evaluate" "temporary files left"; fi

# the two definitions of the total uncertainty: corrected on top by default, both objects
# always; near_singular (2 of 150 events) and bulk (148); no "rescaled" unless asked
if grep -Eq '"uncertainty":[[:space:]]*"corrected"' "$V/metrics.json"; then pass "metrics.json: uncertainty corrected by default"; else fail "metrics.json" "uncertainty is not corrected"; fi
if [ "$(json_value "$V/metrics.json" amplitude_weighted/sum_bias)" != missing ] &&
   [ "$(json_value "$V/metrics.json" largest_1pct/n_events)" = 2 ] && [ "$(json_value "$V/metrics.json" largest_10pct/n_events)" = 15 ]; then
    pass "metrics.json: amplitude-weighted metrics, largest 1 % (2 of 150) and 10 % (15)"
else
    fail "metrics.json" "amplitude_weighted or largest groups missing or wrong size"
fi
if [ "$(json_value "$V/metrics.json" bayes_total/coverage/68)" != missing ] && [ "$(json_value "$V/metrics.json" corrected_total/nll)" != missing ] &&
   [ "$(grep -c '"bayes_total":' "$V/metrics.json")" -eq 5 ] && [ "$(grep -c '"corrected_total":' "$V/metrics.json")" -eq 5 ]; then
    pass "metrics.json: bayes_total and corrected_total at the top, in both regions and in the largest-amplitude groups"
else
    fail "metrics.json" "bayes_total or corrected_total missing"
fi
if [ "$(json_value "$V/metrics.json" near_singular/n_events)" = 2 ] && [ "$(json_value "$V/metrics.json" bulk/n_events)" = 148 ]; then
    pass "metrics.json: near_singular 2 events, bulk 148"
else
    fail "metrics.json" "near_singular / bulk sizes"
fi
if ! grep -q '"rescaled":' "$V/metrics.json"; then pass "metrics.json: no rescaled without --rescale-on-val"; else fail "metrics.json" "rescaled without asking"; fi
if grep -q "corrected total: pull mean" "$T/stdout" && grep -q "bayes total: robust width" "$T/stdout" &&
   grep -q "within 1 %: bulk .* vs near-singular .*pull width bulk" "$T/stdout"; then
    pass "evaluate: the summary has both totals and bulk vs near-singular"
else
    fail "evaluate summary" "$(cat "$T/stdout")"
fi
if grep -q "corrected: " "$V/pull.gp" && grep -q "using 1:3" "$V/calibration.gp" && grep -q "bayes: " "$V/calibration.gp"; then
    pass "evaluate: pull plot of the corrected total, calibration plot of both"
else
    fail "evaluate plots" "pull.gp or calibration.gp"
fi
PATH=/nonexistent run evaluate --model "$M" --data "$D" --out "$T/eval-bayes" --n-monte 4 --uncertainty bayes
if [ "$rc" -eq 0 ] && grep -Eq '"uncertainty":[[:space:]]*"bayes"' "$T/eval-bayes/metrics.json" &&
   cmp -s "$V/pred.npy" "$T/eval-bayes/pred.npy" && grep -q "bayes total: pull mean" "$T/stdout"; then
    pass "evaluate --uncertainty bayes: bayes on top, the same pred.npy"
else
    fail "evaluate --uncertainty bayes" "exit $rc: $(cat "$T/stderr")"
fi
# the top-level pull of each run is the corrected_total / bayes_total one of the other
c_top=$(json_value "$V/metrics.json" pull)
b_top=$(json_value "$T/eval-bayes/metrics.json" pull)
if [ "$c_top" != missing ] && [ "$c_top" = "$(json_value "$T/eval-bayes/metrics.json" corrected_total/pull)" ] &&
   [ "$c_top" = "$(json_value "$V/metrics.json" corrected_total/pull)" ] &&
   [ "$b_top" = "$(json_value "$V/metrics.json" bayes_total/pull)" ] && [ "$b_top" != "$c_top" ]; then
    pass "top-level pull = corrected_total's by default, bayes_total's with --uncertainty bayes"
else
    fail "top-level pull" "'$c_top' / '$b_top'"
fi
for region in near_singular bulk; do
    for key in n_events rel_dev frac_abs_rel_dev_below/0.001 pull/robust_width coverage/68 coverage/95 nll sigma_aleatoric sigma_epistemic sigma_total bayes_total/pull corrected_total/coverage; do
        if [ "$(json_value "$V/metrics.json" "$region/$key")" != missing ]; then pass "metrics.json: $region/$key"; else fail "metrics.json" "no $region/$key"; fi
    done
    if [ "$(json_value "$V/metrics.json" "$region/calibration")" = missing ]; then pass "metrics.json: no $region/calibration"; else fail "metrics.json" "$region/calibration"; fi
done
PATH=/nonexistent run evaluate --model "$M" --data "$D" --out "$T/eval-rescale" --n-monte 4 --rescale-on-val
R3=$T/eval-rescale/metrics.json
if [ "$rc" -eq 0 ] && [ "$(grep -vc "gnuplot not found" "$T/stderr")" -eq 0 ] &&
   [ "$(json_value "$R3" rescaled/fit_split)" = '"val"' ] && [ "$(json_value "$R3" rescaled/n_fit)" = 150 ] &&
   [ "$(json_value "$R3" rescaled/uncertainty)" = '"corrected"' ] &&
   [ "$(json_value "$R3" rescaled/pull/robust_width)" != missing ] && [ "$(json_value "$R3" rescaled/coverage/68)" != missing ] &&
   grep -q "rescaled (k = " "$T/stdout"; then
    pass "evaluate --rescale-on-val: rescaled with k fitted on 150 val events"
else
    fail "evaluate --rescale-on-val" "exit $rc: $(cat "$T/stderr") $(json_value "$R3" rescaled)"
fi
# k is the robust pull width on val: evaluating val gives the same number
run evaluate --model "$M" --data "$D" --out "$T/eval-val" --n-monte 4 --split val
k=$(json_value "$R3" rescaled/k)
w=$(json_value "$T/eval-val/metrics.json" pull/robust_width)
if [ "$k" != missing ] && [ "$k" = "$w" ]; then pass "rescaled/k = the robust pull width of evaluate --split val ($k)"; else fail "rescaled/k" "$k vs $w"; fi
if [ "$(json_value "$R3" pull)" = "$c_top" ] && [ "$(json_value "$R3" coverage)" = "$(json_value "$V/metrics.json" coverage)" ] &&
   [ "$(json_value "$R3" rel_dev)" = "$(json_value "$V/metrics.json" rel_dev)" ]; then
    pass "evaluate --rescale-on-val: the top-level metrics stay unrescaled"
else
    fail "evaluate --rescale-on-val" "top-level metrics changed"
fi
if [ "$(json_value "$R3" settings/rescale_on_val)" = true ] && [ "$(json_value "$V/metrics.json" settings/uncertainty)" = '"corrected"' ]; then
    pass "metrics.json settings: uncertainty and rescale_on_val"
else
    fail "metrics.json settings" "$(json_value "$R3" settings)"
fi
PATH=/nonexistent run evaluate --model "$M" --data "$D" --out "$T/eval-rescale-val" --n-monte 4 --rescale-on-val --split val
if [ "$rc" -eq 0 ] && grep -q "k is fitted on the evaluated events" "$T/stderr" && [ "$(grep -vc "gnuplot not found" "$T/stderr")" -eq 1 ]; then
    pass "evaluate --rescale-on-val --split val: a notice"
else
    fail "evaluate --rescale-on-val --split val" "exit $rc: $(cat "$T/stderr")"
fi
mkdir -p "$T/no-val"
cp "$D/tst_dat.npy" "$D/tst_amp.npy" "$T/no-val/"
expect_error "evaluate --rescale-on-val without val data" 1 "val_dat.npy" evaluate --model "$M" --data "$T/no-val" --out "$T/eval-no-val" --rescale-on-val
if [ ! -e "$T/eval-no-val" ]; then pass "evaluate --rescale-on-val without val: no folder"; else fail "evaluate --rescale-on-val without val" "folder created"; fi

# without gnuplot: the data and scripts, and one notice saying how to render them
V2=$T/eval-nognuplot
PATH=/nonexistent run evaluate --model "$M" --data "$D" --out "$V2" --n-monte 2
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$T/stderr")" -eq 1 ] && grep -q "gnuplot not found: render with 'cd $V2 && for f in \*.gp; do gnuplot \$f; done'" "$T/stderr"; then
    pass "evaluate without gnuplot: exit 0 and one notice"
else
    fail "evaluate without gnuplot" "exit $rc: $(cat "$T/stderr")"
fi
if [ -s "$V2/pull.gp" ] && [ -s "$V2/pull.dat" ] && [ -z "$(find "$V2" -name '*.png')" ]; then
    pass "evaluate without gnuplot: scripts, no pictures"
else
    fail "evaluate without gnuplot" "$(ls "$V2")"
fi
if [ "$have_gnuplot" -eq 1 ]; then
    if (cd "$V2" && for f in *.gp; do gnuplot "$f" || exit 1; done) && [ -s "$V2/calibration.png" ]; then
        pass "the notice's command renders the plots"
    else
        fail "rendering later" "gnuplot failed"
    fi
fi

# a model without history.csv beside it: no loss plot, a notice
mkdir -p "$T/lone"
cp "$M" "$T/lone/model.safetensors"
PATH=/nonexistent run evaluate --model "$T/lone/model.safetensors" --data "$D" --out "$T/eval-lone" --n-monte 2
if [ "$rc" -eq 0 ] && grep -q "no loss plot" "$T/stderr" && [ ! -e "$T/eval-lone/loss.gp" ] && [ -s "$T/eval-lone/pull.gp" ]; then
    pass "evaluate without history.csv: no loss plot, a notice"
else
    fail "evaluate without history.csv" "exit $rc: $(cat "$T/stderr")"
fi

# the same seed gives the same metrics file except the timing
run evaluate --model "$M" --data "$D" --out "$T/eval-t1" --n-monte 4 --threads 1 --split val
run evaluate --model "$M" --data "$D" --out "$T/eval-t2" --n-monte 4 --threads 2 --split val
check "evaluate: 1 and 2 threads give the same pred.npy" cmp -s "$T/eval-t1/pred.npy" "$T/eval-t2/pred.npy"

# ---- evaluate errors --------------------------------------------------------------------
X=$T/eval-bad
expect_error "evaluate: model missing" 1 "$T/none.safetensors" evaluate --model "$T/none.safetensors" --data "$D" --out "$X"
expect_error "evaluate: model not safetensors" 1 "text.safetensors" evaluate --model "$T/text.safetensors" --data "$D" --out "$X"
expect_error "evaluate: data missing" 1 "tst_dat.npy" evaluate --model "$M" --data "$T/no-data" --out "$X"
expect_error "evaluate: --split foo" 2 "--split" evaluate --model "$M" --data "$D" --out "$X" --split foo
expect_error "evaluate: --n-monte 0" 2 "--n-monte" evaluate --model "$M" --data "$D" --out "$X" --n-monte 0
expect_error "evaluate: --uncertainty foo" 2 "--uncertainty: 'foo' is not one of corrected, bayes" evaluate --model "$M" --data "$D" --out "$X" --uncertainty foo
expect_error "evaluate: --uncertainty without a value" 2 "--uncertainty" evaluate --model "$M" --data "$D" --out "$X" --uncertainty
expect_error "evaluate: no --out" 2 "--out" evaluate --model "$M" --data "$D"
if [ ! -e "$X" ]; then pass "failed evaluations create no folder"; else fail "failed evaluations" "$X created"; fi
: >"$T/a-file"
expect_error "evaluate: --out under a file" 1 "$T/a-file" evaluate --model "$M" --data "$D" --out "$T/a-file/eval"

# ---- train evaluates at the end ---------------------------------------------------------
R2=$T/run-eval
PATH=/nonexistent run train --data "$D" --out "$R2" --epochs 2 --batch-size 32 --hidden 8,8
if [ "$rc" -eq 0 ] && grep -q "evaluated $N tst events" "$T/stdout" && [ -s "$R2/eval/metrics.json" ] &&
   [ -s "$R2/eval/pred.npy" ] && [ -s "$R2/eval/loss.gp" ] && [ -s "$R2/eval/loss.dat" ]; then
    pass "train evaluates the best model into RUN/eval"
else
    fail "train with evaluation" "exit $rc: $(cat "$T/stderr") $(ls "$R2" "$R2/eval" 2>&1)"
fi
if grep -Eq '"seed":[[:space:]]*1,' "$R2/eval/metrics.json" && grep -Eq '"n_monte":[[:space:]]*30,' "$R2/eval/metrics.json"; then
    pass "train's evaluation: 30 passes, the training seed"
else
    fail "train's evaluation" "settings in metrics.json"
fi

summary
