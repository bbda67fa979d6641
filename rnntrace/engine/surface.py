"""The error surface: the loss L as one weight (or two) sweeps a range, the rest fixed.

At each point the network runs forward and backward (bptt.backprop), which gives L,
dL/dw for the swept weight(s) and the global gradient norm. With a learning rate,
the move of one plain step, Δw = −η·dL/dw, is kept, and with clipping the move of the
clipped step: on a cliff the first jumps far away, the second does not.

The swept weights come parsed: (parameter name, index) and the values to take
(``rnntrace.surface_options`` reads them from their text: ``hidden.U[0,0]``, ``0.9:1.1:41``).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from ..gradients import Surface
from . import clipping
from .bptt import backprop
from .parameters import parameters, replace_parameters


def label(name: str, index: Tuple[int, ...]) -> str:
    return f"{name}[{','.join(map(str, index))}]"


def sweep(spec, param: Tuple[str, Tuple[int, ...]], values: np.ndarray,
          param2: Optional[Tuple[str, Tuple[int, ...]]] = None, values2: Optional[np.ndarray] = None,
          *, clip: Optional[Tuple[str, float]] = None, learning_rate: Optional[float] = None) -> Surface:
    """L, dL/dw for the swept weight(s) and the global norm at every point of the sweep
    (a grid, i along the first weight, for two); with a learning rate the step −η·dL/dw,
    and with clipping too the clipped step."""
    swept = [param] if param2 is None else [param, param2]
    axes = [np.asarray(values, dtype=np.float64)]
    if param2 is not None:
        axes.append(np.asarray(values2, dtype=np.float64))
    shape = tuple(len(axis) for axis in axes)
    loss, norm = np.empty(shape), np.empty(shape)
    grad = [np.empty(shape) for _ in swept]
    step = [np.empty(shape) for _ in swept] if learning_rate is not None else [None, None]
    clipped_step = [np.empty(shape) for _ in swept] if learning_rate is not None and clip is not None \
        else [None, None]
    base = parameters(spec)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for at in np.ndindex(shape):
            changes = {}
            for (name, index), axis, i in zip(swept, axes, at):
                w = changes.get(name, base[name]).copy()   # two entries of one matrix: both set
                w[index] = axis[i]
                changes[name] = w
            result = backprop(replace_parameters(spec, changes))
            loss[at], norm[at] = result.loss, result.norm
            clipped = clipping.clip(result.gradients, *clip)[0] if clipped_step[0] is not None else None
            for k, (name, index) in enumerate(swept):
                grad[k][at] = result.gradients[name][index]
                if step[0] is not None:
                    step[k][at] = -learning_rate * result.gradients[name][index]
                if clipped is not None:
                    clipped_step[k][at] = -learning_rate * clipped[name][index]
    second = param2 is not None
    return Surface(spec=spec, param=label(*param), values=axes[0], loss=loss, gradient=grad[0], norm=norm,
                   param2=label(*param2) if second else None, values2=axes[1] if second else None,
                   gradient2=grad[1] if second else None, learning_rate=learning_rate,
                   clip=clip if learning_rate is not None else None,
                   step=step[0], clipped_step=clipped_step[0],
                   step2=step[1] if second else None, clipped_step2=clipped_step[1] if second else None,
                   loss_function=spec.train.loss)
