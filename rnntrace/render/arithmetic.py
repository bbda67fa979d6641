"""How the arithmetic of a step is written: the pieces every layer type's ``explain``
uses (rnntrace/layers/<type>.py), handed to it as a :class:`Writer`.

    z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1

Each weighted sum lists its terms input·weight; the value after "=" is the one the
engine computed, so what is shown is never recomputed here.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..layers.activations import approaches
from ..layers.base import FUNCTION_SYMBOLS
from .numbers import DEFAULT_PRECISION, operand, plain, result, vector_show

Line = Tuple[str, str]   # (left-hand side, the rest: "terms = value → f(value) = value")

#: Above this many inputs (memory included), terms whose input is exactly 0 are left
#: out: a 1-of-N input then shows only the word's own weight.
WIDE = 6


class Terms:
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


class Writer:
    """Numbers and pieces of equations at one precision."""

    def __init__(self, precision: int = DEFAULT_PRECISION):
        self.p = precision

    def terms(self, inputs: int = 0) -> Terms:
        return Terms(self.p, inputs)

    def operand(self, value) -> str:
        return operand(value, self.p)

    def result(self, value) -> str:
        return result(value, self.p)

    def plain(self, value) -> str:
        return plain(value, self.p)

    def vector(self, values) -> str:
        return vector_show(values, self.p)

    @staticmethod
    def suffix(size: int, u: int, labels: Optional[Sequence[str]] = None) -> str:
        """``[2]`` after a quantity of a layer of several units, ``[destination]`` with labels."""
        if labels:
            return f"[{labels[u]}]"
        return f"[{u + 1}]" if size > 1 else ""

    @staticmethod
    def total(parts: List[str]) -> str:
        return " + ".join(parts) if parts else "0"

    def activation(self, function: str, z: float, a: float, symbol: Optional[str] = None, name: str = "",
                   clip: Optional[float] = None) -> str:
        """``→ σ(90) = 1``; a linear activation only names the result: ``→ h = 2``. With
        ``clip`` (a layer's ``clip: c``), a z outside [−c, c] is first cut:
        ``→ clip to 5 → σ(5) = 0.993``."""
        p = self.p
        cut = ""
        if clip is not None and abs(z) > clip:
            z = type(z)(clip if z > 0 else -clip)
            cut = f" → clip to {plain(z, p)}"
        if function == "linear":
            return cut + (f" → {name} = {result(a, p)}" if name else "")
        symbol = symbol or FUNCTION_SYMBOLS[function]
        text = f"{cut} → {symbol}({plain(z, p)}) = {result(a, p)}"
        if a in approaches(function) and z != 0:
            # σ only approaches 0 and 1, tanh ±1 (the table says which values a function
            # only approaches); float64 (float32, in a float32 run) rounds to them
            text += f" (in {getattr(getattr(a, 'dtype', None), 'name', 'float64')})"
        return text

    @staticmethod
    def most_likely(labels: Sequence[str], y) -> str:
        """The winning label, or ``a tie between yes and no``."""
        from .winners import most_likely
        return most_likely(labels, y)

    @staticmethod
    def with_note(lines: List[Line], terms: Terms) -> List[Line]:
        if terms.dropped:
            lines.append(("", "(terms with input 0 left out; (x3) is input x[3], (h1) memory h_prev[1])"))
        return lines
