"""The error surface: sweeps checked against closed forms of the toy networks
(y_T = W·w^(T−1)), the clipped and unclipped steps, parsing, and the CLI."""
import csv
import io
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.engine.surface import sweep
from rnntrace.errors import RnntraceError
from rnntrace.errors import BadValue
from rnntrace.surface_options import parse_param, parse_range

from conftest import EXAMPLES
ENV = {"NO_COLOR": "1", "COLUMNS": "80"}


def invoke(*args, **kwargs):
    kwargs.setdefault("env", ENV)
    return CliRunner().invoke(main, list(args), **kwargs)


@pytest.fixture(scope="module")
def toy():
    return rnntrace.load_spec(EXAMPLES / "toy_w999.yaml")


@pytest.fixture(scope="module")
def clip_spec():
    return rnntrace.load_spec(EXAMPLES / "clip_norm.yaml")


def test_the_w999_cliff(toy):
    ws = np.array([0.99, 1.0, 1.01])
    s = sweep(toy, ("hidden.U", (0, 0)), ws)
    y = ws ** 999
    np.testing.assert_allclose(s.loss, 0.5 * (y - 1) ** 2, rtol=1e-10)
    np.testing.assert_allclose(s.gradient, (y - 1) * 999 * ws ** 998, rtol=1e-10)
    assert s.loss[1] == 0.0 and s.gradient[1] == 0.0            # the bottom at w = 1
    assert 0.49 < s.loss[0] < 0.5 and abs(s.gradient[0]) < 0.1  # flat below 1
    assert s.loss[2] > 2e8 and s.gradient[2] > 4e11             # the cliff above 1


def test_a_two_weight_map_against_the_closed_form(clip_spec):
    us = np.linspace(0.9, 1.1, 5)
    ws = np.linspace(-1.0, 2.0, 4)
    s = sweep(clip_spec, ("hidden.U", (0, 0)), us, ("hidden.W", (0, 0)), ws)
    U, W = np.meshgrid(us, ws, indexing="ij")
    err = W * U ** 19 - 1                                       # y_20 − target
    np.testing.assert_allclose(s.loss, 0.5 * err ** 2, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(s.gradient, err * W * 19 * U ** 18, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(s.gradient2, err * U ** 19, rtol=1e-11, atol=1e-14)
    assert s.loss.shape == (5, 4)


def test_clipped_steps_stay_short_where_plain_steps_jump(clip_spec):
    ws = np.array([0.9, 1.2])
    eta, theta = 0.01, 1.0
    s = sweep(clip_spec, ("hidden.U", (0, 0)), ws, clip=("norm", theta), learning_rate=eta)
    np.testing.assert_allclose(s.step, -eta * s.gradient, rtol=1e-15)
    assert abs(s.step[1]) > 100                                 # from the cliff: far away
    assert np.all(np.abs(s.clipped_step) <= eta * theta)        # clipped: at most η·θ
    assert np.sign(s.clipped_step[1]) == np.sign(s.step[1])     # the same direction
    # clipping by norm scales every entry by min(1, θ/‖g‖)
    for i in range(2):
        assert s.clipped_step[i] == pytest.approx(s.step[i] * min(1.0, theta / s.norm[i]), rel=1e-12)


def test_parse_param(toy, clip_spec):
    assert parse_param("hidden.U", toy) == ("hidden.U", (0, 0))
    assert parse_param("hidden.U[0,0]", toy) == ("hidden.U", (0, 0))
    assert parse_param("output.b[0]", toy) == ("output.b", (0,))
    with pytest.raises(RnntraceError, match="did you mean 'hidden.U'"):
        parse_param("hiden.U", toy)
    with pytest.raises(RnntraceError, match="0-based"):
        parse_param("hidden.U[1,0]", toy)
    with pytest.raises(RnntraceError, match="expected whole-number"):
        parse_param("hidden.U[a,b]", toy)
    lstm = rnntrace.load_spec(EXAMPLES / "lstm_example.yaml")
    assert parse_param("lstm.input_gate.W[1]", lstm) == ("lstm.input_gate.W", (0, 1))
    with pytest.raises(RnntraceError, match="say which entry"):
        parse_param("lstm.input_gate.W", lstm)


def test_parse_range():
    np.testing.assert_array_equal(parse_range("0:1:5"), [0, 0.25, 0.5, 0.75, 1])
    for bad in ("0:1", "a:b:3", "0:1:1", "0:inf:4", "0:1:2.5"):
        with pytest.raises(RnntraceError):
            parse_range(bad)


def test_surface_table_draws_the_cliff():
    result = invoke("surface", "toy_w999.yaml", "--param", "hidden.U", "--range", "0.99:1.01:5")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "hidden.U[0,0]" in out and "Δw clipped" in out and "log scale" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.split() and line.split()[0] in ("0.99", "0.995", "1", "1.005", "1.01")}
    assert list(rows) == ["0.99", "0.995", "1", "1.005", "1.01"]
    assert rows["1"][1:3] == ["0", "0"]                        # L and dL/dw at the bottom
    assert float(rows["0.99"][1]) == pytest.approx(0.5 * (0.99 ** 999 - 1) ** 2, rel=1e-3)
    assert float(rows["1.01"][1]) == pytest.approx(0.5 * (1.01 ** 999 - 1) ** 2, rel=1e-3)


def test_surface_table_writes_numbers_as_the_panels_do():
    # ≈ means "rounds to a whole number but is not one" elsewhere; here every value keeps
    # enough digits not to look whole, with the typographic minus and two-digit exponents.
    result = invoke("surface", "toy_w999.yaml", "--param", "hidden.U", "--range", "0.99:1.01:5")
    out = result.stdout
    assert "≈" not in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line[:6].strip() in ("0.99", "1.005")}
    assert set(rows) == {"0.99", "1.005"}
    for cell in rows["0.99"][1:] + rows["1.005"][1:]:
        assert "-" not in cell.replace("e-", "")            # − for minus, not -
        assert not re.search(r"e[+-]\d(?!\d)", cell)        # 4.4002e-06, not 4.4e-6
    eta, w = 1e-4, 1.005
    dw = -eta * (w ** 999 - 1) * 999 * w ** 998             # Δw = −η·(y − 1)·999·w^998, y = w^999
    shown = [c for c in rows["1.005"] if c.startswith("−2")]
    assert len(shown) == 1 and "." in shown[0]               # −2099.9, not ≈-2100
    assert float(shown[0].replace("−", "-")) == pytest.approx(dw, rel=1e-4)
    dldw = (0.99 ** 999 - 1) * 999 * 0.99 ** 998             # dL/dw at 0.99: −0.044002
    assert rows["0.99"][2] == "−" + f"{-dldw:.5g}"


