"""rnntrace import-keras: small Keras models (the torch backend, float64 in every
layer) are built with random weights and biases, saved as .keras and legacy .h5 files,
imported, and run by rnntrace; each step's output must be Keras' own to 1e-10.

Keras computes a layer in its own dtype: a layer left at the default float32 would
round the comparison itself, so every model here is float64 throughout and each test
asserts the dtype of what Keras returned."""
import json
import os
import sys
import zipfile

import numpy as np
import pytest

from conftest import in_ci
from rnntrace import engine
from rnntrace.convert import ConvertError
from rnntrace.spec import load_spec, spec_from_dict, spec_from_text

F64 = "float64"


def require_keras():
    """Keras 3 on the torch backend (no TensorFlow); in CI its absence is a failure."""
    os.environ["KERAS_BACKEND"] = "torch"
    try:
        import keras
    except ImportError:
        if in_ci():
            pytest.fail("Keras is not installed, but CI must run the import-keras tests")
        pytest.skip("Keras is not installed (pip install -e '.[test]')")
    assert keras.backend.backend() == "torch"
    return keras


def float64_probe(keras):
    """1 + 2⁻⁴⁰ times 1 through Keras' matmul: exact in float64, 1 in float32."""
    x = 1.0 + 2.0 ** -40
    out = keras.ops.matmul(keras.ops.convert_to_tensor(np.array([[x]])),
                           keras.ops.convert_to_tensor(np.array([[1.0]])))
    return float(keras.ops.convert_to_numpy(out)[0, 0]) == x


@pytest.fixture(scope="module")
def keras():
    """Keras computing in float64 for real. Keras 3 on torch promotes float64 × float64
    to float32 in its ops (keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE, to match
    JAX's default), so a SimpleRNN or Dense layer built with dtype="float64" still does
    its matmuls in float32 and casts back: the output's dtype says float64, its digits
    are float32's. The map is set to keep float64 for these tests, and a probe checks
    that a float64-only digit survives a matmul."""
    keras = require_keras()
    from keras.src.backend.common import dtypes
    had = dtypes.BIT64_TO_BIT32_DTYPE.get("float64")
    dtypes.BIT64_TO_BIT32_DTYPE["float64"] = "float64"
    try:
        assert float64_probe(keras), "Keras still computes float64 matmuls in float32"
        yield keras
    finally:
        dtypes.BIT64_TO_BIT32_DTYPE["float64"] = had


def randomise(model, seed):
    """Every weight and bias of the model drawn from U(−1, 1): default initialisers
    leave biases at 0, which would hide a bias put in the wrong place."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.uniform(-1.0, 1.0, w.shape) for w in weights])


def keras_steps(keras, model, x, layer=None):
    """What Keras computes for the sequence x (T × in), at every step: the model's
    output or one layer's. Asserts that Keras really computed in float64."""
    target = model if layer is None else keras.Model(model.inputs, model.get_layer(layer).output)
    out = keras.ops.convert_to_numpy(target(x[None]))
    assert out.dtype == np.float64, f"Keras computed {layer or 'the model'} in {out.dtype}"
    return out[0]


def imported(path, x, **kwargs):
    """The file through the command line, then loaded and run by rnntrace."""
    result = cli(str(path), "--inputs", json.dumps(np.asarray(x).tolist()), *kwargs.get("args", ()))
    assert result.exit_code == 0, result.stderr
    spec = spec_from_text(result.stdout, "imported.yaml")
    return spec, engine.run(spec), result.stdout


def cli(*args):
    from click.testing import CliRunner

    from rnntrace.cli import main
    return CliRunner().invoke(main, ["import-keras", *args])


def outputs(trace, layer=None):
    if layer is None:
        return np.array([step.y for step in trace])
    return np.array([step.layers[layer].h if hasattr(step.layers[layer], "h") else step.layers[layer].y
                     for step in trace])


def inputs(seed, T, D):
    return np.random.default_rng(seed + 100).standard_normal((T, D))


# --------------------------------------------------------------------------- parity with Keras

