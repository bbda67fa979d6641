"""``direction: reverse``: a recurrent layer that reads x_T … x_1, its record of the
step that read x_t kept at t. Checked against a numpy formula written here, against
PyTorch run on the flipped sequence (forward and autograd, float64), and against the
backward direction of a bidirectional layer, which is the same computation.
"""
import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace import engine
from rnntrace.cli import main
from rnntrace.convert import spec_data_from_state_dict
from rnntrace.engine.bptt import backprop
from rnntrace.errors import RnntraceError
from rnntrace.spec import spec_from_dict

RNG = np.random.default_rng(7)
T, N_IN, H = 5, 3, 2


def elman_spec(direction="reverse", loss=True):
    W, U, b = RNG.normal(size=(H, N_IN)), RNG.normal(size=(H, H)), RNG.normal(size=H)
    xs = RNG.normal(size=(T, N_IN))
    layer = {"type": "elman", "size": H, "W": W.tolist(), "U": U.tolist(), "b": b.tolist(),
             "initial": [0.3, -0.2]}
    if direction:
        layer["direction"] = direction
    data = {"inputs": xs.tolist(), "layers": [layer]}
    if loss:
        data["train"] = {"targets": RNG.normal(size=(T, H)).tolist(), "loss": "squared_error"}
    return data, (W, U, b, xs)


def test_an_elman_layer_read_backwards_is_the_formula_run_from_t_equals_T():
    data, (W, U, b, xs) = elman_spec()
    trace = engine.run(spec_from_dict(data))
    h = np.array([0.3, -0.2])
    expected = [None] * T
    for t in range(T - 1, -1, -1):          # h_t = tanh(W·x_t + U·h_{t+1} + b), h_{T+1} = initial
        h = np.tanh(W @ xs[t] + U @ h + b)
        expected[t] = h
    for t, step in enumerate(trace):
        np.testing.assert_allclose(step.layers["elman"].h, expected[t], rtol=0, atol=1e-15)
        memory = expected[t + 1] if t + 1 < T else np.array([0.3, -0.2])
        np.testing.assert_allclose(step.layers["elman"].h_prev, memory, rtol=0, atol=1e-15)
    # a forward layer on the flipped inputs is the same numbers in the other order
    flipped = dict(data, inputs=xs[::-1].tolist(), layers=[dict(data["layers"][0], direction="forward")])
    forward = engine.run(spec_from_dict(flipped))
    for step, other in zip(trace, list(forward)[::-1]):
        np.testing.assert_array_equal(step.layers["elman"].h, other.layers["elman"].h)


