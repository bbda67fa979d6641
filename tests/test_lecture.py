"""The lecture's examples (LECTURE-EXAMPLES.md), each worked out by hand in the test.

Expected values are computed here from the lecture's formulas with math.exp and
plain arithmetic, never copied from rnntrace's own output.
"""
import math

import numpy as np
import pytest

import rnntrace
from rnntrace.spec import spec_from_dict

from conftest import sigmoid as sigma


def run(examples, name):
    return rnntrace.run(rnntrace.load_spec(examples / name))


def close(actual, expected, rel=1e-12):
    """Relative agreement to 1e-12 (absolute near zero would let 5.7e-39 pass as 0)."""
    actual = float(np.asarray(actual).reshape(-1)[0]) if np.ndim(actual) else float(actual)
    if expected == 0.0:
        return actual == 0.0
    return abs(actual - expected) <= rel * abs(expected)


# --------------------------------------------------------------------------- example 7: LSTM

# The lecture's weights: z = x1; z_i = 100·x2 − 10; z_f = 100·x2 + 10; z_o = 100·x3 − 10.
LSTM_INPUTS = [(3, 1, 0), (4, 1, 0), (2, 0, 0), (1, 0, 1), (3, -1, 0)]


def lecture_lstm_by_hand():
    """Each step of the lecture's LSTM table, written out with exact sigmoids."""
    # step 1: x = [3, 1, 0]; z = 3, z_i = 90, z_f = 110, z_o = −10; c_prev = 0
    c1 = 3 * sigma(90) + 0 * sigma(110)
    h1 = c1 * sigma(-10)
    # step 2: x = [4, 1, 0]; z = 4, z_i = 90, z_f = 110, z_o = −10
    c2 = 4 * sigma(90) + c1 * sigma(110)
    h2 = c2 * sigma(-10)
    # step 3: x = [2, 0, 0]; z = 2, z_i = −10, z_f = 10, z_o = −10: nothing written, kept
    c3 = 2 * sigma(-10) + c2 * sigma(10)
    h3 = c3 * sigma(-10)
    # step 4: x = [1, 0, 1]; z = 1, z_i = −10, z_f = 10, z_o = 90: the output gate opens
    c4 = 1 * sigma(-10) + c3 * sigma(10)
    h4 = c4 * sigma(90)
    # step 5: x = [3, −1, 0]; z = 3, z_i = −110, z_f = −90, z_o = −10: forgotten
    c5 = 3 * sigma(-110) + c4 * sigma(-90)
    h5 = c5 * sigma(-10)
    gates = [  # (z, z_i, z_f, z_o) per step
        (3, 90, 110, -10), (4, 90, 110, -10), (2, -10, 10, -10), (1, -10, 10, 90), (3, -110, -90, -10)]
    return [c1, c2, c3, c4, c5], [h1, h2, h3, h4, h5], gates


def test_lstm_example_matches_the_exact_lecture_values(examples):
    trace = run(examples, "lstm_example.yaml")
    cells, outputs, gates = lecture_lstm_by_hand()
    assert len(trace) == 5
    for step, c, h, (z, zi, zf, zo), x in zip(trace, cells, outputs, gates, LSTM_INPUTS):
        record = step.layers["lstm"]
        assert list(step.x) == list(x)
        g = record.gates
        for name, zz in (("cell_input", z), ("input_gate", zi), ("forget_gate", zf), ("output_gate", zo)):
            assert g[name].z[0] == zz, (step.t, name)
        assert g["cell_input"].a[0] == z                      # g is linear
        for name, zz in (("input_gate", zi), ("forget_gate", zf), ("output_gate", zo)):
            assert close(g[name].a, sigma(zz)), (step.t, name)
        assert close(record.c, c), step.t
        assert close(record.h, h), step.t
        assert close(step.y, h), step.t


