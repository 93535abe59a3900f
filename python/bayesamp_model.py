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
    x = bm.preprocess(momenta, meta)                        # (N,5,4) -> (N,20)
    mu, logsig2 = bm.forward_map(tensors, meta, x)          # mean weights, numpy
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


def preprocess(momenta, meta):
    """The tutorial's inputs: momenta (N,5,4) flattened and divided by the training
    set's mean gluon pT, which the model file carries."""
    momenta = np.asarray(momenta, dtype=np.float64)
    return momenta.reshape(len(momenta), -1) / float(meta["gluon_pt_mean"])


def forward(tensors, x, weights=None):
    """Forward pass with the given weights per layer (default: the means mu_w).
    Returns (mu, logsig2) of the network's two outputs."""
    h = np.asarray(x, dtype=np.float64)
    n_layers = layer_count(tensors)
    for layer in range(n_layers):
        w = tensors[f"model.{2 * layer}.mu_w"] if weights is None else weights[layer]
        h = h @ np.asarray(w, dtype=np.float64).T + tensors[f"model.{2 * layer}.bias"]
        if layer + 1 < n_layers:
            h = np.maximum(h, 0.0)
    return h[:, 0], h[:, 1]


def forward_map(tensors, meta, x):
    return forward(tensors, x)


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
