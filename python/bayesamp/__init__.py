"""bayesamp in Python: generate data, train Bayesian networks on amplitudes, predict with
Monte-Carlo uncertainties, evaluate, and the exact amplitude, with numpy arrays in and
out, in memory.

    import bayesamp
    x, a = bayesamp.generate(30000, seed=1, split="trn")       # (n, 5, 4), (n,)
    xv, av = bayesamp.generate(30000, seed=1, split="val")
    model = bayesamp.train(train=(x, a), val=(xv, av), preset="precision", epochs=100,
                           progress=True)
    pred = model.predict(xt, n_monte=30)      # .mean, .sigma_aleatoric, .sigma_epistemic
    metrics = model.evaluate(xt, at)           # dict, as metrics.json
    model.save("model.safetensors"); model = bayesamp.load("model.safetensors")

This is a binding over the C library (include/bayesamp.h, libbayesamp.so built by the
project's CMake) through ctypes: the numbers are the command line's, bit for bit, for
the same data, settings and seed. Every option of the command line is an argument with
the same default (None: the preset's or the library's); errors of the library are
bayesamp.Error (a ValueError) with its one-line message; an array of the wrong shape or
dtype raises before any work starts (ValueError, TypeError), and so does a non-finite or
unphysical event (bayesamp.Error, naming the row).
"""
import ctypes
import json
import sys
import warnings
import weakref

import numpy as np

from . import _lib as L

_lib = L.load()

__all__ = ["Error", "Model", "Prediction", "generate", "generate_splits", "amplitude",
           "train", "load", "preset", "default_threads", "library_path"]

#: The process of data without one stated (g g -> gamma gamma g).
PROCESS_DEFAULT = L.PROCESS_DEFAULT
#: The default tolerance of the event checks of the exact amplitude (float64 momenta).
AMPLITUDE_TOL = L.AMPLITUDE_TOL
library_path = _lib.path


class Error(ValueError):
    """An error of the library: one line naming the file, argument or row and the
    problem, as the command line prints it."""


def _check(rc, err):
    if rc != 0:
        raise Error(err.msg.decode("utf-8", "replace"))


def default_threads():
    """The threads used where threads is None: all cores."""
    return _lib.ba_default_threads()


def build_info():
    """The library's git commit, BLAS configuration and arithmetic."""
    return {"git_commit": _lib.ba_git_commit().decode(),
            "blas": _lib.ba_blas_version().decode(),
            "precision": _lib.ba_precision().decode()}


# ---------------------------------------------------------------- argument checks

def _int(name, value, lo, hi):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: {value!r} is not an integer")
    if not lo <= value <= hi:
        raise ValueError(f"{name}: {value} is out of range [{lo}, {hi}]")
    return int(value)


def _float(name, value, lo, hi):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise TypeError(f"{name}: {value!r} is not a number")
    value = float(value)
    if not lo <= value <= hi:  # NaN fails too
        raise ValueError(f"{name}: {value:g} is out of range [{lo:g}, {hi:g}]")
    return value


def _seed(value):
    return _int("seed", value, 0, 2 ** 64 - 1)


def _threads(value):
    return 0 if value is None else _int("threads", value, 1, 1024)


def _choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}: {value!r} is not one of " + ", ".join(map(str, choices)))
    return choices.index(value)


def _text(value):
    return None if value is None else str(value).encode()


def _momenta(x, n_particles, name="momenta"):
    """x as a C-contiguous float64 (n, P, 4) array; a single event (P, 4) becomes n = 1.
    float32 is widened exactly, as the command line reads float32 files."""
    arr = np.asarray(x)
    if arr.dtype not in (np.float64, np.float32):
        raise TypeError(f"{name}: dtype {arr.dtype} is not float64 or float32")
    if arr.ndim == 2 and arr.shape == (n_particles, 4):
        arr = arr[np.newaxis]
    if arr.ndim != 3 or arr.shape[1:] != (n_particles, 4):
        raise ValueError(f"{name}: shape {arr.shape} is not (N, {n_particles}, 4) for "
                         f"{n_particles} particles")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _amplitudes(a, n, name="amplitudes"):
    arr = np.asarray(a)
    if arr.dtype not in (np.float64, np.float32):
        raise TypeError(f"{name}: dtype {arr.dtype} is not float64 or float32")
    if arr.shape != (n,):
        raise ValueError(f"{name}: shape {arr.shape} is not ({n},), one per event")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _dptr(arr):
    return arr.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


