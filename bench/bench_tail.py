#!/usr/bin/python3
"""Accuracy where the amplitude is large, on many fresh test sets (issue 11).

One test set of 30,000 events says little about the large-amplitude figures: its largest
event can carry 40 % of the sum of all amplitudes, and its 1 % largest are 300 events
whose coverages have statistical errors of 0.027 (68 %) and 0.013 (95 %). So this script
generates --sets fresh test sets (`bayesamp generate --seed 101, 102, ...`, test split
only, the default phase space), predicts each with every model given (`bayesamp predict`,
30 passes, the model's calibration applied), and prints per model the median over the
sets and the value pooled over all events of:

  all      fraction within 1 % (|A_pred / A - 1| < 0.01)
  top1     the same for the 1 % largest exact amplitudes of each set
  wdev     amplitude-weighted mean |relative deviation|, sum A |dev| / sum A
  |sum|    |sum A_pred / sum A - 1| (pooled: signed)
  okW okS  the fraction of sets with wdev <= 0.3 % and |sum| <= 0.1 %
  bulk / tail: robust pull width (q84 - q16) / 2 and the 68 % and 95 % coverage of the
           other 99 % and of the 1 % largest (pulls of log A under evaluate's
           "corrected" total), and the fraction of sets inside all three bands
           (1 +- 0.1, 0.68 +- 0.03, 0.95 +- 0.02)

The same numbers as `bayesamp evaluate` computes per set (metrics.json: frac_abs_rel_dev
_below, largest_1pct, amplitude_weighted, bulk), gathered over sets.

usage: bench/bench_tail.py MODEL [MODEL ...] [--bayesamp build/bayesamp] [--sets 20]
                           [--events 30000] [--work DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

FLOOR = 1e-4  # EVAL_CORRECTED_FLOOR, src/eval/metrics.h


def corrected_sigma(pred, n_monte=30):
    """evaluate's "corrected" total sigma of log A from predict's columns."""
    al2, ep2 = pred[:, 2] ** 2, pred[:, 3] ** 2
    lowest = np.maximum(FLOOR * al2, ep2 / (n_monte - 1))
    s2 = al2 - ep2
    return np.sqrt(np.where(s2 >= lowest, s2, lowest))


def robust_width(x):
    q16, q84 = np.quantile(x, [0.16, 0.84])
    return 0.5 * (q84 - q16)


def pull_figures(p):
    return [robust_width(p), np.mean(np.abs(p) < 1), np.mean(np.abs(p) < 1.96)]


def in_bands(width, c68, c95):
    return abs(width - 1) <= 0.1 and abs(c68 - 0.68) <= 0.03 and abs(c95 - 0.95) <= 0.02


def set_figures(amp, pred):
    dev = pred[:, 0] / amp - 1
    pull = (pred[:, 1] - np.log(amp)) / corrected_sigma(pred)
    top = amp >= np.quantile(amp, 0.99)
    return dict(all=np.mean(np.abs(dev) < 0.01), top1=np.mean(np.abs(dev[top]) < 0.01),
                wdev=np.sum(amp * np.abs(dev)) / np.sum(amp),
                sum=np.sum(amp * dev) / np.sum(amp), largest_share=amp.max() / amp.sum(),
                bulk=pull_figures(pull[~top]), tail=pull_figures(pull[top]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models", nargs="+")
    ap.add_argument("--bayesamp", default="build/bayesamp")
    ap.add_argument("--sets", type=int, default=20)
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--work", default=None, help="keep the test sets here (reused if there)")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="bench_tail-")
    seeds = range(101, 101 + a.sets)
    for s in seeds:
        d = os.path.join(work, f"test{s}")
        if not os.path.exists(os.path.join(d, "generate.json")):
            subprocess.run([a.bayesamp, "generate", "--out", d, "--n-train", "0", "--n-val", "0",
                            "--n-test", str(a.events), "--seed", str(s)], check=True,
                           stdout=subprocess.DEVNULL)
    amps = [np.load(os.path.join(work, f"test{s}", "tst_amp.npy")) for s in seeds]
    shares = [x.max() / x.sum() for x in amps]
    print(f"{a.sets} test sets of {a.events} events (seeds {seeds[0]}-{seeds[-1]}); the largest "
          f"event carries {min(shares):.0%}-{max(shares):.0%} of its set's sum of amplitudes")
    head = (f"{'model':<40} {'all':>6} {'top1':>6} {'wdev':>7} {'|sum|':>7} {'okW':>4} {'okS':>4}"
            f" | pooled {'all':>6} {'top1':>6} {'wdev':>7} {'sum':>8}"
            f" | bulk width c68 c95 in | tail width c68 c95 in")
    print(head)
    for model in a.models:
        sets, preds = [], []
        for s, amp in zip(seeds, amps):
            out = os.path.join(work, f"pred{s}.npy")
            subprocess.run([a.bayesamp, "predict", "--model", model, "--momenta",
                            os.path.join(work, f"test{s}", "tst_dat.npy"), "--out", out],
                           check=True, stdout=subprocess.DEVNULL)
            pred = np.load(out)
            preds.append(pred)
            sets.append(set_figures(amp, pred))
        med = {k: np.median([f[k] for f in sets]) for k in ("all", "top1", "wdev")}
        med_sum = np.median([abs(f["sum"]) for f in sets])
        ok_w = np.mean([f["wdev"] <= 0.003 for f in sets])
        ok_s = np.mean([abs(f["sum"]) <= 0.001 for f in sets])
        amp_all, pred_all = np.concatenate(amps), np.concatenate(preds)
        dev = pred_all[:, 0] / amp_all - 1
        top = np.concatenate([x >= np.quantile(x, 0.99) for x in amps])
        pooled = [np.mean(np.abs(dev) < 0.01), np.mean(np.abs(dev[top]) < 0.01),
                  np.sum(amp_all * np.abs(dev)) / amp_all.sum(), np.sum(amp_all * dev) / amp_all.sum()]
        row = f"{os.path.relpath(model)[-40:]:<40} {med['all']:6.4f} {med['top1']:6.4f} " \
              f"{med['wdev']:7.4f} {med_sum:7.4f} {ok_w:4.2f} {ok_s:4.2f} | pooled " \
              f"{pooled[0]:6.4f} {pooled[1]:6.4f} {pooled[2]:7.4f} {pooled[3]:+8.5f}"
        for part in ("bulk", "tail"):
            w, c68, c95 = (np.median([f[part][k] for f in sets]) for k in range(3))
            inside = np.mean([in_bands(*f[part]) for f in sets])
            row += f" | {part} {w:5.3f} {c68:5.3f} {c95:5.3f} {inside:4.2f}"
        print(row)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
