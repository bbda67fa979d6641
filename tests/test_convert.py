"""rnntrace.convert: PyTorch state_dicts → spec dicts → YAML, checked by hand on small
weights whose every entry says where it came from, and end to end against PyTorch."""
import math
import subprocess
import sys

import numpy as np
import pytest
import yaml

from rnntrace import engine
from rnntrace.convert import (ConvertError, recurrent_layers, spec_data_from_state_dict, spec_from_state_dict,
                              spec_to_yaml)
from rnntrace.errors import RnntraceError
from rnntrace.spec import load_spec, spec_from_dict, spec_from_text


def numbered(rows, cols, start=1.0):
    """A rows × cols matrix 1, 2, 3, … by rows: each weight tells where it was."""
    return np.arange(start, start + rows * cols).reshape(rows, cols)


# --------------------------------------------------------------------------- gate order, by hand

def test_lstm_rows_are_input_forget_cell_output():
    # Hidden size 1, 2 inputs: rows of weight_ih are [i; f; g; o].
    state = {"weight_ih_l0": numbered(4, 2),                       # i: 1 2, f: 3 4, g: 5 6, o: 7 8
             "weight_hh_l0": np.array([[11.0], [12.0], [13.0], [14.0]]),
             "bias_ih_l0": np.array([1.0, 2.0, 3.0, 4.0]),
             "bias_hh_l0": np.array([10.0, 20.0, 30.0, 40.0])}
    (layer,) = recurrent_layers(state)
    assert layer["type"] == "lstm" and layer["size"] == 1
    assert list(layer)[2:] == ["cell_input", "input_gate", "forget_gate", "output_gate"]
    assert layer["input_gate"] == {"W": [[1.0, 2.0]], "U": [[11.0]], "b": [1.0 + 10.0]}
    assert layer["forget_gate"] == {"W": [[3.0, 4.0]], "U": [[12.0]], "b": [2.0 + 20.0]}
    assert layer["cell_input"] == {"W": [[5.0, 6.0]], "U": [[13.0]], "b": [3.0 + 30.0]}
    assert layer["output_gate"] == {"W": [[7.0, 8.0]], "U": [[14.0]], "b": [4.0 + 40.0]}


def test_gru_rows_are_reset_update_candidate_and_the_candidate_keeps_b_hh():
    # Hidden size 2, 1 input: rows of weight_ih are [r; z; n], two units each.
    state = {"weight_ih_l0": numbered(6, 1),
             "weight_hh_l0": numbered(6, 2, start=101.0),
             "bias_ih_l0": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
             "bias_hh_l0": np.array([0.5, 0.25, 0.125, 8.0, 16.0, 32.0])}
    (layer,) = recurrent_layers(state)
    assert layer["type"] == "gru" and layer["size"] == 2
    assert layer["reset_gate"] == {"W": [[1.0], [2.0]], "U": [[101.0, 102.0], [103.0, 104.0]],
                                   "b": [1.5, 2.25]}
    assert layer["update_gate"] == {"W": [[3.0], [4.0]], "U": [[105.0, 106.0], [107.0, 108.0]],
                                    "b": [3.125, 12.0]}
    # n = tanh(W_n·x + b_in + r∘(U_n·h + b_hn)): b_hn is multiplied by r, so it stays apart.
    assert layer["candidate"] == {"W": [[5.0], [6.0]], "U": [[109.0, 110.0], [111.0, 112.0]],
                                  "b": [5.0, 6.0], "b_h": [16.0, 32.0]}


def test_gru_candidate_b_h_is_multiplied_by_the_reset_gate():
    # One unit, x = 0, h_0 = 0: z_n = b_in + r·b_hn with r = σ(b_ir + b_hr).
    state = {"weight_ih_l0": np.zeros((3, 1)), "weight_hh_l0": np.zeros((3, 1)),
             "bias_ih_l0": np.array([1.0, 0.0, 0.5]), "bias_hh_l0": np.array([-1.0, 0.0, 2.0])}
    trace = engine.run(spec_from_state_dict(state, inputs=[0.0]))
    gates = trace[0].layers["gru"].gates
    r = 1 / (1 + math.exp(-(1.0 - 1.0)))      # σ(0) = 0.5
    assert gates["reset_gate"].a[0] == pytest.approx(0.5, abs=1e-15)
    assert gates["candidate"].z[0] == pytest.approx(0.5 + r * 2.0, abs=1e-15)   # 1.5, not 2.5
    u = 0.5
    assert trace[0].y[0] == pytest.approx((1 - u) * math.tanh(1.5), abs=1e-15)


