"""Packed weights in a spec (`packed: {layout, order, W, U, b, b_h}`): the four bundled
examples store one LSTM as PyTorch, Keras, CS231n and deeplearning.ai do, and each is
checked against that source's own formula, written here in numpy on the matrices as
the file holds them (and against torch.nn.LSTM / GRU), never through rnntrace's split."""
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from conftest import EXAMPLES
from rnntrace import engine
from rnntrace.cli import main
from rnntrace.spec import load_spec, spec_from_text

PACKED = ["packed_pytorch.yaml", "packed_keras.yaml", "packed_cs231n.yaml", "packed_dlai.yaml"]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def raw(name):
    """The example's inputs and packed block, as plain YAML reads them."""
    data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    packed = data["layers"][0]["packed"]
    return np.array(data["inputs"], dtype=float), {k: np.array(v, dtype=float) if k not in ("layout", "order")
                                                    else v for k, v in packed.items()}


def trace_h(name):
    trace = engine.run(load_spec(EXAMPLES / name))
    return np.array([s.layers["lstm"].h for s in trace]), np.array([s.layers["lstm"].c for s in trace])


def run_cs231n(xs, Wx, Wh, b):
    """CS231n's lstm_step_forward: a = x·Wx + prev_h·Wh + b, split into ai, af, ao, ag."""
    H = Wh.shape[0]
    h, c, hs = np.zeros(H), np.zeros(H), []
    for x in xs:
        a = x @ Wx + h @ Wh + b
        i, f, o, g = sigmoid(a[:H]), sigmoid(a[H:2 * H]), sigmoid(a[2 * H:3 * H]), np.tanh(a[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.array(hs)


def run_keras(xs, kernel, recurrent, bias):
    """Keras' LSTMCell: z = x·kernel + h·recurrent_kernel + bias, split i, f, c, o."""
    H = recurrent.shape[0]
    h, c, hs = np.zeros(H), np.zeros(H), []
    for x in xs:
        z = x @ kernel + h @ recurrent + bias
        i, f, cc, o = sigmoid(z[:H]), sigmoid(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sigmoid(z[3 * H:])
        c = f * c + i * cc
        h = o * np.tanh(c)
        hs.append(h)
    return np.array(hs)


def run_dlai(xs, W, b):
    """deeplearning.ai's lstm_cell_forward with Wf, Wi, Wc, Wo stacked: each gate is
    W_k·[a_prev; x_t] + b_k."""
    H = W.shape[0] // 4
    Wf, Wi, Wc, Wo = (W[k * H:(k + 1) * H] for k in range(4))
    bf, bi, bc, bo = (b[k * H:(k + 1) * H] for k in range(4))
    a, c, hs = np.zeros(H), np.zeros(H), []
    for x in xs:
        concat = np.concatenate([a, x])
        ft, it = sigmoid(Wf @ concat + bf), sigmoid(Wi @ concat + bi)
        cct, ot = np.tanh(Wc @ concat + bc), sigmoid(Wo @ concat + bo)
        c = ft * c + it * cct
        a = ot * np.tanh(c)
        hs.append(a)
    return np.array(hs)


def test_the_four_examples_are_one_lstm():
    first, first_c = trace_h(PACKED[0])
    for name in PACKED[1:]:
        h, c = trace_h(name)
        assert np.array_equal(h, first) and np.array_equal(c, first_c), name


def test_cs231n_example_is_cs231n_s_formula():
    xs, p = raw("packed_cs231n.yaml")
    assert p["order"] == ["i", "f", "o", "g"] and p["layout"] == "inputs_by_units"
    np.testing.assert_allclose(trace_h("packed_cs231n.yaml")[0], run_cs231n(xs, p["W"], p["U"], p["b"]),
                               rtol=0, atol=1e-15)


def test_keras_example_is_keras_formula():
    xs, p = raw("packed_keras.yaml")
    np.testing.assert_allclose(trace_h("packed_keras.yaml")[0], run_keras(xs, p["W"], p["U"], p["b"]),
                               rtol=0, atol=1e-15)


def test_dlai_example_is_deeplearning_ai_s_formula():
    xs, p = raw("packed_dlai.yaml")
    np.testing.assert_allclose(trace_h("packed_dlai.yaml")[0], run_dlai(xs, p["W"], p["b"]), rtol=0, atol=1e-15)


def test_pytorch_example_is_torch_nn_lstm(torch):
    xs, p = raw("packed_pytorch.yaml")
    lstm = torch.nn.LSTM(3, 2).double()
    with torch.no_grad():
        for name, key in (("weight_ih_l0", "W"), ("weight_hh_l0", "U"), ("bias_ih_l0", "b"), ("bias_hh_l0", "b_h")):
            getattr(lstm, name).copy_(torch.tensor(p[key]))
        expected, _ = lstm(torch.tensor(xs))
    np.testing.assert_allclose(trace_h("packed_pytorch.yaml")[0], expected.numpy(), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- GRU

GRU_SPEC = """
inputs: {inputs}
layers:
  - name: gru
    type: gru
    size: 2
{extra}    packed:
      layout: {layout}
      W: {W}
      U: {U}
      b: {b}
      b_h: {b_h}
"""


def gru_spec(layout, W, U, b, b_h, xs, extra=""):
    return spec_from_text(GRU_SPEC.format(inputs=xs.tolist(), layout=layout, W=W.tolist(), U=U.tolist(),
                                          b=b.tolist(), b_h=b_h.tolist(), extra=extra))


def test_gru_pytorch_layout_is_torch_nn_gru(torch):
    rng = np.random.default_rng(0)
    W, U, b, b_h, xs = rng.uniform(-1, 1, (6, 3)), rng.uniform(-1, 1, (6, 2)), rng.uniform(-1, 1, 6), \
        rng.uniform(-1, 1, 6), rng.standard_normal((4, 3))
    gru = torch.nn.GRU(3, 2).double()
    with torch.no_grad():
        for name, value in (("weight_ih_l0", W), ("weight_hh_l0", U), ("bias_ih_l0", b), ("bias_hh_l0", b_h)):
            getattr(gru, name).copy_(torch.tensor(value))
        expected, _ = gru(torch.tensor(xs))
    spec = gru_spec("pytorch", W, U, b, b_h, xs)
    assert spec.layers[0].blocks["candidate"].b_h.tolist() == b_h[4:].tolist()   # rows r, z, n: n last
    trace = engine.run(spec)
    np.testing.assert_allclose([s.y for s in trace], expected.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_keras_layout_is_keras_formula(reset_after):
    """Keras' GRUCell, columns z, r, h: with reset_after the bias has two rows (input,
    recurrent; spec b and b_h), without it one (b_h left at 0 here)."""
    rng = np.random.default_rng(1)
    K, R, xs = rng.uniform(-1, 1, (3, 6)), rng.uniform(-1, 1, (2, 6)), rng.standard_normal((4, 3))
    b_in, b_rec = rng.uniform(-1, 1, 6), rng.uniform(-1, 1, 6) if reset_after else np.zeros(6)
    h, expected = np.zeros(2), []
    for x in xs:
        mx, mh = x @ K + b_in, h @ R + b_rec
        z, r = sigmoid(mx[:2] + mh[:2]), sigmoid(mx[2:4] + mh[2:4])
        hh = np.tanh(mx[4:] + r * mh[4:]) if reset_after else np.tanh(mx[4:] + (r * h) @ R[:, 4:])
        h = z * h + (1 - z) * hh
        expected.append(h)
    spec = gru_spec("keras", K, R, b_in, b_rec, xs, extra="" if reset_after else "    reset_after: false\n")
    np.testing.assert_allclose([s.y for s in engine.run(spec)], expected, rtol=0, atol=1e-14)


# --------------------------------------------------------------------------- validate and errors

def invoke(*args, **kwargs):
    return CliRunner().invoke(main, list(args), **kwargs)


def test_validate_shows_where_each_gate_came_from():
    result = invoke("validate", str(EXAMPLES / "packed_cs231n.yaml"))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[1] == "lstm: packed weights, layout inputs_by_units, order i, f, o, g"
    assert lines[2] == "  (W 3×8, U 2×8; rows and columns counted from 1)"
    assert lines[3:] == ["  input_gate  ← i: W and U columns 1–2, b entries 1–2",
                         "  forget_gate ← f: W and U columns 3–4, b entries 3–4",
                         "  output_gate ← o: W and U columns 5–6, b entries 5–6",
                         "  cell_input  ← g: W and U columns 7–8, b entries 7–8"]
    assert max(len(line) for line in result.stdout.splitlines()[1:]) <= 80
    gru = invoke("validate", "-", input=GRU_SPEC.format(inputs=[[1]], layout="pytorch", W=0, U=0, b=0, b_h=0,
                                                         extra=""))
    assert "  candidate   ← n: W and U rows 5–6, b and b_h entries 5–6" in gru.stdout   # b_h kept apart


LSTM = """inputs: [[1, 2, 3]]
layers:
  - type: lstm
    size: 1
    packed:
      layout: {layout}
      order: {order}
      W: {W}
"""


@pytest.mark.parametrize("layout,order,W,where,message", [
    ("inputs_by_units", "[i, f, o, i]", 0, "7:24: layers[0].packed.order[3]",
     "'i' names input_gate a second time (first at order[0])"),
    ("inputs_by_units", "[i, f, o]", 0, "7:14: layers[0].packed.order", "the order does not name cell_input"),
    ("inputs_by_units", "[i, f, o, q]", 0, "7:24: layers[0].packed.order[3]", "unknown gate 'q'"),
    ("inputs_by_units", "[i, f, o, gg]", 0, "layers[0].packed.order[3]", "(did you mean 'g'?)"),
    ("inputs_by_units", "i", 0, "layers[0].packed.order", "expected a list of the 4 gates"),
    ("inputs_by_units", "null", 0, "layers[0].packed", "missing 'order': layout inputs_by_units needs"),
    ("pytorch", "[i, f, o, g]", 0, "layers[0].packed.order", "layout pytorch has the order i, f, g, o"),
    ("kears", "null", 0, "layers[0].packed.layout", "(did you mean 'keras'?)"),
    ("units_by_inputs", "[i, f, g, o]", "[[1, 2, 3, 4]]", "layers[0].packed.W", "expected a 4×3 matrix"),
    ("inputs_by_units", "[i, f, g, o]", "[[1, 2, 3]]", "layers[0].packed.W", "expected a 3×4 matrix"),
])
def test_bad_packing_is_a_positioned_error(layout, order, W, where, message):
    text = LSTM.format(layout=layout, order=order, W=W)
    result = invoke("validate", "-", input=text)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: <stdin>:") and where in result.stderr and message in result.stderr


def test_packed_and_blocks_together_and_concat_with_u_are_refused():
    both = LSTM.format(layout="keras", order="null", W=0) + "    input_gate: {W: 0}\n"
    result = invoke("validate", "-", input=both)
    assert result.exit_code == 2 and "given twice: in 'packed' and as the block 'input_gate'" in result.stderr
    concat = LSTM.format(layout="concat_hx", order="[f, i, c, o]", W=0) + "      U: 0\n"
    result = invoke("validate", "-", input=concat)
    assert result.exit_code == 2 and "layout concat_hx has no U" in result.stderr
    unknown = LSTM.format(layout="keras", order="null", W=0) + "      Wx: 0\n"
    result = invoke("validate", "-", input=unknown)
    assert result.exit_code == 2 and "unknown key 'Wx'" in result.stderr


def test_named_layout_accepts_its_own_order_in_other_words():
    text = LSTM.format(layout="keras", order="[input_gate, forget_gate, cell_input, output_gate]", W=0)
    assert invoke("validate", "-", input=text).exit_code == 0
