#!/usr/bin/python3
"""Load a bayesamp model file in Python, with numpy alone or into the tutorial's PyTorch
network.

A model file is safetensors: an 8-byte little-endian header length, a JSON header, then
the raw little-endian tensors, named as the tutorial's PyTorch module names them
(model.0.mu_w, model.0.logsig2_w, model.0.bias, model.2.mu_w, ...). This module reads it
with the standard library and numpy, so it needs no `safetensors` package; where that
package is installed, safetensors.torch.load_file reads the same file.

    import bayesamp_model as bm
    tensors, meta = bm.load("RUN/model.safetensors")        # numpy arrays, metadata
    x = bm.preprocess(momenta, meta)                        # the model's inputs
    mu, logsig2 = bm.forward_map(tensors, meta, x)          # mean weights, numpy
    log_a, sigma = bm.predict_map("RUN/model.safetensors", momenta)  # in log A
    net = bm.to_torch("RUN/model.safetensors")              # torch.nn.Module

Run as a script, it prints the architecture and the tensors of a model file.
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8")}


def load(path):
    """Return ({name: numpy array}, {metadata key: string}) of a model file."""
    with open(path, "rb") as fh:
        blob = fh.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: not a safetensors file (shorter than 8 bytes)")
    (n,) = struct.unpack("<Q", blob[:8])
    if 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} beyond the end of the file")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        dtype = DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: {name}: dtype {entry['dtype']} not supported")
        begin, end = entry["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"])
        tensors[name] = arr.astype(dtype.newbyteorder("="))
    return tensors, meta


def layer_count(tensors):
    return len([k for k in tensors if k.endswith(".mu_w")])


def _numbers(meta, key, n):
    if key not in meta:
        return np.zeros(n) if key.endswith("mean") else np.ones(n)
    return np.array([float(v) for v in meta[key].split(",")])


def process_of(meta):
    """(names, masses, identical_to) of the model's process: its MadGraph string split
    at '>' and spaces, the masses from the metadata (every file with a process records
    them), and for each particle the index of the first identical final-state particle
    (its own index otherwise). Files from before processes are g g > a a g."""
    text = meta.get("process", "g g > a a g")
    names = text.replace(">", " ").split()
    if "masses" in meta:
        masses = [float(v) for v in meta["masses"].split(",")]
    else:
        masses = [0.0] * len(names)
    identical = []
    for i, name in enumerate(names):
        first = next((j for j in range(2, i) if names[j] == name), i) if i >= 2 else i
        identical.append(first)
    return names, masses, identical


def _pair_invariant(p, n, m_i, m_j, i, j):
    """s_ij = 2 p_i.p_j as the C code (data/features.c) computes it: E_i E_j |n_i - n_j|^2
    for two massless particles, else 2 (m_i^2 E_j^2 + m_j^2 |p_i|^2) / (E_i E_j +
    |p_i||p_j|) + |p_i||p_j| |n_i - n_j|^2, without cancellations."""
    d2 = np.sum((n[:, i] - n[:, j]) ** 2, axis=-1)
    if m_i == 0 and m_j == 0:
        return p[:, i, 0] * p[:, j, 0] * d2
    norm_i = np.linalg.norm(p[:, i, 1:], axis=-1)
    norm_j = np.linalg.norm(p[:, j, 1:], axis=-1)
    e_i, e_j = p[:, i, 0], p[:, j, 0]
    radial = (m_i * m_i * e_j * e_j + m_j * m_j * norm_i * norm_i) / (e_i * e_j + norm_i * norm_j)
    angular = np.where((norm_i > 0) & (norm_j > 0), norm_i * norm_j * d2, 0.0)
    return 2 * radial + angular


def invariants(momenta, meta=None):
    """The P(P-1)/2 s_ij = 2 p_i.p_j of each event (N,P,4), pairs (1,2) (1,3) ... (P-1,P),
    with identical final-state particles in bayesamp's canonical order (sorted by their
    s with the first incoming particle, smallest first; for g g > a a g the photon with
    the smaller s_1i first), computed as the C code does."""
    names, masses, identical = process_of(meta or {})
    p = np.asarray(momenta, dtype=np.float64)
    P = p.shape[1]
    with np.errstate(invalid="ignore", divide="ignore"):
        n = p[..., 1:] / np.linalg.norm(p[..., 1:], axis=-1, keepdims=True)
    order = np.tile(np.arange(P), (len(p), 1))
    for first in range(2, P):
        members = [i for i in range(first, P) if identical[i] == first]
        if identical[first] != first or len(members) < 2:
            continue
        keys = np.stack([_pair_invariant(p, n, masses[0], masses[i], 0, i) for i in members],
                        axis=1)
        ranks = np.argsort(keys, axis=1, kind="stable")
        order[:, members] = np.array(members)[ranks]
    p = np.take_along_axis(p, order[:, :, None], axis=1)
    n = np.take_along_axis(n, order[:, :, None], axis=1)
    m = masses  # identical particles share their mass, so masses go by position
    return np.stack([_pair_invariant(p, n, m[i], m[j], i, j)
                     for i in range(P) for j in range(i + 1, P)], axis=1)


def preprocess(momenta, meta):
    """The network's inputs for momenta (N,P,4) with the model's preprocessing: the
    tutorial's momenta / mean pT of the last outgoing particle, or log s12 and
    log(s_ij / s12); then the standardisation constants if the model has them."""
    momenta = np.asarray(momenta, dtype=np.float64)
    if meta.get("features", "momenta/gluon_pt_mean") == "log_invariants":
        s = invariants(momenta, meta)
        x = np.concatenate([np.log(s[:, :1]), np.log(s[:, 1:] / s[:, :1])], axis=1)
    else:
        x = momenta.reshape(len(momenta), -1) / float(meta["gluon_pt_mean"])
    if meta.get("standardize") == "1":
        k = x.shape[1]
        x = (x - _numbers(meta, "x_mean", k)) / _numbers(meta, "x_std", k)
    return x


def log_amplitude(mu, sigma, momenta, meta):
    """From the network's outputs back to log A and its standard deviation: undo the
    target's standardisation and, for the invariant features, the factor s12^(P-4)."""
    y_mean = float(meta.get("y_mean", 0.0))
    y_std = float(meta.get("y_std", 1.0))
    log_a = np.asarray(mu) * y_std + y_mean
    if meta.get("features") == "log_invariants":
        P = np.asarray(momenta).shape[1]
        log_a = log_a - (P - 4) * np.log(invariants(momenta, meta)[:, 0])
    return log_a, np.asarray(sigma) * y_std * sigma_scale(log_a, meta)


