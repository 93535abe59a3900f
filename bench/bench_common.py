"""What the benchmark scripts share: paths, the data set, npy sizes, quantiles."""
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared")


def data_or_synthetic(data, work):
    """data if given, else 30k synthetic events per split from the peer's maker."""
    if data:
        return data
    data = os.path.join(work, "data")
    subprocess.run([sys.executable, os.path.join(SHARED, "peers", "make_synthetic.py"),
                    "--out", data], check=True, stdout=subprocess.DEVNULL)
    return data


def n_events(path):
    """The first dimension of a version 1.0 .npy file, from its header."""
    with open(path, "rb") as fh:
        head = fh.read(10)
        hlen = struct.unpack("<H", head[8:10])[0]
        header = fh.read(hlen).decode()
    return int(header.split("'shape': (")[1].split(",")[0])


def quantile(xs, q):
    """numpy's default (linear) quantile of a list."""
    xs = sorted(xs)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
