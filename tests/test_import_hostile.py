"""Model files written by someone with a motive (issue: under attack, round 2): import-keras
reads .keras and .h5 files itself, and each hostile file is refused in one line, before
any of its numbers is read, within bounded memory. The files are made here with
zipfile, json and h5py, without Keras: a small SimpleRNN model as Keras 3 saves it,
then one thing changed."""
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace.cli import main
from conftest import require_module

h5py = require_module("h5py", "Keras model files")


def config(units=2, layer=None, inputs=2, **extra):
    rnn = {"module": "keras.layers", "class_name": "SimpleRNN",
           "config": {"name": "rnn", "units": units, "activation": "tanh", "use_bias": True,
                      "return_sequences": True, **extra}}
    return {"module": "keras", "class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer",
         "config": {"batch_shape": [None, None, inputs], "name": "input"}},
        layer or rnn]}}


def arrays(units=2, inputs=2, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, (inputs, units)), rng.uniform(-1, 1, (units, units)), rng.uniform(-1, 1, units)]


def weights_h5(target, make=None, units=2, inputs=2):
    """model.weights.h5 of a .keras file; ``make(group, name, array)`` writes each array."""
    with h5py.File(target, "w") as f:
        f.create_group("layers/simple_rnn/vars").attrs["name"] = "rnn"
        cell = f.create_group("layers/simple_rnn/cell/vars")
        cell.attrs["name"] = "simple_rnn_cell"
        for k, array in enumerate(arrays(units, inputs)):
            (make or (lambda g, n, a: g.create_dataset(n, data=a)))(cell, str(k), array)


