"""JSON lines: the planned writer (one conversion and one formatting per step) and the
orjson writer of ``rnntrace[fast]`` against the field-by-field JSON of step_to_dict.

The plain writer must write json.dumps' own text byte for byte; the orjson writer's text
may differ only where JSON allows (how a number is spelt, spaces), and every number it
writes must read back as the same float64, bit for bit (−0.0 too), nulls where the
trace has values that are not finite.
"""
import io
import json
import math
import sys
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from rnntrace import engine
from rnntrace.bundled import examples_dir
from rnntrace.render.json import dumps, trace_jsonl
from rnntrace.spec import load_spec
from rnntrace.trace import header_dict, step_to_dict

from test_properties import specs, to_yaml
from conftest import require_module

orjson = require_module("orjson", "the fast JSON-lines writer")

EXAMPLES = sorted(examples_dir().glob("*.yaml"))


def parse_spec(text: str, name: str):
    return load_spec(io.StringIO(text), name=name)


def strict(line: str):
    def refuse(token):
        raise AssertionError(f"{token} is not JSON")
    return json.loads(line, parse_constant=refuse)


def bits(value):
    """Every float as its 8 bytes (so that 0.0 and −0.0 differ), structure kept."""
    if isinstance(value, float):
        return ("float", struct.pack("<d", value))
    if isinstance(value, dict):
        return {key: bits(item) for key, item in value.items()}
    if isinstance(value, list):
        return [bits(item) for item in value]
    return value


def writers_agree(spec) -> int:
    """Checks both writers on every step of ``spec``'s run; returns the numbers compared."""
    steps = list(engine.iter_steps(spec))
    expected = [dumps(header_dict(spec))] + [dumps(step_to_dict(step)) for step in steps]
    plain = list(trace_jsonl(spec, steps, fast=False))
    fast = list(trace_jsonl(spec, steps, fast=True))
    assert plain == expected          # json.dumps' text, byte for byte
    assert len(fast) == len(expected)
    count = 0
    for mine, theirs in zip(fast, expected):
        a, b = strict(mine), strict(theirs)
        assert bits(a) == bits(b)     # the same floats, bit for bit, and the same nulls
        # The text differs only in what JSON leaves free: written again by json.dumps
        # from what it reads as, it is the field-by-field line.
        assert dumps(a) == theirs
        count += mine.count(",")
    return count


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_both_writers_write_the_same_numbers_for_every_example(path):
    spec = load_spec(path)
    assert writers_agree(spec) > 0


@pytest.mark.parametrize("name", ["lstm_example.yaml", "slot_filling.yaml", "bidirectional.yaml"])
def test_a_float32_run_writes_the_same_float32_texts(name):
    from rnntrace.engine.precision import cast
    assert writers_agree(cast(load_spec(examples_dir() / name), "float32")) > 0


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(specs())
def test_random_networks_write_the_same_numbers(drawn):
    spec, _ = drawn
    writers_agree(parse_spec(to_yaml(spec), "<random>"))


def test_values_that_are_not_finite_are_null_in_both_and_the_other_steps_stay_planned():
    # W = 1e200 twice: z = 1e200·1e200 overflows at step 2 (+inf), then inf − inf is NaN.
    text = """
inputs: [[1], [1e200], [1], [-1], [1]]
layers:
  - {name: big, type: elman, size: 2, W: [[1e200], [-1e200]], U: [[1, 0], [0, 1]], activation: linear}
  - {name: out, type: dense, size: 2, W: [[1, 1], [1, -1]], activation: softmax, labels: [a, "bé%d"]}
"""
    spec = parse_spec(text, "<overflow>")
    assert writers_agree(spec) > 0
    lines = [strict(line) for line in trace_jsonl(spec, engine.iter_steps(spec), fast=True)]
    assert lines[1]["layers"]["big"]["z"] == [1e200, -1e200]
    assert None in lines[2]["layers"]["big"]["z"]
    assert lines[1]["layers"]["out"]["label"] in ("a", "bé%d")


