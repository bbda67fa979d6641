"""Jordan layer: the memory holds the network's output of the last step.

forward    z_t = W·x_t + U·y_{t−1} + b,    h_t = f(z_t)
           z_out_t = W_o·h_t + b_o,        y_t = f_o(z_out_t)
backward   (derived from the formulas by autodiff.py; the chain rule it works out is)
           dy_t = dy_out_t + dy_next        (dy_next = Uᵀ·dz_{t+1}: the output is the memory)
           dz_out_t = dy_t∘f_o′(z_out_t),  dh_t = W_oᵀ·dz_out_t
           dz_t = dh_t∘f′(z_t),  dx_t = Wᵀ·dz_t
           dW, dU (with y_{t−1}), db from dz_t;  dW_o (with h_t), db_o from dz_out_t
"""
from __future__ import annotations

import sys
from ..records import record
from typing import Dict, List, Optional, Tuple

import numpy as np

from . import dense
from .base import (Quantity, affine, apply, bias, description, plural,
                   weight, zeros)

TYPE = "jordan"
TITLE = "Jordan"
RECURRENT = True
KEYS = {"name", "type", "size", "direction", "W", "U", "b", "activation", "initial", "output"}
ASK = ("h", "y")
#: The outputs-over-time table lists these before the output.
SUMMARY = ()
#: The lecture's name for the units of the memory (a₁, a₂ in its figures): the
#: description's memory carries it as ``symbol``, and the page's figures use it.
MEMORY_SYMBOL = "a"
#: The record field that is the layer's output.
OUTPUT = "y"
#: What the spec's JSON Schema says of this type beyond its KEYS (rnntrace/schemas/generate.py
#: writes its block, and its record in trace.json, from this, the KEYS and the Record).
SCHEMA = {
    "description": "Jordan layer: h = f(W·x + U·y_prev + b), y = f_out(W_out·h + b_out); the memory holds the "
                   "output y of the last step.",
    "required": ["type", "size", "W", "U", "output"],
    "keys": {"output": {"$ref": "#/$defs/jordan_output"}},
    "defs": {"jordan_output": {
        "type": "object",
        "description": "The Jordan layer's output, a dense layer on h: y = f_out(W·h + b); its size is the memory's.",
        "required": ["size", "W"], "additionalProperties": False,
        "properties": {"size": {"$ref": "#/$defs/size"}, "W": {"$ref": "#/$defs/matrix"}, "b": {"$ref": "#/$defs/b"},
                       "activation": {"$ref": "#/$defs/output_activation"}, "labels": {"$ref": "#/$defs/labels"}}}}}

Array = np.ndarray


@record
class Jordan:
    """A hidden layer fed back by the network's output of the last step."""

    name: str
    size: int
    input_size: int
    W: Array
    U: Array            # previous output → hidden: size × output.size
    b: Array
    output: dense.Dense
    activation: str = "tanh"
    initial: Optional[Array] = None   # y_0
    direction: str = "forward"       # or "reverse": reads x_T … x_1 (docs/spec.md)
    type = "jordan"

    @property
    def output_size(self) -> int:
        return self.output.size

    def parameters(self) -> Dict[str, Array]:
        params = {"W": self.W, "U": self.U, "b": self.b}
        params.update({f"output.{k}": v for k, v in self.output.parameters().items()})
        return params


@record
class JordanRecord:
    """One step of a Jordan layer: the previous output read, the hidden z and h, the output z and y."""

    y_prev: Array
    z: Array
    h: Array
    z_out: Array
    y: Array

    @property
    def output(self) -> Array:
        return self.y


Layer, Record = Jordan, JordanRecord
Layer.home = sys.modules[__name__]   # every layer knows its home: layer.home.step(…)


def build(f, name: str) -> Jordan:
    r, out_path = f.r, f.path + ("output",)
    out = r.mapping(f.need("output"), out_path, "the output layer: a mapping with size, W, b, activation",
                    {"size", "W", "b", "activation", "labels"}, ("size",))
    size = r.count(out["size"], out_path + ("size",))
    output = dense.build(type(f)(r, out, out_path, size, f.size, f"; {f.size} = the hidden size"), "output")
    return Jordan(name, f.size, f.size_in, W=f.W(),
                  U=f.U(output.size, f"; memory holds the {output.size} outputs of the last step"),
                  b=f.b(), output=output, activation=f.activation("activation", "tanh"),
                  initial=f.vector("initial", "starting memory", output.size))


