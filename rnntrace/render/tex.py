"""Text in LaTeX: the characters LaTeX reads as commands escaped, and the symbols of
the headings written in math, so that plain pdflatex needs no Unicode set-up. Used by
the answer keys (:mod:`.latex`, :mod:`.tabular`) and the worksheets."""
from __future__ import annotations

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


# In math mode the text commands above are errors (\textasciicircum, \textasciitilde,
# $…$ inside $…$): upright text there, a label in a subscript (y_{\mathrm{x^2}}), takes
# math-safe forms. ^ and ~ are the roman font's own accent characters (\char"5E, \char"7E).
_MATH = dict(_SPECIAL)
_MATH.update({"\\": r"\backslash{}", "~": r'\char"7E{}', "^": r'\char"5E{}', " ": r"\ "})
_MATH.update({ch: text.strip("$") for ch, text in _SPECIAL.items() if text.startswith("$")})


def math_text(text: str) -> str:
    """Text as upright letters inside math mode (the argument of ``\\mathrm{…}``)."""
    from ..safetext import visible
    return "".join(_MATH.get(ch, ch) for ch in visible(text))
