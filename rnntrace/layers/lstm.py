"""LSTM layer, as in the lecture's unit with four inputs and one output.

Each block k (cell input g, input gate i, forget gate f, output gate o) computes
z_k = W_k·x + U_k·h_{t−1} + P_k∘c_{t−1} + b_k (U and the peephole P optional); the
cell input goes through g, the three gates through the gate activation σ:

forward    c_t = g(z_g)·σ(z_i) + c_{t−1}·σ(z_f)
           h_t = h(c_t)·σ(z_o)
backward   (derived from the formulas by autodiff.py; the chain rule it works out is)
           dh_t = dh_out_t + dh_next                (dh_next = Σ_k U_kᵀ·dz_k at t + 1)
           da_o = dh_t∘h(c_t)
           dc_t = dh_t∘o∘h′(c_t) + dc_next (+ dc_up_t)   (dc_next = dc_{t+1}∘f_{t+1} + Σ_k P_k∘dz_k at t + 1;
                                                       dc_up_t: a gradient given for c_t, train.upstream)
           da_g = dc_t∘i,  da_i = dc_t∘g,  da_f = dc_t∘c_{t−1}
           dz_k = da_k∘σ′(z_k)  (g′ for the cell input),   dx_t = Σ_k W_kᵀ·dz_k
           dW_k, dU_k (with h_{t−1}), db_k from dz_k;  dP_k = Σ_t dz_k∘c_{t−1}
           dL/dc_0, dL/dh_0: what step 1 hands back (dc_1∘f_1 + Σ_k P_k∘dz_k, Σ_k U_kᵀ·dz_k)

With ``output_gate: {P: …, peephole: c}`` the output gate's peephole reads the new
cell instead (Gers & Schmidhuber 2000, Graves 2013, TensorFlow's peephole LSTM):
z_o = W_o·x + U_o·h_{t−1} + P_o∘c_t + b_o, computed after c_t. Backward, z_o then
depends on c_t of the same step: dc_t gains P_o∘dz_o, dc_{t−1} no longer does, and
dP_o = Σ_t dz_o∘c_t.

With ``coupled: true`` the forget gate is the input gate's complement, f = 1 − i (ONNX's
input_forget, TF Lite's CIFG): there is no forget_gate block, c_t = g·i + c_{t−1}·(1 − i),
and backward da_i = dc_t∘(g − c_{t−1}), dc_{t−1} = dc_t∘(1 − i).
With ``clip: c`` every block's z is cut to [−c, c] before its activation (ONNX's clip).
"""
from __future__ import annotations

import sys
from ..records import record
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from . import compiled
from .base import (Block, Gate, GateInfo, Quantity, affine, apply, block_terms, clip_operand,
                   clip_text, description, function_name, gate_names, gate_quantities,
                   one_minus, plural, product, read_blocks, read_clip, total, weight, zeros)

TYPE = "lstm"
TITLE = "LSTM"
RECURRENT = True
BLOCKS = ("cell_input", "input_gate", "forget_gate", "output_gate")
GATES = {"cell_input": GateInfo("", "cell input", "activation", symbol="g"),
         "input_gate": GateInfo("i", "input gate", "gate_activation"),
         "forget_gate": GateInfo("f", "forget gate", "gate_activation"),
         "output_gate": GateInfo("o", "output gate", "gate_activation")}
#: Which cell a peephole reads: the cell before the step (every gate, as in the lecture's
#: figure) or, on the output gate only, the new cell.
PEEPHOLES = ("c_prev", "c")
KEYS = {"name", "type", "size", "direction", "projection", "activation", "cell_activation", "gate_activation",
        "initial", "packed", "clip", "coupled"} | set(BLOCKS)
#: Packed weights (rnntrace.packing): the letters an order may use (or the block names),
#: and the order of the layouts named after a framework: PyTorch's weight_ih rows
#: [i; f; g; o], Keras' kernel columns [i f c o].
PACKED_GATES = dict({"i": "input_gate", "f": "forget_gate", "g": "cell_input", "c": "cell_input",
                     "o": "output_gate"}, **{block: block for block in BLOCKS})
