"""check --follow-through: an answer worked correctly from the student's own earlier
wrong value counts as right, on hand-made cases of every layer type.

Every network here is small enough that its exact values and the values that follow
from a student's slip are worked out by hand in the comments and the test."""
import json
import math

import jsonschema
import pytest
from click.testing import CliRunner

import rnntrace
import rnntrace.bundled
from rnntrace.grading.answers import Policy, Reference, answers_from_text, check
from rnntrace.cli import main
from rnntrace.grading.followthrough import FollowThrough
from rnntrace.spec import load_spec

from conftest import schema
from conftest import sigmoid as sigma


def grade(spec_text, answers_text, tmp_path, follow=True):
    path = tmp_path / "spec.yaml"
    path.write_text(spec_text, encoding="utf-8")
    spec = load_spec(str(path))
    reference = Reference.from_trace(rnntrace.run(spec), "spec.yaml")
    policy = Policy(follow=FollowThrough(spec, reference) if follow else None)
    result = check(answers_text if not isinstance(answers_text, str) else
                   answers_from_text(answers_text, reference), reference, policy=policy)
    return {(v.t, v.quantity): v for v in result.verdicts}


def verdicts(by):
    return {key: ("follows" if v.follows else v.status) for key, v in by.items()}


# --------------------------------------------------------------------------- Elman

ELMAN = """inputs: [1, 1, 1]
layers:
  - {name: hidden, type: elman, size: 1, activation: linear, W: 1, U: 2, b: 0}
"""
# exact: h = 1, 1 + 2·1 = 3, 1 + 2·3 = 7. The student's h_1 = 2 (a slip), then
# h_2 = 1 + 2·2 = 5 and h_3 = 1 + 2·5 = 11 carry it forward.
ELMAN_ANSWERS = "steps:\n  1: {h: 2}\n  2: {h: 5, h_prev: 2, z: 5}\n  3: {h: 11}\n"


def test_elman_memory_carries_the_students_h(tmp_path):
    by = grade(ELMAN, ELMAN_ANSWERS, tmp_path)
    assert verdicts(by) == {(1, "hidden.h"): "wrong", (2, "hidden.h"): "follows", (2, "hidden.h_prev"): "follows",
                            (2, "hidden.z"): "follows", (3, "hidden.h"): "follows"}
    assert by[(2, "hidden.h_prev")].follows == "your hidden.h at step 1"
    # z reads the memory, which is their h at step 1, never their answer for h_prev itself
    assert by[(2, "hidden.z")].follows == "your hidden.h at step 1"
    assert by[(3, "hidden.h")].recomputed == (11.0,) and by[(3, "hidden.h")].exact == (7.0,)
    assert by[(3, "hidden.h")].right


def test_without_the_flag_nothing_changes(tmp_path):
    by = grade(ELMAN, ELMAN_ANSWERS, tmp_path, follow=False)
    assert set(verdicts(by).values()) == {"wrong"}


def test_an_answer_that_follows_from_nothing_stays_wrong(tmp_path):
    # h_2 = 6 is neither the exact 3 nor the 5 that follows from their h_1 = 2
    by = grade(ELMAN, "steps:\n  1: {h: 2}\n  2: {h: 6}\n", tmp_path)
    assert verdicts(by) == {(1, "hidden.h"): "wrong", (2, "hidden.h"): "wrong"}


def test_a_chain_through_unanswered_steps(tmp_path):
    # nothing at step 2: their h_2 is 5 by their h_1, so h_3 = 11 follows
    by = grade(ELMAN, "steps:\n  1: {h: 2}\n  3: {h: 11}\n", tmp_path)
    assert by[(3, "hidden.h")].follows == "your hidden.h at step 1"


# --------------------------------------------------------------------------- Jordan

JORDAN = """inputs: [1, 1]
layers:
  - name: jordan
    type: jordan
    size: 1
    activation: linear
    W: 1
    U: 1
    output: {size: 1, W: 2, b: 0, activation: linear}
"""
# exact: z_1 = h_1 = 1, y_1 = 2; z_2 = 1 + 1·2 = 3, h_2 = 3, y_2 = 6.
# The student's y_1 = 3; then y_prev = 3, z_2 = 1 + 3 = 4, h_2 = 4, z_out = y_2 = 8.