@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_stacked_model_matches_keras_at_every_step(keras, tmp_path, suffix):
    L = keras.layers
    model = keras.Sequential([
        keras.Input((None, 3), dtype=F64),
        L.LSTM(4, return_sequences=True, dtype=F64, name="encoder"),
        L.GRU(3, return_sequences=True, dtype=F64, name="gru"),                 # reset_after=True
        L.SimpleRNN(2, return_sequences=True, activation="relu", dtype=F64, name="rnn"),
        L.Dropout(0.5, dtype=F64, name="drop"),
        L.Dense(3, activation="softmax", dtype=F64, name="tags"),
    ])
    randomise(model, 1)
    path = tmp_path / f"model{suffix}"
    model.save(path)
    x = inputs(1, 6, 3)
    spec, trace, text = imported(path, x, args=("--labels", "a,b,c"))
    assert [layer.name for layer in spec.layers] == ["encoder", "gru", "rnn", "tags"]
    assert spec.layers[-1].labels == ("a", "b", "c") and spec.layers[2].activation == "relu"
    assert "Layer 'drop' (Dropout) does nothing at inference" in text
    assert "(Keras 3." in text.splitlines()[0]
    for name in ("encoder", "gru", "rnn"):
        np.testing.assert_allclose(outputs(trace, name), keras_steps(keras, model, x, name), rtol=0, atol=1e-10)
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)


def test_weights_land_in_their_gates(keras, tmp_path):
    """Keras' kernel columns are [i | f | c | o] for an LSTM and [z | r | h] for a GRU;
    each becomes one block, transposed to one row per unit."""
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64),
                              L.LSTM(1, return_sequences=True, dtype=F64, name="lstm"),
                              L.GRU(1, return_sequences=True, dtype=F64, name="gru")])
    lstm, gru = model.layers
    lstm.set_weights([np.arange(1.0, 9.0).reshape(2, 4),        # kernel: row = input, column = gate
                      np.array([[11.0, 12.0, 13.0, 14.0]]), np.array([21.0, 22.0, 23.0, 24.0])])
    gru.set_weights([np.array([[1.0, 2.0, 3.0]]), np.array([[4.0, 5.0, 6.0]]),
                     np.array([[7.0, 8.0, 9.0], [0.5, 0.25, 0.125]])])   # reset_after: input, recurrent bias
    path = tmp_path / "gates.keras"
    model.save(path)
    spec, _, _ = imported(path, [[0.0, 0.0]])
    blocks = spec.layers[0].blocks
    for block, column in (("input_gate", 0), ("forget_gate", 1), ("cell_input", 2), ("output_gate", 3)):
        assert blocks[block].W.tolist() == [[1.0 + column, 5.0 + column]]
        assert blocks[block].U.tolist() == [[11.0 + column]] and blocks[block].b.tolist() == [21.0 + column]
    g = spec.layers[1].blocks
    assert [g[k].W.tolist() for k in ("update_gate", "reset_gate", "candidate")] == [[[1.0]], [[2.0]], [[3.0]]]
    # reset_after: the input row is b, the recurrent row b_h, in every block (r multiplies the candidate's)
    assert [(g[k].b.tolist(), g[k].b_h.tolist()) for k in ("update_gate", "reset_gate", "candidate")] == \
        [([7.0], [0.5]), ([8.0], [0.25]), ([9.0], [0.125])]


@pytest.mark.parametrize("merge", ["concat", "sum", "ave", "mul"])
def test_bidirectional_every_merge_mode(keras, tmp_path, merge):
    L = keras.layers
    model = keras.Sequential([
        keras.Input((None, 2), dtype=F64),
        L.Bidirectional(L.LSTM(3, return_sequences=True, dtype=F64), merge_mode=merge, dtype=F64, name="bi"),
        L.Bidirectional(L.GRU(2, return_sequences=True, dtype=F64), merge_mode=merge, dtype=F64, name="bi_gru"),
        L.Bidirectional(L.SimpleRNN(2, return_sequences=True, dtype=F64), merge_mode=merge, dtype=F64,
                        name="bi_rnn"),
        L.Dense(2, dtype=F64),
    ])
    randomise(model, 2)
    path = tmp_path / "bi.keras"
    model.save(path)
    x = inputs(2, 5, 2)
    spec, trace, _ = imported(path, x)
    assert spec.layers[0].merge == merge
    for name in ("bi", "bi_gru", "bi_rnn"):
        np.testing.assert_allclose(outputs(trace, name), keras_steps(keras, model, x, name), rtol=0, atol=1e-10)
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)