PACKED_ORDERS = {"pytorch": ("i", "f", "g", "o"), "keras": ("i", "f", "c", "o")}
ASK = ("c", "h")
#: The outputs-over-time table lists these before the output.
SUMMARY = ('c',)
#: The record field that is the layer's output.
OUTPUT = "h"
#: How to read an LSTM unit's figure: the page says it once above the figures.
READING = ("In an LSTM unit the four inputs z, z_i, z_f, z_o come from below; the input gate σ(z_i) multiplies g(z) "
           "into the cell, the forget gate σ(z_f) multiplies the old cell c_prev, and the output gate σ(z_o) "
           "multiplies h(c) into the output.")
#: What the spec's JSON Schema says of this type beyond its KEYS (rnntrace/schemas/generate.py
#: writes its block, and its record in trace.json, from this, the KEYS and the Record).
SCHEMA = {
    "description": "LSTM layer: each block computes z = W·x + U·h_prev + P∘c_prev + b; c = g(z)·σ(z_i) + "
                   "c_prev·σ(z_f), h = h(c)·σ(z_o).",
    "required": ["type", "size"],
    "anyOf": [{"required": ["cell_input", "input_gate", "forget_gate", "output_gate"]}, {"required": ["packed"]},
              {"required": ["coupled", "cell_input", "input_gate", "output_gate"],
               "properties": {"coupled": {"const": True}}}],
    "keys": {
        "projection": {"$ref": "#/$defs/matrix", "description": "W_hr, one row per output (P × size): h = "
                       "W_hr·(h(c)·o), PyTorch's proj_size; U then reads the P outputs."},
        "activation": {"$ref": "#/$defs/activation", "description": "g, on the cell input (default tanh)."},
        "cell_activation": {"$ref": "#/$defs/activation", "description": "h, on the cell value (default tanh)."},
        "gate_activation": {"$ref": "#/$defs/activation", "description": "σ, on the three gates (default sigmoid)."},
        "cell_input": {"$ref": "#/$defs/lstm_cell_input"},
        "input_gate": {"$ref": "#/$defs/lstm_gate"},
        "forget_gate": {"$ref": "#/$defs/lstm_gate"},
        "output_gate": {"$ref": "#/$defs/lstm_output_gate"},
        "packed": {"$ref": "#/$defs/packed"},
        "initial": {"$ref": "#/$defs/lstm_initial"},
        "coupled": {"type": "boolean", "description": "true: the forget gate is 1 − i and has no block (ONNX "
                    "input_forget, TF Lite's CIFG)."}},
    "defs": {
        "lstm_cell_input": {
            "type": "object", "description": "The cell input z = W·x + U·h_prev + b, through g (activation). No peephole.",
            "required": ["W"], "additionalProperties": False,
            "properties": {"W": {"$ref": "#/$defs/matrix"}, "U": {"$ref": "#/$defs/optional_matrix"},
                           "b": {"$ref": "#/$defs/b"}}},
        "lstm_gate": {
            "type": "object", "description": "A gate: z = W·x + U·h_prev + P∘c_prev + b, through σ (gate_activation). "
                                             "U and the peephole P may be left out.",
            "required": ["W"], "additionalProperties": False,
            "properties": {"W": {"$ref": "#/$defs/matrix"}, "U": {"$ref": "#/$defs/optional_matrix"},
                           "P": {"$ref": "#/$defs/optional_vector"}, "b": {"$ref": "#/$defs/b"}}},
        "lstm_output_gate": {
            "type": "object", "description": "The output gate: z_o = W·x + U·h_prev + P∘c + b, c being the cell before "
                                             "the step (c_prev, default) or, with peephole: c, the new cell.",
            "required": ["W"], "additionalProperties": False,
            "properties": {"W": {"$ref": "#/$defs/matrix"}, "U": {"$ref": "#/$defs/optional_matrix"},
                           "P": {"$ref": "#/$defs/optional_vector"}, "b": {"$ref": "#/$defs/b"},
                           "peephole": {"description": "Which cell the peephole P reads: c_prev (default, as every gate "
                                                       "in the lecture's figure) or c, the new cell (Gers & Schmidhuber "
                                                       "2000, Graves 2013, TensorFlow's peephole LSTM). Needs P.",
                                        "enum": list(PEEPHOLES)}},
            "if": {"required": ["peephole"]}, "then": {"required": ["P"]}},
        "lstm_initial": {
            "description": "The memory before step 1 (default 0): the cell c and the output h.",
            "type": ["object", "null"], "additionalProperties": False,
            "properties": {"c": {"$ref": "#/$defs/optional_vector"}, "h": {"$ref": "#/$defs/optional_vector"}}}},
    # coupled: f = 1 − i, and the record has no forget_gate block
    "optional_blocks": ["forget_gate"]}

