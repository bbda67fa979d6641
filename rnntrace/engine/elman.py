"""Elman layer: the memory holds the hidden values of the last step.

forward    z_t = W·x_t + U·h_{t−1} + b,    h_t = f(z_t)
backward   dh_t = dh_out_t + dh_next        (dh_next = Uᵀ·dz_{t+1}: back through the memory)
           dz_t = dh_t∘f′(z_t),   dx_t = Wᵀ·dz_t
           dW = Σ_t dz_t·x_tᵀ,  dU = Σ_t dz_t·h_{t−1}ᵀ,  db = Σ_t dz_t
"""
from __future__ import annotations

import numpy as np

from ..trace import ElmanRecord
from .activations import activate, derivative
from .backward import affine_gradients, through_time
from .precision import zeros


def initial_state(layer) -> np.ndarray:
    return zeros(layer, layer.size) if layer.initial is None else layer.initial


def step(layer, x: np.ndarray, h_prev: np.ndarray):
    z = layer.W @ x + layer.U @ h_prev + layer.b
    h = activate(layer.activation, z)
    return ElmanRecord(h_prev=h_prev, z=z, h=h), h


def backward(layer, records, d_out, xs):
    def step_back(t, dh_next):
        dh = d_out[t] + dh_next
        dz = dh * derivative(layer.activation, records[t].z)
        values = {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh, "dz": dz}
        return dz, layer.W.T @ dz, values, None, layer.U.T @ dz

    dzs, dxs, shown, dh0 = through_time(len(records), zeros(layer, layer.size), step_back)
    return affine_gradients(dzs, xs, [r.h_prev for r in records]), dxs, shown, {"h": dh0}