def _events(x, a, n_particles, name):
    """A ba_events lending the arrays (kept alive by the returned tuple)."""
    x = _momenta(x, n_particles, f"{name} momenta")
    a = _amplitudes(a, len(x), f"{name} amplitudes")
    ev = L.Events(n=len(x), momenta=_dptr(x), amp=_dptr(a), n_particles=n_particles)
    return ev, (x, a)


def _split_fractions(split, name):
    """(train, val, test) fractions, or their text "0.8,0.1,0.1", checked by the parser
    of the command line's --split."""
    if split is None:
        return None
    text = split if isinstance(split, str) else ",".join(repr(float(v)) for v in split)
    fractions, err = (ctypes.c_double * 3)(), L.Error_()
    if _lib.ba_split_parse(text.encode(), fractions, err) != 0:
        raise ValueError(f"{name}: {err.msg.decode()}")
    return fractions


def _process(text):
    proc, err = L.Process(), L.Error_()
    _check(_lib.ba_process_parse(text.encode(), proc, err), err)
    return proc


def _progress_bar(total, desc, unit, enabled):
    """A tqdm bar (python3-tqdm), or None when off."""
    if not enabled:
        return None
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr)


# ---------------------------------------------------------------- generation

_SPLITS = ("trn", "val", "tst")


def _phase_space(settings):
    ps = _lib.ba_phase_space_defaults()
    cuts = settings.pop("enrich_cuts", None)
    for key, value in settings.items():
        if value is not None:
            setattr(ps, key, _float(key, value, 0, 1e8))
    if cuts is not None:  # one cut or a ladder, as --enrich-cut
        cuts = list(cuts) if isinstance(cuts, (list, tuple, np.ndarray)) else [cuts]
        if not 1 <= len(cuts) <= L.MAX_ENRICH_CUTS:
            raise ValueError(f"enrich_cut: {len(cuts)} cuts, not 1 to {L.MAX_ENRICH_CUTS}")
        for k in range(L.MAX_ENRICH_CUTS):
            ps.enrich_cuts[k] = _float("enrich_cut", cuts[k], 1e-9, 1) if k < len(cuts) else 0
    err = L.Error_()
    _check(_lib.ba_phase_space_check(ps, err), err)
    return ps


def generate(n, seed=1, split="trn", *, threads=None, sqrt_s=None, mhat_min=None,
             mhat_max=None, y_max=None, pt_min=None, eta_photon_max=None,
             eta_gluon_max=None, dr_min=None, enrich_singular=None, enrich_cut=None,
             progress=False):
    """n events of g g -> gamma gamma g at the LHC with their exact one-loop |M|^2.

    Returns momenta (n, 5, 4) float64 ([g_in(+z), g_in(-z), photon, photon, g_out],
    (E, px, py, pz) in GeV) and amplitudes (n,) in GeV^-2: the first n events of split
    "trn", "val" or "tst" of `bayesamp generate --seed SEED`, bit for bit, whatever the
    threads. The phase-space settings default to the command line's (sqrt_s 13000 GeV,
    mhat 200 to 2000 GeV, y_max 2, pt_min 20 GeV, |eta| of photons 2.5 and gluon 5,
    Delta R 0.4). enrich_singular (training split only, as the command line's
    --enrich-singular) draws that fraction of the events where the smallest s_ij / s_12
    is below enrich_cut (0.01), or, for a list of cuts such as (0.01, 0.003, 0.001), below
    each cut in turn (--enrich-cut 0.01,0.003,0.001).
    """
    n = _int("n", n, 0, 1_000_000_000)
    ps = _phase_space(dict(sqrt_s=sqrt_s, mhat_min=mhat_min, mhat_max=mhat_max,
                           y_max=y_max, pt_min=pt_min, eta_photon_max=eta_photon_max,
                           eta_gluon_max=eta_gluon_max, dr_min=dr_min,
                           enrich_fraction=enrich_singular, enrich_cuts=enrich_cut))
    which = _choice("split", split, _SPLITS)
    seed, threads = _seed(seed), _threads(threads)
    momenta = np.empty((n, 5, 4))
    amp = np.empty(n)
    bar = _progress_bar(n, f"generating {split}", "event", progress)
    cb = L.PROGRESS_FN(lambda done, total, user: bar.update(done - bar.n)) if bar else \
        L.PROGRESS_FN()  # NULL
    err = L.Error_()
    try:
        _check(_lib.ba_generate(ps, seed, which, n, threads, _dptr(momenta), _dptr(amp), None,
                                cb, None, err), err)
    finally:
        if bar:
            bar.close()
    return momenta, amp


