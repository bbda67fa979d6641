"""The closing table: the outputs over time, each exact float64 beside its rounded form.

The lecture's table for its LSTM unit lists the cell and the output at every step;
this one does the same for any network: the cell of every LSTM layer shown, then the
output (the network's y, or the chosen layer's output). The "exact" column is the
shortest text that reads back as the same float64; "shown" is what the panels print,
with ≈ where a value only rounds to a whole number.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from rich import box
from rich.table import Table
from rich.text import Text

from .numbers import DEFAULT_PRECISION, exact, show, vector_show


def summary_quantities(spec, layers: Optional[Sequence[str]] = None) -> List[Tuple[str, str, str]]:
    """(layer name, record field, shown name) for each quantity in the summary;
    layer name ``""`` with field ``y`` is the network's output."""
    out = []
    chosen = [layer for layer in spec.layers if layers is None or layer.name in layers]
    for layer in chosen:
        if layer.type == "lstm":
            out.append((layer.name, "c", f"{layer.name}.c"))
    if layers is None:
        out.append(("", "y", "y"))
    else:
        for layer in chosen:
            field = "y" if layer.type in ("dense", "jordan") else "h"
            out.append((layer.name, field, f"{layer.name}.{field}"))
    return out


def summary_table(spec, steps, layers: Optional[Sequence[str]] = None,
                  precision: int = DEFAULT_PRECISION) -> Table:
    quantities = summary_quantities(spec, layers)
    words = any(step.token is not None for step in steps)
    table = Table(title=Text("Outputs over time"), title_justify="left", title_style="bold",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("t", justify="right", no_wrap=True)
    table.add_column("word" if words else "x", no_wrap=False)
    table.add_column("quantity", no_wrap=True)
    table.add_column("exact", justify="right", no_wrap=True)
    table.add_column("shown", justify="right", no_wrap=True)
    for step in steps:
        first = True
        rows_before = table.row_count
        for layer_name, field, name in quantities:
            record = step if layer_name == "" else step.layers[layer_name]
            values = getattr(record, field)
            owner = spec.layers[-1] if layer_name == "" else spec.layer(layer_name)
            labels = getattr(owner, "labels", None) if field == "y" else None
            label = getattr(step.layers[owner.name], "label", None)
            for u, v in enumerate(values):
                unit = f"[{labels[u]}]" if labels else (f"[{u + 1}]" if len(values) > 1 else "")
                shown = Text(show(v, precision))
                if labels and labels[u] == label:
                    shown.append(" ◀", style="bold green")
                table.add_row(str(step.t) if first else "",
                              Text((step.token or vector_show(step.x, precision)) if first else ""),
                              Text(name + unit), exact(v), shown)
                first = False
        if table.row_count - rows_before > 1 and step is not steps[-1]:
            table.add_section()   # a blank line between steps that take several rows
    return table
