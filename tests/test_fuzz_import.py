"""Fuzzing the importers: mutated model files through import-keras and import-torch.

A model file may come from anyone; no file may crash an import. Each mutant ends with
exit code 0 or 2 (one line on standard error), never a traceback. The mutants: a Keras
configuration with one value replaced (by numbers at float64's edges, text, null,
lists, mappings, a deep nesting, a huge count) or one key dropped, in .keras and .h5
files; arrays replaced by ones of other shapes and types; PyTorch pickles and zip
archives with bytes changed, cut or inserted.

Seeded and bounded: the same mutants every run, in-process through click's CliRunner.
"""
import io
import json
import random
import zipfile

import numpy as np
import pytest
from click.testing import CliRunner

from rnntrace.cli import main
from test_import_hostile import config, keras_file, legacy_file
from conftest import require_module

h5py = require_module("h5py", "Keras model files")

SEED = 21
MUTANTS = 120
VALUES = [-1, 0, 1.5, 1e308, -1e308, 2 ** 70, 20_000, True, None, "", "x", "tanh", "softmax", "hard_sigmoid",
          "__keras_tensor__", [], {}, [1, [2]], {"class_name": "Lambda", "config": {}}, "[" * 3, "\x1b[2J"]


def paths(value, prefix=()):
    """Every place in a JSON value: (path, value)."""
    yield prefix, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))


def mutate_config(rng):
    conf = config(units=rng.choice([1, 2, 3]), return_state=rng.random() < 0.2,
                  go_backwards=rng.random() < 0.2)
    if rng.random() < 0.3:                  # a functional model's shape of configuration
        conf["class_name"] = "Functional"
    places = [p for p, _ in paths(conf) if p]
    for _ in range(rng.choice([1, 1, 2])):
        place = rng.choice(places)
        parent = conf
        for part in place[:-1]:
            parent = parent[part]
        if rng.random() < 0.2 and isinstance(parent, dict):
            parent.pop(place[-1], None)
        else:
            try:
                parent[place[-1]] = rng.choice(VALUES)
            except (IndexError, KeyError, TypeError):
                pass
        places = [p for p, _ in paths(conf) if p]
    return conf


def array_maker(rng):
    kind = rng.choice(["shape", "dtype", "scalar", "empty", "nan", "fine"])

    def make(group, name, array):
        if kind == "shape":
            group.create_dataset(name, data=np.zeros(tuple(rng.choice([0, 1, 3, 5]) for _ in array.shape)))
        elif kind == "dtype":
            group.create_dataset(name, data=array.astype(rng.choice(["i4", "f2", "c8", "u1", "?"])))
        elif kind == "scalar":
            group.create_dataset(name, data=1.0)
        elif kind == "empty":
            group.create_dataset(name, shape=(0,), dtype="f8")
        elif kind == "nan":
            group.create_dataset(name, data=np.full(array.shape, np.nan))
        else:
            group.create_dataset(name, data=array)
    return make


def assert_clean(result, what):
    assert result.exit_code in (0, 2), (what, result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (what, result.exception)
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and result.stdout == "", (what, result.stderr)


def flip(data: bytes, rng) -> bytes:
    data = bytearray(data)
    for _ in range(rng.choice([1, 2, 8])):
        kind = rng.choice(["byte", "cut", "insert"])
        at = rng.randrange(len(data))
        if kind == "byte":
            data[at] = rng.randrange(256)
        elif kind == "cut":
            del data[at:at + rng.choice([1, 4, 64])]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.choice([1, 4])))
    return bytes(data)


def test_mutated_keras_files_never_crash(tmp_path):
    rng = random.Random(SEED)
    runner = CliRunner()
    outcomes = set()
    for k in range(MUTANTS):
        conf = mutate_config(rng)
        make = array_maker(rng) if rng.random() < 0.4 else None
        if rng.random() < 0.5:
            path = keras_file(tmp_path / f"m{k}.keras", conf=conf, make=make)
        else:
            path = legacy_file(tmp_path / f"m{k}.h5", conf=conf, make=make)
        result = runner.invoke(main, ["import-keras", str(path), "--inputs", "[[1, 2], [3, 4]]"])
        assert_clean(result, (k, json.dumps(conf)[:300]))
        outcomes.add(result.exit_code)
    assert outcomes == {0, 2}                 # the mutants reach both: some still import


def test_mutated_archives_never_crash(tmp_path):
    """Bytes changed in a .keras archive and in a PyTorch file (its pickle and its zip)."""
    torch = require_module("torch", "PyTorch files")
    rng = random.Random(SEED + 1)
    runner = CliRunner()
    base = tmp_path / "base.pt"
    torch.save(torch.nn.LSTM(2, 2).state_dict(), base)
    keras_base = keras_file(tmp_path / "base.keras").read_bytes()
    with zipfile.ZipFile(base) as z:
        entries = {info.filename: z.read(info) for info in z.infolist()}
    pickle_name = next(n for n in entries if n.endswith("data.pkl"))
    for k in range(MUTANTS):
        target = rng.choice(["pickle", "pt", "keras"])
        if target == "pickle":
            changed = dict(entries, **{pickle_name: flip(entries[pickle_name], rng)})
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                for name, data in changed.items():
                    z.writestr(name, data)
            path, command = tmp_path / f"p{k}.pt", "import-torch"
            path.write_bytes(buffer.getvalue())
        elif target == "pt":
            path, command = tmp_path / f"z{k}.pt", "import-torch"
            path.write_bytes(flip(base.read_bytes(), rng))
        else:
            path, command = tmp_path / f"k{k}.keras", "import-keras"
            path.write_bytes(flip(keras_base, rng))
        result = runner.invoke(main, [command, str(path)])
        assert_clean(result, (k, target))
