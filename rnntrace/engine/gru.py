"""GRU layer with PyTorch's semantics (torch.nn.GRU):

forward    r = σ(W_r·x + b_r + U_r·h_{t−1} + b_hr)
           u = σ(W_u·x + b_u + U_u·h_{t−1} + b_hu)
           q = U_n·h_{t−1} + b_hn,   n = tanh(W_n·x + b_n + r∘q)
           h_t = (1 − u)∘n + u∘h_{t−1}
backward   dh_t = dh_out_t + dh_next
           da_n = dh_t∘(1 − u),  da_u = dh_t∘(h_{t−1} − n),  dz_n = da_n∘tanh′(z_n)
           da_r = dz_n∘q,  dq = dz_n∘r,  dz_r = da_r∘σ′(z_r),  dz_u = da_u∘σ′(z_u)
           dx_t = W_rᵀ·dz_r + W_uᵀ·dz_u + W_nᵀ·dz_n
           dh_next (to t − 1) = dh_t∘u + U_rᵀ·dz_r + U_uᵀ·dz_u + U_nᵀ·dq
           the gates' W, U, b and b_h from their dz; the candidate's W and b from dz_n,
           its U and b_h from dq (they sit inside r∘q)

``candidate.z`` in the record is the argument of tanh above.
"""
from __future__ import annotations

import numpy as np

from ..spec import GRU_BLOCKS
from ..trace import Gate, GRURecord
from .activations import activate, derivative
from .backward import affine_gradients, through_time
from .precision import zeros

GATES = ("reset_gate", "update_gate")


def initial_state(layer) -> np.ndarray:
    return zeros(layer, layer.size) if layer.initial is None else layer.initial


def recurrent_input(block, h_prev) -> np.ndarray:
    """U·h_{t−1} + b_h (zero where the spec gave neither)."""
    out = np.zeros(block.b.shape, dtype=block.b.dtype)
    if block.U is not None:
        out = out + block.U @ h_prev
    if block.b_h is not None:
        out = out + block.b_h
    return out


def step(layer, x: np.ndarray, h_prev: np.ndarray):
    blocks = layer.blocks
    gates = {}
    for name in GATES:
        z = blocks[name].W @ x + blocks[name].b + recurrent_input(blocks[name], h_prev)
        gates[name] = Gate(z=z, a=activate(layer.gate_activation, z))
    r, u = gates["reset_gate"].a, gates["update_gate"].a
    cand = blocks["candidate"]
    z = cand.W @ x + cand.b + r * recurrent_input(cand, h_prev)
    n = activate(layer.activation, z)
    gates["candidate"] = Gate(z=z, a=n)
    h = (1.0 - u) * n + u * h_prev
    return GRURecord(h_prev=h_prev, gates=gates, h=h), h


def backward(layer, records, d_out, xs):
    blocks = layer.blocks
    cand = blocks["candidate"]

    def step_back(t, dh_next):
        rec = records[t]
        gates = rec.gates
        r, u, n = (gates[name].a for name in GRU_BLOCKS)
        dh = d_out[t] + dh_next
        da = {"update_gate": dh * (rec.h_prev - n), "candidate": dh * (1.0 - u)}
        dz_n = da["candidate"] * derivative(layer.activation, gates["candidate"].z)
        da["reset_gate"] = dz_n * recurrent_input(cand, rec.h_prev)
        dq = dz_n * r
        dz = {name: da[name] * derivative(layer.gate_activation, gates[name].z) for name in GATES}
        dz["candidate"] = dz_n
        dx = 0.0
        dh_prev = dh * u
        for name in GATES:
            dx = dx + blocks[name].W.T @ dz[name]
            if blocks[name].U is not None:
                dh_prev = dh_prev + blocks[name].U.T @ dz[name]
        dx = dx + cand.W.T @ dz_n
        if cand.U is not None:
            dh_prev = dh_prev + cand.U.T @ dq
        values = {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh}
        shown = {name: {"da": da[name], "dz": dz[name]} for name in GRU_BLOCKS}
        return (dz, dq), dx, values, shown, dh_prev

    dzs, dxs, shown, dh0 = through_time(len(records), zeros(layer, layer.size), step_back)
    X = np.asarray(xs)
    H = np.asarray([r.h_prev for r in records])
    grads = {}
    for name in GRU_BLOCKS:
        block = blocks[name]
        dz = np.asarray([d[name] for d, _ in dzs])
        grads.update(affine_gradients(dz, X, prefix=f"{name}."))
        # the candidate's recurrent part sits inside r∘(U_n·h + b_hn): its gradient is dq
        drec = np.asarray([dq for _, dq in dzs]) if name == "candidate" else dz
        if block.U is not None:
            grads[f"{name}.U"] = drec.T @ H
        if block.b_h is not None:
            grads[f"{name}.b_h"] = drec.sum(axis=0)
    return grads, dxs, shown, {"h": dh0}
