"""The variants ONNX's recurrent operators name, against independent implementations:
``clip`` (elman, lstm, gru), the coupled input-forget LSTM (``coupled: true``, ONNX
input_forget=1), the activation functions of ONNX's RNN (with their alpha and beta),
and IndRNN (Li et al. 2018). Each against a small numpy formula in float64 (1e-12),
onnxruntime in float32, and onnx's reference evaluator in float64 (1e-9) where it can
express the network (its RNN knows Tanh and Affine; its LSTM and GRU ignore clip,
input_forget and activations, so those are held to numpy and onnxruntime)."""
import numpy as np
import pytest

from rnntrace.engine import run
from rnntrace.layers import activations as A
from rnntrace.spec import spec_from_dict
from conftest import require_module

T, N_IN, H = 5, 3, 4


def rand(rng, *shape, scale=0.8):
    return rng.standard_normal(shape) * scale


def outputs(spec_data):
    trace = run(spec_from_dict(spec_data))
    name = spec_data["layers"][0].get("name", spec_data["layers"][0]["type"])
    return np.array([s.layers[name].output for s in trace])


# --------------------------------------------------------------------------- ONNX models

def onnx_run(op, weights, attrs, xs, evaluator, hidden=H):
    """Y of one ONNX recurrent operator over xs (batch 1): ``evaluator`` "reference"
    (float64) or "ort" (onnxruntime, float32)."""
    onnx = require_module("onnx", "ONNX models")
    from onnx import TensorProto, helper, numpy_helper
    dtype = np.float64 if evaluator == "reference" else np.float32
    elem = TensorProto.DOUBLE if evaluator == "reference" else TensorProto.FLOAT
    names = ["X"] + [k if k in weights else "" for k in ("W", "R", "B", "sequence_lens", "initial_h",
                                                        "initial_c", "P")][:{"RNN": 5, "GRU": 5, "LSTM": 7}[op]]
    while names[-1] == "":
        names.pop()
    inits = [numpy_helper.from_array(np.asarray(v, dtype=dtype), k) for k, v in weights.items()]
    node = helper.make_node(op, names, ["Y"], hidden_size=hidden, **attrs)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("X", elem, [len(xs), 1, N_IN])],
                              [helper.make_tensor_value_info("Y", elem, None)], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    x = np.asarray(xs, dtype=dtype)[:, None, :]
    if evaluator == "reference":
        from onnx.reference import ReferenceEvaluator
        (y,) = ReferenceEvaluator(model).run(None, {"X": x})
    else:
        ort = require_module("onnxruntime", "the ONNX comparisons")
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        (y,) = session.run(None, {"X": x})
    return np.asarray(y, dtype=np.float64)[:, 0, 0, :]


def activation_attrs(names):
    """ONNX's activations, activation_alpha and activation_beta for our canonical names."""
    attrs = {"activations": [], "activation_alpha": [], "activation_beta": []}
    for name in names:
        f, values = A.parse(name)
        attrs["activations"].append(f.onnx)
        values = dict(values)
        if "alpha" in values:
            attrs["activation_alpha"].append(values["alpha"])
        if "beta" in values:
            attrs["activation_beta"].append(values["beta"])
    return {k: v for k, v in attrs.items() if v}


#: The ONNX RNN activations, each with parameters of its own where it has them.
RNN_ACTIVATIONS = ["tanh", "sigmoid", "relu", "leaky_relu(alpha=0.1)", "thresholded_relu(alpha=0.3)",
                   "scaled_tanh(alpha=1.5, beta=0.7)", "hard_sigmoid(alpha=0.25, beta=0.4)", "elu(alpha=0.8)",
                   "softsign", "softplus", "affine(alpha=0.9, beta=0.1)"]


