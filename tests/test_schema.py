"""The JSON Schemas that ship in the package (rnntrace/schemas/) describe what the
commands print: the trace of every bundled example (json and jsonl), the gradients of
every example with a train block, and the check report. The examples are globbed when
the tests run, so a new example is covered without editing this file."""
import copy

import jsonschema
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.cli import main

from conftest import EXAMPLES as FOLDER
from conftest import schema, strict_json

EXAMPLES = sorted(FOLDER.glob("*.yaml"))


def validator(name, part=None):
    root = schema(name)
    jsonschema.Draft202012Validator.check_schema(root)
    if part is not None:   # one of its $defs, resolved against the whole schema
        root = {"$schema": root["$schema"], "$ref": f"#/$defs/{part}", "$defs": root["$defs"]}
    return jsonschema.Draft202012Validator(root)


def cli(*args, input=None):
    result = CliRunner().invoke(main, list(args), input=input)
    assert "Traceback" not in result.output
    return result


def test_the_schemas_ship_in_the_package():
    for name in ("trace.json", "grad.json", "check.json"):
        jsonschema.Draft202012Validator.check_schema(schema(name))
    assert schema("trace.json")["$defs"]["header"]["properties"]["format"] == {"const": "rnntrace.trace/1"}


def test_examples_are_found():
    assert len(EXAMPLES) >= 10 and any(p.name == "lstm_example.yaml" for p in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_trace_of_every_example_fits_the_schema(path):
    result = cli("run", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""                         # every value finite: no warning
    trace = strict_json(result.stdout)
    validator("trace.json").validate(trace)
    spec = rnntrace.load_spec(path)
    assert [step["t"] for step in trace["steps"]] == list(range(1, len(spec.inputs) + 1))
    names = [layer["name"] for layer in trace["layers"]]
    assert names == [layer.name for layer in spec.layers]
    for step in trace["steps"]:
        assert list(step["layers"]) == names           # one record per layer, in order
        assert step["y"] == _output(step["layers"][names[-1]])
        assert len(step["y"]) == spec.output_layer.output_size


def _output(record):
    return record["y"] if "y" in record and "z" in record else record["h"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_jsonl_of_every_example_fits_the_schema(path):
    result = cli("run", str(path), "--format", "jsonl")
    assert result.exit_code == 0, result.stderr
    header, *steps = [strict_json(line) for line in result.stdout.splitlines()]
    header_schema = copy.deepcopy(schema("trace.json")["$defs"]["header"])
    header_schema["additionalProperties"] = False
    header_schema["$defs"] = schema("trace.json")["$defs"]
    jsonschema.Draft202012Validator(header_schema).validate(header)
    step_validator = validator("trace.json", "step")
    for step in steps:
        step_validator.validate(step)
    # the same numbers as the whole trace
    whole = strict_json(cli("run", str(path), "--format", "json").stdout)
    assert whole == dict(header, steps=steps)


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "\ntrain:" in p.read_text(encoding="utf-8")],
                         ids=lambda p: p.name)
def test_the_gradients_of_every_example_with_a_train_block_fit_the_schema(path):
    result = cli("grad", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    validator("grad.json").validate(strict_json(result.stdout))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_check_report_of_every_example_fits_the_schema(path, tmp_path):
    # The key `rnntrace answers` writes for every quantity, checked with no tolerance at
    # all: right everywhere, so no digit is lost on the way through the answers file.
    answers = cli("answers", str(path), "--ask", "all")
    assert answers.exit_code == 0, answers.stderr
    key = tmp_path / "key.yaml"
    key.write_text(answers.stdout)
    result = cli("check", str(path), str(key), "--tolerance", "0", "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = strict_json(result.stdout)
    validator("check.json").validate(report)
    assert report["summary"]["with_wrong"] == 0 and report["files"][0]["status"] == "right"


# --------------------------------------------------------------------------- every record type, and nulls

EVERY_TYPE = """\
title: every layer type
lexicon: {words: [a, b], other: true}
inputs: a b c
layers:
  - name: el
    type: elman
    size: 2
    W: 0.5
    U: 0.1
  - name: jo
    type: jordan
    size: 2
    W: 0.5
    U: 0.2
    output: {size: 2, W: 0.3, activation: sigmoid}
  - name: ls
    type: lstm
    size: 2
    cell_input:  {W: 1, U: 0.1}
    input_gate:  {W: 1, P: 0.5}
    forget_gate: {W: 1, P: 0.5}
    output_gate: {W: 1, P: 0.5}
  - name: gr
    type: gru
    size: 2
    reset_gate:  {W: 1, b_h: 0.1}
    update_gate: {W: 1}
    candidate:   {W: 1, U: 0.5}
  - name: bi
    type: bidirectional
    merge: sum
    forward: {type: lstm, size: 2, cell_input: {W: 1}, input_gate: {W: 1}, forget_gate: {W: 1}, output_gate: {W: 1}}
    backward: {type: jordan, size: 3, W: 1, U: 1, output: {size: 2, W: 0.1}}
  - name: out
    type: dense
    size: 3
    activation: softmax
    labels: [x, y_, z]
    W: [[1, 0], [0, 1], [1, 1]]
"""


def test_every_record_type_fits_the_schema():
    result = cli("run", "-", "--format", "json", input=EVERY_TYPE)
    assert result.exit_code == 0, result.stderr
    trace = strict_json(result.stdout)
    validator("trace.json").validate(trace)
    assert [step["token"] for step in trace["steps"]] == ["a", "b", "c"]
    # forward lstm, 2 units on 2 inputs, no U: 4 blocks × (2×2 W + 2 b) = 24;
    # backward jordan, 3 hidden, 2 outputs: W 3×2 + U 3×2 + b 3 + output W 2×3 + output b 2 = 23
    assert trace["layers"][4] == {"name": "bi", "type": "bidirectional", "size": 2, "parameters": 24 + 23,
                                  "merge": "sum", "forward": {"type": "lstm", "size": 2},
                                  "backward": {"type": "jordan", "size": 2}}
    assert all(step["layers"]["out"]["label"] in ("x", "y_", "z") for step in trace["steps"])


def test_a_trace_with_non_finite_values_fits_the_schema():
    spec = "inputs: [1e300]\nlayers:\n  - {name: big, type: dense, size: 1, W: 1e300}\n"
    result = cli("run", "-", "--format", "json", input=spec)
    trace = strict_json(result.stdout)
    assert trace["steps"][0]["y"] == [None]
    validator("trace.json").validate(trace)


# --------------------------------------------------------------------------- the schema is not vacuous

@pytest.fixture
def lstm_trace(examples):
    return strict_json(cli("run", str(examples / "lstm_example.yaml"), "--format", "json").stdout)


@pytest.mark.parametrize("corrupt", [
    lambda t: t.pop("format"),
    lambda t: t.update(format="rnntrace.trace/2"),
    lambda t: t["steps"][0]["layers"]["lstm"].pop("c"),
    lambda t: t["steps"][0]["layers"]["lstm"]["gates"].pop("input_gate"),   # (a coupled LSTM has no forget gate)
    lambda t: t["steps"][0]["layers"]["lstm"]["gates"]["input_gate"].update(a=[]),
    lambda t: t["steps"][0]["layers"]["lstm"].update(cell=[1.0]),
    lambda t: t["steps"][0].update(t=0),
    lambda t: t["steps"][0].update(y=["7"]),
    lambda t: t["steps"][0].update(x=[None, 1, 0]),
    lambda t: t["layers"][0].update(size=0),
    lambda t: t["layers"][0].update(merge="concat"),
    lambda t: t.update(steps=[]),
    lambda t: t.update(extra=1),
], ids=["no format", "format 2", "no c", "no input gate", "empty activation", "unknown field",
        "t from 0", "text for a number", "null input", "size 0", "merge on lstm", "no steps", "extra key"])
def test_a_corrupted_trace_does_not_fit(lstm_trace, corrupt):
    validator("trace.json").validate(lstm_trace)
    corrupt(lstm_trace)
    with pytest.raises(jsonschema.ValidationError):
        validator("trace.json").validate(lstm_trace)


@pytest.mark.parametrize("merge", schema("spec.json")["$defs"]["bidirectional"]["properties"]["merge"]["enum"])
def test_every_merge_the_spec_allows_fits_the_trace_schema(merge):
    import json
    elman = {"type": "elman", "size": 1, "W": 1, "U": 1}
    spec = {"inputs": [1, 2],
            "layers": [{"type": "bidirectional", "merge": merge, "forward": elman, "backward": elman}]}
    result = cli("run", "-", "--format", "json", input=json.dumps(spec))    # JSON is YAML
    assert result.exit_code == 0, result.stderr
    validator("trace.json").validate(strict_json(result.stdout))


def _starter_traces():
    """What `rnntrace new TYPE` prints, for every type of the registry, and the variants
    whose records differ (a coupled LSTM has no forget gate, a projected one an m; an
    embedding of ids; reverse directions)."""
    from rnntrace.layers import LAYER_TYPES
    printed = {kind: CliRunner().invoke(main, ["new", kind]) for kind in LAYER_TYPES}
    specs = {kind: done.stdout for kind, done in printed.items() if done.exit_code == 0}
    specs["dense"] = "inputs: [[1, 0]]\nlayers:\n  - {type: dense, size: 2, W: 1, activation: softmax, labels: [a, b]}\n"
    specs["embedding"] = ("lexicon: [to, Taipei]\ninputs: to Taipei\nlayers:\n"
                          "  - {type: embedding, size: 2, E: [[1, 2], [3, 4]]}\n")
    specs["lstm coupled"] = ("inputs: [[1, 0], [0, 1]]\nlayers:\n  - {type: lstm, size: 1, coupled: true, "
                             "cell_input: {W: [1, 0]}, input_gate: {W: [0, 1]}, output_gate: {W: [1, 1]}}\n")
    specs["lstm projection"] = ("inputs: [[1, 0], [0, 1]]\nlayers:\n  - {type: lstm, size: 2, projection: [[1, 1]], "
                                "cell_input: {W: 1, U: 1}, input_gate: {W: 1, U: 1}, forget_gate: {W: 1, U: 1}, "
                                "output_gate: {W: 1, U: 1}}\n")
    specs["embedding ids"] = "inputs: [2, 0]\nlayers:\n  - {type: embedding, size: 2, E: [[1, 2], [3, 4], [5, 6]]}\n"
    specs["indrnn reverse"] = ("inputs: [1, 2]\nlayers:\n  - {type: bidirectional, forward: {type: indrnn, size: 1, "
                               "W: 1, u: 0.5}, backward: {type: indrnn, size: 1, W: 1, u: 0.5}}\n"
                               "  - {type: indrnn, size: 1, W: [[1, 1]], u: 1, direction: reverse}\n")
    return specs


@pytest.mark.parametrize("name, text", list(_starter_traces().items()), ids=list(_starter_traces()))
def test_the_trace_of_every_layer_type_fits_the_schema(name, text):
    # the schema's records are generated from each home's Record (rnntrace.schemas.generate),
    # so a type without a bundled example is covered from the registry
    result = cli("run", "-", "--format", "json", input=text)
    assert result.exit_code == 0, result.output
    trace = strict_json(result.stdout)
    validator("trace.json").validate(trace)
    types = {t for layer in trace["layers"] for t in (layer["type"], layer.get("forward", {}).get("type"))}
    assert name.split()[0] in types
    records = [layer for step in trace["steps"] for layer in step["layers"].values()]
    if name == "lstm coupled":
        assert "forget_gate" not in records[0]["gates"]
    if name == "lstm projection":
        assert "m" in records[0]


def test_every_layer_type_has_a_trace_above():
    from rnntrace.layers import LAYER_TYPES
    assert set(LAYER_TYPES) <= set(_starter_traces())


def test_the_names_upstream_may_give_are_those_rnntrace_takes_for_every_type():
    # generated from the homes' Records; rnntrace reads them from the descriptions (spec.upstream_keys)
    import jsonschema
    from rnntrace.spec import spec_from_text, upstream_keys
    allowed = schema("spec.json")["$defs"]["upstream_layer"]["propertyNames"]["enum"]
    taken = set()
    for text in _starter_traces().values():
        for layer in spec_from_text(text).layers:
            taken.update(upstream_keys(layer))
    assert taken == set(allowed)
    data = {"lexicon": ["to", "Taipei"], "inputs": "to Taipei",
            "layers": [{"type": "embedding", "size": 2, "E": [[1, 2], [3, 4]]}],
            "train": {"upstream": {"embedding": {"e": [[1, 0], None]}}}}
    rnntrace.spec_from_dict(data)   # rnntrace takes it, and so does the schema
    jsonschema.Draft202012Validator(schema("spec.json")).validate(data)
