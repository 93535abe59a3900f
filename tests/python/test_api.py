"""The Python module's own behaviour: errors as exceptions before any work, threads,
progress and callbacks, memory over repeated calls, the README's example, and a model
trained here loading strictly into the tutorial's PyTorch network."""
import gc
import os
import re
import sys
import threading

import numpy as np
import pytest

import bayesamp
from conftest import ROOT, SHARED


@pytest.fixture(scope="module")
def small(folder):
    _, arrays = folder
    return arrays


@pytest.fixture(scope="module")
def model(small):
    return bayesamp.train(train=small["trn"], val=small["val"], preset="precision", epochs=2)


# ---------------------------------------------------------------- errors

def test_bad_arrays_raise_before_any_work(small, model):
    x, a = small["trn"]
    xv, av = small["val"]
    calls = []
    on_epoch = calls.append
    with pytest.raises(TypeError, match=r"^training momenta: dtype int64 is not float64 or "
                                        r"float32$"):
        bayesamp.train(train=(x.astype(np.int64), a), val=(xv, av), on_epoch=on_epoch)
    with pytest.raises(ValueError, match=r"^validation momenta: shape \(600, 20\) is not "
                                         r"\(N, 5, 4\) for 5 particles$"):
        bayesamp.train(train=(x, a), val=(xv.reshape(600, 20), av), on_epoch=on_epoch)
    with pytest.raises(ValueError, match=r"^training amplitudes: shape \(1999,\) is not "
                                         r"\(2000,\), one per event$"):
        bayesamp.train(train=(x, a[1:]), val=(xv, av), on_epoch=on_epoch)
    bad = x.copy()
    bad[-1, 2, 1] = np.nan   # the last event: the check still comes before training
    with pytest.raises(bayesamp.Error, match=r"^training momenta: row 1999: non-finite "
                                             r"momentum component nan \(particle 3, a, "
                                             r"px\)$"):
        bayesamp.train(train=(bad, a), val=(xv, av), epochs=1000, on_epoch=on_epoch)
    bad_a = av.copy()
    bad_a[5] = -1
    with pytest.raises(bayesamp.Error, match=r"^validation amplitudes: row 5: amplitude -1 "
                                             r"is not positive and finite$"):
        bayesamp.train(train=(x, a), val=(xv, bad_a), on_epoch=on_epoch)
    assert calls == []
    with pytest.raises(bayesamp.Error, match=r"^momenta: row 1999: non-finite"):
        model.predict(bad)
    with pytest.raises(bayesamp.Error, match=r"^evaluated amplitudes: row 5: "):
        model.evaluate(xv, bad_a)
    with pytest.raises(bayesamp.Error, match=r"^row 1999: "):
        bayesamp.amplitude(bad)
    with pytest.raises(TypeError, match="dtype complex128"):
        model.predict(x.astype(complex))
    with pytest.raises(ValueError, match=r"shape \(2000, 4, 4\)"):
        model.predict(x[:, :4])
    # an unphysical event: the photon off its mass shell
    off = xv.copy()
    off[3, 2, 0] *= 1.01
    with pytest.raises(bayesamp.Error, match=r"^momenta: row 3: particle 3 \(a\) is off its "
                                             r"mass shell"):
        model.predict(off)


def test_bad_settings_raise_with_the_cli_ranges(small, model):
    x, a = small["trn"]
    tv = dict(train=(x, a), val=small["val"])
    cases = [(dict(epochs=0), ValueError, r"^epochs: 0 is out of range \[1, 1000000\]$"),
             (dict(lr=-1), ValueError, r"^lr: -1 is out of range"),
             (dict(preset="fast"), ValueError, r"^preset: 'fast' is neither"),
             (dict(activation="softmax"), ValueError, r"^activation: 'softmax' is not one of "
                                                      r"relu, silu, gelu, tanh$"),
             (dict(hidden="50,x"), ValueError, r"^hidden: '50,x' is not a list"),
             (dict(standardize="maybe"), ValueError, r"^standardize: "),
             (dict(threads=0), ValueError, r"^threads: 0 is out of range \[1, 1024\]$"),
             (dict(seed=-1), ValueError, r"^seed: -1 is out of range"),
             (dict(epochs=2.5), TypeError, r"^epochs: 2.5 is not an integer$"),
             (dict(process="g g > x"), bayesamp.Error, r"x"),
             (dict(masses=["q=1"]), bayesamp.Error, r"q")]
    for kwargs, exc, message in cases:
        with pytest.raises(exc, match=message):
            bayesamp.train(**tv, **kwargs)
    with pytest.raises(ValueError, match=r"^mode: 'mean' is not one of sample, fixed, map$"):
        model.predict(x, mode="mean")
    with pytest.raises(ValueError, match=r"^n_monte: 0 is out of range"):
        model.predict(x, n_monte=0)
    with pytest.raises(ValueError, match=r"^uncertainty: "):
        model.evaluate(x, a, uncertainty="total")
    with pytest.raises(ValueError, match=r"^split: 'test' is not one of trn, val, tst$"):
        bayesamp.generate(5, split="test")
    with pytest.raises(bayesamp.Error, match=r"mhat_max must not be below mhat_min"):
        bayesamp.generate(5, mhat_min=500, mhat_max=400)
    with pytest.raises(ValueError, match=r"^enrich_cut: 2 is out of range"):
        bayesamp.generate(5, enrich_singular=0.5, enrich_cut=(0.01, 2))
    with pytest.raises(ValueError, match=r"^enrich_cut: 9 cuts"):
        bayesamp.generate(5, enrich_singular=0.5, enrich_cut=[0.01] * 9)
    with pytest.raises(ValueError, match=r"^tolerance: "):
        bayesamp.amplitude(x[:3], model, tolerance=2)
    with pytest.raises(ValueError, match="give train"):
        bayesamp.train(train=(x, a))


