"""The C library, libbayesamp.so, through ctypes: where it is found, the layout of the
public structs of include/bayesamp.h, and the signatures of the functions used.

The structs below mirror the header field by field. A library whose structs differ in
size (a header changed without this file) is refused at import, through ba_sizeof,
rather than read wrongly.
"""
import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_double, c_float,
                    c_int, c_long, c_longlong, c_size_t, c_uint64, c_ubyte, c_void_p)

HERE = os.path.dirname(os.path.abspath(__file__))

MAX_PARTICLES = 10
PROCESS_CHARS = 128
PARTICLE_CHARS = 8
MAX_FEATURES = 45
MAX_LAYERS = 16
MAX_ENRICH_CUTS = 8  # BA_MAX_ENRICH_CUTS
PROCESS_DEFAULT = "g g > a a g"
AMPLITUDE_TOL = 1e-10


def _candidates():
    """Where libbayesamp.so may be: $BAYESAMP_LIBRARY; beside this package (installed
    with `cmake --install`); the build folder of the checkout the package sits in."""
    env = os.environ.get("BAYESAMP_LIBRARY")
    if env:
        return [env]
    return [os.path.join(HERE, "libbayesamp.so"),
            os.path.join(HERE, "..", "..", "build", "libbayesamp.so")]


class Error_(Structure):
    _fields_ = [("msg", c_char * 512)]


class Process(Structure):
    _fields_ = [("text", c_char * PROCESS_CHARS),
                ("n_particles", c_int),
                ("name", (c_char * PARTICLE_CHARS) * MAX_PARTICLES),
                ("mass", c_double * MAX_PARTICLES),
                ("identical_to", c_int * MAX_PARTICLES)]


class Preprocessing(Structure):
    _fields_ = [("features", c_int),
                ("standardize", c_int),
                ("n_features", c_int),
                ("gluon_pt_mean", c_double),
                ("x_mean", c_double * MAX_FEATURES),
                ("x_std", c_double * MAX_FEATURES),
                ("y_mean", c_double),
                ("y_std", c_double),
                ("process", Process)]


class Split(Structure):
    _fields_ = [("n", c_size_t), ("n_features", c_size_t),
                ("x", POINTER(c_float)), ("y", POINTER(c_float))]


class Dataset(Structure):
    _fields_ = [("trn", Split), ("val", Split), ("tst", Split), ("pre", Preprocessing)]


class Arch(Structure):
    _fields_ = [("n_inputs", c_int),
                ("n_hidden", c_int),
                ("hidden", c_int * MAX_LAYERS),
                ("prior_sigma", c_double),
                ("activation", c_int)]


class LrConfig(Structure):
    _fields_ = [("schedule", c_int), ("lr", c_double), ("final_ratio", c_double),
                ("warmup_steps", c_long)]


PROGRESS_TRAIN_FN = CFUNCTYPE(None, c_int, c_size_t, c_size_t, c_void_p)
ROLLBACK_FN = CFUNCTYPE(None, c_int, c_char_p, c_double, c_void_p)


class TrainConfig(Structure):
    _fields_ = [("epochs", c_int),
                ("batch_size", c_int),
                ("lr", c_double),
                ("lr_schedule", c_int),
                ("lr_final_ratio", c_double),
                ("warmup_epochs", c_double),
                ("clip_grad_norm", c_double),
                ("logsig2_clamp", c_double),
                ("nll_tail_pull", c_double),
                ("amplitude_weight_power", c_double),
                ("max_rollbacks", c_int),
                ("inject_nan_step", c_long),
                ("sampler", c_int),
                ("seed", c_uint64),
                ("threads", c_int),
                ("patience", c_int),
                ("on_progress", PROGRESS_TRAIN_FN),
                ("on_rollback", ROLLBACK_FN)]


class EpochStats(Structure):
    _fields_ = [("epoch", c_int),
                ("train_loss", c_double), ("train_nll", c_double), ("train_kl", c_double),
                ("val_loss", c_double),
                ("seconds", c_double),
                ("lr", c_double),
                ("rollbacks", c_int)]


