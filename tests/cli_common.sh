# Shared plumbing of the command-line tests (tests/cli_*_test.sh). Sourced, not run:
#
#     source "$(dirname "$0")/cli_common.sh"
#
# at the top of a test, which is run as `bash tests/cli_X_test.sh PATH_TO_BAYESAMP`.
# Sourcing it takes the test's first argument as the executable (BIN), makes a temporary
# folder (T) that is removed when the test exits, and sets LC_ALL=C. The test then prints
# one line per check through pass, fail, check or expect_error, and ends with
# `summary`: the last line is "N passed, N failed" and the exit status is non-zero if any
# check failed. The .npy helpers need only perl and coreutils (no Python, no numpy).
set -u
export LC_ALL=C

# The test's own name, for messages about the test rather than about bayesamp.
ME=$(basename "$0")

# BIN: the executable under test, the test's first argument.
BIN=${1:?usage: $ME PATH_TO_BAYESAMP}
if [ ! -x "$BIN" ]; then
    echo "$ME: $BIN is not an executable" >&2
    exit 2
fi

# T: a temporary folder for the test's files, removed on exit.
T=$(mktemp -d "${TMPDIR:-/tmp}/bayesamp-${ME%_test.sh}-XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT

# pass NAME, fail NAME WHY: report one check and count it.
passed=0
failed=0
pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

# check NAME COMMAND...: passes if the command succeeds (for a compound condition, pass
# `eval "CONDITION"` as the command).
check() {
    local name=$1
    shift
    if "$@"; then pass "$name"; else fail "$name" "'$*' failed"; fi
}

# summary: the last line, "N passed, N failed"; returns non-zero if any check failed, so
# that as the test's last command it gives the test's exit status.
summary() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# run ARGS...: run the executable; leaves its exit code in rc and its output in
# $T/stdout, $T/stderr.
run() {
    "$BIN" "$@" >"$T/stdout" 2>"$T/stderr"
    rc=$?
}

# expect_error NAME WANT_RC NEEDLE ARGS...: run ARGS; the exit code is WANT_RC and stderr
# is exactly one line, "bayesamp: ..." containing NEEDLE.
expect_error() {
    local name=$1 want=$2 needle=$3
    shift 3
    run "$@"
    local first bytes
    first=$(head -n 1 "$T/stderr")
    bytes=$(wc -c <"$T/stderr")
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit code $rc, want $want (stderr: $(head -c 300 "$T/stderr"))"
    elif [ "$bytes" -ne $((${#first} + 1)) ]; then # the first line and its newline, no more
        fail "$name" "stderr is not exactly one line: $(head -c 300 "$T/stderr")"
    elif [[ $first != "bayesamp: "* ]]; then
        fail "$name" "stderr does not start with 'bayesamp: ': $first"
    elif [[ $first != *"$needle"* ]]; then
        fail "$name" "stderr does not mention '$needle': $first"
    else
        pass "$name (exit $rc: $first)"
    fi
}

# help_block FLAG: the lines of the --help text in $T/stdout from FLAG's line (one that
# starts "  --FLAG") to the next flag's line.
help_block() {
    awk -v flag="$1" '
        /^  --/ { inside = ($1 == flag) }
        inside { print }
    ' "$T/stdout"
}

# help_defaults COMMAND: one check that `COMMAND --help` exits 0, quietly, and that every
# flag but --help gives its default or says "(required)". Leaves the text in $T/stdout.
help_defaults() {
    run "$1" --help
    if [ "$rc" -ne 0 ] || [ -s "$T/stderr" ]; then
        fail "$1 --help" "exit $rc"
        return
    fi
    local missing="" flag block
    for flag in $(awk '/^  --/ { print $1 }' "$T/stdout"); do
        [ "$flag" = --help ] && continue
        block=$(help_block "$flag")
        [[ $block == *"(default"* || $block == *"(required)"* ]] || missing="$missing $flag"
    done
    if [ -z "$missing" ]; then pass "$1 --help gives a default for every flag"; else fail "$1 --help" "no default for:$missing"; fi
}

# npy_perl CODE ARGS...: run the perl CODE (under `use strict`, ARGS in @ARGV), which may
# call npy(PATH, SHAPE, VALUES...) to write a '<f8' version 1.0 .npy file as numpy writes
# it; SHAPE is a Python tuple such as "(10, 5, 4)" or "(10,)". CODE may also call
# event(N_OUT) for the 4 (N_OUT + 2) momenta of a random massless 2 -> N_OUT event that
# passes bayesamp's checks: outgoing momenta of up to 100 GeV per component (the last
# one balancing the transverse momentum), incoming gluons along +z and -z carrying the
# total energy and pz. Exits the test with status 2 if perl fails.
npy_perl() {
    local code=$1
    shift
    perl -e '
        use strict;
        sub npy {
            my ($path, $shape, @v) = @_;
            # Magic, version 1.0, 2-byte header length; the header dict padded with
            # spaces and ended by a newline so that the data start at a multiple of 64.
            my $dict = "{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: $shape, }";
            my $pad = (64 - (10 + length($dict) + 1) % 64) % 64;
            $dict .= (" " x $pad) . "\n";
            open(my $fh, ">:raw", $path) or die "$path: $!";
            print $fh "\x93NUMPY\x01\x00", pack("v", length $dict), $dict, pack("d<*", @v);
            close($fh) or die "$path: $!";
        }
        sub event {
            my ($n_out) = @_;
            my (@out, $sx, $sy, $sz, $se);
            $sx = $sy = $sz = $se = 0;
            for my $k (1 .. $n_out) {
                my @q = map { 200 * rand() - 100 } 1 .. 3;
                @q[0, 1] = (-$sx, -$sy) if $k == $n_out;
                my $e = sqrt($q[0]**2 + $q[1]**2 + $q[2]**2);
                push @out, $e, @q;
                $sx += $q[0]; $sy += $q[1]; $sz += $q[2]; $se += $e;
            }
            my ($e1, $e2) = (($se + $sz) / 2, ($se - $sz) / 2);
            return ($e1, 0, 0, $e1, $e2, 0, 0, -$e2, @out);
        }
    ' -e "$code" "$@" || { echo "$ME: perl could not write .npy test data" >&2; exit 2; }
}

# npy_data_offset FILE: where the data of a version 1.0 .npy file start (the header
# length is at bytes 8-9).
npy_data_offset() {
    echo $((10 + $(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')))
}

# npy_header FILE: the header dict of a version 1.0 .npy file.
npy_header() {
    local hlen
    hlen=$(od -An -tu2 -j8 -N2 "$1" | tr -d ' ')
    head -c $((10 + hlen)) "$1" | tail -c "$hlen"
}

# npy_data FILE: the data bytes of a .npy file, without its header (one event of
# (N, 5, 4) float64 is 160 bytes, one amplitude 8).
npy_data() {
    tail -c +$(($(npy_data_offset "$1") + 1)) "$1"
}

# json_value FILE PATH: the value at PATH in the JSON file, as canonical compact JSON
# (keys sorted), or "missing". PATH names the keys from the top, separated by '/' (keys
# may contain dots, e.g. "frac_abs_rel_dev_below/0.01"); array items by index. Uses perl's
# core JSON::PP.
json_value() {
    perl -MJSON::PP -e '
        use strict;
        my ($path, $keys) = @ARGV;
        open(my $fh, "<", $path) or do { print "missing\n"; exit 0 };
        local $/;
        my $v = eval { JSON::PP->new->decode(<$fh>) };
        for my $k (split m{/}, $keys) {
            if (ref $v eq "HASH" && exists $v->{$k}) { $v = $v->{$k} }
            elsif (ref $v eq "ARRAY" && $k =~ /^\d+$/ && $k < @$v) { $v = $v->[$k] }
            else { print "missing\n"; exit 0 }
        }
        print JSON::PP->new->canonical->allow_nonref->encode($v), "\n";
    ' "$1" "$2"
}
