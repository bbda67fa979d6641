"""The variants published networks use: GRU with the reset gate before U (Cho et al.,
Keras' reset_after=False), the output gate's peephole on the new cell (Gers &
Schmidhuber), and the bidirectional merges mul and ave (Keras' names).

Each forward pass is checked against the equations written out here in numpy (no
framework has all of them; Keras has the GRU, checked below in float64), each example
by hand; the gradients are in test_grad_fd.py."""
import numpy as np
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.spec import spec_from_dict, spec_from_text

from conftest import EXAMPLES


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rand(rng, *shape):
    return rng.normal(0.0, 0.7, shape)


def gru_spec(rng, n_in, size, steps, reset_after, b_h=True):
    layer = {"type": "gru", "size": size, "reset_after": reset_after, "initial": rand(rng, size).tolist()}
    for block in ("reset_gate", "update_gate", "candidate"):
        layer[block] = {"W": rand(rng, size, n_in).tolist(), "U": rand(rng, size, size).tolist(),
                        "b": rand(rng, size).tolist()}
        if b_h:
            layer[block]["b_h"] = rand(rng, size).tolist()
    return {"inputs": rand(rng, steps, n_in).tolist(), "layers": [layer]}


def numpy_gru(data, reset_after):
    """h_t = (1 − u)·n + u·h_{t−1}; the candidate with the reset gate after U (PyTorch)
    or before it (Cho et al.)."""
    layer = data["layers"][0]
    W, U, b, bh = ({k: np.array(layer[g][key]) for k, g in zip("run", ("reset_gate", "update_gate", "candidate"))}
                   for key in ("W", "U", "b", "b_h"))
    h = np.array(layer["initial"])
    out = []
    for x in np.array(data["inputs"]):
        r = sigmoid(W["r"] @ x + b["r"] + U["r"] @ h + bh["r"])
        u = sigmoid(W["u"] @ x + b["u"] + U["u"] @ h + bh["u"])
        if reset_after:
            n = np.tanh(W["n"] @ x + b["n"] + r * (U["n"] @ h + bh["n"]))
        else:
            n = np.tanh(W["n"] @ x + U["n"] @ (r * h) + b["n"] + bh["n"])
        h = (1 - u) * n + u * h
        out.append(h)
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_both_reset_placements_match_numpy(seed, reset_after):
    rng = np.random.default_rng(seed)
    data = gru_spec(rng, n_in=3, size=4, steps=6, reset_after=reset_after)
    trace = rnntrace.run(spec_from_dict(data))
    expected = numpy_gru(data, reset_after)
    got = np.array([step.y for step in trace])
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-13)
    # and the two placements do differ on the same weights
    other = numpy_gru(data, not reset_after)
    assert np.max(np.abs(other - expected)) > 1e-3


def test_gru_reset_before_matches_keras_in_float64(keras64):
    keras = keras64
    rng = np.random.default_rng(4)
    n_in, size, steps = 3, 2, 5
    data = gru_spec(rng, n_in, size, steps, reset_after=False)
    layer = data["layers"][0]
    layer["initial"] = [0.0] * size
    for block in layer.values():
        if isinstance(block, dict):
            del block["b_h"]
    # Keras' kernels are (inputs, 3·units) with the gates in the order z (update), r, h
    order = ("update_gate", "reset_gate", "candidate")
    kernel = np.concatenate([np.array(layer[g]["W"]).T for g in order], axis=1)
    recurrent = np.concatenate([np.array(layer[g]["U"]).T for g in order], axis=1)
    bias = np.concatenate([np.array(layer[g]["b"]) for g in order])
    gru = keras.layers.GRU(size, reset_after=False, return_sequences=True, dtype="float64")
    gru.build((None, steps, n_in))
    gru.set_weights([kernel, recurrent, bias])
    x = np.array(data["inputs"])[None]
    out = keras.ops.convert_to_numpy(gru(x))[0]
    assert out.dtype == np.float64
    # computed in float64, not float32 widened: a float32 product would differ by ~1e-8
    k = keras.ops.convert_to_numpy(keras.ops.matmul(x[0], kernel))
    assert np.allclose(k, x[0] @ kernel, rtol=1e-15, atol=1e-15)
    got = np.array([step.y for step in rnntrace.run(spec_from_dict(data))])
    assert np.allclose(got, out, rtol=1e-10, atol=1e-12)