def test_bidirectional_of_two_kinds_in_a_legacy_file(keras, tmp_path):
    """A backward_layer of its own (a GRU beside a forward LSTM), saved as .h5."""
    L = keras.layers
    model = keras.Sequential([
        keras.Input((None, 3), dtype=F64),
        L.Bidirectional(L.LSTM(2, return_sequences=True, dtype=F64),
                        backward_layer=L.GRU(3, return_sequences=True, go_backwards=True, dtype=F64),
                        merge_mode="concat", dtype=F64, name="both")])
    randomise(model, 12)
    path = tmp_path / "both.h5"
    model.save(path)
    x = inputs(12, 4, 3)
    spec, trace, _ = imported(path, x)
    both = spec.layers[0]
    assert (both.forward.type, both.backward.type, both.output_size) == ("lstm", "gru", 5)
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)


def test_gru_reset_before_the_recurrent_product(keras, tmp_path):
    """reset_after=False: hh = tanh(x·K_h + b_h + (r∘h)·R_h), one bias row."""
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64),
                              L.GRU(3, return_sequences=True, reset_after=False, dtype=F64, name="gru")])
    randomise(model, 3)
    path = tmp_path / "gru.h5"
    model.save(path)
    x = inputs(3, 5, 2)
    spec, trace, text = imported(path, x)
    assert "reset_after: false" in text
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)


def test_functional_chain_no_bias_and_activations(keras, tmp_path):
    L = keras.layers
    inp = keras.Input((None, 3), dtype=F64)
    h = L.LSTM(2, return_sequences=True, use_bias=False, activation="relu", recurrent_activation="tanh",
               dtype=F64, name="lstm")(inp)
    h = L.SimpleRNN(2, return_sequences=True, activation="linear", use_bias=False, dtype=F64, name="rnn")(h)
    out = L.Dense(1, activation="sigmoid", use_bias=False, dtype=F64, name="y_out")(h)
    model = keras.Model(inp, out)
    randomise(model, 4)
    path = tmp_path / "functional.keras"
    model.save(path)
    x = inputs(4, 4, 3)
    spec, trace, text = imported(path, x)
    lstm = spec.layers[0]
    assert (lstm.activation, lstm.cell_activation, lstm.gate_activation) == ("relu", "relu", "tanh")
    assert "b:" not in text                                   # use_bias=False: the spec's default 0
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)


def test_unit_forget_bias_is_the_bias_the_file_holds(keras, tmp_path):
    """unit_forget_bias initialises the forget gate's bias to 1 (the others to 0):
    untouched weights carry it into the spec."""
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 1), dtype=F64),
                              L.LSTM(2, return_sequences=True, unit_forget_bias=True, dtype=F64)])
    path = tmp_path / "fresh.keras"
    model.save(path)
    x = inputs(5, 3, 1)
    spec, trace, _ = imported(path, x)
    blocks = spec.layers[0].blocks
    assert blocks["forget_gate"].b.tolist() == [1.0, 1.0]
    assert [blocks[k].b.tolist() for k in ("input_gate", "cell_input", "output_gate")] == [[0.0, 0.0]] * 3
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)


def test_last_step_only_is_y_at_the_last_step(keras, tmp_path):
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64),
                              L.GRU(3, dtype=F64, name="gru"),                 # return_sequences=False
                              L.Dense(2, activation="tanh", dtype=F64)])
    randomise(model, 6)
    path = tmp_path / "last.keras"
    model.save(path)
    x = inputs(6, 5, 2)
    _, trace, text = imported(path, x)
    assert "return_sequences=False" in text and "y at the last step" in text
    out = keras.ops.convert_to_numpy(model(x[None]))
    assert out.dtype == np.float64 and out.shape == (1, 2)
    np.testing.assert_allclose(trace[-1].y, out[0], rtol=0, atol=1e-10)


def test_stateful_starts_from_zero_as_keras_after_loading(keras, tmp_path):
    L = keras.layers
    model = keras.Sequential([keras.Input(batch_shape=(1, 4, 2), dtype=F64),
                              L.LSTM(2, return_sequences=True, stateful=True, dtype=F64)])
    randomise(model, 7)
    path = tmp_path / "stateful.keras"
    model.save(path)
    x = inputs(7, 4, 2)
    _, trace, text = imported(path, x)
    assert "stateful" in text and "zero state" in text
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, loaded, x), rtol=0, atol=1e-10)


