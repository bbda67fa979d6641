"""The --param and --range options of ``rnntrace surface`` (and --param2, --range2):
their text turned into what the engine's sweep takes, a parameter (name, 0-based
index) and the values it runs through; a bad one is an error that names the option.
"""
from __future__ import annotations

import re
from typing import Tuple

import numpy as np

from .engine.parameters import parameters
from .errors import RnntraceError, close_name

_PARAM = re.compile(r"^\s*(?P<name>[^\[\]\s]+)\s*(?:\[(?P<index>[^\]]*)\])?\s*$")


def parse_param(text: str, spec, option: str = "--param") -> Tuple[str, Tuple[int, ...]]:
    """``rnn.U[0,0]`` → ("rnn.U", (0, 0)); indices are 0-based; a parameter with a single
    entry needs none. ``option`` names the option in an error."""
    match = _PARAM.match(text)
    if not match:
        raise RnntraceError(f"{option} {text!r}: expected NAME[i,j], e.g. rnn.U[0,0]")
    name = match.group("name")
    known = parameters(spec)
    if name not in known:
        # "U" for "hidden.U": the one parameter whose last part is the name given
        endings = [k for k in known if k.endswith("." + name)]
        hint = endings[0] if len(endings) == 1 else close_name(name, list(known))
        raise RnntraceError(f"{option} {text!r}: no parameter {name!r}"
                            + (f" (did you mean '{hint}'?)" if hint else "")
                            + f"; the spec has {', '.join(known)}")
    shape = known[name].shape
    raw = match.group("index")
    if raw is None or not raw.strip():
        if known[name].size != 1:
            raise RnntraceError(f"{option} {text!r}: {name} has shape {'×'.join(map(str, shape))}; "
                                f"say which entry, e.g. {name}[{','.join('0' for _ in shape)}]")
        return name, tuple(0 for _ in shape)
    try:
        index = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise RnntraceError(f"{option} {text!r}: expected whole-number indices, e.g. {name}[0,1]") from None
    if len(index) == 1 and len(shape) == 2 and shape[0] == 1:
        index = (0,) + index     # the row of a one-unit layer: W[j] means W[0,j]
    if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
        raise RnntraceError(f"{option} {text!r}: {name} has shape {'×'.join(map(str, shape))}; indices "
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
