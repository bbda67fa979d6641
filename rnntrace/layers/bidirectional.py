"""Bidirectional layer: one recurrent layer reads x_1 … x_T, another x_T … x_1.

At step t the forward record has read x_1 … x_t and the backward record x_T … x_t;
the output merges their outputs h→ and h← at the same step:

    concat   h = [h→; h←]          sum   h = h→ + h←
    mean     h = (h→ + h←)/2       (ave is Keras' name for it)
    mul      h = h→ ∘ h←

(Keras' Bidirectional with return_sequences=False instead pairs h→ at step T with
h← at step 1.) Backward, dL/dh goes to both directions: split (concat), copied (sum),
halved (mean) or times the other direction's output (mul); the backward direction ran
on x_T … x_1, so its BPTT runs t = 1 … T.

Each direction is a layer of its own type, with its own home; this module reaches
them through ``layer.forward.home`` (set by the registry in rnntrace.layers).
"""
from __future__ import annotations

import sys
from ..records import record
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .base import Quantity

TYPE = "bidirectional"
TITLE = "bidirectional"
RECURRENT = False
#: Made of two layers, and reads the whole sequence before its first step (CompositeHome).
COMPOSITE = True
MERGES = ("concat", "sum", "mean", "ave", "mul")
KEYS = {"name", "type", "forward", "backward", "merge"}
ASK = ("h",)
#: The outputs-over-time table lists these before the output.
SUMMARY = ()
#: The record field that is the layer's output.
OUTPUT = "h"
#: The two directions: the attribute, its arrow, its LaTeX arrow.
DIRECTIONS = (("forward", "→", r"\rightarrow"), ("backward", "←", r"\leftarrow"))
#: What the spec's JSON Schema says of this type beyond its KEYS (rnntrace/schemas/generate.py
#: writes its block, and its record in trace.json, from this, the KEYS and the Record).
SCHEMA = {
    "description": "Bidirectional layer: forward reads x_1 … x_T, backward x_T … x_1 (its record at step t has read "
                   "x_T … x_t); their outputs are merged at each step.",
    "required": ["type", "forward", "backward"],
    "keys": {"forward": {"$ref": "#/$defs/recurrent"}, "backward": {"$ref": "#/$defs/recurrent"},
             "merge": {"description": "How the two outputs become one: concat (default, [h→; h←]), sum (h→ + h←), "
                                      "mean or ave (Keras' name; (h→ + h←)/2), mul (h→∘h←). All but concat need both "
                                      "directions of one size.",
                       "enum": list(MERGES)}},
    "fields": {"h": "the two directions merged (concat, sum, mean or ave, mul)"}}

Array = np.ndarray


@record
class Bidirectional:
    """Two recurrent layers, one reading forwards and one backwards, merged at each step."""

    name: str
    forward: object
    backward: object
    merge: str = "concat"
    type = "bidirectional"

    @property
    def size(self) -> int:
        return self.output_size

    @property
    def input_size(self) -> int:
        return self.forward.input_size

    @property
    def output_size(self) -> int:
        if self.merge == "concat":
            return self.forward.output_size + self.backward.output_size
        return self.forward.output_size

    def parameters(self) -> Dict[str, Array]:
        params = {f"forward.{k}": v for k, v in self.forward.parameters().items()}
        params.update({f"backward.{k}": v for k, v in self.backward.parameters().items()})
        return params


@record
class BidirectionalRecord:
    """One step of a bidirectional layer: both directions' records and the merged output."""

    forward: object
    backward: object     # after reading x_T … x_t
    h: Array             # merged

    @property
    def output(self) -> Array:
        return self.h


Layer, Record = Bidirectional, BidirectionalRecord
Layer.home = sys.modules[__name__]   # every layer knows its home: layer.home.step(…)


def build(r, data: dict, path, name: str, size_in: int, why: str, read_layer, recurrent_types) -> Bidirectional:
    """``read_layer(item, path, name, size_in, allowed types, why)`` reads each direction."""
    merge = r.choice(data.get("merge", "concat"), path + ("merge",), MERGES, "merge")
    for key in ("forward", "backward"):
        if key not in data:
            raise r.error(f"missing '{key}': a recurrent layer ({', '.join(recurrent_types)})", path)
    fwd = read_layer(data["forward"], path + ("forward",), "forward", size_in, recurrent_types, why)
    bwd = read_layer(data["backward"], path + ("backward",), "backward", size_in, recurrent_types, why)
    if merge != "concat" and fwd.output_size != bwd.output_size:
        raise r.error(f"merge '{merge}' needs both directions of one size; "
                      f"found {fwd.output_size} and {bwd.output_size}", path + ("merge",))
    return Bidirectional(name, fwd, bwd, merge)


# --------------------------------------------------------------------------- the engine

def merge(how: str, forward: Array, backward: Array) -> Array:
    if how == "concat":
        return np.concatenate([forward, backward])
    if how == "sum":
        return forward + backward
    if how == "mul":
        return forward * backward
    return (forward + backward) / 2.0


def run(layer, xs: Sequence[Array], run_layer) -> List[BidirectionalRecord]:
    """Every step; ``run_layer(layer, xs)`` runs one direction over a sequence."""
    forward = run_layer(layer.forward, xs)
    backward = run_layer(layer.backward, xs[::-1])[::-1]
    return [BidirectionalRecord(forward=f, backward=b, h=merge(layer.merge, f.output, b.output))
            for f, b in zip(forward, backward)]