def generate_splits(n_train=30000, n_val=30000, n_test=30000, seed=1, **options):
    """The three splits of `bayesamp generate --seed SEED`: {"trn": (momenta, amplitudes),
    "val": ..., "tst": ...}; options as for generate()."""
    sizes = {"trn": n_train, "val": n_val, "tst": n_test}
    return {s: generate(sizes[s], seed, s, **options) for s in _SPLITS}


# ---------------------------------------------------------------- the exact amplitude

def amplitude(momenta, model=None, *, tol=AMPLITUDE_TOL, threads=None, tolerance=0.01,
              confidence=0.99, n_monte=30, seed=1):
    """The exact one-loop |M|^2 (GeV^-2) of g g -> gamma gamma g for momenta (n, 5, 4),
    after checking every event to the relative tolerance tol (1e-10; float32 momenta need
    about 1e-5): `bayesamp amplitude`. Returns (n,) float64.

    With a model (of g g > a a g), the surrogate with an exact fallback: the network's
    amplitude where its calibrated uncertainty says it is within tolerance at the
    confidence, the exact one elsewhere; returns (amplitudes, exact), exact a bool array
    that is True where the amplitude was computed exactly.
    """
    if model is not None:
        if not isinstance(model, Model):
            raise TypeError(f"model: {type(model).__name__} is not a bayesamp.Model")
        if model.process != PROCESS_DEFAULT:
            raise Error(f"the model is for \"{model.process}\", but the exact amplitude "
                        f"here is only for \"{PROCESS_DEFAULT}\"")
    x = _momenta(momenta, 5)
    tol = _float("tol", tol, 1e-16, 1)
    threads = _threads(threads)
    n = len(x)
    err = L.Error_()
    _check(_lib.ba_amplitude_check(_dptr(x), n, tol, err), err) if n else None
    amp = np.empty(n)
    if model is None:
        if n:
            _check(_lib.ba_amplitudes(_dptr(x), n, tol, threads, _dptr(amp), L.PROGRESS_FN(),
                                     None, err), err)
        return amp
    cfg = _lib.ba_hybrid_defaults()
    cfg.tolerance = _float("tolerance", tolerance, 1e-12, 0.999)
    cfg.confidence = _float("confidence", confidence, 1e-6, 0.999999)
    cfg.predict.n_monte = _int("n_monte", n_monte, 2, 1 << 20)
    cfg.predict.seed = _seed(seed)
    cfg.predict.threads = threads
    exact_cfg = L.ExactConfig(tol=tol, threads=threads)
    flag = np.zeros(n, dtype=np.uint8)
    exact_fn = ctypes.cast(_lib.ba_exact_amplitudes, L.EXACT_FN)
    _check(_lib.ba_hybrid_amplitudes(model._ptr, _dptr(x), n, cfg, exact_fn,
                                     ctypes.cast(ctypes.pointer(exact_cfg), ctypes.c_void_p),
                                     _dptr(amp),
                                     flag.ctypes.data_as(ctypes.POINTER(ctypes.c_ubyte)), None,
                                     err), err)
    return amp, flag.astype(bool)


# ---------------------------------------------------------------- models

_FEATURES = ("momenta", "invariants")
_ACTIVATIONS = ("relu", "silu", "gelu", "tanh")
_SAMPLERS = ("weight", "local")
_SCHEDULES = ("constant", "cosine", "onecycle")
_MODES = ("sample", "fixed", "map")
_UNCERTAINTIES = ("corrected", "bayes")