def test_orjson_spells_every_kind_of_float64_so_that_it_reads_back_the_same():
    # Random bit patterns cover every exponent (subnormals, 5e-324, 1.8e308) and sign.
    rng = np.random.default_rng(22)
    values = rng.integers(0, 2 ** 64, 200_000, dtype=np.uint64).view(np.float64)
    values = values[np.isfinite(values)]
    values = np.concatenate([values, [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308,
                                      1.7976931348623157e308, 0.1, 1e-5, 1e16, 123456789012345678.0]])
    text = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY)
    back = np.array(strict(text.decode()))
    assert back.view(np.uint64).tolist() == values.view(np.uint64).tolist()


def test_names_beyond_ascii_and_with_percent_signs_are_written_as_they_are():
    text = """
inputs: ["naïve%s"]
lexicon: {words: ["naïve%s"]}
layers:
  - {name: "é%s", type: elman, size: 1, W: 1, U: 0}
"""
    spec = parse_spec(text, "<names>")
    writers_agree(spec)
    for fast in (False, True):
        lines = list(trace_jsonl(spec, engine.iter_steps(spec), fast=fast))
        step = strict(lines[1])
        assert step["layers"] == {"é%s": {"h_prev": [0.0], "z": [1.0], "h": [math.tanh(1.0)]}}
        assert step["token"] == "naïve%s" and "naïve%s" in lines[1]


def test_the_command_writes_the_same_lines_with_or_without_orjson(tmp_path, monkeypatch):
    from click.testing import CliRunner
    from rnntrace.cli import main
    spec = examples_dir() / "lstm_example.yaml"
    fast = CliRunner().invoke(main, ["run", str(spec), "--format", "jsonl"]).stdout.splitlines()
    monkeypatch.setitem(sys.modules, "orjson", None)   # as where it is not installed
    plain = CliRunner().invoke(main, ["run", str(spec), "--format", "jsonl"]).stdout.splitlines()
    assert plain == [dumps(header_dict(load_spec(spec)))] + \
        [dumps(step_to_dict(step)) for step in engine.iter_steps(load_spec(spec))]
    assert [bits(strict(line)) for line in fast] == [bits(strict(line)) for line in plain]
    assert fast != plain   # orjson's own spelling: no spaces


def test_a_layer_name_written_as_code_stays_a_name():
    """The plan's functions are Python source made from the trace's field paths: a layer
    named like code enters it only through repr, and comes out as the name."""
    from rnntrace.spec import spec_from_dict
    name = "a']); __import__('os'); exit(3); (['"
    spec = spec_from_dict({"inputs": [[1], [2]],
                           "layers": [{"name": name, "type": "elman", "size": 1, "W": 1, "U": 1}]})
    lines = list(trace_jsonl(spec, engine.iter_steps(spec), fast=False))
    assert [list(json.loads(line)["layers"]) for line in lines[1:]] == [[name], [name]]


@pytest.mark.parametrize("fast", [False, True])
def test_long_lines_are_written_in_batches_of_bounded_size(tmp_path, fast):
    # A streaming run holds one batch of lines at a time: with 17 kB lines (64 units), 256
    # lines a batch held 4 MB three times over (the lines, their join, its encoding).
    from rnntrace.render import json as writer
    rng = np.random.default_rng(3)
    n, m = 64, 8
    blocks = "\n".join(f"    {b}: {{W: {json.dumps(rng.normal(0, .5, (n, m)).tolist())}, "
                       f"U: {json.dumps(rng.normal(0, .1, (n, n)).tolist())}, b: {json.dumps(rng.normal(0, .5, n).tolist())}}}"
                       for b in ("cell_input", "input_gate", "forget_gate", "output_gate"))
    spec = parse_spec(f"inputs: {json.dumps(rng.normal(0, 1, (60, m)).tolist())}\n"
                      f"layers:\n  - name: lstm\n    type: lstm\n    size: {n}\n{blocks}\n", "long")
    writes = []

    class Stream(io.TextIOWrapper):
        def write(self, text):
            writes.append(len(text))
            return super().write(text)

    stream = Stream(io.BytesIO(), encoding="utf-8")
    stream.buffer.write = lambda data: writes.append(len(data)) or len(data)
    writer.write_jsonl(spec, engine.iter_steps(spec), stream, fast=fast)
    longest = max(len(line) for line in trace_jsonl(spec, engine.iter_steps(spec), fast=fast))
    assert longest > 15_000 and len(writes) > 3
    assert max(writes) <= writer.BATCH_CHARS + longest + 1
