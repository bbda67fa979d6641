"""LSTM layer, as in the lecture's unit with four inputs and one output.

Each block k (cell input g, input gate i, forget gate f, output gate o) computes
z_k = W_k·x + U_k·h_{t−1} + P_k∘c_{t−1} + b_k (U and the peephole P optional); the
cell input goes through g, the three gates through the gate activation σ:

forward    c_t = g(z_g)·σ(z_i) + c_{t−1}·σ(z_f)
           h_t = h(c_t)·σ(z_o)
backward   dh_t = dh_out_t + dh_next                (dh_next = Σ_k U_kᵀ·dz_k at t + 1)
           da_o = dh_t∘h(c_t)
           dc_t = dh_t∘o∘h′(c_t) + dc_next (+ dc_up_t)   (dc_next = dc_{t+1}∘f_{t+1} + Σ_k P_k∘dz_k at t + 1;
                                                       dc_up_t: a gradient given for c_t, train.upstream)
           da_g = dc_t∘i,  da_i = dc_t∘g,  da_f = dc_t∘c_{t−1}
           dz_k = da_k∘σ′(z_k)  (g′ for the cell input),   dx_t = Σ_k W_kᵀ·dz_k
           dW_k, dU_k (with h_{t−1}), db_k from dz_k;  dP_k = Σ_t dz_k∘c_{t−1}
           dL/dc_0, dL/dh_0: what step 1 hands back (dc_1∘f_1 + Σ_k P_k∘dz_k, Σ_k U_kᵀ·dz_k)
"""
from __future__ import annotations

import numpy as np

from ..spec import LSTM_BLOCKS
from ..trace import Gate, LSTMRecord
from .activations import activate, derivative
from .backward import affine_gradients, through_time
from .precision import zeros


def initial_state(layer):
    c = zeros(layer, layer.size) if layer.initial_c is None else layer.initial_c
    h = zeros(layer, layer.size) if layer.initial_h is None else layer.initial_h
    return c, h


def block_input(block, x, h_prev, c_prev) -> np.ndarray:
    z = block.W @ x + block.b
    if block.U is not None:
        z = z + block.U @ h_prev
    if block.P is not None:
        z = z + block.P * c_prev
    return z


def step(layer, x: np.ndarray, state):
    c_prev, h_prev = state
    gates = {}
    for name in LSTM_BLOCKS:
        z = block_input(layer.blocks[name], x, h_prev, c_prev)
        f = layer.activation if name == "cell_input" else layer.gate_activation
        gates[name] = Gate(z=z, a=activate(f, z))
    g, i, f, o = (gates[name].a for name in LSTM_BLOCKS)
    c = g * i + c_prev * f
    h = activate(layer.cell_activation, c) * o
    return LSTMRecord(c_prev=c_prev, h_prev=h_prev, gates=gates, c=c, h=h), (c, h)


def backward(layer, records, d_out, xs, upstream=None):
    """``upstream``: {"c": a gradient per step (None for none)} arriving at the cell c_t
    from outside the layer, added to what flows back (train.upstream)."""
    blocks = layer.blocks
    dc_up = (upstream or {}).get("c")

    def step_back(t, carry):
        dh_next, dc_next = carry
        rec = records[t]
        gates = rec.gates
        g, i, f, o = (gates[name].a for name in LSTM_BLOCKS)
        dh = d_out[t] + dh_next
        hc = activate(layer.cell_activation, rec.c)
        dc = dh * o * derivative(layer.cell_activation, rec.c) + dc_next
        if dc_up is not None and dc_up[t] is not None:
            dc = dc + dc_up[t]
        da = {"cell_input": dc * i, "input_gate": dc * g, "forget_gate": dc * rec.c_prev, "output_gate": dh * hc}
        dz = {name: da[name] * derivative(layer.activation if name == "cell_input" else layer.gate_activation,
                                          gates[name].z) for name in LSTM_BLOCKS}
        dx = 0.0
        dh_prev = zeros(layer, layer.size)
        dc_prev = dc * f
        for name in LSTM_BLOCKS:
            block = blocks[name]
            dx = dx + block.W.T @ dz[name]
            if block.U is not None:
                dh_prev = dh_prev + block.U.T @ dz[name]
            if block.P is not None:
                dc_prev = dc_prev + block.P * dz[name]
        values = {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh, "dc_next": dc_next, "dc": dc}
        if dc_up is not None:
            values = {**values, "dc_up": dc_up[t] if dc_up[t] is not None else zero}
            values["dc"] = values.pop("dc")   # after the terms it sums
        shown = {name: {"da": da[name], "dz": dz[name]} for name in LSTM_BLOCKS}
        return dz, dx, values, shown, (dh_prev, dc_prev)

    zero = zeros(layer, layer.size)
    dzs, dxs, shown, (dh0, dc0) = through_time(len(records), (zero, zero), step_back)
    X = np.asarray(xs)
    h_prev = [r.h_prev for r in records]
    c_prev = np.asarray([r.c_prev for r in records])
    grads = {}
    for name in LSTM_BLOCKS:
        block = blocks[name]
        dz = np.asarray([d[name] for d in dzs])
        grads.update(affine_gradients(dz, X, h_prev if block.U is not None else None, prefix=f"{name}."))
        if block.P is not None:
            grads[f"{name}.P"] = np.sum(dz * c_prev, axis=0)
    return grads, dxs, shown, {"c": dc0, "h": dh0}