def test_go_backwards_runs_on_the_reversed_inputs(keras, tmp_path):
    """A go_backwards layer returns its outputs in the order it read them, x_T first;
    with only step-by-step layers before it, the spec runs on the reversed inputs and
    its step t is Keras' output t."""
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64),
                              L.Dense(3, activation="tanh", dtype=F64),
                              L.GRU(2, go_backwards=True, return_sequences=True, dtype=F64),
                              L.LSTM(2, return_sequences=True, dtype=F64)])
    randomise(model, 9)
    path = tmp_path / "back.keras"
    model.save(path)
    x = inputs(9, 5, 2)
    spec, trace, text = imported(path, x)
    assert np.array_equal(spec.inputs, x[::-1]) and "last step first" in text
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)
    after = saved(keras, tmp_path, [L.LSTM(2, return_sequences=True, dtype=F64, name="first"),
                                    L.SimpleRNN(2, go_backwards=True, return_sequences=True, dtype=F64),
                                    L.LSTM(2, return_sequences=True, dtype=F64)])
    refused(after, "go_backwards=True returns its outputs last step first, and a recurrent layer after it")


@pytest.mark.parametrize("sequences", [True, False])
def test_go_backwards_after_a_recurrent_layer_is_direction_reverse(keras, tmp_path, sequences):
    """After a recurrent layer the layer reads x_T … x_1 itself (direction: reverse):
    Keras' output k, in the order it read them, is the trace's step T − k + 1; with
    return_sequences=False Keras returns the trace's step 1."""
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64),
                              L.LSTM(3, return_sequences=True, dtype=F64, name="first"),
                              L.GRU(2, go_backwards=True, return_sequences=sequences, dtype=F64, name="back"),
                              L.Dense(2, activation="tanh", dtype=F64)])
    randomise(model, 19)
    path = tmp_path / "reverse.keras"
    model.save(path)
    x = inputs(19, 5, 2)
    spec, trace, text = imported(path, x)
    assert spec.layers[1].direction == "reverse" and np.array_equal(spec.inputs, x)
    out = keras.ops.convert_to_numpy(model(x[None]))[0]
    if sequences:
        assert "is step T − k + 1 here" in text
        np.testing.assert_allclose(outputs(trace)[::-1], out, rtol=0, atol=1e-10)
    else:
        assert "y at step 1 here" in text
        np.testing.assert_allclose(trace[0].y, out, rtol=0, atol=1e-10)


def test_keras_2_hard_sigmoid_is_rnntrace_s(keras, tmp_path):
    """A file written by Keras 2 means clip(0.2·z + 0.5, 0, 1) by hard_sigmoid: the
    import keeps it, and the run agrees with a numpy LSTM written out here."""
    import h5py
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64),
                              L.LSTM(2, return_sequences=True, recurrent_activation="hard_sigmoid", dtype=F64)])
    randomise(model, 8)
    path = tmp_path / "old.h5"
    model.save(path)
    with h5py.File(path, "r+") as f:
        f.attrs["keras_version"] = "2.15.0"
    x = inputs(8, 4, 2)
    spec, trace, text = imported(path, x)
    assert spec.layers[0].gate_activation == "hard_sigmoid" and "(Keras 2.15.0)" in text
    K, R, b = model.layers[0].get_weights()
    hard = lambda z: np.clip(0.2 * z + 0.5, 0.0, 1.0)   # noqa: E731  Keras 2's
    h, c, expected = np.zeros(2), np.zeros(2), []
    for xt in x:
        z = xt @ K + h @ R + b
        i, f, g, o = hard(z[0:2]), hard(z[2:4]), np.tanh(z[4:6]), hard(z[6:8])
        c = f * c + i * g
        h = o * np.tanh(c)
        expected.append(h)
    np.testing.assert_allclose(outputs(trace), np.array(expected), rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- refused, with the reason

def saved(keras, tmp_path, layers, name="model.keras"):
    model = keras.Sequential([keras.Input((None, 2), dtype=F64)] + layers)
    path = tmp_path / name
    model.save(path)
    return path


def refused(path, *fragments):
    result = cli(str(path))
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("Error: ")
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    return result.stderr


ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "softsign",
               "hard_sigmoid"]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_of_the_table_matches_keras(keras, tmp_path, name):
    """Each Keras 3 activation the table names (Keras 3's hard_sigmoid is relu6(z + 3)/6,
    the table's hard_sigmoid_v3; its leaky_relu has slope 0.2), as a SimpleRNN's
    activation, an LSTM's gates and cell and a Dense layer's, against Keras in float64."""
    L = keras.layers
    model = keras.Sequential([
        keras.Input((None, 2), dtype=F64),
        L.SimpleRNN(3, activation=name, return_sequences=True, dtype=F64, name="rnn"),
        L.LSTM(2, activation=name, recurrent_activation=name, return_sequences=True, dtype=F64, name="lstm"),
        L.Dense(2, activation=name, dtype=F64, name="out")])
    randomise(model, 13)
    path = tmp_path / "act.keras"
    model.save(path)
    x = 3 * inputs(13, 6, 2)                          # wide enough to reach every branch
    spec, trace, _ = imported(path, x)
    expected = {"hard_sigmoid": "hard_sigmoid_v3", "leaky_relu": "leaky_relu(alpha=0.2)"}.get(name, name)
    assert spec.layers[0].activation == expected and spec.layers[1].gate_activation == expected
    # unbounded activations (linear, elu, …) in a recurrence grow: relative to 1e-10 there
    for layer in ("rnn", "lstm"):
        np.testing.assert_allclose(outputs(trace, layer), keras_steps(keras, model, x, layer), rtol=1e-10,
                                   atol=1e-10)
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=1e-10, atol=1e-10)


