"""Shared set-up of the Python tests (tests/CMakeLists.txt runs them with pytest): the
command-line executable to compare against, and one small data folder that it
generated, for the whole session.

BAYESAMP_EXE names the executable and BAYESAMP_LIBRARY the shared library of the same
build (CTest sets both); PYTHONPATH holds python/.
"""
import json
import os
import subprocess

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))

# The folder's sizes and seed: small, so that every test stays well under a second or two.
N_TRN, N_VAL, N_TST, SEED = 2000, 600, 800, 3


def _exe():
    exe = os.environ.get("BAYESAMP_EXE", os.path.join(ROOT, "build", "bayesamp"))
    if not os.access(exe, os.X_OK):
        pytest.exit(f"{exe}: no bayesamp executable (set BAYESAMP_EXE)", returncode=2)
    return exe


@pytest.fixture(scope="session")
def cli():
    """Run `bayesamp ARGS...`; returns the completed process (check=True)."""
    exe = _exe()

    def run(*args, check=True):
        return subprocess.run([exe, *map(str, args)], check=check, capture_output=True,
                              text=True)
    return run


@pytest.fixture(scope="session")
def folder(tmp_path_factory, cli):
    """A data folder written by `bayesamp generate`, and its arrays."""
    path = tmp_path_factory.mktemp("data") / "aag"
    cli("generate", "--out", path, "--n-train", N_TRN, "--n-val", N_VAL, "--n-test", N_TST,
        "--seed", SEED)
    arrays = {s: (np.load(path / f"{s}_dat.npy"), np.load(path / f"{s}_amp.npy"))
              for s in ("trn", "val", "tst")}
    return path, arrays


@pytest.fixture(scope="session")
def trained(tmp_path_factory, cli, folder):
    """A precision model trained for 4 epochs by the command line on the folder."""
    path, _ = folder
    run = tmp_path_factory.mktemp("run") / "precision"
    cli("train", "--data", path, "--out", run, "--preset", "precision", "--epochs", 4,
        "--seed", 5, "--no-eval")
    return run


def read_json(path):
    with open(path) as fh:
        return json.load(fh)
