#!/bin/bash
# Tests of `bayesamp generate` and `bayesamp amplitude`: the files and their shapes,
# reproducibility (the same bytes with 1 and 2 threads, a split independent of the
# others' sizes), `amplitude` agreeing byte for byte with what `generate` wrote, and the
# errors: one line on stderr, exit 2 for usage errors, 1 for bad data or unwritable
# output, and no output file after a failure.
#
# usage: cli_generate_test.sh PATH_TO_BAYESAMP
#
# Needs only bash, coreutils and perl (to edit and write .npy bytes). One line per check;
# the last line is "N passed, N failed"; the exit status is non-zero if any check failed.
# shellcheck source-path=SCRIPTDIR source=cli_common.sh
source "$(dirname "$0")/cli_common.sh"

# --- generate: files, shapes, summary ---------------------------------------------------
G1="$T/g1"
run generate --out "$G1" --n-train 200 --n-val 100 --n-test 100 --seed 3 --threads 1
if [ "$rc" -eq 0 ] && [ ! -s "$T/stderr" ] && [ "$(wc -l <"$T/stdout")" -eq 1 ]; then
    pass "generate 200/100/100 events, one summary line: $(cat "$T/stdout")"
else
    fail "generate" "exit $rc, stderr: $(head -c 300 "$T/stderr")"
fi
for spec in trn:200 val:100 tst:100; do
    split=${spec%:*} n=${spec#*:}
    h=$(npy_header "$G1/${split}_dat.npy" 2>/dev/null)
    if [[ $h == *"'descr': '<f8'"* && $h == *"'shape': ($n, 5, 4)"* ]]; then
        pass "${split}_dat.npy is ($n, 5, 4) <f8"
    else
        fail "${split}_dat.npy" "header '$h'"
    fi
    h=$(npy_header "$G1/${split}_amp.npy" 2>/dev/null)
    if [[ $h == *"'descr': '<f8'"* && $h == *"'shape': ($n,)"* ]]; then
        pass "${split}_amp.npy is ($n,) <f8"
    else
        fail "${split}_amp.npy" "header '$h'"
    fi
done
extra=$(ls -A "$G1" | grep -v -x -E '(trn|val|tst)_(dat|amp)\.npy|generate\.json')
if [ -z "$extra" ]; then
    pass "exactly the six .npy files and generate.json, no temporary files"
else
    fail "stray files" "$extra"
fi

# --- generate.json ----------------------------------------------------------------------
J="$G1/generate.json"
missing=""
for key in settings n_train n_val n_test seed sqrt_s mhat_min mhat_max y_max pt_min \
    eta_photon_max eta_gluon_max dr_min threads accepted tried acceptance \
    phase_space_us_per_event amplitude_us_per_event seconds bayesamp git_commit; do
    grep -q "\"$key\":" "$J" 2>/dev/null || missing="$missing $key"
done
if [ -z "$missing" ]; then
    pass "generate.json has every setting, acceptance, timings and versions"
else
    fail "generate.json" "missing keys:$missing"
fi
if grep -Eq '"accepted":[[:space:]]*400,' "$J" && grep -Eq '"seed":[[:space:]]*3,' "$J"; then
    pass "generate.json: 400 accepted events, seed 3"
else
    fail "generate.json values" "$(grep -E '"(accepted|seed)"' "$J")"
fi
if command -v python3 >/dev/null 2>&1; then
    if python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); r = d["result"]; assert r["accepted"] == 400 and 0 < r["acceptance"] <= 1' "$J" 2>"$T/py"; then
        pass "generate.json is valid JSON (python3)"
    else
        fail "generate.json is not valid JSON" "$(tail -n 1 "$T/py")"
    fi
fi

# --- reproducibility ----------------------------------------------------------------------
G2="$T/g2"
run generate --out "$G2" --n-train 200 --n-val 100 --n-test 100 --seed 3 --threads 2
same=1
for f in {trn,val,tst}_{dat,amp}.npy; do
    cmp -s "$G1/$f" "$G2/$f" || same=0
