"""Jordan layer: the memory holds the network's output of the last step.

    z_t = W·x_t + U·y_{t−1} + b,   h_t = f(z_t)
    z_out_t = W_o·h_t + b_o,       y_t = f_o(z_out_t)
"""
from __future__ import annotations

import numpy as np

from ..trace import JordanRecord
from . import dense
from .activations import activate


def initial_state(layer) -> np.ndarray:
    return np.zeros(layer.output.size) if layer.initial is None else layer.initial


def step(layer, x: np.ndarray, y_prev: np.ndarray):
    z = layer.W @ x + layer.U @ y_prev + layer.b
    h = activate(layer.activation, z)
    out = dense.forward(layer.output, h)
    return JordanRecord(y_prev=y_prev, z=z, h=h, z_out=out.z, y=out.y), out.y
