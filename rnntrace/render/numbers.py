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
    if abs(value) >= 1e15:
        # beyond 15 digits a fixed-point form is a wall of digits: 1.2346e+20
        mantissa, _, exponent = f"{value:.{precision}e}".partition("e")
        if "." in mantissa:
            mantissa = mantissa.rstrip("0").rstrip(".")
        return f"{mantissa}e{exponent}"
    text = f"{value:.{precision}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "0") or text.lstrip("-").isdigit():
        return "≈" + ("0" if text in ("-0", "0") else text)
    return text


def exact(value: float) -> str:
    """The shortest text that reads back as exactly this float64; for a float32 (of a
    --dtype float32 run), as exactly this float32: 0.1, not 0.10000000149011612."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None and dtype.kind == "f" and dtype.itemsize == 4:
        value = float(str(value))   # numpy writes a float32's shortest text; this float64 has it too
    value = float(value)
    if not math.isfinite(value):
        return fmt(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def vector(values, precision: int = DEFAULT_PRECISION) -> str:
    return "[" + ", ".join(fmt(v, precision) for v in values) + "]"


# --------------------------------------------------------------------------- for reading

MINUS = "\u2212"   # the typographic minus the lecture's arithmetic is printed with


def show(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """:func:`fmt` with a typographic minus: ``-10`` → ``−10``, ``≈-0`` never appears."""
    return fmt(value, precision).replace("-", MINUS)


def significant(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A value with ``precision + 1`` (at least 5) significant digits, never looking like a
    whole number, for numbers that :func:`fmt` would round away (``4.5398e-05`` rather than ``≈0``, ``0.00013619`` rather than
    ``0.0001``)."""
    value = float(value)
    if not math.isfinite(value) or (value == int(value) and abs(value) < 1e15):
        return show(value, precision)
    digits = max(precision + 1, 5)
    text = f"{value:.{digits}g}"
    while not any(ch in text for ch in ".e") and digits < 17:
        digits += 1          # 6.9999999 must not print as 7: add digits until it does not
        text = f"{value:.{digits}g}"
    return MINUS + text[1:] if text.startswith("-") else text


def _loses_digits(value: float, precision: int) -> bool:
    """True when :func:`fmt` at ``precision`` keeps fewer than two significant digits of
    a value that is not a whole number (``0.000136`` → ``0.0001``), or marks it ≈."""
    value = float(value)
    if not math.isfinite(value) or value == int(value):
        return False
    text = fmt(value, precision)
    return text.startswith("≈") or abs(value) < 10.0 ** (1 - precision)


def plain(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A number without ≈: a value that would show as ≈0 (or as 0.0001) shows its
    significant digits instead (``4.5398e-05``)."""
    return significant(value, precision) if _loses_digits(value, precision) else show(value, precision)


def operand(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A number inside a product or sum: :func:`plain`, negative numbers in parentheses."""
    text = plain(value, precision)
    return f"({text})" if text.startswith(MINUS) else text


def result(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A computed value at the end of an equation: ``90``, ``6.9995``, and for a value that
    rounds away its digits and the rounded form beside them: ``4.5398e-05 (≈0)``."""
    text = show(value, precision)
    if _loses_digits(value, precision):
        digits = significant(value, precision)
        return f"{digits} ({text})" if text.startswith("≈") else digits
    return text


def vector_show(values, precision: int = DEFAULT_PRECISION) -> str:
    return "[" + ", ".join(show(v, precision) for v in values) + "]"
