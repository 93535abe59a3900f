#!/usr/bin/python3
"""Training on a shared machine: epoch times with and without competition for the cores.

Scenarios, each run --reps times, interleaved round by round so that all see the same
machine (and, with --baseline, the same for an older bayesamp binary):
  alone-1       `bayesamp train --threads 1`, nothing else running
  alone         default threads, nothing else running
  busy-core     default threads while one busy-looping process holds a core
  two-trainings two default-thread trainings started together (both runs' epochs count)
Epoch times come from history.csv (the first epoch of each run is dropped as warm-up).
Prints the median seconds per epoch with the 10-90 % spread, and each scenario's ratio
to alone-1, the uncontended single-thread time (issue 9 asks for at most 2.5).
The same scenarios then time two other commands whole (wall seconds): `predict` (the
test split, n-monte 30, with a model trained for 2 epochs here) and `generate` (20k
events).

usage: bench/bench_contention.py --data DIR [--epochs 8] [--reps 3] [--baseline BIN]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import ROOT, data_or_synthetic, quantile


def epoch_seconds(run):
    with open(os.path.join(run, "history.csv")) as fh:
        rows = list(csv.DictReader(fh))
    return [float(r["seconds"]) for r in rows[1:]]


def run_scenario(name, cmd_for, work):
    """Run the command of scenario name: cmd_for(out_dir, threads) is its command line
    (threads 1 for alone-1, else None for the default); one copy, or two at once for
    two-trainings, with a busy-looping process beside it for busy-core. Returns each
    copy's output folder and its wall seconds from the common start."""
    busy = None
    if name == "busy-core":
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        copies = 2 if name == "two-trainings" else 1
        threads = 1 if name == "alone-1" else None
        outs = [tempfile.mkdtemp(dir=work) for _ in range(copies)]
        t0 = time.perf_counter()
        procs = [subprocess.Popen(cmd_for(out, threads), stdout=subprocess.DEVNULL)
                 for out in outs]
        ends = []
        for p in procs:
            if p.wait() != 0:
                raise SystemExit(f"{name}: {' '.join(cmd_for('OUT', threads))} failed")
            ends.append(time.perf_counter() - t0)
        return outs, ends
    finally:
        if busy:
            busy.kill()
            busy.wait()


def print_table(what, unit, rows, times, digits):
    """Median, 10-90 % spread and ratio to alone-1 for every (row, scenario)."""
    print(f"\n{what:9} {'scenario':14} {unit:>14} {'10-90 %':>17} {'/ alone-1':>9}")
    for r in rows:
        single = statistics.median(times[(r, "alone-1")])
        for n in NAMES:
            t = times[(r, n)]
            med = statistics.median(t)
            print(f"{r:9} {n:14} {med:14.{digits}f} {quantile(t, 0.1):8.{digits}f}-"
                  f"{quantile(t, 0.9):<8.{digits}f} {med / single:9.2f}")


NAMES = ["alone-1", "alone", "busy-core", "two-trainings"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="Heidelberg data folder (default: synthetic events)")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--bayesamp", default=os.path.join(ROOT, "build", "bayesamp"))
    ap.add_argument("--baseline", help="another bayesamp binary to measure alongside")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="bench_contention_")
    data = data_or_synthetic(args.data, work)
    binaries = [("ours", args.bayesamp)] + ([("baseline", args.baseline)] if args.baseline else [])

    def train_with(binary):
        def cmd(out, threads):
            return [binary, "train", "--data", data, "--out", out, "--epochs",
                    str(args.epochs), "--no-eval"] + (["--threads", str(threads)] if threads else [])
        return cmd

    times = {(b, n): [] for b, _ in binaries for n in NAMES}
    for rep in range(args.reps):
        for n in NAMES:
            for b, path in binaries:
                outs, _ = run_scenario(n, train_with(path), work)
                times[(b, n)] += [s for out in outs for s in epoch_seconds(out)]
        print(f"round {rep + 1} of {args.reps} done", file=sys.stderr)

    # predict and generate, whole commands, ours only
    model = os.path.join(work, "model")
    subprocess.run([args.bayesamp, "train", "--data", data, "--out", model, "--epochs", "2",
                    "--no-eval"], check=True, stdout=subprocess.DEVNULL)

    def predict(out, threads):
        cmd = [args.bayesamp, "predict", "--model", os.path.join(model, "model.safetensors"),
               "--momenta", os.path.join(data, "tst_dat.npy"),
               "--out", os.path.join(out, "p.npy")]
        return cmd + (["--threads", str(threads)] if threads else [])

    def generate(out, threads):
        cmd = [args.bayesamp, "generate", "--out", os.path.join(out, "g"), "--n-train",
               "20000", "--n-val", "1", "--n-test", "1"]
        return cmd + (["--threads", str(threads)] if threads else [])

    commands = [("predict", predict), ("generate", generate)]
    whole = {(c, n): [] for c, _ in commands for n in NAMES}
    for rep in range(args.reps):
        for n in NAMES:
            for c, fn in commands:
                whole[(c, n)] += run_scenario(n, fn, work)[1]

    print_table("binary", "median s/epoch", [b for b, _ in binaries], times, 4)
    print_table("command", "median s", [c for c, _ in commands], whole, 3)


if __name__ == "__main__":
    main()