# --------------------------------------------------------------------------- the engine

def initial_state(layer) -> Array:
    return zeros(layer, layer.output.size) if layer.initial is None else layer.initial


def step(layer, x: Array, y_prev: Array):
    """One step, compiled once per layer from :func:`describe`'s formulas (compiled.py)."""
    from .compiled import step as compiled
    return compiled(layer, x, y_prev)


def backward(layer, records, d_out, xs, dz_loss=None):
    """BPTT derived from :func:`describe`'s formulas (rnntrace/layers/autodiff.py).
    ``dz_loss[t]``, when given, is dL/dz at the softmax itself, which the loss worked out
    from z (see engine.losses)."""
    from .autodiff import backward as derived
    return derived(layer, records, d_out, xs, dz_loss=dz_loss)


def head(layer) -> dense.Dense:
    """A Jordan layer ends in its output layer, where a softmax is applied."""
    return layer.output


def logits(record) -> Array:
    return record.z_out


# --------------------------------------------------------------------------- the description

def quantities(layer) -> List[Quantity]:
    return [Quantity("y_prev", "y_prev", r"$y_{t-1}$", "memory", words=("memory read",)),
            Quantity("z", "z", "$z$", "pre"),
            Quantity("h", "h", "$h$", "state", words=("hidden state",)),
            Quantity("z_out", "z_out", r"$z_{\mathrm{out}}$", "pre"),
            Quantity("y", "y", "$y$", "output", words=("output",))]


def heading(layer) -> str:
    return (f"{layer.name}: Jordan, {plural(layer.size, 'unit')}, {layer.activation}; "
            f"output {layer.output.size}, {layer.output.activation}; memory holds y")


def sheet_text(layer) -> str:
    return (f"jordan, {plural(layer.size, 'hidden unit')} ({layer.activation}), "
            f"{plural(layer.output.size, 'output')} ({layer.output.activation}) fed back")


def activations(layer) -> Tuple[str, ...]:
    return (layer.activation, layer.output.activation)


def initial_values(layer) -> List[Tuple[str, Array]]:
    return [] if layer.initial is None else [("initial", layer.initial)]


def units(layer) -> List[str]:
    return [str(u + 1) for u in range(layer.output.size)]


def describe(layer) -> Dict:
    out = layer.output.activation
    formulas = {"z": ("W·x + U·y_prev + b", affine(weight("W", "x"), weight("U", "y_prev"), bias("b"))),
                "h": (f"{layer.activation}(z)", apply(layer.activation, "z")),
                "z_out": ("W_o·h + b_o", affine(weight("output.W", "h"), bias("output.b"))),
                "y": (f"{out}(z_out)", apply(out, "z_out"))}
    return description(layer, quantities(layer), formulas, [("y_prev", "y", initial_state(layer), MEMORY_SYMBOL)],
                       heading(layer), units(layer), "y")


# --------------------------------------------------------------------------- what the views write

def panel_rows(layer, record, cells) -> List[tuple]:
    """The rows read from :func:`describe` (render/panels.derived_rows)."""
    from ..render.panels import derived_rows
    return derived_rows(layer, record, cells, {"h": "hidden"})


def legend(layer) -> str:
    from ..render.arithmetic import legend as derived
    return derived(layer, "the last output y_prev is one more input")


def explain(layer, record, x, w) -> List[tuple]:
    """The arithmetic of the step, written from the formulas of :func:`describe` (the
    hidden layer, then the output layer), and what the memory keeps."""
    from ..render.arithmetic import formula_lines
    lines, terms = formula_lines(layer, record, x, w)
    lines.append(("memory", f"← y = {w.vector(record.y)}"))
    return w.with_note(lines, terms)


def grad_explain(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """The chain rule of a step, read from the formulas of :func:`describe`."""
    from ..render.arithmetic import chain_lines
    return chain_lines(layer, name, fwd, bwd, v, later)
