"""GRU layer with PyTorch's semantics (torch.nn.GRU):

    r = σ(W_r·x + b_r + U_r·h_{t−1} + b_hr)
    u = σ(W_u·x + b_u + U_u·h_{t−1} + b_hu)
    n = tanh(W_n·x + b_n + r∘(U_n·h_{t−1} + b_hn))
    h_t = (1 − u)∘n + u∘h_{t−1}

``candidate.z`` in the record is the argument of tanh above.
"""
from __future__ import annotations

import numpy as np

from ..trace import Gate, GRURecord
from .activations import activate


def initial_state(layer) -> np.ndarray:
    return np.zeros(layer.size) if layer.initial is None else layer.initial


def recurrent_input(block, h_prev) -> np.ndarray:
    """U·h_{t−1} + b_h (zero where the spec gave neither)."""
    out = np.zeros(block.b.shape)
    if block.U is not None:
        out = out + block.U @ h_prev
    if block.b_h is not None:
        out = out + block.b_h
    return out


def step(layer, x: np.ndarray, h_prev: np.ndarray):
    blocks = layer.blocks
    gates = {}
    for name in ("reset_gate", "update_gate"):
        z = blocks[name].W @ x + blocks[name].b + recurrent_input(blocks[name], h_prev)
        gates[name] = Gate(z=z, a=activate(layer.gate_activation, z))
    r, u = gates["reset_gate"].a, gates["update_gate"].a
    cand = blocks["candidate"]
    z = cand.W @ x + cand.b + r * recurrent_input(cand, h_prev)
    n = activate(layer.activation, z)
    gates["candidate"] = Gate(z=z, a=n)
    h = (1.0 - u) * n + u * h_prev
    return GRURecord(h_prev=h_prev, gates=gates, h=h), h