def test_lstm_example_chains_its_memory(examples):
    trace = run(examples, "lstm_example.yaml")
    assert trace[0].layers["lstm"].c_prev[0] == 0.0
    for before, after in zip(trace, trace[1:]):
        assert after.layers["lstm"].c_prev[0] == before.layers["lstm"].c[0]
        assert after.layers["lstm"].h_prev[0] == before.layers["lstm"].h[0]


def test_lstm_example_agrees_with_the_lecture_table_as_printed(examples):
    # LECTURE-EXAMPLES.md prints the exact column to a few digits; the lecture itself
    # rounds to 3, 7, 7, 7, 0 and 0, 0, 0, 7, 0.
    trace = run(examples, "lstm_example.yaml")
    c = [s.layers["lstm"].c[0] for s in trace]
    y = [s.y[0] for s in trace]
    assert c[:2] == pytest.approx([3, 7], rel=1e-4)
    assert c[2] == pytest.approx(6.999773, abs=5e-7)
    assert c[3] == pytest.approx(6.999501, abs=5e-7)
    assert c[4] == pytest.approx(5.7e-39, rel=0.01)
    assert y[:4] == pytest.approx([1.3619e-4, 3.1779e-4, 3.1777e-4, 6.999501], rel=1e-4)
    assert y[4] == pytest.approx(2.6e-43, rel=0.02)
    assert [round(v) for v in c] == [3, 7, 7, 7, 0]
    assert [round(v) for v in y] == [0, 0, 0, 7, 0]
    # …and none of the rounded values is exact: σ(90) < 1 and σ(−10) > 0.
    assert all(v != round(v) for v in y)


def test_lstm_hard_sigmoid_gives_the_lecture_integers_exactly(examples):
    trace = run(examples, "lstm_hard_sigmoid.yaml")
    assert trace.spec.layers[0].gate_activation == "hard_sigmoid"
    # clip(0.2·z + 0.5, 0, 1): z = 90 → 18.5 → 1; z = −10 → −1.5 → 0; z = 10 → 2.5 → 1
    assert [s.layers["lstm"].c[0] for s in trace] == [3.0, 7.0, 7.0, 7.0, 0.0]
    assert [s.y[0] for s in trace] == [0.0, 0.0, 0.0, 7.0, 0.0]
    opened = {"input_gate": [1, 1, 0, 0, 0], "forget_gate": [1, 1, 1, 1, 0], "output_gate": [0, 0, 0, 1, 0]}
    for name, expected in opened.items():
        assert [s.layers["lstm"].gates[name].a[0] for s in trace] == expected, name


def test_hard_sigmoid_between_the_clips():
    # Keras 2's hard sigmoid is linear between −2.5 and 2.5: 0.2·1 + 0.5 = 0.7.
    spec = spec_from_dict({
        "inputs": [1, -1, 3],
        "layers": [{"type": "lstm", "size": 1, "gate_activation": "hard_sigmoid",
                    "activation": "linear", "cell_activation": "linear",
                    "cell_input": {"W": 1}, "input_gate": {"W": 1}, "forget_gate": {"W": 0},
                    "output_gate": {"W": 1}}]})
    gates = [s.layers["lstm"].gates["input_gate"].a[0] for s in rnntrace.run(spec)]
    assert gates == pytest.approx([0.7, 0.3, 1.0], abs=1e-15)


# --------------------------------------------------------------------------- example 8: LSTM units for neurons

LSTM_BLOCKS = ("cell_input", "input_gate", "forget_gate", "output_gate")


