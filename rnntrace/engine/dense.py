"""Dense (fully connected) layer, no memory.

forward    z = W·x + b,  y = f(z)
backward   dz = dy∘f′(z)  (softmax: dz = y∘(dy − dy·y)),  dx = Wᵀ·dz
           dW = Σ_t dz_t·x_tᵀ,  db = Σ_t dz_t
"""
from __future__ import annotations

import numpy as np

from ..trace import DenseRecord
from .activations import activate, back
from .backward import affine_gradients, through_time


def initial_state(layer) -> None:
    return None


def forward(layer, x: np.ndarray) -> DenseRecord:
    z = layer.W @ x + layer.b
    y = activate(layer.activation, z)
    label = layer.labels[int(np.argmax(y))] if layer.labels else None
    return DenseRecord(z=z, y=y, label=label)


def step(layer, x: np.ndarray, state: None):
    return forward(layer, x), None


def backward(layer, records, d_out, xs, dz_loss=None):
    """dW, db and each dx_t from each dy_t. ``dz_loss[t]``, when given, is dL/dz_t
    itself, which the loss worked out from z (see losses)."""
    def step_back(t, _):
        dy = d_out[t]
        if dz_loss is not None and dz_loss[t] is not None:
            dz = dz_loss[t]
        else:
            dz = back(layer.activation, records[t].z, records[t].y, dy)
        return dz, layer.W.T @ dz, {"dy": dy, "dz": dz}, None, None

    dzs, dxs, shown, _ = through_time(len(records), None, step_back)
    return affine_gradients(dzs, xs), dxs, shown, {}
