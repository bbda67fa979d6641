"""Dense (fully connected) layer, no memory:  z = W·x + b,  y = f(z)."""
from __future__ import annotations

import numpy as np

from ..trace import DenseRecord
from .activations import activate


def initial_state(layer) -> None:
    return None


def forward(layer, x: np.ndarray) -> DenseRecord:
    z = layer.W @ x + layer.b
    y = activate(layer.activation, z)
    label = layer.labels[int(np.argmax(y))] if layer.labels else None
    return DenseRecord(z=z, y=y, label=label)


def step(layer, x: np.ndarray, state: None):
    return forward(layer, x), None
