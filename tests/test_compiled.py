"""The steps compiled from the descriptions' formulas (rnntrace/layers/compiled.py): one
stacked product per operand for all of a gated layer's blocks, held against the separate
products z_k = (W_k·x + b_k) + U_k·h_prev of each block written here in numpy (a stacked
product may group a row's terms differently in the BLAS kernel, so z may differ by a few
ulps), against the hand-written stacked steps they replace (tests/reference_step.py), and
what the compiler makes of each variant."""
import dataclasses
import re
import zlib

import numpy as np
import pytest

from rnntrace import load_spec
from rnntrace.engine import run
from rnntrace.engine.precision import _cast
from rnntrace.layers import activations as A
from rnntrace.layers.base import Block
from rnntrace.layers.compiled import compiled_step
from rnntrace.spec import spec_from_dict

import reference_step
from conftest import EXAMPLES
from test_grad_networks import gru, lstm, mat, network, vec
from test_layers import engine_values

ULPS = 8


def assert_close_in_ulps(ours, theirs, what):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    scale = np.maximum(np.abs(theirs), 1.0) * np.finfo(np.float64).eps * ULPS
    assert np.all(np.abs(ours - theirs) <= scale), (what, np.max(np.abs(ours - theirs)))


def separate_lstm(layer, xs):
    c, h = layer.initial_c, layer.initial_h
    for x in xs:
        z = {}
        for name, block in layer.blocks.items():
            v = block.W @ x + block.b
            if block.U is not None:
                v = v + block.U @ h
            if block.P is not None and not (name == "output_gate" and layer.peephole == "c"):
                v = v + block.P * c
            z[name] = v
        a = {n: A.activate(layer.activation if n == "cell_input" else layer.gate_activation, v)
             for n, v in z.items() if n != "output_gate" or layer.peephole != "c"}
        f = 1 - a["input_gate"] if layer.coupled else a["forget_gate"]
        c = a["cell_input"] * a["input_gate"] + c * f
        if layer.peephole == "c":
            z["output_gate"] = z["output_gate"] + layer.blocks["output_gate"].P * c
            a["output_gate"] = A.activate(layer.gate_activation, z["output_gate"])
        h = A.activate(layer.cell_activation, c) * a["output_gate"]
        yield z, c, h


def separate_gru(layer, xs):
    h = layer.initial
    for x in xs:
        z = {}
        for name in ("reset_gate", "update_gate"):
            b = layer.blocks[name]
            z[name] = b.W @ x + b.b + (b.U @ h if b.U is not None else 0) + (b.b_h if b.b_h is not None else 0)
        r, u = (A.activate(layer.gate_activation, z[n]) for n in ("reset_gate", "update_gate"))
        q = layer.blocks["candidate"]
        inner = (q.U @ (h if layer.reset_after else r * h) if q.U is not None else 0) + \
            (q.b_h if q.b_h is not None else 0)
        z["candidate"] = q.W @ x + q.b + (r * inner if layer.reset_after else inner)
        h = (1 - u) * A.activate(layer.activation, z["candidate"]) + u * h
        yield z, None, h


CASES = {f"lstm {size} {opts}": (lstm, dict(size=size, **opts)) for size in (1, 2, 3, 5)
         for opts in ({}, {"peephole": True}, {"recurrent": False}, {"output_peephole": "c"}, {"coupled": True})}
CASES.update({f"gru {size} {opts}": (gru, dict(size=size, **opts)) for size in (1, 2, 3, 5)
              for opts in ({}, {"reset_after": False}, {"b_h": False}, {"recurrent": False})})


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_stacked_step_is_the_separate_products_to_a_few_ulps(name):
    make, opts = CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    data = network(rng, [lambda r, n: make(r, n, **opts)], n_in=3, steps=6)
    spec = spec_from_dict(data)
    layer = spec.layers[0]
    reference = separate_lstm if layer.type == "lstm" else separate_gru
    for step, (z, c, h) in zip(run(spec), reference(layer, spec.inputs)):
        record = step.layers[layer.name]
        for block, value in z.items():
            assert_close_in_ulps(record.gates[block].z, value, (block, step.t))
        assert_close_in_ulps(record.h, h, ("h", step.t))
        if c is not None:
            assert_close_in_ulps(record.c, c, ("c", step.t))


