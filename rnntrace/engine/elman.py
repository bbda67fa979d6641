"""Elman layer: the memory holds the hidden values of the last step.

    z_t = W·x_t + U·h_{t−1} + b,    h_t = f(z_t)
"""
from __future__ import annotations

import numpy as np

from ..trace import ElmanRecord
from .activations import activate


def initial_state(layer) -> np.ndarray:
    return np.zeros(layer.size) if layer.initial is None else layer.initial


def step(layer, x: np.ndarray, h_prev: np.ndarray):
    z = layer.W @ x + layer.U @ h_prev + layer.b
    h = activate(layer.activation, z)
    return ElmanRecord(h_prev=h_prev, z=z, h=h), h
