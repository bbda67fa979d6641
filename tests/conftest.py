"""Shared by the test files: where the examples are, PyTorch for the parity tests, and
the few helpers several files need (the sigmoid written out, strict JSON, the shipped
schemas). Import them with ``from conftest import …``."""
import json
import math
import os
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def sigmoid(z):
    """The logistic sigmoid written out, 1 / (1 + e^−z): the tests' own, not the engine's."""
    return 1.0 / (1.0 + math.exp(-z))


def strict_json(text):
    """Parse JSON as RFC 8259 has it: a NaN or Infinity token is an error, not a number."""
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")
    return json.loads(text, parse_constant=refuse)


def schema(name):
    """A JSON Schema as the package ships it (rnntrace/schemas/NAME)."""
    return json.loads(resources.files("rnntrace").joinpath(f"schemas/{name}").read_text("utf-8"))


def in_ci():
    """True where CI=true (or any value but empty, 0, false, no) is set."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require_program(name, install):
    """The path of a program the tests need (pdflatex, chromium); in CI its absence is a
    failure, since .ci/run installs it, elsewhere a skip that says how to install it."""
    import shutil
    path = shutil.which(name)
    if path is None:
        if in_ci():
            pytest.fail(f"{name} is not installed, but .ci/run installs it ({install})")
        pytest.skip(f"{name} is not installed ({install})")
    return path


def require_torch():
    """PyTorch for the parity tests; in CI its absence is a failure, not a skip."""
    try:
        import torch
    except ImportError:
        if in_ci():
            pytest.fail("PyTorch is not installed, but CI must run the parity tests")
        pytest.skip("PyTorch is not installed (pip install -e '.[test]')")
    torch.set_default_dtype(torch.float64)
    return torch


def require_keras():
    """Keras 3 on the torch backend (no TensorFlow); in CI its absence is a failure.

    Keras 3 follows JAX's default of 32-bit results: its type promotion maps float64 to
    float32 (keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE), so a layer built
    with dtype="float64" still multiplies in float32 and agrees with float64 only to
    ~1e-7. The ``keras64`` fixture lifts that map for the test, so that a comparison
    really runs in float64."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        if in_ci():
            pytest.fail("Keras is not installed, but CI must run the Keras comparisons")
        pytest.skip("Keras is not installed (pip install -e '.[test]')")
    return keras


@pytest.fixture
def keras64(monkeypatch):
    keras = require_keras()
    from keras.src.backend.common import dtypes
    for wide in ("float64", "int64"):
        monkeypatch.delitem(dtypes.BIT64_TO_BIT32_DTYPE, wide, raising=False)
    return keras


@pytest.fixture
def torch():
    return require_torch()


@pytest.fixture
def examples():
    return EXAMPLES