def test_the_reverse_layer_is_the_backward_direction_of_a_bidirectional_layer():
    data, _ = elman_spec(loss=False)
    rev = data["layers"][0]
    fwd = {k: v for k, v in rev.items() if k != "direction"}
    bidi = {"inputs": data["inputs"], "layers": [{"type": "bidirectional", "forward": fwd,
                                                   "backward": fwd}]}
    spec = spec_from_dict(bidi)
    both = engine.run(spec)
    alone = engine.run(spec_from_dict(data))
    for a, b in zip(both, alone):
        np.testing.assert_array_equal(a.layers["bidirectional"].backward.h, b.layers["elman"].h)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_reverse_layers_match_pytorch_on_the_flipped_sequence_with_gradients(torch, kind):
    """A PyTorch module run on x_T … x_1 with its outputs flipped back is the reverse
    layer; the loss Σ_t ½‖y_t − target_t‖² (y = the last dense layer) gives the same
    gradients through autograd."""
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    gen = torch.Generator().manual_seed(3)
    rnn = cls(N_IN, H).double()
    dense = torch.nn.Linear(H, 2).double()
    with torch.no_grad():
        for p in list(rnn.parameters()) + list(dense.parameters()):
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1)
    x = torch.randn(T, N_IN, generator=gen, dtype=torch.float64)
    targets = torch.randn(T, 2, generator=gen, dtype=torch.float64)
    model = torch.nn.Sequential()
    model.add_module("rnn", rnn)
    model.add_module("out", dense)
    data = spec_data_from_state_dict(model, inputs=x.numpy())
    data["layers"][0]["direction"] = "reverse"
    data["train"] = {"targets": targets.numpy().tolist(), "loss": "squared_error"}
    spec = spec_from_dict(data)
    trace = engine.run(spec)
    hs, _ = rnn(torch.flip(x, [0]))
    hs = torch.flip(hs, [0])
    ys = dense(hs)
    for t, step in enumerate(trace):
        np.testing.assert_allclose(step.layers[data["layers"][0]["name"]].h, hs[t].detach().numpy(),
                                   rtol=0, atol=1e-13)
        np.testing.assert_allclose(step.y, ys[t].detach().numpy(), rtol=0, atol=1e-13)
    loss = 0.5 * ((ys - targets) ** 2).sum()
    loss.backward()
    grads = backprop(spec, trace)
    name = data["layers"][0]["name"]
    np.testing.assert_allclose(grads.gradients["dense.W"], dense.weight.grad.numpy(), rtol=0, atol=1e-12)
    w_ih = rnn.weight_ih_l0.grad.numpy()
    if kind == "rnn":
        np.testing.assert_allclose(grads.gradients[f"{name}.W"], w_ih, rtol=0, atol=1e-12)
        np.testing.assert_allclose(grads.gradients[f"{name}.U"], rnn.weight_hh_l0.grad.numpy(), rtol=0, atol=1e-12)
    else:
        first = "input_gate" if kind == "lstm" else "reset_gate"   # PyTorch's first row block
        np.testing.assert_allclose(grads.gradients[f"{name}.{first}.W"], w_ih[:H], rtol=0, atol=1e-12)
        np.testing.assert_allclose(grads.gradients[f"{name}.{first}.U"], rnn.weight_hh_l0.grad.numpy()[:H],
                                   rtol=0, atol=1e-12)


def test_gradients_of_a_reverse_layer_agree_with_finite_differences():
    data, _ = elman_spec()
    spec = spec_from_dict(data)
    grads = backprop(spec)

    def loss(U):
        changed = dict(data, layers=[dict(data["layers"][0], U=U.tolist())])
        return backprop(spec_from_dict(changed)).loss

    U = np.array(data["layers"][0]["U"])
    eps = 1e-6
    for i in range(H):
        for j in range(H):
            up, down = U.copy(), U.copy()
            up[i, j] += eps
            down[i, j] -= eps
            numeric = (loss(up) - loss(down)) / (2 * eps)
            assert abs(grads.gradients["elman.U"][i, j] - numeric) < 1e-7
    # the initial memory is read at t = T: its gradient is what step T hands back
    assert grads.initial["elman"]["h"].shape == (H,)


def test_the_views_say_the_layer_reads_backwards():
    data, _ = elman_spec(loss=False)
    import yaml
    runner = CliRunner()
    result = runner.invoke(main, ["run", "-", "--explain"], input=yaml.safe_dump(data))
    assert result.exit_code == 0, result.output
    assert "reverse, reads x_T … x_1" in result.output
    assert "step t has read x_T … x_t" in result.output
    from rnntrace.layers import describe, quantities
    layer = spec_from_dict(data).layers[0]
    assert describe(layer)["direction"] == "reverse"
    assert [q.latex for q in quantities(layer)][0] == r"$h_{t+1}$"


def test_direction_is_checked_and_not_allowed_inside_a_bidirectional_layer():
    data, _ = elman_spec(direction="reversed", loss=False)
    with pytest.raises(RnntraceError, match="unknown direction 'reversed'.*reverse"):
        spec_from_dict(data)
    data, _ = elman_spec(loss=False)
    bidi = {"inputs": data["inputs"], "layers": [{"type": "bidirectional", "forward": data["layers"][0],
                                                   "backward": data["layers"][0]}]}
    with pytest.raises(RnntraceError, match="no 'direction' of its own"):
        spec_from_dict(bidi)