def test_file_errors_carry_the_library_message(tmp_path, model):
    missing = tmp_path / "nothing.safetensors"
    with pytest.raises(bayesamp.Error, match=re.escape(str(missing))):
        bayesamp.load(missing)
    (tmp_path / "junk.safetensors").write_bytes(b"\x05")
    with pytest.raises(bayesamp.Error, match="junk.safetensors"):
        bayesamp.load(tmp_path / "junk.safetensors")
    with pytest.raises(bayesamp.Error, match="no/such/dir"):
        model.save(tmp_path / "no" / "such" / "dir" / "m.safetensors")
    with pytest.raises(bayesamp.Error, match="no_data"):
        bayesamp.train(data=tmp_path / "no_data", epochs=1)
    with pytest.raises(bayesamp.Error):
        model.evaluate(data=tmp_path / "no_data")
    assert not list(tmp_path.glob("*.tmp*"))   # nothing half-written left behind


# ---------------------------------------------------------------- threads

def test_threads_do_not_change_the_numbers(small):
    x, a = small["trn"]
    one = bayesamp.train(train=(x, a), val=small["val"], epochs=2, threads=1)
    two = bayesamp.train(train=(x, a), val=small["val"], epochs=2, threads=2)
    for key in ("train_loss", "val_loss"):
        assert np.array_equal(one.history[key], two.history[key])
    xt = small["tst"][0]
    assert np.array_equal(one.predict(xt, threads=1).rows, two.predict(xt, threads=2).rows)
    assert np.array_equal(bayesamp.generate(300, seed=4, threads=1)[0],
                          bayesamp.generate(300, seed=4, threads=2)[0])
    assert np.array_equal(bayesamp.amplitude(xt, threads=1), bayesamp.amplitude(xt, threads=2))
    assert bayesamp.default_threads() == os.cpu_count()


def test_calls_from_python_threads_at_once(small, model):
    """ctypes lets go of the GIL in the library: two Python threads predict at once and
    get the numbers a single call gets."""
    xt = small["tst"][0]
    expected = model.predict(xt, n_monte=5).rows
    results = [None] * 4

    def work(i):
        results[i] = model.predict(xt, n_monte=5, threads=1).rows
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(np.array_equal(r, expected) for r in results)


# ---------------------------------------------------------------- progress and callbacks

def test_progress_bar_and_on_epoch(small, capsys):
    seen = []

    def stop_at_three(stats):
        seen.append(stats)
        return stats["epoch"] == 3
    m = bayesamp.train(train=small["trn"], val=small["val"], epochs=50, progress=True,
                       on_epoch=stop_at_three)
    err = capsys.readouterr().err
    assert "training" in err and "epoch" in err
    assert [s["epoch"] for s in seen] == [1, 2, 3] and len(m.history["epoch"]) == 3
    assert set(seen[0]) == {"epoch", "train_loss", "train_nll", "train_kl", "val_loss",
                            "seconds", "lr", "best"}
    assert np.array_equal(m.history["val_loss"], [s["val_loss"] for s in seen])
    bayesamp.generate(100, progress=True)
    assert "generating trn" in capsys.readouterr().err


def test_an_exception_in_on_epoch_stops_training_and_propagates(small):
    def interrupt(stats):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        bayesamp.train(train=small["trn"], val=small["val"], epochs=50, on_epoch=interrupt)


# ---------------------------------------------------------------- memory

