"""--dtype float32: the run and the backward pass in float32, as PyTorch computes by default.

PyTorch in float32 is the independent implementation: the same weights (float32
values, written into the spec exactly by rnntrace.convert) and inputs, every step's
output and every gradient (weights, dL/dx, dL/dh_0, dL/dc_0) agree to float32's own
rounding, ≤ 1e-6 relative to the largest entry of each array. That alone would also
pass a float64 computation, so the tests also require every array to be float32 and
look at values where float32 and float64 differ (σ(17) is exactly 1 in float32).
"""
import json

import numpy as np
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.convert import spec_data_from_state_dict
from rnntrace.engine.bptt import backprop
from rnntrace.spec import spec_from_dict, spec_from_text

from conftest import EXAMPLES, schema, strict_json

REL = 1e-6
T, N_IN, H, N_OUT = 5, 3, 4, 3


def agree(ours, theirs, what="", rel=REL):
    """The relative error ‖ours − theirs‖ / ‖theirs‖ (Euclidean, over the array) is at most
    1e-6: float32 rounding (ε = 1.2e-7) over a few steps. Both sides are float32 results
    that differ from the exact value by a few ε each, in their own directions (PyTorch sums
    in other orders and fuses its biases), so single entries near cancellation can differ
    by more; a wrong formula or a float16 step is off by far more."""
    ours, theirs = np.asarray(ours).astype(np.float64), np.asarray(theirs, dtype=np.float64)
    scale = max(float(np.linalg.norm(theirs)), 1e-30)
    error = float(np.linalg.norm(ours - theirs))
    assert error <= rel * scale, f"{what}: off by {error:.3g}, {error / scale:.3g} relative"


def float32_arrays(value, path="", found=None):
    """(path, dtype) of every float array in records, gradients and their containers."""
    found = [] if found is None else found
    if isinstance(value, np.ndarray):
        found.append((path, value.dtype))
    elif isinstance(value, np.floating):
        found.append((path, value.dtype))
    elif isinstance(value, dict):
        for k, v in value.items():
            float32_arrays(v, f"{path}.{k}", found)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            float32_arrays(v, f"{path}[{i}]", found)
    elif hasattr(value, "__dataclass_fields__"):
        for k in value.__dataclass_fields__:
            if k not in ("spec", "document", "lexicon", "clip", "clip_scale", "learning_rate", "norm"):
                float32_arrays(getattr(value, k), f"{path}.{k}", found)
    return found


def assert_all_float32(value, what):
    wrong = [(p, d) for p, d in float32_arrays(value) if d != np.float32]
    assert not wrong, f"{what}: not float32: {wrong[:5]}"


# --------------------------------------------------------------------------- PyTorch in float32

CASES = [("rnn", False, "tanh"), ("rnn", False, "relu"), ("lstm", False, "tanh"), ("gru", False, "tanh"),
         ("rnn", True, "tanh"), ("lstm", True, "tanh"), ("gru", True, "tanh")]
BLOCKS = {"lstm": ("input_gate", "forget_gate", "cell_input", "output_gate"),
          "gru": ("reset_gate", "update_gate", "candidate")}


def model(torch, kind, bidirectional, nonlinearity, seed):
    torch.manual_seed(seed)
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    kw = {"nonlinearity": nonlinearity} if kind == "rnn" else {}
    rnn = cls(N_IN, H, bidirectional=bidirectional, dtype=torch.float32, **kw)
    with torch.no_grad():   # wider than the default, so that tanh and the gates bend
        for p in rnn.parameters():
            p.uniform_(-1.2, 1.2)
    linear = torch.nn.Linear(H * (2 if bidirectional else 1), N_OUT, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed + 1)
    directions = 2 if bidirectional else 1
    data = {"x": torch.randn(T, N_IN, generator=gen) * 1.5, "h0": torch.randn(directions, H, generator=gen),
            "c0": torch.randn(directions, H, generator=gen) if kind == "lstm" else None,
            "targets": torch.randn(T, N_OUT, generator=gen), "labels": torch.randint(0, N_OUT, (T,), generator=gen)}
    data = {k: v if v is None or k == "labels" else v.float() for k, v in data.items()}
    return rnn, linear, data


