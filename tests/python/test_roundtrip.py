"""The Python module against the command line on the same data, settings and seed: the
numbers must be the same bit for bit (the binding calls the library functions the
commands call; tests/CMakeLists.txt, python_api)."""
import os

import numpy as np
import pytest

import bayesamp
from conftest import N_TRN, N_VAL, N_TST, SEED, read_json


def test_generate_equals_the_cli_folder(folder):
    _, arrays = folder
    for split, n in (("trn", N_TRN), ("val", N_VAL), ("tst", N_TST)):
        x, a = bayesamp.generate(n, seed=SEED, split=split)
        assert x.shape == (n, 5, 4) and a.shape == (n,) and x.dtype == a.dtype == np.float64
        assert np.array_equal(x, arrays[split][0]) and np.array_equal(a, arrays[split][1])
    # a prefix of a split is the same events; another seed other events
    x, a = bayesamp.generate(10, seed=SEED, split="val")
    assert np.array_equal(x, arrays["val"][0][:10])
    x2, _ = bayesamp.generate(10, seed=SEED + 1, split="val")
    assert not np.array_equal(x, x2)
    splits = bayesamp.generate_splits(7, 8, 9, seed=SEED)
    assert [len(splits[s][0]) for s in ("trn", "val", "tst")] == [7, 8, 9]
    assert np.array_equal(splits["tst"][1], arrays["tst"][1][:9])


def test_generate_phase_space_options_equal_the_cli(tmp_path, cli):
    opts = dict(sqrt_s=8000, mhat_min=300, mhat_max=1500, y_max=1.5, pt_min=30,
                eta_photon_max=2.0, eta_gluon_max=4.0, dr_min=0.5)
    flags = []
    for k, v in opts.items():
        flags += ["--" + k.replace("_", "-"), v]
    cli("generate", "--out", tmp_path, "--n-train", 50, "--n-val", 0, "--n-test", 0,
        "--seed", 11, *flags)
    x, a = bayesamp.generate(50, seed=11, **opts)
    assert np.array_equal(x, np.load(tmp_path / "trn_dat.npy"))
    assert np.array_equal(a, np.load(tmp_path / "trn_amp.npy"))
    pt = np.hypot(x[:, 2:, 1], x[:, 2:, 2])
    assert pt.min() > 30


def test_generate_enrichment_ladder_equals_the_cli(tmp_path, cli):
    cli("generate", "--out", tmp_path, "--n-train", 60, "--n-val", 0, "--n-test", 0,
        "--seed", 12, "--enrich-singular", 0.5, "--enrich-cut", "0.02,0.005")
    x, a = bayesamp.generate(60, seed=12, enrich_singular=0.5, enrich_cut=(0.02, 0.005))
    assert np.array_equal(x, np.load(tmp_path / "trn_dat.npy"))
    assert np.array_equal(a, np.load(tmp_path / "trn_amp.npy"))
    x1, _ = bayesamp.generate(60, seed=12, enrich_singular=0.5, enrich_cut=0.02)
    assert not np.array_equal(x, x1)  # the second cut changed every fourth event
    assert np.array_equal(x[::2], x1[::2])  # the flat ones did not move


def test_amplitude_equals_the_cli(tmp_path, cli, folder):
    path, arrays = folder
    x, a = arrays["tst"]
    out = tmp_path / "amp.npy"
    cli("amplitude", "--momenta", path / "tst_dat.npy", "--out", out)
    mine = bayesamp.amplitude(x)
    assert np.array_equal(mine, np.load(out)) and np.array_equal(mine, a)
    assert bayesamp.amplitude(x[3]).shape == (1,)          # one event, (5, 4)
    assert bayesamp.amplitude(np.empty((0, 5, 4))).shape == (0,)
    # float32 momenta need a looser check, as on the command line
    with pytest.raises(bayesamp.Error, match=r"row \d+"):
        bayesamp.amplitude(x.astype(np.float32))
    assert np.allclose(bayesamp.amplitude(x.astype(np.float32), tol=1e-5), a, rtol=1e-3)