def test_hard_sigmoid_of_an_unknown_keras_is_refused(keras, tmp_path):
    import h5py
    path = saved(keras, tmp_path, [keras.layers.LSTM(2, recurrent_activation="hard_sigmoid", dtype=F64)],
                 name="old.h5")
    with h5py.File(path, "r+") as f:
        del f.attrs["keras_version"]
    refused(path, "does not say which Keras wrote it", "refused rather than guessed")


def test_lambda_layer_is_refused_and_never_run(keras, tmp_path, monkeypatch):
    marker = tmp_path / "was_run"
    monkeypatch.setenv("RNNTRACE_TEST_MARKER", str(marker))
    L = keras.layers
    path = saved(keras, tmp_path, [L.Lambda(lambda t: (open(os.environ["RNNTRACE_TEST_MARKER"], "w"), t)[1]),
                                   L.LSTM(1, dtype=F64)])
    marker.unlink()                          # building the model above ran it once
    refused(path, "Lambda layer", "Python code", "never runs")
    assert not marker.exists()


@pytest.mark.parametrize("layer,fragments", [
    (lambda L: L.Bidirectional(L.GRU(2, dtype=F64)), ("return_sequences=False", "backward direction at step 1")),
    (lambda L: L.Conv1D(2, 1, dtype=F64), ("Conv1D layer", "no spec equivalent")),
    (lambda L: L.Dense(2, activation="gelu", dtype=F64), ("activation gelu", "no spec equivalent")),
    (lambda L: L.SimpleRNN(2, activation="softmax", return_sequences=True, dtype=F64), ("activation softmax",)),
])
def test_what_has_no_spec_equivalent_is_refused(keras, tmp_path, layer, fragments):
    refused(saved(keras, tmp_path, [layer(keras.layers)]), *fragments)


def test_a_reshape_between_layers_is_refused(keras, tmp_path):
    L = keras.layers
    inp = keras.Input((None, 2), dtype=F64)
    h = L.LSTM(2, dtype=F64, name="first")(inp)
    h = L.Reshape((1, 2))(h)
    model = keras.Model(inp, L.GRU(2, dtype=F64)(h))
    path = tmp_path / "m.keras"
    model.save(path)
    refused(path, "Reshape layer")


def test_branches_are_refused(keras, tmp_path):
    L = keras.layers
    inp = keras.Input((None, 2), dtype=F64)
    a = L.LSTM(2, return_sequences=True, dtype=F64)(inp)
    b = L.Dense(2, dtype=F64)(inp)
    model = keras.Model(inp, L.Dense(1, dtype=F64)(a))
    keras.Model(inp, [a, b]).save(tmp_path / "two.keras")
    refused(tmp_path / "two.keras", "2 outputs")
    model.save(tmp_path / "chain.keras")
    assert cli(str(tmp_path / "chain.keras")).exit_code == 0


@pytest.mark.parametrize("content,name,message", [
    (None, "none.keras", "no such file"),
    (b"inputs: [1]\n", "spec.keras", "not a Keras model file"),
    ("dir", "dir.keras", "is a directory"),
    ("zip", "other.keras", "no config.json inside"),
    ("zip", "other.zip", "is named *.keras"),
])
def test_bad_files(tmp_path, content, name, message):
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif content == "zip":
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("hello.txt", "hi")
    elif content is not None:
        path.write_bytes(content)
    refused(path, message)