def test_jordan_memory_is_the_students_output(tmp_path):
    by = grade(JORDAN, "steps:\n  1: {y: 3}\n  2: {y_prev: 3, jordan.z: 4, jordan.h: 4, z_out: 8, jordan.y: 8}\n",
               tmp_path)
    assert verdicts(by) == {(1, "y"): "wrong", (2, "jordan.y_prev"): "follows", (2, "jordan.z"): "follows",
                            (2, "jordan.h"): "follows", (2, "jordan.z_out"): "follows", (2, "jordan.y"): "follows"}
    assert by[(2, "jordan.y_prev")].follows == "your y at step 1"
    assert by[(2, "jordan.y")].follows == "your jordan.z_out at step 2"


# --------------------------------------------------------------------------- LSTM

LSTM = """inputs: [2, 4]
layers:
  - name: lstm
    type: lstm
    size: 1
    activation: linear
    cell_activation: linear
    cell_input:  {W: 1, b: 0}
    input_gate:  {W: 0, b: 0}
    forget_gate: {W: 0, b: 0}
    output_gate: {W: 0, b: 0}
"""
# Every gate is σ(0) = 1/2. Exact: c_1 = 2·½ + 0·½ = 1, h_1 = ½; c_2 = 4·½ + 1·½ = 2.5,
# h_2 = 1.25. The student takes σ(0) = 1 for the input gate at step 1: c_1 = 2·1 = 2,
# h_1 = 2·½ = 1; then c_prev = 2, c_2 = 4·½ + 2·½ = 3, h_2 = 1.5.


def test_lstm_cell_from_the_students_gate_and_memory(tmp_path):
    text = ("steps:\n  1: {input_gate.a: 1, c: 2, h: 1}\n"
            "  2: {c_prev: 2, c: 3, h: 1.5}\n")
    by = grade(LSTM, text, tmp_path)
    assert verdicts(by) == {(1, "lstm.gates.input_gate.a"): "wrong", (1, "lstm.c"): "follows",
                            (1, "lstm.h"): "follows", (2, "lstm.c_prev"): "follows", (2, "lstm.c"): "follows",
                            (2, "lstm.h"): "follows"}
    assert by[(1, "lstm.c")].follows == "your lstm.gates.input_gate.a at step 1"
    assert by[(2, "lstm.c_prev")].follows == "your lstm.c at step 1"
    assert by[(2, "lstm.h")].recomputed == (1.5,) and by[(2, "lstm.h")].exact == (1.25,)


def test_lstm_gate_activation_from_the_students_z(tmp_path):
    # z_i at step 2 is 0 (W 0, b 0); a student who wrote 1 and then σ(1) = 0.7311
    by = grade(LSTM, f"steps:\n  2: {{input_gate.z: 1, input_gate.a: {sigma(1):.4f}}}\n", tmp_path)
    assert verdicts(by) == {(2, "lstm.gates.input_gate.z"): "wrong", (2, "lstm.gates.input_gate.a"): "follows"}
    assert by[(2, "lstm.gates.input_gate.a")].recomputed == pytest.approx((sigma(1),), rel=1e-12)


def test_the_lectures_lstm_on_the_command_line(tmp_path):
    # the lecture's unit: c_2 = 4 + 3 = 7; a student's c_2 = 8 carries to
    # c_3 = 2·σ(−10) + 8·σ(10) ≈ 8, and their h_3 = c_3·σ(−10) stays ≈ 0.
    path = tmp_path / "a.yaml"
    path.write_text("steps:\n  2: {c: 8}\n  3: {c: 8}\n", encoding="utf-8")
    plain = CliRunner().invoke(main, ["check", "lstm_example.yaml", str(path)], env={"COLUMNS": "100"})
    follow = CliRunner().invoke(main, ["check", "lstm_example.yaml", str(path), "--follow-through"],
                                env={"COLUMNS": "100"})
    assert plain.stdout.count("WRONG") == 2 and "1 of 2" not in plain.stdout
    assert follow.stdout.count("WRONG") == 1 and "right (follows)" in follow.stdout
    assert "step 3 lstm.c: right (follows from your lstm.c at step 2, recomputed: 7.9997)" in follow.stdout
    expected = 2 * sigma(-10) + 8 * sigma(10)
    report = json.loads(CliRunner().invoke(main, ["check", "lstm_example.yaml", str(path), "--follow-through",
                                                  "--format", "json"]).stdout)
    jsonschema.validate(report, schema("check.json"))
    second = report["files"][0]["answers"][1]
    assert second["right"] and second["follows"] == "your lstm.c at step 2"
    assert second["recomputed"] == [pytest.approx(expected, rel=1e-12)]