def torch_run(torch, kind, bidirectional, rnn, linear, data, loss, dtype, name, out_name):
    """PyTorch's forward and backward in ``dtype`` (float32, or float64 for the exact
    reference: the same float32 weights and inputs, widened), named as the spec names them."""
    import copy
    rnn, linear = copy.deepcopy(rnn).to(dtype), copy.deepcopy(linear).to(dtype)
    x = data["x"].detach().to(dtype).requires_grad_()
    h0 = data["h0"].detach().to(dtype).requires_grad_()
    c0 = data["c0"].detach().to(dtype).requires_grad_() if kind == "lstm" else None
    out, _ = rnn(x, (h0, c0) if kind == "lstm" else h0)
    z = linear(out)
    if loss == "squared_error":
        L = 0.5 * ((z - data["targets"].to(dtype)) ** 2).sum()
        y = z
    else:
        L = torch.nn.functional.cross_entropy(z, data["labels"], reduction="sum")
        y = torch.softmax(z, -1)
    L.backward()
    assert L.dtype == dtype
    got = {"L": L.item(), "out": out.detach().numpy(), "y": y.detach().numpy(), "dx": x.grad.numpy(),
           f"{out_name}.W": linear.weight.grad.numpy(), f"{out_name}.b": linear.bias.grad.numpy()}
    parts = [("", "")] if not bidirectional else [("forward.", ""), ("backward.", "_reverse")]
    for d, (prefix, suffix) in enumerate(parts):
        got[f"{prefix}h_0"] = h0.grad[d].numpy()
        if kind == "lstm":
            got[f"{prefix}c_0"] = c0.grad[d].numpy()
        g = {p: getattr(rnn, f"{p}_l0{suffix}").grad.numpy() for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        if kind == "rnn":
            got.update({f"{name}.{prefix}W": g["weight_ih"], f"{name}.{prefix}U": g["weight_hh"],
                        f"{name}.{prefix}b": g["bias_ih"]})
            continue
        for k, block in enumerate(BLOCKS[kind]):
            rows = slice(k * H, (k + 1) * H)
            got[f"{name}.{prefix}{block}.W"] = g["weight_ih"][rows]
            got[f"{name}.{prefix}{block}.U"] = g["weight_hh"][rows]
            got[f"{name}.{prefix}{block}.b"] = g["bias_ih"][rows]
            if block == "candidate":
                got[f"{name}.{prefix}{block}.b_h"] = g["bias_hh"][rows]
    return got


@pytest.mark.parametrize("loss", ["squared_error", "cross_entropy"])
@pytest.mark.parametrize("kind,bidirectional,nonlinearity", CASES)
def test_forward_and_every_gradient_agree_with_pytorch_in_float32(torch, kind, bidirectional, nonlinearity,
                                                                   loss):
    """Forward: every step's outputs and the loss agree with PyTorch's float32 run to 1e-6
    relative. Gradients: each array is within 2e-6 relative of the exact answer (PyTorch
    in float64 on the same float32 numbers) and of PyTorch's float32 run, and PyTorch's
    own float32 run needs the same 2e-6 (it reaches 1.1e-6 on a bidirectional LSTM's W:
    two float32 results, each a few ε = 1.2e-7 from the exact one in its own direction);
    the whole gradient (every weight together) agrees with PyTorch's to 1e-6."""
    rnn, linear, data = model(torch, kind, bidirectional, nonlinearity, seed=3)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn, self.out = rnn, linear

    initial = (data["h0"], data["c0"]) if kind == "lstm" else data["h0"]
    spec_data = spec_data_from_state_dict(Net(), inputs=data["x"], initial={"rnn": initial},
                                          activation="softmax" if loss == "cross_entropy" else "linear")
    spec_data["train"] = ({"targets": data["targets"].numpy().tolist()} if loss == "squared_error" else
                          {"targets": [int(k) for k in data["labels"]], "loss": "cross_entropy"})
    spec = spec_from_dict(spec_data)
    name, out_name = spec.layers[0].name, spec.layers[1].name
    result = backprop(spec, dtype="float32")
    trace = rnntrace.run(spec, dtype="float32")
    assert_all_float32(trace.steps, "trace")
    assert_all_float32(result, "gradients")
    assert isinstance(result.loss, np.float32) and isinstance(result.norm, np.float32)

    ours = {"L": result.loss, "out": np.array([step.layers[name].output for step in trace]),
            "y": np.array([step.y for step in trace]), "dx": np.array([s.dx for s in reversed(result.steps)])}
    ours.update(result.gradients)
    initial = result.initial[name]
    for prefix in (("forward.", "backward.") if bidirectional else ("",)):
        memories = initial[prefix.rstrip(".")] if bidirectional else initial
        ours[f"{prefix}h_0"] = memories["h"]
        if kind == "lstm":
            ours[f"{prefix}c_0"] = memories["c"]
    f32 = torch_run(torch, kind, bidirectional, rnn, linear, data, loss, torch.float32, name, out_name)
    exact = torch_run(torch, kind, bidirectional, rnn, linear, data, loss, torch.float64, name, out_name)
    assert set(ours) == set(f32) == set(exact)
    assert set(result.gradients) == set(f32) - {"L", "out", "y", "dx", "h_0", "c_0", "forward.h_0",
                                                  "backward.h_0", "forward.c_0", "backward.c_0"}
    for key in ("L", "out", "y"):
        agree(ours[key], f32[key], f"{key} against PyTorch in float32")
        agree(ours[key], exact[key], f"{key} against the exact answer")
    for key in set(ours) - {"L", "out", "y"}:
        agree(ours[key], exact[key], f"{key} against the exact answer", rel=2 * REL)
        agree(f32[key], exact[key], f"{key}: PyTorch's float32 against the exact answer", rel=2 * REL)
        agree(ours[key], f32[key], f"{key} against PyTorch in float32", rel=2 * REL)
    whole = sorted(result.gradients)
    agree(np.concatenate([np.ravel(ours[k]) for k in whole]), np.concatenate([np.ravel(f32[k]) for k in whole]),
          "the whole gradient against PyTorch in float32")


def test_a_dense_softmax_network_agrees_with_pytorch_in_float32(torch):
    """nn.Linear layers alone (tanh, then softmax with cross-entropy)."""
    torch.manual_seed(8)
    first = torch.nn.Linear(N_IN, 4, dtype=torch.float32)
    second = torch.nn.Linear(4, N_OUT, dtype=torch.float32)
    x = torch.randn(T, N_IN, dtype=torch.float32, requires_grad=True)
    labels = torch.tensor([0, 2, 1, 1, 0])
    z = second(torch.tanh(first(x)))
    L = torch.nn.functional.cross_entropy(z, labels, reduction="sum")
    L.backward()
    spec = spec_from_dict({
        "inputs": x.detach().numpy().tolist(),
        "layers": [{"type": "dense", "name": "hidden", "size": 4, "activation": "tanh",
                    "W": first.weight.detach().numpy().tolist(), "b": first.bias.detach().numpy().tolist()},
                   {"type": "dense", "name": "out", "size": N_OUT, "activation": "softmax",
                    "W": second.weight.detach().numpy().tolist(), "b": second.bias.detach().numpy().tolist()}],
        "train": {"targets": labels.tolist(), "loss": "cross_entropy"}})
    result = backprop(spec, dtype="float32")
    assert_all_float32(result, "gradients")
    assert abs(float(result.loss) - L.item()) <= REL * L.item()
    for key, param in (("hidden.W", first.weight), ("hidden.b", first.bias), ("out.W", second.weight),
                       ("out.b", second.bias)):
        agree(result.gradients[key], param.grad.numpy(), key)
    for step in result.steps:
        agree(step.dx, x.grad[step.t - 1].numpy(), f"dx, step {step.t}")
    assert result.initial == {}


def test_a_float32_sigmoid_is_exactly_1_where_float64_is_not(torch):
    """σ(17) = 1 − 4.1e-8: float32 has no number between 1 − 6e-8 and 1, so it rounds to 1,
    as torch.sigmoid in float32 does; float64 keeps 0.99999995860062."""
    text = """
inputs: [[1]]
layers:
  - {name: gate, type: dense, size: 1, activation: sigmoid, W: 17, b: 0}
"""
    spec = spec_from_text(text)
    a32 = rnntrace.run(spec, dtype="float32")[0].y
    a64 = rnntrace.run(spec)[0].y
    expected = torch.sigmoid(torch.tensor([17.0], dtype=torch.float32)).numpy()
    assert a32.dtype == np.float32 and a32[0] == expected[0] == 1.0
    assert a64[0] == 1 / (1 + np.exp(-17.0)) and a64[0] < 1.0


def test_the_float32_run_differs_from_the_float64_one_where_float32_rounds():
    """The lecture's LSTM: the cell after step 3 is 7·σ(10) + 2·σ(−10), which float32 rounds
    to 6.9997725 (the float64 answer is 6.999773010...). Computed here in numpy float32."""
    trace32 = rnntrace.run(rnntrace.load_spec(EXAMPLES / "lstm_example.yaml"), dtype="float32")
    f = np.float32
    sig = lambda z: f(1) / (f(1) + np.exp(-f(z), dtype=np.float32))  # noqa: E731
    c = f(0)
    for x0, x1, x2 in ((3, 1, 0), (4, 1, 0), (2, 0, 0)):
        g, i, fg = f(x0), sig(f(100) * f(x1) - f(10)), sig(f(100) * f(x1) + f(10))
        c = g * i + c * fg
    assert trace32[2].layers["lstm"].c[0] == c
    assert str(c) == "6.9997725"
    trace64 = rnntrace.run(rnntrace.load_spec(EXAMPLES / "lstm_example.yaml"))
    assert trace64[2].layers["lstm"].c[0] != float(c)


# --------------------------------------------------------------------------- no float64 anywhere

@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_every_array_of_a_float32_run_and_backprop_is_float32(example):
    spec = rnntrace.load_spec(EXAMPLES / example)
    trace = rnntrace.run(spec, dtype="float32")
    assert trace.spec.dtype == "float32"
    assert_all_float32(trace.steps, example)
    if spec.train is not None:
        result = backprop(spec, dtype="float32", clip=spec.train.clip, learning_rate=spec.train.learning_rate)
        assert_all_float32(result, example)
        assert isinstance(result.loss, np.float32) and isinstance(result.norm, np.float32)


def test_every_activation_keeps_float32():
    from rnntrace.layers.activations import NAMES, activate, back, derivative
    z = np.array([-3.0, -0.5, 0.0, 0.7, 2.6], dtype=np.float32)
    for name in NAMES:
        a = activate(name, z)
        assert a.dtype == np.float32, name
        assert back(name, z, a, np.ones_like(z)).dtype == np.float32, name
        if name != "softmax":
            assert derivative(name, z).dtype == np.float32, name
    # hard_sigmoid in float32 is clip(0.2·z + 0.5, 0, 1) with 0.2 rounded to float32
    expected = np.clip(np.float32(0.2) * z + np.float32(0.5), np.float32(0), np.float32(1))
    assert np.array_equal(activate("hard_sigmoid", z), expected)


def test_the_dtype_names_are_checked():
    spec = rnntrace.load_spec(EXAMPLES / "elman.yaml")
    with pytest.raises(ValueError, match="float64, float32"):
        rnntrace.run(spec, dtype="float16")


# --------------------------------------------------------------------------- the command line

def invoke(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input, env={"NO_COLOR": "1", "COLUMNS": "80"})
    return result


def test_float64_stays_the_default_and_its_output_is_unchanged():
    for command in (["run", "lstm_example.yaml", "--format", "json"],
                    ["grad", "many_to_one.yaml", "--format", "json"],
                    ["run", "gru.yaml"]):
        default = invoke(*command)
        explicit = invoke(*command, "--dtype", "float64")
        assert default.exit_code == explicit.exit_code == 0
        assert default.stdout == explicit.stdout
        assert "dtype" not in default.stdout and "float32" not in default.stdout


def numbers_of(value):
    if isinstance(value, list):
        for item in value:
            yield from numbers_of(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from numbers_of(item)
    elif isinstance(value, float):
        yield value


def test_float32_json_writes_the_shortest_text_of_each_float32_and_says_so():
    out = invoke("run", "lstm_example.yaml", "--format", "json", "--dtype", "float32")
    assert out.exit_code == 0
    data = strict_json(out.stdout)
    assert data["dtype"] == "float32"
    import jsonschema
    jsonschema.validate(data, schema("trace.json"))
    trace = rnntrace.run(rnntrace.load_spec(EXAMPLES / "lstm_example.yaml"), dtype="float32")
    # every number reads back (as a float32) to the run's value, exactly
    h = [np.float32(step["layers"]["lstm"]["h"][0]) for step in data["steps"]]
    assert h == [step.layers["lstm"].h[0] for step in trace]
    # and is written short: σ(−10) in float32 is 4.539786e-05, not 4.539786084205844e-05
    assert "4.539786e-05" in out.stdout and "4.539786084" not in out.stdout
    for value in numbers_of(data):
        text = repr(value)
        shortest = str(np.float32(value))
        assert float(text) == float(shortest), (text, shortest)
    lines = invoke("run", "lstm_example.yaml", "--format", "jsonl", "--dtype", "float32").stdout.splitlines()
    assert json.loads(lines[0])["dtype"] == "float32"
    csv_text = invoke("run", "lstm_example.yaml", "--format", "csv", "--dtype", "float32").stdout
    assert "4.539786e-05" in csv_text and "4.539786084" not in csv_text


def test_float32_grad_json_follows_the_schema_and_says_float32():
    import jsonschema
    for example in ("many_to_one.yaml", "clip_norm.yaml", "slot_filling_train.yaml", "lstm_upstream.yaml"):
        out = invoke("grad", example, "--format", "json", "--dtype", "float32")
        assert out.exit_code == 0, out.output
        data = strict_json(out.stdout)
        jsonschema.validate(data, schema("grad.json"))
        assert data["dtype"] == "float32"
        result = backprop(rnntrace.load_spec(EXAMPLES / example), dtype="float32")
        assert np.float32(data["loss"]) == result.loss


def test_the_float32_views_say_so_and_show_float32_exact_values():
    out = invoke("run", "lstm_example.yaml", "--dtype", "float32", "--explain", "--steps", "4").stdout
    assert "Computed in float32" in out
    assert "σ(90) = 1 (in float32)" in out
    # the exact column: the shortest text of the float32, 6.9995 (float64 has 6.999500633749107)
    c4 = rnntrace.run(rnntrace.load_spec(EXAMPLES / "lstm_example.yaml"), dtype="float32")[3].layers["lstm"].c[0]
    assert str(c4) == "6.9995" and np.float32("6.9995") == c4 and float(c4) != 6.9995
    row = next(line for line in out.splitlines() if "lstm.c " in line and line.startswith("4 "))
    assert row.split()[-2:] == ["6.9995", "6.9995"]   # exact, then shown; not 6.999499797821045
    grad_out = invoke("grad", "many_to_one.yaml", "--dtype", "float32").stdout
    assert "Computed in float32 (--dtype), forward and backward" in grad_out
    assert all(len(line) <= 80 for line in out.splitlines() + grad_out.splitlines())


def test_float32_overflow_is_reported_with_float32s_range():
    text = """
inputs: [[1], [1]]
layers:
  - {name: grow, type: elman, size: 1, activation: linear, W: 1e30, U: 1e30}
"""
    out = invoke("run", "-", "--format", "json", "--dtype", "float32", input=text)
    assert out.exit_code == 0
    assert "step 2, layer 'grow': grow.z = +inf (beyond the float32 range of ±3.4e38)" in out.stderr
    assert invoke("run", "-", "--format", "json", input=text).stderr == ""   # float64 holds 1e60


def test_a_bad_dtype_is_a_usage_error():
    out = invoke("run", "elman.yaml", "--dtype", "float16")
    assert out.exit_code == 2
    assert "float16" in out.stderr and "float32" in out.stderr and "Traceback" not in out.output
