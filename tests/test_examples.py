"""The bundled examples: every one runs through the command line, is listed with its
summary, fits in 80 columns, and the GRU and two-layer LSTM agree with a short
numpy re-implementation written here (independent of rnntrace's engine and loader).
"""
import re

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.spec import spec_from_dict

from conftest import EXAMPLES, sigmoid

NAMES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))

#: What issue 2 asks the examples to cover; more may be added.
REQUIRED = ["basic_rnn.yaml", "basic_rnn_reordered.yaml", "lstm_example.yaml", "lstm_hard_sigmoid.yaml",
            "elman.yaml", "jordan.yaml", "bidirectional.yaml", "lstm_two_layer.yaml", "gru.yaml",
            "one_of_n.yaml", "slot_filling.yaml", "slot_filling_leave.yaml"]


def invoke(*args, **kwargs):
    result = CliRunner().invoke(main, list(args), **kwargs)
    return result


def test_the_required_examples_exist():
    missing = [name for name in REQUIRED if name not in NAMES]
    assert not missing


# Every example's JSON trace (its layers, steps and outputs, against the schema): test_schema.py.


@pytest.mark.parametrize("name", NAMES)
def test_example_opens_with_a_comment_that_says_what_to_look_for(name):
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 3, "a comment block: the summary, then what it shows"
    summary = header[0].lstrip("# ").strip()
    assert 20 <= len(summary) <= 100
    assert "what to look for" in " ".join(header).lower()
    assert "title" in yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))


def test_examples_command_lists_every_example_with_its_summary():
    result = invoke("examples")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == NAMES
    assert max(len(line) for line in lines) <= 80
    for name, line in zip(NAMES, lines):
        first = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()
        assert line.split(None, 1)[1].strip() == first


@pytest.mark.parametrize("name", ["toy_w999.yaml", "toy_w999"])
def test_examples_name_prints_the_example_to_copy(name):
    result = invoke("examples", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == (EXAMPLES / "toy_w999.yaml").read_text(encoding="utf-8")


def test_examples_unknown_name_is_a_usage_error_naming_the_close_one():
    result = invoke("examples", "toy_w99.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("Error: toy_w99.yaml: no bundled example of that name "
                             "(did you mean 'toy_w999.yaml'?)\n")
    far = invoke("examples", "../examples/gru.yaml")   # a path is not a bundled name
    assert far.exit_code == 2 and "no bundled example" in far.stderr
    assert invoke("examples", "zzz").stderr.endswith("(`rnntrace examples` lists them)\n")


def words(text):
    """What a screen says, without its layout: box-drawing characters and spacing removed."""
    return re.sub("[\u2500-\u257f]", " ", text).split()


@pytest.mark.parametrize("name", NAMES)
def test_example_tables_fit_in_80_columns(name):
    # At 80 columns nothing may be wrapped, squeezed or cut with "…": the screen must
    # say exactly what it says on a wide terminal, in the same order.
    wide = invoke("run", name, env={"COLUMNS": "200", "NO_COLOR": "1"})
    narrow = invoke("run", name, env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert wide.exit_code == 0 and narrow.exit_code == 0, narrow.output
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 80
    assert words(narrow.stdout) == words(wide.stdout)


# --------------------------------------------------------------------------- independent numpy

def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def weights(value, rows, cols):
    """The spec's broadcasting rules, re-done: a number fills, a flat list is one row."""
    if value is None:
        return None
    a = np.array(value, dtype=np.float64)
    if a.ndim == 0:
        return np.full((rows, cols), float(a))
    return a.reshape(rows, cols)


def bias(value, size):
    return np.zeros(size) if value is None else np.broadcast_to(np.array(value, dtype=float), (size,))


def reference_lstm(layer, xs, size_in):
    """c = tanh(z)·σ(z_i) + c_prev·σ(z_f); h = tanh(c)·σ(z_o) with z = W x + U h_prev + b."""
    n = layer["size"]
    p = {}
    for block in ("cell_input", "input_gate", "forget_gate", "output_gate"):
        d = layer[block]
        p[block] = (weights(d["W"], n, size_in), weights(d.get("U"), n, n), bias(d.get("b"), n))
    c, h = np.zeros(n), np.zeros(n)
    cs, hs = [], []
    for x in xs:
        z = {k: W @ x + (U @ h if U is not None else 0) + b for k, (W, U, b) in p.items()}
        c = np.tanh(z["cell_input"]) * sig(z["input_gate"]) + c * sig(z["forget_gate"])
        h = np.tanh(c) * sig(z["output_gate"])
        cs.append(c)
        hs.append(h)
    return np.array(cs), np.array(hs)


def reference_gru(layer, xs, size_in):
    """PyTorch's GRU: n = tanh(W_n x + b_n + r·(U_n h + b_hn)); h = (1 − u)·n + u·h."""
    n = layer["size"]
    p = {}
    for block in ("reset_gate", "update_gate", "candidate"):
        d = layer[block]
        U = weights(d.get("U"), n, n)
        p[block] = (weights(d["W"], n, size_in), np.zeros((n, n)) if U is None else U,
                    bias(d.get("b"), n), bias(d.get("b_h"), n))
    h = np.zeros(n)
    hs = []
    for x in xs:
        (Wr, Ur, br, bhr), (Wu, Uu, bu, bhu), (Wn, Un, bn, bhn) = (p[k] for k in ("reset_gate", "update_gate",
                                                                                  "candidate"))
        r = sig(Wr @ x + br + Ur @ h + bhr)
        u = sig(Wu @ x + bu + Uu @ h + bhu)
        cand = np.tanh(Wn @ x + bn + r * (Un @ h + bhn))
        h = (1 - u) * cand + u * h
        hs.append(h)
    return np.array(hs)


def column_inputs(inputs):
    xs = np.array(inputs, dtype=float)
    return xs.reshape(len(xs), -1)


def test_two_layer_lstm_example_matches_numpy():
    data = yaml.safe_load((EXAMPLES / "lstm_two_layer.yaml").read_text(encoding="utf-8"))
    xs = column_inputs(data["inputs"])
    lower, upper = data["layers"]
    assert all("U" in lower[b] and "U" in upper[b] for b in ("cell_input", "input_gate", "forget_gate",
                                                              "output_gate"))
    c1, h1 = reference_lstm(lower, xs, xs.shape[1])
    c2, h2 = reference_lstm(upper, h1, lower["size"])
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "lstm_two_layer.yaml"))
    for t, step in enumerate(trace):
        np.testing.assert_allclose(step.layers["lower"].c, c1[t], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step.layers["lower"].h, h1[t], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step.layers["upper"].c, c2[t], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(step.y, h2[t], rtol=1e-12, atol=1e-15)


def test_gru_example_matches_numpy_and_stores_on_write():
    data = yaml.safe_load((EXAMPLES / "gru.yaml").read_text(encoding="utf-8"))
    xs = column_inputs(data["inputs"])
    expected = reference_gru(data["layers"][0], xs, xs.shape[1])
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "gru.yaml"))
    for t, step in enumerate(trace):
        np.testing.assert_allclose(step.y, expected[t], rtol=1e-12, atol=1e-15)
    # what the file says to look for: write = 0 keeps the memory (within 1%)
    for t, (value, write) in enumerate(xs):
        u = trace[t].layers["gru"].gates["update_gate"].a[0]
        if write == 0:
            assert u > 0.99 and abs(trace[t].y[0] - trace[t - 1].y[0]) < 0.01
        else:
            assert u < 0.01


