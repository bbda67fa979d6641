"""Jordan layer: the memory holds the network's output of the last step.

forward    z_t = W·x_t + U·y_{t−1} + b,    h_t = f(z_t)
           z_out_t = W_o·h_t + b_o,        y_t = f_o(z_out_t)
backward   dy_t = dy_out_t + dy_next        (dy_next = Uᵀ·dz_{t+1}: the output is the memory)
           dz_out_t = dy_t∘f_o′(z_out_t),  dh_t = W_oᵀ·dz_out_t
           dz_t = dh_t∘f′(z_t),  dx_t = Wᵀ·dz_t
           dW, dU (with y_{t−1}), db from dz_t;  dW_o (with h_t), db_o from dz_out_t
"""
from __future__ import annotations

import numpy as np

from ..trace import JordanRecord
from . import dense
from .activations import activate, back, derivative
from .backward import affine_gradients, through_time
from .precision import zeros


def initial_state(layer) -> np.ndarray:
    return zeros(layer, layer.output.size) if layer.initial is None else layer.initial


def step(layer, x: np.ndarray, y_prev: np.ndarray):
    z = layer.W @ x + layer.U @ y_prev + layer.b
    h = activate(layer.activation, z)
    out = dense.forward(layer.output, h)
    return JordanRecord(y_prev=y_prev, z=z, h=h, z_out=out.z, y=out.y), out.y


def backward(layer, records, d_out, xs, dz_loss=None):
    out = layer.output

    def step_back(t, dy_next):
        rec = records[t]
        dy = d_out[t] + dy_next
        if dz_loss is not None and dz_loss[t] is not None:
            # the loss gave f_o′ times its own dy_out, worked out from z_out (see losses)
            dz_out = dz_loss[t] + back(out.activation, rec.z_out, rec.y, dy_next)
        else:
            dz_out = back(out.activation, rec.z_out, rec.y, dy)
        dh = out.W.T @ dz_out
        dz = dh * derivative(layer.activation, rec.z)
        values = {"dy_out": d_out[t], "dy_next": dy_next, "dy": dy, "dz_out": dz_out, "dh": dh, "dz": dz}
        return (dz, dz_out), layer.W.T @ dz, values, None, layer.U.T @ dz

    dzs, dxs, shown, dy0 = through_time(len(records), zeros(layer, out.size), step_back)
    grads = affine_gradients([dz for dz, _ in dzs], xs, [r.y_prev for r in records])
    grads.update(affine_gradients([dz_out for _, dz_out in dzs], [r.h for r in records], prefix="output."))
    return grads, dxs, shown, {"y": dy0}