def _rss_kib():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_memory_does_not_grow_over_repeated_calls(tmp_path, small, model):
    x, a = small["tst"]
    model.save(tmp_path / "m.safetensors")

    def one_round():
        model.predict(x, n_monte=3)
        model.evaluate(x, a, n_monte=3)
        bayesamp.amplitude(x[:50])
        bayesamp.generate(50)
        bayesamp.load(tmp_path / "m.safetensors").predict(x[:10])
        bayesamp.amplitude(x[:200], model, n_monte=3)
        try:
            bayesamp.load(tmp_path / "missing")
        except bayesamp.Error:
            pass
    for _ in range(5):   # warm up: allocator pools, caches
        one_round()
    gc.collect()
    before = _rss_kib()
    for _ in range(60):
        one_round()
    gc.collect()
    grown = _rss_kib() - before
    # A leak of what one round allocates in C (~150 KiB of predictions, metrics and
    # events) would add ~9 MiB over 60 rounds.
    assert grown < 3 * 1024, f"resident memory grew by {grown} KiB over 60 rounds"


def test_training_memory_is_released(small):
    for _ in range(2):
        bayesamp.train(train=small["trn"], val=small["val"], epochs=1)
    gc.collect()
    before = _rss_kib()
    for _ in range(15):
        bayesamp.train(train=small["trn"], val=small["val"], epochs=1)
    gc.collect()
    grown = _rss_kib() - before
    assert grown < 3 * 1024, f"resident memory grew by {grown} KiB over 15 trainings"


# ---------------------------------------------------------------- the README and PyTorch

def test_the_readme_python_example_runs_as_written(tmp_path, monkeypatch):
    with open(os.path.join(ROOT, "README.md")) as fh:
        text = fh.read()
    section = text[text.index("\n## Python\n"):]
    section = section[:section.index("\n## ", 1)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "README.md: no python example in the Python section"
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__readme__"}
    exec(compile(blocks[0], "README.md (Python section)", "exec"), namespace)
    assert isinstance(namespace["model"], bayesamp.Model)


def test_a_model_trained_here_loads_strictly_into_the_tutorials_network(tmp_path, small):
    import torch
    sys.path.insert(0, os.path.join(ROOT, "python"))
    sys.path.insert(0, os.path.join(SHARED, "peers"))
    import bayesamp_model
    import seed_torch
    m = bayesamp.train(train=small["trn"], val=small["val"], epochs=2)
    m.save(tmp_path / "m.safetensors")
    tensors, meta = bayesamp_model.load(tmp_path / "m.safetensors")
    net = seed_torch.bayes_amp_net(training_size=len(small["trn"][0]), hdn_dim=50)
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()},
                        strict=True)
    for layer in net.model:
        if isinstance(layer, seed_torch.VBLinear):
            layer.resample = False
            layer.random = torch.zeros_like(layer.logsig2_w)    # the mean weights
    x = small["tst"][0]
    with torch.no_grad():
        out = net(torch.tensor(bayesamp_model.preprocess(x, meta), dtype=torch.float32))
    # the torch network's mean-weight output is bayesamp's map prediction
    p = m.predict(x, mode="map")
    assert np.max(np.abs(out[:, 0].numpy() - p.mean)) < 1e-4
    assert np.max(np.abs(np.exp(0.5 * out[:, 1].numpy()) / p.sigma_aleatoric - 1)) < 1e-4


def test_split_fractions_follow_the_cli_parser(folder, model):
    path, _ = folder
    with pytest.raises(ValueError, match=r"^split: split fractions 0.5,0.2,0.2: the fractions "
                                         r"add up to 0.9, not 1$"):
        bayesamp.train(data=path / "trn_dat.npy", split=(0.5, 0.2, 0.2))
    with pytest.raises(ValueError, match=r"^data_split: split fractions 0.8,0.1: expected "
                                         r"three fractions"):
        model.evaluate(data=path / "trn_dat.npy", data_split="0.8,0.1")


def test_presets_are_the_cli_defaults(small):
    p = bayesamp.preset("precision")
    assert p["epochs"] == 1000 and p["features"] == "invariants" and p["sampler"] == "local"
    assert bayesamp.preset()["activation"] == "relu" and bayesamp.preset()["lr"] == 1e-3
    # spelling a preset's values out gives the preset's model
    spelled = dict(p, epochs=2)
    a = bayesamp.train(train=small["trn"], val=small["val"], preset="precision", epochs=2)
    b = bayesamp.train(train=small["trn"], val=small["val"], preset="tutorial", **spelled)
    assert np.array_equal(a.history["val_loss"], b.history["val_loss"])
    assert build_info_ok(bayesamp.build_info())


def build_info_ok(info):
    return info["precision"] == "float32" and "OpenBLAS" in info["blas"] and info["git_commit"]