class Prediction:
    """Monte-Carlo prediction of n events, all of log A:

    mean              the mean of the predicted log-amplitude over the passes
    sigma_aleatoric   sqrt of the mean predicted variance
    sigma_epistemic   the spread of the means over the passes
    amplitude         exp(mean)
    rows              (n, 4): amplitude, mean, sigma_aleatoric, sigma_epistemic, the
                      PRED.npy of `bayesamp predict` bit for bit
    n_monte           the passes behind every event (1 in map mode)
    """

    def __init__(self, raw, n_monte):
        self._raw = raw  # (n, 3) float64 laid out as ba_prediction
        self.n_monte = n_monte
        self.rows = np.empty((len(raw), 4))
        if len(raw):
            _lib.ba_prediction_rows(self._pred_ptr(), len(raw), _dptr(self.rows))
        self.amplitude, self.mean, self.sigma_aleatoric, self.sigma_epistemic = self.rows.T

    def _pred_ptr(self):
        return self._raw.ctypes.data_as(ctypes.POINTER(L.Prediction))

    def __len__(self):
        return len(self.rows)

    def sigma_total(self, uncertainty="corrected"):
        """The total uncertainty of log A per event: "corrected", the error of the
        Monte-Carlo mean (what `evaluate` calibrates by default), or "bayes", the
        tutorial's sqrt(aleatoric^2 + epistemic^2)."""
        u = _choice("uncertainty", uncertainty, _UNCERTAINTIES)
        out = np.empty(len(self))
        if len(self):
            _lib.ba_prediction_sigma_total(self._pred_ptr(), len(self), u, self.n_monte,
                                           _dptr(out))
        return out

    def __repr__(self):
        return f"<bayesamp.Prediction of {len(self)} events, {self.n_monte} passes>"


