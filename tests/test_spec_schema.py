"""The JSON Schema of the input spec (rnntrace/schemas/spec.json), which editors with
the YAML language server use to complete and check specs: every bundled example and
starter fits it, it agrees with what rnntrace itself accepts and refuses, and the
starters' modelines point at it.

The YAML language server validates with draft 7 rules, so the schema, declared draft
2020-12, uses only keywords that mean the same in both; both validators run here."""
import copy
import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main
from rnntrace.errors import SpecError
from rnntrace.layers import TYPES as HOMES
from rnntrace.spec import spec_from_text
from rnntrace.starters import MODELINE, TYPES
from rnntrace.yamlsource import parse

from conftest import EXAMPLES as FOLDER
from conftest import ROOT, schema

EXAMPLES = sorted(FOLDER.glob("*.yaml"))
STARTERS = sorted((ROOT / "rnntrace" / "starters").glob("*.yaml"))
SCHEMA_FILE = ROOT / "rnntrace" / "schemas" / "spec.json"

#: Keywords whose meaning draft 7 and draft 2020-12 share (the names under
#: "properties" and "$defs" are names, not keywords, and are skipped).
SHARED = {"$schema", "$id", "$ref", "$defs", "title", "description", "type", "enum", "const", "properties",
          "required", "additionalProperties", "items", "minItems", "minLength", "pattern", "minimum",
          "exclusiveMinimum", "minProperties", "maxProperties", "propertyNames", "anyOf", "allOf", "not", "if",
          "then", "else"}


def validators():
    spec_schema = schema("spec.json")
    return [jsonschema.Draft202012Validator(spec_schema), jsonschema.Draft7Validator(spec_schema)]


def errors(data):
    """The schema's complaints about ``data``, by both validators (the same, or a bug)."""
    found = [sorted(e.message for e in v.iter_errors(data)) for v in validators()]
    assert bool(found[0]) == bool(found[1]), found
    return found[0]


def data_of(text: str):
    """A spec's data as rnntrace (and the YAML language server) read it: YAML 1.2, where
    `on` is a word, not true."""
    return parse(text, "<test>").data


def test_the_schema_is_a_2020_12_schema_in_draft_7_keywords():
    spec_schema = schema("spec.json")
    assert spec_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(spec_schema)
    jsonschema.Draft7Validator.check_schema(spec_schema)
    used = set()

    def walk(node, names=False):
        if isinstance(node, dict):
            if not names:
                used.update(node)
                # draft 7 ignores whatever stands beside a $ref: only words for people may
                assert "$ref" not in node or set(node) <= {"$ref", "description", "title"}, node
            for key, value in node.items():
                walk(value, names=key in ("properties", "$defs") and not names)
        elif isinstance(node, list):
            for item in node:
                walk(item)
    walk(spec_schema)
    assert used - SHARED == set()
    assert {"if", "then", "enum", "additionalProperties"} <= used


def test_the_schema_ships_in_the_package_and_has_help_for_editors():
    spec_schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert spec_schema == schema("spec.json")
    defs = spec_schema["$defs"]
    for name in ("elman", "jordan", "lstm", "gru", "dense", "bidirectional"):
        assert defs[name]["description"] and defs[name]["additionalProperties"] is False
    assert set(defs["layer"]["properties"]["type"]["enum"]) == set(HOMES)
    assert defs["bidirectional"]["properties"]["merge"]["enum"] == ["concat", "sum", "mean", "ave", "mul"]
    names = [set(defs[k]["anyOf"][0]["enum"]) for k in ("output_activation", "activation")]
    assert names[0] - names[1] == {"softmax"}


