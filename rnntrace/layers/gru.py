"""GRU layer. By default with PyTorch's semantics (torch.nn.GRU, Keras' reset_after=True):

forward    r = σ(W_r·x + b_r + U_r·h_{t−1} + b_hr)
           u = σ(W_u·x + b_u + U_u·h_{t−1} + b_hu)
           q = U_n·h_{t−1} + b_hn,   n = tanh(W_n·x + b_n + r∘q)
           h_t = (1 − u)∘n + u∘h_{t−1}
backward   (derived from the formulas by autodiff.py; the chain rule it works out is)
           dh_t = dh_out_t + dh_next
           da_n = dh_t∘(1 − u),  da_u = dh_t∘(h_{t−1} − n),  dz_n = da_n∘tanh′(z_n)
           da_r = dz_n∘q,  dq = dz_n∘r,  dz_r = da_r∘σ′(z_r),  dz_u = da_u∘σ′(z_u)
           dx_t = W_rᵀ·dz_r + W_uᵀ·dz_u + W_nᵀ·dz_n
           dh_next (to t − 1) = dh_t∘u + U_rᵀ·dz_r + U_uᵀ·dz_u + U_nᵀ·dq
           the gates' W, U, b and b_h from their dz; the candidate's W and b from dz_n,
           its U and b_h from dq (they sit inside r∘q)

With ``reset_after: false`` the reset gate multiplies the memory before the recurrent
product (Cho et al. 2014, Keras' reset_after=False, d2l.ai, TF Lite):

forward    n = tanh(W_n·x + U_n·(r∘h_{t−1}) + b_n + b_hn)       (b_hn, if given, added plainly)
backward   dz_n as above;  d(r∘h) = U_nᵀ·dz_n,  da_r = d(r∘h)∘h_{t−1},
           dh_next gains d(r∘h)∘r in place of U_nᵀ·dq;  dU_n = Σ_t dz_n·(r∘h_{t−1})ᵀ, db_hn = Σ_t dz_n

``candidate.z`` in the record is the argument of tanh above.
"""
from __future__ import annotations

import sys
from ..records import record
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from . import compiled
from .base import (Block, Gate, GateInfo, Quantity, affine, apply, bias, block_terms,
                   clip_operand, clip_text, read_clip, description, function_name, gate_names,
                   gate_quantities, one_minus, plural, product, read_blocks, total, weight, zeros)

TYPE = "gru"
TITLE = "GRU"
RECURRENT = True
BLOCKS = ("reset_gate", "update_gate", "candidate")
GATES = {"reset_gate": GateInfo("r", "reset gate", "gate_activation"),
         "update_gate": GateInfo("u", "update gate", "gate_activation"),
         "candidate": GateInfo("n", "candidate", "activation")}
KEYS = {"name", "type", "size", "direction", "activation", "gate_activation", "initial", "reset_after",
        "packed", "clip"} | set(BLOCKS)
#: Packed weights (rnntrace.packing): the letters an order may use (or the block names),
#: and the order of the layouts named after a framework: PyTorch's weight_ih rows
#: [r; z; n], Keras' kernel columns [z r h] (z is the update gate, h/n the candidate).
#: A second bias b_h stays apart in each block, as both frameworks add it.
PACKED_GATES = dict({"r": "reset_gate", "z": "update_gate", "u": "update_gate", "n": "candidate",
                     "h": "candidate"}, **{block: block for block in BLOCKS})