def sigma_scale(log_a, meta):
    """The model's uncertainty calibration (train --calibrate-sigma): the factor of each
    event's sigmas, by the group of its predicted log A; 1 without a calibration."""
    if "sigma_scales" not in meta:
        return np.ones_like(np.asarray(log_a, dtype=np.float64))
    edges = _numbers(meta, "sigma_group_edges", None)
    scales = _numbers(meta, "sigma_scales", None)
    log_a = np.asarray(log_a, dtype=np.float64)
    factor = scales[np.searchsorted(edges, log_a, side="right")]
    if "sigma_slope_end" in meta:  # the last group's factor grows with log A up to end
        slope, end = _numbers(meta, "sigma_slope_end", None)
        last = log_a >= edges[-1]
        factor = np.where(last, factor * np.exp(slope * (np.minimum(log_a, end) - edges[-1])),
                          factor)
    return factor


def _activation(name):
    from math import sqrt
    if name == "silu":
        return lambda h: h / (1.0 + np.exp(-h))
    if name == "gelu":
        from math import erf
        erf_v = np.vectorize(erf)
        return lambda h: 0.5 * h * (1.0 + erf_v(h / sqrt(2.0)))
    if name == "tanh":
        return np.tanh
    return lambda h: np.maximum(h, 0.0)


def forward(tensors, x, weights=None, activation="relu"):
    """Forward pass with the given weights per layer (default: the means mu_w).
    Returns (mu, logsig2) of the network's two outputs."""
    act = _activation(activation)
    h = np.asarray(x, dtype=np.float64)
    n_layers = layer_count(tensors)
    for layer in range(n_layers):
        w = tensors[f"model.{2 * layer}.mu_w"] if weights is None else weights[layer]
        h = h @ np.asarray(w, dtype=np.float64).T + tensors[f"model.{2 * layer}.bias"]
        if layer + 1 < n_layers:
            h = act(h)
    return h[:, 0], h[:, 1]


def forward_map(tensors, meta, x):
    return forward(tensors, x, activation=meta.get("activation", "relu"))


def predict_map(path, momenta):
    """log A and the aleatoric sigma of log A with the mean weights, as
    `bayesamp predict --mode map` gives them (columns 1 and 2 of its output)."""
    tensors, meta = load(path)
    mu, logsig2 = forward_map(tensors, meta, preprocess(momenta, meta))
    return log_amplitude(mu, np.exp(0.5 * logsig2), momenta, meta)


def to_torch(path):
    """The tutorial's network (VBLinear layers with ReLU between) with the file's
    parameters loaded through load_state_dict."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    tensors, meta = load(path)

    class VBLinear(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.bias = nn.Parameter(torch.zeros(n_out))
            self.mu_w = nn.Parameter(torch.zeros(n_out, n_in))
            self.logsig2_w = nn.Parameter(torch.zeros(n_out, n_in))
            self.resample = True
            self.random = torch.randn_like(self.logsig2_w)

        def forward(self, x):
            if self.resample:
                self.random = torch.randn_like(self.logsig2_w)
            weight = self.mu_w + torch.exp(0.5 * self.logsig2_w) * self.random
            return F.linear(x, weight, self.bias)

    layers = []
    n_layers = layer_count(tensors)
    for layer in range(n_layers):
        n_out, n_in = tensors[f"model.{2 * layer}.mu_w"].shape
        layers.append(VBLinear(n_in, n_out))
        if layer + 1 < n_layers:
            layers.append(nn.ReLU())
    net = nn.Module()
    net.model = nn.Sequential(*layers)
    net.forward = lambda x: net.model(x)
    net.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    net.metadata = meta
    return net


def main(argv):
    if len(argv) != 2:
        print("usage: bayesamp_model.py MODEL.safetensors", file=sys.stderr)
        return 2
    tensors, meta = load(argv[1])
    for key in sorted(meta):
        print(f"{key}: {meta[key]}")
    for name, arr in tensors.items():
        print(f"{name}: {arr.dtype} {tuple(arr.shape)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
