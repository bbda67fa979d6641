"""--explain: the arithmetic written the way the lecture writes it.

Expected lines are the lecture's own hand arithmetic (LECTURE-EXAMPLES.md, examples 3
and 7: "(3*0) + (1*100) + (0*0) + (1*-10) = 90", "3 + 4 = 7") or are worked out by
hand here; the few values that are not whole numbers are computed in the test with
the math module, independently of the engine.
"""
import math
import re

import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.render.explain import as_text, record_lines, step_lines

from conftest import EXAMPLES, sigmoid


def explain_text(spec, t, layer=None, precision=4):
    """The arithmetic of step t, runs of spaces (the alignment) squeezed to one."""
    trace = rnntrace.run(spec)
    lines = step_lines(spec, trace[t - 1], None if layer is None else [layer], precision)
    return re.sub(r" +", " ", "\n".join(as_text(block) for _, block in lines))


@pytest.fixture(scope="module")
def lstm():
    return rnntrace.load_spec(EXAMPLES / "lstm_example.yaml")


def test_lecture_lstm_step_1(lstm):
    text = explain_text(lstm, 1)
    # x = [3, 1, 0]; the lecture: (3*1)+(1*0)+(0*0)+(1*0) = 3, linear g
    assert "z = 3·1 + 1·0 + 0·0 + 1·0 = 3 → g(3) = 3" in text
    # the issue's own line: z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1
    assert "z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1" in text
    assert "z_f = 3·0 + 1·100 + 0·0 + 1·10 = 110 → σ(110) = 1" in text
    # "the forget gate is 1 ... the cell is holding 3"
    assert "c = g·i + c_prev·f = 3·1 + 0·1 = 3" in text
    # σ(−10) is 4.5398e-05, which the lecture rounds to 0: both are shown
    s = f"{sigmoid(-10):.5g}"
    assert s == "4.5398e-05"
    assert f"z_o = 3·0 + 1·0 + 0·100 + 1·(−10) = −10 → σ(−10) = {s} (≈0)" in text
    # the output 3·σ(−10) = 1.3619e-4 (the lecture's table: exact output 1.3619e-4)
    assert f"h = h(c)·o = 3·{s} = {3 * sigmoid(-10):.5g}" in text
    assert f"{3 * sigmoid(-10):.5g}" == "0.00013619"


def test_lecture_lstm_step_2(lstm):
    text = explain_text(lstm, 2)
    assert "z = 4·1 + 1·0 + 0·0 + 1·0 = 4 → g(4) = 4" in text
    assert "z_i = 4·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1" in text
    # "the cell is holding 3 + 4 = 7"
    assert "c = g·i + c_prev·f = 4·1 + 3·1 = 7" in text


def test_saturated_sigmoid_is_marked_as_a_float64_value(lstm):
    # σ(90) is not 1, but float64 cannot tell: the line says so
    assert "σ(90) = 1 (in float64)" in explain_text(lstm, 1)


def test_forgetting_at_step_5(lstm):
    text = explain_text(lstm, 5)
    # x = [3, −1, 0]: z_f = −100 + 10 = −90, the forget gate closes
    assert "z_f = 3·0 + (−1)·100 + 0·0 + 1·10 = −90 → σ(−90) = " in text
    assert "z_i = 3·0 + (−1)·100 + 0·0 + 1·(−10) = −110" in text


def test_precision_changes_only_the_display(lstm):
    # the cell after step 4 is 6.9995006…: 4 decimals tell it from 7, 2 decimals round it to ≈7
    assert "= 6.9995" in explain_text(lstm, 4)
    two = explain_text(lstm, 4, precision=2)
    assert "= 7 (≈7)" not in two          # a rounded value keeps its digits beside it
    assert "(≈7)" in two


def test_basic_rnn_memory_as_extra_inputs(examples):
    spec = rnntrace.load_spec(examples / "basic_rnn.yaml")
    # the lecture: h = w1·x1 + a1 + w2·x2 + a2 = 1·1 + 0 + 1·1 + 0 = 2, then 2 + 2 = 4
    one = explain_text(spec, 1)
    assert "z[1] = 1·1 + 1·1 + 0·1 + 0·1 + 1·0 = 2 → h[1] = 2" in one
    assert "y[1] = 2·1 + 2·1 + 1·0 = 4" in one
    assert "← h = [2, 2]" in one
    # step 2: the memory holds 2 and 2: 1 + 1 + 2 + 2 = 6, output 12
    two = explain_text(spec, 2)
    assert "z[2] = 1·1 + 1·1 + 2·1 + 2·1 + 1·0 = 6 → h[2] = 6" in two
    assert "y[2] = 6·1 + 6·1 + 1·0 = 12" in two


