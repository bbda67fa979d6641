"""Dense (fully connected) layer, no memory.

forward    z = W·x + b,  y = f(z)      (f linear, sigmoid, tanh, relu, hard_sigmoid or softmax)
backward   (derived from the formulas by autodiff.py; the chain rule it works out is)
           dz = dy∘f′(z)  (softmax: dz = y∘(dy − dy·y)),  dx = Wᵀ·dz
           dW = Σ_t dz_t·x_tᵀ,  db = Σ_t dz_t
"""
from __future__ import annotations

import sys
from ..records import record
from typing import Dict, List, Optional, Tuple

import numpy as np

from .activations import activate
from ..errors import describe_value
from ..fields import OUTPUT_ACTIVATIONS
from .base import FUNCTION_SYMBOLS, Quantity, affine, apply, bias, description, plural, weight

TYPE = "dense"
TITLE = "dense"
RECURRENT = False
KEYS = {"name", "type", "size", "W", "b", "activation", "labels"}
#: What a worksheet asks for when --ask is not given.
ASK = ("y",)
#: The outputs-over-time table lists these before the output.
SUMMARY = ()
#: The record field that is the layer's output.
OUTPUT = "y"
#: What the spec's JSON Schema says of this type beyond its KEYS (rnntrace/schemas/generate.py
#: writes its block, and its record in trace.json, from this, the KEYS and the Record).
SCHEMA = {"description": "Dense layer: y = f(W·x + b), no memory.", "required": ["type", "size", "W"],
          "keys": {"activation": {"$ref": "#/$defs/output_activation"}},
          "fields": {"label": "the most likely unit's label, when the layer has labels"}}

Array = np.ndarray


@record
class Dense:
    """A feed-forward layer: y = f(W·x + b), f linear, sigmoid, tanh, relu or softmax."""

    name: str
    size: int
    input_size: int
    W: Array
    b: Array
    activation: str = "linear"
    labels: Optional[Tuple[str, ...]] = None
    type = "dense"

    @property
    def output_size(self) -> int:
        return self.size

    def parameters(self) -> Dict[str, Array]:
        return {"W": self.W, "b": self.b}


@record
class DenseRecord:
    """One step of a dense layer: z, its activation y and the winning label."""

    z: Array
    y: Array
    label: Optional[str] = None

    @property
    def output(self) -> Array:
        return self.y


Layer, Record = Dense, DenseRecord
Layer.home = sys.modules[__name__]   # every layer knows its home: layer.home.step(…)


def build(f, name: str) -> Dense:
    labels = None
    if f.given("labels"):
        labels = f.data["labels"]
        if not isinstance(labels, list) or len(labels) != f.size or \
                not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in labels):
            raise f.r.error(f"expected {f.size} labels, one per unit, found {describe_value(labels)}",
                            f.path + ("labels",))
        labels = tuple(f.r.name(str(x), f.path + ("labels", i), "label") for i, x in enumerate(labels))
    return Dense(name, f.size, f.size_in, W=f.W(), b=f.b(),
                 activation=f.activation("activation", "linear", OUTPUT_ACTIVATIONS), labels=labels)


# --------------------------------------------------------------------------- the engine

def initial_state(layer) -> None:
    return None


def forward(layer, x: Array) -> DenseRecord:
    z = layer.W @ x + layer.b
    y = activate(layer.activation, z)
    label = layer.labels[int(np.argmax(y))] if layer.labels else None
    return DenseRecord(z=z, y=y, label=label)


def step(layer, x: Array, state: None):
    return forward(layer, x), None


def backward(layer, records, d_out, xs, dz_loss=None):
    """BPTT derived from :func:`describe`'s formulas (rnntrace/layers/autodiff.py).
    ``dz_loss[t]``, when given, is dL/dz at the softmax itself, which the loss worked out
    from z (see engine.losses)."""
    from .autodiff import backward as derived
    return derived(layer, records, d_out, xs, dz_loss=dz_loss)


def head(layer) -> Dense:
    """The layer that makes the network's output: a softmax is applied here."""
    return layer


def logits(record) -> Array:
    """The softmax's input z."""
    return record.z


# --------------------------------------------------------------------------- the description

def quantities(layer) -> List[Quantity]:
    return [Quantity("z", "z", "$z$", "pre"),
            Quantity("y", "y" if layer.activation == "linear" else
                     f"y = {FUNCTION_SYMBOLS[layer.activation]}(z)", "$y$", "output", words=("output",))]


def heading(layer) -> str:
    return f"{layer.name}: dense, {plural(layer.size, 'unit')}, {layer.activation}"


def sheet_text(layer) -> str:
    """The layer in a few words, for worksheets."""
    text = f"dense, {plural(layer.size, 'unit')}, {layer.activation}"
    if layer.labels:
        text += f"; labels {', '.join(layer.labels)}"
    return text


def activations(layer) -> Tuple[str, ...]:
    return (layer.activation,)


def initial_values(layer) -> List[Tuple[str, Array]]:
    return []




def units(layer) -> List[str]:
    return list(layer.labels) if layer.labels else [str(u + 1) for u in range(layer.size)]


def describe(layer) -> Dict:
    formulas = {"z": ("W·x + b", affine(weight("W", "x"), bias("b"))),
                "y": (f"{layer.activation}(z)", apply(layer.activation, "z"))}
    return description(layer, quantities(layer), formulas, [], heading(layer), units(layer), "y")


# --------------------------------------------------------------------------- what the views write

def panel_rows(layer, record, cells) -> List[tuple]:
    """The rows read from :func:`describe` (render/panels.derived_rows)."""
    from ..render.panels import derived_rows
    return derived_rows(layer, record, cells)


def legend(layer) -> str:
    from ..render.arithmetic import legend as derived
    return derived(layer)


def explain(layer, record, x, w) -> List[tuple]:
    """The arithmetic of the step, written from the formulas of :func:`describe`: one
    line per unit, and a softmax's on a line of its own."""
    from ..render.arithmetic import formula_lines
    lines, terms = formula_lines(layer, record, x, w)
    return w.with_note(lines, terms)


def grad_explain(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """The chain rule of a step, read from the formulas of :func:`describe`."""
    from ..render.arithmetic import chain_lines
    return chain_lines(layer, name, fwd, bwd, v, later)