EPOCH_FN = CFUNCTYPE(c_int, POINTER(EpochStats), c_int, c_void_p, c_void_p)


class Recipe(Structure):
    _fields_ = [("arch", Arch), ("features", c_int), ("standardize", c_int),
                ("train", TrainConfig), ("calibrate_uncertainty", c_int)]


class PredictConfig(Structure):
    _fields_ = [("n_monte", c_int), ("mode", c_int), ("seed", c_uint64),
                ("batch_size", c_int), ("threads", c_int), ("check_kinematics", c_int)]


class Prediction(Structure):
    _fields_ = [("mean", c_double), ("var_aleatoric", c_double), ("var_epistemic", c_double)]


class Events(Structure):
    _fields_ = [("n", c_size_t), ("momenta", POINTER(c_double)), ("amp", POINTER(c_double)),
                ("n_particles", c_int)]


class HybridConfig(Structure):
    _fields_ = [("tolerance", c_double), ("confidence", c_double), ("predict", PredictConfig)]


class HybridStats(Structure):
    _fields_ = [("n_events", c_size_t), ("n_exact", c_size_t), ("max_sigma", c_double),
                ("seconds_network", c_double), ("seconds_exact", c_double)]


class ExactConfig(Structure):
    _fields_ = [("tol", c_double), ("threads", c_int)]


class PhaseSpace(Structure):
    _fields_ = [("sqrt_s", c_double), ("mhat_min", c_double), ("mhat_max", c_double),
                ("y_max", c_double), ("pt_min", c_double), ("eta_photon_max", c_double),
                ("eta_gluon_max", c_double), ("dr_min", c_double), ("max_tries", c_long),
                ("enrich_fraction", c_double), ("enrich_cuts", c_double * MAX_ENRICH_CUTS)]


class GenerateStats(Structure):
    _fields_ = [("tries", c_longlong), ("ps_seconds", c_double), ("amp_seconds", c_double)]


PROGRESS_FN = CFUNCTYPE(None, c_size_t, c_size_t, c_void_p)
EXACT_FN = CFUNCTYPE(c_int, POINTER(c_double), c_size_t, POINTER(c_double), c_void_p,
                     POINTER(Error_))

LAYOUTS = {"ba_error": Error_, "ba_process": Process, "ba_preprocessing": Preprocessing,
           "ba_split": Split, "ba_dataset": Dataset, "ba_arch": Arch,
           "ba_lr_config": LrConfig, "ba_train_config": TrainConfig,
           "ba_epoch_stats": EpochStats, "ba_recipe": Recipe,
           "ba_predict_config": PredictConfig, "ba_prediction": Prediction,
           "ba_events": Events, "ba_hybrid_config": HybridConfig,
           "ba_hybrid_stats": HybridStats, "ba_exact_config": ExactConfig,
           "ba_phase_space": PhaseSpace, "ba_generate_stats": GenerateStats}

