"""Gradients worked by hand: the losses, clipping, one update step, the w^999 toy,
and the rnntrace.grad/1 JSON (validated against the shipped JSON Schema)."""
import json
import math
from functools import partial

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnntrace
from rnntrace.engine import clipping
from rnntrace.engine.bptt import backprop
from rnntrace.engine.parameters import parameters, replace_parameters
from rnntrace.spec import spec_from_text

from conftest import EXAMPLES, schema, sigmoid
from test_grad_networks import build, dense, elman, gru, jordan, lstm, network

SCHEMA = schema("grad.json")

TWO_STEPS = """
inputs: [1, 0]
layers:
  - {name: rnn, type: elman, size: 1, activation: linear, W: 2, U: 0.5, b: 0}
  - {name: out, type: dense, size: 1, W: 3, b: 0}
train: {targets: [null, 1]}
"""


def test_a_two_step_linear_network_by_hand():
    # h1 = W·1 = 2, h2 = U·h1 = 1, y2 = 3·h2 = 3; L = ½(3 − 1)² = 2, dL/dy2 = 2
    # out: dL/dW_out = dL/dy2·h2 = 2, dL/db_out = 2 (step 1 has no target: 0 there)
    # step 2: dL/dh2 = 3·2 = 6 = dL/dz2 (linear); step 1: dL/dh1 = U·6 = 3
    # dL/dW = 3·x1 + 6·x2 = 3, dL/dU = 3·h0 + 6·h1 = 12, dL/db = 3 + 6 = 9
    g = backprop(spec_from_text(TWO_STEPS))
    assert g.loss == 2.0
    expected = {"rnn.W": [[3.0]], "rnn.U": [[12.0]], "rnn.b": [9.0], "out.W": [[2.0]], "out.b": [2.0]}
    assert {k: v.tolist() for k, v in g.gradients.items()} == expected
    assert g.norm == math.sqrt(3 ** 2 + 12 ** 2 + 9 ** 2 + 2 ** 2 + 2 ** 2)
    step2, step1 = g.steps   # last step first
    assert (step2.t, step1.t) == (2, 1)
    assert step2.dy.tolist() == [2.0] and step1.dy.tolist() == [0.0]
    assert step2.layers["rnn"].values["dh"].tolist() == [6.0]
    assert step1.layers["rnn"].values["dh_next"].tolist() == [3.0]
    assert step1.layers["rnn"].values["dh_out"].tolist() == [0.0]


def test_clip_by_norm_by_hand():
    grads = {"a.W": np.array([[3.0, 0.0]]), "a.b": np.array([4.0])}   # ‖g‖ = √(9 + 16) = 5
    clipped, scale = clipping.clip_by_norm(grads, 1.0)
    assert scale == 1 / 5
    assert clipped["a.W"][0] == pytest.approx([3 / 5, 0.0], rel=1e-15)
    assert clipped["a.b"] == pytest.approx([4 / 5], rel=1e-15)
    same, scale = clipping.clip_by_norm(grads, 10.0)   # within θ: nothing changes
    assert scale == 1.0 and same["a.W"].tolist() == [[3.0, 0.0]]


def test_clip_by_value_by_hand():
    grads = {"a.W": np.array([[3.0, -0.5], [-7.0, 2.0]]), "a.b": np.array([4.0])}
    clipped = clipping.clip_by_value(grads, 2.0)
    assert clipped["a.W"].tolist() == [[2.0, -0.5], [-2.0, 2.0]] and clipped["a.b"].tolist() == [2.0]
    assert clipping.changed_entries(grads, clipped) == 3


def test_clipping_and_one_step_through_backprop():
    g = backprop(spec_from_text(TWO_STEPS), clip=("norm", 1.0), learning_rate=0.1)
    norm = math.sqrt(242)
    assert g.clip_scale == pytest.approx(1 / norm, rel=1e-15)
    assert g.clipped["rnn.U"][0, 0] == pytest.approx(12 / norm, rel=1e-15)
    assert g.clipped_norm == pytest.approx(1.0, rel=1e-15)
    # U ← 0.5 − 0.1·12/√242
    assert g.updated["rnn.U"][0, 0] == pytest.approx(0.5 - 0.1 * 12 / norm, rel=1e-15)
    g = backprop(spec_from_text(TWO_STEPS), clip=("value", 2.5), learning_rate=0.1)
    assert {k: v.tolist() for k, v in g.clipped.items()} == \
        {"rnn.W": [[2.5]], "rnn.U": [[2.5]], "rnn.b": [2.5], "out.W": [[2.0]], "out.b": [2.0]}
    assert g.clipped_entries == 3
    assert g.updated["out.W"].tolist() == [[3.0 - 0.1 * 2.0]]
    unclipped = backprop(spec_from_text(TWO_STEPS), learning_rate=0.1)
    assert unclipped.clipped is None and unclipped.updated["rnn.U"].tolist() == [[0.5 - 0.1 * 12]]