def test_lstm_peephole_gate_reads_the_students_cell(tmp_path):
    spec = """inputs: [1, 1]
layers:
  - name: lstm
    type: lstm
    size: 1
    activation: linear
    cell_activation: linear
    gate_activation: hard_sigmoid
    cell_input:  {W: 1, b: 0}
    input_gate:  {W: 0, b: 0}
    forget_gate: {W: 0, b: 0, P: 1}
    output_gate: {W: 0, b: 5}
"""
    # hard σ(0) = 0.5, hard σ(5) = 1. Exact: c_1 = 1·0.5 + 0 = 0.5; step 2: z_f = 1·c_prev
    # = 0.5, f = clip(0.2·0.5 + 0.5) = 0.6, c_2 = 0.5 + 0.5·0.6 = 0.8. A student with
    # c_1 = 1: z_f = 1, f = 0.7, c_2 = 0.5 + 1·0.7 = 1.2.
    by = grade(spec, "steps:\n  1: {c: 1}\n  2: {forget_gate.z: 1, forget_gate.a: 0.7, c: 1.2}\n", tmp_path)
    assert verdicts(by) == {(1, "lstm.c"): "wrong", (2, "lstm.gates.forget_gate.z"): "follows",
                            (2, "lstm.gates.forget_gate.a"): "follows", (2, "lstm.c"): "follows"}


# --------------------------------------------------------------------------- GRU

GRU = """inputs: [2, 2]
layers:
  - name: gru
    type: gru
    size: 1
    activation: linear
    reset_gate:  {W: 0, U: 0, b: 0}
    update_gate: {W: 0, U: 0, b: 0}
    candidate:   {W: 1, U: 1, b: 0}
"""
# r = u = σ(0) = ½; n = x + r·(U·h_prev); h = (1 − u)·n + u·h_prev.
# Exact: n_1 = 2, h_1 = 1; n_2 = 2 + ½·1 = 2.5, h_2 = 1.25 + 0.5 = 1.75.
# The student forgets the update gate at step 1: h_1 = 2. Then n_2 = 2 + ½·2 = 3
# (answered without its z) and h_2 = ½·3 + ½·2 = 2.5.


def test_gru_candidate_and_output_from_the_students_h(tmp_path):
    by = grade(GRU, "steps:\n  1: {h: 2}\n  2: {candidate.a: 3, h: 2.5}\n", tmp_path)
    assert verdicts(by) == {(1, "gru.h"): "wrong", (2, "gru.gates.candidate.a"): "follows",
                            (2, "gru.h"): "follows"}
    assert by[(2, "gru.gates.candidate.a")].follows == "your gru.h at step 1"
    assert by[(2, "gru.h")].recomputed == (2.5,)


# --------------------------------------------------------------------------- dense

def test_softmax_from_the_students_z(tmp_path):
    spec = """inputs: [[1, 0]]
layers:
  - {name: out, type: dense, size: 2, activation: softmax, W: [[1, 0], [0, 1]], labels: [a, b]}
"""
    # exact z = [1, 0]; the student's z = [2, 0] gives y = [e²/(e² + 1), 1/(e² + 1)]
    e2 = math.exp(2)
    by = grade(spec, f"steps:\n  1: {{z: [2, 0], out.y: [{e2 / (e2 + 1):.5f}, {1 / (e2 + 1):.5f}]}}\n", tmp_path)
    assert verdicts(by) == {(1, "out.z"): "wrong", (1, "out.y"): "follows"}


def test_a_layer_reads_the_students_output_of_the_layer_below(tmp_path):
    spec = """inputs: [1]
layers:
  - {name: hidden, type: elman, size: 1, activation: linear, W: 1, U: 0}
  - {name: out, type: dense, size: 1, activation: linear, W: 3}
"""
    # exact h = 1, y = 3; the student's h = 2 gives y = 6
    by = grade(spec, "steps:\n  1: {hidden.h: 2, y: 6}\n", tmp_path)
    assert verdicts(by) == {(1, "hidden.h"): "wrong", (1, "y"): "follows"}
    assert by[(1, "y")].follows == "your hidden.h at step 1"


