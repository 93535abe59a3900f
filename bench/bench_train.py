#!/usr/bin/python3
"""Training speed and validation loss: bayesamp against the PyTorch peer, in one run.

For each of --reps seeds, runs `bayesamp train` and ../shared/peers/seed_torch.py
(Debian's python3-torch, OPENBLAS_NUM_THREADS=1, its fastest setting on this machine) on
the same data with the same network and batch size, interleaved (ours, peer, ours, ...),
so that both see the same machine load. Epoch times come from each tool's own
history.csv (training + validation pass); the first epoch of each run is dropped as
warm-up. Prints a table: median seconds per epoch with the 10-90 % spread, the speed-up,
our GFLOP/s against the machine's fp32 peak, and the validation loss after the last
epoch for every seed.

usage: bench/bench_train.py [--data DIR] [--epochs 10] [--reps 3] [--threads 2]
"""
import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile

from bench_common import ROOT, SHARED, data_or_synthetic, n_events, quantile
PEAK_GFLOPS = 370.0  # 2 cores x AVX-512 FMA fp32 at ~2.9 GHz (2 x 2 x 16 x 2 x 2.9)


def flops_per_epoch(n_trn, n_val, widths):
    """Matrix-product flops: 2*n_in*n_out per event and layer forward, twice that
    backward (weight and input gradients); validation is forward only."""
    macs = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    return 6 * n_trn * macs + 2 * n_val * macs


def read_history(path, column="seconds"):
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    return [float(r[column]) for r in rows], float(rows[-1]["val_loss"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="Heidelberg data folder (default: make 30k synthetic "
                    "events per split with the peer's maker)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bayesamp", default=os.path.join(ROOT, "build", "bayesamp"))
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="bench_train_")
    data = data_or_synthetic(args.data, work)
    peer_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")

    ours_t, peer_t, losses = [], [], []
    for rep in range(args.reps):
        seed = rep + 1
        out = os.path.join(work, f"ours{seed}")
        subprocess.run([args.bayesamp, "train", "--data", data, "--out", out, "--epochs",
                        str(args.epochs), "--seed", str(seed), "--threads", str(args.threads)],
                       check=True, stdout=subprocess.DEVNULL)
        t, ours_loss = read_history(os.path.join(out, "history.csv"))
        ours_t += t[1:]
        pout = os.path.join(work, f"peer{seed}")
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "peers", "seed_torch.py"),
                        "--data", data, "--out", pout, "--epochs", str(args.epochs),
                        "--seed", str(seed), "--threads", "1", "--no-plots", "--n-monte", "1"],
                       check=True, stdout=subprocess.DEVNULL, env=peer_env)
        t, peer_loss = read_history(os.path.join(pout, "history.csv"))
        peer_t += t[1:]
        losses.append((seed, ours_loss, peer_loss))
        print(f"seed {seed}: bayesamp val loss {ours_loss:.4f}, peer {peer_loss:.4f}",
              file=sys.stderr)

    n = {split: n_events(os.path.join(data, f"{split}_amp.npy")) for split in ("trn", "val")}
    flops = flops_per_epoch(n["trn"], n["val"], [20, 50, 50, 50, 2])

    om, pm = statistics.median(ours_t), statistics.median(peer_t)
    print(f"data: {data} ({n['trn']} training, {n['val']} validation events), "
          f"{args.epochs} epochs x {args.reps} seeds, first epoch of each run dropped")
    print(f"{'':24s} {'median s/epoch':>15s} {'10%':>8s} {'90%':>8s} {'GFLOP/s':>8s}")
    print(f"{'bayesamp (' + str(args.threads) + ' threads)':24s} {om:15.4f} "
          f"{quantile(ours_t, 0.1):8.4f} {quantile(ours_t, 0.9):8.4f} {flops / om / 1e9:8.1f}")
    print(f"{'peer (torch, 1 thread)':24s} {pm:15.4f} {quantile(peer_t, 0.1):8.4f} "
          f"{quantile(peer_t, 0.9):8.4f} {flops / pm / 1e9:8.1f}")
    print(f"speed-up {pm / om:.1f}x; {flops / 1e9:.2f} GFLOP per epoch; bayesamp at "
          f"{100 * flops / om / 1e9 / PEAK_GFLOPS:.1f} % of the {PEAK_GFLOPS:.0f} GFLOP/s fp32 peak")
    print(f"validation loss after {args.epochs} epochs (seed: bayesamp / peer):")
    for seed, a, b in losses:
        print(f"  {seed}: {a:.4f} / {b:.4f}")
    oa = [a for _, a, _ in losses]
    pb = [b for _, _, b in losses]
    if len(losses) > 1:
        print(f"  mean +- sd: {statistics.mean(oa):.4f} +- {statistics.stdev(oa):.4f} / "
              f"{statistics.mean(pb):.4f} +- {statistics.stdev(pb):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
