#!/usr/bin/python3
"""Monte-Carlo prediction speed: bayesamp predict against the PyTorch peer, in one run.

Both predict the test split (30k events by default) with --n-monte passes of the same
network (20-50-50-50-2, batch 128, new weights for every batch of every pass, as the
tutorial's get_prediction). For each of --reps repetitions, interleaved (ours with
--threads, ours with 1 thread, peer, ours, ...) so that all see the same machine load:
  - bayesamp: `bayesamp predict` on {data}/tst_dat.npy with a model trained for one
    epoch (the speed does not depend on the weights); the time is the one the command
    reports for ba_predict_file, which includes reading the momenta, checking them and
    writing pred.npy; the wall time of the whole process is reported too;
  - peer: ../shared/peers/seed_torch.py --epochs 1 (Debian's python3-torch,
    OPENBLAS_NUM_THREADS=1 and torch threads 1, its fastest setting here, as in
    bench_train.py); the time is its mc_inference_seconds, the get_prediction loop
    alone, on tensors already in memory.
Prints events per second (median, and the 10-90 % spread over the repetitions) and the
speed-up.

Then, unless --in-memory 0, the library alone (the Python module on arrays in memory, no
files; the test events tiled to --in-memory events) in the three modes: sample (the
tutorial's draws, batch 128), fixed (one draw per pass) and map (the mean weights, one
pass), with the matrix products' GFLOP/s against the machine's fp32 peak (bench/peak.c,
all cores).

usage: bench/bench_predict.py [--data DIR] [--reps 5] [--n-monte 30] [--threads 2]
                              [--in-memory 600000]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import ROOT, SHARED, data_or_synthetic, fp32_peak, n_events, quantile
MACS_PER_EVENT = 20 * 50 + 50 * 50 + 50 * 50 + 50 * 2  # the tutorial's network, one pass


def in_memory(model_path, data, n, n_monte, threads, reps, peak):
    """Median seconds of the library's prediction of n events in memory, per mode."""
    import numpy as np
    sys.path.insert(0, os.path.join(ROOT, "python"))
    import bayesamp
    model = bayesamp.load(model_path)
    x = np.load(os.path.join(data, "tst_dat.npy"))
    x = np.ascontiguousarray(np.tile(x, (n // len(x) + 1, 1, 1))[:n])
    secs = {m: [] for m in ("sample", "fixed", "map")}
    for rep in range(reps):
        for mode in secs:
            t0 = time.perf_counter()
            model.predict(x, n_monte=n_monte, mode=mode, threads=threads, seed=rep + 1)
            secs[mode].append(time.perf_counter() - t0)
    print(f"library in memory: {n} events, {threads} threads, {reps} repetitions "
          f"interleaved")
    print(f"{'mode':34s} {'median s':>9s} {'events/s':>12s} {'GFLOP/s':>10s} {'% peak':>8s}")
    for mode, ts in secs.items():
        t = statistics.median(ts)
        passes = 1 if mode == "map" else n_monte
        gflops = 2 * MACS_PER_EVENT * passes * n / t / 1e9
        print(f"{mode + (f', {passes} passes' if passes > 1 else ''):34s} {t:9.3f} "
              f"{n / t:12.0f} {gflops:10.1f} {100 * gflops / peak:7.1f}%")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="Heidelberg data folder (default: make 30k synthetic "
                    "events per split with the peer's maker)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--n-monte", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2, help="bayesamp's threads")
    ap.add_argument("--peer-threads", type=int, default=1, help="torch.set_num_threads")
    ap.add_argument("--bayesamp", default=os.path.join(ROOT, "build", "bayesamp"))
    ap.add_argument("--in-memory", type=int, default=600000,
                    help="events for the library's in-memory rates (0: skip)")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="bench_predict_")
    data = data_or_synthetic(args.data, work)
    n = n_events(os.path.join(data, "tst_dat.npy"))
    run_dir = os.path.join(work, "run")
    subprocess.run([args.bayesamp, "train", "--data", data, "--out", run_dir, "--epochs", "1",
                    "--no-eval"], check=True, stdout=subprocess.DEVNULL)
    model = os.path.join(run_dir, "model.safetensors")
    peer_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    reported = re.compile(r"threads, ([0-9.]+) s \(")

    def predict(threads, seed):
        """(reported seconds, process seconds) of one bayesamp predict."""
        t0 = time.perf_counter()
        out = subprocess.run([args.bayesamp, "predict", "--model", model, "--momenta",
                              os.path.join(data, "tst_dat.npy"), "--out",
                              os.path.join(work, "pred.npy"), "--n-monte", str(args.n_monte),
                              "--threads", str(threads), "--seed", str(seed)],
                             check=True, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        return float(reported.search(out.stdout).group(1)), wall

    ours, ours_wall, ours1, peer = [], [], [], []
    for rep in range(args.reps):
        secs, wall = predict(args.threads, rep + 1)
        ours.append(secs)
        ours_wall.append(wall)
        ours1.append(predict(1, rep + 1)[0])
        pout = os.path.join(work, f"peer{rep}")
        subprocess.run(["/usr/bin/python3", os.path.join(SHARED, "peers", "seed_torch.py"),
                        "--data", data, "--out", pout, "--epochs", "1", "--seed", str(rep + 1),
                        "--threads", str(args.peer_threads), "--no-plots",
                        "--n-monte", str(args.n_monte)],
                       check=True, stdout=subprocess.DEVNULL, env=peer_env)
        with open(os.path.join(pout, "metrics.json")) as fh:
            peer.append(json.load(fh)["mc_inference_seconds"])
        print(f"rep {rep + 1}: bayesamp {ours[-1]:.3f} s ({ours_wall[-1]:.3f} s process), "
              f"peer {peer[-1]:.3f} s", file=sys.stderr)

    def row(name, secs):
        rates = [n / s for s in secs]
        return (f"{name:34s} {statistics.median(secs):9.3f} {n / statistics.median(secs):12.0f} "
                f"{quantile(rates, 0.1):10.0f} {quantile(rates, 0.9):10.0f}")

    print(f"data: {data}, {n} test events, n_monte {args.n_monte}, batch 128, "
          f"{args.reps} repetitions interleaved")
    print(f"{'':34s} {'median s':>9s} {'events/s':>12s} {'10%':>10s} {'90%':>10s}")
    print(row(f"bayesamp predict ({args.threads} threads)", ours))
    print(row("  same, whole process", ours_wall))
    print(row("bayesamp predict (1 thread)", ours1))
    print(row(f"peer get_prediction ({args.peer_threads} thread)", peer))
    print(f"speed-up {statistics.median(peer) / statistics.median(ours):.1f}x "
          f"({statistics.median(peer) / statistics.median(ours_wall):.1f}x counting "
          f"bayesamp's whole process; {statistics.median(peer) / statistics.median(ours1):.1f}x "
          f"thread for thread)")
    if args.in_memory > 0:
        in_memory(model, data, args.in_memory, args.n_monte, args.threads, args.reps,
                  fp32_peak(work))
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
