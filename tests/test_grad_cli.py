"""`rnntrace grad` through click's CliRunner: tables, --explain, JSON (against the
schema), clipping options, and the errors that end with exit code 2."""
import json
import math

import jsonschema
import numpy as np
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main

from conftest import EXAMPLES, schema

SCHEMA = schema("grad.json")
ENV = {"NO_COLOR": "1", "COLUMNS": "120"}

TWO_STEPS = """\
title: two steps by hand
inputs: [1, 0]
layers:
  - {name: rnn, type: elman, size: 1, activation: linear, W: 2, U: 0.5, b: 0}
  - {name: out, type: dense, size: 1, W: 3, b: 0}
train: {targets: [null, 1], learning_rate: 0.1}
"""


def invoke(*args, **kwargs):
    kwargs.setdefault("env", ENV)
    return CliRunner().invoke(main, list(args), **kwargs)


def test_grad_table_goes_from_the_last_step_to_the_first_and_shows_every_gradient():
    # worked by hand in test_grad.py: L = 2; dL/dW = 3, dL/dU = 12, dL/db = 9, out: 2 and 2
    result = invoke("grad", "-", input=TWO_STEPS)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("Step 2") < out.index("Step 1")
    assert "L = Σ_t ½Σ(y − ŷ)²" in out and "= 2" in out
    for name, grad in (("rnn.W", "[3]"), ("rnn.U", "[12]"), ("rnn.b", "[9]"), ("out.W", "[2]"), ("out.b", "[2]")):
        line = next(line for line in out.splitlines() if f" {name} " in line)
        assert grad in line, line
    norm = math.sqrt(242)
    assert f"= {norm:.4f}" in out                     # the global norm, 15.5563
    updated_u = next(line for line in out.splitlines() if " rnn.U " in line)
    assert "[−0.7]" in updated_u                        # 0.5 − 0.1·12, with the panels' minus sign
    assert result.stderr == ""


def test_grad_explain_writes_the_chain_rule():
    result = invoke("grad", "many_to_one.yaml", "--explain")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "dL/dy = y − ŷ" in out
    assert "dL/dc = dL/dh ∘ σ(z_o) ∘ h′(c) + (dL/dc ∘ σ(z_f))(step t+1) =" in out
    assert "dL/dσ(z_f) = dL/dc ∘ c_prev = [−1.0005] ∘ [6.9998] = [−7.0033]" in out
    assert "No target at this step" in out


def test_grad_json_follows_the_schema_and_the_clip_options():
    plain = json.loads(invoke("grad", "clip_norm.yaml", "--format", "json", "--no-clip").stdout)
    jsonschema.validate(plain, SCHEMA)
    assert "clip" not in plain and "updated" in plain
    clipped = json.loads(invoke("grad", "clip_norm.yaml", "--format", "json").stdout)
    jsonschema.validate(clipped, SCHEMA)
    assert clipped["clip"] == {"norm": 1.0}
    assert clipped["clipped_norm"] == pytest.approx(1.0, rel=1e-14)
    assert plain["updated"]["hidden.U"][0][0] < -100 < 1.1 < clipped["updated"]["hidden.U"][0][0] < 1.2
    by_value = json.loads(invoke("grad", "clip_norm.yaml", "--format", "json", "--clip-value", "0.5",
                                 "--learning-rate", "1").stdout)
    assert by_value["clip"] == {"value": 0.5} and by_value["learning_rate"] == 1.0
    assert all(abs(v) <= 0.5 for rows in by_value["clipped"].values() for row in rows
               for v in (row if isinstance(row, list) else [row]))
    no_update = json.loads(invoke("grad", "-", "--format", "json", input=TWO_STEPS.replace(", learning_rate: 0.1", "")).stdout)
    assert "updated" not in no_update and "clipped" not in no_update


def test_grad_cross_entropy_shows_the_labels():
    result = invoke("grad", "slot_filling_train.yaml", "--steps", "2")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "target: destination" in out and "−log y[label]" in out
    assert "Step 2" in out and "Step 3" not in out and "4 step(s) not shown" in out


def test_a_long_sequence_shows_its_last_steps_and_says_how_to_see_the_rest():
    result = invoke("grad", "toy_w999.yaml")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Step 1000" in out and "Step 998" in out and "Step 997 " not in out
    assert "--steps 1:1000" in out


@pytest.mark.parametrize("args,message", [
    (["grad", "basic_rnn.yaml"], "no 'train' block"),
    (["grad", "clip_norm.yaml", "--clip-norm", "1", "--clip-value", "1"], "choose one"),
    (["grad", "clip_norm.yaml", "--steps", "0:3"], "the sequence has 20 steps (1 to 20)"),
    (["grad", "clip_norm.yaml", "--steps", "two"], "expected a step such as 3, a range such as 2:4"),
    (["grad", "clip_norm.yaml", "--clip-norm", "-1"], "positive"),
    (["grad", "clip_norm.yaml", "--learning-rate", "nan"], "positive"),
    (["grad", "clip_norm.yaml", "--learning-rate", "0"], "positive"),
])
def test_grad_errors_end_with_exit_code_2_and_one_message(args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_a_spec_without_train_names_what_to_add():
    result = invoke("grad", "basic_rnn.yaml")
    assert "targets" in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["basic_rnn.yaml", "lstm_example.yaml", "bidirectional.yaml", "jordan.yaml",
                                  "gru.yaml", "lstm_two_layer.yaml", "elman.yaml"])