def test_rnn_biases_sum_and_nonlinearity_becomes_activation():
    state = {"weight_ih_l0": np.array([[2.0]]), "weight_hh_l0": np.array([[0.5]]),
             "bias_ih_l0": np.array([-3.0]), "bias_hh_l0": np.array([1.0])}
    spec = spec_data_from_state_dict(state, inputs=[1.0, 4.0], nonlinearity="relu")
    layer = spec["layers"][0]
    assert layer == {"name": "elman", "type": "elman", "size": 1, "activation": "relu",
                     "W": [[2.0]], "U": [[0.5]], "b": [-2.0]}
    trace = engine.run(spec_from_dict(spec))
    # h1 = relu(2·1 − 2) = 0;  h2 = relu(2·4 + 0.5·0 − 2) = 6
    assert [s.y[0] for s in trace] == [0.0, 6.0]


def test_two_layers_bidirectional_and_initial_state_placement():
    # 2 layers × 2 directions, hidden 1, input 1, RNN. Layer 1 reads both directions (2 inputs).
    state = {}
    for k in range(2):
        for suffix, scale in (("", 1.0), ("_reverse", -1.0)):
            state[f"weight_ih_l{k}{suffix}"] = scale * numbered(1, 1 if k == 0 else 2, start=10 * k + 1)
            state[f"weight_hh_l{k}{suffix}"] = np.array([[scale * (k + 0.5)]])
    h0 = np.array([[1.0], [2.0], [3.0], [4.0]])                   # PyTorch's index: layer·2 + direction
    spec = spec_data_from_state_dict(state, inputs=[[1.0], [2.0]], initial=h0)
    first, second = spec["layers"]
    assert (first["name"], second["name"]) == ("bidirectional1", "bidirectional2")
    assert first["merge"] == "concat"
    assert first["forward"]["W"] == [[1.0]] and first["backward"]["W"] == [[-1.0]]
    assert second["forward"]["W"] == [[11.0, 12.0]] and second["backward"]["W"] == [[-11.0, -12.0]]
    assert second["backward"]["U"] == [[-1.5]]
    assert [first["forward"]["initial"], first["backward"]["initial"],
            second["forward"]["initial"], second["backward"]["initial"]] == [[1.0], [2.0], [3.0], [4.0]]
    assert "b" not in first["forward"]                             # bias=False: the spec's default 0
    spec_from_dict(spec)                                           # and the loader accepts it


def test_lstm_initial_is_h0_c0_as_pytorch_takes_them():
    state = {"weight_ih_l0": np.zeros((8, 1)), "weight_hh_l0": np.zeros((8, 2))}
    h0, c0 = np.array([[[1.0, 2.0]]]), np.array([[[3.0, 4.0]]])    # (layers, batch 1, hidden)
    (layer,) = recurrent_layers(state, initial=(h0, c0))
    assert layer["initial"] == {"c": [3.0, 4.0], "h": [1.0, 2.0]}


def test_names_default_and_explicit():
    state = {"a.weight_ih_l0": np.zeros((4, 2)), "a.weight_hh_l0": np.zeros((4, 1)),
             "b.weight_ih_l0": np.zeros((4, 1)), "b.weight_hh_l0": np.zeros((4, 1)),
             "head.weight": np.zeros((3, 1)), "head.bias": np.zeros(3)}
    spec = spec_data_from_state_dict(state)
    assert [layer["name"] for layer in spec["layers"]] == ["lstm1", "lstm2", "dense"]
    assert spec["inputs"] == [[0.0, 0.0]]                          # one step of zeros stands in
    spec = spec_data_from_state_dict(state, names=["encoder", "decoder", "tags"], title="tagger")
    assert [layer["name"] for layer in spec["layers"]] == ["encoder", "decoder", "tags"]
    assert spec["title"] == "tagger"
    assert list(spec) == ["title", "inputs", "layers"]


