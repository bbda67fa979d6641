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
