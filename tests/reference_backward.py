"""The LSTM's, GRU's, Jordan's, dense and embedding layers' backward passes as they were written by hand, each chain-rule
step spelled out (the derivations stand in the docstrings of rnntrace/layers/lstm.py and
gru.py): an implementation independent of rnntrace/layers/autodiff.py, which the homes
now use, for tests/test_autodiff.py to hold the derived one against."""
import numpy as np

from rnntrace.layers.activations import activate, back, derivative
from rnntrace.layers.base import zeros
from rnntrace.layers.gru import BLOCKS as GRU_BLOCKS
from rnntrace.layers.lstm import _blocks, _function

from reference_step import recurrent_input


# A recurrent layer unrolled over T steps is walked from t = T down to 1; each block computes
# z_t = W·x_t + U·m_t + b, so dW = Σ_t dz_t·x_tᵀ = DZᵀ·X, dU = DZᵀ·M, db = Σ_t dz_t.

def through_time(T, carry, step):
    """Run ``step(t, carry)`` for t = T − 1 … 0 (0-based), starting from ``carry``
    (what flows back through the memory: zero after the last step) and handing each
    step's carry to the step before. Returns every step's dz, dL/dx_t and
    (values, gates), in the order of the steps, and the carry step 1 gives: the
    gradient of the memory's initial value."""
    dzs, dxs, shown = [None] * T, [None] * T, [None] * T
    for t in range(T - 1, -1, -1):
        dzs[t], dxs[t], values, gates, carry = step(t, carry)
        shown[t] = (values, gates)
    return dzs, dxs, shown, carry


def affine_gradients(dzs, xs, memories=None, prefix=""):
    """dW, dU (with the memories read) and db of z_t = W·x_t + U·m_t + b, from every dz_t."""
    DZ = np.asarray(dzs)
    grads = {f"{prefix}W": DZ.T @ np.asarray(xs)}
    if memories is not None:
        grads[f"{prefix}U"] = DZ.T @ np.asarray(memories)
    grads[f"{prefix}b"] = DZ.sum(axis=0)
    return grads


def clip_derivative(layer, function: str, z):
    """d f(clip(z)) / dz."""
    c = layer.clip
    if c is None:
        return derivative(function, z)
    return derivative(function, np.clip(z, -c, c)) * (np.abs(z) <= c)


def _forget(layer, gates):
    """f: the forget gate's activation, or 1 − i when coupled."""
    return 1.0 - gates["input_gate"].a if layer.coupled else gates["forget_gate"].a


def lstm_backward(layer, records, d_out, xs, upstream=None):
    """``upstream``: {"c": a gradient per step (None for none)} arriving at the cell c_t
    from outside the layer, added to what flows back (train.upstream)."""
    blocks = layer.blocks
    dc_up = (upstream or {}).get("c")
    late = layer.peephole == "c"
    P_o = blocks["output_gate"].P
    blocks_used = _blocks(layer)

    def step_back(t, carry):
        dh_next, dc_next = carry
        rec = records[t]
        gates = rec.gates
        g, i, o = gates["cell_input"].a, gates["input_gate"].a, gates["output_gate"].a
        f = _forget(layer, gates)
        dh = d_out[t] + dh_next
        dm = dh if layer.projection is None else layer.projection.T @ dh   # through h = W_hr·m
        hc = activate(layer.cell_activation, rec.c)
        da = {"output_gate": dm * hc}
        dz = {"output_gate": da["output_gate"] * clip_derivative(layer, layer.gate_activation,
                                                                 gates["output_gate"].z)}
        dc = dm * o * derivative(layer.cell_activation, rec.c) + dc_next
        if late:   # z_o read c_t of this step through its peephole
            dc = dc + P_o * dz["output_gate"]
        if dc_up is not None and dc_up[t] is not None:
            dc = dc + dc_up[t]
        if layer.coupled:   # c = g·i + c_prev·(1 − i)
            da.update({"cell_input": dc * i, "input_gate": dc * (g - rec.c_prev)})
        else:
            da.update({"cell_input": dc * i, "input_gate": dc * g, "forget_gate": dc * rec.c_prev})
        for name in blocks_used[:-1]:
            dz[name] = da[name] * clip_derivative(layer, _function(layer, name), gates[name].z)
        dx = 0.0
        dh_prev = zeros(layer, layer.output_size)
        dc_prev = dc * f
        for name in blocks_used:
            block = blocks[name]
            dx = dx + block.W.T @ dz[name]
            if block.U is not None:
                dh_prev = dh_prev + block.U.T @ dz[name]
            if block.P is not None and not (late and name == "output_gate"):
                dc_prev = dc_prev + block.P * dz[name]
        values = {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh, "dc_next": dc_next, "dc": dc}
        if layer.projection is not None:
            values = {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh, "dm": dm, "dc_next": dc_next, "dc": dc}
        if dc_up is not None:
            values = {**values, "dc_up": dc_up[t] if dc_up[t] is not None else zero}
            values["dc"] = values.pop("dc")   # after the terms it sums
        shown = {name: {"da": da[name], "dz": dz[name]} for name in blocks_used}
        return dz, dx, values, shown, (dh_prev, dc_prev)

    zero = zeros(layer, layer.size)
    dzs, dxs, shown, (dh0, dc0) = through_time(len(records), (zeros(layer, layer.output_size), zero), step_back)
    X = np.asarray(xs)
    h_prev = [r.h_prev for r in records]
    c_prev = np.asarray([r.c_prev for r in records])
    grads = {}
    for name in blocks_used:
        block = blocks[name]
        dz = np.asarray([d[name] for d in dzs])
        grads.update(affine_gradients(dz, X, h_prev if block.U is not None else None, prefix=f"{name}."))
        if block.P is not None:
            cells = np.asarray([r.c for r in records]) if late and name == "output_gate" else c_prev
            grads[f"{name}.P"] = np.sum(dz * cells, axis=0)
    if layer.projection is not None:   # dW_hr = Σ_t dh_t·m_tᵀ
        grads["projection"] = np.asarray([v["dh"] for v, _ in shown]).T @ np.asarray([r.m for r in records])
    return grads, dxs, shown, {"c": dc0, "h": dh0}