def lstm_spec(rng, n_in, size, steps, peephole):
    layer = {"type": "lstm", "size": size, "initial": {"c": rand(rng, size).tolist(), "h": rand(rng, size).tolist()}}
    for block in ("cell_input", "input_gate", "forget_gate", "output_gate"):
        layer[block] = {"W": rand(rng, size, n_in).tolist(), "U": rand(rng, size, size).tolist(),
                        "b": rand(rng, size).tolist()}
        if block != "cell_input":
            layer[block]["P"] = rand(rng, size).tolist()
    layer["output_gate"]["peephole"] = peephole
    return {"inputs": rand(rng, steps, n_in).tolist(), "layers": [layer]}


def numpy_peephole_lstm(data, output_reads_new_cell):
    """Gers & Schmidhuber: i and f read c_{t−1}; o reads c_t (or c_{t−1}, the lecture's)."""
    layer = data["layers"][0]
    p = {g: {k: np.array(v) for k, v in layer[g].items() if k != "peephole"}
         for g in ("cell_input", "input_gate", "forget_gate", "output_gate")}
    c, h = np.array(layer["initial"]["c"]), np.array(layer["initial"]["h"])
    out = []
    for x in np.array(data["inputs"]):
        def z(g, cell):
            return p[g]["W"] @ x + p[g]["U"] @ h + p[g]["b"] + p[g].get("P", 0) * cell
        g_ = np.tanh(z("cell_input", 0))
        i = sigmoid(z("input_gate", c))
        f = sigmoid(z("forget_gate", c))
        c_new = g_ * i + c * f
        o = sigmoid(z("output_gate", c_new if output_reads_new_cell else c))
        c, h = c_new, np.tanh(c_new) * o
        out.append((c, h))
    return np.array([c for c, _ in out]), np.array([h for _, h in out])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("peephole", ["c", "c_prev"])
def test_output_peephole_on_either_cell_matches_numpy(seed, peephole):
    rng = np.random.default_rng(seed)
    data = lstm_spec(rng, n_in=2, size=3, steps=6, peephole=peephole)
    trace = rnntrace.run(spec_from_dict(data))
    cs, hs = numpy_peephole_lstm(data, peephole == "c")
    assert np.allclose([s.layers["lstm"].c for s in trace], cs, rtol=1e-12, atol=1e-13)
    assert np.allclose([s.layers["lstm"].h for s in trace], hs, rtol=1e-12, atol=1e-13)


def test_default_peephole_is_the_lecture_s_c_prev():
    rng = np.random.default_rng(9)
    data = lstm_spec(rng, 2, 2, 4, "c_prev")
    del data["layers"][0]["output_gate"]["peephole"]
    _, hs = numpy_peephole_lstm(data, False)
    assert np.allclose([s.y for s in rnntrace.run(spec_from_dict(data))], hs, rtol=1e-12)


@pytest.mark.parametrize("merge", ["mul", "ave", "mean", "sum", "concat"])
def test_bidirectional_merges_match_numpy(merge):
    rng = np.random.default_rng(2)
    xs = rand(rng, 5, 2)
    side = lambda: {"type": "elman", "size": 3, "W": rand(rng, 3, 2).tolist(), "U": rand(rng, 3, 3).tolist()}  # noqa: E731
    data = {"inputs": xs.tolist(), "layers": [{"type": "bidirectional", "merge": merge,
                                               "forward": side(), "backward": side()}]}

    def elman(layer, seq):
        h, out = np.zeros(3), []
        for x in seq:
            h = np.tanh(np.array(layer["W"]) @ x + np.array(layer["U"]) @ h)
            out.append(h)
        return out

    f = elman(data["layers"][0]["forward"], xs)
    b = elman(data["layers"][0]["backward"], xs[::-1])[::-1]
    merged = {"mul": lambda a, c: a * c, "ave": lambda a, c: (a + c) / 2, "mean": lambda a, c: (a + c) / 2,
              "sum": lambda a, c: a + c, "concat": lambda a, c: np.concatenate([a, c])}[merge]
    expected = [merged(a, c) for a, c in zip(f, b)]
    got = [step.y for step in rnntrace.run(spec_from_dict(data))]
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- the examples, by hand

def test_gers_peephole_example_by_hand():
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "lstm_peephole_gers.yaml"))
    xs = [0, 1, 0, 0, 1]
    c, cells, outputs = 0, [], []
    for x in xs:              # both gates always open: c = c_prev + x
        c = c + x
        o = min(max(0.2 * (10 * c - 5) + 0.5, 0), 1)   # hard_sigmoid of z_o = 10·c − 5
        cells.append(c)
        outputs.append(c * o)
    assert cells == [0, 1, 1, 1, 2] and outputs == [0, 1, 1, 1, 2]
    assert [float(s.layers["lstm"].c[0]) for s in trace] == cells
    assert [float(s.y[0]) for s in trace] == outputs


