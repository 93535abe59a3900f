#!/usr/bin/env bash
# Regenerates the seed corpora of the fuzz harnesses (corpus/NAME) from a tiny run of
# the tool itself, so that the seeds are files it really writes, plus a few .npy
# variants it reads but never writes (float32, big-endian, format 2.0, 0-d). Inputs
# named regress-* (former findings) are kept.
# Usage: bash tests/fuzz/make_corpus.sh BUILD/bayesamp   (about 17 KB in all)
set -euo pipefail
exe=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$exe" generate --out data --n-train 3 --n-val 2 --n-test 2 --seed 1 >/dev/null
"$exe" train --data data --out run --epochs 2 --hidden 3 --batch-size 2 --threads 1 >/dev/null
"$exe" train --data data --out prec --preset precision --epochs 2 --hidden 2,2 \
  --batch-size 2 --threads 1 >/dev/null

c=$here/corpus
# Inputs that once were findings (regress-*) stay; everything else is made anew.
mkdir -p "$c"/{npy,dataset,model,json,history}
find "$c" -type f ! -name 'regress-*' -delete
cp data/trn_dat.npy data/trn_amp.npy "$c/npy/"
cp run/eval/pred.npy "$c/npy/pred.npy"
python3 - "$c/npy" <<'PY'
import struct, sys
out = sys.argv[1]
def npy(name, descr, shape, values, major=1):
    shape_s = "(%s)" % (", ".join(map(str, shape)) + ("," if len(shape) == 1 else ""))
    d = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape_s)
    prefix = 10 if major == 1 else 12
    pad = 64 - (prefix + len(d) + 1) % 64
    header = (d + " " * pad + "\n").encode()
    lenfield = struct.pack("<H" if major == 1 else "<I", len(header))
    fmt = {"<f8": "<d", ">f8": ">d", "<f4": "<f", ">f4": ">f"}[descr]
    data = b"".join(struct.pack(fmt, v) for v in values)
    open("%s/%s" % (out, name), "wb").write(b"\x93NUMPY" + bytes([major, 0]) + lenfield + header + data)
npy("f4_le_5x4.npy", "<f4", (5, 4), [float(i) for i in range(20)])
npy("f8_be_3.npy", ">f8", (3,), [1.5, -2.0, 1e300])
npy("f4_be_2x2.npy", ">f4", (2, 2), [0.5, 1.0, -1.0, 2.0])
npy("v2_f8_0d.npy", "<f8", (), [3.0], major=2)
npy("empty_0x5x4.npy", "<f8", (0, 5, 4), [])
PY
cat data/{trn_dat,trn_amp,val_dat,val_amp,tst_dat,tst_amp}.npy > "$c/dataset/folder"
cp data/trn_dat.npy "$c/dataset/trn_dat_only"
cat data/trn_dat.npy data/trn_amp.npy > "$c/dataset/trn_only"
cp run/model.safetensors "$c/model/tutorial.safetensors"
cp prec/model.safetensors "$c/model/precision.safetensors"
cp run/train.json "$c/json/train.json"
cp run/eval/metrics.json "$c/json/metrics.json"
cp run/history.csv "$c/history/tutorial.csv"
cp prec/history.csv "$c/history/precision.csv"
find "$c" -type f -printf '%s\n' | awk '{s += $1} END {print s " bytes of seeds"}'
