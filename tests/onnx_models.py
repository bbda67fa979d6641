"""Random single-node ONNX models of LSTM, GRU and RNN over their attributes, and how
to compare what an imported spec computes with an ONNX runtime's outputs (shared by
the ONNX tests)."""
import numpy as np

GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
SLOTS = {"LSTM": 3, "GRU": 2, "RNN": 1}
INPUTS = ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")


def random_model(rng, op, *, dtype="float64", layout=0, activations=(), sequence_lens=False, steps=None,
                 variants=False):
    """(model, {input name: value}, the batch size): one ``op`` node with random sizes,
    direction, biases, initial states, peepholes and, for a GRU, linear_before_reset;
    ``activations``: the functions to draw from (empty: the defaults)."""
    from onnx import TensorProto, helper
    T = int(steps or rng.integers(1, 6))
    B, I, H = (int(v) for v in rng.integers(1, 4, size=3))
    direction = str(rng.choice(["forward", "reverse", "bidirectional"]))
    D = 2 if direction == "bidirectional" else 1
    G = GATES[op]
    np_type = np.dtype(dtype)
    values = {"X": rng.normal(size=(B, T, I) if layout else (T, B, I)) * 1.5,
              "W": rng.uniform(-1, 1, size=(D, G * H, I)), "R": rng.uniform(-1, 1, size=(D, G * H, H))}
    if rng.random() < 0.8:
        values["B"] = rng.uniform(-1, 1, size=(D, 2 * G * H))
    if sequence_lens and rng.random() < 0.6:
        values["sequence_lens"] = rng.integers(1, T + 1, size=B).astype(np.int32)
    state = (B, D, H) if layout else (D, B, H)
    if rng.random() < 0.6:
        values["initial_h"] = rng.normal(size=state)
    if op == "LSTM" and rng.random() < 0.6:
        values["initial_c"] = rng.normal(size=state)
    if op == "LSTM" and rng.random() < 0.6:
        values["P"] = rng.uniform(-1, 1, size=(D, 3 * H))
    attrs = {"hidden_size": H, "direction": direction}
    if layout:
        attrs["layout"] = 1
    if op == "GRU":
        attrs["linear_before_reset"] = int(rng.integers(0, 2))
    if variants and rng.random() < 0.5:   # what onnx.reference ignores: clip, input_forget
        attrs["clip"] = float(np.float32(rng.uniform(0.3, 2.0)))
    if variants and op == "LSTM" and rng.random() < 0.4:
        attrs["input_forget"] = 1
    if activations:
        attrs["activations"] = [str(rng.choice(activations)) for _ in range(SLOTS[op] * D)]
        # parameters for the functions that take them, in order, some left to their defaults;
        # onnxruntime takes 0 for a missing parameter of Affine, ScaledTanh and ThresholdedRelu
        # where ONNX says the operator's default (1, 1 and 1): those always get theirs here
        given = any(name in ("Affine", "ScaledTanh", "ThresholdedRelu") for name in attrs["activations"])
        if given or rng.random() < 0.7:
            count = len(attrs["activations"]) if given else int(rng.integers(1, len(attrs["activations"]) + 1))
            attrs["activation_alpha"] = rng.uniform(0.1, 1.5, size=count).astype(np.float32).tolist()
            attrs["activation_beta"] = rng.uniform(-0.5, 1.0, size=count).astype(np.float32).tolist()
    names = [n if n in values else "" for n in INPUTS[:8 if op == "LSTM" else 6]]
    while names[-1] == "":
        names.pop()
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outputs, name=f"the_{op.lower()}", **attrs)
    elem = TensorProto.DOUBLE if dtype == "float64" else TensorProto.FLOAT
    graph_inputs = [helper.make_tensor_value_info(n, TensorProto.INT32 if n == "sequence_lens" else elem,
                                                  values[n].shape) for n in names if n]
    graph_outputs = [helper.make_tensor_value_info(n, elem, None) for n in outputs]
    model = helper.make_model(helper.make_graph([node], "g", graph_inputs, graph_outputs),
                              opset_imports=[helper.make_opsetid("", 21)])
    feeds = {n: (v if n == "sequence_lens" else v.astype(np_type)) for n, v in values.items()}
    return model, feeds, B


def batch_axis(imported, name):
    """Where the batch is in the graph output ``name``."""
    return [label for label, _ in imported.outputs[name].seq.axes].index("B")


def compare(model, feeds, batches, expected, *, dtype=None):
    """For every batch entry: the imported spec's run, rebuilt as each graph output,
    beside the runtime's (``expected``: name → array). Yields (name, ours, theirs)."""
    from rnntrace import engine
    from rnntrace.convert_onnx import import_onnx, output_value
    from rnntrace.spec import spec_from_dict
    first = model.graph.input[0].name
    others = {k: v for k, v in feeds.items() if k != first}
    for b in range(batches):
        imported = import_onnx(model, inputs=feeds[first], feeds=others, batch=b)
        trace = engine.run(spec_from_dict(imported.spec), dtype=dtype)
        for name, theirs in expected.items():
            ours = output_value(trace, imported, name)
            yield name, ours, np.take(theirs, [b], axis=batch_axis(imported, name))
