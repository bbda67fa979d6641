"""Which quantities of a layer's record are shown, in which order, under which names:
each layer type's home says so (rnntrace/layers/<type>.py); every renderer (panels,
chart, Markdown, LaTeX) takes its rows and columns from here, so that they name things
the same way. Nothing here computes a value: a quantity is a path into the record
(``c``, ``gates.<block>.a``) and a way to name it.
"""
from __future__ import annotations

from typing import List, Optional

from ..layers import heading as layer_heading, quantities
from ..layers.base import Quantity, value

__all__ = ["Quantity", "value", "layer_quantities", "unit_names", "heading", "symbol", "unclip", "lookup_words"]


def layer_quantities(layer) -> List[Quantity]:
    """The quantities of one layer's record in the order they are shown."""
    return quantities(layer)


def unit_names(layer, size: Optional[int] = None) -> List[str]:
    """Column names for the units of a layer's output: its labels, or 1, 2, …"""
    labels = getattr(layer, "labels", None)
    if labels:
        return list(labels)
    n = layer.output_size if size is None else size
    return [str(u + 1) for u in range(n)]


def heading(layer) -> str:
    """``lstm: LSTM, 1 unit; g linear, h linear, gates σ = sigmoid``."""
    return layer_heading(layer)


def symbol(desc_or_paths, path: str) -> str:
    """How the views name a quantity: its label when that is one symbol (``σ(z_i)``,
    ``g(z)``, ``c_prev``), else its path (``h`` for ``h = tanh(z)``)."""
    q = desc_or_paths.get(path)
    return q["label"] if q is not None and " " not in q["label"] else path


def unclip(op):
    """(the operand an activation reads, its clip or None)."""
    if isinstance(op, dict) and "clip" in op:
        return op["of"], op["clip"]
    return op, None


def lookup_words(q) -> str:
    """``Eᵀ·x`` (x 1-of-N) or ``E[x]`` (x an id): the formula's words before their gloss."""
    return q["formula"].split(" (", 1)[0]
