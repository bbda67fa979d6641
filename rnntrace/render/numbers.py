"""How a float64 is written for people: rounding is display only.

Every view writes its numbers through this module, so that one value looks the same
wherever it is shown:

- :func:`fmt`: rounded to ``precision`` decimals, ``≈`` where a value only rounds to a
  whole number (``≈0``); :func:`show` is the same with the typographic minus − the
  panels use; :func:`latex` the same in LaTeX math.
- :func:`exact`: the shortest text that reads back as the same float64.
- :func:`significant`, :func:`plain`, :func:`operand`, :func:`result`: a few significant
  digits where rounding would lose them (the arithmetic of ``--explain``, answers).
- :func:`compact`: scientific form for very large or very small values (gradients).
- :func:`rough`, :func:`percent`: a difference in two digits, a score.
- ``vector*``, :func:`plain_list`: several values in brackets.
"""
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


def compact(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """Like :func:`show`, but very large or very small values in scientific form (a gradient
    of 4.3e11 or a clipping factor of 2.3e-12 stays readable). Small means below
    10^(1 − precision), where fmt would keep fewer than two significant digits (a
    vanishing gradient of 0.000318 shows as 3.180e-04, not 0.0003), and at least below
    0.01, so that a low precision does not put 0.5 in scientific form."""
    value = float(value)
    if math.isfinite(value) and value != 0 and (abs(value) >= 1e6 or abs(value) < 10.0 ** (1 - max(precision, 3))):
        text = f"{value:.{max(precision - 1, 1)}e}"
        return MINUS + text[1:] if text.startswith("-") else text    # the panels' minus: −4.542e-05
    return show(value, precision)


def vector_compact(values, precision: int = DEFAULT_PRECISION) -> str:
    return "[" + ", ".join(compact(v, precision) for v in values) + "]"


def plain_list(values, precision: int = DEFAULT_PRECISION) -> str:
    """One value as :func:`plain` writes it, several as ``[a, b]``; None (a value past
    float64's range, which JSON and answers hold as null) as ``overflow``, and a text (a
    label) as it is. Plain, not fmt: beside a difference of 0.00014, an exact 0.000136
    shows its digits, not 0.0001."""
    text = [v if isinstance(v, str) else ("overflow" if v is None else plain(v, precision)) for v in values]
    return text[0] if len(text) == 1 else "[" + ", ".join(text) + "]"


#: Beyond this many significant digits two different float64 values read back as themselves.
MAX_DIGITS = 17


def apart(yours, truth, precision: int = DEFAULT_PRECISION):
    """Two lists of values (as :func:`plain_list` takes them), each entry that differs
    written with as many digits as it takes to see the difference: with a tolerance of
    1e-9, 0.1234567 and 0.12345678 are not both ``0.1235``. Entries that are equal, None
    or text are written as :func:`plain_list` writes them."""
    mine, true = list(yours), list(truth)
    for i, (a, b) in enumerate(zip(yours, truth)):
        if a is None or b is None or isinstance(a, str) or isinstance(b, str) or a == b:
            continue
        p = precision
        while plain(a, p) == plain(b, p) and p < MAX_DIGITS:
            p += 1
        if plain(a, p) == plain(b, p):
            mine[i], true[i] = exact(a), exact(b)
        else:
            mine[i], true[i] = plain(a, p), plain(b, p)
    return plain_list(mine), plain_list(true)


def rough(value) -> str:
    """A difference in a few significant digits (``992``, ``1.0005``, ``0.00014``): four
    from 1 up, two below; ``0`` for none and ``—`` when there is no value to compare."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return f"{value:.4g}" if value >= 1 else f"{value:.2g}"


def general(value: float) -> str:
    """Python's general form, for a setting such as a tolerance: ``0.01``, ``1e-09``."""
    return f"{value:g}"


def percent(score) -> str:
    """A fraction as a whole percentage (``0.75`` → ``75%``), ``—`` when there is none."""
    return "—" if score is None else f"{100 * score:.0f}%"


def latex_math(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """:func:`fmt` in LaTeX math: ``\\approx 0``, ``1.2346 \\times 10^{20}``, ``\\infty``."""
    text = fmt(value, precision)
    if text in ("inf", "-inf", "nan"):
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}[text]
    if "e" in text:                       # 1.2346e+20 → 1.2346 \times 10^{20}
        mantissa, _, exponent = text.partition("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text.replace("≈", r"\approx ")