PACKED_ORDERS = {"pytorch": ("r", "z", "n"), "keras": ("z", "r", "h")}
ASK = ("h",)
#: The outputs-over-time table lists these before the output.
SUMMARY = ()
#: The record field that is the layer's output.
OUTPUT = "h"
#: What the spec's JSON Schema says of this type beyond its KEYS (rnntrace/schemas/generate.py
#: writes its block, and its record in trace.json, from this, the KEYS and the Record).
SCHEMA = {
    "description": "GRU layer: r and u gates and the candidate n; h = (1 − u)·n + u·h_prev. By default PyTorch's "
                   "n = act(W_n·x + b_n + r∘(U_n·h_prev + b_h)).",
    "required": ["type", "size"],
    "anyOf": [{"required": list(BLOCKS)}, {"required": ["packed"]}],
    "keys": {
        "activation": {"$ref": "#/$defs/activation", "description": "On the candidate n (default tanh)."},
        "gate_activation": {"$ref": "#/$defs/activation",
                            "description": "σ, on the reset and update gates (default sigmoid)."},
        "reset_after": {"type": "boolean", "description": "true (default): the reset gate multiplies U_n·h_prev + b_h "
                        "(PyTorch, Keras' reset_after=True). false: it multiplies the memory before the product, "
                        "n = act(W_n·x + U_n·(r∘h_prev) + b_n + b_h) (Cho et al. 2014, Keras 2's default, d2l.ai, "
                        "TF Lite)."},
        **{block: {"$ref": "#/$defs/gru_block"} for block in BLOCKS},
        "packed": {"$ref": "#/$defs/packed"}},
    "defs": {"gru_block": {
        "type": "object", "description": "A block: z = W·x + U·h_prev + b (+ b_h). U may be left out.",
        "required": ["W"], "additionalProperties": False,
        "properties": {"W": {"$ref": "#/$defs/matrix"}, "U": {"$ref": "#/$defs/optional_matrix"},
                       "b": {"$ref": "#/$defs/b"},
                       "b_h": {"$ref": "#/$defs/optional_vector", "description": "PyTorch's second (recurrent) bias: "
                               "in the gates it adds to b; in the candidate the reset gate multiplies it "
                               "(reset_after: true)."}}}}}

Array = np.ndarray


@record
class GRU:
    """A gated recurrent unit layer: reset, update and candidate blocks."""

    name: str
    size: int
    input_size: int
    blocks: Mapping[str, Block]       # BLOCKS
    activation: str = "tanh"          # on the candidate
    gate_activation: str = "sigmoid"
    initial: Optional[Array] = None
    reset_after: bool = True          # PyTorch's r∘(U_n·h + b_hn); False: U_n·(r∘h)
    packed: Optional[object] = None   # rnntrace.packing.Packing, when the spec gave packed weights
    clip: Optional[float] = None      # every z cut to [−clip, clip] before its activation (ONNX)
    direction: str = "forward"       # or "reverse": reads x_T … x_1 (docs/spec.md)
    type = "gru"

    @property
    def output_size(self) -> int:
        return self.size

    def parameters(self) -> Dict[str, Array]:
        return {f"{block}.{k}": v for block in BLOCKS
                for k, v in self.blocks[block].parameters().items()}


@record
class GRURecord:
    """One step of a GRU layer: the memory before, each block's z and a, the memory after."""

    h_prev: Array
    gates: Mapping[str, Gate]   # BLOCKS
    h: Array

    @property
    def output(self) -> Array:
        return self.h


Layer, Record = GRU, GRURecord
Layer.home = sys.modules[__name__]   # every layer knows its home: layer.home.step(…)


def build(f, name: str) -> GRU:
    reset_after = f.data.get("reset_after", True)
    if not isinstance(reset_after, bool):
        from ..errors import describe_value
        raise f.r.error(f"expected true (PyTorch: r∘(U·h_prev + b_h)) or false (Cho et al.: U·(r∘h_prev)), "
                        f"found {describe_value(reset_after)}", f.path + ("reset_after",))
    packing = None
    if f.given("packed"):   # the framework's stacked matrices, split by the stated layout and order
        from ..packing import packed_blocks
        blocks, packing = packed_blocks(f, "gru", BLOCKS, PACKED_GATES, PACKED_ORDERS, BLOCKS)
    else:
        blocks = read_blocks(f, "gru", BLOCKS, KEYS, lambda block: {"b_h"})
    return GRU(name, f.size, f.size_in, blocks, activation=f.activation("activation", "tanh"),
               gate_activation=f.activation("gate_activation", "sigmoid"),
               initial=f.vector("initial", "starting memory"), reset_after=reset_after,
               packed=packing, clip=read_clip(f))


# --------------------------------------------------------------------------- the engine

def initial_state(layer) -> Array:
    return zeros(layer, layer.size) if layer.initial is None else layer.initial


def step(layer, x: Array, h_prev: Array):
    """One step: (record, h), compiled once per layer from :func:`describe`'s formulas
    (compiled.py: one product W·x for all blocks, one U·h_prev, one call per activation)."""
    return compiled.step(layer, x, h_prev)


def backward(layer, records, d_out, xs):
    """BPTT derived from :func:`describe`'s formulas (rnntrace/layers/autodiff.py)."""
    from .autodiff import backward as derived
    return derived(layer, records, d_out, xs)


def head(layer) -> None:
    return None


# --------------------------------------------------------------------------- the description

