"""The compiled steps (one stacked product W·x for all of a gated layer's blocks, one for
U·h_prev): against the separate products z_k = (W_k·x + b_k) + U_k·h_prev of each block,
written here in numpy. A stacked product may group a row's terms differently in the BLAS
kernel, so z may differ by a few ulps; everything else is the same arithmetic."""
import zlib

import numpy as np
import pytest

from rnntrace.engine import run
from rnntrace.layers import activations as A
from rnntrace.spec import spec_from_dict

from test_grad_networks import gru, lstm, network

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
