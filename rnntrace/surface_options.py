"""What a sweep of the error surface runs through: a weight written ``NAME[i,j]``
(``hidden.U[0,0]``; no index for a weight of one entry) and values written ``A:B:N``
(N evenly spaced values from A to B), turned into what the engine's sweep takes, a
parameter (name, 0-based index) and the values. Reading a weight's text needs nothing
else (:meth:`WeightChoice.parse`); whether the network has that weight is known only
with the spec (:meth:`WeightChoice.resolve`). A problem is a
:class:`~rnntrace.errors.BadValue` about the value alone: the caller names where it came from.
"""
from __future__ import annotations

import re
from typing import NamedTuple, Optional, Tuple

from .errors import BadValue, close_name

_PARAM = re.compile(r"^\s*(?P<name>[^\[\]\s]+)\s*(?:\[(?P<index>[^\]]*)\])?\s*$")

#: The most values one sweep runs through.
MAX_POINTS = 100_000


class WeightChoice(NamedTuple):
    """A weight as written: its name and the indices given (None: no index)."""

    name: str
    index: Optional[Tuple[int, ...]]

    @classmethod
    def parse(cls, text: str) -> "WeightChoice":
        """``"rnn.U[0,1]"`` → ("rnn.U", (0, 1)); ``"rnn.b"`` → ("rnn.b", None)."""
        match = _PARAM.match(text)
        if not match:
            raise BadValue(f"expected NAME or NAME[i,j], e.g. rnn.U[0,0]; found {text!r}")
        name, raw = match.group("name"), match.group("index")
        if raw is None or not raw.strip():
            return cls(name, None)
        try:
            return cls(name, tuple(int(part) for part in raw.split(",")))
        except ValueError:
            raise BadValue(f"expected whole-number indices, e.g. {name}[0,1]; found {text!r}") from None

    def resolve(self, spec) -> Tuple[str, Tuple[int, ...]]:
        """(name, 0-based index) of a weight of ``spec``; a weight of one entry needs
        no index, and the row of a one-unit layer may be indexed by column alone."""
        from .engine.parameters import parameters
        name = self.name
        known = parameters(spec)
        if name not in known:
            # "U" for "hidden.U": the one parameter whose last part is the name given
            endings = [k for k in known if k.endswith("." + name)]
            hint = endings[0] if len(endings) == 1 else close_name(name, list(known))
            raise BadValue(f"no parameter {name!r}" + (f" (did you mean '{hint}'?)" if hint else "")
                           + f"; the spec has {', '.join(known)}")
        shape = known[name].shape
        index = self.index
        if index is None:
            if known[name].size != 1:
                raise BadValue(f"{name} has shape {'×'.join(map(str, shape))}; "
                               f"say which entry, e.g. {name}[{','.join('0' for _ in shape)}]")
            return name, tuple(0 for _ in shape)
        if len(index) == 1 and len(shape) == 2 and shape[0] == 1:
            index = (0,) + index     # the row of a one-unit layer: W[j] means W[0,j]
        if len(index) != len(shape) or any(not 0 <= i < n for i, n in zip(index, shape)):
            raise BadValue(f"there is no {name}[{','.join(map(str, self.index))}]: {name} has shape "
                           f"{'×'.join(map(str, shape))}; indices are 0-based, from "
                           f"[{','.join('0' for _ in shape)}] to [{','.join(str(n - 1) for n in shape)}]")
        return name, index


def parse_param(text: str, spec) -> Tuple[str, Tuple[int, ...]]:
    """``rnn.U[0,0]`` → ("rnn.U", (0, 0)), checked against ``spec``."""
    return WeightChoice.parse(text).resolve(spec)


def parse_range(text: str):
    """``A:B:N`` → N evenly spaced values from A to B (both included), a float64 array."""
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise BadValue(f"expected A:B:N, e.g. 0.9:1.1:41; found {text!r}") from None
    import numpy as np
    if not (np.isfinite(a) and np.isfinite(b)) or n < 2 or n > MAX_POINTS:
        raise BadValue(f"expected finite A and B and N from 2 to {MAX_POINTS}; found {text!r}")
    if not np.isfinite(b - a):   # the values would be spaced by more than float64 holds
        raise BadValue(f"expected A and B less than 1.8e308 apart (B − A is beyond float64's range); "
                       f"found {text!r}")
    return np.linspace(a, b, n)
