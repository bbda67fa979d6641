"""How a float64 is written for people: rounding is display only."""
from __future__ import annotations

import math

DEFAULT_PRECISION = 4


def fmt(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """``3.0`` → ``3``; ``6.99950063`` → ``6.9995``; ``4.54e-05`` → ``≈0``.

    A value that would print as a whole number but is not one gets ``≈`` so that a
    rounded 0 or 1 is never mistaken for an exact one.
    """
    value = float(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == int(value) and abs(value) < 1e15:
        return str(int(value)) if value != 0 else "0"
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0") or text.lstrip("-").isdigit():
        return "≈" + ("0" if text in ("-0", "0") else text)
    return text


def exact(value: float) -> str:
    """The shortest text that reads back as exactly this float64."""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def vector(values, precision: int = DEFAULT_PRECISION) -> str:
    return "[" + ", ".join(fmt(v, precision) for v in values) + "]"