def elman_case(seed, activation, clip=None):
    rng = np.random.default_rng(seed)
    W, R, Wb, Rb = rand(rng, H, N_IN), rand(rng, H, H, scale=0.5), rand(rng, H), rand(rng, H)
    xs = rand(rng, T, N_IN, scale=1.5)
    layer = {"type": "elman", "size": H, "W": W.tolist(), "U": R.tolist(), "b": (Wb + Rb).tolist(),
             "activation": A.spec_value(activation)}
    attrs = activation_attrs([activation])
    if clip is not None:
        layer["clip"], attrs["clip"] = clip, clip
    weights = {"W": W[None], "R": R[None], "B": np.concatenate([Wb, Rb])[None]}
    return {"inputs": xs.tolist(), "layers": [layer]}, weights, attrs, xs


def numpy_elman(data):
    layer = data["layers"][0]
    W, U, b = (np.array(layer[k]) for k in ("W", "U", "b"))
    c = layer.get("clip", np.inf)
    h, out = np.zeros(H), []
    for x in data["inputs"]:
        h = A.activate(layer_activation(layer), np.clip(W @ x + U @ h + b, -c, c))
        out.append(h)
    return np.array(out)


def layer_activation(layer, key="activation"):
    value = layer[key]
    if isinstance(value, str):
        return value
    (name, params), = value.items()
    return A.canonical(name, params)


@pytest.mark.parametrize("activation", RNN_ACTIVATIONS)
@pytest.mark.parametrize("clip", [None, 0.9])
def test_elman_with_each_onnx_activation_and_clip_agrees_with_onnxruntime(activation, clip):
    data, weights, attrs, xs = elman_case(1, activation, clip)
    ours = outputs(data)
    np.testing.assert_allclose(ours, numpy_elman(data), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours, onnx_run("RNN", weights, attrs, xs, "ort"), rtol=2e-5, atol=2e-6)
    if clip is not None:   # the clip really cut something
        z = np.array([s.layers["elman"].z for s in run(spec_from_dict(data))])
        assert np.any(np.abs(z) > clip)