@pytest.mark.parametrize("kind", ["elman", "elman_clip", "indrnn", "jordan"])
def test_steps_compiled_from_the_formulas_equal_numpy_to_the_last_bit(kind):
    """Elman, IndRNN and Jordan step through closures compiled from their descriptions
    (rnntrace/layers/compiled.py); each sum adds its terms in the formula's order, so the
    records equal W·x + U·h_prev + b written here in numpy exactly."""
    from test_grad_networks import elman, indrnn, jordan
    rng = np.random.default_rng(zlib.crc32(kind.encode()))
    make = {"elman": elman, "elman_clip": lambda r, n: elman(r, n, clip=0.3), "indrnn": indrnn,
            "jordan": jordan}[kind]
    spec = spec_from_dict(network(rng, [make], n_in=3, steps=6))
    layer = spec.layers[0]
    records = [step.layers[layer.name] for step in run(spec)]
    memory = layer.initial if layer.initial is not None else np.zeros(len(records[0].output))
    for x, rec in zip(spec.inputs, records):
        if kind == "indrnn":
            z = layer.W @ x + layer.u * memory + layer.b
        else:
            z = layer.W @ x + layer.U @ memory + layer.b
        h = A.activate(layer.activation, z if layer.clip is None else np.clip(z, -layer.clip, layer.clip)) \
            if kind != "jordan" else A.activate(layer.activation, z)
        assert np.array_equal(rec.z, z) and np.array_equal(rec.h, h)
        memory = h
        if kind == "jordan":
            z_out = layer.output.W @ h + layer.output.b
            y = A.activate(layer.output.activation, z_out)
            assert np.array_equal(rec.z_out, z_out) and np.array_equal(rec.y, y)
            memory = y


# --------------------------------------------------------------------------- against the hand-written step
# rnntrace/layers/compiled.py derives the LSTM's and GRU's stacked step from their formulas;
# tests/reference_step.py keeps the steps that were written by hand. Both compute the same
# stacked products (the same rows in the same order) and the same activation calls; they
# differ only in the order of a z's additions: the formula's (W·x + U·h_prev) + P∘c + b
# against the hand-written (W·x + b) + U·h_prev + P∘c. So with the biases zero (adding
# 0 is exact, the orders agree) every number is the same to the last bit, and with biases
# they differ by a few ulps.


def projected(rng, n_in, size=3, out=2, **opts):
    """An LSTM with a projection h = W_hr·m (PyTorch's proj_size): U reads the `out` values."""
    layer = lstm(rng, n_in, size=size, **opts)
    layer["projection"] = mat(rng, out, size)
    layer["initial"]["h"] = vec(rng, out)
    for block in ("cell_input", "input_gate", "forget_gate", "output_gate"):
        if "U" in layer.get(block, {}):
            layer[block]["U"] = mat(rng, size, out)
    return layer


def some_without_U(make, keep, **opts):
    """Blocks with U and blocks without: U only on the blocks in `keep`."""
    def maker(rng, n_in):
        layer = make(rng, n_in, **opts)
        for block, data in layer.items():
            if isinstance(data, dict) and "U" in data and block not in keep:
                del data["U"]
        return layer
    return maker


