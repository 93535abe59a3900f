"""What the benchmark scripts share: paths, the data set, npy sizes, quantiles, the
machine's measured peak."""
import os
import re
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


def machine_peak(work):
    """The machine's peak rates as bench/peak.c measures them (built in work):
    {(precision, operation, cores): GFLOP/s}, e.g. ("fp32", "fma", 2), for one core and
    for all of them at once."""
    exe = os.path.join(work, "peak")
    subprocess.run(["cc", "-O3", "-march=native", "-fopenmp", "-o", exe,
                    os.path.join(HERE, "peak.c")], check=True)
    out = subprocess.run([exe], check=True, capture_output=True, text=True).stdout
    return {(p, op, int(c)): float(v) for p, op, c, v in
            re.findall(r"^(fp\d+) (\S+) (\d+) cores? ([0-9.]+) GFLOP/s$", out, re.M)}


def fp32_peak(work):
    """The fp32 FMA peak of all cores at once, GFLOP/s (machine_peak)."""
    peak = machine_peak(work)
    cores = max(c for _, _, c in peak)
    return peak[("fp32", "fma", cores)]


def line_cost_probe(work):
    """A function that returns what moving a cache line between the cores costs now, in
    ns: (read a line the other core wrote, write a line the other core read), from
    bench/coherence.c --quick (built in work, half a second a call). Two-thread training
    exchanges lines every batch, and on the project's VM this cost changes from minute to
    minute (BENCHMARKS.md, "Issue 12, seventh round")."""
    exe = os.path.join(work, "coherence")
    subprocess.run(["cc", "-O2", "-march=native", "-fopenmp", "-o", exe,
                    os.path.join(HERE, "coherence.c")], check=True)

    def probe():
        out = subprocess.run([exe, "--quick"], check=True, capture_output=True,
                             text=True).stdout
        r, w = re.findall(r"([0-9.]+) ns", out)
        return float(r), float(w)
    return probe
