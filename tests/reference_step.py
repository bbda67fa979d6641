"""The LSTM's and GRU's forward steps as they were written by hand, over stacked weights
(one product W·x for all blocks, one U·h_prev): the homes now step through what
rnntrace/layers/compiled.py derives from their descriptions' formulas, and
tests/test_compiled.py holds the derived step against these. Kept as they were, with
``recurrent_input`` (also used by tests/reference_backward.py)."""
import numpy as np

from rnntrace.layers.activations import activate
from rnntrace.layers.base import Gate
from rnntrace.layers.gru import BLOCKS, GRURecord
from rnntrace.layers.lstm import LSTMRecord, ProjectedLSTMRecord, _blocks

Array = np.ndarray

def recurrent_input(block, h) -> Array:
    """U·h + b_h (zero where the spec gave neither)."""
    out = np.zeros(block.b.shape, dtype=block.b.dtype)
    if block.U is not None:
        out = out + block.U @ h
    if block.b_h is not None:
        out = out + block.b_h
    return out


def lstm_step(layer):
    """The step as one closure over stacked weights: every block's W in one matrix, so
    that one product W·x serves all gates, and the blocks' U in another (one product
    U·h_prev); each block's z is then (W·x + b) + U·h_prev (+ P∘cell), in that order,
    and each activation is applied once to the stacked z of the blocks that share it.

    A stacked product sums each row as the separate one did, except that the BLAS
    kernel may group the terms of a short row differently: z can differ from four
    separate products by a few ulps (≤ 4e-15 absolute in tests/test_layers.py)."""
    names = _blocks(layer)
    blocks = [layer.blocks[n] for n in names]
    size = layer.size
    at = {n: slice(k * size, (k + 1) * size) for k, n in enumerate(names)}
    W = np.concatenate([b.W for b in blocks])
    B = np.concatenate([b.b for b in blocks])
    with_U = [n for n in names if layer.blocks[n].U is not None]
    U = np.concatenate([layer.blocks[n].U for n in with_U]) if with_U else None
    U_at = {n: slice(k * size, (k + 1) * size) for k, n in enumerate(with_U)}
    all_U = len(with_U) == len(names)
    late = layer.peephole == "c"                 # the output gate waits for the new cell
    peep = [(at[n], layer.blocks[n].P) for n in names
            if layer.blocks[n].P is not None and not (late and n == "output_gate")]
    P_o = layer.blocks["output_gate"].P if late else None
    c = layer.clip
    act, gate_act, cell_act = layer.activation, layer.gate_activation, layer.cell_activation
    coupled = layer.coupled
    projection = layer.projection
    g_at, i_at, o_at = at["cell_input"], at["input_gate"], at["output_gate"]
    f_at = None if coupled else at["forget_gate"]
    # the gates' activations at once: from the input gate on (all of them, when no output
    # gate waits for the new cell)
    gates_at = slice(size, len(names) * size if not late else (len(names) - 1) * size)

    def run(x, state):
        c_prev, h_prev = state
        Z = W @ x + B
        if U is not None:
            UH = U @ h_prev
            if all_U:
                Z = Z + UH
            else:
                for n, s in U_at.items():
                    Z[at[n]] = Z[at[n]] + UH[s]
        for s, P in peep:
            Z[s] = Z[s] + P * c_prev
        cut = Z if c is None else np.clip(Z, -c, c)
        A = np.empty_like(Z)
        A[g_at] = activate(act, cut[g_at])
        A[gates_at] = activate(gate_act, cut[gates_at])
        g, i = A[g_at], A[i_at]
        f = 1.0 - i if coupled else A[f_at]
        cell = g * i + c_prev * f
        if late:
            Z[o_at] = Z[o_at] + P_o * cell
            A[o_at] = activate(gate_act, Z[o_at] if c is None else np.clip(Z[o_at], -c, c))
        h = activate(cell_act, cell) * A[o_at]
        gates = {n: Gate(z=Z[at[n]], a=A[at[n]]) for n in names}
        if projection is not None:   # m = h(c)·o, h = W_hr·m
            m, h = h, projection @ h
            return ProjectedLSTMRecord(c_prev=c_prev, h_prev=h_prev, gates=gates, c=cell, h=h, m=m), (cell, h)
        return LSTMRecord(c_prev=c_prev, h_prev=h_prev, gates=gates, c=cell, h=h), (cell, h)

    return run


def gru_step(layer):
    """The step as one closure over stacked weights: the three blocks' W in one matrix
    (one product W·x for all), and U·h_prev + b_h of the blocks that read h_prev (the
    gates', and the candidate's when the reset gate acts after U) in one product. Each z
    is (W·x + b) + (U·h_prev + b_h), the candidate's (W·x + b) + r∘(U·h_prev + b_h) or
    (W·x + b) + (U·(r∘h_prev) + b_h), as the separate products gave; a stacked product
    may differ from them by a few ulps (see lstm_step)."""
    blocks = layer.blocks
    size = layer.size
    at = {n: slice(k * size, (k + 1) * size) for k, n in enumerate(BLOCKS)}
    W = np.concatenate([blocks[n].W for n in BLOCKS])
    B = np.concatenate([blocks[n].b for n in BLOCKS])
    after = layer.reset_after
    reads_h = BLOCKS if after else BLOCKS[:2]            # the blocks whose U multiplies h_prev itself
    with_U = [n for n in reads_h if blocks[n].U is not None]
    U = np.concatenate([blocks[n].U for n in with_U]) if with_U else None
    U_at = {n: slice(k * size, (k + 1) * size) for k, n in enumerate(with_U)}
    b_h = [(at[n], blocks[n].b_h) for n in reads_h if blocks[n].b_h is not None]
    reach = slice(0, len(reads_h) * size)
    cand = blocks["candidate"]
    c = layer.clip
    gate_act, act = layer.gate_activation, layer.activation
    ru, n_at, r_at, u_at = slice(0, 2 * size), at["candidate"], at["reset_gate"], at["update_gate"]

    def run(x, h_prev):
        WX = W @ x + B
        R = np.zeros(reach.stop, dtype=B.dtype)          # U·h_prev + b_h, 0 where a block has neither
        if U is not None:
            UH = U @ h_prev
            for n, s in U_at.items():
                R[at[n]] = R[at[n]] + UH[s]
        for s, bh in b_h:
            R[s] = R[s] + bh
        Z = np.empty_like(WX)
        Z[ru] = WX[ru] + R[ru]
        A = np.empty_like(WX)
        A[ru] = activate(gate_act, Z[ru] if c is None else np.clip(Z[ru], -c, c))
        r, u = A[r_at], A[u_at]
        if after:
            Z[n_at] = WX[n_at] + r * R[n_at]
        else:
            Z[n_at] = WX[n_at] + recurrent_input(cand, r * h_prev)
        A[n_at] = activate(act, Z[n_at] if c is None else np.clip(Z[n_at], -c, c))
        n = A[n_at]
        h = (1.0 - u) * n + u * h_prev
        gates = {name: Gate(z=Z[at[name]], a=A[at[name]]) for name in BLOCKS}
        return GRURecord(h_prev=h_prev, gates=gates, h=h), h

    return run