def test_jordan_memory_is_the_last_output(examples):
    spec = rnntrace.load_spec(examples / "jordan.yaml")
    # W = [[1], [2]], U = 1, output y = h1 + h2; x = 1, 1, 2.
    # step 1: h = [1, 2], y = 3; step 2: z = [1 + 3, 2 + 3] = [4, 5], y = 9
    text = explain_text(spec, 2)
    assert "z[1] = 1·1 + 3·1 + 1·0 = 4 → h[1] = 4" in text
    assert "z[2] = 1·2 + 3·1 + 1·0 = 5 → h[2] = 5" in text
    assert "y = 4·1 + 5·1 + 1·0 = 9" in text
    assert "← y = [9]" in text


def test_wide_input_leaves_out_zero_terms_and_names_the_rest(examples):
    spec = rnntrace.load_spec(examples / "slot_filling.yaml")
    hidden = explain_text(spec, 2, layer="hidden")
    # "Taipei" is input 3; h2 = relu(W[2,3]·1 + U[2,1]·h1 + b2) = relu(1 + 1 − 1) = 1
    assert "z[2] = 1·1 (x3) + 1·1 (h1) + 1·(−1) = 1 → relu(1) = 1" in hidden
    assert "left out" in hidden


def test_softmax_names_labels_and_the_winner(examples):
    spec = rnntrace.load_spec(examples / "slot_filling.yaml")
    slot = explain_text(spec, 2, layer="slot")
    # after "arrive Taipei" the hidden values are [1, 1, 0]: z = [4, 0, 2]
    assert "z[destination] = 1·0 + 1·4 + 0·0 + 1·0 = 4" in slot
    assert "z[other] = 1·0 + 1·0 + 0·0 + 1·2 = 2" in slot
    e = [math.exp(4), math.exp(0), math.exp(2)]
    probs = ", ".join(f"{v / sum(e):.4f}".rstrip("0") for v in e)
    assert f"softmax(z) = [{probs}] → destination" in slot


def test_gru_update_is_shown_with_its_terms(examples):
    spec = rnntrace.load_spec(examples / "gru.yaml")
    trace = rnntrace.run(spec)
    layer = spec.layers[0]
    for step in trace:
        record = step.layers["gru"]
        u, n = record.gates["update_gate"].a[0], record.gates["candidate"].a[0]
        # the equation shown is the real one: (1 − u)·n + u·h_prev = h
        assert (1 - u) * n + u * record.h_prev[0] == pytest.approx(record.h[0], abs=1e-12)
        text = re.sub(r" +", " ", as_text(record_lines(layer, record, step.x, precision=4)))
        assert "(1 − u)·n + u·h_prev = (1 − " in text
        assert "z_r = " in text and "z_u = " in text and "z_n = " in text
    # step 1 by hand: x = [1, 1], h_prev = 0: z_r = 2 − 1 = 1, z_u = −10 + 5 = −5,
    # z_n = 1·1 + 0 + r·(0·1 + 0.5) with r = σ(1)
    first = re.sub(r" +", " ", as_text(record_lines(layer, trace[0].layers["gru"], trace[0].x)))
    assert "z_r = 1·0 + 1·2 + 0·0 + 1·(−1) = 1 → σ(1) = 0.7311" in first
    assert f"{sigmoid(1):.4f}" == "0.7311"
    assert "z_u = 1·0 + 1·(−10) + 0·0 + 1·5 = −5" in first
    assert "0.7311·(0·1 + 1·0.5) = " + f"{1 + sigmoid(1) * 0.5:.4f}" in first


def test_bidirectional_sum_shows_both_directions():
    spec = rnntrace.spec_from_dict({
        "inputs": [1, 2, 3, 4],
        "layers": [{"type": "bidirectional", "merge": "sum",
                    "forward": {"type": "elman", "size": 1, "activation": "linear", "W": 1, "U": 1},
                    "backward": {"type": "elman", "size": 1, "activation": "linear", "W": 1, "U": 1}}]})
    text = explain_text(spec, 1)
    # forward has read x_1 = 1; backward has read 4, 3, 2, 1: running total 10
    assert "→ z" in text and "← z" in text
    assert "← z = 1·1 + 9·1 + 1·0 = 10" in text
    assert "h→ + h← = 1 + 10 = 11" in text


def test_peephole_term_appears():
    spec = rnntrace.spec_from_dict({
        "inputs": [1, 1],
        "layers": [{"type": "lstm", "size": 1, "activation": "linear", "cell_activation": "linear",
                    "cell_input": {"W": 1}, "input_gate": {"W": 0, "P": -100, "b": 250},
                    "forget_gate": {"W": 0, "b": 100}, "output_gate": {"W": 0, "P": 100, "b": -250}}]})
    text = explain_text(spec, 2)
    # c_prev = 1 after step 1: z_i = 1·0 + c_prev·P + b = −100 + 250 = 150
    assert "z_i = 1·0 + 1·(−100) + 1·250 = 150" in text


