"""The rows and columns shared by the Markdown and LaTeX answer keys.

One table per layer, one row per step, one column per quantity in the lecture's
order (see :mod:`rnntrace.render.quantities`). A dense layer with labels gets one
column per label and a column for the most likely one. Cells hold the trace's
float64 values; each format writes them its own way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np

from .quantities import Quantity, heading, layer_quantities, value


@dataclass(frozen=True)
class Column:
    label: str            # plain text header
    latex: str            # LaTeX header (math in $…$)
    cell: Callable        # step → a float64 vector, or a text (word, label)


@dataclass(frozen=True)
class LayerTable:
    name: str
    heading: str
    columns: List[Column]


def _input_column(steps) -> Column:
    if any(step.token is not None for step in steps):
        return Column("word", "word", lambda step: step.token)
    return Column("x", "$x$", lambda step: step.x)


def _quantity_column(layer_name: str, q: Quantity) -> Column:
    return Column(q.label, q.latex, lambda step, n=layer_name, p=q.path: value(step.layers[n], p))


def layer_tables(spec, steps, layers: Optional[Sequence[str]] = None) -> List[LayerTable]:
    tables = []
    for layer in spec.layers:
        if layers is not None and layer.name not in layers:
            continue
        columns = [Column("t", "$t$", lambda step: step.t), _input_column(steps)]
        labels = getattr(layer, "labels", None)
        for q in layer_quantities(layer):
            if labels and q.path in ("z", "y"):
                for u, label in enumerate(labels):
                    name = "z" if q.path == "z" else "y"
                    columns.append(Column(f"{name}[{label}]", f"${name}_{{\\mathrm{{{_latex_text(label)}}}}}$",
                                          lambda step, n=layer.name, p=q.path, u=u:
                                          np.asarray(value(step.layers[n], p))[u:u + 1]))
            else:
                columns.append(_quantity_column(layer.name, q))
        if labels:
            columns.append(Column("most likely", "most likely",
                                  lambda step, n=layer.name: step.layers[n].label))
        tables.append(LayerTable(layer.name, heading(layer), columns))
    return tables


def _latex_text(text: str) -> str:
    from .latex import escape
    return escape(text)