def test_weights_only_file_is_refused(keras, tmp_path):
    model = keras.Sequential([keras.Input((None, 2)), keras.layers.LSTM(2)])
    model.save_weights(tmp_path / "m.weights.h5")
    refused(tmp_path / "m.weights.h5", "weights only")


def test_read_without_keras(keras, tmp_path, monkeypatch):
    """The file is read as data: with `import keras` failing, the import still works
    and gives the same spec."""
    L = keras.layers
    path = saved(keras, tmp_path, [L.LSTM(2, return_sequences=True, dtype=F64), L.Dense(1, dtype=F64)])
    before = cli(str(path))
    monkeypatch.setitem(sys.modules, "keras", None)       # `import keras` now fails
    after = cli(str(path))
    assert after.exit_code == 0 and after.stdout == before.stdout


def test_keras_is_not_imported_and_the_import_is_quick(keras, tmp_path):
    """`python -X importtime` of an import lists no keras (nor torch), and the command
    takes well under a second (CPU time: the machine's load does not count)."""
    import subprocess
    path = saved(keras, tmp_path, [keras.layers.GRU(3, return_sequences=True, dtype=F64),
                                   keras.layers.Dense(2, dtype=F64)])
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    code = ("import resource, sys; from rnntrace.cli import main\n"
            "try: main(['import-keras', sys.argv[1]])\n"
            "except SystemExit: pass\n"
            "r = resource.getrusage(resource.RUSAGE_SELF); print(r.ru_utime + r.ru_stime, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code, str(path)], capture_output=True,
                         text=True, env=env)
    assert out.returncode == 0 and "inputs:" in out.stdout, out.stderr[-500:]
    modules = [line.split("|")[-1].strip() for line in out.stderr.splitlines() if line.startswith("import time")]
    assert "h5py" in modules and not [m for m in modules if m.split(".")[0] in ("keras", "torch", "tensorflow")]
    assert float(out.stderr.splitlines()[-1]) < 0.5                  # issue 22: ≤ 0.5 s (0.33 s measured)


def test_default_inputs_output_file_and_help(keras, tmp_path):
    path = saved(keras, tmp_path, [keras.layers.SimpleRNN(2, return_sequences=True, dtype=F64)])
    result = cli(str(path))
    assert result.exit_code == 0 and "one step of zeros" in result.stdout
    assert spec_from_text(result.stdout).inputs.tolist() == [[0.0, 0.0]]
    target = tmp_path / "out.yaml"
    result = cli(str(path), "--title", "mine", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    assert load_spec(target).title == "mine"
    for inputs, message in (("[[1, 2, 3]]", "expected steps × 2"), ("", "found nothing")):
        result = cli(str(path), "--inputs", inputs)
        assert result.exit_code == 2 and message in result.stderr
    result = cli(str(path), "--labels", "a,b")
    assert result.exit_code == 2 and "--labels" in result.stderr
    help_text = cli("--help").output
    assert "Examples:" in help_text and "Keras is not needed" in help_text


def test_keras_is_not_imported_by_the_module():
    import subprocess
    code = "import sys, rnntrace.convert_keras; print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_spec_from_dict_accepts_what_is_written(keras, tmp_path):
    from rnntrace.convert_keras import load_keras_model, spec_from_keras
    path = saved(keras, tmp_path, [keras.layers.LSTM(2, return_sequences=True, dtype=F64)])
    spec, notes = spec_from_keras(load_keras_model(str(path)), inputs=[[1.0, 2.0]])
    assert spec_from_dict(spec).layers[0].size == 2 and notes == []
    with pytest.raises(ConvertError, match="expected steps × 2"):
        spec_from_keras(load_keras_model(str(path)), inputs=[[1.0]])


def test_unbuilt_model_is_refused(keras, tmp_path):
    L = keras.layers
    keras.Sequential([L.LSTM(2, return_sequences=True), L.Dense(1)]).save(tmp_path / "unbuilt.keras")
    refused(tmp_path / "unbuilt.keras", "holds no weights", "before it was built")


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_packed_keras_layout_is_what_import_keras_reads(keras, tmp_path, cell):
    """The layer's kernel, recurrent_kernel and bias pasted into `packed: {layout: keras}`
    give the imported spec's run to the last bit (a reset_after GRU: bias rows b, b_h)."""
    import yaml
    layer = getattr(keras.layers, cell)(3, return_sequences=True, dtype=F64, name="rnn")
    model = keras.Sequential([keras.Input((None, 2), dtype=F64), layer])
    randomise(model, 10)
    path = tmp_path / "cell.keras"
    model.save(path)
    x = inputs(10, 4, 2)
    _, imported_trace, _ = imported(path, x)
    kernel, recurrent, bias = layer.get_weights()
    packed = {"layout": "keras", "W": kernel.tolist(), "U": recurrent.tolist()}
    if cell == "GRU":
        packed.update(b=bias[0].tolist(), b_h=bias[1].tolist())
    else:
        packed["b"] = bias.tolist()
    text = yaml.safe_dump({"inputs": x.tolist(), "layers": [
        {"name": "rnn", "type": cell.lower(), "size": 3, "packed": packed}]})
    trace = engine.run(spec_from_text(text))
    assert np.array_equal(outputs(trace), outputs(imported_trace))
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)