def test_cli_explain(examples):
    result = CliRunner().invoke(main, ["run", str(examples / "lstm_example.yaml"), "--explain",
                                       "--steps", "1:2", "--width", "100"])
    assert result.exit_code == 0, result.output
    assert "3·0 + 1·100 + 0·0 + 1·(−10) = 90" in result.stdout
    assert "4·1 + 3·1 = 7" in result.stdout
    assert "Step 3 of 5" not in result.stdout


def test_projected_lstm_shows_every_unit_before_the_projection():
    """An LSTM with a projection (P = 2 outputs of 3 units): the three units' gates, c
    and m come first, then h = W_hr·m, each h[k] a sum over all three m worked out by
    hand from the m printed above it."""
    block = {"W": [[0.1, 0.2], [0.3, -0.1], [0.2, 0.2]], "U": [[0.1, 0.2], [0.3, -0.1], [0.2, 0.2]],
             "b": [0.1, 0, -0.1]}
    spec = rnntrace.spec_from_dict({
        "inputs": [[1.0, 0.5]],
        "layers": [{"type": "lstm", "size": 3, "projection": [[0.5, -0.2, 1.0], [0.1, 0.2, 0.3]],
                    **{b: block for b in ("cell_input", "input_gate", "forget_gate", "output_gate")}}]})
    lines = step_lines(spec, rnntrace.run(spec)[0], precision=17)[0][1]
    names = [lhs for lhs, _ in lines]
    assert names == [f"{q}[{u}]" for u in (1, 2, 3) for q in ("z", "z_i", "z_f", "c", "z_o", "m")] + ["h[1]", "h[2]"]
    m = []
    for u, zu in ((1, 1 * 0.1 + 0.5 * 0.2 + 0.1), (2, 1 * 0.3 + 0.5 * -0.1), (3, 1 * 0.2 + 0.5 * 0.2 - 0.1)):
        s = sigmoid(zu)
        m.append(math.tanh(math.tanh(zu) * s) * s)   # c = g·i (c_prev = 0), m = tanh(c)·o
    for k, row in enumerate(([0.5, -0.2, 1.0], [0.1, 0.2, 0.3])):
        rhs = dict(lines)[f"h[{k + 1}]"]
        assert float(rhs.rsplit("= ", 1)[1]) == pytest.approx(sum(w * v for w, v in zip(row, m)), abs=1e-15)


def test_legends_say_which_terms_each_sum_has(examples):
    """The legend is read from the formulas, so it names only the weights a spec gives:
    gru_reset_before.yaml's gates have no U (their sums are x·W and b only), a Jordan
    layer's output sum is written too, and the lecture's LSTM, without U, says so."""
    from rnntrace.layers import legend
    gru = rnntrace.load_spec(EXAMPLES / "gru_reset_before.yaml").layers[0]
    assert all("U" not in gru.blocks[b].parameters() for b in ("reset_gate", "update_gate"))
    assert legend(gru) == "z_r, z_u = Σ x·W + 1·b; z_n = Σ x·W + Σ (r·h_prev)·U + 1·b"
    jordan = rnntrace.load_spec(EXAMPLES / "jordan.yaml").layers[0]
    assert legend(jordan) == ("z = Σ x·W + Σ y_prev·U + 1·b: the last output y_prev is one more input; "
                              "z_out = Σ h·W_o + 1·b_o")
    lstm = rnntrace.load_spec(EXAMPLES / "lstm_example.yaml").layers[0]
    assert legend(lstm) == "z, z_i, z_f, z_o = Σ x·W + 1·b"
    spec = rnntrace.spec_from_dict({"inputs": [[1.0]], "layers": [
        {"type": "indrnn", "size": 2, "W": [[1], [2]], "u": [0.5, 0.5]},
        {"type": "gru", "size": 1, **{b: {"W": [[1, 1]], "U": [[1]], "b": [0], "b_h": [0]}
                                      for b in ("reset_gate", "update_gate", "candidate")}}]})
    assert legend(spec.layers[0]) == "z = Σ x·W + h_prev·u + 1·b: each unit reads only its own last value"
    assert legend(spec.layers[1]) == ("z_r, z_u = Σ x·W + Σ h_prev·U + 1·b + 1·b_h; "
                                      "z_n = Σ x·W + 1·b + r·(Σ h_prev·U + 1·b_h)")
