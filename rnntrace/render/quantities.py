"""Which quantities of a layer's record are shown, in which order, under which names.

The order is the lecture's: for an LSTM unit the cell input z → g(z), the input gate,
the forget gate, the cell c_prev → c, the output gate, and the output h(c)·σ(z_o).
Every renderer (panels, chart, Markdown, LaTeX) takes its rows and columns from here,
so that they name things the same way. Nothing here computes a value: a quantity is
a path into the record (``gates.input_gate.a``, ``c``) and a way to name it.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Tuple

import numpy as np

#: How an activation function is written: σ for the logistic sigmoid, as in the lecture.
FUNCTION_SYMBOLS = {"sigmoid": "σ", "hard_sigmoid": "hσ", "tanh": "tanh", "relu": "relu",
                    "linear": "linear", "softmax": "softmax"}
LATEX_SYMBOLS = {"sigmoid": r"\sigma", "hard_sigmoid": r"h\sigma", "tanh": r"\tanh",
                 "relu": r"\mathrm{relu}", "linear": r"\mathrm{linear}", "softmax": r"\mathrm{softmax}"}

#: Gate name → the index letter the lecture gives it (z_i, z_f, z_o; z_r, z_u, z_n for GRU).
GATE_INDEX = {"cell_input": "", "input_gate": "i", "forget_gate": "f", "output_gate": "o",
              "reset_gate": "r", "update_gate": "u", "candidate": "n"}
GATE_WORDS = {"cell_input": "cell input", "input_gate": "input gate", "forget_gate": "forget gate",
              "output_gate": "output gate", "reset_gate": "reset gate", "update_gate": "update gate",
              "candidate": "candidate"}


TYPE_NAMES = {"lstm": "LSTM", "gru": "GRU", "elman": "Elman", "jordan": "Jordan", "dense": "dense",
              "bidirectional": "bidirectional"}


class Quantity(NamedTuple):
    """One quantity of a record: ``path`` into it, a plain-text and a LaTeX name, and
    ``kind``: ``pre`` (a weighted sum z), ``gate`` (an activation in [0, 1]), ``memory``
    (what was read), ``state`` (a cell or hidden value) or ``output``."""

    path: str
    label: str
    latex: str
    kind: str


def value(record, path: str) -> np.ndarray:
    """The array at ``path`` (``c``, ``gates.input_gate.a``, ``forward.h``) of a record.

    Records are dataclasses and their ``gates`` plain dicts; the check is against
    ``dict`` itself, since ``isinstance(x, typing.Mapping)`` (an ABC) is ten times slower
    and the chart asks this for every quantity at every step."""
    current = record
    for part in path.split("."):
        current = current[part] if isinstance(current, dict) else getattr(current, part)
    return current


def gate_symbol(layer, gate: str, symbols=FUNCTION_SYMBOLS) -> str:
    """``σ`` for a gate, ``g`` for the LSTM's cell input, ``tanh`` for the GRU candidate;
    ``symbols=LATEX_SYMBOLS`` for LaTeX."""
    if gate == "cell_input":
        return "g"
    return symbols[layer.activation if gate == "candidate" else layer.gate_activation]


def function_name(name: str) -> str:
    """An activation function as headings name it: ``σ = sigmoid``, ``hσ = hard_sigmoid``,
    ``tanh``: the symbol the formulas use, and what it stands for."""
    symbol = FUNCTION_SYMBOLS[name]
    return name if symbol == name else f"{symbol} = {name}"


def gate_names(layer, gate: str) -> Tuple[str, str, str]:
    """How a gate, its weighted sum and its activation are written:
    ``("input gate", "z_i", "σ(z_i)")``, ``("cell input", "z", "g(z)")``."""
    index = GATE_INDEX[gate]
    z = f"z_{index}" if index else "z"
    return GATE_WORDS[gate], z, f"{gate_symbol(layer, gate)}({z})"


def _gate(layer, gate: str) -> List[Quantity]:
    index = GATE_INDEX[gate]
    _, z, a = gate_names(layer, gate)
    zl = f"z_{{{index}}}" if index else "z"
    return [Quantity(f"gates.{gate}.z", z, f"${zl}$", "pre"),
            Quantity(f"gates.{gate}.a", a, f"${gate_symbol(layer, gate, LATEX_SYMBOLS)}({zl})$",
                     "state" if gate in ("cell_input", "candidate") else "gate")]


def layer_quantities(layer) -> List[Quantity]:
    """The quantities of one layer's record in the order they are shown."""
    kind = layer.type
    if kind == "lstm":
        rows: List[Quantity] = []
        if any(layer.blocks[b].U is not None for b in layer.blocks):
            rows.append(Quantity("h_prev", "h_prev", r"$h_{t-1}$", "memory"))
        rows += _gate(layer, "cell_input") + _gate(layer, "input_gate") + _gate(layer, "forget_gate")
        rows += [Quantity("c_prev", "c_prev", r"$c_{t-1}$", "memory"),
                 Quantity("c", "c", "$c$", "state")]
        rows += _gate(layer, "output_gate")
        rows.append(Quantity("h", "h", "$h$", "output"))
        return rows
    if kind == "gru":
        rows = [Quantity("h_prev", "h_prev", r"$h_{t-1}$", "memory")]
        for gate in ("reset_gate", "update_gate", "candidate"):
            rows += _gate(layer, gate)
        rows.append(Quantity("h", "h", "$h$", "output"))
        return rows
    if kind == "elman":
        f = FUNCTION_SYMBOLS[layer.activation]
        return [Quantity("h_prev", "h_prev", r"$h_{t-1}$", "memory"),
                Quantity("z", "z", "$z$", "pre"),
                Quantity("h", "h" if layer.activation == "linear" else f"h = {f}(z)", "$h$", "output")]
    if kind == "jordan":
        return [Quantity("y_prev", "y_prev", r"$y_{t-1}$", "memory"),
                Quantity("z", "z", "$z$", "pre"),
                Quantity("h", "h", "$h$", "state"),
                Quantity("z_out", "z_out", r"$z_{\mathrm{out}}$", "pre"),
                Quantity("y", "y", "$y$", "output")]
    if kind == "dense":
        return [Quantity("z", "z", "$z$", "pre"),
                Quantity("y", "y" if layer.activation == "linear" else
                         f"y = {FUNCTION_SYMBOLS[layer.activation]}(z)", "$y$", "output")]
    if kind == "bidirectional":
        rows = []
        for side, arrow, tex in (("forward", "→", r"\rightarrow"), ("backward", "←", r"\leftarrow")):
            for q in layer_quantities(getattr(layer, side)):
                rows.append(Quantity(f"{side}.{q.path}", f"{arrow} {q.label}",
                                     f"${tex}$ {q.latex}", q.kind if q.kind != "output" else "state"))
        rows.append(Quantity("h", f"h ({layer.merge})", "$h$", "output"))
        return rows
    raise TypeError(kind)