Array = np.ndarray


@record
class LSTM:
    """A long short-term memory layer: a cell input and three gates, each a :class:`Block`."""

    name: str
    size: int
    input_size: int
    blocks: Mapping[str, Block]       # BLOCKS
    activation: str = "tanh"          # g, on the cell input
    cell_activation: str = "tanh"     # h, on the cell value
    gate_activation: str = "sigmoid"
    initial_c: Optional[Array] = None
    initial_h: Optional[Array] = None
    peephole: str = "c_prev"          # the cell the output gate's peephole reads
    packed: Optional[object] = None   # rnntrace.packing.Packing, when the spec gave packed weights
    clip: Optional[float] = None      # every block's z cut to [−clip, clip] (ONNX)
    coupled: bool = False             # f = 1 − i, no forget_gate block (ONNX input_forget)
    direction: str = "forward"       # or "reverse": reads x_T … x_1 (docs/spec.md)
    #: W_hr (P × size), PyTorch's proj_size: the output is h = W_hr·m with m = h(c)·o, and
    #: the memory h_prev (what U reads) has the P projected values
    projection: Optional[Array] = None
    type = "lstm"

    @property
    def output_size(self) -> int:
        return self.size if self.projection is None else int(self.projection.shape[0])

    def parameters(self) -> Dict[str, Array]:
        params = {f"{block}.{k}": v for block in BLOCKS if block in self.blocks
                  for k, v in self.blocks[block].parameters().items()}
        if self.projection is not None:
            params["projection"] = self.projection
        return params


@record
class LSTMRecord:
    """One step of an LSTM layer: the memory before, each gate's z and a, the cell and output after."""

    c_prev: Array
    h_prev: Array
    gates: Mapping[str, Gate]   # BLOCKS (no forget_gate when coupled)
    c: Array
    h: Array

    @property
    def output(self) -> Array:
        return self.h


@record
class ProjectedLSTMRecord(LSTMRecord):
    """A step of an LSTM with a projection: m = h(c)·o before h = W_hr·m."""

    m: Array = None


Layer, Record = LSTM, LSTMRecord
Layer.home = sys.modules[__name__]   # every layer knows its home: layer.home.step(…)


def build(f, name: str) -> LSTM:
    r, size = f.r, f.size
    for block in BLOCKS:   # the peephole's keys are checked before the blocks are read
        data = f.data.get(block)
        if not isinstance(data, dict):
            continue
        if block == "cell_input" and "P" in data:
            raise r.error("a peephole P belongs to the gates (input_gate, forget_gate, output_gate), "
                          "not to cell_input", f.path + (block, "P"), at_key=True)
        if "peephole" in data and block != "output_gate":
            raise r.error("'peephole' (which cell P reads) is allowed on the output gate only; the other "
                          "gates read c_prev", f.path + (block, "peephole"), at_key=True)
    coupled = f.data.get("coupled", False)
    if not isinstance(coupled, bool):
        from ..errors import describe_value
        raise r.error(f"expected true (the forget gate is 1 − i, ONNX input_forget) or false, found "
                      f"{describe_value(coupled)}", f.path + ("coupled",))
    if coupled and "forget_gate" in f.data:
        raise r.error("with coupled: true the forget gate is 1 − i and has no weights; remove 'forget_gate'",
                      f.path + ("forget_gate",), at_key=True)
    if coupled and f.given("packed"):
        raise r.error("with coupled: true give the three blocks cell_input, input_gate, output_gate, not "
                      "'packed'", f.path + ("packed",), at_key=True)
    names = tuple(b for b in BLOCKS if not (coupled and b == "forget_gate"))
    peephole = "c_prev"
    out = f.data.get("output_gate")
    if isinstance(out, dict) and "peephole" in out:
        ppath = f.path + ("output_gate", "peephole")
        peephole = r.choice(out["peephole"], ppath, PEEPHOLES, "peephole cell")
        if out.get("P") is None:
            raise r.error("'peephole' says which cell the peephole weights P read; give P too", ppath,
                          at_key=True)
    packing = None
    projection = None
    if f.given("projection"):   # rows: the P projected outputs; columns: the size units
        ppath = f.path + ("projection",)
        raw = f.data["projection"]
        if not (isinstance(raw, list) and raw and all(isinstance(row, list) for row in raw)):
            raise r.error("expected the projection W_hr as a matrix, one row per output (P × size)", ppath)
        projection = r.matrix(raw, ppath, len(raw), size, " (one row per output, one column per unit)")
        if f.given("packed"):
            raise r.error("give a projected LSTM's weights as blocks, not packed", ppath, at_key=True)
    memory = size if projection is None else int(projection.shape[0])
    if f.given("packed"):   # the framework's stacked matrices, split by the stated layout and order
        from ..packing import packed_blocks
        blocks, packing = packed_blocks(f, "lstm", BLOCKS, PACKED_GATES, PACKED_ORDERS, ())
    else:
        blocks = read_blocks(f, "lstm", names, KEYS, lambda block: (
            set() if block == "cell_input" else {"P"} | ({"peephole"} if block == "output_gate" else set())),
            memory=memory)
    c0 = h0 = None
    if f.given("initial"):
        ipath = f.path + ("initial",)
        init = type(f)(r, r.mapping(f.data["initial"], ipath, "a mapping {c: …, h: …}", {"c", "h"}),
                       ipath, size, 0, "")
        c0, h0 = init.vector("c", "cell"), init.vector("h", "output", memory)
    return LSTM(name, size, f.size_in, blocks, activation=f.activation("activation", "tanh"),
                cell_activation=f.activation("cell_activation", "tanh"),
                gate_activation=f.activation("gate_activation", "sigmoid"), initial_c=c0, initial_h=h0,
                peephole=peephole, packed=packing, clip=read_clip(f), coupled=coupled, projection=projection)