def test_cross_entropy_by_hand():
    spec = spec_from_text("""
inputs: [1]
layers:
  - {name: out, type: dense, size: 2, activation: softmax, labels: [yes, no], W: [[1], [0]], b: 0}
train: {loss: cross_entropy, targets: [no]}
""")
    g = backprop(spec)
    # z = [1, 0]; y = [e/(e+1), 1/(e+1)]; L = −log y[no] = log(e + 1); dL/dz = y − [0, 1]
    e = math.e
    assert g.loss == pytest.approx(math.log(e + 1), rel=1e-15)
    assert g.gradients["out.b"] == pytest.approx([e / (e + 1), 1 / (e + 1) - 1], rel=1e-15)
    assert g.steps[0].label == "no" and g.steps[0].target == 1
    assert g.steps[0].dy[1] == pytest.approx(-(e + 1), rel=1e-15)


def test_cross_entropy_stays_finite_where_the_label_probability_underflows():
    spec = spec_from_text("""
inputs: [1]
layers:
  - {name: out, type: dense, size: 2, activation: softmax, W: [[800], [0]], b: 0}
train: {loss: cross_entropy, targets: [1]}
""")
    g = backprop(spec)
    # y[1] = e^−800 / (1 + e^−800) rounds to 0, but L = log(1 + e^800) ≈ 800
    assert g.loss == pytest.approx(800.0, rel=1e-15)
    assert g.gradients["out.W"].tolist() == [[1.0], [-1.0]]


def test_cross_entropy_on_a_jordan_output_stays_finite_where_the_label_probability_underflows():
    spec = spec_from_text("""
inputs: [1]
layers:
  - name: j
    type: jordan
    size: 1
    activation: linear
    W: 1
    U: 0
    b: 0
    output: {size: 2, activation: softmax, W: [[800], [0]], b: 0}
train: {loss: cross_entropy, targets: [1]}
""")
    g = backprop(spec)
    # h = 1, z_out = [800, 0]: L = log(1 + e^800) ≈ 800 and dL/dz_out = y − [0, 1] = [1, −1]
    # (y[1] rounds to 0), so dL/dW_o = dz_out·h = [[1], [−1]] and dL/dW = W_oᵀ·dz_out = 800
    assert g.loss == pytest.approx(800.0, rel=1e-15)
    assert g.gradients["j.output.W"].tolist() == [[1.0], [-1.0]]
    assert g.gradients["j.W"].tolist() == [[800.0]]
    assert math.isfinite(g.norm)


@pytest.mark.parametrize("w", [1.0, 1.01, 0.99, 0.01])
def test_the_w999_toy(w):
    spec = rnntrace.load_spec(EXAMPLES / "toy_w999.yaml")
    spec = replace_parameters(spec, {"hidden.U": np.array([[w]])})
    trace = rnntrace.run(spec)
    assert len(trace) == 1000
    expected = w ** 999     # input 1 then 999 zeros: h_t = w^(t−1), y_1000 = w^999
    assert trace[999].y[0] == pytest.approx(expected, rel=1e-12, abs=1e-300)
    g = backprop(spec, trace)
    assert g.loss == pytest.approx(0.5 * (expected - 1) ** 2, rel=1e-12)
    # dL/dw = (w^999 − 1)·d(w^999)/dw = (w^999 − 1)·999·w^998
    assert g.gradients["hidden.U"][0, 0] == pytest.approx((expected - 1) * 999 * w ** 998, rel=1e-10, abs=1e-300)


def test_the_w999_toy_shows_the_lecture_numbers():
    spec = rnntrace.load_spec(EXAMPLES / "toy_w999.yaml")
    values = {}
    for w in (1.0, 1.01, 0.99):
        values[w] = rnntrace.run(replace_parameters(spec, {"hidden.U": np.array([[w]])}))[999].y[0]
    assert values[1.0] == 1.0
    assert 20_000 < values[1.01] < 21_000      # the lecture's ≈ 20,000 (1.01^999 ≈ 20,752)
    assert 0 < values[0.99] < 1e-4             # the lecture's ≈ 0


def test_the_clipping_example_jumps_far_without_clipping_and_not_with_it():
    spec = rnntrace.load_spec(EXAMPLES / "clip_norm.yaml")
    w = 1.2
    assert spec.layers[0].U[0, 0] == w and spec.train.clip == ("norm", 1.0)
    eta = spec.train.learning_rate
    plain = backprop(spec, learning_rate=eta)
    # y_20 = w^19 (input weight and output weight 1): dL/dw = (w^19 − 1)·19·w^18
    assert plain.gradients["hidden.U"][0, 0] == pytest.approx((w ** 19 - 1) * 19 * w ** 18, rel=1e-12)
    assert plain.updated["hidden.U"][0, 0] < -100          # far away
    clipped = backprop(spec, clip=spec.train.clip, learning_rate=eta)
    moved = clipped.updated["hidden.U"][0, 0] - w
    assert -eta <= moved < 0                               # at most η·θ, downhill
    total = math.sqrt(sum(float(np.sum((clipped.updated[k] - clipped.parameters[k]) ** 2))
                          for k in clipped.updated))
    assert total == pytest.approx(eta * 1.0, rel=1e-12)    # the whole step has length η·θ