done
if [ "$rc" -eq 0 ] && [ $same -eq 1 ]; then
    pass "--threads 1 and 2 give byte-identical files"
else
    fail "--threads 1 vs 2" "exit $rc, identical: $same"
fi

G3="$T/g3"
run generate --out "$G3" --n-train 100 --n-val 100 --n-test 20 --seed 3 --threads 2
if [ "$rc" -eq 0 ] && cmp -s "$G1/val_dat.npy" "$G3/val_dat.npy" &&
    cmp -s "$G1/val_amp.npy" "$G3/val_amp.npy" &&
    cmp -s -n $((100 * 160)) <(npy_data "$G1/trn_dat.npy") <(npy_data "$G3/trn_dat.npy"); then
    pass "each split is independent of the others' sizes (val identical, trn a prefix)"
else
    fail "split independence" "exit $rc"
fi
if ! cmp -s -n 160 <(npy_data "$G1/trn_dat.npy") <(npy_data "$G1/val_dat.npy"); then
    pass "training and validation events differ"
else
    fail "splits" "trn and val start with the same event"
fi

G4="$T/g4"
run generate --out "$G4" --n-train 20 --n-val 1 --n-test 1 --seed 4
if [ "$rc" -eq 0 ] && ! cmp -s -n 160 <(npy_data "$G1/trn_dat.npy") <(npy_data "$G4/trn_dat.npy"); then
    pass "another seed gives other events"
else
    fail "seed" "exit $rc, or seed 4 repeats seed 3"
fi

# --- amplitude ----------------------------------------------------------------------------
run amplitude --momenta "$G1/trn_dat.npy" --out "$T/amp.npy" --threads 2
if [ "$rc" -eq 0 ] && cmp -s "$T/amp.npy" "$G1/trn_amp.npy"; then
    pass "amplitude of trn_dat.npy is byte-identical to trn_amp.npy"
else
    fail "amplitude" "exit $rc, stderr: $(head -c 300 "$T/stderr")"
fi
run amplitude --momenta "$G1/tst_dat.npy" --out "$T/amp1.npy" --threads 1
if [ "$rc" -eq 0 ] && cmp -s "$T/amp1.npy" "$G1/tst_amp.npy"; then
    pass "amplitude with --threads 1 matches too"
else
    fail "amplitude --threads 1" "exit $rc"
fi

