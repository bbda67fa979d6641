"""Numerics: activations are stable at |z| = 1000 without a warning; a value that
overflows float64 is reported (which step, which layer), written as null in JSON
(strict JSON stays strict) and shown as inf/nan in tables."""
import math
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.layers import activations
from rnntrace.finite import Watch
from rnntrace.spec import spec_from_text

from conftest import strict_json


@pytest.fixture
def strict():
    """Any numpy floating-point warning (other than harmless underflow to 0) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
            yield


BIG = np.array([-1000.0, -40.0, -1.0, 0.0, 1.0, 40.0, 1000.0])


def test_sigmoid_is_stable_and_exact(strict):
    got = activations.sigmoid(BIG)
    expected = [1 / (1 + math.exp(-z)) if z > -700 else 0.0 for z in BIG]   # e^1000 overflows math.exp
    assert got.tolist() == pytest.approx(expected, rel=1e-15, abs=0)
    assert got[0] == 0.0 and got[-1] == 1.0          # e^−1000 ≈ 5e−435 is below float64's smallest
    assert got[1] == pytest.approx(math.exp(-40), rel=1e-12)   # σ(−40) ≈ e^−40, not rounded to 0


def test_tanh_is_stable(strict):
    got = activations.activate("tanh", BIG)
    assert got[0] == -1.0 and got[-1] == 1.0 and got[3] == 0.0
    assert got[2] == pytest.approx((math.e - 1 / math.e) / (math.e + 1 / math.e) * -1, rel=1e-15)


@pytest.mark.parametrize("z, expected", [
    ([1000.0, 0.0, -1000.0], [1.0, 0.0, 0.0]),
    ([1000.0, 1000.0], [0.5, 0.5]),
    ([-1000.0, -1000.0, -1000.0, -1000.0], [0.25, 0.25, 0.25, 0.25]),
    ([1000.0, 999.0], [1 / (1 + math.exp(-1)), 1 / (1 + math.e)]),
])
def test_softmax_is_stable(strict, z, expected):
    got = activations.softmax(np.array(z))
    assert got.tolist() == pytest.approx(expected, rel=1e-15, abs=1e-300)
    assert got.sum() == pytest.approx(1.0, rel=1e-15)


def test_hard_sigmoid_and_relu_at_the_extremes(strict):
    assert activations.hard_sigmoid(BIG).tolist() == [0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0]
    assert activations.relu(BIG).tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 40.0, 1000.0]


SATURATED_LSTM = """\
inputs: [[10], [-10], [10]]
layers:
  - name: lstm
    type: lstm
    size: 2
    cell_input:  {W: [[100], [-100]], U: 1}
    input_gate:  {W: [[100], [-100]], U: [[50, -50], [-50, 50]]}
    forget_gate: {W: [[-100], [100]], b: 1000}
    output_gate: {W: [[100], [-100]], P: [-100, 100]}
  - name: out
    type: dense
    size: 3
    activation: softmax
    W: [[100, -100], [-100, 100], [1000, 1000]]
"""


def test_a_saturated_network_runs_without_a_warning(strict):
    trace = rnntrace.run(spec_from_text(SATURATED_LSTM))
    for step in trace:
        record = step.layers["lstm"]
        for gate in record.gates.values():
            assert np.isfinite(gate.z).all()
        for name in ("input_gate", "forget_gate", "output_gate"):
            a = record.gates[name].a
            assert ((0.0 <= a) & (a <= 1.0)).all()
        # |z| near 1000 every step: the gates are saturated
        assert np.abs(record.gates["input_gate"].z).min() >= 900
        assert step.y.sum() == pytest.approx(1.0, rel=1e-15)
    # step 1: z_i = ±1000 → i = [1, 0]; g = tanh(±1000) = [1, −1]; forget z_f = ∓1000 + 1000 = [0, 2000]
    first = trace[0].layers["lstm"]
    assert first.gates["input_gate"].a.tolist() == [1.0, 0.0]
    assert first.gates["cell_input"].a.tolist() == [1.0, -1.0]
    assert first.gates["forget_gate"].z.tolist() == [0.0, 2000.0]
    assert first.c.tolist() == [1.0, -0.0]          # c = g·i + 0·f


# --------------------------------------------------------------------------- overflow

GROWING = """\
title: memory that multiplies by 1e100 each step
inputs: [1, 0, 0, 0, 0, 0]
layers:
  - {name: grow, type: elman, size: 1, activation: linear, W: 1, U: 1e100}
  - {name: out, type: dense, size: 1, activation: tanh, W: 1}
