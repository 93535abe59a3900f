#!/usr/bin/python3
"""Exact amplitude speed: `bayesamp amplitude` of one binary against another.

Makes --events events once (`bayesamp generate` of the new binary, training split
only), then runs `bayesamp amplitude --threads T` of each binary on them, --reps times,
interleaved (old, new, old, new, ...) so that both see the same machine load. The time
is the command's own report: the wall clock of the evaluation of all events (the event
check included; reading and writing the files not). Prints per binary and thread count
the median microseconds per event with the min-max spread, the median of the per-round
ratios old/new, and whether the two binaries give the same amplitudes (bit for bit, or
the largest relative difference).

With --peak, also the machine's peak double-precision rate of one core for 8-wide
vector operations (bench/peak.c, built here with cc -O3 -march=native), and the
floating-point operations per event of the vectorised kernel, counted in the
disassembly of the new binary's four primitive amplitudes (they are straight-line
code, so each instruction runs once per call).

usage: bench/bench_amplitude.py [--old PATH] [--new PATH] [--events 20000] [--reps 7]
                                [--threads 1] [--peak]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

from bench_common import ROOT, machine_peak

# Calls of each primitive per batch of 8 events (src/physics/amplitude.c, the plan):
# ppppp twice per ordering, the others twice per rotation (with and without parity).
CALLS_PER_BATCH = {"prim_ppppp": 24, "prim_mpppp": 120, "prim_mmppp": 120, "prim_mpmpp": 120}
LANES = 8


def us_per_event(binary, momenta, out, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    res = subprocess.run([binary, "amplitude", "--momenta", momenta, "--out", out,
                          "--threads", str(threads)], check=True, env=env,
                         capture_output=True, text=True)
    m = re.search(r"\(([0-9.]+) us per event\)", res.stdout)
    if not m:
        sys.exit(f"{binary}: no timing in its output: {res.stdout!r}")
    return float(m.group(1))


def read_f64(path):
    """The values of a 1-d little-endian float64 .npy (version 1.0 header)."""
    import struct
    with open(path, "rb") as fh:
        data = fh.read()
    hlen = struct.unpack("<H", data[8:10])[0]
    body = data[10 + hlen:]
    return struct.unpack(f"<{len(body) // 8}d", body)


def compare(a_path, b_path):
    a, b = read_f64(a_path), read_f64(b_path)
    same = sum(x == y for x, y in zip(a, b))
    worst = max(abs(x - y) / abs(x) for x, y in zip(a, b))
    return f"{same}/{len(a)} bit-identical, largest relative difference {worst:.2e}"


def kernel_flops_per_event(binary):
    """FP64 operations per event of the four primitives, from the disassembly."""
    dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], check=True,
                         capture_output=True, text=True).stdout
    flops = 0
    for name, calls in CALLS_PER_BATCH.items():
        m = re.search(rf"<{name}>:\n(.*?)\n\n", dis, re.S)
        if not m:
            return None  # inlined or renamed by this compiler
        per_call = 0
        for line in m.group(1).splitlines():
            op = line.split("\t")[-1].split(" ")[0] if "\t" in line else ""
            width = LANES if "zmm" in line else 4 if "ymm" in line else 2 if "xmm" in line else 0
            if re.match(r"v(mul|add|sub|div)[ps]d", op):
                per_call += width if op.endswith("pd") else 1
            elif re.match(r"vf(n?)m(add|sub)", op):
                per_call += 2 * (width if "pd" in op else 1)
        flops += per_call * calls
    return flops / LANES


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", help="the binary to compare against (e.g. main's)")
    ap.add_argument("--new", default=os.path.join(ROOT, "build", "bayesamp"))
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--threads", default="1", help="comma-separated thread counts")
    ap.add_argument("--peak", action="store_true")
    args = ap.parse_args()
    binaries = ([("old", args.old)] if args.old else []) + [("new", args.new)]
    threads = [int(t) for t in args.threads.split(",")]

    work = tempfile.mkdtemp(prefix="bench_amplitude_")
    try:
        data = os.path.join(work, "data")
        subprocess.run([args.new, "generate", "--out", data, "--n-train", str(args.events),
                        "--n-val", "0", "--n-test", "0"], check=True,
                       stdout=subprocess.DEVNULL)
        momenta = os.path.join(data, "trn_dat.npy")
        times = {(label, t): [] for label, _ in binaries for t in threads}
        for _ in range(args.reps):
            for t in threads:
                for label, binary in binaries:
                    out = os.path.join(work, f"{label}.npy")
                    times[(label, t)].append(us_per_event(binary, momenta, out, t))

        print(f"{args.events} events, {args.reps} interleaved rounds; microseconds per event, "
              "median (min-max), and events/s per core at the median:")
        for (label, t), xs in times.items():
            med = statistics.median(xs)
            print(f"  {label} ({dict(binaries)[label]}), {t} thread(s): {med:.2f} "
                  f"({min(xs):.2f}-{max(xs):.2f}) us, {1e6 / med / t:.0f} events/s/core")
        if args.old:
            for t in threads:
                ratios = [o / n for o, n in zip(times[("old", t)], times[("new", t)])]
                print(f"  old/new, {t} thread(s): {statistics.median(ratios):.2f} x "
                      f"({min(ratios):.2f}-{max(ratios):.2f})")
            print("  amplitudes: " + compare(os.path.join(work, "old.npy"),
                                             os.path.join(work, "new.npy")))
        if args.peak:
            peak = {op: v for (p, op, cores), v in machine_peak(work).items()
                    if p == "fp64" and cores == 1}
            print("peak of one core, 8-wide FP64: " +
                  ", ".join(f"{k} {v:.1f} GFLOP/s" for k, v in peak.items()))
            flops = kernel_flops_per_event(args.new)
            if flops is None:
                print("  (the primitives are inlined in this binary: no operation count)")
            else:
                best = max(peak.values())
                t1 = statistics.median(times[("new", threads[0])]) * 1e-6 * threads[0]
                print(f"  vectorised primitives: {flops:.0f} FP64 operations per event, i.e. "
                      f"{1e-9 / best * flops * 1e6:.2f} us per event at the peak; the whole "
                      f"amplitude runs at {flops / t1 * 1e-9:.1f} GFLOP/s "
                      f"({100 * flops / t1 * 1e-9 / best:.0f} % of the peak) counting those only")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