def random_layer(rng, kind, size, size_in, recurrent=True):
    blocks = {"lstm": ("cell_input", "input_gate", "forget_gate", "output_gate"),
              "gru": ("reset_gate", "update_gate", "candidate")}[kind]
    layer = {"type": kind, "size": size}
    for block in blocks:
        layer[block] = {"W": rng.normal(size=(size, size_in)).tolist(), "b": rng.normal(size=size).tolist()}
        if recurrent:
            layer[block]["U"] = rng.normal(size=(size, size)).tolist()
        if kind == "gru":
            layer[block]["b_h"] = rng.normal(size=size).tolist()
    return layer


@pytest.mark.parametrize("seed", range(5))
def test_random_two_layer_lstm_matches_numpy(seed):
    rng = np.random.default_rng(seed)
    xs = rng.normal(size=(6, 3))
    lower = random_layer(rng, "lstm", 4, 3)
    upper = random_layer(rng, "lstm", 2, 4, recurrent=bool(seed % 2))
    trace = rnntrace.run(spec_from_dict({"inputs": xs.tolist(), "layers": [lower, upper]}))
    c1, h1 = reference_lstm(lower, xs, 3)
    c2, h2 = reference_lstm(upper, h1, 4)
    for t, step in enumerate(trace):
        np.testing.assert_allclose(step.layers["lstm1"].h, h1[t], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(step.layers["lstm2"].c, c2[t], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(step.y, h2[t], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_random_gru_matches_numpy(seed):
    rng = np.random.default_rng(100 + seed)
    xs = rng.normal(size=(7, 2))
    layer = random_layer(rng, "gru", 3, 2)
    trace = rnntrace.run(spec_from_dict({"inputs": xs.tolist(), "layers": [layer]}))
    expected = reference_gru(layer, xs, 2)
    for t, step in enumerate(trace):
        np.testing.assert_allclose(step.y, expected[t], rtol=1e-12, atol=1e-14)


def test_peephole_counter_by_hand():
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "lstm_peephole.yaml"))
    c = 0.0
    for step in trace:
        record = step.layers["lstm"]
        zi, zo = 250 - 100 * c, 100 * c - 250         # the peepholes read c_prev
        assert record.gates["input_gate"].z[0] == zi
        assert record.gates["output_gate"].z[0] == zo
        assert record.gates["forget_gate"].z[0] == 100
        c_new = 1 * sigmoid(zi) + c * sigmoid(100)
        h_expected = c_new * sigmoid(zo)
        assert record.c[0] == pytest.approx(c_new, rel=1e-12)
        assert step.y[0] == pytest.approx(h_expected, rel=1e-12)
        c = c_new
    assert [round(s.layers["lstm"].c[0], 9) for s in trace] == [1, 2, 3, 3, 3]
    assert [round(s.y[0], 9) for s in trace] == [0, 0, 0, 3, 3]
