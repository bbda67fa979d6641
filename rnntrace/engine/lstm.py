"""LSTM layer, as in the lecture's unit with four inputs and one output.

Each block computes z = W·x + U·h_{t−1} + P∘c_{t−1} + b (U and the peephole P optional);
the cell input goes through g, the three gates through the gate activation σ:

    c_t = g(z)·σ(z_i) + c_{t−1}·σ(z_f)
    h_t = h(c_t)·σ(z_o)
"""
from __future__ import annotations

import numpy as np

from ..spec import LSTM_BLOCKS
from ..trace import Gate, LSTMRecord
from .activations import activate


def initial_state(layer):
    c = np.zeros(layer.size) if layer.initial_c is None else layer.initial_c
    h = np.zeros(layer.size) if layer.initial_h is None else layer.initial_h
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