def keras_file(path, conf=None, make=None, metadata=None, units=2):
    buffer = io.BytesIO()
    weights_h5(buffer, make, units)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("metadata.json", metadata if metadata is not None else json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", conf if isinstance(conf, str) else json.dumps(conf or config(units)))
        z.writestr("model.weights.h5", buffer.getvalue())
    return path


def legacy_file(path, conf=None, make=None, model_config=None):
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = model_config if model_config is not None else json.dumps(conf or config())
        f.attrs["keras_version"] = "3.15.1"
        group = f.create_group("model_weights/rnn")
        names = ["seq/rnn/kernel", "seq/rnn/recurrent_kernel", "seq/rnn/bias"]
        group.attrs["weight_names"] = names
        for name, array in zip(names, arrays()):
            (make or (lambda g, n, a: g.create_dataset(n, data=a)))(group, name, array)
    return path


def cli(*args, **kwargs):
    return CliRunner().invoke(main, ["import-keras", *map(str, args)], **kwargs)


def refused(result, *fragments):
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and result.stdout == "", result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_the_handmade_files_import_and_run_as_numpy_says(tmp_path):
    """The baseline the hostile files change: both formats import to h = tanh(x·K + h·R + b)."""
    from rnntrace import engine
    from rnntrace.spec import spec_from_text
    K, R, b = arrays()
    x = np.array([[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]])
    h, expected = np.zeros(2), []
    for xt in x:
        h = np.tanh(xt @ K + h @ R + b)
        expected.append(h)
    for path in (keras_file(tmp_path / "m.keras"), legacy_file(tmp_path / "m.h5")):
        result = cli(path, "--inputs", json.dumps(x.tolist()))
        assert result.exit_code == 0, result.stderr
        trace = engine.run(spec_from_text(result.stdout))
        np.testing.assert_allclose([step.y for step in trace], expected, rtol=0, atol=1e-15)


# --------------------------------------------------------------------------- memory and sizes

def peak(args, stdin=None):
    """Exit code, stderr and peak memory (MiB) of the command in a fresh process (VmHWM:
    the process's own high-water mark; ru_maxrss would carry the parent's over exec)."""
    code = ("import sys\nfrom rnntrace.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    code = e.code\n"
            "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
            "print('PEAK', int(peak) // 1024, file=sys.stderr)\n"
            "sys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], stdin=stdin, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=os.getcwd()), timeout=120)
    lines = out.stderr.splitlines()
    return out.returncode, lines[0] if len(lines) > 1 else "", int(lines[-1].split()[1])


def test_a_zip_bomb_is_refused_from_its_directory(tmp_path):
    """A small .keras whose model.weights.h5 unpacks to more than MAX_MODEL_BYTES."""
    from rnntrace.limits import MAX_MODEL_BYTES
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", json.dumps(config()))
        with z.open("model.weights.h5", "w", force_zip64=True) as f:
            block = b"\0" * (1 << 24)
            for _ in range(MAX_MODEL_BYTES // len(block) + 1):
                f.write(block)
    assert path.stat().st_size < 2_000_000
    code, line, mib = peak(["import-keras", path])
    assert code == 2 and "unpacks to" in line and f"read up to {MAX_MODEL_BYTES:,} bytes" in line, line
    assert mib < 150, mib


def test_a_dataset_declaring_800_million_numbers_is_never_allocated(tmp_path):
    """An 18 KB .h5 whose kernel declares 2 × 400,000,000: refused from its shape."""
    def huge(group, name, array):
        if name.endswith("/kernel"):
            group.create_dataset(name, shape=(2, 400_000_000), dtype="f8", chunks=(1, 1 << 16))
        else:
            group.create_dataset(name, data=array)
    path = legacy_file(tmp_path / "huge.h5", make=huge)
    assert path.stat().st_size < 100_000
    code, line, mib = peak(["import-keras", path])
    assert code == 2 and "(2, 400000000)" in line and "800,000,000 numbers" in line, line
    assert mib < 150, mib


def test_twenty_thousand_units_are_refused_from_the_configuration(tmp_path):
    path = keras_file(tmp_path / "units.keras", conf=config(units=20_000))
    code, line, mib = peak(["import-keras", path])
    assert code == 2 and "20,000 units of SimpleRNN are 400,040,000 weights" in line, line
    assert mib < 150, mib


def test_standard_input_is_bounded(tmp_path):
    with open("/dev/zero", "rb") as zero:
        code, line, mib = peak(["import-keras", "-"], stdin=zero)
    assert code == 2 and line == "Error: <stdin>: not a Keras model file (model.save writes a .keras zip " \
                                 "archive or a legacy .h5 HDF5 file)" and mib < 150


def test_standard_input_past_the_limit_stops_there(monkeypatch):
    from rnntrace import limits, model_files
    monkeypatch.setattr(model_files, "MAX_MODEL_BYTES", 1 << 20)
    data = b"\x89HDF\r\n\x1a\n" + b"\0" * (2 << 20)
    refused(cli("-", input=data), "<stdin>: more than 1,048,576 bytes")
    assert limits.MAX_MODEL_BYTES > 1 << 20


# --------------------------------------------------------------------------- storage and links

def test_external_storage_is_refused_and_its_bytes_never_read(tmp_path):
    secret = tmp_path / "secret"
    secret.write_bytes(np.arange(4.0).tobytes())     # a local file's bytes, as float64
    def outside(group, name, array):
        if name == "0":
            group.create_dataset(name, shape=(2, 2), dtype="<f8", external=[(str(secret), 0, 32)])
        else:
            group.create_dataset(name, data=array)
    for path in (keras_file(tmp_path / "ext.keras", make=outside),):
        refused(cli(path), "stored in an external file", "refused")
    def outside_h5(group, name, array):
        if name.endswith("kernel") and "recurrent" not in name:
            group.create_dataset(name, shape=(2, 2), dtype="<f8", external=[(str(secret), 0, 32)])
        else:
            group.create_dataset(name, data=array)
    refused(cli(legacy_file(tmp_path / "ext.h5", make=outside_h5)), "stored in an external file")


@pytest.mark.parametrize("link", ["soft", "external"])
def test_links_are_refused(tmp_path, link):
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f["w"] = np.ones((2, 2))
    def linked(group, name, array):
        if name == "1":
            group.create_dataset("real", data=array)
            group[name] = h5py.SoftLink(group.name + "/real") if link == "soft" else h5py.ExternalLink(str(other), "w")
        else:
            group.create_dataset(name, data=array)
    refused(cli(keras_file(tmp_path / "link.keras", make=linked)), f"is {'a soft' if link == 'soft' else 'an external'} link")


def test_a_virtual_dataset_is_refused(tmp_path):
    source = tmp_path / "source.h5"
    with h5py.File(source, "w") as f:
        f["w"] = np.ones((2, 2))
    def virtual(group, name, array):
        if name == "0":
            layout = h5py.VirtualLayout(shape=(2, 2), dtype="f8")
            layout[:] = h5py.VirtualSource(str(source), "w", shape=(2, 2))
            group.create_virtual_dataset(name, layout)
        else:
            group.create_dataset(name, data=array)
    refused(cli(keras_file(tmp_path / "virtual.keras", make=virtual)), "a virtual dataset")


@pytest.mark.parametrize("dtype,found", [
    ("c16", "complex numbers"), ("i8", "integers"), ("S8", "text"),
    (np.dtype([("a", "f8"), ("b", "f8")]), "records"), ("V2", "records"),
])
def test_what_is_not_a_plain_float_array_is_refused(tmp_path, dtype, found):
    def odd(group, name, array):
        if name == "0":
            group.create_dataset(name, shape=array.shape, dtype=dtype)
        else:
            group.create_dataset(name, data=array)
    refused(cli(keras_file(tmp_path / "odd.keras", make=odd)), f"holds {found}", "a spec's weights are real numbers")


def test_a_chunk_larger_than_its_dataset_is_refused(tmp_path):
    def chunky(group, name, array):
        if name == "0":
            group.create_dataset(name, shape=(2, 2), maxshape=(None, None), chunks=(4096, 4096), dtype="f8")
        else:
            group.create_dataset(name, data=array)
    refused(cli(keras_file(tmp_path / "chunks.keras", make=chunky)), "chunks of (4096, 4096)")


# --------------------------------------------------------------------------- configuration

def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    deep = "[" * 200_000 + "]" * 200_000
    refused(cli(keras_file(tmp_path / "deep.keras", conf=deep)), "config.json is nested more than 100 levels")
    refused(cli(keras_file(tmp_path / "meta.keras", metadata=deep)), "metadata.json is nested more than 100")
    refused(cli(legacy_file(tmp_path / "deep.h5", model_config=deep)), "model_config) is nested more than 100")
    shallow = json.dumps(config(units=2, extra=[[[[0]]]] * 1))          # deep enough is fine
    assert cli(keras_file(tmp_path / "ok.keras", conf=shallow)).exit_code == 0


@pytest.mark.parametrize("change,fragment", [
    ({"units": "two"}, "units: expected a whole number ≥ 1, found \"two\""),
    ({"units": True}, "units: expected a whole number ≥ 1, found true"),
    ({"return_sequences": "yes"}, "return_sequences: expected true or false, found \"yes\""),
    ({"use_bias": 1}, "use_bias: expected true or false, found 1"),
    ({"activation": ["tanh"]}, "activation [\"tanh\"] has no spec equivalent"),
])
def test_configuration_values_of_the_wrong_type(tmp_path, change, fragment):
    conf = config()
    conf["config"]["layers"][1]["config"].update(change)
    refused(cli(keras_file(tmp_path / "typed.keras", conf=conf)), fragment)


@pytest.mark.parametrize("value,fragment", [
    (np.arange(3), "expected text, found 3 values of int64"),
    (np.float64(1.5), "expected text, found 1 values of float64"),
    (b"\xff\xfe", "is not JSON"),
])
def test_a_model_config_attribute_that_is_not_text(tmp_path, value, fragment):
    refused(cli(legacy_file(tmp_path / "attr.h5", model_config=value)), fragment)


def test_a_class_name_or_layer_list_of_the_wrong_type(tmp_path):
    conf = config()
    conf["config"]["layers"][1]["class_name"] = 5
    refused(cli(keras_file(tmp_path / "a.keras", conf=conf)), "class_name: expected text, found 5")
    conf = config()
    conf["config"]["layers"] = {"not": "a list"}
    refused(cli(keras_file(tmp_path / "b.keras", conf=conf)), "import-keras reads Sequential and functional")


# --------------------------------------------------------------------------- precision

def test_bfloat16_and_float16_weights_are_read_exactly_and_said(tmp_path):
    """bfloat16 as Keras stores it (2 opaque bytes marked dtype=bfloat16: the upper half
    of a float32) and float16 are widened exactly, and the spec's comment says so."""
    import yaml

    def low(group, name, array):
        if name == "0":
            bits = (np.asarray(array, dtype=np.float32).view(np.uint32) >> 16).astype("<u2")
            group.create_dataset(name, data=bits.view("V2")).attrs["dtype"] = "bfloat16"
        elif name == "1":
            group.create_dataset(name, data=array.astype(np.float16))
        else:
            group.create_dataset(name, data=array)
    result = cli(keras_file(tmp_path / "low.keras", make=low))
    assert result.exit_code == 0, result.stderr
    assert "stores weights in bfloat16 and float16" in result.stdout
    layer = yaml.safe_load(result.stdout)["layers"][0]
    K, R, _ = arrays()
    truncated = ((K.astype(np.float32).view(np.uint32) >> 16) << 16).view(np.float32).astype(np.float64)
    assert np.array_equal(np.array(layer["W"]), truncated.T)
    assert np.array_equal(np.array(layer["U"]), R.astype(np.float16).astype(np.float64).T)


def test_a_file_name_with_escapes_is_written_escaped(tmp_path):
    """A file name's ESC and newline would act on a terminal and break the comment: the
    written spec says \\x1b and \\n, and rnntrace reads its own output back."""
    from rnntrace.spec import load_spec
    path = keras_file(tmp_path / "a\x1b[2Jb\nc.keras")
    target = tmp_path / "out.yaml"
    result = cli(path, "-o", target)
    assert result.exit_code == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "\x1b" not in text and text.startswith("# Imported from a\\x1b[2Jb\\nc.keras (Keras 3.15.1)")
    assert load_spec(target).layers[0].size == 2


def test_a_keras_2_functional_file(tmp_path):
    """Keras 2's functional configuration: inbound nodes as [[[name, node, tensor, {}]]],
    weight names as 'rnn/kernel:0'; its hard_sigmoid is clip(0.2·z + 0.5, 0, 1)."""
    from rnntrace import engine
    from rnntrace.spec import spec_from_text
    conf = {"class_name": "Functional", "config": {
        "name": "model", "input_layers": [["input_1", 0, 0]], "output_layers": [["rnn", 0, 0]],
        "layers": [
            {"class_name": "InputLayer", "name": "input_1",
             "config": {"batch_input_shape": [None, None, 2], "dtype": "float32", "name": "input_1"},
             "inbound_nodes": []},
            {"class_name": "SimpleRNN", "name": "rnn",
             "config": {"name": "rnn", "units": 2, "activation": "hard_sigmoid", "use_bias": True,
                        "return_sequences": True, "dtype": "float32"},
             "inbound_nodes": [[["input_1", 0, 0, {}]]]}]}}
    path = tmp_path / "k2.h5"
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = json.dumps(conf)
        f.attrs["keras_version"] = b"2.15.0"
        group = f.create_group("model_weights/rnn")
        names = ["rnn/kernel:0", "rnn/recurrent_kernel:0", "rnn/bias:0"]
        group.attrs["weight_names"] = [n.encode() for n in names]
        for name, array in zip(names, arrays()):
            group.create_dataset(name, data=array)
    x = np.array([[0.5, -1.0], [1.5, 0.25]])
    result = cli(path, "--inputs", json.dumps(x.tolist()))
    assert result.exit_code == 0, result.stderr
    K, R, b = arrays()
    h, expected = np.zeros(2), []
    for xt in x:
        h = np.clip(0.2 * (xt @ K + h @ R + b) + 0.5, 0.0, 1.0)
        expected.append(h)
    trace = engine.run(spec_from_text(result.stdout))
    np.testing.assert_allclose([step.y for step in trace], expected, rtol=0, atol=1e-15)
    conf["config"]["layers"][1]["inbound_nodes"] = [[["elsewhere", 0, 0, {}]]]
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = json.dumps(conf)
    refused(cli(path), "does not read the output of the layer before it")


def test_the_spec_writer_writes_what_pyyaml_writes():
    """spec_to_yaml writes rows of numbers itself (PyYAML's emitter takes minutes for a
    large layer): the text is PyYAML's own, to the byte, and reads back to the same
    doubles, at float64's edges too."""
    import yaml
    from rnntrace.convert import ConvertError, spec_to_yaml
    rng = np.random.default_rng(3)
    edges = [1e17, -1e16, 1e-5, 0.1, -0.0, 5e-324, 1.7976931348623157e308, 3.0, 2.5e-7, 1e22]
    for k in range(60):
        W = (rng.standard_normal((rng.integers(1, 5), rng.integers(1, 5))) * 10.0 ** rng.integers(-300, 300))
        spec = {"title": "t", "inputs": [[1, 2.5]], "layers": [
            {"name": "a", "W": W.tolist(), "b": edges[k % 10:], "labels": ["x", "1e5"], "flags": [True, False],
             "empty": [], "n": 3, "f": 1e20, "nested": {"U": [[1.0, 2]]}}]}
        text = spec_to_yaml(spec, comment="c")
        assert text == "# c\n" + yaml.safe_dump(spec, sort_keys=False, default_flow_style=None,
                                                  allow_unicode=True, width=1 << 16)
        assert yaml.safe_load(text) == spec
    with pytest.raises(ConvertError, match="only finite numbers"):
        spec_to_yaml({"W": [[1.0, float("inf")]]})


def test_a_fifo_or_device_is_refused_before_it_is_opened(tmp_path):
    fifo = tmp_path / "model.keras"
    os.mkfifo(fifo)
    refused(cli(fifo), "not a regular file (a FIFO, device or socket)")      # would wait for a writer
    refused(cli("/dev/zero"), "/dev/zero: not a regular file")
    refused(CliRunner().invoke(main, ["import-torch", str(fifo)]), "not a regular file")