def test_surface_csv_and_json_write_a_zero_step_as_0_0():
    # At w = 1 the gradient is +0 and −η·(+0) is −0.0 in floating point: a zero step
    # written as 0.0, not -0.0.
    args = ["surface", "toy_w999.yaml", "--param", "hidden.U", "--range", "0.99:1.01:3"]
    rows = list(csv.DictReader(io.StringIO(invoke(*args, "--format", "csv").stdout)))
    assert rows[1]["hidden.U[0,0]"] == "1.0"
    assert rows[1]["step"] == "0.0" and rows[1]["clipped_step"] == "0.0"
    text = invoke(*args, "--format", "json").stdout
    assert not re.search(r"-0\.0[,\]]", text)
    assert str(json.loads(text)["step"][1]) == "0.0"


def test_surface_json_and_csv():
    args = ["surface", "clip_norm.yaml", "--param", "hidden.U", "--range", "0.8:1.2:5"]
    data = json.loads(invoke(*args, "--format", "json").stdout)
    assert data["format"] == "rnntrace.surface/1"
    assert data["param"] == "hidden.U[0,0]" and data["values"] == [0.8, 0.9, 1.0, 1.1, 1.2]
    assert len(data["loss"]) == len(data["gradient"]) == len(data["step"]) == len(data["clipped_step"]) == 5
    assert data["clip"] == {"norm": 1.0} and data["learning_rate"] == 0.01
    table = list(csv.DictReader(io.StringIO(invoke(*args, "--format", "csv").stdout)))
    assert len(table) == 5
    assert list(table[0]) == ["hidden.U[0,0]", "loss", "dL/dhidden.U[0,0]", "norm", "step", "clipped_step"]
    assert float(table[2]["loss"]) == data["loss"][2]
    two = invoke(*args, "--param2", "hidden.W", "--range2", "0:2:3", "--format", "csv", "--no-clip")
    rows = list(csv.DictReader(io.StringIO(two.stdout)))
    assert len(rows) == 15 and "dL/dhidden.W[0,0]" in rows[0]
    # a map's CSV keeps the steps too, as its JSON does: Δw = −η·dL/dw for each weight
    for row in rows:
        assert float(row["step"]) == -0.01 * float(row["dL/dhidden.U[0,0]"])
        assert float(row["step2"]) == -0.01 * float(row["dL/dhidden.W[0,0]"])


