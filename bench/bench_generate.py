#!/usr/bin/python3
"""Data generation speed: `bayesamp amplitude` and `bayesamp generate`.

Makes --events events once (`bayesamp generate`, training split only), then times
`bayesamp amplitude` on them with each thread count, and `bayesamp generate` of the
default 30k + 30k + 30k events with each thread count, --reps runs each, interleaved
(1 thread, 2 threads, 1 thread, ...) so that all settings see the same machine load.
Times are the wall clock of the whole command (reading, checking, writing included;
nothing subtracted). Prints the median with the min-max spread: microseconds per
amplitude, and events per second for generate, with generate.json's own split of the
core time per event into phase space and amplitude.

usage: bench/bench_generate.py [--events 30000] [--reps 5] [--threads 1,2]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENERATE_EVENTS = 90000  # the default 30000 per split


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def spread(xs, fmt):
    return f"{fmt.format(statistics.median(xs))} ({fmt.format(min(xs))}-{fmt.format(max(xs))})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=30000, help="events for `amplitude`")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--bayesamp", default=os.path.join(ROOT, "build", "bayesamp"))
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]

    work = tempfile.mkdtemp(prefix="bench_generate_")
    try:
        data = os.path.join(work, "data")
        subprocess.run([args.bayesamp, "generate", "--out", data, "--n-train",
                        str(args.events), "--n-val", "0", "--n-test", "0"],
                       check=True, stdout=subprocess.DEVNULL)
        momenta = os.path.join(data, "trn_dat.npy")

        amp_us = {t: [] for t in threads}
        gen_rate = {t: [] for t in threads}
        ps_us = {t: [] for t in threads}
        core_us = {t: [] for t in threads}
        for rep in range(args.reps):
            for t in threads:
                out = os.path.join(work, "amp.npy")
                s = timed([args.bayesamp, "amplitude", "--momenta", momenta, "--out", out,
                           "--threads", str(t)])
                amp_us[t].append(1e6 * s / args.events)
            for t in threads:
                out = os.path.join(work, f"gen{t}")
                s = timed([args.bayesamp, "generate", "--out", out, "--threads", str(t)])
                gen_rate[t].append(GENERATE_EVENTS / s)
                with open(os.path.join(out, "generate.json")) as fh:
                    res = json.load(fh)["result"]
                ps_us[t].append(res["phase_space_us_per_event"])
                core_us[t].append(res["amplitude_us_per_event"])
            print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)

        print(f"bayesamp amplitude on {args.events} events, wall clock of the command, "
              f"median (min-max) of {args.reps} runs:")
        print(f"  {'threads':>7s} {'us per event':>24s}")
        for t in threads:
            print(f"  {t:7d} {spread(amp_us[t], '{:.1f}'):>24s}")
        print(f"bayesamp generate, {GENERATE_EVENTS} events (default settings), "
              f"median (min-max) of {args.reps} runs:")
        print(f"  {'threads':>7s} {'events/s':>24s} {'s total':>8s} "
              f"{'core us/event: phase space':>27s} {'amplitude':>10s}")
        for t in threads:
            print(f"  {t:7d} {spread(gen_rate[t], '{:.0f}'):>24s} "
                  f"{GENERATE_EVENTS / statistics.median(gen_rate[t]):8.2f} "
                  f"{statistics.median(ps_us[t]):27.2f} {statistics.median(core_us[t]):10.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
