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


@pytest.fixture
def torch():
    return require_torch()


@pytest.fixture
def examples():
    return EXAMPLES