# --------------------------------------------------------------------------- the engine

def initial_state(layer):
    c = zeros(layer, layer.size) if layer.initial_c is None else layer.initial_c
    h = zeros(layer, layer.output_size) if layer.initial_h is None else layer.initial_h
    return c, h


def _function(layer, block: str) -> str:
    return layer.activation if block == "cell_input" else layer.gate_activation


def _blocks(layer) -> Tuple[str, ...]:
    """The blocks the layer has, in BLOCKS' order (no forget gate when coupled)."""
    return tuple(b for b in BLOCKS if b in layer.blocks)


def step(layer, x: Array, state):
    """One step: (record, (c, h)), compiled once per layer from :func:`describe`'s formulas
    (compiled.py: one product W·x for all blocks, one U·h_prev, one call per activation)."""
    return compiled.step(layer, x, state)


def record_type(layer):
    """The record of a step: with a projection it also holds m."""
    return LSTMRecord if layer.projection is None else ProjectedLSTMRecord


def backward(layer, records, d_out, xs, upstream=None):
    """BPTT derived from :func:`describe`'s formulas (rnntrace/layers/autodiff.py).
    ``upstream``: {"c": a gradient per step (None for none)} arriving at the cell c_t
    from outside the layer, added to what flows back (train.upstream)."""
    from .autodiff import backward as derived
    return derived(layer, records, d_out, xs, upstream)


def head(layer) -> None:
    return None


# --------------------------------------------------------------------------- the description

def _recurrent(layer) -> bool:
    return any(b.U is not None for b in layer.blocks.values())


def quantities(layer) -> List[Quantity]:
    """The lecture's order: cell input, input gate, forget gate, the cell, output gate, output."""
    rows: List[Quantity] = []
    if _recurrent(layer):
        rows.append(Quantity("h_prev", "h_prev", r"$h_{t-1}$", "memory", words=("memory read",)))
    for gate in _blocks(layer)[:-1]:
        rows += gate_quantities(layer, gate, GATES[gate], state=gate == "cell_input")
    rows += [Quantity("c_prev", "c_prev", r"$c_{t-1}$", "memory"),
             Quantity("c", "c", "$c$", "state", words=("cell", "cell state"))]
    rows += gate_quantities(layer, "output_gate", GATES["output_gate"])
    if layer.projection is not None:
        rows.append(Quantity("m", "m", "$m$", "state"))
    rows.append(Quantity("h", "h", "$h$", "output", words=("output", "hidden state")))
    return rows


