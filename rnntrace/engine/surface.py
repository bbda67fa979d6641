"""The error surface: the loss L as one weight (or two) sweeps a range, the rest fixed.

At each point the network runs forward and backward (bptt.backprop), which gives L,
dL/dw for the swept weight(s) and the global gradient norm. With a learning rate,
the move of one plain step, Δw = −η·dL/dw, is kept, and with clipping the move of the
clipped step: on a cliff the first jumps far away, the second does not.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

import numpy as np

from ..errors import RnntraceError, close_name
from ..gradients import Surface
from . import clipping
from .bptt import backprop
from .parameters import parameters, replace_parameters

_PARAM = re.compile(r"^\s*(?P<name>[^\[\]\s]+)\s*(?:\[(?P<index>[^\]]*)\])?\s*$")


def parse_param(text: str, spec) -> Tuple[str, Tuple[int, ...]]:
    """``rnn.U[0,0]`` → ("rnn.U", (0, 0)); indices are 0-based; a parameter with a single
    entry needs none."""
    match = _PARAM.match(text)
    if not match:
        raise RnntraceError(f"--param {text!r}: expected NAME[i,j], e.g. rnn.U[0,0]")
    name = match.group("name")
    known = parameters(spec)
    if name not in known:
        hint = close_name(name, list(known))
        raise RnntraceError(f"--param {text!r}: no parameter {name!r}"
                            + (f" (did you mean '{hint}'?)" if hint else "")
                            + f"; the spec has {', '.join(known)}")
    shape = known[name].shape
    raw = match.group("index")
    if raw is None or not raw.strip():
        if known[name].size != 1:
            raise RnntraceError(f"--param {text!r}: {name} has shape {'×'.join(map(str, shape))}; "
                                f"say which entry, e.g. {name}[{','.join('0' for _ in shape)}]")
        return name, tuple(0 for _ in shape)
    try:
        index = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise RnntraceError(f"--param {text!r}: expected whole-number indices, e.g. {name}[0,1]") from None
    if len(index) == 1 and len(shape) == 2 and shape[0] == 1:
        index = (0,) + index     # the row of a one-unit layer: W[j] means W[0,j]
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
        raise RnntraceError(f"--param {text!r}: {name} has shape {'×'.join(map(str, shape))}; indices "
                            f"are 0-based, from [{','.join('0' for _ in shape)}] to "
                            f"[{','.join(str(n - 1) for n in shape)}]")
    return name, index


def parse_range(text: str, option: str = "--range") -> np.ndarray:
    """``A:B:N`` → N evenly spaced values from A to B (both included)."""
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise RnntraceError(f"{option} {text!r}: expected A:B:N, e.g. 0.9:1.1:41") from None
    if not (np.isfinite(a) and np.isfinite(b)) or n < 2 or n > 100_000:
        raise RnntraceError(f"{option} {text!r}: expected finite A and B and N from 2 to 100000")
    return np.linspace(a, b, n)


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
