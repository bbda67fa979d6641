"""The rows and columns shared by the Markdown and LaTeX answer keys.

One table per layer, one row per step, one column per quantity in the lecture's
order (see :mod:`rnntrace.render.quantities`), leaving out what is read from memory
(the quantities of kind ``memory``), which is the row above. A layer of several units gets one row
per step and unit (a ``unit`` column says which), so that its table is as narrow as
a one-unit layer's; a dense layer with labels instead gets one column per label and
a column for the most likely one. Cells hold the trace's float64 values; each format
writes them its own way.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np

from .quantities import Quantity, heading, layer_quantities, value
from .tex import math_text
from .winners import most_likely


@dataclass(frozen=True)
class KeyColumn:
    label: str            # plain text header
    latex: str            # LaTeX header (math in $…$)
    cell: Callable        # step → a float64 vector, or a text (word, label)
    per_step: bool = False   # one value per step (t, x, word), shown on the step's first row
    text: bool = False       # words (the input word, the most likely label): aligned left


@dataclass(frozen=True)
class KeyTable:
    name: str
    heading: str
    columns: List[KeyColumn]
    units: int = 1        # rows per step

    def rows(self, steps):
        """Per row: (is the step's first row, [value or None per column]); a vector
        column gives its unit's entry, or None where it has fewer units."""
        for step in steps:
            for u in range(self.units):
                cells = []
                for column in self.columns:
                    if column.label == "unit":
                        cells.append(u + 1)
                        continue
                    value = column.cell(step)
                    if column.per_step or isinstance(value, str) or value is None or np.ndim(value) == 0:
                        cells.append(value if u == 0 else None)
                    elif self.units == 1:
                        cells.append(value)
                    else:
                        cells.append(np.asarray(value)[u:u + 1] if u < len(value) else None)
                yield u == 0, cells


def _input_column(steps) -> KeyColumn:
    if any(step.token is not None for step in steps):
        return KeyColumn("word", "word", lambda step: step.token, per_step=True, text=True)
    return KeyColumn("x", "$x$", lambda step: step.x, per_step=True)


def _quantity_column(layer_name: str, q: Quantity) -> KeyColumn:
    return KeyColumn(q.label, q.latex, lambda step, n=layer_name, p=q.path: value(step.layers[n], p))


def layer_tables(spec, steps, layers: Optional[Sequence[str]] = None) -> List[KeyTable]:
    tables = []
    for layer in spec.layers:
        if layers is not None and layer.name not in layers:
            continue
        columns = [KeyColumn("t", "$t$", lambda step: step.t, per_step=True), _input_column(steps)]
        labels = getattr(layer, "labels", None)
        for q in layer_quantities(layer):
            if q.kind == "memory":
                continue      # what a step reads from memory is the row above: c, h or y
            if labels and q.path in ("z", "y"):
                for u, label in enumerate(labels):
                    name = "z" if q.path == "z" else "y"
                    columns.append(KeyColumn(f"{name}[{label}]", f"${name}_{{\\mathrm{{{math_text(label)}}}}}$",
                                          lambda step, n=layer.name, p=q.path, u=u:
                                          np.asarray(value(step.layers[n], p))[u:u + 1]))
            else:
                columns.append(_quantity_column(layer.name, q))
        if labels:
            columns.append(KeyColumn("most likely", "most likely",
                                  lambda step, n=layer.name, labels=labels: most_likely(labels, step.layers[n].y),
                                  per_step=True, text=True))
        units = 1
        if steps and not labels:
            units = max(np.size(c.cell(steps[0])) for c in columns if not c.per_step)
        if units > 1:
            columns.insert(2, KeyColumn("unit", "unit", lambda step: None, per_step=True))
        tables.append(KeyTable(layer.name, heading(layer), columns, units))
    return tables