# --------------------------------------------------------------------------- bidirectional

def test_bidirectional_directions_carry_their_own_way(tmp_path):
    spec = (rnntrace.bundled.examples_dir() / "bidirectional.yaml").read_text()
    # running totals of 1, 2, 3, 4. Forward: 1, 3, 6, 10; the student's forward h_1 = 2
    # gives h_2 = 2 + 2 = 4. Backward at step t has read x_4 … x_t: 4, 7, 9, 10 from
    # step 4 down; the student's backward h_4 = 5 gives h_3 = 5 + 3 = 8 and (unanswered)
    # h_2 = 8 + 2 = 10. Merged h_2 = [their 4, their 10]; the output y = 4 + 10 = 14.
    text = ("steps:\n  1: {birnn.forward.h: 2}\n  2: {birnn.forward.h: 4, birnn.h: [4, 10], y: 14}\n"
            "  4: {birnn.backward.h: 5}\n  3: {birnn.backward.h: 8, birnn.backward.h_prev: 5}\n")
    by = grade(spec, text, tmp_path)
    assert verdicts(by) == {(1, "birnn.forward.h"): "wrong", (2, "birnn.forward.h"): "follows",
                            (2, "birnn.h"): "follows", (2, "y"): "follows", (4, "birnn.backward.h"): "wrong",
                            (3, "birnn.backward.h"): "follows", (3, "birnn.backward.h_prev"): "follows"}
    assert by[(3, "birnn.backward.h_prev")].follows == "your birnn.backward.h at step 4"
    assert by[(2, "birnn.h")].wrong_units == ("1", "2")                # as judged against the exact [3, 9]
    assert by[(2, "birnn.h")].follows == "your birnn.forward.h at step 2, your birnn.backward.h at step 3"


def test_a_slip_carried_over_a_long_sequence(tmp_path):
    # h_t = 1 + h_{t−1}: exactly t. A student's h_1 = 100 makes every later h 99 more,
    # h_1500 = 1599, further back than Python's recursion limit reaches.
    spec = "inputs: [" + ", ".join(["1"] * 1500) + "]\nlayers:\n" \
           "  - {name: hidden, type: elman, size: 1, activation: linear, W: 1, U: 1, b: 0}\n"
    by = grade(spec, "steps:\n  1: {h: 100}\n  1500: {h: 1599}\n", tmp_path)
    assert verdicts(by) == {(1, "hidden.h"): "wrong", (1500, "hidden.h"): "follows"}
    assert by[(1500, "hidden.h")].exact == (1500.0,)


def test_variants_follow_through_their_own_formulas(tmp_path):
    # lstm_peephole_gers.yaml counts the 1s: c = 0, 1, 1, 1, 2, and its output gate reads
    # the new cell, z_o = 10·c − 5, so o = hard σ(5) = 1 once c ≥ 1. A student who
    # missed the 1 at step 2 (c_2 = 0) gets z_o = −5, o = 0, h_2 = 0, then c_3 = 0, h_3 = 0.
    spec = (rnntrace.bundled.examples_dir() / "lstm_peephole_gers.yaml").read_text()
    by = grade(spec, "steps:\n  2: {c: 0, output_gate.z: -5, output_gate.a: 0, h: 0}\n  3: {c: 0, h: 0}\n",
               tmp_path)
    assert verdicts(by) == {(2, "lstm.c"): "wrong", (2, "lstm.gates.output_gate.z"): "follows",
                            (2, "lstm.gates.output_gate.a"): "follows", (2, "lstm.h"): "follows",
                            (3, "lstm.c"): "follows", (3, "lstm.h"): "follows"}
    # gru_reset_before.yaml: r = [1, 0], u = 0, so h = n = x + U·(r∘h_prev) = [x, x + h1_prev]:
    # h = [1, 1], [2, 3], [3, 5]. A student's h_2 = [5, 3] gives h_3 = [3, 3 + 5] = [3, 8].
    spec = (rnntrace.bundled.examples_dir() / "gru_reset_before.yaml").read_text()
    by = grade(spec, "steps:\n  2: {h: [5, 3]}\n  3: {h: [3, 8]}\n", tmp_path)
    assert verdicts(by) == {(2, "gru.h"): "wrong", (3, "gru.h"): "follows"}
    assert by[(2, "gru.h")].wrong_units == ("1",) and by[(3, "gru.h")].wrong_units == ("2",)