VARIANTS = {f"lstm {size} {opts}": (lambda r, n, size=size, opts=opts: lstm(r, n, size=size, **opts))
            for size in (1, 3, 8) for opts in (
                {}, {"peephole": True}, {"recurrent": False}, {"output_peephole": "c"},
                {"output_peephole": "c_prev"}, {"coupled": True}, {"clip": 0.4}, {"peephole": True, "clip": 0.3},
                {"coupled": True, "peephole": True, "output_peephole": "c"}, {"gate_activation": "hard_sigmoid"},
                {"activation": "sigmoid", "gate_activation": "sigmoid", "cell_activation": "relu"})}
VARIANTS.update({f"lstm projected {opts}": (lambda r, n, opts=opts: projected(r, n, size=4, out=2, **opts))
                 for opts in ({}, {"peephole": True}, {"output_peephole": "c"}, {"recurrent": False})})
VARIANTS.update({f"lstm U on {keep}": some_without_U(lstm, keep, size=3, peephole=True)
                 for keep in (("cell_input",), ("cell_input", "forget_gate", "output_gate"), ("input_gate",))})
VARIANTS.update({f"gru {size} {opts}": (lambda r, n, size=size, opts=opts: gru(r, n, size=size, **opts))
                 for size in (1, 3, 8) for opts in (
                     {}, {"reset_after": False}, {"b_h": False}, {"recurrent": False}, {"clip": 0.5},
                     {"reset_after": False, "b_h": False}, {"reset_after": False, "recurrent": False})})
VARIANTS.update({f"gru U on {keep} {after}": some_without_U(gru, keep, size=3, reset_after=after)
                 for keep in (("candidate",), ("reset_gate", "update_gate")) for after in (True, False)})


def gated_layers(spec):
    """(layer, its inputs) for every LSTM and GRU of a spec, directions of a bidirectional
    layer included."""
    trace = run(spec)
    xs = list(spec.inputs)
    for layer in spec.layers:
        for part in (layer.forward, layer.backward) if layer.type == "bidirectional" else (layer,):
            if part.type in ("lstm", "gru"):
                yield part, xs
        xs = [step.layers[layer.name].output for step in trace]


def zero_biases(layer):
    """The layer with every bias 0: then W·x + U·h + b adds in any order to the same number."""
    blocks = {name: Block(W=b.W, b=np.zeros_like(b.b), U=b.U, P=b.P,
                          b_h=None if b.b_h is None else np.zeros_like(b.b_h))
              for name, b in layer.blocks.items()}
    return dataclasses.replace(layer, blocks=blocks)


def derived_and_hand_written(layer, xs):
    """Each step's records from the derived and the hand-written step, each carrying its own memory."""
    derived = compiled_step(layer)
    hand = (reference_step.lstm_step if layer.type == "lstm" else reference_step.gru_step)(layer)
    ours = theirs = layer.home.initial_state(layer)
    for x in xs:
        a, ours = derived(x, ours)
        b, theirs = hand(x, theirs)
        assert type(a) is type(b) and list(a.gates) == list(b.gates)
        yield engine_values(a), engine_values(b)


def all_cases():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        spec = load_spec(path)
        for layer, xs in gated_layers(spec):
            yield f"{path.name} {layer.name}", layer, xs
    for name, make in sorted(VARIANTS.items()):
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        data = network(rng, [make], n_in=3, steps=8)
        del data["train"]   # (its targets assume h has `size` values; a projection has fewer)
        spec = spec_from_dict(data)
        yield name, spec.layers[0], list(spec.inputs)


CASE_LIST = list(all_cases())


