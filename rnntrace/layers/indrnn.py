"""IndRNN layer (Li et al. 2018, "Independently Recurrent Neural Network"): each unit
reads only its own last value, through one recurrent weight u_k.

forward    z_t = W·x_t + u∘h_{t−1} + b,    h_t = f(z_t)   (f(clip(z_t)) with ``clip: c``)
backward   derived from the formulas (autodiff.py): dh_t = dh_out_t + u∘dz_{t+1},
           dz_t = dh_t∘f′(z_t) (∘[|z_t| ≤ c] with clip), dx_t = Wᵀ·dz_t,
           dW = Σ_t dz_t·x_tᵀ,  du = Σ_t dz_t∘h_{t−1},  db = Σ_t dz_t

This home is the worked example of docs/layers.md, "Adding a layer type".
"""
from __future__ import annotations

import sys
from ..records import record
from typing import Dict, List, Optional, Tuple

import numpy as np

from .base import (FUNCTION_SYMBOLS, Quantity, affine, apply, bias, clip_operand, clip_text,
                   description, plural, read_clip, weight, zeros)

TYPE = "indrnn"
TITLE = "IndRNN"
RECURRENT = True
KEYS = {"name", "type", "size", "direction", "W", "u", "b", "activation", "initial", "clip"}
ASK = ("h",)
#: The outputs-over-time table lists these before the output.
SUMMARY = ()
#: The record field that is the layer's output.
OUTPUT = "h"
#: What the spec's JSON Schema says of this type beyond its KEYS (rnntrace/schemas/generate.py
#: writes its block, and its record in trace.json, from this, the KEYS and the Record).
SCHEMA = {"description": "IndRNN layer (Li et al. 2018): h = f(W·x + u∘h_prev + b), one recurrent weight per unit; "
                         "the memory holds h.",
          "required": ["type", "size", "W", "u"],
          "keys": {"u": {"$ref": "#/$defs/b", "description": "The recurrent weights, one per unit."},
                   "activation": {"$ref": "#/$defs/activation", "description": "f (default relu)."}}}

Array = np.ndarray


@record
class IndRNN:
    """A recurrent layer whose units each read only their own last output: h = f(W·x + u∘h_prev + b)."""

    name: str
    size: int
    input_size: int
    W: Array
    u: Array
    b: Array
    activation: str = "relu"
    initial: Optional[Array] = None   # h_0
    clip: Optional[float] = None      # z cut to [−clip, clip] before f
    direction: str = "forward"       # or "reverse": reads x_T … x_1 (spec.py reads it, docs/spec.md)
    type = "indrnn"

    @property
    def output_size(self) -> int:
        return self.size

    def parameters(self) -> Dict[str, Array]:
        return {"W": self.W, "u": self.u, "b": self.b}


@record
class IndRNNRecord:
    """One step of an IndRNN layer: the memory read, z and the new h."""

    h_prev: Array
    z: Array
    h: Array

    @property
    def output(self) -> Array:
        return self.h


Layer, Record = IndRNN, IndRNNRecord
Layer.home = sys.modules[__name__]   # every layer knows its home: layer.home.step(…)


def build(f, name: str) -> IndRNN:
    if not f.given("u"):
        raise f.r.error("missing the recurrent weights 'u' (one per unit, or one number for all)", f.path)
    return IndRNN(name, f.size, f.size_in, W=f.W(), u=f.vector("u", "recurrent weight vector"), b=f.b(),
                  activation=f.activation("activation", "relu"), initial=f.vector("initial", "starting memory"),
                  clip=read_clip(f))


# --------------------------------------------------------------------------- the engine

def initial_state(layer) -> Array:
    return zeros(layer, layer.size) if layer.initial is None else layer.initial


def step(layer, x: Array, h_prev: Array):
    """One step, compiled once per layer from :func:`describe`'s formulas (compiled.py)."""
    from .compiled import step as compiled
    return compiled(layer, x, h_prev)


def backward(layer, records, d_out, xs):
    """BPTT derived from :func:`describe`'s formulas (rnntrace/layers/autodiff.py): this
    home writes its formulas once."""
    from .autodiff import backward as derived
    return derived(layer, records, d_out, xs)


def head(layer) -> None:
    return None


# --------------------------------------------------------------------------- the description

def quantities(layer) -> List[Quantity]:
    f = FUNCTION_SYMBOLS[layer.activation]
    return [Quantity("h_prev", "h_prev", r"$h_{t-1}$", "memory"),
            Quantity("z", "z", "$z$", "pre"),
            Quantity("h", "h" if layer.activation == "linear" else f"h = {f}(z)", "$h$", "output")]


def heading(layer) -> str:
    return f"{layer.name}: IndRNN, {plural(layer.size, 'unit')}, {layer.activation}{clip_text(layer)}; memory holds h"


def sheet_text(layer) -> str:
    return f"indrnn, {plural(layer.size, 'unit')}, {layer.activation}{clip_text(layer)}"


def activations(layer) -> Tuple[str, ...]:
    return (layer.activation,)


def initial_values(layer) -> List[Tuple[str, Array]]:
    return [] if layer.initial is None else [("initial", layer.initial)]


def units(layer) -> List[str]:
    return [str(u + 1) for u in range(layer.size)]


def describe(layer) -> Dict:
    formulas = {"z": ("W·x + u∘h_prev + b",
                      affine(weight("W", "x"), weight("u", "h_prev", elementwise=True), bias("b"))),
                "h": (f"{layer.activation}({'clip(z)' if layer.clip is not None else 'z'})",
                      apply(layer.activation, clip_operand(layer, "z")))}
    return description(layer, quantities(layer), formulas, [("h_prev", "h", initial_state(layer))],
                       heading(layer), units(layer), "h")


# --------------------------------------------------------------------------- what the views write

def panel_rows(layer, record, cells) -> List[tuple]:
    """The rows read from :func:`describe` (render/panels.derived_rows); h's row is the
    hidden layer's."""
    from ..render.panels import derived_rows
    return derived_rows(layer, record, cells, {"h": "hidden"})


def legend(layer) -> str:
    from ..render.arithmetic import legend as derived
    return derived(layer, "each unit reads only its own last value")


def explain(layer, record, x, w) -> List[tuple]:
    """The arithmetic of the step, written from the formulas of :func:`describe`, and
    what the memory keeps."""
    from ..render.arithmetic import formula_lines
    lines, terms = formula_lines(layer, record, x, w)
    lines.append(("memory", f"← h = {w.vector(record.h)}"))
    return w.with_note(lines, terms)


def grad_explain(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """The chain rule of a step, read from the formulas of :func:`describe`."""
    from ..render.arithmetic import chain_lines
    return chain_lines(layer, name, fwd, bwd, v, later)