P = POINTER
E = P(Error_)
D = P(c_double)
# name: (restype, argtypes)
SIGNATURES = {
    "ba_git_commit": (c_char_p, []),
    "ba_blas_version": (c_char_p, []),
    "ba_precision": (c_char_p, []),
    "ba_default_threads": (c_int, []),
    "ba_sizeof": (c_size_t, [c_char_p]),
    "ba_free": (None, [c_void_p]),
    "ba_process_parse": (c_int, [c_char_p, P(Process), E]),
    "ba_process_set_mass": (c_int, [P(Process), c_char_p, E]),
    "ba_data_process": (c_int, [c_char_p, c_char_p, P(Process), P(c_char_p), E]),
    "ba_events_check": (c_int, [P(Process), D, D, c_size_t, c_char_p, E]),
    "ba_dataset_load_source": (c_int, [c_char_p, D, P(Process), c_int, c_int, P(Dataset), E]),
    "ba_dataset_from_events": (c_int, [P(Events), P(Events), P(Events), P(Process), c_int,
                                       c_int, P(Dataset), E]),
    "ba_dataset_free": (None, [P(Dataset)]),
    "ba_split_parse": (c_int, [c_char_p, D, E]),
    "ba_events_load_source": (c_int, [c_char_p, D, c_char_p, P(Process), P(Events), E]),
    "ba_events_free": (None, [P(Events)]),
    "ba_recipe_preset": (c_int, [c_char_p, P(Recipe)]),
    "ba_model_create": (c_void_p, [P(Arch), c_uint64, E]),
    "ba_model_free": (None, [c_void_p]),
    "ba_model_clone": (c_void_p, [c_void_p, E]),
    "ba_model_copy": (c_int, [c_void_p, c_void_p, E]),
    "ba_model_calibrate_uncertainty": (c_int, [c_void_p, P(Split), P(PredictConfig), E]),
    "ba_model_arch": (P(Arch), [c_void_p]),
    "ba_model_n_params": (c_size_t, [c_void_p]),
    "ba_model_preprocessing": (P(Preprocessing), [c_void_p]),
    "ba_model_save": (c_int, [c_void_p, c_char_p, E]),
    "ba_model_load": (c_void_p, [c_char_p, E]),
    "ba_train": (c_int, [c_void_p, P(Dataset), P(TrainConfig), EPOCH_FN, c_void_p, E]),
    "ba_predict_defaults": (PredictConfig, []),
    "ba_predictor_create": (c_void_p, [c_void_p, P(PredictConfig), E]),
    "ba_predictor_free": (None, [c_void_p]),
    "ba_predict_momenta": (c_int, [c_void_p, D, c_size_t, c_size_t, P(Prediction), E]),
    "ba_prediction_rows": (None, [P(Prediction), c_size_t, D]),
    "ba_prediction_sigma_total": (None, [P(Prediction), c_size_t, c_int, c_int, D]),
    "ba_evaluate": (c_int, [c_void_p, P(Events), P(PredictConfig), c_int, c_int, P(Events),
                            P(c_void_p), E]),
    "ba_evaluation_free": (None, [c_void_p]),
    "ba_evaluation_json": (c_void_p, [c_void_p]),
    "ba_phase_space_defaults": (PhaseSpace, []),
    "ba_phase_space_check": (c_int, [P(PhaseSpace), E]),
    "ba_generate": (c_int, [P(PhaseSpace), c_uint64, c_int, c_size_t, c_int, D, D,
                            P(GenerateStats), PROGRESS_FN, c_void_p, E]),
    "ba_amplitude_check": (c_int, [D, c_size_t, c_double, E]),
    "ba_amplitudes": (c_int, [D, c_size_t, c_double, c_int, D, PROGRESS_FN, c_void_p, E]),
    "ba_hybrid_defaults": (HybridConfig, []),
    "ba_hybrid_amplitudes": (c_int, [c_void_p, D, c_size_t, P(HybridConfig), EXACT_FN,
                                     c_void_p, D, P(c_ubyte), P(HybridStats), E]),
}


def load():
    """The library with its signatures set, after checking its struct layouts."""
    tried = []
    for path in _candidates():
        if os.path.isfile(path):
            lib = ctypes.CDLL(os.path.abspath(path))
            break
        tried.append(os.path.abspath(path))
    else:
        raise ImportError("bayesamp: libbayesamp.so not found (looked for "
                          + ", ".join(tried) + "): build it with 'cmake -S . -B build "
                          "&& cmake --build build', or set BAYESAMP_LIBRARY to its path")
    for name, (restype, argtypes) in SIGNATURES.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    if lib.ba_sizeof(b"ba_real") != ctypes.sizeof(c_float):
        raise ImportError(f"bayesamp: {path} computes in {lib.ba_precision().decode()}, "
                          "the module needs the float32 library")
    for name, struct in LAYOUTS.items():
        size = lib.ba_sizeof(name.encode())
        if size != ctypes.sizeof(struct):
            raise ImportError(f"bayesamp: {path}: {name} is {size} bytes in the library but "
                              f"{ctypes.sizeof(struct)} in python/bayesamp/_lib.py: the "
                              "module and the library come from different versions")
    lib.path = os.path.abspath(path)
    return lib
