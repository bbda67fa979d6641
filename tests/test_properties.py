"""Property-based tests: random valid specs of every layer type run and keep their
invariants (shapes as declared, gate activations within [0, 1], softmax outputs that
sum to 1, strict JSON that fits the schema); random corruptions of them (wrong
shapes, deleted keys, typos, wrong types, NaN, bad sizes, ragged inputs) end with exit
code 2 and one line on stderr, never a traceback."""
import json
import math

import jsonschema
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnntrace.cli import main

from conftest import schema, strict_json

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TRACE_SCHEMA = jsonschema.Draft202012Validator(schema("trace.json"))

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "hard_sigmoid"]
GATE_ACTIVATIONS = ["sigmoid", "hard_sigmoid"]
LSTM_BLOCKS = ["cell_input", "input_gate", "forget_gate", "output_gate"]
GRU_BLOCKS = ["reset_gate", "update_gate", "candidate"]
NAN, INF = "__nan__", "__inf__"   # written into the YAML as .nan and .inf


def to_yaml(spec) -> str:
    """JSON is YAML; NaN and infinity are spelt the YAML way."""
    return json.dumps(spec).replace(f'"{NAN}"', ".nan").replace(f'"{INF}"', ".inf")


numbers = st.floats(min_value=-3, max_value=3, allow_nan=False).map(lambda v: round(v, 3))


@st.composite
def matrix(draw, rows, cols):
    """A rows × cols matrix as a spec may write it: a scalar, a flat row, or rows."""
    form = draw(st.sampled_from(["scalar", "rows"] + (["flat"] if rows == 1 else [])))
    if form == "scalar":
        return draw(numbers)
    if form == "flat":
        return draw(st.lists(numbers, min_size=cols, max_size=cols))
    return draw(st.lists(st.lists(numbers, min_size=cols, max_size=cols), min_size=rows, max_size=rows))


@st.composite
def vector(draw, size):
    return draw(st.one_of(numbers, st.lists(numbers, min_size=size, max_size=size)))


@st.composite
def recurrent(draw, size_in, kinds=("elman", "jordan", "lstm", "gru")):
    kind = draw(st.sampled_from(kinds))
    size = draw(st.integers(1, 3))
    layer = {"type": kind, "size": size}
    if kind in ("elman", "jordan"):
        out_size = draw(st.integers(1, 3)) if kind == "jordan" else size
        layer.update(W=draw(matrix(size, size_in)), U=draw(matrix(size, out_size)))
        if draw(st.booleans()):
            layer["b"] = draw(vector(size))
        if draw(st.booleans()):
            layer["activation"] = draw(st.sampled_from(["linear", "tanh", "sigmoid", "relu"]))
        if draw(st.booleans()):
            layer["initial"] = draw(vector(out_size))
        if kind == "jordan":
            layer["output"] = {"size": out_size, "W": draw(matrix(out_size, size)),
                               "activation": draw(st.sampled_from(["sigmoid", "tanh", "linear"]))}
        return layer, (size if kind == "elman" else out_size)
    blocks = LSTM_BLOCKS if kind == "lstm" else GRU_BLOCKS
    for block in blocks:
        weights = {"W": draw(matrix(size, size_in))}
        if draw(st.booleans()):
            weights["U"] = draw(matrix(size, size))
        if draw(st.booleans()):
            weights["b"] = draw(vector(size))
        if kind == "lstm" and block != "cell_input" and draw(st.booleans()):
            weights["P"] = draw(vector(size))
        if kind == "gru" and draw(st.booleans()):
            weights["b_h"] = draw(vector(size))
        layer[block] = weights
    if draw(st.booleans()):
        layer["gate_activation"] = draw(st.sampled_from(GATE_ACTIVATIONS))
    if draw(st.booleans()):
        layer["activation"] = draw(st.sampled_from(ACTIVATIONS))
    if kind == "lstm" and draw(st.booleans()):
        layer["cell_activation"] = draw(st.sampled_from(ACTIVATIONS))
    if kind == "lstm" and draw(st.booleans()):
        layer["initial"] = {"c": draw(vector(size)), "h": draw(vector(size))}
    if kind == "gru" and draw(st.booleans()):
        layer["initial"] = draw(vector(size))
    return layer, size