def test_every_variant_and_bundled_gated_layer_is_covered():
    names = [name for name, _, _ in CASE_LIST]
    assert sum(".yaml " in name for name in names) >= 10   # the bundled examples' LSTM and GRU layers
    for needed in ("packed_pytorch.yaml", "packed_keras.yaml", "lstm_peephole_gers.yaml", "gru_reset_before.yaml",
                   "lstm_two_layer.yaml"):
        assert any(name.startswith(needed) for name in names), needed


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("index", range(len(CASE_LIST)), ids=[name for name, _, _ in CASE_LIST])
def test_the_derived_step_is_the_hand_written_one_to_the_last_bit_when_the_sums_add_in_the_same_order(index, dtype):
    _, layer, xs = CASE_LIST[index]
    layer = zero_biases(layer)
    if dtype == "float32":
        layer = _cast(layer, np.dtype(np.float32))   # as a --dtype float32 run casts it
        xs = [np.asarray(x, dtype=np.float32) for x in xs]
    for t, (ours, theirs) in enumerate(derived_and_hand_written(layer, xs), 1):
        assert list(ours) == list(theirs)
        for path, value in ours.items():
            assert value.dtype == np.dtype(dtype), path
            assert np.array_equal(value, theirs[path]), (path, t, value - theirs[path])


#: How far the two orders of a z's additions may move a number, relative to max(|v|, 1):
#: a rounding or two of each sum, carried through the steps' memory. The largest seen on
#: these cases is 5.6e-16 (a GRU gate's z); the bound is the one the stacked step's
#: docstring gave against four separate products.
BOUND = 4e-15


@pytest.mark.parametrize("index", range(len(CASE_LIST)), ids=[name for name, _, _ in CASE_LIST])
def test_the_derived_step_is_the_hand_written_one_to_a_few_ulps(index):
    _, layer, xs = CASE_LIST[index]
    worst = 0.0
    for ours, theirs in derived_and_hand_written(layer, xs):
        for path, value in ours.items():
            worst = max(worst, float(np.max(np.abs(value - theirs[path]) / np.maximum(np.abs(theirs[path]), 1.0))))
    assert worst <= BOUND


# --------------------------------------------------------------------------- what the compiler makes

def source_of(data):
    spec = spec_from_dict({"inputs": [[0.5, -1.0]], "layers": [data]})
    return compiled_step(spec.layers[0]).source


@pytest.mark.parametrize("opts, products", [({}, 2), ({"peephole": True}, 2), ({"output_peephole": "c"}, 2),
                                            ({"recurrent": False}, 1), ({"coupled": True}, 2)])
def test_an_lstm_step_makes_one_product_per_operand_and_one_sigmoid_call_for_its_gates(opts, products):
    source = source_of(lstm(np.random.default_rng(0), 2, size=3, **opts))
    assert source.count(" @ ") == products                  # W·x for every block, U·h_prev for every block
    late = opts.get("output_peephole") == "c"
    assert source.count("F1(") == (2 if late else 1)        # σ on the gates' stacked z (z_o later, alone)


@pytest.mark.parametrize("opts, products", [({}, 2), ({"reset_after": False}, 3), ({"recurrent": False}, 1)])
def test_a_gru_step_makes_one_product_per_operand(opts, products):
    """U_n·(r∘h_prev) (reset before U) reads r, so it is a product of its own."""
    source = source_of(gru(np.random.default_rng(0), 2, size=3, **opts))
    assert source.count(" @ ") == products
    assert source.count("F0(") == 1                         # σ once, on z_r and z_u stacked


def test_the_compiler_names_no_layer_type_gate_or_block():
    """compiled.py works from the formula trees alone (its comments and docstrings may
    give examples)."""
    from test_layers import PACKAGE, _code
    code = _code((PACKAGE / "layers" / "compiled.py").read_text(encoding="utf-8"))
    words = r"lstm|gru|elman|jordan|indrnn|blocks?|cell\w*|forget\w*|reset\w*|update\w*|candidate|peephole\w*|" \
            r"\w+_gate|c_prev|h_prev|y_prev|projection"
    assert not re.findall(rf"\b({words})\b", code, re.IGNORECASE)


def test_a_step_with_one_memory_takes_and_gives_an_array_and_with_two_a_tuple():
    rng = np.random.default_rng(3)
    spec = spec_from_dict(network(rng, [lambda r, n: lstm(r, n, size=2), lambda r, n: gru(r, n, size=2)], n_in=2))
    first, second = spec.layers
    record, memory = compiled_step(first)(spec.inputs[0], first.home.initial_state(first))
    assert isinstance(memory, tuple) and memory[0] is record.c and memory[1] is record.h
    record, memory = compiled_step(second)(record.h, second.home.initial_state(second))
    assert memory is record.h