def test_per_module_options():
    state = {"r1.weight_ih_l0": np.ones((1, 1)), "r1.weight_hh_l0": np.ones((1, 1)),
             "r2.weight_ih_l0": np.ones((1, 1)), "r2.weight_hh_l0": np.ones((1, 1)),
             "d1.weight": np.ones((2, 1)), "d2.weight": np.ones((2, 2))}
    spec = spec_data_from_state_dict(state, nonlinearity={"r2": "relu"}, initial={"r1": [0.5]},
                                activation={"d1": "tanh"}, labels={"d2": ["yes", "no"]})
    r1, r2, d1, d2 = spec["layers"]
    assert (r1["activation"], r2["activation"]) == ("tanh", "relu")
    assert r1["initial"] == [0.5] and "initial" not in r2
    assert (d1["activation"], d2["activation"]) == ("tanh", "linear")
    assert "labels" not in d1 and d2["labels"] == ["yes", "no"]


# --------------------------------------------------------------------------- errors

LSTM_1_1 = {"weight_ih_l0": np.zeros((4, 1)), "weight_hh_l0": np.zeros((4, 1))}


@pytest.mark.parametrize("state,kwargs,message", [
    ({}, {}, "empty"),
    ({"embedding.weight_x": np.zeros(2)}, {}, "not a parameter of nn.RNN"),
    (dict(LSTM_1_1, bias_ih_l0=np.zeros(4)), {}, "bias_hh_l0 is missing"),
    (dict(LSTM_1_1, bias_ih_l0=np.zeros(3), bias_hh_l0=np.zeros(4)), {}, "expected shape (4,)"),
    ({"weight_ih_l0": np.zeros((4, 1)), "weight_hh_l0": np.zeros((2, 1))}, {}, "none of RNN"),
    (dict(LSTM_1_1, weight_ih_l1=np.zeros((4, 3)), weight_hh_l1=np.zeros((4, 1))), {}, "expected shape (4, 1)"),
    (dict(LSTM_1_1, weight_hh_l1=np.zeros((4, 1))), {}, "does not fit a 1-layer"),
    (LSTM_1_1, {"kind": "gru"}, "lstm layer, not gru"),
    (LSTM_1_1, {"kind": "lstn"}, "did you mean 'lstm'"),
    ({"weight_ih_l0": np.ones((1, 1)), "weight_hh_l0": np.ones((1, 1))}, {"nonlinearity": "sigmoid"},
     "tanh or relu"),
    (LSTM_1_1, {"inputs": [[1.0, 2.0]]}, "expected steps × 1"),
    (LSTM_1_1, {"inputs": []}, "expected steps × 1"),
    (LSTM_1_1, {"initial": np.zeros((1, 1))}, "(h_0, c_0)"),
    (LSTM_1_1, {"initial": (np.zeros((2, 1)), np.zeros((2, 1)))}, "expected shape (1, 1)"),
    (LSTM_1_1, {"names": ["a", "b"]}, "expected 1 names"),
    (dict(LSTM_1_1, bias_ih_l0=np.array([0.0, math.nan, 0.0, 0.0]), bias_hh_l0=np.zeros(4)), {}, "NaN"),
    (dict(LSTM_1_1, **{"fc.weight": np.zeros((2, 3))}), {}, "reads 3 inputs"),
    (dict(LSTM_1_1, **{"fc.weight": np.zeros((2, 1))}), {"activation": "softmx"}, "did you mean 'softmax'"),
    (dict(LSTM_1_1, **{"fc.weight": np.zeros((2, 1))}), {"labels": ["a"]}, "expected 2, found 1"),
    ({"fc.weight": np.zeros(3)}, {}, "expected out × in"),
])
def test_errors_say_what_is_wrong(state, kwargs, message):
    with pytest.raises(ConvertError) as info:
        spec_from_state_dict(state, **kwargs)
    assert message in str(info.value)
    assert isinstance(info.value, RnntraceError)       # the command line reports it, exit code 2