# ONNX keeps alpha and beta as float32 attributes: values float32 holds exactly
@pytest.mark.parametrize("activation", ["tanh", "affine(alpha=0.75, beta=0.125)"])
def test_elman_agrees_with_onnx_reference_in_float64(activation):
    data, weights, attrs, xs = elman_case(2, activation)
    np.testing.assert_allclose(outputs(data), onnx_run("RNN", weights, attrs, xs, "reference"),
                               rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- LSTM: clip, coupled

def lstm_case(seed, coupled, clip, gate="sigmoid", g="tanh", h="tanh"):
    """ONNX LSTM packs [i, o, f, c]; with peepholes P = [P_i, P_o, P_f], the output gate's
    reading the new cell (our ``peephole: c``)."""
    rng = np.random.default_rng(seed)
    w = {k: (rand(rng, H, N_IN), rand(rng, H, H, scale=0.5), rand(rng, H), rand(rng, H)) for k in "iofc"}
    P = {k: rand(rng, H) for k in "iof"}
    xs = rand(rng, T, N_IN, scale=1.5)
    block = {k: {"W": w[k][0].tolist(), "U": w[k][1].tolist(), "b": (w[k][2] + w[k][3]).tolist()} for k in "iofc"}
    layer = {"type": "lstm", "size": H, "activation": A.spec_value(g), "cell_activation": A.spec_value(h),
             "gate_activation": A.spec_value(gate), "cell_input": block["c"],
             "input_gate": dict(block["i"], P=P["i"].tolist()),
             "output_gate": dict(block["o"], P=P["o"].tolist(), peephole="c")}
    if coupled:
        layer["coupled"] = True
    else:
        layer["forget_gate"] = dict(block["f"], P=P["f"].tolist())
    attrs = activation_attrs([gate, g, h])
    if coupled:
        attrs["input_forget"] = 1
    if clip is not None:
        layer["clip"], attrs["clip"] = clip, clip
    weights = {"W": np.concatenate([w[k][0] for k in "iofc"])[None],
               "R": np.concatenate([w[k][1] for k in "iofc"])[None],
               "B": np.concatenate([w[k][2] for k in "iofc"] + [w[k][3] for k in "iofc"])[None],
               "P": np.concatenate([P[k] for k in "iof"])[None]}
    return {"inputs": xs.tolist(), "layers": [layer]}, weights, attrs, xs


def numpy_lstm(data):
    """c = g·i + c_prev·f (f = 1 − i when coupled), every z cut to [−clip, clip]."""
    L = data["layers"][0]
    c_lim = L.get("clip", np.inf)
    acts = {k: layer_activation(L, k) for k in ("activation", "cell_activation", "gate_activation")}

    def z(name, x, h, cell):
        b = L[name]
        out = np.array(b["W"]) @ x + np.array(b["U"]) @ h + np.array(b["b"])
        if "P" in b:
            out = out + np.array(b["P"]) * cell
        return np.clip(out, -c_lim, c_lim)

    h, c, out = np.zeros(H), np.zeros(H), []
    for x in data["inputs"]:
        i = A.activate(acts["gate_activation"], z("input_gate", x, h, c))
        f = 1 - i if L.get("coupled") else A.activate(acts["gate_activation"], z("forget_gate", x, h, c))
        g = A.activate(acts["activation"], z("cell_input", x, h, c))
        c = g * i + c * f
        o = A.activate(acts["gate_activation"], z("output_gate", x, h, c))
        h = A.activate(acts["cell_activation"], c) * o
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("coupled", [False, True])
@pytest.mark.parametrize("clip", [None, 0.7])
def test_lstm_coupled_and_clip_agree_with_numpy_and_onnxruntime(coupled, clip):
    data, weights, attrs, xs = lstm_case(3, coupled, clip)
    ours = outputs(data)
    np.testing.assert_allclose(ours, numpy_lstm(data), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours, onnx_run("LSTM", weights, attrs, xs, "ort"), rtol=2e-5, atol=2e-6)


def test_lstm_with_onnx_activations_agrees_with_onnxruntime():
    data, weights, attrs, xs = lstm_case(4, True, 1.2, gate="hard_sigmoid(alpha=0.3, beta=0.45)",
                                         g="leaky_relu(alpha=0.2)", h="softsign")
    ours = outputs(data)
    np.testing.assert_allclose(ours, numpy_lstm(data), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours, onnx_run("LSTM", weights, attrs, xs, "ort"), rtol=2e-5, atol=2e-6)


def test_coupled_lstm_has_no_forget_gate_and_refuses_one():
    data, *_ = lstm_case(5, True, None)
    layer = spec_from_dict(data).layers[0]
    assert "forget_gate" not in layer.blocks and not any(k.startswith("forget_gate") for k in layer.parameters())
    from rnntrace.errors import SpecError
    bad = dict(data["layers"][0], forget_gate={"W": 1})
    with pytest.raises(SpecError, match="1 − i"):
        spec_from_dict({"inputs": data["inputs"], "layers": [bad]})


# --------------------------------------------------------------------------- GRU: clip

def gru_case(seed, clip, gate="sigmoid", act="tanh"):
    """ONNX GRU packs [z, r, h] (z: the update gate); linear_before_reset=1 is our default
    r∘(U_n·h + b_h), the recurrent bias Rb being our b_h."""
    rng = np.random.default_rng(seed)
    w = {k: (rand(rng, H, N_IN), rand(rng, H, H, scale=0.5), rand(rng, H), rand(rng, H)) for k in "zrh"}
    xs = rand(rng, T, N_IN, scale=1.5)
    names = {"z": "update_gate", "r": "reset_gate", "h": "candidate"}
    layer = {"type": "gru", "size": H, "activation": A.spec_value(act), "gate_activation": A.spec_value(gate)}
    for k, name in names.items():
        layer[name] = {"W": w[k][0].tolist(), "U": w[k][1].tolist(), "b": w[k][2].tolist(), "b_h": w[k][3].tolist()}
    attrs = dict(activation_attrs([gate, act]), linear_before_reset=1)
    if clip is not None:
        layer["clip"], attrs["clip"] = clip, clip
    weights = {"W": np.concatenate([w[k][0] for k in "zrh"])[None],
               "R": np.concatenate([w[k][1] for k in "zrh"])[None],
               "B": np.concatenate([w[k][2] for k in "zrh"] + [w[k][3] for k in "zrh"])[None]}
    return {"inputs": xs.tolist(), "layers": [layer]}, weights, attrs, xs


def numpy_gru(data):
    L = data["layers"][0]
    lim = L.get("clip", np.inf)
    gate, act = layer_activation(L, "gate_activation"), layer_activation(L, "activation")
    p = {n: {k: np.array(v) for k, v in L[n].items()} for n in ("reset_gate", "update_gate", "candidate")}
    h, out = np.zeros(H), []
    for x in data["inputs"]:
        r, u = (A.activate(gate, np.clip(p[n]["W"] @ x + p[n]["b"] + p[n]["U"] @ h + p[n]["b_h"], -lim, lim))
                for n in ("reset_gate", "update_gate"))
        q = p["candidate"]
        n = A.activate(act, np.clip(q["W"] @ x + q["b"] + r * (q["U"] @ h + q["b_h"]), -lim, lim))
        h = (1 - u) * n + u * h
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("clip", [None, 0.6])
def test_gru_clip_agrees_with_numpy_and_onnxruntime(clip):
    data, weights, attrs, xs = gru_case(6, clip)
    ours = outputs(data)
    np.testing.assert_allclose(ours, numpy_gru(data), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours, onnx_run("GRU", weights, attrs, xs, "ort"), rtol=2e-5, atol=2e-6)


def test_gru_with_onnx_activations_agrees_with_onnxruntime():
    data, weights, attrs, xs = gru_case(7, 1.1, gate="hard_sigmoid", act="elu(alpha=0.7)")
    ours = outputs(data)
    np.testing.assert_allclose(ours, numpy_gru(data), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours, onnx_run("GRU", weights, attrs, xs, "ort"), rtol=2e-5, atol=2e-6)


# --------------------------------------------------------------------------- IndRNN

def test_indrnn_agrees_with_the_papers_formula():
    rng = np.random.default_rng(8)
    W, u, b, xs = rand(rng, H, N_IN), rand(rng, H), rand(rng, H), rand(rng, T, N_IN)
    data = {"inputs": xs.tolist(), "layers": [{"type": "indrnn", "size": H, "W": W.tolist(), "u": u.tolist(),
                                               "b": b.tolist()}]}
    h, expected = np.zeros(H), []
    for x in xs:   # h_t = relu(W·x_t + u∘h_{t−1} + b), Li et al. 2018
        h = np.maximum(W @ x + u * h + b, 0)
        expected.append(h)
    np.testing.assert_allclose(outputs(data), expected, rtol=1e-14, atol=1e-15)


def test_indrnn_by_hand():
    # one unit, u = 0.5, relu: h1 = relu(2·1 − 1) = 1; h2 = relu(2·3 + 0.5·1 − 1) = 5.5;
    # h3 = relu(2·(−4) + 0.5·5.5 − 1) = relu(−6.25) = 0
    data = {"inputs": [[1], [3], [-4]], "layers": [{"type": "indrnn", "size": 1, "W": 2, "u": 0.5, "b": -1}]}
    assert outputs(data)[:, 0].tolist() == [1.0, 5.5, 0.0]


def test_indrnn_needs_u():
    from rnntrace.errors import SpecError
    with pytest.raises(SpecError, match="'u'"):
        spec_from_dict({"inputs": [[1]], "layers": [{"type": "indrnn", "size": 1, "W": 2}]})