class Model:
    """A trained (or loaded) network with its preprocessing. From bayesamp.train or
    bayesamp.load; history holds the training's epochs (train only)."""

    def __init__(self, ptr, history=None):
        if not ptr:
            raise Error("no model")
        self._ptr = ctypes.c_void_p(ptr)
        self._free = weakref.finalize(self, _lib.ba_model_free, self._ptr)
        self.history = history

    @property
    def process(self):
        """The process the model is for, in MadGraph syntax."""
        return _lib.ba_model_preprocessing(self._ptr).contents.process.text.decode()

    @property
    def n_particles(self):
        return _lib.ba_model_preprocessing(self._ptr).contents.process.n_particles

    @property
    def n_params(self):
        return _lib.ba_model_n_params(self._ptr)

    @property
    def arch(self):
        a = _lib.ba_model_arch(self._ptr).contents
        return {"n_inputs": a.n_inputs, "hidden": list(a.hidden[:a.n_hidden]),
                "prior_sigma": a.prior_sigma, "activation": _ACTIVATIONS[a.activation]}

    @property
    def preprocessing(self):
        """The transform of the inputs and the target that the network was trained with."""
        p = _lib.ba_model_preprocessing(self._ptr).contents
        k = p.n_features
        return {"process": p.process.text.decode(), "features": _FEATURES[p.features],
                "standardize": bool(p.standardize), "n_features": k,
                "gluon_pt_mean": p.gluon_pt_mean, "x_mean": np.array(p.x_mean[:k]),
                "x_std": np.array(p.x_std[:k]), "y_mean": p.y_mean, "y_std": p.y_std,
                "masses": np.array(p.process.mass[:p.process.n_particles])}

    def __repr__(self):
        a = self.arch
        layers = "-".join(map(str, [a["n_inputs"], *a["hidden"], 2]))
        return (f"<bayesamp.Model {layers} {a['activation']} for \"{self.process}\", "
                f"{self.preprocessing['features']}>")

    def save(self, path):
        """Write the model file (safetensors, the tutorial's tensor names), atomically:
        the file `bayesamp train` writes."""
        err = L.Error_()
        _check(_lib.ba_model_save(self._ptr, str(path).encode(), err), err)

    def _config(self, n_monte, mode, seed, batch_size, threads):
        cfg = _lib.ba_predict_defaults()
        cfg.n_monte = _int("n_monte", n_monte, 1, 1 << 20)
        cfg.mode = _choice("mode", mode, _MODES)
        cfg.seed = _seed(seed)
        cfg.batch_size = _int("batch_size", batch_size, 1, 1 << 20)
        cfg.threads = _threads(threads)
        return cfg

    def predict(self, momenta, n_monte=30, mode="sample", seed=1, batch_size=128,
                threads=None):
        """Monte-Carlo prediction of momenta (n, P, 4) of the model's process, as
        `bayesamp predict`: every event checked first (finite, mass shells, momentum
        conservation); mode "sample" draws new weights for every batch of every pass (the
        tutorial), "fixed" one draw per pass, "map" the mean weights once. Event i meets
        the weight draws of batch i // batch_size, so a row depends on its index and the
        seed, never on the other events or the threads. Returns a Prediction."""
        cfg = self._config(n_monte, mode, seed, batch_size, threads)
        x = _momenta(momenta, self.n_particles)
        n = len(x)
        err = L.Error_()
        pre = _lib.ba_model_preprocessing(self._ptr)
        _check(_lib.ba_events_check(ctypes.byref(pre.contents.process), _dptr(x), None, n,
                                    None, err), err)
        raw = np.empty((n, 3))
        if n:
            p = _lib.ba_predictor_create(self._ptr, cfg, err)
            if not p:
                raise Error(err.msg.decode())
            try:
                _check(_lib.ba_predict_momenta(p, _dptr(x), n, 0,
                                               raw.ctypes.data_as(ctypes.POINTER(L.Prediction)),
                                               err), err)
            finally:
                _lib.ba_predictor_free(p)
        return Prediction(raw, 1 if cfg.mode == _MODES.index("map") else cfg.n_monte)

    def evaluate(self, momenta=None, amplitudes=None, *, data=None, split="tst",
                 data_split=None, n_monte=30, mode="sample", seed=1, batch_size=128,
                 threads=None, uncertainty="corrected", rescale_on_val=False, val=None):
        """The metrics of a prediction of events with known amplitudes, as a dict: the
        metrics.json of `bayesamp evaluate` without its settings and versions (relative
        deviations and their quantiles, pulls, coverage, NLL, calibration, the
        near-singular events and the bulk, the largest amplitudes, ...).

        The events are momenta (n, P, 4) and amplitudes (n,), or split "tst", "val" or
        "trn" of data (a data folder, or one file of events cut by data_split, as
        `evaluate --data --split --data-split`). With rescale_on_val, one factor of the
        total uncertainty is fitted on the val events (val=(momenta, amplitudes), or the
        val split of data; else the evaluated events themselves) and reported as
        "rescaled"."""
        cfg = self._config(n_monte, mode, seed, batch_size, threads)
        u = _choice("uncertainty", uncertainty, _UNCERTAINTIES)
        P = self.n_particles
        proc = ctypes.byref(_lib.ba_model_preprocessing(self._ptr).contents.process)
        keep, owned = [], []
        err = L.Error_()
        try:
            if data is not None:
                if momenta is not None or amplitudes is not None:
                    raise ValueError("evaluate: give momenta and amplitudes, or data, "
                                     "not both")
                _choice("split", split, _SPLITS)
                fractions = _split_fractions(data_split, "data_split")

                def from_source(which):
                    ev = L.Events()
                    _check(_lib.ba_events_load_source(str(data).encode(), fractions,
                                                      which.encode(), proc, ev, err), err)
                    owned.append(ev)
                    return ev
                ev = from_source(split)
                val_ev = from_source("val") if rescale_on_val and split != "val" else None
            else:
                if momenta is None or amplitudes is None:
                    raise ValueError("evaluate: give momenta and amplitudes, or data")
                ev, k = _events(momenta, amplitudes, P, "evaluated")
                keep.append(k)
                val_ev = None
                if val is not None:
                    val_ev, k = _events(val[0], val[1], P, "val")
                    keep.append(k)
            out = ctypes.c_void_p()
            _check(_lib.ba_evaluate(self._ptr, ev, cfg, u, int(bool(rescale_on_val)),
                                    val_ev, ctypes.byref(out), err), err)
            try:
                text = _lib.ba_evaluation_json(out)
                if not text:
                    raise MemoryError("evaluate: out of memory")
                try:
                    return json.loads(ctypes.string_at(text).decode())
                finally:
                    _lib.ba_free(text)
            finally:
                _lib.ba_evaluation_free(out)
        finally:
            for ev in owned:
                _lib.ba_events_free(ev)