def test_not_a_state_dict():
    with pytest.raises(ConvertError, match="expected a state_dict"):
        spec_from_state_dict([1, 2, 3])


# --------------------------------------------------------------------------- YAML

def test_yaml_floats_read_back_exactly():
    rng = np.random.default_rng(7)
    special = [0.1, 1 / 3, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1e17,
               1e-5, 123456789.123456789, -2.5e-12, 7.0, 1e16 + 2]
    W = np.concatenate([rng.standard_normal(20) * 10.0 ** rng.integers(-30, 30, 20), special])
    state = {"weight": W[:, None], "bias": rng.standard_normal(len(W))}
    text = spec_to_yaml(spec_from_state_dict(state, inputs=[[1.0]]))
    loaded = spec_from_text(text).layers[0]
    assert np.array_equal(loaded.W[:, 0], W) and np.array_equal(loaded.b, state["bias"])
    assert math.copysign(1.0, loaded.W[len(W) - len(special) + 2, 0]) == -1.0   # −0.0 stays negative
    assert yaml.safe_load(text)["layers"][0]["W"][0] == [float(W[0])]           # plain YAML agrees


def test_yaml_layout_and_comment():
    state = {"weight": np.array([[1.5, -2.0], [0.25, 3.0]]), "bias": np.array([0.0, 1.0])}
    text = spec_to_yaml(spec_from_state_dict(state, inputs=[[1, 2]], title="a dense layer"),
                        comment="Imported from model.pt\n\nweights as PyTorch had them")
    assert text.splitlines()[:3] == ["# Imported from model.pt", "#", "# weights as PyTorch had them"]
    assert "  - [1.5, -2.0]\n  - [0.25, 3.0]\n" in text               # one matrix row per line
    assert "title: a dense layer\n" in text
    trace = engine.run(spec_from_text(text))
    assert trace[0].y.tolist() == [1.5 - 4.0, 0.25 + 6.0 + 1.0]


def test_yaml_writes_numpy_values_and_refuses_the_rest():
    text = spec_to_yaml({"inputs": np.array([[1.0], [2.0]]), "layers": [
        {"type": "dense", "size": np.int64(1), "W": [[np.float32(0.5)]], "b": np.float64(0.25)}]})
    assert engine.run(spec_from_text(text))[1].y[0] == 2.0 * 0.5 + 0.25
    with pytest.raises(ConvertError):
        spec_to_yaml({"inputs": [[math.inf]]})
    with pytest.raises(ConvertError):
        spec_to_yaml({"inputs": object()})


def test_torch_is_not_imported():
    code = "import sys, rnntrace.convert; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- round trip with PyTorch

def _round_trip(tmp_path, model, x, **kwargs):
    spec = spec_from_state_dict(model, inputs=x, **kwargs)
    path = tmp_path / "model.yaml"
    path.write_text(spec_to_yaml(spec, comment="round trip"), encoding="utf-8")
    return load_spec(path)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_trip_through_yaml_matches_the_module(torch, tmp_path, seed):
    """state_dict → spec dict → YAML text → load_spec → run: the numbers of the module."""

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True)
            self.gru = torch.nn.GRU(8, 3)
            self.rnn = torch.nn.RNN(3, 2, nonlinearity="relu")
            self.head = torch.nn.Linear(2, 5)

        def forward(self, x, lstm_state, gru_state):
            h, _ = self.lstm(x, lstm_state)
            h, _ = self.gru(h, gru_state)
            h, _ = self.rnn(h)
            return torch.softmax(self.head(h), -1)

    gen = torch.Generator().manual_seed(seed)
    model = Model().double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1)
    x = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    lstm_state = (torch.randn(4, 4, generator=gen, dtype=torch.float64),
                  torch.randn(4, 4, generator=gen, dtype=torch.float64))
    gru_state = torch.randn(1, 3, generator=gen, dtype=torch.float64)

    spec = _round_trip(tmp_path, model, x, activation="softmax",
                       initial={"lstm": lstm_state, "gru": gru_state})
    assert [layer.name for layer in spec.layers] == ["bidirectional1", "bidirectional2", "gru", "elman", "dense"]
    assert spec.layers[3].activation == "relu"                    # read off the module
    # Every weight came through the text exactly.
    W_i = model.lstm.weight_ih_l1_reverse[0:4].detach().numpy()
    assert np.array_equal(spec.layers[1].backward.blocks["input_gate"].W, W_i)
    b_f = (model.lstm.bias_ih_l0[4:8] + model.lstm.bias_hh_l0[4:8]).detach().numpy()
    assert np.array_equal(spec.layers[0].forward.blocks["forget_gate"].b, b_f)
    trace = engine.run(spec)
    with torch.no_grad():
        expected = model(x, lstm_state, gru_state).numpy()
    np.testing.assert_allclose(np.array([step.y for step in trace]), expected, rtol=0, atol=1e-10)


