#!/usr/bin/python3
"""A model trained by bayesamp loads into the tutorial's own PyTorch network.

Trains a small model with the CLI, then loads it with python/bayesamp_model.py into
numpy and, strictly (every name and shape must match), into bayes_amp_net of
../shared/peers/seed_torch.py, and checks that both compute the same outputs with the
mean weights. Skipped (exit 77) where numpy or torch is not installed.
usage: python_model_test.py PATH/TO/bayesamp
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "shared", "peers"))

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

import bayesamp_model as bm  # noqa: E402
import seed_torch  # noqa: E402  the tutorial, as the peer script


def main():
    exe = sys.argv[1]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(5)
        for split in ("trn", "val", "tst"):
            dat = rng.normal(size=(300, 5, 4)) * 100
            np.save(os.path.join(tmp, f"{split}_dat.npy"), dat)
            np.save(os.path.join(tmp, f"{split}_amp.npy"), np.exp(rng.normal(size=300)))
        run = os.path.join(tmp, "run")
        subprocess.run([exe, "train", "--data", tmp, "--out", run, "--epochs", "2",
                        "--no-eval"], check=True, stdout=subprocess.DEVNULL)
        path = os.path.join(run, "model.safetensors")
        tensors, meta = bm.load(path)

        net = seed_torch.bayes_amp_net(training_size=300, hdn_dim=50)
        state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
        net.load_state_dict(state, strict=True)   # raises on any name or shape mismatch
        for layer in net.model:
            if isinstance(layer, seed_torch.VBLinear):
                layer.resample = False
                layer.random = torch.zeros_like(layer.logsig2_w)   # mean weights

        dat = np.load(os.path.join(tmp, "tst_dat.npy"))
        x = bm.preprocess(dat, meta)
        with torch.no_grad():
            out = net(torch.tensor(x, dtype=torch.float32)).numpy()
        mu, logsig2 = bm.forward_map(tensors, meta, x)
        dev = max(np.max(np.abs(out[:, 0] - mu)), np.max(np.abs(out[:, 1] - logsig2)))
        scale = max(np.max(np.abs(mu)), 1.0)
        ok = dev < 1e-5 * scale
        failed += not ok
        print(f"torch bayes_amp_net vs numpy forward: max deviation {dev:.2e} "
              f"({'ok' if ok else 'FAILED'})")
        ok = abs(float(meta["gluon_pt_mean"]) - np.mean(np.sqrt(np.round(
            np.load(os.path.join(tmp, "trn_dat.npy"))[:, 4, 1] ** 2 +
            np.load(os.path.join(tmp, "trn_dat.npy"))[:, 4, 2] ** 2, 5)))) < 1e-9 * 100
        failed += not ok
        print(f"gluon_pt_mean in the metadata matches the tutorial's formula: "
              f"{'ok' if ok else 'FAILED'}")
    print(f"{2 - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
