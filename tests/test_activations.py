"""The one table of activation functions (rnntrace/layers/activations.py): each function
and its derivative against an independent numpy formula, finite differences and PyTorch;
the JavaScript the page runs against numpy; the spec syntax for parameters and its
errors; the generated schema parts and docs table."""
import json
import math
import shutil
import subprocess
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace.cli import main
from rnntrace.errors import SpecError
from rnntrace.layers import activations as A
from rnntrace.spec import spec_from_text

# Independent formulas, written plainly (exact for the moderate z used here).
LAMBDA, SELU_A = 1.0507009873554804934, 1.6732632423543772848
PLAIN = {
    "linear": lambda z, p: z,
    "sigmoid": lambda z, p: 1 / (1 + np.exp(-z)),
    "tanh": lambda z, p: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z, p: np.array([max(0.0, v) for v in z]),
    "leaky_relu": lambda z, p: np.array([v if v > 0 else p["alpha"] * v for v in z]),
    "elu": lambda z, p: np.array([v if v > 0 else p["alpha"] * (math.exp(v) - 1) for v in z]),
    "selu": lambda z, p: np.array([LAMBDA * v if v > 0 else LAMBDA * SELU_A * (math.exp(v) - 1) for v in z]),
    "softplus": lambda z, p: np.log(1 + np.exp(z)),
    "softsign": lambda z, p: z / (1 + np.abs(z)),
    "thresholded_relu": lambda z, p: np.array([v if v > p["alpha"] else 0.0 for v in z]),
    "scaled_tanh": lambda z, p: p["alpha"] * np.tanh(p["beta"] * z),
    "affine": lambda z, p: p["alpha"] * z + p["beta"],
    "hard_sigmoid": lambda z, p: np.array([min(1.0, max(0.0, p["alpha"] * v + p["beta"])) for v in z]),
    "hard_sigmoid_v3": lambda z, p: np.array([min(6.0, max(0.0, v + 3)) / 6 for v in z]),
    "softmax": lambda z, p: np.exp(z) / np.exp(z).sum(),
}
#: Each function once with its defaults and once with parameters of its own.
CASES = [name for name in A.NAMES] + [
    "leaky_relu(alpha=0.1)", "elu(alpha=0.5)", "thresholded_relu(alpha=0.3)", "scaled_tanh(alpha=1.7, beta=0.6)",
    "affine(alpha=2, beta=-0.5)", "hard_sigmoid(alpha=0.25, beta=0.4)"]
# Points away from every kink (0, ±2.5, ±3, α, the hard sigmoid's edges).
Z = np.array([-4.1, -2.9, -1.3, -0.71, -0.2, 0.13, 0.45, 0.9, 1.7, 2.2, 3.4, 5.3])


def test_the_table_covers_every_function_the_plain_formulas_do():
    assert set(A.NAMES) == set(PLAIN)
    assert A.ELEMENTWISE == tuple(n for n in A.NAMES if n != "softmax")


