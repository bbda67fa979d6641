"""The arithmetic of one step written out the way the lecture writes it.

    z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1
    h   = h(c)·o = 3·4.5398e-05 = 0.00013619

Each layer type's home writes its own lines (``explain`` in rnntrace/layers/<type>.py)
with the pieces of :mod:`rnntrace.render.arithmetic`: each weighted sum lists its terms
input·weight, first the layer's inputs x, then the memory ("memory can be considered as
another input"), a peephole, and the bias as 1·b. The value after "=" is the one the
engine computed, so what is shown is never recomputed. A layer with many units gets one
line per unit.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from ..layers import legend, need
from .arithmetic import Line, Writer
from .numbers import DEFAULT_PRECISION, vector_show

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


def _names(description, path: str) -> List[str]:
    """The left-hand sides that may write the quantity ``path``, best first, from the
    layer's description: its own label (``z_i``, ``c``), its path when that is one
    word (``c``); for an activation written on the line of its weighted sum
    (σ(z_i) after ``z_i = …``, an Elman ``h`` after ``z = … → tanh(z)``) that sum's; for a
    sum written on its value's line (a linear output's ``y = …``) that value's."""
    quantities = description.get("quantities", [])
    by_path = {q["path"]: q for q in quantities}
    q = by_path.get(path)
    if q is None:
        return [path]
    names = [q["label"]] + ([path] if "." not in path else [])
    compute = q.get("compute") or {}
    if compute.get("op") == "apply" and isinstance(compute.get("of"), str) and compute["of"] in by_path:
        names += _names(description, compute["of"])
    if q.get("kind") == "pre":
        for other in quantities:
            c = other.get("compute") or {}
            if c.get("op") == "apply" and c.get("of") == path:
                names += [other["label"]] + ([other["path"]] if "." not in other["path"] else [])
    return list(dict.fromkeys(names))


def _lines_of(layer, description, record, x, field: str, unit: Optional[int], p: int, arrow: str = "",
              width: Optional[int] = None) -> List[Line]:
    """The lines of ``record_lines`` that compute ``field`` of one layer (or direction)."""
    lines = [(f"{arrow} {lhs}" if arrow else lhs, rhs) for lhs, rhs in record_lines(layer, record, x, p)]
    # The left-hand sides keep the width they have among all of the layer's lines,
    # so that each line is the very text run --explain writes.
    if width is None:
        width = max((len(lhs) for lhs, _ in lines), default=0)
    units = description.get("units") or []
    suffix = None
    if unit is not None:           # unit 2 of a layer is the line z[2], or z[time] by its label
        suffix = f"[{units[unit]}]" if unit < len(units) else f"[{unit + 1}]"
    for name in _names(description, field):
        chosen = [(lhs.ljust(width), rhs) for lhs, rhs in lines if _base(lhs)[0] == name and
                  (suffix is None or _base(lhs)[1] in ("", suffix))]
        if chosen:
            return chosen
    return []


#: How ``record_lines`` marks the lines of a bidirectional layer's directions.
_ARROWS = {"forward": "→", "backward": "←"}


def quantity_text(spec, trace, t: int, quantity: str, precision: int = DEFAULT_PRECISION) -> Optional[str]:
    """The arithmetic of one quantity at step ``t``, as ``run --explain`` writes it:
    ``lstm.c`` at step 2 → ``c = … = 4·1 + 3·1 = 7``. A memory read is what the step
    before wrote; ``x`` has no arithmetic (None).
    ``quantity`` may end in ``[k]``, one unit counted from 1."""
    from ..layers import describe
    unit = None
    if quantity.endswith("]") and "[" in quantity:
        quantity, _, inside = quantity.partition("[")
        unit = inside[:-1]                      # a number from 1, or a label (found below)
    if quantity == "x" or not 1 <= t <= len(trace):
        return None
    step = trace[t - 1]
    x = step.x
    layer = record = None
    last = spec.layers[-1]
    head, _, rest = quantity.partition(".")
    if quantity == "y":
        head, rest = last.name, describe(last)["output"]
    for each in spec.layers:
        if each.name == head:
            layer, record = each, step.layers[each.name]
            break
        x = step.layers[each.name].output
    if layer is None or not rest:
        return None
    description = describe(layer)
    if isinstance(unit, str):
        names = [str(n) for n in description.get("units") or []]
        unit = int(unit) - 1 if unit.isdigit() else (names.index(unit) if unit in names else None)
    # Into one direction of a bidirectional layer: its lines are marked with an arrow.
    backward, arrow, width = False, "", None
    first, _, more = rest.partition(".")
    if more and first in _ARROWS and isinstance(description.get(first), dict):
        width = max((len(lhs) for lhs, _ in record_lines(layer, record, x, precision)), default=0)
        backward, arrow = first == "backward", _ARROWS[first]
        layer, record, description, rest = getattr(layer, first), getattr(record, first), description[first], more
    memory = {m["read"]: m["written"] for m in description.get("memory", [])}
    if rest in memory:
        # What the memory holds at step t was written at the step read before it.
        written = memory[rest]
        before = t + 1 if backward else t - 1
        if not 1 <= before <= len(trace):
            return f"{rest} at step {t} is the starting value: {vector_show(getattr(record, rest), precision)}"
        text = quantity_text(spec, trace, before, quantity[:-len(rest)] + written +
                             ("" if unit is None else f"[{unit + 1}]"), precision)
        return f"{rest} at step {t} is {written} from step {before}:" + ("\n" + text if text else "")
    if rest not in {q["path"] for q in description.get("quantities", [])} and "output" in description:
        rest = description["output"]            # a field beside the output: a softmax's winning label
    lines = _lines_of(layer, description, record, x, rest, unit, precision, arrow, width)
    return as_text(lines) if lines else None