def test_model_from_standard_input(keras, tmp_path):
    from click.testing import CliRunner

    from rnntrace.cli import main
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64), L.GRU(2, return_sequences=True, dtype=F64)])
    randomise(model, 11)
    x = inputs(11, 3, 2)
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"m{suffix}"
        model.save(path)
        result = CliRunner().invoke(main, ["import-keras", "-", "--inputs", json.dumps(x.tolist())],
                                    input=path.read_bytes())
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("# Imported from <stdin> (Keras 3.")
        trace = engine.run(spec_from_text(result.stdout))
        np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)
    result = CliRunner().invoke(main, ["import-keras", "-"], input=b"inputs: [1]\n")
    assert result.exit_code == 2 and result.stderr.startswith("Error: <stdin>: not a Keras model file")


def test_mixed_bfloat16_is_said_and_agrees_to_its_precision(keras, tmp_path):
    """A mixed_bfloat16 model keeps float32 weights and computes in bfloat16: the spec
    says so, and its float64 run agrees with Keras' bfloat16 run to bfloat16's
    precision (8 bits: a few parts in a thousand per operation), not better."""
    L = keras.layers
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = keras.Sequential([keras.Input((None, 2)), L.LSTM(3, return_sequences=True, name="lstm")])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    randomise(model, 14)
    path = tmp_path / "mixed.keras"
    model.save(path)
    x = inputs(14, 5, 2)
    _, trace, text = imported(path, x)
    assert "computes in bfloat16 in Keras (dtype policy mixed_bfloat16)" in text
    out = keras.ops.convert_to_numpy(keras.ops.cast(model(x[None].astype("float32")), "float32"))[0]
    difference = np.abs(outputs(trace) - out).max()
    assert 1e-6 < difference < 0.05, difference


# --------------------------------------------------------------------------- what people save (issue 18)

def test_embedding_lstm_time_distributed_softmax_word_by_word(keras, tmp_path):
    """The issue's model: Embedding → LSTM → TimeDistributed(Dense(softmax)), ids in,
    Keras' output at every step (mask_zero: ids without 0 are imported)."""
    L = keras.layers
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              L.Embedding(7, 3, mask_zero=True, dtype=F64, name="words"),
                              L.LSTM(4, return_sequences=True, dtype=F64, name="lstm"),
                              L.TimeDistributed(L.Dense(3, activation="softmax", dtype=F64), dtype=F64, name="tags")])
    randomise(model, 15)
    ids = np.array([3, 1, 6, 2, 5])
    for suffix in (".keras", ".h5"):
        path = tmp_path / f"tagger{suffix}"
        model.save(path)
        spec, trace, text = imported(path, ids, args=("--labels", "a,b,c"))
        assert [layer.type for layer in spec.layers] == ["embedding", "lstm", "dense"]
        assert "masks steps whose id is 0; none of these inputs is one" in text
        out = keras.ops.convert_to_numpy(model(ids[None]))[0]
        assert out.dtype == np.float64
        np.testing.assert_allclose(outputs(trace), out, rtol=0, atol=1e-10)
    result = cli(str(tmp_path / "tagger.keras"), "--inputs", "[3, 0, 2]")
    assert result.exit_code == 2 and "masks step 2 of the inputs (the id is 0)" in result.stderr
    for bad in ("[3, 7]", "[1.5]", "[[1, 2]]", "[true]"):
        result = cli(str(tmp_path / "tagger.keras"), "--inputs", bad)
        assert result.exit_code == 2 and "expected one word id per step, a whole number 0 … 6" in result.stderr


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_rnn_of_a_cell_after_masking(keras, tmp_path, cell):
    L = keras.layers
    model = keras.Sequential([keras.Input((None, 2), dtype=F64), L.Masking(0.0, dtype=F64),
                              L.RNN(getattr(L, cell)(3, dtype=F64), return_sequences=True, dtype=F64, name="rnn"),
                              L.TimeDistributed(L.Dense(2, dtype=F64), dtype=F64)])
    randomise(model, 16)
    path = tmp_path / "cell.h5"
    model.save(path)
    x = inputs(16, 5, 2)
    spec, trace, text = imported(path, x)
    assert spec.layers[0].type == {"SimpleRNNCell": "elman", "LSTMCell": "lstm", "GRUCell": "gru"}[cell]
    np.testing.assert_allclose(outputs(trace), keras_steps(keras, model, x), rtol=0, atol=1e-10)
    masked = x.copy()
    masked[2] = 0.0
    result = cli(str(path), "--inputs", json.dumps(masked.tolist()))
    assert result.exit_code == 2 and "masks step 3 of the inputs (every input is 0)" in result.stderr
    assert "give --inputs (the default is one step of zeros)" in cli(str(path)).stderr


