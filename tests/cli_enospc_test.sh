#!/usr/bin/env bash
# A full disk: generate, predict and evaluate writing into a 256 KiB tmpfs give one error
# line naming the file and "No space left on device", exit 1, and leave no partial file
# and no temporary; a previous complete output stays as it was. Mounting needs root (CI
# runs as root); without it the test is skipped (exit 77).
source "$(dirname "$0")/cli_common.sh"

F=$T/full
mkdir -p "$F"
if ! mount -t tmpfs -o size=256k tmpfs "$F" 2>"$T/mount.err"; then
    echo "$ME: SKIP: cannot mount a small tmpfs to fill ($(cat "$T/mount.err")); needs root"
    exit 77
fi
trap 'umount "$F" 2>/dev/null; rm -rf "$T"' EXIT

D=$T/data
run generate --out "$D" --n-train 1000 --n-val 200 --n-test 200 --threads 2
[ "$rc" -eq 0 ] || { echo "$ME: cannot generate the data: $(cat "$T/stderr")" >&2; exit 2; }
run train --data "$D" --out "$T/run" --epochs 1 --threads 2 --no-eval
[ "$rc" -eq 0 ] || { echo "$ME: cannot train: $(cat "$T/stderr")" >&2; exit 2; }

# only FILES...: the tmpfs holds exactly these files (relative names), nothing else.
only() {
    local want got
    want=$(printf '%s\n' "$@" | sort)
    got=$(cd "$F" && find . -type f | sed 's|^\./||' | sort)
    [ "$got" = "$want" ]
}

# 2000 training events are 320 kB of momenta, more than the disk.
expect_error "generate on a full disk" 1 "No space left on device" \
    generate --out "$F/d" --n-train 2000 --n-val 200 --n-test 200 --threads 2
check "generate on a full disk: the error names a data file" grep -q "$F/d/[a-z]*_[a-z]*\.npy: cannot write" "$T/stderr"
check "generate on a full disk: no file and no temporary left" only
rm -rf "$F/d"

# predict: a previous complete prediction survives a failed one.
run predict --model "$T/run/model.safetensors" --momenta "$D/val_dat.npy" --out "$F/pred.npy" --n-monte 2
check "predict: a small prediction fits" eval '[ "$rc" -eq 0 ]'
before=$(cksum <"$F/pred.npy")
head -c 245000 /dev/zero >"$F/filler" 2>/dev/null
expect_error "predict on a full disk" 1 "$F/pred.npy: cannot write: No space left on device" \
    predict --model "$T/run/model.safetensors" --momenta "$D/trn_dat.npy" --out "$F/pred.npy" --n-monte 2
check "predict on a full disk: the previous prediction is untouched" eval '[ "$(cksum <"$F/pred.npy")" = "$before" ]'
check "predict on a full disk: no temporary left" only filler pred.npy
rm -f "$F/filler" "$F/pred.npy"

# evaluate: its files do not fit; no partial file, no metrics.json.
head -c 240000 /dev/zero >"$F/filler" 2>/dev/null
expect_error "evaluate on a full disk" 1 "No space left on device" \
    evaluate --model "$T/run/model.safetensors" --data "$D" --out "$F/eval" --threads 2
check "evaluate on a full disk: no partial file, no temporary" eval '[ -z "$(find "$F/eval" -name "*.tmp*")" ] && [ ! -e "$F/eval/metrics.json" ]'

summary
