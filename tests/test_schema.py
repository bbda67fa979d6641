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
    lambda t: t["steps"][0]["layers"]["lstm"]["gates"].pop("forget_gate"),
    lambda t: t["steps"][0]["layers"]["lstm"]["gates"]["input_gate"].update(a=[]),
    lambda t: t["steps"][0]["layers"]["lstm"].update(cell=[1.0]),
    lambda t: t["steps"][0].update(t=0),
    lambda t: t["steps"][0].update(y=["7"]),
    lambda t: t["steps"][0].update(x=[None, 1, 0]),
    lambda t: t["layers"][0].update(size=0),
    lambda t: t["layers"][0].update(merge="concat"),
    lambda t: t.update(steps=[]),
    lambda t: t.update(extra=1),
], ids=["no format", "format 2", "no c", "no forget gate", "empty activation", "unknown field",
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