def test_every_layer_type_renders_and_explains(name, tmp_path):
    """Add a squared-error train block to bundled examples of every layer type."""
    spec = rnntrace.load_spec(EXAMPLES / name)
    size = spec.output_layer.output_size
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    targets = [None] * (len(spec.inputs) - 1) + [[0.5] * size]
    path = tmp_path / name
    path.write_text(text + "\ntrain:\n  targets: " + json.dumps(targets) + "\n  learning_rate: 0.1\n"
                    "  clip: {value: 0.25}\n", encoding="utf-8")
    result = invoke("grad", str(path), "--explain")
    assert result.exit_code == 0, result.output
    data = json.loads(invoke("grad", str(path), "--format", "json").stdout)
    jsonschema.validate(data, SCHEMA)
    # every gradient the JSON has is named in the table
    for param in data["gradients"]:
        assert param in result.stdout
    assert "Clip by value θ = 0.25" in result.stdout
    if name == "bidirectional.yaml":   # the backward direction's memory comes from step t−1's side
        assert "backward: dL/dh = (from the output) + Uᵀ·dL/dz(step t−1)" in result.stdout
        assert "forward: dL/dh = (from the output) + Uᵀ·dL/dz(step t+1)" in result.stdout


@pytest.mark.parametrize("train,message", [
    ("{targets: [null, 1, 2]}", "train.targets: expected 2 targets, one per step"),
    ("{targets: [null, 1], learning_rate: -0.1}", "train.learning_rate: expected a positive learning rate"),
    ("{targets: [null, 1], clip: {norm: 0}}", "train.clip.norm: expected a positive threshold"),
    ("{targets: [null, 1], clip: {nrom: 1}}", "did you mean 'norm'"),
    ("{targets: [null, 1], loss: cross_entropy}", "cross_entropy needs a softmax output layer"),
    ("{targets: [null, 1], loss: squared}", "did you mean 'squared_error'"),
])
def test_a_bad_train_block_names_the_place(train, message):
    text = TWO_STEPS.replace("train: {targets: [null, 1], learning_rate: 0.1}", "train: " + train)
    result = invoke("grad", "-", input=text)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.startswith("Error: <stdin>:6:")      # file:line:column of the train block
    assert result.stdout == ""


def test_mse_is_squared_error_and_labels_name_the_target():
    result = invoke("grad", "-", "--format", "json",
                    input=TWO_STEPS.replace("train: {", "train: {loss: mse, "))
    assert json.loads(result.stdout)["loss_function"] == "squared_error"
    text = ("inputs: [1]\nlayers:\n  - {name: out, type: dense, size: 2, activation: softmax, "
            "labels: [yes, no], W: 1}\ntrain: {loss: cross_entropy, targets: [nope]}\n")
    result = invoke("grad", "-", input=text)
    assert result.exit_code == 2 and "unknown label 'nope'" in result.stderr and "did you mean 'no'" in result.stderr


def test_an_overflowing_gradient_is_reported_and_the_json_stays_strict():
    text = (EXAMPLES / "clip_norm.yaml").read_text(encoding="utf-8")
    text = text.replace("U: 1.2 ", "U: 1e30").replace("inputs: [1, 0,", "inputs: [1e300, 0,")
    result = invoke("grad", "-", "--format", "json", input=text)
    assert result.exit_code == 0, result.output
    assert "past float64's range" in result.stderr
    data = json.loads(result.stdout)             # strict JSON: no NaN or Infinity tokens
    assert data["norm"] is None
    jsonschema.validate(data, SCHEMA)


TRAINED = sorted(p.name for p in EXAMPLES.glob("*.yaml")
                 if "\ntrain:" in p.read_text(encoding="utf-8"))


def test_the_gradient_examples_exist():
    assert {"toy_w999.yaml", "clip_norm.yaml", "many_to_one.yaml", "slot_filling_train.yaml"} <= set(TRAINED)


@pytest.mark.parametrize("name", TRAINED)
def test_every_example_with_a_train_block_gives_valid_grad_json_and_a_table(name):
    data = json.loads(invoke("grad", name, "--format", "json").stdout)
    jsonschema.validate(data, SCHEMA)
    # every entry of every gradient, matrices included, is a number (null would be NaN here)
    entries = np.concatenate([np.array(g, dtype=float).ravel() for g in data["gradients"].values()])
    assert np.isfinite(entries).all()
    # the global norm is the L2 norm of all of them together
    assert data["norm"] == pytest.approx(math.sqrt(float(np.sum(entries ** 2))), rel=1e-12)
    table = invoke("grad", name, env={"NO_COLOR": "1", "COLUMNS": "80"})
    assert table.exit_code == 0 and table.stderr == ""
    assert "Global gradient norm" in table.stdout
