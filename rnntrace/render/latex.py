"""LaTeX answer keys: a ``table`` with a ``tabular`` per layer, to paste into any
document as it is (no package beyond LaTeX itself: rules are ``\\hline``; a smaller
font for more columns and narrow column gaps keep even a two-layer LSTM's tables within
an article's text width). A layer of more than :data:`LONG_ROWS` rows is a ``longtable``
instead, which breaks across pages; a comment at the top says it needs the package.

Numbers are in math mode, rounded for reading (``--precision``), ``\\approx`` where a
value only rounds to a whole number; a layer of several units has a row per step and
unit (a rule between steps), and the input x is written ``[a, b]``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from .numbers import DEFAULT_PRECISION, fmt
from .tabular import layer_tables

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            # the symbols of the headings, so that plain pdflatex needs no Unicode set-up
            "σ": r"$\sigma$", "≈": r"$\approx$", "→": r"$\rightarrow$", "←": r"$\leftarrow$",
            "…": r"\ldots{}", "−": "-", "·": r"$\cdot$", "∘": r"$\circ$", "Σ": r"$\Sigma$",
            "ᵀ": r"$^{T}$", "½": r"$\frac{1}{2}$", "√": r"$\surd$", "‖": r"$\|$", "≤": r"$\le$",
            "≥": r"$\ge$", "×": r"$\times$", "∂": r"$\partial$", "η": r"$\eta$", "θ": r"$\theta$"}


def escape(text: str) -> str:
    """Text safe in a LaTeX paragraph or table cell; a control character is first
    written in its visible form (``\\x1b``, safetext), whose backslash is then escaped."""
    from ..safetext import visible
    return "".join(_SPECIAL.get(ch, ch) for ch in visible(text))


def number(value: float, precision: int) -> str:
    text = fmt(value, precision)
    if text in ("inf", "-inf", "nan"):
        return {"inf": r"\infty", "-inf": r"-\infty", "nan": r"\mathrm{NaN}"}[text]
    if "e" in text:                       # 1.2346e+20 → 1.2346 \times 10^{20}
        mantissa, _, exponent = text.partition("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text.replace("≈", r"\approx ")


def cell(value, precision: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, np.ndarray):
        return f"${value}$" if isinstance(value, int) else escape(value)
    values = np.asarray(value, dtype=np.float64).ravel()
    if values.size == 1:
        return f"${number(values[0], precision)}$"
    return "$[" + ", ".join(number(v, precision) for v in values) + "]$"


#: A table of more rows than this is a ``longtable``, which breaks across pages; a
#: ``table`` float is one block, and pdflatex cuts off what does not fit on its page.
LONG_ROWS = 40
LONGTABLE_NOTE = (f"% The tables of more than {LONG_ROWS} rows are longtables, which break across pages:\n"
                  "% they need \\usepackage{longtable} in the preamble.")


def trace_latex(trace, steps=None, layers: Optional[Sequence[str]] = None,
                precision: int = DEFAULT_PRECISION) -> str:
    steps = list(trace.steps) if steps is None else list(steps)
    title = trace.spec.title
    out: List[str] = []
    for table in layer_tables(trace.spec, steps, layers):
        caption = f"\\caption{{{escape((f'{title}: ' if title else '') + table.heading)}}}"
        align = "".join("l" if c.text else "r" for c in table.columns)
        size = r"\small" if len(table.columns) <= 8 else \
            r"\footnotesize" if len(table.columns) <= 12 else r"\scriptsize"
        header = [r"    \hline", "    " + " & ".join(c.latex for c in table.columns) + r" \\", r"    \hline"]
        body: List[str] = []
        for first, cells in table.rows(steps):
            if first and table.units > 1 and body and body[-1] != r"    \hline":
                body.append(r"    \hline")
            body.append("    " + " & ".join(cell(v, precision) for v in cells) + r" \\")
        if len(steps) * table.units > LONG_ROWS:
            # the header is repeated at the top of every page (\endhead)
            out += [r"\begingroup", f"  {size}", r"  \setlength{\tabcolsep}{3pt}",
                    f"  \\begin{{longtable}}{{{align}}}", f"    {caption} \\\\", *header, r"    \endfirsthead",
                    *header, r"    \endhead", *body, r"    \hline", r"  \end{longtable}", r"\endgroup", ""]
        else:
            out += [r"\begin{table}[ht]", r"  \centering", f"  {size}", r"  \setlength{\tabcolsep}{3pt}",
                    f"  {caption}", f"  \\begin{{tabular}}{{{align}}}", *header, *body,
                    r"    \hline", r"  \end{tabular}", r"\end{table}", ""]
    if any(line.startswith(r"  \begin{longtable}") for line in out):
        out.insert(0, LONGTABLE_NOTE)
    return "\n".join(out)