def unit_names(layer, size: Optional[int] = None) -> List[str]:
    """Column names for the units of a layer's output: its labels, or 1, 2, …"""
    labels = getattr(layer, "labels", None)
    if labels:
        return list(labels)
    n = layer.output_size if size is None else size
    return [str(u + 1) for u in range(n)]


def heading(layer) -> str:
    """``lstm: LSTM, 1 unit; g linear, h linear, gates σ = sigmoid``."""
    kind = layer.type
    if kind == "bidirectional":
        return f"{layer.name}: bidirectional, merge {layer.merge}"
    size = layer.size
    units = f"{size} unit{'s' if size != 1 else ''}"
    text = f"{layer.name}: {TYPE_NAMES[kind]}, {units}"
    if kind == "lstm":
        return (f"{text}; g {layer.activation}, h {layer.cell_activation}, "
                f"gates {function_name(layer.gate_activation)}")
    if kind == "gru":
        return f"{text}; candidate {layer.activation}, gates {function_name(layer.gate_activation)}"
    if kind == "elman":
        return f"{text}, {layer.activation}; memory holds h"
    if kind == "jordan":
        return f"{text}, {layer.activation}; output {layer.output.size}, {layer.output.activation}; " \
               "memory holds y"
    return f"{text}, {layer.activation}"