def test_a_layer_of_lstm_units_takes_its_input_four_times():
    # 3 units on 5 inputs. A plain (Elman) layer: W 3×5 + U 3×3 + b 3 = 27 weights. A layer
    # of LSTM units has four such sets, one per block: 4·27 = 108.
    x = [1, 2, 3, 4, 5]
    plain = rnntrace.run(spec_from_dict({"inputs": [x], "layers": [
        {"type": "elman", "size": 3, "W": 1, "U": 1, "b": 0}]}))
    weights = {block: k + 1 for k, block in enumerate(LSTM_BLOCKS)}        # W = 1, 2, 3, 4
    lstm = rnntrace.run(spec_from_dict({"inputs": [x], "layers": [
        {"type": "lstm", "size": 3, **{block: {"W": w, "U": 1, "b": 0} for block, w in weights.items()}}]}))
    assert plain.to_dict()["layers"][0]["parameters"] == 3 * 5 + 3 * 3 + 3 == 27
    assert lstm.to_dict()["layers"][0]["parameters"] == 4 * 27
    # the same x = [1, …, 5] reaches every block, through its own weights: z = w·(1 + 2 + 3 + 4 + 5)
    gates = lstm[0].layers["lstm"].gates
    for block, w in weights.items():
        assert gates[block].z.tolist() == [w * 15.0] * 3, block


# --------------------------------------------------------------------------- example 3: basic RNN

def basic_rnn_by_hand(inputs):
    """Every weight 1, linear: hidden_j = x1 + x2 + m1 + m2, output_k = h1 + h2."""
    memory = [0.0, 0.0]
    hidden_values, outputs = [], []
    for x1, x2 in inputs:
        h = x1 + x2 + memory[0] + memory[1]
        hidden_values.append([h, h])
        outputs.append([h + h, h + h])
        memory = [h, h]
    return hidden_values, outputs


def test_basic_rnn_lecture_table(examples):
    trace = run(examples, "basic_rnn.yaml")
    hidden, outputs = basic_rnn_by_hand([(1, 1), (1, 1), (2, 2)])
    assert hidden == [[2, 2], [6, 6], [16, 16]]        # the lecture's table
    assert outputs == [[4, 4], [12, 12], [32, 32]]
    assert [s.layers["hidden"].h.tolist() for s in trace] == hidden
    assert [s.layers["hidden"].h_prev.tolist() for s in trace] == [[0, 0]] + hidden[:-1]
    assert [s.y.tolist() for s in trace] == outputs


def test_basic_rnn_reordered_changes_the_output(examples):
    trace = run(examples, "basic_rnn_reordered.yaml")
    original = rnntrace.load_spec(examples / "basic_rnn.yaml")
    # the same inputs, in another order
    assert sorted(map(tuple, trace.spec.inputs.tolist())) == sorted(map(tuple, original.inputs.tolist()))
    assert trace.spec.inputs.tolist() != original.inputs.tolist()
    hidden, outputs = basic_rnn_by_hand(trace.spec.inputs.tolist())
    assert outputs == [[8, 8], [20, 20], [44, 44]]     # 2+2 = 4 → 8; 2+4+4 = 10 → 20; 2+10+10 = 22 → 44
    assert [s.layers["hidden"].h.tolist() for s in trace] == hidden
    assert [s.y.tolist() for s in trace] == outputs


# --------------------------------------------------------------------------- example 4: Elman and Jordan

def test_elman_by_hand(examples):
    trace = run(examples, "elman.yaml")
    # h = [1, 2]·x + h_prev (U is the identity); y = h1 + h2; inputs 1, 1, 2
    h, expected_h, expected_y = [0.0, 0.0], [], []
    for x in (1, 1, 2):
        h = [1 * x + h[0], 2 * x + h[1]]
        expected_h.append(h)
        expected_y.append(h[0] + h[1])
    assert expected_h == [[1, 2], [2, 4], [4, 8]] and expected_y == [3, 6, 12]
    assert [s.layers["hidden"].h.tolist() for s in trace] == expected_h
    assert [s.layers["hidden"].h_prev.tolist() for s in trace] == [[0, 0], [1, 2], [2, 4]]
    assert [s.y[0] for s in trace] == expected_y


