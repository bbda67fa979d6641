"""Random networks of every layer type, as spec dicts, for the gradient tests."""
from __future__ import annotations

import numpy as np

from rnntrace.spec import spec_from_dict


def mat(rng, rows, cols, scale=0.6):
    return (rng.standard_normal((rows, cols)) * scale).tolist()


def vec(rng, n, scale=0.4):
    return (rng.standard_normal(n) * scale).tolist()


def clipped(layer, clip):
    """``clip: c`` on a layer (pre-activations cut to [−c, c], as ONNX)."""
    if clip is not None:
        layer["clip"] = clip
    return layer


def elman(rng, n_in, size=3, activation="tanh", clip=None):
    return clipped({"type": "elman", "size": size, "activation": activation,
                    "W": mat(rng, size, n_in), "U": mat(rng, size, size), "b": vec(rng, size),
                    "initial": vec(rng, size)}, clip)


def indrnn(rng, n_in, size=3, activation="tanh", clip=None):
    return clipped({"type": "indrnn", "size": size, "activation": activation,
                    "W": mat(rng, size, n_in), "u": vec(rng, size, scale=0.8), "b": vec(rng, size),
                    "initial": vec(rng, size)}, clip)


def jordan(rng, n_in, size=3, out=2, out_activation="tanh"):
    return {"type": "jordan", "size": size, "activation": "tanh",
            "W": mat(rng, size, n_in), "U": mat(rng, size, out), "b": vec(rng, size),
            "output": {"size": out, "activation": out_activation, "W": mat(rng, out, size), "b": vec(rng, out)}}


def lstm(rng, n_in, size=3, recurrent=True, peephole=False, activation="tanh",
         cell_activation="tanh", gate_activation="sigmoid", output_peephole=None, coupled=False, clip=None):
    layer = {"type": "lstm", "size": size, "activation": activation, "cell_activation": cell_activation,
             "gate_activation": gate_activation, "initial": {"c": vec(rng, size), "h": vec(rng, size)}}
    if coupled:   # f = 1 − i: no forget gate block
        layer["coupled"] = True
    for block in ("cell_input", "input_gate", "output_gate") if coupled else \
            ("cell_input", "input_gate", "forget_gate", "output_gate"):
        b = {"W": mat(rng, size, n_in), "b": vec(rng, size)}
        if recurrent:
            b["U"] = mat(rng, size, size)
        if peephole and block != "cell_input":
            b["P"] = vec(rng, size)
        layer[block] = b
    if output_peephole is not None:   # which cell the output gate's peephole reads: c_prev or c
        layer["output_gate"].setdefault("P", vec(rng, size))
        layer["output_gate"]["peephole"] = output_peephole
    return clipped(layer, clip)


def gru(rng, n_in, size=3, b_h=True, recurrent=True, reset_after=True, clip=None):
    layer = {"type": "gru", "size": size, "initial": vec(rng, size)}
    if not reset_after:
        layer["reset_after"] = False
    for block in ("reset_gate", "update_gate", "candidate"):
        b = {"W": mat(rng, size, n_in), "b": vec(rng, size)}
        if recurrent:
            b["U"] = mat(rng, size, size)
        if b_h:
            b["b_h"] = vec(rng, size)
        layer[block] = b
    return clipped(layer, clip)


def dense(rng, n_in, size=2, activation="linear", labels=None):
    layer = {"type": "dense", "size": size, "activation": activation,
             "W": mat(rng, size, n_in), "b": vec(rng, size)}
    if labels:
        layer["labels"] = list(labels)
    return layer


def output_size(layer):
    if layer["type"] == "bidirectional":
        f, b = output_size(layer["forward"]), output_size(layer["backward"])
        return f + b if layer.get("merge", "concat") == "concat" else f
    if layer["type"] == "jordan":
        return layer["output"]["size"]
    return layer["size"]


def network(rng, makers, n_in=2, steps=5, loss="squared_error", sparse=False):
    """A spec dict: ``makers`` build the layers in order (each gets the input size)."""
    layers = []
    size = n_in
    for make in makers:
        layer = make(rng, size)
        layers.append(layer)
        size = output_size(layer)
    data = {"inputs": (rng.standard_normal((steps, n_in))).tolist(), "layers": layers}
    if loss == "cross_entropy":
        targets = [int(rng.integers(size)) for _ in range(steps)]
    else:
        targets = [vec(rng, size, 1.0) for _ in range(steps)]
    if sparse:   # many-to-one: a target at the last step only
        targets = [None] * (steps - 1) + [targets[-1]]
    data["train"] = {"targets": targets, "loss": loss}
    return data


def build(data):
    return spec_from_dict(data)


def test_every_random_network_builds_with_its_declared_sizes():
    rng = np.random.default_rng(0)
    data = network(rng, [lambda r, n: lstm(r, n, size=4), lambda r, n: dense(r, n, size=3)], n_in=2, steps=6)
    spec = build(data)
    assert [layer.output_size for layer in spec.layers] == [4, 3]
    assert spec.inputs.shape == (6, 2)
    assert spec.layers[0].blocks["forget_gate"].U.shape == (4, 4)