def test_return_state_and_merge_mode_none_are_named_in_the_notes(keras, tmp_path):
    """return_state=True: the sequence is the spec's output, the final h and c are the
    trace's at the last step; merge_mode=None: both directions, concatenated."""
    L = keras.layers
    inp = keras.Input((None, 2), dtype=F64)
    seq, h, c = L.LSTM(3, return_sequences=True, return_state=True, dtype=F64, name="lstm")(inp)
    model = keras.Model(inp, [seq, h, c])
    randomise(model, 17)
    model.save(tmp_path / "state.keras")
    x = inputs(17, 4, 2)
    _, trace, text = imported(tmp_path / "state.keras", x)
    assert "Keras' further outputs are h and c of 'lstm' at its last step" in text
    want = [keras.ops.convert_to_numpy(t)[0] for t in model(x[None])]
    np.testing.assert_allclose(outputs(trace), want[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(trace[-1].layers["lstm"].h, want[1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(trace[-1].layers["lstm"].c, want[2], rtol=0, atol=1e-10)

    both = keras.Sequential([keras.Input((None, 2), dtype=F64),
                             L.Bidirectional(L.GRU(2, return_sequences=True, dtype=F64), merge_mode=None,
                                             dtype=F64, name="bi")])
    randomise(both, 18)
    both.save(tmp_path / "none.keras")
    _, trace, text = imported(tmp_path / "none.keras", x)
    assert "merge_mode=None" in text and "forward direction's numbers first" in text
    forward, backward = (keras.ops.convert_to_numpy(t)[0] for t in both(x[None]))
    np.testing.assert_allclose(outputs(trace), np.hstack([forward, backward]), rtol=0, atol=1e-10)


def test_output_number_picks_one_of_several_outputs(keras, tmp_path):
    """--output-number: merge_mode=None's forward (1) or backward (2) direction alone,
    each Keras' own output; return_state's c is refused, h is y at the last step."""
    L = keras.layers
    both = keras.Sequential([keras.Input((None, 2), dtype=F64),
                             L.Bidirectional(L.LSTM(2, return_sequences=True, dtype=F64), merge_mode=None,
                                             dtype=F64, name="bi")])
    randomise(both, 20)
    path = tmp_path / "none.keras"
    both.save(path)
    x = inputs(20, 5, 2)
    forward, backward = (keras.ops.convert_to_numpy(t)[0] for t in both(x[None]))
    for number, want, direction in (("1", forward, "forward"), ("2", backward, "reverse")):
        spec, trace, text = imported(path, x, args=("--output-number", number))
        assert spec.layers[0].type == "lstm" and spec.layers[0].direction == direction
        np.testing.assert_allclose(outputs(trace), want, rtol=0, atol=1e-10)
    result = cli(str(path), "--output-number", "3")
    assert result.exit_code == 2 and "the model gives 2 outputs (layer 'bi')" in result.stderr
    inp = keras.Input((None, 2), dtype=F64)
    seq, h, c = L.LSTM(3, return_sequences=True, return_state=True, dtype=F64, name="lstm")(inp)
    keras.Model(inp, [seq, h, c]).save(tmp_path / "state.keras")
    assert "is y at the last step" in imported(tmp_path / "state.keras", x, args=("--output-number", "2"))[2]
    result = cli(str(tmp_path / "state.keras"), "--output-number", "3")
    assert result.exit_code == 2 and "a memory and not a layer's output" in result.stderr