@st.composite
def layer(draw, size_in):
    kind = draw(st.sampled_from(["recurrent", "dense", "bidirectional"]))
    if kind == "recurrent":
        return draw(recurrent(size_in))
    if kind == "dense":
        size = draw(st.integers(1, 3))
        dense = {"type": "dense", "size": size, "W": draw(matrix(size, size_in)),
                 "activation": draw(st.sampled_from(ACTIVATIONS + ["softmax"]))}
        if draw(st.booleans()):
            dense["b"] = draw(vector(size))
        if draw(st.booleans()):
            dense["labels"] = [f"unit{i}" for i in range(size)]
        return dense, size
    forward, f_size = draw(recurrent(size_in))
    backward, b_size = draw(recurrent(size_in))
    merge = draw(st.sampled_from(["concat", "sum", "mean"] if f_size == b_size else ["concat"]))
    return {"type": "bidirectional", "forward": forward, "backward": backward, "merge": merge}, \
        (f_size + b_size if merge == "concat" else f_size)


@st.composite
def specs(draw):
    width = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 5))
    inputs = draw(st.lists(st.lists(numbers, min_size=width, max_size=width), min_size=steps, max_size=steps))
    layers, sizes = [], []
    size = width
    for _ in range(draw(st.integers(1, 3))):
        item, size = draw(layer(size))
        layers.append(item)
        sizes.append(size)
    return {"title": "random", "inputs": inputs, "layers": layers}, sizes


def run(text, *args):
    result = CliRunner().invoke(main, ["run", "-", *args], input=text)
    assert "Traceback" not in result.output, result.output
    return result


# --------------------------------------------------------------------------- valid specs

def gate_records(record):
    """(gate name, activation) of a record, through bidirectional directions."""
    if "forward" in record:
        yield from gate_records(record["forward"])
        yield from gate_records(record["backward"])
    for name, gate in record.get("gates", {}).items():
        yield name, gate["a"]


def lengths(record, layer):
    """The vector lengths a record must have, from the layer as declared."""
    kind, size = layer["type"], layer.get("size")
    if kind == "bidirectional":
        return {}
    if kind == "jordan":
        out = layer["output"]["size"]
        return {"y_prev": out, "z": size, "h": size, "z_out": out, "y": out}
    if kind == "dense":
        return {"z": size, "y": size}
    fields = {"h_prev": size, "h": size}
    if kind == "elman":
        fields["z"] = size
    if kind == "lstm":
        fields.update(c_prev=size, c=size)
    return fields


