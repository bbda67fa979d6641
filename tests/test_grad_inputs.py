"""dL/dx_t, dL/d(initial state) and upstream gradients given instead of a loss.

Checked against central finite differences in float64 on random networks of every layer
type (the loss recomputed here from the forward trace: ½Σ(y − ŷ)², or Σ g·q for
upstream gradients), against PyTorch autograd in float64 (x.grad, h0.grad, c0.grad, and
out.backward(G) for gradients given per step), and against numpy transcriptions of
CS231n's rnn_backward and deeplearning.ai's lstm_cell_backward.
"""
import copy
import zlib
from functools import partial

import numpy as np
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.engine.bptt import backprop
from rnntrace.spec import spec_from_dict

from conftest import EXAMPLES, schema, strict_json
from test_grad_fd import NETWORKS, numeric_gradients
from test_grad_networks import dense, elman, gru, jordan, lstm, network, vec

EPS = 1e-6


def memories(layer):
    """(key in result.initial[layer], path of the value in the layer's dict, size) of every
    memory of a layer given as a spec dict; an initial value is added where none is given."""
    kind = layer["type"]
    if kind == "bidirectional":
        for part in ("forward", "backward"):
            for keys, path, size in memories(layer[part]):
                yield (part,) + keys, (part,) + path, size
    elif kind == "lstm":
        yield ("c",), ("initial", "c"), layer["size"]
        yield ("h",), ("initial", "h"), layer["size"]
    elif kind in ("elman", "gru", "indrnn"):
        yield ("h",), ("initial",), layer["size"]
    elif kind == "jordan":
        yield ("y",), ("initial",), layer["output"]["size"]


def with_initial(data, rng):
    """Every recurrent layer given a random starting memory (Jordan's default is zeros)."""
    for layer in data["layers"]:
        for _, path, size in list(memories(layer)):
            owner = layer
            for key in path[:-1]:
                owner = owner[key]
            if owner.get(path[-1]) is None:
                owner[path[-1]] = vec(rng, size)
    return data


def get(mapping, path):
    for key in path:
        mapping = mapping[key]
    return mapping


def nudged(data, where, index, amount):
    """A copy of the spec dict with one number moved by ``amount``: an input (where =
    ("inputs",)) or a starting memory (("layers", i) + path)."""
    data = copy.deepcopy(data)
    values = get(data, where[:-1])[where[-1]]
    values = np.array(values, dtype=np.float64)
    values[index] += amount
    get(data, where[:-1])[where[-1]] = values.tolist()
    return data


def loss_of(spec):
    """The loss recomputed from the forward trace, independently of the backward pass."""
    trace = rnntrace.run(spec)
    train = spec.train
    if train.loss == "upstream":
        return sum(float(g @ getattr(step.layers[name], key))
                   for name, per_key in train.upstream.items() for key, per_step in per_key.items()
                   for step, g in zip(trace, per_step) if g is not None)
    assert train.loss == "squared_error"
    return sum(0.5 * float(np.sum((step.y - target) ** 2))
               for step, target in zip(trace, train.targets) if target is not None)


def central(data, where, shape):
    g = np.zeros(shape)
    for index in np.ndindex(shape):
        plus = loss_of(spec_from_dict(nudged(data, where, index, EPS)))
        minus = loss_of(spec_from_dict(nudged(data, where, index, -EPS)))
        g[index] = (plus - minus) / (2 * EPS)
    return g


def close(analytic, numeric, what):
    analytic = np.asarray(analytic, dtype=np.float64)
    assert analytic.shape == numeric.shape, what
    scale = max(1.0, float(np.max(np.abs(numeric))))
    assert np.max(np.abs(analytic - numeric)) / scale < 1e-7, (what, analytic, numeric)


def assert_inputs_and_initial_match_finite_differences(data):
    spec = spec_from_dict(data)
    result = backprop(spec)
    assert result.loss == pytest.approx(loss_of(spec), rel=1e-12, abs=1e-12)
    dx = np.array([step.dx for step in sorted(result.steps, key=lambda s: s.t)])
    close(dx, central(data, ("inputs",), np.shape(data["inputs"])), "dL/dx")
    expected_layers = set()
    for i, layer in enumerate(data["layers"]):
        name = spec.layers[i].name
        for keys, path, size in memories(layer):
            expected_layers.add(name)
            close(get(result.initial[name], keys), central(data, ("layers", i) + path, (size,)),
                  f"dL/d{name}.{'.'.join(keys)}_0")
    assert set(result.initial) == expected_layers
    return result


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_input_and_initial_state_gradients_match_finite_differences(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 1)
    data = with_initial(network(rng, NETWORKS[name], n_in=2, steps=4), rng)
    assert_inputs_and_initial_match_finite_differences(data)


