"""Rich tables: one per time step and layer, each unit a column."""
from __future__ import annotations

from typing import Iterable, List, Optional

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..trace import BidirectionalRecord, DenseRecord, ElmanRecord, GRURecord, JordanRecord, LSTMRecord
from .numbers import DEFAULT_PRECISION, fmt, vector

GATE_LABELS = {
    "cell_input": ("cell input z", "g(z)"),
    "input_gate": ("input gate z_i", "σ(z_i)"),
    "forget_gate": ("forget gate z_f", "σ(z_f)"),
    "output_gate": ("output gate z_o", "σ(z_o)"),
    "reset_gate": ("reset gate z_r", "σ(z_r)"),
    "update_gate": ("update gate z_u", "σ(z_u)"),
    "candidate": ("candidate z_n", "tanh(z_n)"),
}


def record_rows(record, precision: int) -> List[tuple]:
    """(quantity, its input, arrow label, value) rows for one layer's record."""
    f = lambda values: [fmt(v, precision) for v in values]  # noqa: E731
    if isinstance(record, LSTMRecord):
        rows = [(GATE_LABELS[name][0], f(g.z), GATE_LABELS[name][1], f(g.a)) for name, g in record.gates.items()]
        rows.append(("cell c_prev → c", f(record.c_prev), "c", f(record.c)))
        rows.append(("output h(c)·σ(z_o)", f(record.h_prev), "h", f(record.h)))
        return rows
    if isinstance(record, GRURecord):
        rows = [(GATE_LABELS[name][0], f(g.z), GATE_LABELS[name][1], f(g.a)) for name, g in record.gates.items()]
        rows.append(("memory h_prev → h", f(record.h_prev), "h", f(record.h)))
        return rows
    if isinstance(record, ElmanRecord):
        return [("memory read h_prev", f(record.h_prev), "", []),
                ("hidden z → h", f(record.z), "h", f(record.h))]
    if isinstance(record, JordanRecord):
        return [("memory read y_prev", f(record.y_prev), "", []),
                ("hidden z → h", f(record.z), "h", f(record.h)),
                ("output z_out → y", f(record.z_out), "y", f(record.y))]
    if isinstance(record, DenseRecord):
        return [("output z → y", f(record.z), "y", f(record.y))]
    raise TypeError(type(record))


def layer_table(name: str, layer, record, precision: int) -> Table:
    if isinstance(record, BidirectionalRecord):
        table = Table(title=f"{name}  ({layer.merge})", title_justify="left", show_header=False, box=None)
        table.add_row(layer_table(f"{name}.forward →  (read x_1…x_t)", layer.forward, record.forward, precision),
                      layer_table(f"{name}.backward ←  (read x_T…x_t)", layer.backward, record.backward, precision))
        table.add_row(Text(f"merged h = {vector(record.h, precision)}"), "")
        return table
    table = Table(title=f"{name} ({layer.type})", title_justify="left")
    table.add_column("quantity")
    units = len(record.output) if not isinstance(record, (LSTMRecord, GRURecord, ElmanRecord)) else layer.size
    width = max([units] + [len(r[1]) for r in record_rows(record, precision)])
    for u in range(width):
        table.add_column(f"in[{u + 1}]" if width > 1 else "in", justify="right")
    table.add_column("", justify="center")
    for u in range(width):
        table.add_column(f"out[{u + 1}]" if width > 1 else "out", justify="right")
    for label, ins, arrow, outs in record_rows(record, precision):
        table.add_row(label, *(ins + [""] * (width - len(ins))), arrow, *(outs + [""] * (width - len(outs))))
    if isinstance(record, DenseRecord) and record.label is not None:
        table.caption = f"most likely: {record.label}"
    return table


def step_panel(spec, step, precision: int = DEFAULT_PRECISION):
    heading = Text(f"Step {step.t}", style="bold")
    heading.append(f"   x = {vector(step.x, precision)}")
    if step.token is not None:
        heading.append(f"   word: {step.token}", style="italic")
    parts = [heading]
    for layer in spec.layers:
        parts.append(layer_table(layer.name, layer, step.layers[layer.name], precision))
    parts.append(Text(f"y = {vector(step.y, precision)}", style="bold"))
    return Group(*parts)


def render(trace, precision: int = DEFAULT_PRECISION) -> Iterable:
    title = trace.spec.title
    if title:
        yield Text(title, style="bold underline")
    for step in trace:
        yield step_panel(trace.spec, step, precision)
        yield Text("")