def test_gers_example_with_the_lecture_s_peephole_opens_one_step_late():
    text = (EXAMPLES / "lstm_peephole_gers.yaml").read_text().replace("peephole: c, ", "")
    trace = rnntrace.run(spec_from_text(text))
    assert [float(s.y[0]) for s in trace] == [0, 0, 1, 1, 2]


def test_gru_reset_before_example_by_hand():
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "gru_reset_before.yaml"))
    h = [0, 0]
    expected = []
    for x in (1, 2, 3):       # u = 0, r = [1, 0]; U·(r∘h) = U·[h1, 0] = [0, h1]
        h = [x + 0, x + h[0]]
        expected.append(h)
    assert expected == [[1, 1], [2, 3], [3, 5]]
    assert [s.y.tolist() for s in trace] == expected


def test_gru_reset_before_example_with_reset_after_keeps_the_other_unit():
    text = (EXAMPLES / "gru_reset_before.yaml").read_text().replace("reset_after: false", "reset_after: true")
    trace = rnntrace.run(spec_from_text(text))
    assert trace[-1].y.tolist() == [5, 3]     # n = [x + h2, x]


# --------------------------------------------------------------------------- the views and errors

def test_explain_writes_the_reset_before_product():
    result = CliRunner().invoke(main, ["run", str(EXAMPLES / "gru_reset_before.yaml"), "--explain", "--steps", "2"])
    assert result.exit_code == 0
    # r = [1, 0], h_prev = [1, 1], U_n rows [0, 1] and [1, 0]: each term (r·h)·U
    assert "z_n[1] = 2·1 + (1·1)·0 + (0·1)·1 + 1·0 = 2" in result.output
    assert "z_n[2] = 2·1 + (1·1)·1 + (0·1)·0 + 1·0 = 3" in result.output


def test_explain_writes_the_output_peephole_on_the_new_cell():
    result = CliRunner().invoke(main, ["run", str(EXAMPLES / "lstm_peephole_gers.yaml"), "--explain", "--steps", "5"])
    assert result.exit_code == 0
    assert "z_o = 1·0 + 2·10 + 1·(−5) = 15" in result.output      # x·W + c·P + 1·b, c = 2 (new)


def test_mul_merge_explained():
    data = {"inputs": [2], "layers": [{"type": "bidirectional", "merge": "mul",
                                       "forward": {"type": "elman", "size": 1, "W": 3, "U": 0, "activation": "linear"},
                                       "backward": {"type": "elman", "size": 1, "W": 5, "U": 0,
                                                    "activation": "linear"}}]}
    from rnntrace.render.explain import as_text, step_lines
    spec = spec_from_dict(data)
    text = as_text(step_lines(spec, rnntrace.run(spec)[0])[0][1])
    assert text.endswith("h        = h→·h← = 6·10 = 60")   # x·W = 2·3 → h→ = 6, 2·5 → h← = 10


@pytest.mark.parametrize("text, message", [
    ("input_gate: {W: 1, P: 1, peephole: c}", "'peephole' (which cell P reads) is allowed on the output gate only"),
    ("output_gate: {W: 1, peephole: c}", "give P too"),
    ("output_gate: {W: 1, P: 1, peephole: new}", "unknown peephole cell 'new'; expected one of c_prev, c"),
])
def test_peephole_errors(text, message):
    blocks = {"cell_input": "{W: 1}", "input_gate": "{W: 1}", "forget_gate": "{W: 1}", "output_gate": "{W: 1}"}
    name = text.split(":")[0]
    blocks[name] = text.split(": ", 1)[1]
    spec = "inputs: [1]\nlayers:\n  - type: lstm\n    size: 1\n" + \
        "".join(f"    {k}: {v}\n" for k, v in blocks.items())
    result = CliRunner().invoke(main, ["validate", "-"], input=spec)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_reset_after_must_be_true_or_false():
    spec = ("inputs: [1]\nlayers:\n  - type: gru\n    size: 1\n    reset_after: sometimes\n"
            "    reset_gate: {W: 1}\n    update_gate: {W: 1}\n    candidate: {W: 1}\n")
    result = CliRunner().invoke(main, ["validate", "-"], input=spec)
    assert result.exit_code == 2
    assert "<stdin>:5:18: layers[0].reset_after: expected true" in result.stderr


def test_unknown_merge_names_the_new_ones():
    spec = ("inputs: [1]\nlayers:\n  - type: bidirectional\n    merge: product\n"
            "    forward: {type: elman, size: 1, W: 1, U: 1}\n    backward: {type: elman, size: 1, W: 1, U: 1}\n")
    result = CliRunner().invoke(main, ["validate", "-"], input=spec)
    assert result.exit_code == 2
    assert "expected one of concat, sum, mean, ave, mul" in result.stderr
