"""Backpropagation through time against PyTorch autograd, in float64.

The spec is written here from the module's weights (PyTorch stacks the gates by rows:
LSTM [i; f; g; o], GRU [r; z; n]; b = b_ih + b_hh, except the GRU candidate's b_hh,
which the reset gate multiplies and which is the block's b_h). The loss is computed in
PyTorch and differentiated by autograd; every gradient is compared entry by entry.
"""
import numpy as np
import pytest

from rnntrace.engine.bptt import backprop
from rnntrace.spec import spec_from_dict

T, N_IN, H, N_OUT = 6, 3, 4, 3
LSTM_ROWS = ("input_gate", "forget_gate", "cell_input", "output_gate")
GRU_ROWS = ("reset_gate", "update_gate", "candidate")


def rows(tensor, k):
    return tensor.detach().numpy()[k * H:(k + 1) * H]


def recurrent_layer(kind, module, name, suffix=""):
    w_ih, w_hh = getattr(module, "weight_ih_l0" + suffix), getattr(module, "weight_hh_l0" + suffix)
    b_ih, b_hh = getattr(module, "bias_ih_l0" + suffix), getattr(module, "bias_hh_l0" + suffix)
    if kind == "rnn":
        return {"name": name, "type": "elman", "size": H, "activation": module.nonlinearity,
                "W": w_ih.detach().numpy().tolist(), "U": w_hh.detach().numpy().tolist(),
                "b": (b_ih + b_hh).detach().numpy().tolist()}
    layer = {"name": name, "type": kind, "size": H}
    for k, block in enumerate(LSTM_ROWS if kind == "lstm" else GRU_ROWS):
        entry = {"W": rows(w_ih, k).tolist(), "U": rows(w_hh, k).tolist()}
        if kind == "gru" and block == "candidate":
            entry["b"], entry["b_h"] = rows(b_ih, k).tolist(), rows(b_hh, k).tolist()
        else:
            entry["b"] = (rows(b_ih, k) + rows(b_hh, k)).tolist()
        layer[block] = entry
    return layer