def test_train_from_a_folder_and_from_arrays_equals_the_cli(tmp_path, folder, trained):
    path, arrays = folder
    kw = dict(preset="precision", epochs=4, seed=5)
    m = bayesamp.train(data=path, **kw)
    m.save(tmp_path / "m.safetensors")
    m.last.save(tmp_path / "last.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes() == \
        (trained / "model.safetensors").read_bytes()
    assert (tmp_path / "last.safetensors").read_bytes() == \
        (trained / "model-last.safetensors").read_bytes()
    # history.csv holds the same numbers (printed to 9 digits)
    rows = np.genfromtxt(trained / "history.csv", delimiter=",", names=True)
    for key in ("train_loss", "train_nll", "train_kl", "val_loss"):
        assert [f"{v:.9g}" for v in m.history[key]] == [f"{v:.9g}" for v in rows[key]]
    assert list(m.history["epoch"]) == [1, 2, 3, 4]
    assert m.best_epoch == read_json(trained / "train.json")["result"]["best_epoch"]
    # the same events as arrays: the same model (test events change nothing)
    m2 = bayesamp.train(train=arrays["trn"], val=arrays["val"], **kw)
    m2.save(tmp_path / "m2.safetensors")
    assert (tmp_path / "m2.safetensors").read_bytes() == \
        (trained / "model.safetensors").read_bytes()
    assert m.process == "g g > a a g" and m.preprocessing["features"] == "invariants"


def test_every_training_flag_equals_the_cli(tmp_path, cli, folder):
    path, arrays = folder
    opts = dict(preset="tutorial", epochs=3, batch_size=64, lr=2e-3, lr_schedule="onecycle",
                lr_final_ratio=1e-2, warmup_epochs=1, features="invariants",
                standardize=True, activation="tanh", hidden=[30, 20], prior_sigma=2.0,
                sampler="local", clip_grad_norm=5, logsig2_clamp=15, max_rollbacks=2,
                seed=8, patience=5)
    flags = []
    for k, v in opts.items():
        if k == "standardize":
            v = "yes"
        elif k == "hidden":
            v = ",".join(map(str, v))
        flags += ["--" + k.replace("_", "-"), v]
    run = tmp_path / "run"
    cli("train", "--data", path, "--out", run, "--no-eval", *flags)
    m = bayesamp.train(train=arrays["trn"], val=arrays["val"], **opts)
    m.save(tmp_path / "m.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
    assert m.arch == {"n_inputs": 10, "hidden": [30, 20], "prior_sigma": 2.0,
                      "activation": "tanh"}


def test_train_from_one_file_of_events_with_a_split(tmp_path, cli, folder):
    _, arrays = folder
    x, a = arrays["trn"]
    rows = np.concatenate([x.reshape(len(x), 20), a[:, None]], axis=1)
    events = tmp_path / "events.npy"
    np.save(events, rows)
    run = tmp_path / "run"
    cli("train", "--data", events, "--split", "0.7,0.2,0.1", "--out", run, "--epochs", 2,
        "--no-eval")
    m = bayesamp.train(data=events, split=(0.7, 0.2, 0.1), epochs=2)
    m.save(tmp_path / "m.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
    # and the evaluation of its test events, as `evaluate --data-split`
    out = tmp_path / "eval"
    cli("evaluate", "--model", run / "model.safetensors", "--data", events, "--data-split",
        "0.7,0.2,0.1", "--out", out, "--n-monte", 5)
    got = m.evaluate(data=events, data_split=(0.7, 0.2, 0.1), n_monte=5)
    assert _metrics(got) == _metrics(read_json(out / "metrics.json"))


@pytest.mark.parametrize("mode", ["sample", "fixed", "map"])
def test_predict_equals_the_cli(tmp_path, cli, folder, trained, mode):
    path, arrays = folder
    model_file = trained / "model.safetensors"
    out = tmp_path / "pred.npy"
    cli("predict", "--model", model_file, "--momenta", path / "tst_dat.npy", "--out", out,
        "--n-monte", 7, "--mode", mode, "--seed", 9, "--batch-size", 64)
    m = bayesamp.load(model_file)
    p = m.predict(arrays["tst"][0], n_monte=7, mode=mode, seed=9, batch_size=64)
    assert np.array_equal(p.rows, np.load(out))
    # exp in C (glibc), as the command line: numpy's own exp may differ in the last bit
    assert np.allclose(p.amplitude, np.exp(p.mean), rtol=1e-15, atol=0)
    assert p.n_monte == (1 if mode == "map" else 7)
    if mode == "map":
        assert np.all(p.sigma_epistemic == 0)
    # float32 momenta are widened as the command line widens a float32 file
    x32 = arrays["tst"][0].astype(np.float32)
    np.save(tmp_path / "x32.npy", x32)
    cli("predict", "--model", model_file, "--momenta", tmp_path / "x32.npy", "--out", out,
        "--mode", mode)
    assert np.array_equal(m.predict(x32, mode=mode).rows, np.load(out))


def _metrics(d):
    """metrics.json without what describes the run rather than the events."""
    return {k: v for k, v in d.items() if k not in ("settings", "versions", "seconds")}


def test_evaluate_equals_the_cli(tmp_path, cli, folder, trained):
    path, arrays = folder
    model_file = trained / "model.safetensors"
    out = tmp_path / "eval"
    cli("evaluate", "--model", model_file, "--data", path, "--out", out, "--n-monte", 10,
        "--seed", 2, "--uncertainty", "bayes", "--rescale-on-val")
    expected = _metrics(read_json(out / "metrics.json"))
    m = bayesamp.load(model_file)
    kw = dict(n_monte=10, seed=2, uncertainty="bayes", rescale_on_val=True)
    assert _metrics(m.evaluate(data=path, **kw)) == expected
    got = m.evaluate(*arrays["tst"], val=arrays["val"], **kw)
    assert _metrics(got) == expected
    assert got["rescaled"]["n_fit"] == N_VAL and got["rescaled"]["k"] > 0
    # without val events, k is fitted on the evaluated events themselves
    alone = m.evaluate(*arrays["tst"], **kw)
    assert alone["rescaled"]["n_fit"] == N_TST and alone["rescaled"]["k"] != got["rescaled"]["k"]
    # defaults: as the command line's defaults
    cli("evaluate", "--model", model_file, "--data", path, "--out", out)
    assert _metrics(m.evaluate(*arrays["tst"])) == _metrics(read_json(out / "metrics.json"))
    # the evaluation's predictions are predict()'s: the pred.npy beside metrics.json
    assert np.array_equal(m.predict(arrays["tst"][0]).rows, np.load(out / "pred.npy"))
    # and the pulls use the corrected total of Prediction.sigma_total
    p = m.predict(arrays["tst"][0])
    pull = (p.mean - np.log(arrays["tst"][1])) / p.sigma_total()
    q16, q84 = np.quantile(pull, [0.16, 0.84])
    assert abs((q84 - q16) / 2 - read_json(out / "metrics.json")["pull"]["robust_width"]) \
        < 1e-12


def test_hybrid_amplitude_equals_the_cli(tmp_path, cli, folder, trained):
    path, arrays = folder
    model_file = trained / "model.safetensors"
    out = tmp_path / "hybrid.npy"
    cli("amplitude", "--momenta", path / "tst_dat.npy", "--out", out, "--model", model_file,
        "--tolerance", 0.3, "--confidence", 0.9, "--n-monte", 12, "--seed", 4)
    amp, exact = bayesamp.amplitude(arrays["tst"][0], bayesamp.load(model_file),
                                    tolerance=0.3, confidence=0.9, n_monte=12, seed=4)
    expected = np.load(out)
    assert np.array_equal(amp, expected[:, 0])
    assert np.array_equal(exact, expected[:, 1] == 1)
    assert 0 < exact.sum() < len(exact)     # some of each, so both paths were taken
    assert np.array_equal(amp[exact], arrays["tst"][1][exact])


def test_save_and_load(tmp_path, folder):
    _, arrays = folder
    m = bayesamp.train(train=arrays["trn"], val=arrays["val"], epochs=2)
    m.save(tmp_path / "m.safetensors")
    again = bayesamp.load(tmp_path / "m.safetensors")
    x = arrays["tst"][0][:300]
    assert np.array_equal(again.predict(x).rows, m.predict(x).rows)
    assert again.preprocessing["gluon_pt_mean"] == m.preprocessing["gluon_pt_mean"]
    assert again.n_params == m.n_params == 20 * 50 * 2 + 50 + 2 * (50 * 50 * 2 + 50) + 50 * 2 * 2 + 2
    assert again.history is None and "g g > a a g" in repr(again)


def test_other_processes_from_the_shared_data(tmp_path, cli):
    shared = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data",
                          "gg_tt")
    x, a = np.load(os.path.join(shared, "trn_dat.npy"))[:600], \
        np.load(os.path.join(shared, "trn_amp.npy"))[:600]
    xv, av = np.load(os.path.join(shared, "val_dat.npy"))[:200], \
        np.load(os.path.join(shared, "val_amp.npy"))[:200]
    with pytest.raises(ValueError, match="no process given"):
        bayesamp.train(train=(x, a), val=(xv, av), epochs=1)
    # the events were made with m_t = 173 GeV: another top mass puts them off shell
    with pytest.raises(bayesamp.Error, match=r"^training momenta: row 0: particle 3 \(t\) "
                                             r"is off its mass shell"):
        bayesamp.train(train=(x, a), val=(xv, av), process="g g > t t~", masses="t=172.5")
    m = bayesamp.train(train=(x, a), val=(xv, av), process="g g > t t~", masses=["t=173"],
                       preset="precision", epochs=2)
    assert m.process == "g g > t t~" and m.preprocessing["masses"][2] == 173
    with pytest.raises(bayesamp.Error, match="t t~"):
        bayesamp.amplitude(xv, m)
    # the same through a folder and the command line
    data = tmp_path / "tt"
    data.mkdir()
    for s, (dx, da) in (("trn", (x, a)), ("val", (xv, av)), ("tst", (xv, av))):
        np.save(data / f"{s}_dat.npy", dx)
        np.save(data / f"{s}_amp.npy", da)
    run = tmp_path / "run"
    cli("train", "--data", data, "--process", "g g > t t~", "--mass", "t=173", "--preset",
        "precision", "--epochs", 2, "--out", run, "--no-eval")
    m.save(tmp_path / "m.safetensors")
    assert (tmp_path / "m.safetensors").read_bytes() == (run / "model.safetensors").read_bytes()