def test_surface_map_of_two_weights():
    result = invoke("surface", "clip_norm.yaml", "--param", "hidden.U", "--range", "0.9:1.2:7",
                    "--param2", "hidden.W", "--range2", "-1:2:30")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Loss L" in out and "Gradient norm" in out and "Lowest loss" in out
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize("args,message", [
    (["--param", "hiden.U", "--range", "0:1:3"], "did you mean 'hidden.U'"),
    (["--param", "U", "--range", "0:1:3"], "no parameter 'U' (did you mean 'hidden.U'?)"),
    (["--param", "hidden.U", "--range", "0:1"], "expected A:B:N"),
    (["--param", "hidden.U", "--range", "0:1:3", "--param2", "hidden.W"], "go together"),
    (["--param", "hidden.U", "--range", "0:1:3", "--param2", "hidden.U", "--range2", "0:1:3"], "same weight"),
    (["--param", "hidden.U", "--range", "0:1:3", "--param2", "hiden.W", "--range2", "0:1:3"],
     "Invalid value for '--param2': no parameter 'hiden.W' (did you mean 'hidden.W'?)"),
    (["--param", "hidden.U", "--range", "0:1:3", "--param2", "hidden.W", "--range2", "0:1"],
     "Invalid value for '--range2': expected A:B:N, e.g. 0.9:1.1:41; found '0:1'"),
])
def test_surface_errors_end_with_exit_code_2(args, message):
    result = invoke("surface", "clip_norm.yaml", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and result.stdout == ""


def test_surface_needs_a_train_block():
    result = invoke("surface", "basic_rnn.yaml", "--param", "hidden.U[0,0]", "--range", "0:1:3")
    assert result.exit_code == 2 and "no 'train' block" in result.stderr


@pytest.mark.parametrize("command", ["grad", "surface"])
def test_the_help_examples_run_as_written(command):
    import shlex
    text = invoke(command, "--help").stdout
    lines = text[text.index("Examples:"):text.index("Options:")].splitlines()[1:]
    joined, examples = "", []
    for line in lines:
        joined += " " + line.strip().rstrip("\\")
        if not line.rstrip().endswith("\\"):
            if joined.strip():
                examples.append(joined.split("#")[0].split("|")[0].strip())
            joined = ""
    assert len(examples) >= 3
    for example in examples:
        args = shlex.split(example)
        assert args[:2] == ["rnntrace", command]
        # Every file, weight name and option as written, but a sweep of N points is run
        # with 3 (the 201 × 1000-step sweep of toy_w999 alone took 12 s); N itself must parse.
        for i in range(1, len(args)):
            if args[i - 1] in ("--range", "--range2"):
                parse_range(args[i])
                args[i] = args[i].rsplit(":", 1)[0] + ":3"
        result = invoke(*args[1:])
        assert result.exit_code == 0, (example, result.output)


@pytest.mark.parametrize("text", ["1e308:-1e308:3", "-1.7e308:1.7e308:5"])
def test_a_range_wider_than_float64_is_a_clear_error(text):
    # B − A overflows to ±inf: linspace would sweep nan and −inf with numpy's warnings.
    with pytest.raises(BadValue, match="less than 1.8e308 apart"):
        parse_range(text)
    result = invoke("surface", "toy_w999.yaml", "--param", "hidden.U", "--range", text)
    assert result.exit_code == 2
    assert "less than 1.8e308 apart" in result.output and "Warning" not in result.output
    assert "Traceback" not in result.output
