import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def require_torch():
    """PyTorch for the parity tests; in CI its absence is a failure, not a skip."""
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
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