def test_the_many_to_one_example_by_hand():
    # The lecture's LSTM unit (g and h linear, no U) over four steps, target 8 at step 4 only.
    xs = [(3, 1, 0), (4, 1, 0), (2, 0, 0), (1, 0, 1)]
    c, gates = 0.0, []
    for x1, x2, x3 in xs:
        i, f, o = sigmoid(100 * x2 - 10), sigmoid(100 * x2 + 10), sigmoid(100 * x3 - 10)
        c = x1 * i + c * f
        gates.append((i, f, o))
    o4 = gates[-1][2]
    y4 = c * o4
    # Backwards: dL/dy_4 = y_4 − 8; dL/dc_4 = dL/dy_4·σ(z_o); the cell carries it back,
    # dL/dc_(t−1) = dL/dc_t·σ(z_f); the cell input is linear, so dL/dz_t = dL/dc_t·σ(z_i).
    dc, dW, db, dcs = (y4 - 8) * o4, np.zeros(3), 0.0, []
    for x, (i, f, _) in zip(reversed(xs), reversed(gates)):
        dcs.append(dc)
        dW += dc * i * np.array(x, dtype=float)
        db += dc * i
        dc *= f
    g = backprop(rnntrace.load_spec(EXAMPLES / "many_to_one.yaml"))
    assert g.loss == pytest.approx(0.5 * (y4 - 8) ** 2, rel=1e-12)
    assert g.gradients["lstm.cell_input.W"][0] == pytest.approx(dW, rel=1e-12)
    assert g.gradients["lstm.cell_input.b"][0] == pytest.approx(db, rel=1e-12)
    # only step 4's output gate has a loss behind it: dL/dz_o = dL/dy_4·c_4·σ′(z_o)
    assert g.gradients["lstm.output_gate.b"][0] == pytest.approx((y4 - 8) * c * o4 * (1 - o4), rel=1e-10)
    assert [s.layers["lstm"].values["dc"][0] for s in g.steps] == pytest.approx(dcs, rel=1e-12)
    # what the file says: L ≈ 0.5005, dL/dy_4 ≈ −1.0005, dL/dW of the cell input ≈ −(3 + 4)
    assert round(g.loss, 4) == 0.5005 and round(g.steps[0].dy[0], 4) == -1.0005
    assert round(dW[0], 2) == -7.0


def test_the_slot_filling_training_example_by_hand():
    # The hidden values of slot_filling.yaml (worked out in test_lecture.py): h1 latches
    # "arrive", h2 = Taipei after arrive, h3 = November or 2nd; slot scores z = [4·h2, 4·h3, 2].
    hidden = [[1, 0, 0], [1, 1, 0], [1, 0, 0], [1, 0, 1], [1, 0, 1]]
    labels = [2, 0, 2, 1, 1]              # other, destination, other, time, time
    loss, db, dW, losses = 0.0, np.zeros(3), np.zeros((3, 3)), []
    for h, label in zip(hidden, labels):
        e = [math.exp(z) for z in (4 * h[1], 4 * h[2], 2)]
        y = [v / sum(e) for v in e]
        losses.append(-math.log(y[label]))
        dz = np.array(y) - np.eye(3)[label]       # softmax with cross-entropy
        db += dz
        dW += np.outer(dz, h)
    spec = rnntrace.load_spec(EXAMPLES / "slot_filling_train.yaml")
    g = backprop(spec, learning_rate=spec.train.learning_rate)
    assert g.loss == pytest.approx(sum(losses), rel=1e-12)
    assert [s.loss for s in g.steps] == pytest.approx(losses[::-1], rel=1e-12)     # last step first
    assert g.gradients["slot.b"] == pytest.approx(db, rel=1e-12, abs=1e-15)
    np.testing.assert_allclose(g.gradients["slot.W"], dW, rtol=1e-12, atol=1e-15)
    # what the file says: "other" wins at "arrive" and "on" with only e²/(e² + 2) ≈ 0.79,
    # and one step of 0.5 raises the bias of "other"
    assert round(math.exp(2) / (math.exp(2) + 2), 2) == 0.79
    assert max(losses) == losses[0] == losses[2]
    assert spec.train.learning_rate == 0.5 and db[2] < 0
    assert g.updated["slot.b"] == pytest.approx([0, 0, 2] - 0.5 * db, rel=1e-12, abs=1e-15)