"""


def run_cli(text, *args):
    return CliRunner().invoke(main, ["run", "-", *args], input=text)


def test_overflow_is_reported_at_its_step_and_layer():
    # h_t = 1e100 · h_{t−1}: 1, 1e100, 1e200, 1e300, then 1e400 > 1.8e308 overflows at step 5.
    result = run_cli(GROWING, "--format", "json")
    assert result.exit_code == 0
    # out.z = 1·h = +inf too, although tanh(+inf) = 1 keeps the output itself finite
    assert result.stderr.splitlines() == [
        "Warning: step 5, layer 'grow': grow.z = +inf (beyond the float64 range of ±1.8e308); "
        "values that are not finite are null in JSON",
        "Warning: step 5, layer 'out': out.z = +inf (beyond the float64 range of ±1.8e308); "
        "values that are not finite are null in JSON"]
    trace = strict_json(result.stdout)
    hs = [step["layers"]["grow"]["h"][0] for step in trace["steps"]]
    assert hs[:4] == [1.0, 1e100, 1e200, 1e300]
    assert hs[4:] == [None, None]
    assert [step["layers"]["out"]["z"][0] for step in trace["steps"]][4:] == [None, None]
    assert [step["y"][0] for step in trace["steps"]][4:] == [1.0, 1.0]


def test_overflow_in_jsonl_and_table():
    result = run_cli(GROWING, "--format", "jsonl")
    assert result.exit_code == 0 and "step 5, layer 'grow'" in result.stderr
    lines = [strict_json(line) for line in result.stdout.splitlines()]
    assert lines[5]["layers"]["grow"]["z"] == [None]
    result = run_cli(GROWING)
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert "step 5, layer 'grow'" in result.stderr
    assert "inf" in result.stdout


NAN = """\
inputs: [1]
layers:
  - {name: split, type: dense, size: 2, W: [[1e200], [-1e200]]}
  - {name: grow, type: dense, size: 2, W: [[1e200, 0], [0, 1e200]]}
  - {name: mix, type: dense, size: 1, W: [[1, 1]]}
"""


def test_inf_minus_inf_is_reported_as_nan():
    # grow.z = [1e400, −1e400] = [+inf, −inf]; mix.z = inf + (−inf) = NaN
    result = run_cli(NAN, "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "Warning: step 1, layer 'grow': grow.z = +inf (beyond the float64 range of ±1.8e308); "
        "values that are not finite are null in JSON",
        "Warning: step 1, layer 'mix': mix.z = NaN (undefined, such as inf − inf or 0·inf); "
        "values that are not finite are null in JSON"]
    step = strict_json(result.stdout)["steps"][0]
    assert step["layers"]["split"]["y"] == [1e200, -1e200]
    assert step["layers"]["grow"]["y"] == [None, None]
    assert step["y"] == [None]


def test_the_watch_names_the_first_value_of_each_layer():
    spec = spec_from_text(GROWING)
    watch = Watch()
    steps = list(watch.steps(rnntrace.engine.iter_steps(spec)))
    assert len(steps) == 6
    assert [(p.t, p.layer, p.quantity, p.value) for p in watch.found] == [
        (5, "grow", "grow.z", math.inf), (5, "out", "out.z", math.inf)]


def test_the_watch_leaves_numpy_as_it_found_it():
    before, handler = np.geterr(), np.geterrcall()
    Watch().run(spec_from_text(GROWING))
    assert np.geterr() == before and np.geterrcall() is handler


# That the bundled examples, all finite, run with nothing on stderr: test_schema.py.


@pytest.mark.parametrize("command", ["answers", "worksheet", "validate"])
def test_no_command_prints_numpys_warnings(tmp_path, command):
    path = tmp_path / "grow.yaml"
    path.write_text(GROWING)
    result = CliRunner().invoke(main, [command, str(path)])
    assert "RuntimeWarning" not in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.splitlines()) <= 1


def test_overflow_inside_a_bidirectional_layer_names_the_direction():
    # forward: h = 1e200·x + 1e200·h_prev; x = 1e200 overflows at step 1 (1e400)
    # backward: h = x is finite throughout
    spec = """\
inputs: [1e200, 1]
layers:
  - name: bi
    type: bidirectional
    forward: {type: elman, size: 1, activation: linear, W: 1e200, U: 1}
    backward: {type: elman, size: 1, activation: linear, W: 1, U: 0}
"""
    result = run_cli(spec, "--format", "json")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: step 1, layer 'bi': bi.forward.z = +inf")
    step = strict_json(result.stdout)["steps"][0]["layers"]["bi"]
    assert step["forward"]["h"] == [None] and step["backward"]["h"] == [1e200]
    assert step["h"] == [None, 1e200]