# One event, shape (5, 4): the first training event, written with perl (in a subshell, so
# that if generate failed above the test goes on and the check below reports it).
(npy_perl '
    my ($src, $dst, $off) = @ARGV;
    open(my $in, "<:raw", $src) or die; seek($in, $off, 0); read($in, my $ev, 160) == 160 or die;
    npy($dst, "(5, 4)", unpack("d<*", $ev));
' "$G1/trn_dat.npy" "$T/one.npy" "$(npy_data_offset "$G1/trn_dat.npy")")
run amplitude --momenta "$T/one.npy" --out "$T/one_amp.npy"
h=$(npy_header "$T/one_amp.npy" 2>/dev/null)
if [ "$rc" -eq 0 ] && [[ $h == *"'shape': (1,)"* ]] &&
    cmp -s <(npy_data "$T/one_amp.npy") <(npy_data "$G1/trn_amp.npy" | head -c 8); then
    pass "amplitude of one (5, 4) event: shape (1,), the same value"
else
    fail "amplitude of one event" "exit $rc, header '$h', stderr: $(head -c 300 "$T/stderr")"
fi

# Row 3 with the energy of its first photon (particle 3) changed: off shell.
cp "$G1/trn_dat.npy" "$T/bad.npy"
perl -e '
    my ($f, $off) = @ARGV;
    open(my $fh, "+<:raw", $f) or die; seek($fh, $off, 0); print $fh pack("d<", 1234.5);
' "$T/bad.npy" $(($(npy_data_offset "$T/bad.npy") + (3 * 20 + 2 * 4) * 8))
expect_error "amplitude: off-shell event names file and row" 1 "bad.npy: row 3: particle 3 is off shell" \
    amplitude --momenta "$T/bad.npy" --out "$T/bad_amp.npy"
if [ ! -e "$T/bad_amp.npy" ] && [ -z "$(ls "$T" | grep -i tmp)" ]; then
    pass "no output file after the failure"
else
    fail "failed amplitude left a file" "$(ls "$T")"
fi
expect_error "amplitude: wrong shape" 1 "is not (N, 5, 4) or (5, 4)" \
    amplitude --momenta "$G1/trn_amp.npy" --out "$T/x.npy"
expect_error "amplitude: missing file" 1 "nonexistent.npy" \
    amplitude --momenta "$T/nonexistent.npy" --out "$T/x.npy"
expect_error "amplitude: unwritable --out" 1 "no_such_dir" \
    amplitude --momenta "$G1/tst_dat.npy" --out "$T/no_such_dir/amp.npy"
expect_error "amplitude: --momenta required" 2 "--momenta" amplitude --out "$T/x.npy"
expect_error "amplitude: bad --threads" 2 "--threads" \
    amplitude --momenta "$G1/tst_dat.npy" --out "$T/x.npy" --threads 0
expect_error "amplitude: unknown option" 2 "--frobnicate" \
    amplitude --momenta "$G1/tst_dat.npy" --out "$T/x.npy" --frobnicate

# --- amplitude --model: the network where it is sure, the exact amplitude elsewhere -------
run train --data "$G1" --out "$T/run" --epochs 2 --no-eval --threads 2
check "a small model to try the surrogate with" [ "$rc" -eq 0 ]
# with a loose tolerance the two-epoch model keeps some events and sends others on
run amplitude --momenta "$G1/tst_dat.npy" --model "$T/run/model.safetensors" \
    --tolerance 0.9 --confidence 0.3 --out "$T/hybrid.npy" --threads 2
if [ "$rc" -eq 0 ] && [[ "$(npy_header "$T/hybrid.npy")" == *"'shape': (100, 2)"* ]] &&
   grep -q "exact (" "$T/stdout" && grep -q "all exact" "$T/stdout"; then
    pass "amplitude --model: (100, 2) and a report: $(head -1 "$T/stdout")"
else
    fail "amplitude --model" "exit $rc, stdout $(cat "$T/stdout"), stderr $(head -c 300 "$T/stderr")"
fi
# the flags are 0 or 1; a flagged row holds the exact amplitude, bit for bit
verdict=$(perl -e '
    sub data { open(my $fh, "<:raw", $_[0]) or die; local $/; my $b = <$fh>;
               my $hlen = unpack("v", substr($b, 8, 2)); return substr($b, 10 + $hlen); }
    my @h = unpack("d<*", data($ARGV[0])); my @a = unpack("d<*", data($ARGV[1]));
    my ($bad, $exact) = (0, 0);
    for my $i (0 .. $#a) {
        my ($v, $f) = ($h[2 * $i], $h[2 * $i + 1]);
        $bad++ unless $f == 0 || $f == 1;
        $bad++ if $f == 1 && $v != $a[$i];
        $bad++ unless $v > 0;
        $exact += $f;
    }
    print "$bad bad, $exact exact\n";' "$T/hybrid.npy" "$G1/tst_amp.npy")
check "amplitude --model: flags 0/1, exact rows exact, all positive ($verdict)" [ "${verdict%% *}" = 0 ]
# a tolerance no network meets: everything exact, equal to amplitude without --model
run amplitude --momenta "$G1/tst_dat.npy" --model "$T/run/model.safetensors" \
    --tolerance 1e-12 --out "$T/hybrid_all.npy"
check "amplitude --model with a tiny tolerance: every event exact" grep -q "100 exact (100.00 %)" "$T/stdout"
expect_error "amplitude: --tolerance needs --model" 2 "need --model" \
    amplitude --momenta "$G1/tst_dat.npy" --out "$T/x.npy" --tolerance 0.01
expect_error "amplitude: --confidence out of range" 2 "--confidence" \
    amplitude --momenta "$G1/tst_dat.npy" --out "$T/x.npy" --model "$T/run/model.safetensors" --confidence 1
expect_error "amplitude --model: model missing" 1 "nomodel.safetensors" \
    amplitude --momenta "$G1/tst_dat.npy" --out "$T/x.npy" --model "$T/nomodel.safetensors"
check "failed amplitude --model left no output" [ ! -e "$T/x.npy" ]

# --- generate: usage and runtime errors ------------------------------------------------------
expect_error "generate: --mhat-min above --mhat-max" 2 "mhat_max must not be below mhat_min" \
    generate --out "$T/e1" --mhat-min 3000 --mhat-max 2000
expect_error "generate: negative --n-train" 2 "--n-train" generate --out "$T/e2" --n-train -1
expect_error "generate: --pt-min not a number" 2 "--pt-min: 'x' is not a number" \
    generate --out "$T/e3" --pt-min x
expect_error "generate: unreachable --pt-min" 2 "pt_min is unreachable" \
    generate --out "$T/e4" --pt-min 700
expect_error "generate: --mhat-max above --sqrt-s" 2 "must not exceed sqrt_s" \
    generate --out "$T/e5" --sqrt-s 1000
expect_error "generate: --out required" 2 "--out" generate --n-train 10
expect_error "generate: --seed negative" 2 "--seed" generate --out "$T/e6" --seed -4
expect_error "generate: value missing" 2 "needs a value" generate --out "$T/e7" --dr-min
expect_error "generate: unknown option" 2 "--frobnicate" generate --out "$T/e8" --frobnicate
if [ -z "$(ls "$T" | grep '^e[0-9]')" ]; then
    pass "usage errors create no output folder"
else
    fail "usage errors" "left $(ls "$T" | grep '^e[0-9]')"
fi
touch "$T/plain_file"
expect_error "generate: unwritable --out" 1 "plain_file" \
    generate --out "$T/plain_file/data" --n-train 5 --n-val 5 --n-test 5

# --- help -----------------------------------------------------------------------------------
run generate --help
undocumented=""
for flag in --out --n-train --n-val --n-test --seed --sqrt-s --mhat-min --mhat-max --y-max \
    --pt-min --eta-photon-max --eta-gluon-max --dr-min --threads; do
    grep -q -- "$flag" "$T/stdout" || undocumented="$undocumented $flag"
done
if [ "$rc" -eq 0 ] && [ -z "$undocumented" ] && grep -q "default 30000" "$T/stdout"; then
    pass "generate --help documents every flag"
else
    fail "generate --help" "exit $rc, missing:$undocumented"
fi
run amplitude --help
if [ "$rc" -eq 0 ] && grep -q -- "--momenta" "$T/stdout" && grep -q -- "--tol" "$T/stdout" &&
    grep -q -- "--threads" "$T/stdout"; then
    pass "amplitude --help documents every flag"
else
    fail "amplitude --help" "exit $rc"
fi

# A write that fails after others succeeded leaves no partial data set: the last file
# cannot replace a folder of the same name, so the run fails, removes the files it wrote
# and has removed the previous run's generate.json (the mark of a complete folder).
P=$T/partial
run generate --out "$P" --n-train 20 --n-val 10 --n-test 10
mkdir -p "$P/tst_amp.npy.d" && rm -f "$P/tst_amp.npy" && mv "$P/tst_amp.npy.d" "$P/tst_amp.npy"
run generate --out "$P" --n-train 20 --n-val 10 --n-test 10 --seed 2
left=$(cd "$P" && ls | tr '\n' ' ')
if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/stderr")" -eq 1 ] && [ ! -e "$P/generate.json" ] &&
   [ ! -e "$P/trn_dat.npy" ] && [ ! -e "$P/tst_dat.npy" ] && [ -z "$(find "$P" -name '*.tmp*')" ]; then
    pass "a failed write leaves no partial data set (left: $left)"
else
    fail "partial data set" "exit $rc, left: $left, stderr: $(head -c 300 "$T/stderr")"
fi

summary