def backward(layer, records, d_out, xs, layer_backward):
    """``layer_backward(layer, records, d_out, xs)`` runs one direction's BPTT."""
    nf = layer.forward.output_size
    if layer.merge == "concat":
        d_fwd = [d[:nf] for d in d_out]
        d_bwd = [d[nf:] for d in d_out]
    elif layer.merge == "sum":
        d_fwd = d_bwd = list(d_out)
    elif layer.merge == "mul":   # h = h→∘h←: each direction's gradient is dL/dh times the other's output
        d_fwd = [d * r.backward.output for d, r in zip(d_out, records)]
        d_bwd = [d * r.forward.output for d, r in zip(d_out, records)]
    else:
        d_fwd = d_bwd = [d / 2.0 for d in d_out]
    g_f, dx_f, s_f, i_f = layer_backward(layer.forward, [r.forward for r in records], d_fwd, xs)
    # the backward direction read x_T … x_1: run its BPTT on the reversed sequence; its
    # initial memory is the one before its first step, which read x_T
    g_b, dx_b, s_b, i_b = layer_backward(layer.backward, [r.backward for r in records][::-1], d_bwd[::-1],
                                         xs[::-1])
    dx_b, s_b = dx_b[::-1], s_b[::-1]
    grads = {f"forward.{k}": v for k, v in g_f.items()}
    grads.update({f"backward.{k}": v for k, v in g_b.items()})
    return grads, [a + b for a, b in zip(dx_f, dx_b)], d_out, s_f, s_b, {"forward": i_f, "backward": i_b}


def head(layer) -> None:
    return None


# --------------------------------------------------------------------------- the description

def quantities(layer) -> List[Quantity]:
    rows = []
    for side, arrow, tex in DIRECTIONS:
        part = getattr(layer, side)
        for q in part.home.quantities(part):
            rows.append(Quantity(f"{side}.{q.path}", f"{arrow} {q.label}",
                                 f"${tex}$ {q.latex}", q.kind if q.kind != "output" else "state"))
    rows.append(Quantity("h", f"h ({layer.merge})", "$h$", "output", words=("output",)))
    return rows


def heading(layer) -> str:
    return f"{layer.name}: bidirectional, merge {layer.merge}"


def sheet_text(layer) -> str:
    return (f"bidirectional ({layer.merge}): forward {layer.forward.home.sheet_text(layer.forward)}; "
            f"backward {layer.backward.home.sheet_text(layer.backward)}")


def activations(layer) -> Tuple[str, ...]:
    return layer.forward.home.activations(layer.forward) + layer.backward.home.activations(layer.backward)


def initial_values(layer) -> List[Tuple[str, Array]]:
    return [(f"{side}.{name}", value) for side, _, _ in DIRECTIONS
            for name, value in getattr(layer, side).home.initial_values(getattr(layer, side))]


def units(layer) -> List[str]:
    return [str(u + 1) for u in range(layer.output_size)]


MERGE_FORMULAS = {"concat": "[h→; h←]", "sum": "h→ + h←", "mean": "(h→ + h←)/2", "ave": "(h→ + h←)/2",
                  "mul": "h→∘h←"}


def describe(layer) -> Dict:
    parts = {side: getattr(layer, side).home.describe(getattr(layer, side)) for side, _, _ in DIRECTIONS}
    outputs = [f"{side}.{parts[side]['output']}" for side, _, _ in DIRECTIONS]
    return {"type": layer.type, "name": layer.name, "size": layer.output_size, "input_size": layer.input_size,
            "heading": heading(layer), "units": units(layer), "output": "h", "merge": layer.merge,
            "forward": parts["forward"], "backward": parts["backward"], "memory": [], "parameters": {},
            "quantities": [{"path": "h", "label": f"h ({layer.merge})", "latex": "h", "kind": "output",
                            "words": ["output"], "formula": MERGE_FORMULAS[layer.merge],
                            "compute": {"op": "merge", "how": layer.merge, "of": outputs}}]}


# --------------------------------------------------------------------------- what the views write

def legend(layer) -> str:
    return "→ reads x_1 … x_t, ← reads x_T … x_t"


def explain(layer, record, x, w) -> List[tuple]:
    lines = []
    for side, arrow, _ in DIRECTIONS:
        part = getattr(layer, side)
        for lhs, rhs in part.home.explain(part, getattr(record, side), x, w):
            lines.append((f"{arrow} {lhs}" if lhs else arrow, rhs))
    f, b = record.forward.output, record.backward.output
    if layer.merge == "concat":
        lines.append(("h", f"concat(h→, h←) = {w.vector(record.h)}"))
        return lines
    for u in range(len(record.h)):
        s = w.suffix(len(record.h), u)
        if layer.merge == "mul":
            lines.append((f"h{s}", f"h→·h← = {w.operand(f[u])}·{w.operand(b[u])} = {w.result(record.h[u])}"))
            continue
        pair = f"{w.operand(f[u])} + {w.operand(b[u])}"
        if layer.merge == "sum":
            lines.append((f"h{s}", f"h→ + h← = {pair} = {w.result(record.h[u])}"))
        else:
            lines.append((f"h{s}", f"(h→ + h←)/2 = ({pair})/2 = {w.result(record.h[u])}"))
    return lines


SHARES = {"concat": "(split: forward units first)", "sum": "(each gets it)", "mean": "(each gets half)",
          "ave": "(each gets half)", "mul": "(each gets it times the other direction's h)"}


def grad_explain(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """Only the merge: each direction's chain rule is its own home's."""
    return [f"{name}: dL/dh (merged, {layer.merge}) = {v(bwd.values['dh'])} goes to both directions "
            + SHARES[layer.merge]]
