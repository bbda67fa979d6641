"""The arithmetic of one step written out the way the lecture writes it.

    z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1
    c   = g·i + c_prev·f = 3·1 + 0·1 = 3

Each layer type's home writes its own lines (``explain`` in rnntrace/layers/<type>.py)
with the pieces of :mod:`rnntrace.render.arithmetic`: each weighted sum lists its terms
input·weight, first the layer's inputs x, then the memory ("memory can be considered as
another input"), a peephole, and the bias as 1·b. The value after "=" is the one the
engine computed, so what is shown is never recomputed. A layer with many units gets one
line per unit.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from ..layers import legend, need
from .arithmetic import Line, Writer
from .numbers import DEFAULT_PRECISION

__all__ = ["Line", "record_lines", "step_lines", "as_text", "legend"]


def record_lines(layer, record, x, precision: int = DEFAULT_PRECISION) -> List[Line]:
    """The arithmetic of one layer at one step, as (left-hand side, rest) pairs.

    ``x`` is the layer's input at this step: the step's x for the first layer, the
    previous layer's output otherwise.
    """
    return need(layer, "explain", "the --explain view")(layer, record, np.asarray(x), Writer(precision))


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


# --------------------------------------------------------------------------- one quantity

def _base(lhs: str) -> Tuple[str, str]:
    """``→ z_i[2]`` → (``z_i``, ``[2]``): a line's quantity and unit."""
    name = lhs.split(" ", 1)[1] if lhs[:1] in ("→", "←") else lhs
    head, bracket, unit = name.partition("[")
    return head, bracket + unit


def _output_field(record) -> str:
    """The record field that is the layer's output (``h``, ``y``)."""
    for name in getattr(record, "__dataclass_fields__", ()):
        if getattr(record, name) is record.output:
            return name
    return "h"


def _lines_of(layer, record, x, field: str, unit: Optional[str], p: int, arrow: str = "",
              width: Optional[int] = None) -> List[Line]:
    """The lines of ``record_lines`` that compute ``field`` of one layer: its own line
    (``c``, ``z_i`` for both z_i and σ(z_i)); for a value written on the line of its
    weighted sum (an Elman h after ``z = … → tanh(z)``) the lines of that sum; for a
    sum written on its value's line (a linear output's ``y = …``) that line."""
    from .quantities import gate_names, layer_quantities
    lines = [(f"{arrow} {lhs}" if arrow else lhs, rhs) for lhs, rhs in record_lines(layer, record, x, p)]
    parts = field.split(".")
    if parts[0] == "gates" and len(parts) == 3:
        want = [gate_names(layer, parts[1])[1]]
    else:
        want = [field]
        shown = layer_quantities(layer)
        order = [q.path for q in shown]
        if field in order:
            i = order.index(field)
            if shown[i].kind == "pre" and i + 1 < len(shown):
                want.append(shown[i + 1].path)
            before = [q for q in shown[:i] if q.kind == "pre"]
            if before and shown[i].kind != "pre":
                want.append(before[-1].path)
    # The left-hand sides keep the width they have among all of the layer's lines,
    # so that each line is the very text run --explain writes.
    if width is None:
        width = max((len(lhs) for lhs, _ in lines), default=0)
    labels = getattr(layer, "labels", None)
    if unit is not None and labels and unit[1:-1].isdigit() and 1 <= int(unit[1:-1]) <= len(labels):
        unit = f"[{labels[int(unit[1:-1]) - 1]}]"     # slot.z[1] is the line z[destination]
    for name in want:
        chosen = [(lhs.ljust(width), rhs) for lhs, rhs in lines if _base(lhs)[0] == name and
                  (unit is None or _base(lhs)[1] in ("", unit))]
        if chosen:
            return chosen
    return []


#: How ``record_lines`` marks the lines of a bidirectional layer's directions.
_ARROWS = {"forward": "→", "backward": "←"}


def quantity_text(spec, trace, t: int, quantity: str, precision: int = DEFAULT_PRECISION) -> Optional[str]:
    """The arithmetic of one quantity at step ``t``, as ``run --explain`` writes it:
    ``lstm.c`` at step 4 → ``c = g·i + c_prev·f = 1·1 + 7·1 = 8``. A memory read
    (``lstm.c_prev``) is what the previous step wrote; ``x`` has no arithmetic (None)."""
    unit = None
    if quantity.endswith("]") and "[" in quantity:
        quantity, _, unit = quantity.partition("[")
        unit = "[" + unit
    if quantity == "x" or not 1 <= t <= len(trace):
        return None
    step = trace[t - 1]
    x = step.x
    layer = record = None
    rest = ""
    last = spec.layers[-1]
    head, _, tail = quantity.partition(".")
    if quantity == "y":
        head, tail = last.name, _output_field(step.layers[last.name])
    for candidate in spec.layers:
        if candidate.name == head:
            layer, record, rest = candidate, step.layers[candidate.name], tail
            break
        x = step.layers[candidate.name].output
    if layer is None or not rest:
        return None
    # Into a part of the layer (a bidirectional layer's forward or backward direction).
    backward, arrow, width = False, "", None
    first, _, more = rest.partition(".")
    inner = getattr(layer, first, None)
    if more and first in _ARROWS and inner is not None and hasattr(record, first):
        width = max((len(lhs) for lhs, _ in record_lines(layer, record, x, precision)), default=0)
        backward, arrow = first == "backward", _ARROWS[first]
        layer, record, rest = inner, getattr(record, first), more
    if rest.endswith("_prev") and hasattr(record, rest) and hasattr(record, rest[:-len("_prev")]):
        # What the memory holds at step t was written at the step read before it.
        written = rest[:-len("_prev")]
        before = t + 1 if backward else t - 1
        if not 1 <= before <= len(trace):
            values = vector_show(getattr(record, rest), precision)
            return f"{rest} at step {t} is the starting value: {values}"
        prefix = quantity[:-len(rest)] + written
        text = quantity_text(spec, trace, before, prefix + (unit or ""), precision)
        return f"{rest} at step {t} is {written} from step {before}:" + ("\n" + text if text else "")
    lines = _lines_of(layer, record, x, rest, unit, precision, arrow, width)
    return as_text(lines) if lines else None