def test_every_parameter_has_a_gradient_of_its_full_shape():
    rng = np.random.default_rng(4)
    spec = build(network(rng, [partial(lstm, size=3, peephole=True), partial(gru, size=2),
                               partial(jordan, size=2, out=2), partial(dense, size=2)]))
    g = backprop(spec)
    params = parameters(spec)
    assert list(g.gradients) == list(params)
    assert all(g.gradients[k].shape == params[k].shape for k in params)
    assert "lstm.input_gate.P" in g.gradients and "gru.candidate.b_h" in g.gradients
    assert "jordan.output.W" in g.gradients


def test_scalar_weights_get_full_matrices():
    spec = spec_from_text("""
inputs: [[1, 2], [3, 4]]
layers:
  - {name: rnn, type: elman, size: 3, W: 1, U: 0, b: 0}
train: {targets: [null, [1, 0, 0]]}
""")
    g = backprop(spec)
    assert g.gradients["rnn.W"].shape == (3, 2) and g.gradients["rnn.U"].shape == (3, 3)
    assert len(g.to_dict()["gradients"]["rnn.W"]) == 3


def bidirectional(rng, n_in):
    return {"type": "bidirectional", "forward": lstm(rng, n_in, size=2), "backward": elman(rng, n_in, size=2)}


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy"])
def test_json_follows_the_schema(loss):
    rng = np.random.default_rng(9)
    makers = [bidirectional, partial(gru, size=2), partial(jordan, size=2, out=2)]
    makers.append(partial(dense, size=3, activation="softmax" if loss == "cross_entropy" else "linear",
                          labels=["a", "b", "c"]))
    spec = build(network(rng, makers, loss=loss, sparse=True))
    for clip in (None, ("norm", 0.1), ("value", 0.01)):
        data = backprop(spec, clip=clip, learning_rate=0.5 if clip else None).to_dict()
        jsonschema.validate(data, SCHEMA)
        text = json.dumps(data, allow_nan=False)
        assert json.loads(text)["format"] == "rnntrace.grad/1"
        assert [s["t"] for s in data["steps"]] == [5, 4, 3, 2, 1]
        assert ("clipped" in data) == (clip is not None) and ("updated" in data) == (clip is not None)
        record = data["steps"][0]["layers"]["bidirectional"]
        assert set(record) == {"forward", "backward", "dh"}
        assert set(record["forward"]["gates"]) == {"cell_input", "input_gate", "forget_gate", "output_gate"}


def test_the_schema_rejects_a_wrong_document():
    data = backprop(spec_from_text(TWO_STEPS)).to_dict()
    jsonschema.validate(data, SCHEMA)
    for broken in ({**data, "format": "rnntrace.grad/2"}, {k: v for k, v in data.items() if k != "norm"},
                   {**data, "clip": {"norm": 1}}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_non_finite_gradients_become_null_in_json():
    spec = rnntrace.load_spec(EXAMPLES / "toy_w999.yaml")
    spec = replace_parameters(spec, {"hidden.U": np.array([[3.0]])})   # 3^999 overflows float64
    with np.errstate(all="ignore"):
        data = backprop(spec).to_dict()
    json.dumps(data, allow_nan=False)
    jsonschema.validate(data, SCHEMA)
    assert data["loss"] is None


MAKERS = [partial(elman, size=2), partial(lstm, size=2, peephole=True), partial(gru, size=2),
          partial(jordan, size=2, out=2), bidirectional]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["norm", "value"]),
       theta=st.floats(1e-3, 10.0), eta=st.floats(1e-3, 1.0), which=st.integers(0, len(MAKERS) - 1))
def test_clipping_invariants_on_random_networks(seed, kind, theta, eta, which):
    rng = np.random.default_rng(seed)
    spec = build(network(rng, [MAKERS[which], partial(dense, size=2)], steps=3))
    g = backprop(spec, clip=(kind, theta), learning_rate=eta)
    if kind == "norm":
        assert g.clipped_norm <= theta * (1 + 1e-12)
        # the direction is kept: clipped = s·g with one s for every entry
        scale = min(1.0, theta / g.norm)
        for k in g.gradients:
            np.testing.assert_allclose(g.clipped[k], g.gradients[k] * scale, rtol=1e-12, atol=1e-300)
    else:
        for k in g.gradients:
            assert np.all(np.abs(g.clipped[k]) <= theta)
            inside = np.abs(g.gradients[k]) <= theta
            assert np.array_equal(g.clipped[k][inside], g.gradients[k][inside])
    for k in g.parameters:
        np.testing.assert_allclose(g.updated[k], g.parameters[k] - eta * g.clipped[k], rtol=1e-15, atol=1e-15)