def test_float32_weights_are_widened_exactly(torch, tmp_path):
    torch.manual_seed(3)
    module = torch.nn.GRU(2, 3).float()
    x = torch.randn(5, 2, dtype=torch.float32)
    spec = _round_trip(tmp_path, module, x)
    assert np.array_equal(spec.layers[0].blocks["candidate"].b_h,
                          module.bias_hh_l0[6:9].detach().double().numpy())
    assert np.array_equal(spec.inputs, x.double().numpy())
    # The float64 run agrees with the float64 copy of the module, not merely to float32 precision.
    wide = module.double()
    with torch.no_grad():
        expected, _ = wide(x.double())
    np.testing.assert_allclose(np.array([s.y for s in engine.run(spec)]), expected.numpy(), rtol=0, atol=1e-12)


def test_tensors_needing_grad_and_state_dict_from_torch_save(torch, tmp_path):
    torch.manual_seed(4)
    module = torch.nn.LSTM(2, 2).double()
    path = tmp_path / "weights.pt"
    torch.save(module.state_dict(), path)
    state = torch.load(path, weights_only=True)
    x = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    spec = spec_from_state_dict(state, inputs=x)
    with torch.no_grad():
        expected, _ = module(x)
    np.testing.assert_allclose(np.array([s.y for s in engine.run(spec)]), expected.numpy(), rtol=0, atol=1e-10)


# --------------------------------------------------------------------------- rnntrace import-torch

def _cli(*args):
    from click.testing import CliRunner

    from rnntrace.cli import main
    return CliRunner().invoke(main, ["import-torch", *args])


def test_cli_import_torch_round_trip(torch, tmp_path):
    class Tagger(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = torch.nn.GRU(2, 3, bidirectional=True)
            self.out = torch.nn.Linear(6, 3)

    torch.manual_seed(5)
    model = Tagger()                                  # float32, as models are saved
    weights = tmp_path / "tagger.pt"
    torch.save(model.state_dict(), weights)
    target = tmp_path / "tagger.yaml"
    result = _cli(str(weights), "--inputs", "[[1, 0], [0, 1], [0.5, -2]]", "--activation", "softmax",
                  "--labels", "dest, time,other", "--title", "a tagger", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    spec = load_spec(target)
    assert spec.title == "a tagger" and spec.layers[-1].labels == ("dest", "time", "other")
    model = model.double()
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, -2.0]], dtype=torch.float64)
    with torch.no_grad():
        h, _ = model.rnn(x)
        expected = torch.softmax(model.out(h), -1).numpy()
    np.testing.assert_allclose(np.array([s.y for s in engine.run(spec)]), expected, rtol=0, atol=1e-12)

    # Without -o the spec goes to standard output; without --inputs one step of zeros stands in.
    result = _cli(str(weights))
    assert result.exit_code == 0
    assert "one step of zeros" in result.stdout.splitlines()[1]
    assert spec_from_text(result.stdout).inputs.tolist() == [[0.0, 0.0]]


def test_cli_import_torch_relu(torch, tmp_path):
    torch.manual_seed(6)
    module = torch.nn.RNN(1, 2, nonlinearity="relu").double()
    weights = tmp_path / "rnn.pt"
    torch.save(module.state_dict(), weights)
    result = _cli(str(weights), "--inputs", "[1, -1, 2]", "--nonlinearity", "relu")
    assert result.exit_code == 0, result.output
    with torch.no_grad():
        expected, _ = module(torch.tensor([[1.0], [-1.0], [2.0]], dtype=torch.float64))
    trace = engine.run(spec_from_text(result.stdout))
    np.testing.assert_allclose(np.array([s.y for s in trace]), expected.numpy(), rtol=0, atol=1e-12)