def _variants(layer) -> str:
    return ("; coupled: f = 1 − i" if layer.coupled else "") + clip_text(layer)


def heading(layer) -> str:
    return (f"{layer.name}: LSTM, {plural(layer.size, 'unit')}; g {layer.activation}, h {layer.cell_activation}, "
            f"gates {function_name(layer.gate_activation)}{_variants(layer)}")


def sheet_text(layer) -> str:
    return (f"lstm, {plural(layer.size, 'unit')}; g {layer.activation}, h {layer.cell_activation}, "
            f"gates {function_name(layer.gate_activation)}{_variants(layer)}")


def activations(layer) -> Tuple[str, ...]:
    return (layer.activation, layer.gate_activation, layer.cell_activation)


def initial_values(layer) -> List[Tuple[str, Array]]:
    pairs = [("initial.c", layer.initial_c), ("initial.h", layer.initial_h)]
    return [(name, value) for name, value in pairs if value is not None]


def units(layer) -> List[str]:
    return [str(u + 1) for u in range(layer.size)]


def _cell_read(layer, gate: str) -> str:
    return "c" if gate == "output_gate" and layer.peephole == "c" else "c_prev"


def _sum_text(layer, gate: str) -> str:
    block = layer.blocks[gate]
    parts = ["W·x"] + (["U·h_prev"] if block.U is not None else []) + \
        ([f"P∘{_cell_read(layer, gate)}"] if block.P is not None else []) + ["b"]
    return " + ".join(parts)


def describe(layer) -> Dict:
    formulas = {}
    for gate in _blocks(layer):
        info = GATES[gate]
        _, z, a = gate_names(layer, info)
        formulas[f"gates.{gate}.z"] = (_sum_text(layer, gate),
                                       affine(*block_terms(gate, layer.blocks[gate], "h_prev",
                                                           _cell_read(layer, gate))))
        if layer.clip is not None:   # what the function reads: z cut to [−clip, clip]
            a = a.replace(f"({z})", f"(clip({z}))")
        formulas[f"gates.{gate}.a"] = (a, apply(_function(layer, gate), clip_operand(layer, f"gates.{gate}.z")))
    if layer.coupled:
        formulas["c"] = ("g·i + c_prev·(1 − i)", total(product("gates.cell_input.a", "gates.input_gate.a"),
                                                       product("c_prev", one_minus("gates.input_gate.a"))))
    else:
        formulas["c"] = ("g·i + c_prev·f", total(product("gates.cell_input.a", "gates.input_gate.a"),
                                                 product("c_prev", "gates.forget_gate.a")))
    formulas["h"] = ("h(c)·o", total(product({"apply": layer.cell_activation, "of": "c"},
                                             "gates.output_gate.a")))
    if layer.projection is not None:
        formulas["m"] = formulas["h"]
        formulas["h"] = ("W_hr·m", affine(weight("projection", "m")))
    c0, h0 = initial_state(layer)
    about = description(layer, quantities(layer), formulas, [("c_prev", "c", c0), ("h_prev", "h", h0)],
                        heading(layer), units(layer), "h")
    about["reading"] = READING   # the page's words on how to read the unit's figure
    return about


# --------------------------------------------------------------------------- what the views write

def panel_rows(layer, record, cells) -> List[tuple]:
    """The rows read from :func:`describe` (render/panels.derived_rows), in the lecture's
    order of the unit; with a projection, m is the output before it (P < size values of
    h fill the first P columns)."""
    from ..render.panels import derived_rows
    return derived_rows(layer, record, cells, {"m": "output", "h": "projection"} if layer.projection is not None
                        else None)


def legend(layer) -> str:
    """The blocks' sums as the formulas have them; a coupled forget gate has no sum and
    is said in words."""
    from ..render.arithmetic import legend as derived
    return derived(layer, after="coupled: f = 1 − i" if layer.coupled else "")


def explain(layer, record, x, w) -> List[tuple]:
    """The arithmetic of the step, written from the formulas of :func:`describe`."""
    from ..render.arithmetic import formula_lines
    lines, terms = formula_lines(layer, record, x, w)
    return w.with_note(lines, terms)


def grad_explain(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """The chain rule of a step, read from the formulas of :func:`describe`."""
    from ..render.arithmetic import chain_lines
    return chain_lines(layer, name, fwd, bwd, v, later)