@pytest.mark.parametrize("name", CASES)
def test_each_function_agrees_with_its_plain_formula(name):
    expected = PLAIN[A.base(name)](Z, A.parameters(name))
    np.testing.assert_allclose(A.activate(name, Z), expected, rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", [c for c in CASES if c != "softmax"])
def test_each_derivative_agrees_with_finite_differences(name):
    h = 1e-6
    numeric = (A.activate(name, Z + h) - A.activate(name, Z - h)) / (2 * h)
    np.testing.assert_allclose(A.derivative(name, Z), numeric, rtol=1e-7, atol=1e-9)


def test_softmax_backward_agrees_with_finite_differences():
    z = np.array([0.3, -1.2, 2.0])
    da = np.array([0.5, -1.0, 0.25])
    loss = lambda v: float(da @ A.activate("softmax", v))
    numeric = [(loss(z + e) - loss(z - e)) / 2e-6 for e in np.eye(3) * 1e-6]
    np.testing.assert_allclose(A.back("softmax", z, A.activate("softmax", z), da), numeric, rtol=1e-7)


@pytest.mark.parametrize("name", CASES)
def test_each_function_is_finite_and_silent_far_out_and_keeps_float32(name):
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = A.activate(name, z)
        assert np.all(np.isfinite(a))
        assert A.activate(name, z.astype(np.float32)).dtype == np.float32
        if name != "softmax":
            assert np.all(np.isfinite(A.derivative(name, z)))
            assert A.derivative(name, z.astype(np.float32)).dtype == np.float32


TORCH = {
    "sigmoid": lambda F, z, p: F.sigmoid(z), "tanh": lambda F, z, p: F.tanh(z), "relu": lambda F, z, p: F.relu(z),
    "leaky_relu": lambda F, z, p: F.leaky_relu(z, p["alpha"]), "elu": lambda F, z, p: F.elu(z, p["alpha"]),
    "selu": lambda F, z, p: F.selu(z), "softplus": lambda F, z, p: F.softplus(z, threshold=1e9),
    "softsign": lambda F, z, p: F.softsign(z), "hard_sigmoid_v3": lambda F, z, p: F.hardsigmoid(z),
    "thresholded_relu": lambda F, z, p: F.threshold(z, p["alpha"], 0.0),
    "softmax": lambda F, z, p: F.softmax(z, dim=0), "linear": lambda F, z, p: z,
}


@pytest.mark.parametrize("name", [c for c in CASES if A.base(c) in TORCH])
def test_each_function_and_derivative_agree_with_torch(torch, name):
    F = torch.nn.functional
    z = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
    out = TORCH[A.base(name)](F, z, A.parameters(name))
    np.testing.assert_allclose(A.activate(name, Z), out.detach().numpy(), rtol=1e-15, atol=1e-16)
    if name != "softmax":
        (grad,) = torch.autograd.grad(out.sum(), z)
        # PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32, also in float64
        rtol = 1e-7 if name == "hard_sigmoid_v3" else 1e-15
        np.testing.assert_allclose(A.derivative(name, Z), grad.numpy(), rtol=rtol, atol=1e-16)


def test_every_framework_name_is_torchs_own(torch):
    for name, f in A.TABLE.items():
        if f.torch:
            assert hasattr(torch.nn, f.torch), (name, f.torch)


def test_the_pages_javascript_agrees_with_numpy(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    names = [c for c in CASES if c != "softmax"]
    z = [-1000.0, *Z.tolist(), 1000.0]
    script = (f"const T = {A.js_functions()};\n"
              f"const names = {json.dumps([[A.base(n), A.parameters(n)] for n in names])};\n"
              f"const z = {json.dumps(z)};\n"
              "console.log(JSON.stringify(names.map(([n, p]) => z.map((v) => "
              "T[n].f(v, ...Object.keys(T[n].params).map((k) => p[k]))))));\n")
    (tmp_path / "t.js").write_text(script)
    got = json.loads(subprocess.run([node, str(tmp_path / "t.js")], capture_output=True, text=True,
                                    check=True).stdout)
    for name, values in zip(names, got):
        np.testing.assert_allclose(values, A.activate(name, np.array(z)), rtol=1e-15, atol=1e-300, err_msg=name)


def test_names_with_parameters_are_canonical_and_round_trip():
    assert A.canonical("leaky_relu", {"alpha": 0.01}) == "leaky_relu"          # the default
    assert A.canonical("leaky_relu", {"alpha": 0.1}) == "leaky_relu(alpha=0.1)"
    assert A.canonical("hard_sigmoid", {"beta": 0.4, "alpha": 0.25}) == "hard_sigmoid(alpha=0.25, beta=0.4)"
    assert A.parameters("hard_sigmoid(beta=0.4)") == {"alpha": 0.2, "beta": 0.4}
    assert A.spec_value("leaky_relu(alpha=0.1)") == {"leaky_relu": {"alpha": 0.1}}
    assert A.spec_value("tanh") == "tanh"
    assert A.function_name("leaky_relu(alpha=0.1)") == "lrelu = leaky_relu(alpha=0.1)"
    assert A.function_name("hard_sigmoid") == "hardσ = hard_sigmoid"
    assert A.derivative_text("hard_sigmoid", "z", "a") == "0.2·[|z| < 2.5]"
    assert A.derivative_text("hard_sigmoid(beta=0.4)", "z", "a") == "0.2·[−2 < z < 3]"
    assert A.definition("leaky_relu(alpha=0.1)")[0] == "lrelu(z) = z for z > 0, 0.1·z otherwise"
    assert not A.known("leaky_relu(gamma=1)") and not A.known("swish")


SPEC = """\
inputs: [[1.0], [-2.0]]
layers:
  - type: elman
    size: 1
    W: 1
    U: 0.5
    activation: {ACT}
"""


def test_a_spec_gives_parameters_and_the_run_uses_them():
    spec = spec_from_text(SPEC.replace("{ACT}", "{leaky_relu: {alpha: 0.1}}"), "net.yaml")
    layer = spec.layers[0]
    assert layer.activation == "leaky_relu(alpha=0.1)"
    from rnntrace.engine import run
    steps = run(spec)
    # h1 = lrelu(1) = 1;  h2 = lrelu(−2 + 0.5·1) = 0.1·(−1.5) = −0.15
    hs = [float(s.layers["elman"].h[0]) for s in steps]
    assert hs[0] == 1.0 and hs[1] == pytest.approx(-0.15, abs=1e-15)
    for text in ("{elu: }", "{elu: {}}", "elu"):
        assert spec_from_text(SPEC.replace("{ACT}", text), "n.yaml").layers[0].activation == "elu"


@pytest.mark.parametrize("act, path, words", [
    ("{leaky_relu: {alfa: 0.1}}", "layers[0].activation.leaky_relu.alfa", ["unknown key 'alfa'", "alpha"]),
    ("{leaky_relu: {alpha: oops}}", "layers[0].activation.leaky_relu.alpha", ["number"]),
    ("{leaky_relu: {alpha: .nan}}", "layers[0].activation.leaky_relu.alpha", ["NaN"]),
    ("{leaky_rlu: {alpha: 0.1}}", "layers[0].activation", ["unknown activation", "leaky_relu"]),
    ("{tanh: {alpha: 1}}", "layers[0].activation.tanh", ["no parameters"]),
    ("{elu: 1, selu: 2}", "layers[0].activation", ["one activation function"]),
    ("{leaky_relu: 0.1}", "layers[0].activation.leaky_relu", ["mapping", "alpha"]),
    ("softmax", "layers[0].activation", ["unknown activation"]),
])
def test_bad_parameters_exit_2_naming_line_column_and_path(tmp_path, act, path, words):
    file = tmp_path / "spec.yaml"
    file.write_text(SPEC.replace("{ACT}", act))
    result = CliRunner().invoke(main, ["validate", str(file)])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in message
    assert message.startswith(f"Error: {file}:7:") and f": {path}: " in message, message
    for word in words:
        assert word in message, message


def test_a_parameter_error_carries_the_close_name():
    with pytest.raises(SpecError) as info:
        spec_from_text(SPEC.replace("{ACT}", "{leaky_relu: {alfa: 0.1}}"), "net.yaml")
    assert info.value.hint == "alpha"


def test_the_schemas_and_docs_table_are_as_generated():
    from rnntrace.schemas import generate
    assert generate.main(["--check"]) == 0


def test_the_schema_accepts_parameters_and_refuses_unknown_ones():
    import jsonschema
    from conftest import schema
    spec_schema = schema("spec.json")
    validator = jsonschema.Draft202012Validator({"$defs": spec_schema["$defs"], "$ref": "#/$defs/activation"})
    assert validator.is_valid({"leaky_relu": {"alpha": 0.1}}) and validator.is_valid("hard_sigmoid_v3")
    assert validator.is_valid({"elu": None})
    assert not validator.is_valid({"leaky_relu": {"alfa": 0.1}})
    assert not validator.is_valid({"tanh": {"alpha": 1}}) and not validator.is_valid("softmax")