def load(path):
    """A model file written by `bayesamp train`, Model.save or ba_model_save."""
    err = L.Error_()
    ptr = _lib.ba_model_load(str(path).encode(), err)
    if not ptr:
        raise Error(err.msg.decode("utf-8", "replace"))
    return Model(ptr)


# ---------------------------------------------------------------- training

def preset(name="tutorial"):
    """The settings of a preset, as train() takes them."""
    r = L.Recipe()
    if _lib.ba_recipe_preset(str(name).encode(), r) != 0:
        raise ValueError(f"preset: {name!r} is neither 'tutorial' nor 'precision'")
    t = r.train
    return {"epochs": t.epochs, "batch_size": t.batch_size, "lr": t.lr,
            "lr_schedule": _SCHEDULES[t.lr_schedule], "lr_final_ratio": t.lr_final_ratio,
            "warmup_epochs": t.warmup_epochs, "features": _FEATURES[r.features],
            "standardize": bool(r.standardize), "activation": _ACTIVATIONS[r.arch.activation],
            "hidden": list(r.arch.hidden[:r.arch.n_hidden]),
            "prior_sigma": r.arch.prior_sigma, "sampler": _SAMPLERS[t.sampler],
            "clip_grad_norm": t.clip_grad_norm, "logsig2_clamp": t.logsig2_clamp,
            "nll_tail_pull": t.nll_tail_pull, "amplitude_weight": t.amplitude_weight_power,
            "calibrate_sigma": bool(r.calibrate_uncertainty),
            "max_rollbacks": t.max_rollbacks, "seed": t.seed, "patience": t.patience}


def _yes_no(name, value):
    if value in ("yes", "no"):
        return value == "yes"
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name}: {value!r} is neither True/'yes' nor False/'no'")


def _hidden(value):
    if isinstance(value, str):
        try:
            value = [int(w) for w in value.split(",")]
        except ValueError:
            raise ValueError(f"hidden: {value!r} is not a list of widths like 50,50,50") \
                from None
    widths = list(value)
    if not 1 <= len(widths) <= L.MAX_LAYERS:
        raise ValueError(f"hidden: give 1 to {L.MAX_LAYERS} widths, got {len(widths)}")
    return [_int("hidden", w, 1, 100000) for w in widths]


def _recipe(name, options):
    r = L.Recipe()
    if _lib.ba_recipe_preset(str(name).encode(), r) != 0:
        raise ValueError(f"preset: {name!r} is neither 'tutorial' nor 'precision'")
    t, a = r.train, r.arch
    o = {k: v for k, v in options.items() if v is not None}
    # the command line's ranges (cli/cmd_train.c), so that both refuse the same values
    if "epochs" in o:
        t.epochs = _int("epochs", o["epochs"], 1, 1000000)
    if "batch_size" in o:
        t.batch_size = _int("batch_size", o["batch_size"], 1, 1 << 20)
    if "lr" in o:
        t.lr = _float("lr", o["lr"], 1e-12, 10)
    if "lr_schedule" in o:
        t.lr_schedule = _choice("lr_schedule", o["lr_schedule"], _SCHEDULES)
    if "lr_final_ratio" in o:
        t.lr_final_ratio = _float("lr_final_ratio", o["lr_final_ratio"], 1e-9, 1)
    if "warmup_epochs" in o:
        t.warmup_epochs = _float("warmup_epochs", o["warmup_epochs"], 0, 1e6)
    if "features" in o:
        r.features = _choice("features", o["features"], _FEATURES)
    if "standardize" in o:
        r.standardize = int(_yes_no("standardize", o["standardize"]))
    if "activation" in o:
        a.activation = _choice("activation", o["activation"], _ACTIVATIONS)
    if "hidden" in o:
        widths = _hidden(o["hidden"])
        a.n_hidden = len(widths)
        a.hidden[:] = widths + [0] * (L.MAX_LAYERS - len(widths))
    if "prior_sigma" in o:
        a.prior_sigma = _float("prior_sigma", o["prior_sigma"], 1e-6, 1e6)
    if "sampler" in o:
        t.sampler = _choice("sampler", o["sampler"], _SAMPLERS)
    if "clip_grad_norm" in o:
        t.clip_grad_norm = _float("clip_grad_norm", o["clip_grad_norm"], 0, 1e12)
    if "logsig2_clamp" in o:
        t.logsig2_clamp = _float("logsig2_clamp", o["logsig2_clamp"], 0, 1e6)
    if "nll_tail_pull" in o:
        t.nll_tail_pull = _float("nll_tail_pull", o["nll_tail_pull"], 0, 1e6)
    if "amplitude_weight" in o:
        t.amplitude_weight_power = _float("amplitude_weight", o["amplitude_weight"], 0, 2)
    if "calibrate_sigma" in o:
        r.calibrate_uncertainty = int(_yes_no("calibrate_sigma", o["calibrate_sigma"]))
    if "max_rollbacks" in o:
        t.max_rollbacks = _int("max_rollbacks", o["max_rollbacks"], 0, 1000)
    if "seed" in o:
        t.seed = _seed(o["seed"])
    if "patience" in o:
        t.patience = _int("patience", o["patience"], 0, 1000000)
    t.threads = _threads(o.get("threads"))
    return r


