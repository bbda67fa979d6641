"""The error surface: the loss L as one weight (or two) sweeps a range, the rest fixed.

At each point the network runs forward and backward (bptt.backprop), which gives L,
dL/dw for the swept weight(s) and the global gradient norm. With a learning rate,
the move of one plain step, Δw = −η·dL/dw, is kept, and with clipping the move of the
clipped step: on a cliff the first jumps far away, the second does not.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

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


def _at(spec, name, index, value, name2=None, index2=None, value2=None):
    params = parameters(spec)
    changes = {}
    w = params[name].copy()
    w[index] = value
    changes[name] = w
    if name2 is not None:
        w2 = changes.get(name2, params[name2]).copy()
        w2[index2] = value2
        changes[name2] = w2
    return replace_parameters(spec, changes)


def sweep(spec, param: Tuple[str, Tuple[int, ...]], values: np.ndarray,
          param2: Optional[Tuple[str, Tuple[int, ...]]] = None, values2: Optional[np.ndarray] = None,
          *, clip: Optional[Tuple[str, float]] = None, learning_rate: Optional[float] = None) -> Surface:
    name, index = param
    values = np.asarray(values, dtype=np.float64)
    shape: Tuple[int, ...] = (len(values),) if param2 is None else (len(values), len(values2))
    loss = np.empty(shape)
    grad = np.empty(shape)
    grad2 = np.empty(shape) if param2 is not None else None
    norm = np.empty(shape)
    step = np.empty(shape) if learning_rate is not None else None
    step2 = np.empty(shape) if learning_rate is not None and param2 is not None else None
    cstep = np.empty(shape) if learning_rate is not None and clip is not None else None
    cstep2 = np.empty(shape) if cstep is not None and param2 is not None else None

    points: List[Tuple[Tuple[int, ...], float, Optional[float]]] = []
    if param2 is None:
        points = [((i,), float(w), None) for i, w in enumerate(values)]
    else:
        points = [((i, j), float(w), float(v)) for i, w in enumerate(values) for j, v in enumerate(values2)]
    name2, index2 = param2 if param2 is not None else (None, None)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for at, w, v in points:
            result = backprop(_at(spec, name, index, w, name2, index2, v))
            g = result.gradients
            loss[at] = result.loss
            grad[at] = g[name][index]
            norm[at] = result.norm
            if param2 is not None:
                grad2[at] = g[name2][index2]
            if learning_rate is not None:
                step[at] = -learning_rate * g[name][index]
                if param2 is not None:
                    step2[at] = -learning_rate * g[name2][index2]
                if clip is not None:
                    clipped, _ = clipping.clip(g, *clip)
                    cstep[at] = -learning_rate * clipped[name][index]
                    if param2 is not None:
                        cstep2[at] = -learning_rate * clipped[name2][index2]
    return Surface(spec=spec, param=label(name, index), values=values, loss=loss, gradient=grad, norm=norm,
                   param2=None if param2 is None else label(name2, index2),
                   values2=None if param2 is None else np.asarray(values2, dtype=np.float64),
                   gradient2=grad2, learning_rate=learning_rate, clip=clip if learning_rate is not None else None,
                   step=step, clipped_step=cstep, step2=step2, clipped_step2=cstep2,
                   loss_function=spec.train.loss)