@SETTINGS
@given(specs())
def test_random_valid_specs_run_and_keep_their_invariants(drawn):
    spec, sizes = drawn
    result = run(to_yaml(spec), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "Warning" not in result.stderr
    trace = strict_json(result.stdout)
    TRACE_SCHEMA.validate(trace)
    assert [layer["size"] for layer in trace["layers"]] == sizes
    assert len(trace["steps"]) == len(spec["inputs"])
    for step, x in zip(trace["steps"], spec["inputs"]):
        assert step["x"] == x
        assert len(step["y"]) == sizes[-1]
        for layer, info, size in zip(spec["layers"], trace["layers"], sizes):
            record = step["layers"][info["name"]]
            output = record["y"] if layer["type"] in ("jordan", "dense") else record["h"]
            assert len(output) == size
            for field, length in lengths(record, layer).items():
                assert len(record[field]) == length, (field, record)
            for gate, a in gate_records(record):
                if gate != "candidate" and gate != "cell_input":
                    assert all(0.0 <= v <= 1.0 for v in a), (gate, a)
                assert all(math.isfinite(v) for v in a)
            if layer.get("activation") == "softmax":
                assert math.isclose(sum(record["y"]), 1.0, rel_tol=1e-12)
                assert all(0.0 <= v <= 1.0 for v in record["y"])


@SETTINGS
@given(specs())
def test_random_valid_specs_stream_the_same_numbers(drawn):
    spec, _ = drawn
    text = to_yaml(spec)
    whole = strict_json(run(text, "--format", "json").stdout)
    header, *steps = [strict_json(line) for line in run(text, "--format", "jsonl").stdout.splitlines()]
    assert dict(header, steps=steps) == whole
    assert CliRunner().invoke(main, ["validate", "-"], input=text).exit_code == 0


# --------------------------------------------------------------------------- corruptions

def sites(spec):
    """Every place a corruption can go: (container, key, what is there)."""
    found = [(spec, "inputs", "inputs"), (spec, "layers", "layers")]

    def visit(container, key, layer, top):
        found.append((layer, "type", "type"))
        kind = layer["type"]
        if kind == "bidirectional":
            found.append((layer, "forward", "required"))
            found.append((layer, "merge", "choice"))
            visit(layer, "forward", layer["forward"], False)
            visit(layer, "backward", layer["backward"], False)
            return
        found.append((layer, "size", "size"))
        size = layer["size"]
        if "activation" in layer:
            found.append((layer, "activation", "choice"))
        if kind in ("lstm", "gru"):
            for block in (LSTM_BLOCKS if kind == "lstm" else GRU_BLOCKS):
                found.append((layer, block, "required"))
                for name in layer[block]:
                    found.append((layer[block], name, "vector" if name in ("b", "P", "b_h") else "matrix", size))
                found.append((layer[block], "W", "required"))
        else:
            found.append((layer, "W", "required"))
            found.append((layer, "W", "matrix", size))
            for name in ("U", "b"):
                if name in layer:
                    found.append((layer, name, "vector" if name == "b" else "matrix", size))
            if kind == "jordan":
                found.append((layer, "output", "required"))
                found.append((layer["output"], "W", "matrix", layer["output"]["size"]))
                found.append((layer["output"], "size", "size"))

    for i, item in enumerate(spec["layers"]):
        visit(spec["layers"], i, item, True)
    return found


HOW = {
    "inputs": ["delete", "typo_key", "wrong_type", "nan", "ragged"],
    "layers": ["delete", "typo_key", "wrong_type"],
    "type": ["delete", "typo_key", "typo_value", "wrong_type"],
    "choice": ["typo_key", "typo_value", "wrong_type"],
    "size": ["delete", "typo_key", "size", "wrong_type"],
    "required": ["delete", "typo_key", "wrong_type"],
    "matrix": ["shape", "nan", "wrong_type", "typo_key"],
    "vector": ["shape", "nan", "wrong_type", "typo_key"],
}


@st.composite
def corrupted(draw):
    spec, _ = draw(specs())
    site = draw(st.sampled_from(sites(spec)))
    container, key, what = site[:3]
    how = draw(st.sampled_from(HOW[what]))
    value = container[key]
    if how == "ragged":
        # one step with a number too many (with a single step: a second, longer step)
        if len(spec["inputs"]) > 1:
            spec["inputs"][-1] = spec["inputs"][-1] + [1.0]
        else:
            spec["inputs"].append(spec["inputs"][0] + [1.0])
    elif how == "delete":
        del container[key]
    elif how == "typo_key":
        container[key + "x"] = container.pop(key)
    elif how == "typo_value":
        container[key] = value + "x"
    elif how == "size":
        container[key] = draw(st.sampled_from([0, -1, 1.5, "two", None, [2], NAN]))
    elif how == "shape":
        rows = site[3]
        # one entry too many: a flat list of rows + 1 (vector) or rows of every column + 1 (matrix)
        if what == "vector":
            container[key] = [1.0] * (rows + 1)
        else:
            cols = len(value[0]) if isinstance(value, list) and value and isinstance(value[0], list) else \
                (len(value) if isinstance(value, list) else 7)
            container[key] = [[1.0] * (cols + 1)] * rows
    elif how == "nan":
        if what == "inputs":
            spec["inputs"][0][0] = draw(st.sampled_from([NAN, INF]))
        else:
            container[key] = draw(st.sampled_from([NAN, INF]))
    else:   # text, a mapping, or true where something else goes
        container[key] = draw(st.sampled_from(["abc", {"a": 1}, True]))
    return spec, f"{how} {what} {key}"


@SETTINGS
@given(corrupted())
def test_random_corruptions_end_in_one_line_and_exit_2(drawn):
    spec, how = drawn
    text = to_yaml(spec)
    for command in (["validate", "-"], ["run", "-", "--format", "json"]):
        result = CliRunner().invoke(main, command, input=text)
        assert "Traceback" not in result.output, (how, result.output)
        assert result.exit_code == 2, (how, text, result.output)
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: <stdin>"), (how, result.stderr)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_never_crash(raw):
    result = CliRunner().invoke(main, ["validate", "-"], input=raw)
    assert "Traceback" not in result.output
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1


@SETTINGS
@given(st.text(alphabet="[]{}:,-&*!|>'\"#?%@` \n\tab1.e", max_size=120))
def test_random_yaml_punctuation_never_crashes(text):
    result = CliRunner().invoke(main, ["validate", "-"], input=text)
    assert "Traceback" not in result.output
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("Error: <stdin>")
