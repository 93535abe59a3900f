#!/usr/bin/python3
"""A model trained by bayesamp loads in Python: into the tutorial's own PyTorch network,
and into numpy with the model's preprocessing.

Generates a small data set and trains both presets with the CLI. For each, numpy's
mean-weight prediction (python/bayesamp_model.py: features, standardisation, activation,
the target's inverse transform) must equal `bayesamp predict --mode map`. The tutorial's
model must load strictly (every name and shape) into bayes_amp_net of
../shared/peers/seed_torch.py and compute the same outputs. Fails where numpy or torch is
missing (scripts/install-deps.sh installs them).
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
    # scripts/install-deps.sh installs both: a missing one is a broken set-up, not a skip
    print(f"FAILED: {e}: install python3-numpy and python3-torch (scripts/install-deps.sh)")
    sys.exit(1)

import bayesamp_model as bm  # noqa: E402
import seed_torch  # noqa: E402  the tutorial, as the peer script


def main():
    exe = sys.argv[1]
    failed = passed = 0

    def report(ok, what):
        nonlocal failed, passed
        failed += not ok
        passed += bool(ok)
        print(f"{what}: {'ok' if ok else 'FAILED'}")

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        subprocess.run([exe, "generate", "--out", data, "--n-train", "400", "--n-val", "200",
                        "--n-test", "300"], check=True, stdout=subprocess.DEVNULL)
        dat = np.load(os.path.join(data, "tst_dat.npy"))
        for preset in ("tutorial", "precision"):
            run = os.path.join(tmp, preset)
            subprocess.run([exe, "train", "--data", data, "--out", run, "--preset", preset,
                            "--epochs", "3", "--no-eval"], check=True, stdout=subprocess.DEVNULL)
            path = os.path.join(run, "model.safetensors")
            tensors, meta = bm.load(path)

            # numpy's mean-weight prediction against `bayesamp predict --mode map`
            log_a, sigma = bm.predict_map(path, dat)
            pred = os.path.join(tmp, f"{preset}_map.npy")
            subprocess.run([exe, "predict", "--model", path, "--momenta",
                            os.path.join(data, "tst_dat.npy"), "--out", pred, "--mode", "map"],
                           check=True, stdout=subprocess.DEVNULL)
            c = np.load(pred)
            dev = max(np.max(np.abs(c[:, 1] - log_a)), np.max(np.abs(c[:, 2] / sigma - 1)))
            report(dev < 1e-4, f"{preset}: numpy prediction equals bayesamp's "
                               f"(max deviation {dev:.1e})")

            if preset != "tutorial":
                continue
            # the tutorial's own network loads the file strictly (names and shapes)
            net = seed_torch.bayes_amp_net(training_size=400, hdn_dim=50)
            state = {k: torch.from_numpy(v.copy()) for k, v in tensors.items()}
            net.load_state_dict(state, strict=True)
            for layer in net.model:
                if isinstance(layer, seed_torch.VBLinear):
                    layer.resample = False
                    layer.random = torch.zeros_like(layer.logsig2_w)   # mean weights
            x = bm.preprocess(dat, meta)
            with torch.no_grad():
                out = net(torch.tensor(x, dtype=torch.float32)).numpy()
            mu, logsig2 = bm.forward_map(tensors, meta, x)
            dev = max(np.max(np.abs(out[:, 0] - mu)), np.max(np.abs(out[:, 1] - logsig2)))
            report(dev < 1e-5 * max(np.max(np.abs(mu)), 1.0),
                   f"torch bayes_amp_net vs numpy forward: max deviation {dev:.2e}")
            trn = np.load(os.path.join(data, "trn_dat.npy"))
            gpt = np.mean(np.sqrt(np.round(trn[:, 4, 1] ** 2 + trn[:, 4, 2] ** 2, 5)))
            report(abs(float(meta["gluon_pt_mean"]) - gpt) < 1e-9 * gpt,
                   "gluon_pt_mean in the metadata matches the tutorial's formula")

        # Other processes (the shared data sets, a few hundred events each, the process in
        # generate.json): numpy's preprocessing mirrors the C features for any P, massive
        # particles and identical-particle ordering included.
        shared = os.path.join(HERE, "..", "..", "shared", "data")
        for folder, process in (("gg_gggg", "g g > g g g g"), ("gg_tt", "g g > t t~")):
            if not os.path.isdir(os.path.join(shared, folder)):
                report(False, f"{shared}/{folder} missing")
                continue
            data = os.path.join(tmp, folder)
            os.makedirs(data)
            for split, n in (("trn", 400), ("val", 200), ("tst", 300)):
                for kind in ("dat", "amp"):
                    arr = np.load(os.path.join(shared, folder, f"{split}_{kind}.npy"))[:n]
                    np.save(os.path.join(data, f"{split}_{kind}.npy"), arr)
            with open(os.path.join(data, "generate.json"), "w") as fh:
                fh.write('{"process": "%s"}\n' % process)
            dat = np.load(os.path.join(data, "tst_dat.npy"))
            for preset in ("tutorial", "precision"):
                run = os.path.join(tmp, f"{folder}-{preset}")
                subprocess.run([exe, "train", "--data", data, "--out", run, "--preset", preset,
                                "--epochs", "2", "--no-eval"], check=True,
                               stdout=subprocess.DEVNULL)
                path = os.path.join(run, "model.safetensors")
                _, meta = bm.load(path)
                report(meta.get("process") == process, f"{folder}: model records {process}")
                log_a, sigma = bm.predict_map(path, dat)
                pred = os.path.join(tmp, f"{folder}-{preset}.npy")
                subprocess.run([exe, "predict", "--model", path, "--momenta",
                                os.path.join(data, "tst_dat.npy"), "--out", pred, "--mode",
                                "map"], check=True, stdout=subprocess.DEVNULL)
                c = np.load(pred)
                dev = max(np.max(np.abs(c[:, 1] - log_a)), np.max(np.abs(c[:, 2] / sigma - 1)))
                report(dev < 1e-4, f"{folder} {preset}: numpy prediction equals bayesamp's "
                                   f"(max deviation {dev:.1e})")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