@pytest.mark.parametrize("kind", ["elman", "lstm"])
def test_an_overflow_in_a_compiled_step_is_said_once_not_as_a_python_warning(tmp_path, kind):
    # The generated step is rnntrace.layers.compiled's code: the CLI's filter of its own
    # RuntimeWarnings applies, and the user reads the one 'beyond the float64 range' line.
    import subprocess
    import sys
    import yaml
    layer = {"type": "elman", "size": 1, "W": [[1e300]], "U": [[1e300]], "b": [0], "activation": "linear"}
    if kind == "lstm":
        block = {"W": [[1e300]], "U": [[1e300]], "b": [0]}
        layer = {"type": "lstm", "size": 1, "cell_input": block, "input_gate": block,
                 "forget_gate": block, "output_gate": block}
    spec = tmp_path / "big.yaml"
    spec.write_text(yaml.safe_dump({"inputs": [[1e300], [1e300]], "layers": [layer]}))
    done = subprocess.run([sys.executable, "-m", "rnntrace", "run", str(spec), "--format", "json"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "beyond the float64 range" in done.stderr
    assert "RuntimeWarning" not in done.stderr and "compiled step" not in done.stderr


@pytest.mark.parametrize("example", ["packed_pytorch.yaml", "elman.yaml"])
def test_a_weight_changed_in_place_after_a_run_is_an_error_not_stale_numbers(example):
    # The compiled step holds stacked copies of the weights: an edit in place would leave
    # it computing with the old ones. Once a layer has run its arrays are read-only; a
    # changed layer is a new one, and computes with the new weight.
    spec = load_spec(EXAMPLES / example)
    before = run(spec)[0].layers[spec.layers[0].name].output.copy()
    layer = spec.layers[0]
    name, value = next(iter(layer.parameters().items()))
    with pytest.raises(ValueError, match="read-only"):
        value[0] = value[0] + 1.0
    changed = value.copy()
    changed[0] = changed[0] + 1.0
    if "." in name:   # a block's weight: lstm.blocks[block].W
        block, key = name.split(".")
        blocks = dict(layer.blocks, **{block: dataclasses.replace(layer.blocks[block], **{key: changed})})
        new = dataclasses.replace(layer, blocks=blocks)
    else:
        new = dataclasses.replace(layer, **{name: changed})
    after = run(dataclasses.replace(spec, layers=(new,) + spec.layers[1:]))[0].layers[layer.name].output
    assert not np.array_equal(before, after)


def test_nothing_a_spec_says_reaches_the_generated_source():
    # Names, words and numbers are bound to the step as values: the exec'd text is the
    # compiler's own, whatever a hostile spec holds.
    hostile = "x'); __import__('os') or exit(3) #\""
    spec = spec_from_dict({
        "inputs": ["a'b", "c\"d"], "lexicon": ["a'b", "c\"d"],
        "layers": [{"type": "embedding", "name": hostile + "e", "size": 2, "E": [[1, -0.0], [1e308, 2]]},
                   {"type": "lstm", "name": hostile, "size": 1, "clip": 1e308,
                    **{b: {"W": [[1, 2]], "U": [[0.5]], "b": [-0.0]}
                       for b in ("cell_input", "input_gate", "forget_gate", "output_gate")}}]})
    for layer in spec.layers:
        source = compiled_step(layer).source
        for said in (hostile, "a'b", 'c"d', "import", "exit", "1e+308", "e308"):
            assert said not in source, (layer.name, said)
    trace = run(spec)
    assert trace[0].layers[spec.layers[0].name].e.tolist() == [1.0, -0.0]