def quantities(layer) -> List[Quantity]:
    rows = [Quantity("h_prev", "h_prev", r"$h_{t-1}$", "memory", words=("memory read",))]
    for gate in BLOCKS:
        rows += gate_quantities(layer, gate, GATES[gate], state=gate == "candidate")
    rows.append(Quantity("h", "h", "$h$", "output", words=("output", "hidden state")))
    return rows


def heading(layer) -> str:
    text = (f"{layer.name}: GRU, {plural(layer.size, 'unit')}; candidate {layer.activation}, "
            f"gates {function_name(layer.gate_activation)}{clip_text(layer)}")
    return text if layer.reset_after else text + "; reset before U"


def sheet_text(layer) -> str:
    text = (f"gru, {plural(layer.size, 'unit')}; candidate {layer.activation}, "
            f"gates {function_name(layer.gate_activation)}{clip_text(layer)}")
    return text if layer.reset_after else text + "; the reset gate multiplies h_prev before U"


def activations(layer) -> Tuple[str, ...]:
    return (layer.gate_activation, layer.activation)


def initial_values(layer) -> List[Tuple[str, Array]]:
    return [] if layer.initial is None else [("initial", layer.initial)]


def units(layer) -> List[str]:
    return [str(u + 1) for u in range(layer.size)]


def _candidate(layer):
    """The candidate's weighted sum, in words and as a compute formula."""
    cand = layer.blocks["candidate"]
    if layer.reset_after:
        inner = [t for t in (weight("candidate.U", "h_prev") if cand.U is not None else None,
                             bias("candidate.b_h") if cand.b_h is not None else None) if t is not None]
        q = " + ".join((["U·h_prev"] if cand.U is not None else []) + (["b_h"] if cand.b_h is not None else []))
        text = "W·x + b" + (f" + r∘({q})" if q else "")
        return text, affine(weight("candidate.W", "x"), bias("candidate.b"),
                            {"gated": "gates.reset_gate.a", "terms": inner} if inner else None)
    text = "W·x" + (" + U·(r∘h_prev)" if cand.U is not None else "") + " + b" + \
        (" + b_h" if cand.b_h is not None else "")
    return text, affine(weight("candidate.W", "x"),
                        weight("candidate.U", product("gates.reset_gate.a", "h_prev")) if cand.U is not None
                        else None,
                        bias("candidate.b"), bias("candidate.b_h") if cand.b_h is not None else None)


def describe(layer) -> Dict:
    formulas = {}
    for gate in BLOCKS:
        _, z, a = gate_names(layer, GATES[gate])
        if gate == "candidate":
            formulas[f"gates.{gate}.z"] = _candidate(layer)
        else:
            block = layer.blocks[gate]
            text = "W·x" + (" + U·h_prev" if block.U is not None else "") + " + b" + \
                (" + b_h" if block.b_h is not None else "")
            formulas[f"gates.{gate}.z"] = (text, affine(*block_terms(gate, block, "h_prev")))
        function = layer.activation if gate == "candidate" else layer.gate_activation
        if layer.clip is not None:   # what the function reads: z cut to [−clip, clip]
            a = a.replace(f"({z})", f"(clip({z}))")
        formulas[f"gates.{gate}.a"] = (a, apply(function, clip_operand(layer, f"gates.{gate}.z")))
    formulas["h"] = ("(1 − u)·n + u·h_prev",
                     total(product(one_minus("gates.update_gate.a"), "gates.candidate.a"),
                           product("gates.update_gate.a", "h_prev")))
    return description(layer, quantities(layer), formulas, [("h_prev", "h", initial_state(layer))],
                       heading(layer), units(layer), "h")


# --------------------------------------------------------------------------- what the views write

def panel_rows(layer, record, cells) -> List[tuple]:
    """The rows read from :func:`describe` (render/panels.derived_rows)."""
    from ..render.panels import derived_rows
    return derived_rows(layer, record, cells)


def legend(layer) -> str:
    from ..render.arithmetic import legend as derived
    return derived(layer)


def explain(layer, record, x, w) -> List[tuple]:
    """The arithmetic of the step, written from the formulas of :func:`describe`."""
    from ..render.arithmetic import formula_lines
    lines, terms = formula_lines(layer, record, x, w)
    return w.with_note(lines, terms)


def grad_explain(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """The chain rule of a step, read from the formulas of :func:`describe`."""
    from ..render.arithmetic import chain_lines
    return chain_lines(layer, name, fwd, bwd, v, later)
