#!/usr/bin/env python3
"""Strong scaling of every command over MPI ranks (issue 14), and the numbers behind the
analysis for K nodes in BENCHMARKS.md.

For each command: the same job on 1 rank and on 2 ranks (`mpirun -np K`, one thread
per rank, so that the ranks and not the threads do the splitting), and for reference
one process with 2 threads. Times are wall times less the start-up of the same
setting (`bayesamp --version`: mpirun and MPI_Init). Runs are interleaved (1, 2, threads, 1, 2, threads, ...)
so that a busy spell of a shared machine hits every setting alike; the table gives
medians of wall time.

Then training's cost per optimiser step on one core at two batch sizes, fitted as
t_step(B) = a + b B: a is the work per step that every rank repeats (the noise of the
weights, the KL, Adam: per weight, not per event), b the work per event that the ranks
share; with the gradient message size (4 bytes a parameter plus 8) that is what the
model for K ranks needs.

    python3 bench/bench_mpi.py --bin build/bayesamp [--reps 5]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

from bench_common import n_events

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_btl="self,vader")


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    exe = os.path.abspath(a.bin)
    work = a.work or tempfile.mkdtemp(prefix="bench-mpi-")
    data = os.path.join(work, "data")
    subprocess.run([exe, "generate", "--out", data, "--n-train", "30000", "--n-val", "10000",
                    "--n-test", "30000"], check=True, stdout=subprocess.DEVNULL)
    model_dir = os.path.join(work, "model")
    subprocess.run([exe, "train", "--data", data, "--out", model_dir, "--epochs", "5",
                    "--no-eval"], check=True, stdout=subprocess.DEVNULL)
    model = os.path.join(model_dir, "model.safetensors")
    tst = os.path.join(data, "tst_dat.npy")
    n_tst = n_events(tst)

    def out(name):
        return os.path.join(work, name)

    commands = {
        "generate 20k+2k+2k": ["generate", "--out", out("gen"), "--n-train", "20000",
                               "--n-val", "2000", "--n-test", "2000"],
        f"amplitude {n_tst // 1000}k": ["amplitude", "--momenta", tst, "--out", out("amp.npy")],
        f"predict {n_tst // 1000}k x 100": ["predict", "--model", model, "--momenta", tst,
                                             "--out", out("pred.npy"), "--n-monte", "100"],
        f"evaluate {n_tst // 1000}k x 30": ["evaluate", "--model", model, "--data", data,
                                             "--out", out("eval")],
        "train 10 epochs, batch 128": ["train", "--data", data, "--out", out("t128"),
                                       "--epochs", "10", "--no-eval"],
        "train 10 epochs, batch 1024": ["train", "--data", data, "--out", out("t1024"),
                                        "--epochs", "10", "--batch-size", "1024", "--no-eval"],
    }
    # --bind-to none: mpirun binds one or two ranks to fixed cores by default, and on a
    # shared machine the core it picks may be the busy one.
    settings = {
        "1 rank": [a.mpirun, "-np", "1", "--bind-to", "none", exe],
        "2 ranks": [a.mpirun, "-np", "2", "--oversubscribe", "--bind-to", "none", exe],
        "1 process, 2 threads": [exe],
    }
    # What starting the job costs (mpirun, MPI_Init), measured as `bayesamp --version`
    # and subtracted below: a cluster job pays it once, not per command.
    launch = {s: statistics.median(timed(p + ["--version"]) for _ in range(a.reps))
              for s, p in settings.items()}
    print("start-up (median of --version): " +
          ", ".join(f"{s} {t:.3f} s" for s, t in launch.items()))
    print(f"| command | 1 rank x 1 thread | 2 ranks x 1 thread | speed-up | 1 process x 2 threads |")
    print("|---|---|---|---|---|")
    for name, args in commands.items():
        times = {s: [] for s in settings}
        for _ in range(a.reps):
            for s, prefix in settings.items():
                threads = ["--threads", "2" if s.startswith("1 process") else "1"]
                times[s].append(timed(prefix + args + threads))
        med = {s: statistics.median(v) - launch[s] for s, v in times.items()}
        print(f"| {name} | {med['1 rank']:.3f} s | {med['2 ranks']:.3f} s | "
              f"{med['1 rank'] / med['2 ranks']:.2f}x | {med['1 process, 2 threads']:.3f} s |",
              flush=True)

    # Training's step on one core: seconds per epoch (train.json's median) / steps.
    n_trn = n_events(os.path.join(data, "trn_dat.npy"))
    step = {}
    for batch in (128, 1024):
        per = []
        for _ in range(a.reps):
            d = out(f"step{batch}")
            subprocess.run([exe, "train", "--data", data, "--out", d, "--epochs", "5",
                            "--batch-size", str(batch), "--threads", "1", "--no-eval"],
                           check=True, stdout=subprocess.DEVNULL)
            with open(os.path.join(d, "train.json")) as fh:
                res = json.load(fh)["result"]
            steps = -(-n_trn // batch)
            per.append(res["seconds_per_epoch_median"] / steps)
        step[batch] = statistics.median(per)
    b = (step[1024] - step[128]) / (1024 - 128)
    a0 = step[128] - 128 * b
    n_params = model_params(os.path.join(model_dir, "model.safetensors"))
    print(f"\nstep on one core: batch 128 {1e6 * step[128]:.1f} us, batch 1024 "
          f"{1e6 * step[1024]:.1f} us -> a = {1e6 * a0:.1f} us per step, b = {1e9 * b:.1f} ns "
          f"per event; {n_params} parameters, chain message {4 * n_params + 8} bytes")
    if not a.work:
        shutil.rmtree(work)


def model_params(path):
    """The number of parameters of a safetensors file: the sum of its tensors' sizes."""
    with open(path, "rb") as fh:
        hlen = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(hlen))
    total = 0
    for name, t in header.items():
        if name == "__metadata__":
            continue
        size = 1
        for d in t["shape"]:
            size *= d
        total += size
    return total


if __name__ == "__main__":
    main()