@pytest.mark.parametrize("path", EXAMPLES + STARTERS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_example_and_starter_fits_the_schema(path):
    text = path.read_text(encoding="utf-8")
    rnntrace.load_spec(path)                     # rnntrace accepts it …
    assert errors(data_of(text)) == []           # … and so does the schema


@pytest.mark.parametrize("kind", TYPES)
def test_printed_starters_and_random_exercises_fit_the_schema(kind):
    for args in ([kind], [kind, "--seed", "3"], [kind, "--seed", "12345"]):
        result = CliRunner().invoke(main, ["new", *args])
        assert result.exit_code == 0, result.output
        assert errors(data_of(result.stdout)) == []


@pytest.mark.parametrize("name", sorted(HOMES))
def test_each_layer_type_has_the_keys_its_home_reads(name):
    properties = set(schema("spec.json")["$defs"][name]["properties"])
    assert properties == set(HOMES[name].KEYS)


LSTM = """\
inputs: [[1, 0], [0, 1]]
layers:
  - type: lstm
    size: 1
    cell_input: {W: [1, 0]}
    input_gate: {W: [0, 1], b: 1}
    forget_gate: {W: [0, 1]}
    output_gate: {W: [1, 1]}
"""
GRU = """\
inputs: [[1, 0], [0, 1]]
layers:
  - type: gru
    size: 1
    reset_gate: {W: [1, 0]}
    update_gate: {W: [0, 1]}
    candidate: {W: [1, 1], U: [[0.5]], b_h: 0.1}
"""
BIDIRECTIONAL = """\
inputs: [1, 2, 3]
layers:
  - type: bidirectional
    forward: {type: elman, size: 1, W: 1, U: 1}
    backward: {type: elman, size: 1, W: 1, U: 1}
"""


def changed(text: str, edit):
    """``text`` read as data, changed by ``edit`` (a function of the data)."""
    data = copy.deepcopy(data_of(text))
    edit(data)
    return data


def put(*path_and_value):
    *path, key, value = path_and_value

    def edit(data):
        for part in path:
            data = data[part]
        data[key] = value
    return edit


def drop(*path):
    *path, key = path

    def edit(data):
        for part in path:
            data = data[part]
        del data[key]
    return edit


ACCEPTED = [
    ("GRU reset before U", GRU, put("layers", 0, "reset_after", False)),
    ("GRU reset after U", GRU, put("layers", 0, "reset_after", True)),
    ("output gate peephole on the new cell", LSTM,
     put("layers", 0, "output_gate", {"W": [1, 1], "P": [0.5], "peephole": "c"})),
    ("output gate peephole on c_prev", LSTM,
     put("layers", 0, "output_gate", {"W": [1, 1], "P": 1, "peephole": "c_prev"})),
    ("forget gate peephole", LSTM, put("layers", 0, "forget_gate", {"W": [0, 1], "P": [2]})),
    ("merge mul", BIDIRECTIONAL, put("layers", 0, "merge", "mul")),
    ("merge ave", BIDIRECTIONAL, put("layers", 0, "merge", "ave")),
    ("an LSTM direction", BIDIRECTIONAL, put("layers", 0, "backward", {
        "type": "lstm", "size": 1, "cell_input": {"W": 1}, "input_gate": {"W": 1}, "forget_gate": {"W": 1},
        "output_gate": {"W": 1}})),
    ("initial memory", LSTM, put("layers", 0, "initial", {"c": 1, "h": [0.5]})),
    ("no U written as null", LSTM, put("layers", 0, "cell_input", {"W": [1, 0], "U": None})),
    ("a named layer", LSTM, put("layers", 0, "name", "cell")),
    ("a lexicon as a list", LSTM, lambda d: d.update(lexicon=["a", "b"], inputs="a b a")),
    ("a lexicon with other", LSTM, lambda d: d.update(lexicon={"words": "a", "other": True}, inputs=["a", "z"])),
    ("a train block", LSTM, put("train", {"targets": [None, [1]], "loss": "mse", "clip": {"norm": 1},
                                          "learning_rate": 0.1})),
    ("upstream gradients", LSTM, put("train", {"upstream": {"lstm": {"h": [[1], None], "c": [None, 0.5]}},
                                               "learning_rate": 0.1})),
]


@pytest.mark.parametrize("what, text, edit", ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_what_rnntrace_accepts_the_schema_accepts(what, text, edit):
    data = changed(text, edit)
    rnntrace.spec_from_dict(data)
    assert errors(data) == []


REFUSED = [
    ("an unknown top-level key", LSTM, put("input", [1]), "input"),
    ("a misspelt block", LSTM, lambda d: d["layers"][0].update(forgt_gate=d["layers"][0].pop("forget_gate")),
     "forgt_gate"),
    ("a missing block", GRU, drop("layers", 0, "candidate"), "is not valid under any"),   # nor packed
    ("an unknown layer type", LSTM, put("layers", 0, "type", "lstmm"), "lstmm"),
    ("an unknown activation", LSTM, put("layers", 0, "activation", "swish"), "swish"),
    ("softmax in a recurrent layer", LSTM, put("layers", 0, "gate_activation", "softmax"), "softmax"),
    ("a size of 0", LSTM, put("layers", 0, "size", 0), "0"),
    ("a name with a dot", LSTM, put("layers", 0, "name", "a.b"), "a.b"),
    ("a reserved name", LSTM, put("layers", 0, "name", "y"), "'y'"),
    ("a peephole on the cell input", LSTM, put("layers", 0, "cell_input", {"W": [1, 0], "P": 1}), "P"),
    ("peephole on another gate", LSTM, put("layers", 0, "input_gate", {"W": [0, 1], "P": 1, "peephole": "c"}),
     "peephole"),
    ("peephole without P", LSTM, put("layers", 0, "output_gate", {"W": [1, 1], "peephole": "c"}), "P"),
    ("an unknown peephole cell", LSTM, put("layers", 0, "output_gate", {"W": [1, 1], "P": 1, "peephole": "h"}),
     "'h'"),
    ("reset_after as a word", GRU, put("layers", 0, "reset_after", "no"), "no"),
    ("b_h in an LSTM", LSTM, put("layers", 0, "input_gate", {"W": [0, 1], "b_h": 1}), "b_h"),
    ("an unknown merge", BIDIRECTIONAL, put("layers", 0, "merge", "max"), "max"),
    ("a dense direction", BIDIRECTIONAL, put("layers", 0, "forward", {"type": "dense", "size": 1, "W": 1}), "dense"),
    ("an unknown loss", LSTM, put("train", {"targets": [None, [1]], "loss": "mae"}), "mae"),
    ("both clips", LSTM, put("train", {"targets": [None, [1]], "clip": {"norm": 1, "value": 1}}), "too many"),
    ("a learning rate of 0", LSTM, put("train", {"targets": [None, [1]], "learning_rate": 0}), "0"),
    ("a text file of inputs", LSTM, put("inputs", {"file": "steps.txt"}), "steps.txt"),
    ("upstream and targets", LSTM, put("train", {"upstream": {"lstm": {"h": [1, None]}}, "targets": [None, [1]]}),
     "False schema"),
    ("upstream for a weighted sum", LSTM, put("train", {"upstream": {"lstm": {"z": [1, None]}}}), "'z'"),
    ("neither targets nor upstream", LSTM, put("train", {"loss": "mse"}), "'targets' is a required"),
    ("an upstream gradient not given per step", LSTM, put("train", {"upstream": {"lstm": {"h": 3}}}),
     "not of type 'array'"),
]


@pytest.mark.parametrize("what, text, edit, named", REFUSED, ids=[r[0] for r in REFUSED])
def test_what_rnntrace_refuses_by_its_keys_the_schema_refuses(what, text, edit, named):
    data = changed(text, edit)
    with pytest.raises(SpecError):
        rnntrace.spec_from_dict(data)
    assert named in " ".join(errors(data))      # refused, and for that reason


# --------------------------------------------------------------------------- the modelines

@pytest.mark.parametrize("path", STARTERS, ids=lambda p: p.name)
def test_each_template_opens_with_a_modeline_that_finds_the_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == MODELINE
    relative = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first).group(1)
    assert (path.parent / relative).resolve() == SCHEMA_FILE.resolve()   # relative to the file, as the server reads it


@pytest.mark.parametrize("kind", TYPES)
def test_a_printed_starter_names_the_installed_schema(kind):
    text = CliRunner().invoke(main, ["new", kind]).stdout
    first = text.splitlines()[0]
    uri = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first).group(1)
    assert uri.startswith("file:///")                   # absolute: the copy can be anywhere
    installed = Path(rnntrace.__file__).parent / "schemas" / "spec.json"
    assert Path(unquote(urlparse(uri).path)).resolve() == installed.resolve()
    assert spec_from_text(text).layers                  # a comment: the spec is the same


def test_each_type_s_block_is_generated_from_its_home_and_a_key_without_a_schema_is_an_error():
    import types
    from rnntrace.schemas.generate import spec_block
    for name, home in HOMES.items():
        assert schema("spec.json")["$defs"][name] == spec_block(name, home)
    indrnn = HOMES["indrnn"]
    grown = types.SimpleNamespace(KEYS=indrnn.KEYS | {"leak"}, SCHEMA=indrnn.SCHEMA)
    with pytest.raises(ValueError, match="no schema for the keys leak"):
        spec_block("indrnn", grown)
    stray = types.SimpleNamespace(KEYS=indrnn.KEYS - {"u"}, SCHEMA=indrnn.SCHEMA)
    with pytest.raises(ValueError, match="SCHEMA describes u, which KEYS does not have"):
        spec_block("indrnn", stray)