_HISTORY_KEYS = ("epoch", "train_loss", "train_nll", "train_kl", "val_loss", "seconds", "lr")


def train(train=None, val=None, test=None, *, data=None, split=None, preset="tutorial",
          process=None, masses=(), epochs=None, batch_size=None, lr=None, lr_schedule=None,
          lr_final_ratio=None, warmup_epochs=None, features=None, standardize=None,
          activation=None, hidden=None, prior_sigma=None, sampler=None, clip_grad_norm=None,
          logsig2_clamp=None, nll_tail_pull=None, amplitude_weight=None, calibrate_sigma=None,
          max_rollbacks=None, seed=None, threads=None, patience=None,
          progress=False, on_epoch=None):
    """Train a Bayesian network, as `bayesamp train`, and return the model of the epoch
    with the best validation loss (its model.safetensors), with model.history (a dict of
    arrays: epoch, train_loss, train_nll, train_kl, val_loss, seconds, lr: history.csv)
    and model.last, the model after the last epoch (model-last.safetensors).

    The events: train=(momenta, amplitudes) and val=(...), momenta (n, P, 4) (test=(...)
    is optional: it is checked but changes nothing in training); or data, a data folder in
    the Heidelberg layout or one file of events (FILE.npy, FILE.h5:NAME) with split, its
    fractions (e.g. (0.8, 0.1, 0.1)). process (MadGraph syntax) defaults to the folder's
    generate.json, else "g g > a a g" for 5 particles; masses: ["t=172.5", ...].

    Every other argument is the command-line flag of the same name (--batch-size is
    batch_size); None takes the preset's value ("tutorial": the PyTorch tutorial,
    "precision": invariants, standardised, SiLU, local sampler, cosine schedule, 1000
    epochs). The same data, settings and seed give the command line's model bit for bit,
    whatever threads is. The command line's --out and its evaluation after training
    (--no-eval turns it off) are Model.save and Model.evaluate here. progress shows a
    tqdm bar of the epochs; on_epoch(stats), with
    stats a dict of the epoch's history row and "best", is called after every epoch and
    stops training when it returns True.
    """
    r = _recipe(preset, dict(epochs=epochs, batch_size=batch_size, lr=lr,
                             lr_schedule=lr_schedule, lr_final_ratio=lr_final_ratio,
                             warmup_epochs=warmup_epochs, features=features,
                             standardize=standardize, activation=activation, hidden=hidden,
                             prior_sigma=prior_sigma, sampler=sampler,
                             clip_grad_norm=clip_grad_norm, logsig2_clamp=logsig2_clamp,
                             nll_tail_pull=nll_tail_pull, amplitude_weight=amplitude_weight,
                             calibrate_sigma=calibrate_sigma, max_rollbacks=max_rollbacks, seed=seed, threads=threads,
                             patience=patience))
    if isinstance(masses, str):
        masses = [masses]
    err = L.Error_()
    proc = L.Process()
    ds = L.Dataset()
    keep = []
    if data is not None:
        if train is not None or val is not None or test is not None:
            raise ValueError("train: give train and val arrays, or data, not both")
        fractions = _split_fractions(split, "split")
        source = ctypes.c_char_p()
        _check(_lib.ba_data_process(str(data).encode(), _text(process), proc,
                                    ctypes.byref(source), err), err)
    else:
        if train is None or val is None:
            raise ValueError("train: give train=(momenta, amplitudes) and val=(...), or data")
        if split is not None:
            raise ValueError("train: split cuts one file of events (data); arrays come "
                             "split already")
        x = np.asarray(train[0])
        if process is None and not (x.ndim == 3 and x.shape[1] == 5):
            raise ValueError("train: momenta of "
                             f"{x.shape[1] if x.ndim == 3 else '?'} particles and no process "
                             f"given (only 5-particle data default to \"{PROCESS_DEFAULT}\")"
                             ": give process, e.g. process=\"g g > g g g\"")
        proc = _process(process or PROCESS_DEFAULT)
    for m in masses:
        _check(_lib.ba_process_set_mass(proc, str(m).encode(), err), err)
    if data is not None:
        _check(_lib.ba_dataset_load_source(str(data).encode(), fractions, proc, r.features,
                                           r.standardize, ds, err), err)
    else:
        P = proc.n_particles
        trn_ev, k1 = _events(train[0], train[1], P, "training")
        val_ev, k2 = _events(val[0], val[1], P, "validation")
        if test is not None:
            tst_ev, k3 = _events(test[0], test[1], P, "test")
        else:
            tst_ev, k3 = L.Events(n=0, n_particles=P), None
        keep += [k1, k2, k3]
        _check(_lib.ba_dataset_from_events(trn_ev, val_ev, tst_ev, proc, r.features,
                                           r.standardize, ds, err), err)
    try:
        return _train_dataset(r, ds, progress, on_epoch)
    finally:
        _lib.ba_dataset_free(ds)