def test_jordan_by_hand(examples):
    trace = run(examples, "jordan.yaml")
    # h = [1, 2]·x + [1, 1]·y_prev; y = h1 + h2; the memory is y, not h
    y, expected_h, expected_y = 0.0, [], []
    for x in (1, 1, 2):
        h = [1 * x + y, 2 * x + y]
        y = h[0] + h[1]
        expected_h.append(h)
        expected_y.append(y)
    assert expected_h == [[1, 2], [4, 5], [11, 13]] and expected_y == [3, 9, 24]
    records = [s.layers["jordan"] for s in trace]
    assert [r.y_prev.tolist() for r in records] == [[0], [3], [9]]
    assert [r.z.tolist() for r in records] == expected_h        # linear: z = h
    assert [r.h.tolist() for r in records] == expected_h
    assert [r.y[0] for r in records] == expected_y
    assert [s.y[0] for s in trace] == expected_y


def test_elman_and_jordan_share_inputs_and_weights(examples):
    elman = rnntrace.load_spec(examples / "elman.yaml")
    jordan = rnntrace.load_spec(examples / "jordan.yaml")
    assert np.array_equal(elman.inputs, jordan.inputs)
    assert np.array_equal(elman.layers[0].W, jordan.layers[0].W)
    assert np.array_equal(elman.layers[1].W, jordan.layers[0].output.W)


def test_jordan_with_tanh_and_an_output_bias_by_hand():
    spec = spec_from_dict({
        "inputs": [[1, 0], [0, 1]],
        "layers": [{"type": "jordan", "size": 1, "activation": "tanh", "W": [0.5, -1], "U": [2], "b": 0.1,
                    "initial": 0.25,
                    "output": {"size": 1, "activation": "sigmoid", "W": 3, "b": -1}}]})
    trace = rnntrace.run(spec)
    # step 1: z = 0.5·1 − 1·0 + 2·0.25 + 0.1 = 1.1; h = tanh(1.1); y = σ(3·h − 1)
    h1 = math.tanh(0.5 + 2 * 0.25 + 0.1)
    y1 = sigma(3 * h1 - 1)
    # step 2: z = 0.5·0 − 1·1 + 2·y1 + 0.1
    h2 = math.tanh(-1 + 2 * y1 + 0.1)
    y2 = sigma(3 * h2 - 1)
    records = [s.layers["jordan"] for s in trace]
    assert records[0].y_prev[0] == 0.25
    assert close(records[0].h, h1) and close(records[0].y, y1)
    assert close(records[1].y_prev, y1) and close(records[1].h, h2) and close(records[1].y, y2)


# --------------------------------------------------------------------------- example 5: bidirectional

def test_bidirectional_example_running_totals(examples):
    trace = run(examples, "bidirectional.yaml")
    xs = [1, 2, 3, 4]
    for t, step in enumerate(trace, start=1):
        record = step.layers["birnn"]
        forward = sum(xs[:t])          # has read x_1 … x_t
        backward = sum(xs[t - 1:])     # has read x_T … x_t
        assert record.forward.h.tolist() == [forward]
        assert record.backward.h.tolist() == [backward]
        assert record.h.tolist() == [forward, backward]            # concat
        assert step.y.tolist() == [forward + backward]
    assert [s.y[0] for s in trace] == [11, 12, 13, 14]


def _bidirectional(merge):
    # Backward U = 0.5 makes the reading order visible: h_t = x_t + 0.5·h_{t+1}.
    return spec_from_dict({
        "inputs": [1, 2, 4],
        "layers": [{"type": "bidirectional", "merge": merge,
                    "forward": {"type": "elman", "size": 1, "activation": "linear", "W": 1, "U": 1},
                    "backward": {"type": "elman", "size": 1, "activation": "linear", "W": 1, "U": 0.5}}]})