def test_cli_import_torch_says_it_assumed_tanh_for_an_rnn(torch, tmp_path):
    torch.manual_seed(7)
    module = torch.nn.RNN(1, 1).double()                 # tanh: what the note assumes
    weights = tmp_path / "rnn.pt"
    torch.save(module.state_dict(), weights)
    result = _cli(str(weights), "--inputs", "[0.5, 2]")
    assert result.exit_code == 0, result.output
    note = result.stderr.strip()
    assert len(note.splitlines()) == 1 and "assumed tanh" in note and "--nonlinearity relu" in note
    assert "elman" in note                               # names the layer it means
    with torch.no_grad():
        expected, _ = module(torch.tensor([[0.5], [2.0]], dtype=torch.float64))
    trace = engine.run(spec_from_text(result.stdout))
    np.testing.assert_allclose(np.array([s.y for s in trace]), expected.numpy(), rtol=0, atol=1e-12)
    # said only when it was assumed: not when chosen, and not for an LSTM (no nonlinearity to choose)
    assert _cli(str(weights), "--nonlinearity", "tanh").stderr == ""
    lstm = tmp_path / "lstm.pt"
    torch.save(torch.nn.LSTM(1, 1).state_dict(), lstm)
    assert _cli(str(lstm)).stderr == ""


def test_spec_from_state_dict_returns_a_spec_that_runs():
    # One unit, W = 2, U = 0.5, b_ih + b_hh = 0.25 - 0.25 = 0, relu: h_1 = relu(2·1) = 2,
    # h_2 = relu(2·3 + 0.5·2) = 7 (hand arithmetic).
    state = {"weight_ih_l0": np.array([[2.0]]), "weight_hh_l0": np.array([[0.5]]),
             "bias_ih_l0": np.array([0.25]), "bias_hh_l0": np.array([-0.25])}
    import rnntrace
    spec = spec_from_state_dict(state, inputs=[1.0, 3.0], nonlinearity="relu")
    assert isinstance(spec, rnntrace.Spec)
    assert [s.y.tolist() for s in rnntrace.run(spec)] == [[2.0], [7.0]]
    assert spec_from_text(spec_to_yaml(spec)).inputs.tolist() == [[1.0], [3.0]]   # and it writes back
    with pytest.raises(RnntraceError, match=r"^<state_dict>: layers\[0\]\.name: .*'a\.b'"):   # validated
        spec_from_state_dict(state, inputs=[1.0], names=["a.b"])