def _train_dataset(r, ds, progress, on_epoch):
    err = L.Error_()
    r.arch.n_inputs = ds.pre.n_features
    ptr = _lib.ba_model_create(r.arch, r.train.seed, err)
    if not ptr:
        raise Error(err.msg.decode())
    model = Model(ptr)
    best_ptr = _lib.ba_model_clone(model._ptr, err)
    if not best_ptr:
        raise Error(err.msg.decode())
    best = Model(best_ptr)
    rows = []
    state = {"best_epoch": 0, "exception": None}
    bar = _progress_bar(r.train.epochs, "training", "epoch", progress)

    def epoch_done(stats_p, improved, m, user):
        try:
            s = stats_p.contents
            row = {k: getattr(s, k) for k in _HISTORY_KEYS}
            rows.append(row)
            if improved:
                state["best_epoch"] = s.epoch
                _check(_lib.ba_model_copy(best._ptr, m, err), err)
            if bar:
                bar.set_postfix(train=f"{s.train_loss:.4f}", val=f"{s.val_loss:.4f}",
                                best=state["best_epoch"], refresh=False)
                bar.update(1)
            if on_epoch is not None:
                return 1 if on_epoch(dict(row, best=bool(improved))) else 0
            return 0
        except BaseException as e:  # KeyboardInterrupt included: stop, raise after
            state["exception"] = e
            return 1

    def rolled_back(epoch, what, lr_scale, user):
        warnings.warn(f"epoch {epoch} failed: {what.decode()}; back to the end of epoch "
                      f"{epoch - 1}, learning rate x {lr_scale:g}", RuntimeWarning)

    r.train.on_rollback = L.ROLLBACK_FN(rolled_back)
    callback = L.EPOCH_FN(epoch_done)
    try:
        rc = _lib.ba_train(model._ptr, ds, r.train, callback, None, err)
    finally:
        if bar:
            bar.close()
    if state["exception"] is not None:
        raise state["exception"]
    _check(rc, err)
    if state["best_epoch"] == 0:
        raise Error("no epoch gave a finite validation loss; no model")
    if r.calibrate_uncertainty:  # as the command line: on the validation split
        pc = _lib.ba_predict_defaults()
        pc.seed, pc.threads = r.train.seed, r.train.threads
        _check(_lib.ba_model_calibrate_uncertainty(best._ptr, ds.val, pc, err), err)
    history = {k: np.array([row[k] for row in rows]) for k in _HISTORY_KEYS}
    history["epoch"] = history["epoch"].astype(np.int64)
    best.history = history
    best.best_epoch = state["best_epoch"]
    model.history = history
    best.last = model
    return best