@pytest.mark.parametrize("merge", ["concat", "sum", "mean"])
def test_bidirectional_reads_backwards_and_merges(merge):
    trace = rnntrace.run(_bidirectional(merge))
    forward = [1, 1 + 2, 1 + 2 + 4]
    # backward: after x3: 4; after x3, x2: 2 + 0.5·4 = 4; after x3, x2, x1: 1 + 0.5·4 = 3
    backward = [1 + 0.5 * (2 + 0.5 * 4), 2 + 0.5 * 4, 4]
    assert backward == [3, 4, 4]
    for t, step in enumerate(trace):
        record = step.layers["bidirectional"]
        assert record.forward.h[0] == forward[t] and record.backward.h[0] == backward[t]
        assert record.backward.h_prev[0] == (backward[t + 1] if t + 1 < 3 else 0)
        merged = {"concat": [forward[t], backward[t]], "sum": [forward[t] + backward[t]],
                  "mean": [(forward[t] + backward[t]) / 2]}[merge]
        assert record.h.tolist() == merged
        assert step.y.tolist() == merged


# --------------------------------------------------------------------------- example 1: 1-of-N

def test_one_of_n_vectors(examples):
    trace = run(examples, "one_of_n.yaml")
    words = ["apple", "bag", "cat", "dog", "elephant"]
    expected = {w: [1.0 if j == i else 0.0 for j in range(6)] for i, w in enumerate(words)}
    expected["batman"] = expected["superman"] = [0, 0, 0, 0, 0, 1]
    assert expected["apple"] == [1, 0, 0, 0, 0, 0]
    assert [s.token for s in trace] == ["apple", "bag", "batman", "cat", "superman", "dog", "elephant"]
    for step in trace:
        assert step.x.tolist() == expected[step.token], step.token
        label = "other" if step.token in ("batman", "superman") else "lexicon"
        assert step.layers["word"].label == label


def test_one_of_n_without_other_rejects_unknown_words():
    from rnntrace.errors import SpecError
    with pytest.raises(SpecError, match="batman.*not in the lexicon"):
        spec_from_dict({"lexicon": {"words": ["apple", "bag"]}, "inputs": "apple batman",
                        "layers": [{"type": "dense", "size": 1, "W": 1}]})


# --------------------------------------------------------------------------- example 2: slot filling

def softmax(zs):
    exps = [math.exp(z) for z in zs]
    return [e / sum(exps) for e in exps]


@pytest.mark.parametrize("name, first, taipei", [
    ("slot_filling.yaml", "arrive", "destination"),
    ("slot_filling_leave.yaml", "leave", "other"),
])
def test_slot_filling(examples, name, first, taipei):
    trace = run(examples, name)
    assert [s.token for s in trace] == [first, "Taipei", "on", "November", "2nd"]
    assert [s.layers["slot"].label for s in trace] == ["other", taipei, "other", "time", "time"]
    # By hand, with the weights the file explains: h1 latches "arrive", h2 = relu(Taipei + h1_prev − 1),
    # h3 = November or 2nd; slot scores z = [4·h2, 4·h3, 2].
    h1 = 0.0
    for step in trace:
        word = step.token
        h1_prev = h1
        h1 = max(0.0, (word == "arrive") + h1_prev)
        h2 = max(0.0, (word == "Taipei") + h1_prev - 1)
        h3 = max(0.0, float(word in ("November", "2nd")))
        assert step.layers["hidden"].h.tolist() == [h1, h2, h3], word
        p = softmax([4 * h2, 4 * h3, 2])
        assert step.y == pytest.approx(p, rel=1e-12), word
    # The word "Taipei" is encoded the same way in both sentences: only the memory differs.
    assert trace[1].x.tolist() == [0, 0, 1, 0, 0, 0, 0]


def test_slot_filling_needs_memory(examples):
    """With the memory cut (U = 0) the two sentences give Taipei the same answer."""
    import dataclasses
    answers = []
    for name in ("slot_filling.yaml", "slot_filling_leave.yaml"):
        spec = rnntrace.load_spec(examples / name)
        hidden = dataclasses.replace(spec.layers[0], U=np.zeros_like(spec.layers[0].U))
        spec = dataclasses.replace(spec, layers=(hidden,) + spec.layers[1:])
        answers.append(rnntrace.run(spec)[1].y.tolist())
    assert answers[0] == answers[1]