@pytest.mark.parametrize("kind", ["elman", "lstm", "gru"])
def test_the_description_of_a_reverse_layer_computes_what_the_engine_computes(kind):
    from rnntrace.layers import describe
    from rnntrace.layers.formula import run
    from rnntrace.convert import recurrent_layers
    rng = np.random.default_rng(11)
    rows = {"elman": 1, "lstm": 4, "gru": 3}[kind]
    state = {"weight_ih_l0": rng.normal(size=(rows * H, N_IN)), "weight_hh_l0": rng.normal(size=(rows * H, H)),
             "bias_ih_l0": rng.normal(size=rows * H), "bias_hh_l0": rng.normal(size=rows * H)}
    layer = dict(recurrent_layers(state)[0], direction="reverse")
    spec = spec_from_dict({"inputs": rng.normal(size=(T, N_IN)).tolist(), "layers": [layer]})
    trace = engine.run(spec)
    steps = run([describe(spec.layers[0])], list(spec.inputs))[0]
    for step, values in zip(trace, steps):
        np.testing.assert_allclose(values["h"], step.layers[kind].h, rtol=0, atol=1e-14)


def test_an_indrnn_layer_read_backwards_is_the_formula_run_on_the_reversed_sequence():
    # h_t = relu(W·x_t + u∘h_{t+1} + b), h_{T+1} = initial: the formula of Li et al. 2018
    # run over x_T … x_1, each h kept at the t of the x it read
    W, u, b = RNG.normal(size=(H, N_IN)), RNG.normal(size=H), RNG.normal(size=H)
    xs = RNG.normal(size=(T, N_IN))
    layer = {"type": "indrnn", "size": H, "W": W.tolist(), "u": u.tolist(), "b": b.tolist(),
             "initial": [0.4, 0.1], "direction": "reverse"}
    data = {"inputs": xs.tolist(), "layers": [layer],
            "train": {"targets": RNG.normal(size=(T, H)).tolist(), "loss": "squared_error"}}
    spec = spec_from_dict(data)
    trace = engine.run(spec)
    h, expected = np.array([0.4, 0.1]), []
    for x in xs[::-1]:
        h = np.maximum(W @ x + u * h + b, 0.0)
        expected.append(h)
    expected = expected[::-1]
    assert spec.layers[0].direction == "reverse"
    for t, step in enumerate(trace):
        np.testing.assert_allclose(step.layers["indrnn"].h, expected[t], rtol=0, atol=1e-15)
        memory = expected[t + 1] if t + 1 < T else np.array([0.4, 0.1])
        np.testing.assert_allclose(step.layers["indrnn"].h_prev, memory, rtol=0, atol=1e-15)
    # the description says so, and computes the same
    from rnntrace.layers import describe
    from rnntrace.layers.formula import run
    assert describe(spec.layers[0])["direction"] == "reverse"
    for step, values in zip(trace, run([describe(spec.layers[0])], list(spec.inputs))[0]):
        np.testing.assert_allclose(values["h"], step.layers["indrnn"].h, rtol=0, atol=1e-15)
    # gradients by finite differences of the loss in u
    grads = backprop(spec)
    eps = 1e-6
    for k in range(H):
        up, down = u.copy(), u.copy()
        up[k] += eps
        down[k] -= eps
        numeric = (backprop(spec_from_dict(dict(data, layers=[dict(layer, u=up.tolist())]))).loss -
                   backprop(spec_from_dict(dict(data, layers=[dict(layer, u=down.tolist())]))).loss) / (2 * eps)
        assert abs(grads.gradients["indrnn.u"][k] - numeric) < 1e-7
    # and the view says it reads backwards
    import yaml
    result = CliRunner().invoke(main, ["run", "-", "--explain"], input=yaml.safe_dump(dict(data, train=None)))
    assert result.exit_code == 0, result.output
    assert "reverse, reads x_T … x_1" in result.output and "step t has read x_T … x_t" in result.output
