#!/usr/bin/python3
"""Training speed and validation loss: bayesamp against both PyTorch peers, in one run.

For each of --reps seeds, runs in turn (interleaved, so that all see the same machine
load), on the same data with the same network and batch size:

  bayesamp train                           the tutorial's network (--preset tutorial)
  ../shared/peers/seed_torch.py            the tutorial as written
  ../shared/peers/fast_torch.py            the same network written for speed
  bayesamp train --preset precision        the precision preset
  ../shared/peers/fast_torch.py --preset precision

The peers run with Debian's python3-torch, one thread and OPENBLAS_NUM_THREADS=1, their
fastest setting on this machine. Epoch times come from each tool's own history.csv
(training + validation pass); the first epoch of each run is dropped as warm-up. Prints
a table: median seconds per epoch with the 10-90 % spread, the tutorial network's
GFLOP/s against the machine's fp32 peak (measured by bench/peak.c), the speed-ups the
issues ask for, and the validation loss after the last epoch, per seed and as mean +- sd.
Before each bayesamp run it also measures what a cache line moving between the cores
costs (bench/coherence.c --quick), which sets how much two threads that share a network
lose to each other on a VM, and prints its range over the run.

usage: bench/bench_train.py [--data DIR] [--epochs 10] [--reps 3] [--threads 2]
                            [--tools ours,seed,fast,ours-precision,fast-precision]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile

from bench_common import (ROOT, SHARED, data_or_synthetic, fp32_peak, line_cost_probe,
                          n_events, quantile)
TOOLS = ["ours", "seed", "fast", "ours-precision", "fast-precision"]
LABELS = {"ours": "bayesamp tutorial", "seed": "seed_torch.py",
          "fast": "fast_torch.py", "ours-precision": "bayesamp precision",
          "fast-precision": "fast_torch.py precision"}


def flops_per_epoch(n_trn, n_val, widths):
    """Matrix-product flops: 2*n_in*n_out per event and layer forward, twice that
    backward (weight and input gradients); validation is forward only."""
    macs = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    return 6 * n_trn * macs + 2 * n_val * macs


def read_history(path, column="seconds"):
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    return [float(r[column]) for r in rows], float(rows[-1]["val_loss"])


def command(tool, args, data, out, seed):
    """The command line of one tool's run, and its environment."""
    peer_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    common = ["--data", data, "--out", out, "--epochs", str(args.epochs), "--seed", str(seed)]
    if tool.startswith("ours"):
        preset = "precision" if tool == "ours-precision" else "tutorial"
        return ([args.bayesamp, "train", "--preset", preset, "--threads", str(args.threads),
                 "--no-eval"] + common, None)
    if tool == "seed":
        return (["/usr/bin/python3", os.path.join(SHARED, "peers", "seed_torch.py")] + common
                + ["--threads", "1", "--no-plots", "--n-monte", "1"], peer_env)
    preset = "precision" if tool == "fast-precision" else "tutorial"
    return (["/usr/bin/python3", os.path.join(SHARED, "peers", "fast_torch.py")] + common
            + ["--preset", preset, "--threads", "1", "--n-monte", "0"], peer_env)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="Heidelberg data folder (default: make 30k synthetic "
                    "events per split with the peer's maker)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tools", default=",".join(TOOLS),
                    help="which of " + ",".join(TOOLS) + " to run (default: all)")
    ap.add_argument("--bayesamp", default=os.path.join(ROOT, "build", "bayesamp"))
    args = ap.parse_args()
    tools = args.tools.split(",")
    for t in tools:
        if t not in TOOLS:
            ap.error(f"--tools: unknown tool '{t}' (known: {', '.join(TOOLS)})")

    work = tempfile.mkdtemp(prefix="bench_train_")
    data = data_or_synthetic(args.data, work)
    times = {t: [] for t in tools}
    losses = {t: [] for t in tools}
    probe = line_cost_probe(work)
    line_costs = []  # before each of our runs
    for rep in range(args.reps):
        seed = rep + 1
        for tool in tools:
            out = os.path.join(work, f"{tool}{seed}")
            if tool.startswith("ours") and args.threads > 1:
                line_costs.append(probe())
            cmd, env = command(tool, args, data, out, seed)
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
            t, loss = read_history(os.path.join(out, "history.csv"))
            times[tool] += t[1:]
            losses[tool].append(loss)
        print(f"seed {seed}: " + ", ".join(f"{t} {losses[t][-1]:.4f}" for t in tools),
              file=sys.stderr)

    n = {split: n_events(os.path.join(data, f"{split}_amp.npy")) for split in ("trn", "val")}
    flops = flops_per_epoch(n["trn"], n["val"], [20, 50, 50, 50, 2])
    med = {t: statistics.median(times[t]) for t in tools}
    print(f"data: {data} ({n['trn']} training, {n['val']} validation events), "
          f"{args.epochs} epochs x {args.reps} seeds, first epoch of each run dropped; "
          f"bayesamp on {args.threads} threads, the peers on 1")
    print(f"{'':26s} {'median s/epoch':>15s} {'10%':>8s} {'90%':>8s} {'GFLOP/s':>8s} "
          f"{'val loss mean +- sd':>22s}")
    for t in tools:
        gf = f"{flops / med[t] / 1e9:8.1f}" if t in ("ours", "seed", "fast") else f"{'':8s}"
        sd = statistics.stdev(losses[t]) if len(losses[t]) > 1 else 0.0
        print(f"{LABELS[t]:26s} {med[t]:15.4f} {quantile(times[t], 0.1):8.4f} "
              f"{quantile(times[t], 0.9):8.4f} {gf} "
              f"{statistics.mean(losses[t]):13.4f} +- {sd:.4f}")
    print(f"{flops / 1e9:.2f} GFLOP per tutorial epoch", end="")
    if "ours" in tools:
        peak = fp32_peak(work)
        print(f"; bayesamp at {100 * flops / med['ours'] / 1e9 / peak:.1f} % of the "
              f"machine's fp32 peak, {peak:.0f} GFLOP/s (bench/peak.c, all cores)", end="")
    print()
    for ours, peer, target in (("ours", "seed", 50), ("ours", "fast", 25),
                               ("ours-precision", "fast-precision", 25)):
        if ours in tools and peer in tools:
            print(f"speed-up {LABELS[ours]} against {LABELS[peer]}: "
                  f"{med[peer] / med[ours]:.1f}x (issue 12 asks >= {target}x)")
    if line_costs:
        reads, writes = zip(*line_costs)
        print(f"cross-core cache lines before each bayesamp run (bench/coherence.c "
              f"--quick, ns a line): read after the other core wrote {min(reads):.1f}-"
              f"{max(reads):.1f}, write after it read {min(writes):.1f}-{max(writes):.1f}")
    print(f"validation loss after {args.epochs} epochs, per seed:")
    for i in range(args.reps):
        print(f"  {i + 1}: " + ", ".join(f"{t} {losses[t][i]:.4f}" for t in tools))
    return 0


if __name__ == "__main__":
    sys.exit(main())