def gru_reset_first(rng, n_in, size=2):
    return dict(gru(rng, n_in, size=size), reset_after=False)


def lstm_late_peephole(rng, n_in, size=2):
    layer = lstm(rng, n_in, size=size, peephole=True)
    layer["output_gate"]["peephole"] = "c"
    return layer


VARIANTS = {
    "gru, reset before the product": [gru_reset_first],
    "lstm, output peephole on the new cell": [lstm_late_peephole],
    "bidirectional elman/gru mul": [lambda rng, n: {"type": "bidirectional", "merge": "mul",
                                                    "forward": elman(rng, n, size=2),
                                                    "backward": gru_reset_first(rng, n)}, dense],
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variants_match_finite_differences_with_a_loss_and_with_upstream(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    data = with_initial(network(rng, VARIANTS[name], n_in=2, steps=4), rng)
    assert_inputs_and_initial_match_finite_differences(data)
    data["train"] = {"upstream": upstream_for(rng, data, 4)}
    assert_inputs_and_initial_match_finite_differences(data)


def upstream_for(rng, spec_data, steps, every_key=True):
    """Random upstream gradients for every layer of a spec dict: its output (h, y, an
    embedding's e: the field its home names OUTPUT) at every step but one, and an LSTM's
    c at some steps."""
    spec = spec_from_dict(spec_data)
    given = {}
    for layer, raw in zip(spec.layers, spec_data["layers"]):
        key = layer.home.OUTPUT
        given[layer.name] = {key: [None if t == 1 else vec(rng, layer.output_size, 1.0) for t in range(steps)]}
        if layer.type == "lstm" and every_key:
            given[layer.name]["c"] = [vec(rng, layer.size, 1.0) if t % 2 == 0 else None for t in range(steps)]
    return given


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_upstream_gradients_match_finite_differences_of_their_sum(name):
    """With upstream gradients g the loss is L = Σ g·q; its finite differences give every
    weight's, input's and starting memory's gradient."""
    rng = np.random.default_rng(zlib.crc32(name.encode()) + 2)
    data = with_initial(network(rng, NETWORKS[name], n_in=2, steps=4), rng)
    del data["train"]
    data["train"] = {"upstream": upstream_for(rng, data, 4)}
    spec = spec_from_dict(data)
    result = assert_inputs_and_initial_match_finite_differences(data)
    assert result.loss_function == "upstream"
    for param, numeric in numeric_gradients(spec, loss_of).items():
        close(result.gradients[param], numeric, param)


# --------------------------------------------------------------------------- PyTorch autograd, float64

T, N_IN, H = 6, 3, 4


def torch_module(torch, kind, bidirectional, seed):
    torch.manual_seed(seed)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    rnn = cls(N_IN, H, bidirectional=bidirectional, dtype=torch.float64)
    with torch.no_grad():
        for p in rnn.parameters():
            p.uniform_(-1.0, 1.0)
    return rnn


def spec_of(rnn, kind, x, h0, c0, train):
    from rnntrace.convert import spec_data_from_state_dict
    initial = (h0.detach(), c0.detach()) if kind == "lstm" else h0.detach()
    data = spec_data_from_state_dict(rnn, inputs=x.detach(), initial=initial, names=["rnn"])
    data["train"] = train
    return spec_from_dict(data)


@pytest.mark.parametrize("given", ["loss", "upstream"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_x_h0_and_c0_gradients_match_pytorch_autograd(torch, kind, bidirectional, given):
    """A loss on the outputs, or out.backward(G): the upstream gradient G of every step's
    output given directly (null at one step), as CS231n's rnn_backward(dh) is given."""
    rnn = torch_module(torch, kind, bidirectional, seed=len(kind) + 3 * bidirectional)
    directions = 2 if bidirectional else 1
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(T, N_IN, generator=gen, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(directions, H, generator=gen, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(directions, H, generator=gen, dtype=torch.float64, requires_grad=True) \
        if kind == "lstm" else None
    out, _ = rnn(x, (h0, c0) if kind == "lstm" else h0)
    G = torch.randn(T, H * directions, generator=gen, dtype=torch.float64)
    G[2] = 0.0
    if given == "loss":
        L = 0.5 * ((out - G) ** 2).sum()
        L.backward()
        train = {"targets": G.numpy().tolist()}
    else:
        out.backward(G)
        L = (out * G).sum()
        rows = G.numpy().tolist()
        rows[2] = None
        train = {"upstream": {"rnn": {"h": rows}}}
    spec = spec_of(rnn, kind, x, h0, c0, train)
    name = spec.layers[0].name
    result = backprop(spec)
    assert result.loss == pytest.approx(L.item(), rel=1e-12)
    dx = np.array([step.dx for step in sorted(result.steps, key=lambda s: s.t)])
    np.testing.assert_allclose(dx, x.grad.numpy(), rtol=1e-9, atol=1e-12)
    initial = result.initial[name]
    parts = [initial] if not bidirectional else [initial["forward"], initial["backward"]]
    for d, memories_of in enumerate(parts):
        np.testing.assert_allclose(memories_of["h"], h0.grad[d].numpy(), rtol=1e-9, atol=1e-12)
        if kind == "lstm":
            np.testing.assert_allclose(memories_of["c"], c0.grad[d].numpy(), rtol=1e-9, atol=1e-12)
            assert list(memories_of) == ["c", "h"]


def test_lstm_cell_upstream_matches_pytorch_lstmcell(torch):
    """Upstream gradients for h_t and c_t at every step: PyTorch's LSTMCell stepped by hand,
    L = Σ_t (G_h·h_t + G_c·c_t), differentiated by autograd."""
    torch.manual_seed(5)
    cell = torch.nn.LSTMCell(N_IN, H, dtype=torch.float64)
    gen = torch.Generator().manual_seed(6)
    x = torch.randn(T, N_IN, generator=gen, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, H, generator=gen, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(1, H, generator=gen, dtype=torch.float64, requires_grad=True)
    Gh = torch.randn(T, H, generator=gen, dtype=torch.float64)
    Gc = torch.randn(T, H, generator=gen, dtype=torch.float64)
    h, c = h0, c0
    L = 0.0
    for t in range(T):
        h, c = cell(x[t:t + 1], (h, c))
        L = L + (h[0] * Gh[t]).sum() + (c[0] * Gc[t]).sum() * (t != 3)
    L.backward()
    rows = ("input_gate", "forget_gate", "cell_input", "output_gate")
    layer = {"name": "cell", "type": "lstm", "size": H,
             "initial": {"h": h0.detach()[0].tolist(), "c": c0.detach()[0].tolist()}}
    for k, block in enumerate(rows):
        sl = slice(k * H, (k + 1) * H)
        layer[block] = {"W": cell.weight_ih.detach()[sl].tolist(), "U": cell.weight_hh.detach()[sl].tolist(),
                        "b": (cell.bias_ih + cell.bias_hh).detach()[sl].tolist()}
    gc = Gc.numpy().tolist()
    gc[3] = None
    spec = spec_from_dict({"inputs": x.detach().tolist(), "layers": [layer],
                           "train": {"upstream": {"cell": {"h": Gh.numpy().tolist(), "c": gc}}}})
    result = backprop(spec)
    assert result.loss == pytest.approx(L.item(), rel=1e-12)
    np.testing.assert_allclose([s.dx for s in sorted(result.steps, key=lambda s: s.t)], x.grad.numpy(),
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.initial["cell"]["h"], h0.grad[0].numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.initial["cell"]["c"], c0.grad[0].numpy(), rtol=1e-9, atol=1e-12)
    for k, block in enumerate(rows):
        sl = slice(k * H, (k + 1) * H)
        np.testing.assert_allclose(result.gradients[f"cell.{block}.W"], cell.weight_ih.grad[sl].numpy(),
                                   rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(result.gradients[f"cell.{block}.b"], cell.bias_ih.grad[sl].numpy(),
                                   rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------- the course assignments

def cs231n_rnn_backward(dh, x, h0, Wx, Wh, b):
    """CS231n's vanilla RNN (next_h = tanh(x·Wx + prev_h·Wh + b), batch of one), forward
    and rnn_backward(dh), written out in numpy: dx, dh0, dWx, dWh, db."""
    T_ = len(x)
    hs, prev = [], h0
    for t in range(T_):
        prev = np.tanh(x[t] @ Wx + prev @ Wh + b)
        hs.append(prev)
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    dprev = np.zeros_like(h0)
    for t in reversed(range(T_)):
        before = hs[t - 1] if t > 0 else h0
        draw = (dh[t] + dprev) * (1 - hs[t] ** 2)
        dx[t] = draw @ Wx.T
        dWx += np.outer(x[t], draw)
        dWh += np.outer(before, draw)
        db += draw
        dprev = draw @ Wh.T
    return dx, dprev, dWx, dWh, db


def test_elman_upstream_is_cs231n_rnn_backward():
    rng = np.random.default_rng(21)
    D, Hn = 3, 4
    x, h0 = rng.standard_normal((5, D)), rng.standard_normal(Hn)
    Wx, Wh, b = rng.standard_normal((D, Hn)) * 0.5, rng.standard_normal((Hn, Hn)) * 0.5, rng.standard_normal(Hn)
    dh = rng.standard_normal((5, Hn))
    dx, dh0, dWx, dWh, db = cs231n_rnn_backward(dh, x, h0, Wx, Wh, b)
    spec = spec_from_dict({"inputs": x.tolist(), "layers": [
        {"name": "rnn", "type": "elman", "size": Hn, "W": Wx.T.tolist(), "U": Wh.T.tolist(), "b": b.tolist(),
         "initial": h0.tolist()}], "train": {"upstream": {"rnn": {"h": dh.tolist()}}}})
    result = backprop(spec)
    np.testing.assert_allclose([s.dx for s in reversed(result.steps)], dx, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.initial["rnn"]["h"], dh0, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.gradients["rnn.W"], dWx.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.gradients["rnn.U"], dWh.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.gradients["rnn.b"], db, rtol=1e-12, atol=1e-14)


def dlai_lstm_cell_backward(da_next, dc_next, xt, a_prev, c_prev, Wf, bf, Wi, bi, Wc, bc, Wo, bo):
    """deeplearning.ai's lstm_cell_forward and lstm_cell_backward (one example), in numpy:
    every gate reads concat = [a_prev; xt]; returns dxt, da_prev, dc_prev, dWf, dbf."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    concat = np.concatenate([a_prev, xt])
    ft, it = sig(Wf @ concat + bf), sig(Wi @ concat + bi)
    cct = np.tanh(Wc @ concat + bc)
    c_next = ft * c_prev + it * cct
    ot = sig(Wo @ concat + bo)
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dcct = (dc_next * it + ot * (1 - np.tanh(c_next) ** 2) * it * da_next) * (1 - cct ** 2)
    dit = (dc_next * cct + ot * (1 - np.tanh(c_next) ** 2) * cct * da_next) * it * (1 - it)
    dft = (dc_next * c_prev + ot * (1 - np.tanh(c_next) ** 2) * c_prev * da_next) * ft * (1 - ft)
    n_a = len(a_prev)
    da_prev = Wf[:, :n_a].T @ dft + Wi[:, :n_a].T @ dit + Wc[:, :n_a].T @ dcct + Wo[:, :n_a].T @ dot
    dc_prev = dc_next * ft + ot * (1 - np.tanh(c_next) ** 2) * ft * da_next
    dxt = Wf[:, n_a:].T @ dft + Wi[:, n_a:].T @ dit + Wc[:, n_a:].T @ dcct + Wo[:, n_a:].T @ dot
    return dxt, da_prev, dc_prev, np.outer(dft, concat), dft


def test_lstm_upstream_h_and_c_is_deeplearning_ai_lstm_cell_backward():
    """One step fed da_next (upstream h) and dc_next (upstream c): their [a_prev; xt]
    weights split into U (the first n_a columns) and W."""
    rng = np.random.default_rng(22)
    n_x, n_a = 3, 5
    xt, a_prev, c_prev = rng.standard_normal(n_x), rng.standard_normal(n_a), rng.standard_normal(n_a)
    weights = {k: (rng.standard_normal((n_a, n_a + n_x)), rng.standard_normal(n_a)) for k in "fico"}
    da_next, dc_next = rng.standard_normal(n_a), rng.standard_normal(n_a)
    dxt, da_prev, dc_prev, dWf, dbf = dlai_lstm_cell_backward(
        da_next, dc_next, xt, a_prev, c_prev, *weights["f"], *weights["i"], *weights["c"], *weights["o"])
    blocks = {"forget_gate": "f", "input_gate": "i", "cell_input": "c", "output_gate": "o"}
    layer = {"name": "cell", "type": "lstm", "size": n_a, "initial": {"c": c_prev.tolist(), "h": a_prev.tolist()}}
    for block, k in blocks.items():
        W, b = weights[k]
        layer[block] = {"W": W[:, n_a:].tolist(), "U": W[:, :n_a].tolist(), "b": b.tolist()}
    spec = spec_from_dict({"inputs": [xt.tolist()], "layers": [layer],
                           "train": {"upstream": {"cell": {"h": [da_next.tolist()], "c": [dc_next.tolist()]}}}})
    result = backprop(spec)
    np.testing.assert_allclose(result.steps[0].dx, dxt, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.initial["cell"]["h"], da_prev, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.initial["cell"]["c"], dc_prev, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.gradients["cell.forget_gate.W"], dWf[:, n_a:], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.gradients["cell.forget_gate.U"], dWf[:, :n_a], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.gradients["cell.forget_gate.b"], dbf, rtol=1e-12, atol=1e-14)
    # the view shows the c given as its own row, and dc as the sum it is part of
    record = result.steps[0].layers["cell"].values
    np.testing.assert_array_equal(record["dc_up"], dc_next)
    assert list(record) == ["dh_out", "dh_next", "dh", "dc_next", "dc_up", "dc"]


def test_upstream_by_hand_on_one_linear_elman_unit():
    """h_t = 2·x_t + 0.5·h_{t−1}, h_0 = 1, x = (1, 3): h = (2.5, 7.25). With g = (1, 2) for
    h_1, h_2: L = 2.5 + 14.5 = 17; dL/dh_2 = 2, dL/dh_1 = 1 + 0.5·2 = 2, dL/dh_0 = 0.5·2 = 1;
    dL/dx = (2·2, 2·2) = (4, 4); dL/dW = 2·1 + 2·3 = 8, dL/dU = 2·1 + 2·2.5 = 7, dL/db = 4."""
    spec = spec_from_dict({"inputs": [1, 3], "layers": [
        {"name": "e", "type": "elman", "size": 1, "activation": "linear", "W": 2, "U": 0.5, "initial": 1}],
        "train": {"upstream": {"e": {"h": [[1], [2]]}}}})
    result = backprop(spec)
    assert result.loss == 17.0
    assert [float(s.dx[0]) for s in reversed(result.steps)] == [4.0, 4.0]
    assert result.initial == {"e": {"h": pytest.approx(np.array([1.0]))}}
    assert float(result.gradients["e.W"][0, 0]) == 8.0
    assert float(result.gradients["e.U"][0, 0]) == 7.0
    assert float(result.gradients["e.b"][0]) == 4.0


# --------------------------------------------------------------------------- errors in the spec

UPSTREAM_SPEC = """\
inputs: [[1, 0], [0, 1]]
layers:
  - {name: cell, type: lstm, size: 2, cell_input: {W: 1}, input_gate: {W: 1}, forget_gate: {W: 1},
     output_gate: {W: 1}}
  - {name: out, type: dense, size: 1, W: 1}
train:
"""


@pytest.mark.parametrize("train,expected", [
    ("  upstream: {cel: {h: [[1, 1], null]}}",
     "<stdin>:7:14: train.upstream.cel: unknown key 'cel'; expected one of cell, out (did you mean 'cell'?)"),
    ("  upstream: {cell: {C: [[1, 1], null]}}",
     "<stdin>:7:21: train.upstream.cell.C: unknown key 'C'; expected one of c, h (did you mean 'c'?)"),
    ("  upstream: {out: {h: [[1], null]}}",
     "<stdin>:7:20: train.upstream.out.h: unknown key 'h'; expected one of y"),
    ("  upstream: {cell: {h: [[1, 1]]}}",
     "<stdin>:7:24: train.upstream.cell.h: expected 2 gradients, one per step (null for a step without one), "
     "found a list of 1 item"),
    ("  upstream: {cell: {c: [[1, 1, 1], null]}}",
     "<stdin>:7:25: train.upstream.cell.c[0]: expected a gradient of 2 numbers (or one number for all), "
     "found a list of 3 numbers"),
    ("  upstream: {cell: {h: [null, null]}}",
     "<stdin>:7:13: train.upstream: every gradient is null: at least one step needs one"),
    ("  upstream: {}", "<stdin>:7:13: train.upstream: expected at least one layer (cell, out)"),
    ("  targets: [[1], [1]]\n  upstream: {out: {y: [[1], null]}}",
     "<stdin>:7:3: train.targets: 'targets' and 'upstream' do not go together: upstream gradients take the "
     "place of targets and a loss"),
    ("  loss: mse\n  upstream: {out: {y: [[1], null]}}",
     "<stdin>:7:3: train.loss: 'loss' and 'upstream' do not go together: upstream gradients take the "
     "place of targets and a loss"),
    ("  learning_rate: 0.1",
     "<stdin>:7:3: train: missing 'targets' (one per step), or 'upstream' (gradients given per layer and step)"),
])
def test_a_bad_upstream_block_is_one_line_naming_the_place(train, expected):
    result = CliRunner().invoke(main, ["grad", "-"], input=UPSTREAM_SPEC + train + "\n")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"Error: {expected}"]


# --------------------------------------------------------------------------- what the user sees

def grad(*args, columns=80):
    result = CliRunner().invoke(main, ["grad", *args], env={"NO_COLOR": "1", "COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_grad_json_has_dx_initial_and_upstream_and_follows_the_schema():
    import jsonschema
    for example in ("lstm_upstream.yaml", "many_to_one.yaml", "slot_filling_train.yaml", "clip_norm.yaml"):
        data = strict_json(grad(example, "--format", "json"))
        jsonschema.validate(data, schema("grad.json"))
        result = backprop(rnntrace.load_spec(EXAMPLES / example))
        assert [step["dx"] for step in data["steps"]] == [step.dx.tolist() for step in result.steps]
        assert data["initial"] == {name: {k: v.tolist() for k, v in m.items()} for name, m in result.initial.items()}
    data = strict_json(grad("lstm_upstream.yaml", "--format", "json"))
    assert data["loss_function"] == "upstream"
    assert [step.get("upstream") for step in data["steps"]] == [   # the spec's, last step first
        {"lstm": {"h": [1.0, 0.5], "c": [0.3, -0.1]}}, None, {"lstm": {"h": [0.1, -0.2]}}]
    assert list(data["initial"]["lstm"]) == ["c", "h"]


def test_a_bidirectional_layer_has_the_initial_state_of_each_direction():
    rng = np.random.default_rng(4)
    data = with_initial(network(rng, [partial(lambda r, n: {
        "type": "bidirectional", "forward": lstm(r, n, size=2), "backward": gru(r, n, size=2)}), dense],
        n_in=2, steps=3), rng)
    result = backprop(spec_from_dict(data))
    initial = result.initial["bidirectional"]
    assert list(initial) == ["forward", "backward"]
    assert list(initial["forward"]) == ["c", "h"] and list(initial["backward"]) == ["h"]
    from rnntrace.render.grad import initial_rows
    assert [(name, note) for name, note, _ in initial_rows(result)] == [
        ("bidirectional.forward.c_0", "x_1"), ("bidirectional.forward.h_0", "x_1"),
        ("bidirectional.backward.h_0", "x_3")]


@pytest.mark.parametrize("columns", [80, 40])
def test_the_grad_view_shows_dx_the_initial_state_and_what_was_given(columns):
    out = grad("lstm_upstream.yaml", "--explain", columns=columns)
    flat = " ".join(out.split())
    assert "Upstream gradients g given at 2 of 3 steps, no loss" in flat
    assert "No upstream gradient at this step" in flat
    assert "upstream for lstm: dL/dh = [1, 0.5], dL/dc = [0.3, −0.1]" in flat
    assert "+ dL/dc given =" in flat
    assert all(len(line) <= columns for line in out.splitlines())
    result = backprop(rnntrace.load_spec(EXAMPLES / "lstm_upstream.yaml"))
    from rnntrace.render.numbers import vector_compact as vec
    for step in result.steps:
        assert f"dL/dx (the network's input x_{step.t}) = {vec(step.dx)}" in flat
    if columns == 40:   # the tables' row labels wrap; the rest is the same
        return
    assert "dL/dc given (upstream)" in flat
    assert "Initial state: dL/d(memory at t = 0)" in flat
    assert f"lstm.c_0 │ x_1 │ {vec(result.initial['lstm']['c'])} │" in flat