def test_cli_import_torch_never_runs_code_from_the_file(torch, tmp_path):
    marker = tmp_path / "was_run"

    class Payload:
        def __reduce__(self):              # unpickling this would create the marker file
            return (open, (str(marker), "w"))

    weights = tmp_path / "evil.pt"
    torch.save({"weight": Payload()}, weights)
    result = _cli(str(weights))
    assert result.exit_code == 2
    assert not marker.exists()
    assert "could run code" in result.stderr and "state_dict()" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("content,message", [
    (None, "no such file"),
    (b"inputs: [1]\n", "not a PyTorch file"),
    ("dir", "is a directory"),
])
def test_cli_import_torch_bad_files(torch, tmp_path, content, message):
    path = tmp_path / "weights.pt"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    result = _cli(str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


def test_cli_import_torch_checkpoint_and_bad_options(torch, tmp_path):
    torch.manual_seed(8)
    module = torch.nn.LSTM(2, 1)
    weights = tmp_path / "checkpoint.pt"
    torch.save({"epoch": 3, "model_state_dict": module.state_dict()}, weights)
    assert _cli(str(weights), "--inputs", "[[1, 2]]").exit_code == 0
    torch.save({"epoch": 3}, weights)
    result = _cli(str(weights))
    assert result.exit_code == 2 and "expected a state_dict" in result.stderr
    torch.save(module.state_dict(), weights)
    for inputs, message in (("[[1, 2, 3]]", "expected steps × 2"), ("[[1, 2], [3]]", "one length"),
                            ("[[1, 2", "YAML syntax error"), ("", "found nothing")):
        result = _cli(str(weights), "--inputs", inputs)
        assert result.exit_code == 2 and message in result.stderr, (inputs, result.stderr)
    result = _cli(str(weights), "-o", str(tmp_path / "no" / "such" / "folder.yaml"))
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_cli_import_torch_without_torch(torch, tmp_path, monkeypatch):
    """torch.save's zip archive is read without PyTorch, to the same spec; a bare pickle
    of PyTorch before 1.6 says it needs PyTorch."""
    path = tmp_path / "w.pt"
    torch.save(torch.nn.GRU(2, 3).state_dict(), path)
    before = _cli(str(path), "--inputs", "[[1, 2]]")
    monkeypatch.setitem(sys.modules, "torch", None)     # `import torch` now fails
    after = _cli(str(path), "--inputs", "[[1, 2]]")
    assert after.exit_code == 0 and after.stdout == before.stdout
    old = tmp_path / "old.pt"
    old.write_bytes(b"\x80\x02}q\x00.")
    result = _cli(str(old))
    assert result.exit_code == 2 and "needs PyTorch" in result.stderr and "before 1.6" in result.stderr


def test_cli_import_torch_help():
    result = _cli("--help")
    assert result.exit_code == 0 and "Examples:" in result.output and "without PyTorch" in result.output


def test_per_module_options_name_modules_of_the_state_dict():
    state = {"lstm.weight_ih_l0": np.zeros((4, 1)), "lstm.weight_hh_l0": np.zeros((4, 1))}
    with pytest.raises(ConvertError, match="did you mean 'lstm'"):
        spec_from_state_dict(state, nonlinearity={"lsmt": "relu"})
    with pytest.raises(ConvertError, match=r"give the value itself \(for an LSTM, the pair"):
        spec_from_state_dict(LSTM_1_1, initial={"h": [0.0], "c": [0.0]})
    spec = spec_data_from_state_dict(state, initial={"lstm.": (np.zeros((1, 1)), np.ones((1, 1)))})
    assert spec["layers"][0]["initial"] == {"c": [1.0], "h": [0.0]}


def test_a_module_with_other_layers_is_refused(torch):
    model = torch.nn.Sequential(torch.nn.LayerNorm(4), torch.nn.LSTM(4, 2))
    with pytest.raises(ConvertError, match=r"0 \(LayerNorm\): no spec equivalent"):
        spec_from_state_dict(model)


def test_the_layers_whose_nonlinearity_a_state_dict_does_not_record_are_the_nn_rnn_ones():
    # import-torch's note: an nn.RNN may be tanh or ReLU, and its state_dict does not say
    from rnntrace.convert import unrecorded_nonlinearity
    rnn = {"rnn.weight_ih_l0": np.ones((2, 1)), "rnn.weight_hh_l0": np.eye(2),
           "rnn.weight_ih_l0_reverse": np.ones((2, 1)), "rnn.weight_hh_l0_reverse": np.eye(2)}
    lstm = {"lstm.weight_ih_l0": np.ones((8, 4)), "lstm.weight_hh_l0": np.ones((8, 2))}
    gru = {"gru.weight_ih_l0": np.ones((6, 2)), "gru.weight_hh_l0": np.ones((6, 2)),
           "rnn2.weight_ih_l0": np.ones((2, 2)), "rnn2.weight_hh_l0": np.eye(2)}
    spec = spec_from_state_dict(dict(rnn, **lstm), inputs=[[1.0]])
    assert [layer.type for layer in spec.layers] == ["bidirectional", "lstm"]
    assert unrecorded_nonlinearity(spec) == [spec.layers[0].name]
    spec = spec_from_state_dict(gru, inputs=[[1.0, 0.0]])
    assert [layer.type for layer in spec.layers] == ["gru", "elman"]
    assert unrecorded_nonlinearity(spec) == [spec.layers[1].name]
