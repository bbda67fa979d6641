"""Backpropagation through time: dL/dθ for every weight, from the forward records.

The network is unrolled over the T steps of the sequence; L is a sum over steps, so
the chain rule runs from the last step to the first, and each layer from the top
(the output) down. A layer gets dL/d(its output at t) for every t from the layer above
(or the loss), walks t = T … 1 carrying the gradient that flows through its memory,
and hands dL/d(its input at t) to the layer below.

For a quantity q, ``dq`` below means dL/dq. At step t, for each recurrent cell:

elman   z = W·x + U·h_prev + b,  h = f(z)
        dh = dh_out + dh_next                   (dh_next = Uᵀ·dz_{t+1}: through the memory)
        dz = dh∘f′(z);   dW += dz·xᵀ, dU += dz·h_prevᵀ, db += dz;   dx = Wᵀ·dz
jordan  z = W·x + U·y_prev + b,  h = f(z),  z_out = W_o·h + b_o,  y = f_o(z_out)
        dy = dy_out + dy_next                   (dy_next = Uᵀ·dz_{t+1}: the output is the memory)
        dz_out = dy∘f_o′(z_out);  dh = W_oᵀ·dz_out;  dz = dh∘f′(z)
lstm    z_k = W_k·x + U_k·h_prev + P_k∘c_prev + b_k for k = cell_input (g), input (i),
        forget (f), output (o) gates;  c = g(z)·i + c_prev·f;  h = h(c)·o
        dh = dh_out + dh_next                   (dh_next = Σ_k U_kᵀ·dz_k at t+1)
        da_o = dh∘h(c)
        dc = dh∘o∘h′(c) + dc_next               (dc_next = dc_{t+1}∘f_{t+1} + Σ_k P_k∘dz_k at t+1)
        da_g = dc∘i,  da_i = dc∘g(z),  da_f = dc∘c_prev;   dz_k = da_k∘σ′(z_k) (g′ for the cell input)
gru     r, u gates; q = U_n·h_prev + b_hn;  n = tanh(W_n·x + b_n + r∘q);  h = (1−u)∘n + u∘h_prev
        dh = dh_out + dh_next
        da_n = dh∘(1−u),  da_u = dh∘(h_prev − n),  dz_n = da_n∘tanh′;  da_r = dz_n∘q,  dq = dz_n∘r
        dh_prev = dh∘u + U_nᵀ·dq + U_rᵀ·dz_r + U_uᵀ·dz_u
dense   z = W·x + b,  y = f(z):  dz = dy∘f′(z) (softmax: dz = y∘(dy − dy·y));  dx = Wᵀ·dz
bidirectional  the merged output's gradient is split (concat), copied (sum) or halved
        (mean); the backward direction ran on x_T … x_1, so its BPTT runs t = 1 … T.

Parameter gradients are sums over steps: collecting dz_t for every t, dW = Σ_t dz_t·x_tᵀ
is one matrix product DZᵀ·X.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..gradients import Gradients, LayerGrad, StepGrad
from . import clipping, losses
from .activations import activate

Array = np.ndarray


# --------------------------------------------------------------------------- activations

def derivative(name: str, z: Array, a: Array) -> Array:
    """f′(z) for an elementwise activation, from z and a = f(z)."""
    if name == "linear":
        return np.ones_like(z)
    if name == "sigmoid":
        # σ′(z) = σ(z)·σ(−z) = e^−|z| / (1 + e^−|z|)²: stays exact where σ(z) rounds to 1
        e = np.exp(-np.abs(z))
        return e / ((1.0 + e) * (1.0 + e))
    if name == "tanh":
        # tanh′(z) = 1 − tanh² = 4e^−2|z| / (1 + e^−2|z|)²: the same, where tanh rounds to ±1
        e = np.exp(-2.0 * np.abs(z))
        return 4.0 * e / ((1.0 + e) * (1.0 + e))
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "hard_sigmoid":   # clip(0.2·z + 0.5, 0, 1): slope 0.2 inside (−2.5, 2.5)
        return np.where((z > -2.5) & (z < 2.5), 0.2, 0.0)
    raise ValueError(f"no elementwise derivative for {name!r}")


def back_activation(name: str, z: Array, a: Array, da: Array) -> Array:
    """dL/dz from dL/da through a = f(z); softmax uses its Jacobian."""
    if name == "softmax":
        return a * (da - float(da @ a))
    return da * derivative(name, z, a)


def _outer_sum(dz: List[Array], x: Sequence[Array]) -> Array:
    """Σ_t dz_t·x_tᵀ."""
    return np.asarray(dz).T @ np.asarray(x)


# --------------------------------------------------------------------------- layers
# Each backward function takes the layer, its forward records (t = 1 … T) and
# dL/d(output_t) for every t, and returns (parameter gradients keyed like
# layer.parameters(), dL/d(input_t) for every t, one LayerGrad per step, t = 1 … T).

def elman_backward(layer, records, d_out, xs):
    T = len(records)
    dzs: List[Array] = [None] * T
    dxs: List[Array] = [None] * T
    steps: List[LayerGrad] = [None] * T
    dh_next = np.zeros(layer.size)
    for t in range(T - 1, -1, -1):
        rec = records[t]
        dh = d_out[t] + dh_next
        dz = dh * derivative(layer.activation, rec.z, rec.h)
        dzs[t] = dz
        dxs[t] = layer.W.T @ dz
        steps[t] = LayerGrad("elman", {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh, "dz": dz})
        dh_next = layer.U.T @ dz
    grads = {"W": _outer_sum(dzs, xs), "U": _outer_sum(dzs, [r.h_prev for r in records]),
             "b": np.sum(dzs, axis=0)}
    return grads, dxs, steps


def jordan_backward(layer, records, d_out, xs):
    out = layer.output
    T = len(records)
    dzs: List[Array] = [None] * T
    dzo: List[Array] = [None] * T
    dxs: List[Array] = [None] * T
    steps: List[LayerGrad] = [None] * T
    dy_next = np.zeros(out.size)
    for t in range(T - 1, -1, -1):
        rec = records[t]
        dy = d_out[t] + dy_next
        dz_out = back_activation(out.activation, rec.z_out, rec.y, dy)
        dh = out.W.T @ dz_out
        dz = dh * derivative(layer.activation, rec.z, rec.h)
        dzs[t], dzo[t] = dz, dz_out
        dxs[t] = layer.W.T @ dz
        steps[t] = LayerGrad("jordan", {"dy_out": d_out[t], "dy_next": dy_next, "dy": dy,
                                        "dz_out": dz_out, "dh": dh, "dz": dz})
        dy_next = layer.U.T @ dz
    grads = {"W": _outer_sum(dzs, xs), "U": _outer_sum(dzs, [r.y_prev for r in records]),
             "b": np.sum(dzs, axis=0),
             "output.W": _outer_sum(dzo, [r.h for r in records]), "output.b": np.sum(dzo, axis=0)}
    return grads, dxs, steps


LSTM_ORDER = ("cell_input", "input_gate", "forget_gate", "output_gate")


def lstm_backward(layer, records, d_out, xs):
    blocks = layer.blocks
    T = len(records)
    n = layer.size
    dz_all = {k: [None] * T for k in LSTM_ORDER}
    dxs: List[Array] = [None] * T
    steps: List[LayerGrad] = [None] * T
    dh_next = np.zeros(n)
    dc_next = np.zeros(n)
    for t in range(T - 1, -1, -1):
        rec = records[t]
        gates = rec.gates
        g, i, f, o = (gates[k].a for k in LSTM_ORDER)
        dh = d_out[t] + dh_next
        hc = activate(layer.cell_activation, rec.c)
        da_o = dh * hc
        dc = dh * o * derivative(layer.cell_activation, rec.c, hc) + dc_next
        da = {"cell_input": dc * i, "input_gate": dc * g, "forget_gate": dc * rec.c_prev, "output_gate": da_o}
        record_gates = {}
        values = {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh, "dc_next": dc_next, "dc": dc}
        dx = np.zeros(layer.input_size)
        dh_next = np.zeros(n)
        dc_next = dc * f
        for k in LSTM_ORDER:
            fn = layer.activation if k == "cell_input" else layer.gate_activation
            dz = da[k] * derivative(fn, gates[k].z, gates[k].a)
            dz_all[k][t] = dz
            record_gates[k] = {"da": da[k], "dz": dz}
            block = blocks[k]
            dx = dx + block.W.T @ dz
            if block.U is not None:
                dh_next = dh_next + block.U.T @ dz
            if block.P is not None:
                dc_next = dc_next + block.P * dz
        dxs[t] = dx
        steps[t] = LayerGrad("lstm", values, gates=record_gates)
    grads: Dict[str, Array] = {}
    h_prev = [r.h_prev for r in records]
    c_prev = np.asarray([r.c_prev for r in records])
    for k in LSTM_ORDER:
        block = blocks[k]
        dz = np.asarray(dz_all[k])
        grads[f"{k}.W"] = dz.T @ np.asarray(xs)
        if block.U is not None:
            grads[f"{k}.U"] = dz.T @ np.asarray(h_prev)
        if block.P is not None:
            grads[f"{k}.P"] = np.sum(dz * c_prev, axis=0)
        grads[f"{k}.b"] = dz.sum(axis=0)
    return _ordered(grads, layer.parameters()), dxs, steps


def gru_backward(layer, records, d_out, xs):
    blocks = layer.blocks
    T = len(records)
    n = layer.size
    dz_all = {k: [None] * T for k in ("reset_gate", "update_gate", "candidate")}
    dq_all: List[Array] = [None] * T
    dxs: List[Array] = [None] * T
    steps: List[LayerGrad] = [None] * T
    dh_next = np.zeros(n)
    cand = blocks["candidate"]
    for t in range(T - 1, -1, -1):
        rec = records[t]
        gates = rec.gates
        r, u, nn = gates["reset_gate"].a, gates["update_gate"].a, gates["candidate"].a
        h_prev = rec.h_prev
        q = np.zeros(n)
        if cand.U is not None:
            q = q + cand.U @ h_prev
        if cand.b_h is not None:
            q = q + cand.b_h
        dh = d_out[t] + dh_next
        da_n = dh * (1.0 - u)
        da_u = dh * (h_prev - nn)
        dz_n = da_n * derivative(layer.activation, gates["candidate"].z, nn)
        da_r = dz_n * q
        dq = dz_n * r
        dz_r = da_r * derivative(layer.gate_activation, gates["reset_gate"].z, r)
        dz_u = da_u * derivative(layer.gate_activation, gates["update_gate"].z, u)
        dz = {"reset_gate": dz_r, "update_gate": dz_u, "candidate": dz_n}
        da = {"reset_gate": da_r, "update_gate": da_u, "candidate": da_n}
        for k in dz:
            dz_all[k][t] = dz[k]
        dq_all[t] = dq
        dx = np.zeros(layer.input_size)
        new_next = dh * u
        for k in ("reset_gate", "update_gate"):
            dx = dx + blocks[k].W.T @ dz[k]
            if blocks[k].U is not None:
                new_next = new_next + blocks[k].U.T @ dz[k]
        dx = dx + cand.W.T @ dz_n
        if cand.U is not None:
            new_next = new_next + cand.U.T @ dq
        dxs[t] = dx
        steps[t] = LayerGrad("gru", {"dh_out": d_out[t], "dh_next": dh_next, "dh": dh},
                             gates={k: {"da": da[k], "dz": dz[k]} for k in dz})
        dh_next = new_next
    grads: Dict[str, Array] = {}
    X = np.asarray(xs)
    H = np.asarray([r.h_prev for r in records])
    for k in ("reset_gate", "update_gate", "candidate"):
        block = blocks[k]
        dz = np.asarray(dz_all[k])
        # the candidate's recurrent part sits inside r∘(U_n·h + b_hn): its gradient is dq
        drec = np.asarray(dq_all) if k == "candidate" else dz
        grads[f"{k}.W"] = dz.T @ X
        if block.U is not None:
            grads[f"{k}.U"] = drec.T @ H
        grads[f"{k}.b"] = dz.sum(axis=0)
        if block.b_h is not None:
            grads[f"{k}.b_h"] = drec.sum(axis=0)
    return _ordered(grads, layer.parameters()), dxs, steps


def _ordered(grads: Dict[str, Array], params: Dict[str, Array]) -> Dict[str, Array]:
    return {k: grads[k] for k in params}


def bidirectional_backward(layer, records, d_out, xs):
    nf = layer.forward.output_size
    if layer.merge == "concat":
        d_fwd = [d[:nf] for d in d_out]
        d_bwd = [d[nf:] for d in d_out]
    elif layer.merge == "sum":
        d_fwd = d_bwd = list(d_out)
    else:
        d_fwd = d_bwd = [d / 2.0 for d in d_out]
    g_f, dx_f, s_f = layer_backward(layer.forward, [r.forward for r in records], d_fwd, xs)
    # the backward direction read x_T … x_1: run its BPTT on the reversed sequence
    g_b, dx_b, s_b = layer_backward(layer.backward, [r.backward for r in records][::-1], d_bwd[::-1], xs[::-1])
    dx_b, s_b = dx_b[::-1], s_b[::-1]
    grads = {f"forward.{k}": v for k, v in g_f.items()}
    grads.update({f"backward.{k}": v for k, v in g_b.items()})
    steps = [LayerGrad("bidirectional", {"dh": d}, parts={"forward": f, "backward": b})
             for d, f, b in zip(d_out, s_f, s_b)]
    return grads, [a + b for a, b in zip(dx_f, dx_b)], steps


def layer_backward(layer, records, d_out, xs, dz_given=None):
    if layer.type == "dense":
        dzs = []
        dxs = []
        steps = []
        for t, (rec, dy) in enumerate(zip(records, d_out)):
            if dz_given is not None and t in dz_given:
                dz = dz_given[t]
            else:
                dz = back_activation(layer.activation, rec.z, rec.y, dy)
            dzs.append(dz)
            dxs.append(layer.W.T @ dz)
            steps.append(LayerGrad("dense", {"dy": dy, "dz": dz}))
        return {"W": _outer_sum(dzs, xs), "b": np.sum(dzs, axis=0)}, dxs, steps
    if layer.type == "elman":
        return elman_backward(layer, records, d_out, xs)
    if layer.type == "jordan":
        return jordan_backward(layer, records, d_out, xs)
    if layer.type == "lstm":
        return lstm_backward(layer, records, d_out, xs)
    if layer.type == "gru":
        return gru_backward(layer, records, d_out, xs)
    if layer.type == "bidirectional":
        return bidirectional_backward(layer, records, d_out, xs)
    raise ValueError(layer.type)


# --------------------------------------------------------------------------- the whole network

def output_gradients(spec, trace, train) -> Tuple[List[float], List[Array], Dict[int, Array]]:
    """Each step's loss and dL/dy_t of the network's output; for cross-entropy on a softmax
    output, dL/dz_t = y_t − onehot as well (see losses)."""
    out_layer = spec.layers[-1]
    step_losses: List[float] = []
    dys: List[Array] = []
    dz_given: Dict[int, Array] = {}
    for t, (step, target) in enumerate(zip(trace, train.targets)):
        y = step.y
        if target is None:
            step_losses.append(0.0)
            dys.append(np.zeros_like(y))
        elif train.loss == "squared_error":
            loss, dy = losses.squared_error(y, target)
            step_losses.append(loss)
            dys.append(dy)
        else:
            record = step.layers[out_layer.name]
            z = record.z if out_layer.type == "dense" and out_layer.activation == "softmax" else None
            loss, dy = losses.cross_entropy(y, target, z)
            step_losses.append(loss)
            dys.append(dy)
            if z is not None:
                dz_given[t] = losses.softmax_cross_entropy_dz(y, target)
    return step_losses, dys, dz_given


def backprop(spec, trace=None, *, clip: Optional[Tuple[str, float]] = None,
             learning_rate: Optional[float] = None) -> Gradients:
    """Run the spec (unless ``trace`` is given), then BPTT over the whole sequence with
    the spec's ``train`` block; clip with ``clip`` and take one step of ``learning_rate``
    when given (the caller decides whether those come from the spec or elsewhere)."""
    train = spec.train
    if train is None:
        raise ValueError("the spec has no 'train' block")
    if trace is None:
        from . import run
        trace = run(spec)
    # a value past float64's range becomes inf or nan (null in JSON), without numpy warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _backprop(spec, trace, train, clip, learning_rate)


def _backprop(spec, trace, train, clip, learning_rate) -> Gradients:
    T = len(trace)
    step_losses, dys, dz_given = output_gradients(spec, trace, train)

    # layer inputs: x_t for the first layer, the layer below's output above it
    inputs: List[List[Array]] = []
    current = [step.x for step in trace]
    for layer in spec.layers:
        inputs.append(current)
        current = [step.layers[layer.name].output for step in trace]

    grads: Dict[str, Array] = {}
    per_layer_steps: Dict[str, List[LayerGrad]] = {}
    d_out: List[Array] = dys
    for index in range(len(spec.layers) - 1, -1, -1):
        layer = spec.layers[index]
        records = [step.layers[layer.name] for step in trace]
        given = dz_given if index == len(spec.layers) - 1 and dz_given else None
        layer_grads, d_out, layer_steps = layer_backward(layer, records, d_out, inputs[index], given)
        grads.update({f"{layer.name}.{k}": v for k, v in layer_grads.items()})
        per_layer_steps[layer.name] = layer_steps

    from .parameters import parameters
    params = parameters(spec)
    grads = {k: grads[k] for k in params}   # layer order, as in the spec
    last = spec.layers[-1]
    labels = getattr(last.output if last.type == "jordan" else last, "labels", None)
    steps = []
    for t in range(T - 1, -1, -1):
        target = train.targets[t]
        label = labels[target] if labels and train.loss == "cross_entropy" and target is not None else None
        steps.append(StepGrad(t + 1, step_losses[t], target, dys[t],
                              {layer.name: per_layer_steps[layer.name][t] for layer in spec.layers}, label))

    result = Gradients(spec=spec, loss_function=train.loss, loss=math.fsum(step_losses), steps=steps,
                       gradients=grads, parameters=params, norm=clipping.global_norm(grads))
    if clip is not None:
        kind, theta = clip
        clipped, scale = clipping.clip(grads, kind, theta)
        result.clip = (kind, float(theta))
        result.clipped = clipped
        result.clipped_norm = clipping.global_norm(clipped)
        result.clip_scale = scale if kind == "norm" else None
        result.clipped_entries = clipping.changed_entries(grads, clipped)
    if learning_rate is not None:
        result.learning_rate = float(learning_rate)
        result.updated = clipping.sgd_step(params, result.applied, learning_rate)
    return result


def loss_and_gradients(spec) -> Tuple[float, Dict[str, Array]]:
    """L and dL/dθ only (for sweeps and checks)."""
    result = backprop(spec)
    return result.loss, result.gradients