def gru_backward(layer, records, d_out, xs):
    blocks = layer.blocks
    cand = blocks["candidate"]
    after = layer.reset_after

    def step_back(t, dh_next):
        rec = records[t]
        gates = rec.gates
        r, u, n = (gates[name].a for name in GRU_BLOCKS)
        dh = d_out[t] + dh_next
        da = {"update_gate": dh * (rec.h_prev - n), "candidate": dh * (1.0 - u)}
        dz_n = da["candidate"] * clip_derivative(layer, layer.activation, gates["candidate"].z)
        dh_prev = dh * u
        if after:
            da["reset_gate"] = dz_n * recurrent_input(cand, rec.h_prev)
            drec = dz_n * r                  # dq: the gradient of q = U_n·h + b_hn
            if cand.U is not None:
                dh_prev = dh_prev + cand.U.T @ drec
        else:
            drec = dz_n                      # of U_n·(r∘h) + b_hn
            if cand.U is not None:
                drh = cand.U.T @ dz_n        # d(r∘h_prev)
                da["reset_gate"] = drh * rec.h_prev
                dh_prev = dh_prev + drh * r
            else:
                da["reset_gate"] = zeros(layer, layer.size)
        dz = {name: da[name] * clip_derivative(layer, layer.gate_activation, gates[name].z) for name in GRU_BLOCKS[:2]}
        dz["candidate"] = dz_n
        dx = 0.0
        for name in GRU_BLOCKS[:2]:
            dx = dx + blocks[name].W.T @ dz[name]
            if blocks[name].U is not None:
                dh_prev = dh_prev + blocks[name].U.T @ dz[name]
        dx = dx + cand.W.T @ dz_n
        values = {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh}
        shown = {name: {"da": da[name], "dz": dz[name]} for name in GRU_BLOCKS}
        return (dz, drec), dx, values, shown, dh_prev

    dzs, dxs, shown, dh0 = through_time(len(records), zeros(layer, layer.size), step_back)
    X = np.asarray(xs)
    H = np.asarray([r.h_prev for r in records])
    # what the candidate's U multiplies: h_prev, or r∘h_prev when the reset comes first
    RH = H if after else np.asarray([r.gates["reset_gate"].a * r.h_prev for r in records])
    grads = {}
    for name in GRU_BLOCKS:
        block = blocks[name]
        dz = np.asarray([d[name] for d, _ in dzs])
        grads.update(affine_gradients(dz, X, prefix=f"{name}."))
        # the candidate's recurrent part sits inside r∘(U_n·h + b_hn): its gradient is dq
        drec = np.asarray([dq for _, dq in dzs]) if name == "candidate" else dz
        if block.U is not None:
            grads[f"{name}.U"] = drec.T @ (RH if name == "candidate" else H)
        if block.b_h is not None:
            grads[f"{name}.b_h"] = drec.sum(axis=0)
    return grads, dxs, shown, {"h": dh0}


def jordan_backward(layer, records, d_out, xs, dz_loss=None):
    out = layer.output

    def step_back(t, dy_next):
        rec = records[t]
        dy = d_out[t] + dy_next
        if dz_loss is not None and dz_loss[t] is not None:
            # the loss gave f_o′ times its own dy_out, worked out from z_out (see engine.losses)
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


def dense_backward(layer, records, d_out, xs, dz_loss=None):
    """dW, db and each dx_t from each dy_t. ``dz_loss[t]``, when given, is dL/dz_t
    itself, which the loss worked out from z (see engine.losses)."""
    def step_back(t, _):
        dy = d_out[t]
        if dz_loss is not None and dz_loss[t] is not None:
            dz = dz_loss[t]
        else:
            dz = back(layer.activation, records[t].z, records[t].y, dy)
        return dz, layer.W.T @ dz, {"dy": dy, "dz": dz}, None, None

    dzs, dxs, shown, _ = through_time(len(records), None, step_back)
    return affine_gradients(dzs, xs), dxs, shown, {}


def embedding_step(layer, x):
    """The embedding's forward step as it was written by hand: the row k that x picks
    (an id read as it is, or the one 1 of a 1-of-N vector) and e = E[k], read exactly;
    Eᵀ·x when x is not 1-of-N."""
    if layer.ids:
        k = int(x[0])
    else:
        hot = np.flatnonzero(x)
        k = int(hot[0]) if len(hot) == 1 and x[hot[0]] == 1 else None
    return k, (layer.E[k].copy() if k is not None else layer.E.T @ x)


def embedding_backward(layer, records, d_out, xs):
    """dE = Σ_t x_t·de_tᵀ (for an id, x_t its 1-of-N vector); dx_t = E·de_t (an id: 0)."""
    def one_hot(record):
        x = zeros(layer, layer.vocabulary)
        x[record.id] = 1
        return x
    X = np.asarray([one_hot(r) for r in records]) if layer.ids else np.asarray(xs)
    DE = np.asarray(d_out)
    dxs = [zeros(layer, 1) if layer.ids else layer.E @ de for de in d_out]
    return {"E": X.T @ DE}, dxs, [({"de": de}, None) for de in d_out], {}