def torch_gradient_of(kind, module, spec_name, suffix=""):
    """The spec's gradient names → PyTorch's gradient, sliced and summed the same way."""
    g = {p: getattr(module, p + "_l0" + suffix).grad.numpy()
         for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    if kind == "rnn":
        return {f"{spec_name}.W": g["weight_ih"], f"{spec_name}.U": g["weight_hh"], f"{spec_name}.b": g["bias_ih"]}
    out = {}
    for k, block in enumerate(LSTM_ROWS if kind == "lstm" else GRU_ROWS):
        sl = slice(k * H, (k + 1) * H)
        out[f"{spec_name}.{block}.W"] = g["weight_ih"][sl]
        out[f"{spec_name}.{block}.U"] = g["weight_hh"][sl]
        out[f"{spec_name}.{block}.b"] = g["bias_ih"][sl]
        if kind == "gru" and block == "candidate":
            out[f"{spec_name}.{block}.b_h"] = g["bias_hh"][sl]
        else:   # b_ih and b_hh enter z the same way here: the same gradient
            np.testing.assert_allclose(g["bias_ih"][sl], g["bias_hh"][sl], rtol=1e-12, atol=1e-15)
    return out


def make(torch, kind, bidirectional=False, nonlinearity="tanh"):
    torch.manual_seed(len(kind) + 10 * bidirectional + (nonlinearity == "relu"))
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    kw = {"nonlinearity": nonlinearity} if kind == "rnn" else {}
    module = cls(N_IN, H, bidirectional=bidirectional, dtype=torch.float64, **kw)
    linear = torch.nn.Linear(H * (2 if bidirectional else 1), N_OUT, dtype=torch.float64)
    return module, linear


CASES = [("rnn", False, "tanh"), ("rnn", False, "relu"), ("lstm", False, "tanh"), ("gru", False, "tanh"),
         ("rnn", True, "tanh"), ("lstm", True, "tanh"), ("gru", True, "tanh")]


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy"])
@pytest.mark.parametrize("kind,bidirectional,nonlinearity", CASES)
def test_gradients_match_pytorch_autograd(torch, kind, bidirectional, nonlinearity, loss):
    module, linear = make(torch, kind, bidirectional, nonlinearity)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((T, N_IN))
    if loss == "squared_error":
        targets = rng.standard_normal((T, N_OUT))
        targets[1] = np.nan   # a step without a target
    else:
        labels = rng.integers(0, N_OUT, T)

    out, _ = module(torch.tensor(x).unsqueeze(1))
    z = linear(out.squeeze(1))
    keep = [t for t in range(T) if t != 1]
    if loss == "squared_error":
        y = z
        L = 0.5 * ((y[keep] - torch.tensor(targets[keep])) ** 2).sum()
    else:
        L = -torch.log_softmax(z, dim=1)[torch.arange(T), torch.tensor(labels)].sum()
    L.backward()

    if bidirectional:
        recurrent = {"name": "rnn", "type": "bidirectional", "merge": "concat",
                     "forward": recurrent_layer(kind, module, "forward"),
                     "backward": recurrent_layer(kind, module, "backward", "_reverse")}
    else:
        recurrent = recurrent_layer(kind, module, "rnn")
    output = {"name": "out", "type": "dense", "size": N_OUT,
              "activation": "linear" if loss == "squared_error" else "softmax",
              "W": linear.weight.detach().numpy().tolist(), "b": linear.bias.detach().numpy().tolist()}
    if loss == "squared_error":
        train_targets = [None if t == 1 else targets[t].tolist() for t in range(T)]
    else:
        train_targets = [int(v) for v in labels]
    spec = spec_from_dict({"inputs": x.tolist(), "layers": [recurrent, output],
                           "train": {"targets": train_targets, "loss": loss}})
    result = backprop(spec)

    expected = {"out.W": linear.weight.grad.numpy(), "out.b": linear.bias.grad.numpy()}
    if bidirectional:
        expected.update(torch_gradient_of(kind, module, "rnn.forward"))
        expected.update(torch_gradient_of(kind, module, "rnn.backward", "_reverse"))
    else:
        expected.update(torch_gradient_of(kind, module, "rnn"))
    assert result.loss == pytest.approx(L.item(), rel=1e-12)
    assert set(result.gradients) == set(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(result.gradients[name], value, rtol=1e-9, atol=1e-12, err_msg=name)


def test_clipping_and_the_update_match_torch_utilities(torch):
    """clip_grad_norm_ / clip_grad_value_ and one torch.optim.SGD step on the same gradients."""
    module, linear = make(torch, "lstm")
    rng = np.random.default_rng(2)
    x = rng.standard_normal((T, N_IN))
    targets = rng.standard_normal((T, N_OUT)) * 5
    spec_layers = [recurrent_layer("lstm", module, "rnn"),
                   {"name": "out", "type": "dense", "size": N_OUT, "W": linear.weight.detach().numpy().tolist(),
                    "b": linear.bias.detach().numpy().tolist()}]
    spec = spec_from_dict({"inputs": x.tolist(), "layers": spec_layers,
                           "train": {"targets": targets.tolist()}})
    for kind, theta in (("norm", 0.5), ("value", 0.05)):
        module.zero_grad(), linear.zero_grad()
        out, _ = module(torch.tensor(x).unsqueeze(1))
        L = 0.5 * ((linear(out.squeeze(1)) - torch.tensor(targets)) ** 2).sum()
        L.backward()
        # the spec's b is b_ih + b_hh: one gradient, so the norm counts bias_hh's (equal) one once
        params = [module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0] + list(linear.parameters())
        before = linear.weight.detach().clone()
        if kind == "norm":
            total = torch.nn.utils.clip_grad_norm_(params, theta)
            assert total.item() > theta   # the case where clipping does something
        else:
            torch.nn.utils.clip_grad_value_(params, theta)
        expected = linear.weight.grad.numpy()
        if kind == "norm":
            # PyTorch scales by θ/(‖g‖ + 1e-6); docs/grad.md by θ/‖g‖
            expected = expected * (total.item() + 1e-6) / total.item()
        result = backprop(spec, clip=(kind, theta), learning_rate=0.1)
        if kind == "norm":
            assert result.norm == pytest.approx(total.item(), rel=1e-12)
        np.testing.assert_allclose(result.clipped["out.W"], expected, rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(result.updated["out.W"], before.numpy() - 0.1 * expected, rtol=1e-10, atol=1e-15)
