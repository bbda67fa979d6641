"""The arithmetic of one step written out the way the lecture writes it.

    z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1
    c   = g·i + c_prev·f = 3·1 + 0·1 = 3

Each weighted sum lists its terms input·weight: first the layer's inputs x, then the
memory ("memory can be considered as another input": h_prev, or y_prev for a Jordan
layer), a peephole c_prev·P, and the bias as 1·b. The terms are the spec's weights and
the record's inputs, formatted; the value after "=" is the one the engine computed, so
what is shown is never recomputed here. A layer with many units gets one line per unit.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..trace import (BidirectionalRecord, DenseRecord, ElmanRecord, GRURecord, JordanRecord,
                     LSTMRecord)
from .numbers import DEFAULT_PRECISION, operand, plain, result, vector_show
from .quantities import FUNCTION_SYMBOLS, GATE_INDEX, gate_symbol

Line = Tuple[str, str]   # (left-hand side, the rest: "terms = value → f(value) = value")

#: Above this many inputs (memory included), terms whose input is exactly 0 are left
#: out: a 1-of-N input then shows only the word's own weight.
WIDE = 6


class _Terms:
    """Formats Σ input·weight for one unit, leaving out zero inputs of wide layers."""

    def __init__(self, precision: int, inputs: int = 0):
        self.p = precision
        self.wide = inputs > WIDE
        self.dropped = 0

    def products(self, inputs: np.ndarray, weights: np.ndarray, name: str = "x") -> List[str]:
        """``x·w`` for each input; in a wide layer only the non-zero inputs, each tagged
        with the input it is (``1·4 (h2)``), since their place no longer tells."""
        out = []
        for j, (x, w) in enumerate(zip(inputs, weights)):
            if self.wide and x == 0:
                self.dropped += 1
                continue
            tag = f" ({name}{j + 1})" if self.wide else ""
            out.append(f"{operand(x, self.p)}·{operand(w, self.p)}{tag}")
        return out

    def bias(self, b: Optional[np.ndarray], u: int) -> List[str]:
        return [] if b is None else [f"1·{operand(b[u], self.p)}"]


def _suffix(size: int, u: int, labels: Optional[Sequence[str]] = None) -> str:
    if labels:
        return f"[{labels[u]}]"
    return f"[{u + 1}]" if size > 1 else ""


def _sum(parts: List[str]) -> str:
    return " + ".join(parts) if parts else "0"


def _activation(function: str, z: float, a: float, p: int, symbol: Optional[str] = None,
                name: str = "") -> str:
    """``→ σ(90) = 1``; a linear activation only names the result: ``→ h = 2``."""
    if function == "linear":
        return f" → {name} = {result(a, p)}" if name else ""
    symbol = symbol or FUNCTION_SYMBOLS[function]
    text = f" → {symbol}({plain(z, p)}) = {result(a, p)}"
    if function in ("sigmoid", "tanh") and a in (0.0, 1.0, -1.0) and z != 0:
        text += " (in float64)"   # σ and tanh only approach 0 and ±1; float64 rounds to them
    return text


# --------------------------------------------------------------------------- per cell type

def _block_terms(terms: _Terms, block, u: int, x, h_prev, c_prev=None) -> List[str]:
    parts = terms.products(x, block.W[u])
    if block.U is not None:
        parts += terms.products(h_prev, block.U[u], "h")
    if getattr(block, "P", None) is not None and c_prev is not None:
        parts.append(f"{operand(c_prev[u], terms.p)}·{operand(block.P[u], terms.p)}")
    parts += terms.bias(block.b, u)
    if getattr(block, "b_h", None) is not None:
        parts += terms.bias(block.b_h, u)
    return parts


def _recurrent_inputs(layer) -> int:
    return layer.size if any(b.U is not None for b in layer.blocks.values()) else 0


def _lstm(layer, record: LSTMRecord, x, p: int) -> List[Line]:
    lines: List[Line] = []
    terms = _Terms(p, len(x) + _recurrent_inputs(layer))
    size = layer.size
    for u in range(size):
        s = _suffix(size, u)
        for gate in ("cell_input", "input_gate", "forget_gate"):
            lines.append(_gate_line(layer, gate, record, terms, u, s, x, p))
        g, i, f = (record.gates[name].a[u] for name in ("cell_input", "input_gate", "forget_gate"))
        lines.append((f"c{s}", f"g·i + c_prev·f = {operand(g, p)}·{operand(i, p)} + "
                               f"{operand(record.c_prev[u], p)}·{operand(f, p)} = {result(record.c[u], p)}"))
        lines.append(_gate_line(layer, "output_gate", record, terms, u, s, x, p))
        o = record.gates["output_gate"].a[u]
        if layer.cell_activation == "linear":
            hc = operand(record.c[u], p)
        else:
            hc = f"{FUNCTION_SYMBOLS[layer.cell_activation]}({operand(record.c[u], p)})"
        lines.append((f"h{s}", f"h(c)·o = {hc}·{operand(o, p)} = {result(record.h[u], p)}"))
    return _with_note(lines, terms)


def _gate_line(layer, gate: str, record, terms: _Terms, u: int, s: str, x, p: int) -> Line:
    index = GATE_INDEX[gate]
    z_name = f"z_{index}" if index else "z"
    block = layer.blocks[gate]
    c_prev = getattr(record, "c_prev", None)
    parts = _block_terms(terms, block, u, x, record.h_prev, c_prev)
    z, a = record.gates[gate].z[u], record.gates[gate].a[u]
    function = layer.activation if gate in ("cell_input", "candidate") else layer.gate_activation
    symbol = gate_symbol(layer, gate)
    rhs = f"{_sum(parts)} = {result(z, p)}"
    if function == "linear":
        rhs += f" → {symbol}({plain(z, p)}) = {result(a, p)}"
    else:
        rhs += _activation(function, z, a, p, symbol)
    return (f"{z_name}{s}", rhs)


def _gru(layer, record: GRURecord, x, p: int) -> List[Line]:
    lines: List[Line] = []
    terms = _Terms(p, len(x) + _recurrent_inputs(layer))
    size = layer.size
    for u in range(size):
        s = _suffix(size, u)
        lines.append(_gate_line(layer, "reset_gate", record, terms, u, s, x, p))
        lines.append(_gate_line(layer, "update_gate", record, terms, u, s, x, p))
        cand = layer.blocks["candidate"]
        parts = terms.products(x, cand.W[u]) + terms.bias(cand.b, u)
        inner = (terms.products(record.h_prev, cand.U[u], "h") if cand.U is not None else []) + \
            (terms.bias(cand.b_h, u) if cand.b_h is not None else [])
        r = record.gates["reset_gate"].a[u]
        if inner:
            parts.append(f"{operand(r, p)}·({_sum(inner)})")
        z, n = record.gates["candidate"].z[u], record.gates["candidate"].a[u]
        rhs = f"{_sum(parts)} = {result(z, p)}" + \
            _activation(layer.activation, z, n, p, gate_symbol(layer, "candidate"), name="n")
        lines.append((f"z_n{s}", rhs))
        uu = record.gates["update_gate"].a[u]
        lines.append((f"h{s}", f"(1 − u)·n + u·h_prev = (1 − {operand(uu, p)})·{operand(n, p)} + "
                               f"{operand(uu, p)}·{operand(record.h_prev[u], p)} = {result(record.h[u], p)}"))
    return _with_note(lines, terms)


def _hidden_lines(layer, record, x, memory, memory_name: str, terms: _Terms, p: int) -> List[Line]:
    """``z = Σ x·W + Σ memory·U + 1·b → h``, one line per unit: the hidden layer of an
    Elman network (memory h_prev) and of a Jordan network (memory y_prev)."""
    lines: List[Line] = []
    size = layer.size
    for u in range(size):
        s = _suffix(size, u)
        parts = terms.products(x, layer.W[u]) + terms.products(memory, layer.U[u], memory_name) + \
            terms.bias(layer.b, u)
        z, h = record.z[u], record.h[u]
        lines.append((f"z{s}", f"{_sum(parts)} = {result(z, p)}" +
                      _activation(layer.activation, z, h, p, name=f"h{s}")))
    return lines


def _elman(layer, record: ElmanRecord, x, p: int) -> List[Line]:
    terms = _Terms(p, len(x) + layer.size)
    lines = _hidden_lines(layer, record, x, record.h_prev, "h", terms, p)
    lines.append(("memory", f"← h = {vector_show(record.h, p)}"))
    return _with_note(lines, terms)


def _jordan(layer, record: JordanRecord, x, p: int) -> List[Line]:
    terms = _Terms(p, len(x) + layer.output.size)
    lines = _hidden_lines(layer, record, x, record.y_prev, "y", terms, p)
    out = layer.output
    lines += _dense_lines(out, DenseRecord(z=record.z_out, y=record.y), record.h, p, terms, z_name="z_out",
                          input_name="h")
    lines.append(("memory", f"← y = {vector_show(record.y, p)}"))
    return _with_note(lines, terms)


def _dense_lines(layer, record: DenseRecord, x, p: int, terms: _Terms, z_name: str = "z",
                 input_name: str = "x") -> List[Line]:
    lines: List[Line] = []
    size = layer.size
    labels = layer.labels
    for u in range(size):
        s = _suffix(size, u, labels)
        parts = terms.products(x, layer.W[u], input_name) + terms.bias(layer.b, u)
        z, y = record.z[u], record.y[u]
        if layer.activation == "softmax":
            lines.append((f"{z_name}{s}", f"{_sum(parts)} = {result(z, p)}"))
        elif layer.activation == "linear":
            lines.append((f"y{s}", f"{_sum(parts)} = {result(y, p)}"))
        else:
            lines.append((f"{z_name}{s}", f"{_sum(parts)} = {result(z, p)}" +
                          _activation(layer.activation, z, y, p, name=f"y{s}")))
    if layer.activation == "softmax":
        rhs = f"softmax({z_name}) = [" + ", ".join(result(v, p) for v in record.y) + "]"
        if record.label is not None:
            from .winners import most_likely
            rhs += f" → {most_likely(labels, record.y)}"
        lines.append(("y", rhs))
    return lines


def _dense(layer, record: DenseRecord, x, p: int) -> List[Line]:
    terms = _Terms(p, len(x))
    return _with_note(_dense_lines(layer, record, x, p, terms), terms)


def _bidirectional(layer, record: BidirectionalRecord, x, p: int) -> List[Line]:
    lines: List[Line] = []
    for side, arrow in (("forward", "→"), ("backward", "←")):
        for lhs, rhs in record_lines(getattr(layer, side), getattr(record, side), x, p):
            lines.append((f"{arrow} {lhs}" if lhs else arrow, rhs))
    f, b = record.forward.output, record.backward.output
    if layer.merge == "concat":
        lines.append(("h", f"concat(h→, h←) = {vector_show(record.h, p)}"))
    else:
        for u in range(len(record.h)):
            s = _suffix(len(record.h), u)
            pair = f"{operand(f[u], p)} + {operand(b[u], p)}"
            if layer.merge == "sum":
                lines.append((f"h{s}", f"h→ + h← = {pair} = {result(record.h[u], p)}"))
            else:
                lines.append((f"h{s}", f"(h→ + h←)/2 = ({pair})/2 = {result(record.h[u], p)}"))
    return lines


def _with_note(lines: List[Line], terms: _Terms) -> List[Line]:
    if terms.dropped:
        lines.append(("", "(terms with input 0 left out; (x3) is input x[3], (h1) memory h_prev[1])"))
    return lines


_BY_TYPE = {"lstm": _lstm, "gru": _gru, "elman": _elman, "jordan": _jordan, "dense": _dense,
            "bidirectional": _bidirectional}

#: What the terms of a weighted sum are, per layer type, said once above the lines.
LEGENDS = {
    "lstm": "each block: z = Σ x·W (+ Σ h_prev·U) (+ c_prev·P) + 1·b",
    "gru": "gates: z = Σ x·W + Σ h_prev·U + 1·b (+ 1·b_h); candidate: Σ x·W + 1·b + r·(Σ h_prev·U + 1·b_h)",
    "elman": "z = Σ x·W + Σ h_prev·U + 1·b: the memory h_prev is one more input",
    "jordan": "z = Σ x·W + Σ y_prev·U + 1·b: the last output y_prev is one more input",
    "dense": "z = Σ x·W + 1·b",
    "bidirectional": "→ reads x_1 … x_t, ← reads x_T … x_t",
}


def record_lines(layer, record, x, precision: int = DEFAULT_PRECISION) -> List[Line]:
    """The arithmetic of one layer at one step, as (left-hand side, rest) pairs.

    ``x`` is the layer's input at this step: the step's x for the first layer, the
    previous layer's output otherwise.
    """
    return _BY_TYPE[layer.type](layer, record, np.asarray(x), precision)


def step_lines(spec, step, layers=None, precision: int = DEFAULT_PRECISION) -> List[Tuple[str, List[Line]]]:
    """(layer name, lines) for each layer of a step (or for the chosen ``layers``)."""
    out = []
    x = step.x
    for layer in spec.layers:
        record = step.layers[layer.name]
        if layers is None or layer.name in layers:
            out.append((layer.name, record_lines(layer, record, x, precision)))
        x = record.output
    return out


def as_text(lines: List[Line]) -> str:
    """Plain text, the left-hand sides aligned: ``z_i = 3·0 + … = 90 → σ(90) = 1``."""
    width = max((len(lhs) for lhs, _ in lines), default=0)
    return "\n".join(f"{lhs:<{width}} {'=' if lhs and not rhs.startswith('←') else ' '} {rhs}".rstrip()
                     for lhs, rhs in lines)
