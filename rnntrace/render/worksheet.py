"""Exercise sheets and answer keys (Markdown, LaTeX) and answers files (YAML in the
format ``rnntrace check`` reads), from a :class:`rnntrace.worksheet.Sheet`.
Numbers are only formatted here; the sheet holds them."""
from __future__ import annotations

import json
import re
from typing import List, Optional, Sequence

from .latex import escape as tex
from .numbers import DEFAULT_PRECISION, exact, fmt
from .quantities import function_name

#: Each activation function a sheet may use, defined: (plain text, LaTeX math).
DEFINITIONS = {
    "linear": ("linear(z) = z", r"\mathrm{linear}(z) = z"),
    "sigmoid": ("σ(z) = 1 / (1 + e^(−z))", r"\sigma(z) = \frac{1}{1 + e^{-z}}"),
    "hard_sigmoid": ("hσ(z) = clip(0.2·z + 0.5, 0, 1)", r"h\sigma(z) = \mathrm{clip}(0.2 z + 0.5,\ 0,\ 1)"),
    "tanh": ("tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))", r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}"),
    "relu": ("relu(z) = max(0, z)", r"\mathrm{relu}(z) = \max(0, z)"),
    "softmax": ("softmax(z)_k = e^(z_k) / Σ_j e^(z_j)",
                r"\mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}"),
}

# --------------------------------------------------------------------------- shared


def _columns(sheet) -> List[tuple]:
    """(heading, quantity, unit index or None): one blank per entry of a quantity."""
    cols = []
    names = sheet.unit_names or {}
    for q, size in zip(sheet.quantities, sheet.sizes):
        if q in names:          # a dense layer with labels: y[destination], y[time], …
            cols.extend((f"{q}[{label}]", q, u) for u, label in enumerate(names[q]))
        elif size == 1:
            cols.append((q, q, None))
        else:
            cols.extend((f"{q}[{u + 1}]", q, u) for u in range(size))
    return cols


def _cell(sheet, t: int, q: str, unit: Optional[int], precision: int) -> str:
    values = sheet.values[t][q]
    value = values[0 if unit is None else unit]
    return "overflow" if value is None else fmt(value, precision)


def _check_command(sheet, answers: str):
    """The ``rnntrace check`` command for this sheet's answers, and what to do first: a
    spec read from standard input cannot be read again, so the command names a file."""
    if sheet.source == "<stdin>":
        return f"rnntrace check my_spec.yaml {answers}", ", with the spec saved as my_spec.yaml"
    return f"rnntrace check {sheet.source} {answers}", ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def describe(layer) -> str:
    """A layer's kind, size and activations in a few words, in the panels' wording."""
    return layer.home.sheet_text(layer)


def _numbers(values) -> str:
    return ", ".join(exact(v) for v in values)


def _weights_text(value) -> str:
    """[1, 0, 0] for a row or a vector; [[1, 0], [0, 1]] for a matrix of several rows."""
    if value.ndim == 2 and value.shape[0] == 1:
        return f"[{_numbers(value[0])}]"
    if value.ndim == 2:
        return "[" + ", ".join(f"[{_numbers(row)}]" for row in value) + "]"
    return _numbers(value) if value.size == 1 else f"[{_numbers(value)}]"


def _input_text(sheet, t: int) -> str:
    return "[" + _numbers(sheet.inputs[t]) + "]"


# --------------------------------------------------------------------------- Markdown

def _md_escape(text: str) -> str:
    from ..safetext import markdown
    return markdown(text)


def _md_code(text: str) -> str:
    from ..safetext import markdown_code
    return markdown_code(text)


def markdown(sheet, key: bool = False, precision: int = DEFAULT_PRECISION) -> str:
    lines = [f"# {'Answer key' if key else 'Exercise'}: {_md_escape(sheet.title)}", ""]
    if key:
        lines.append(f"The exact values of {_md_code(sheet.source)}, rounded to {precision} decimals "
                     "(≈ marks a value that only rounds to a whole number).")
    else:
        lines.append("Compute the empty cells by hand, one time step after the other. "
                     "The memory starts at 0 unless the network says otherwise.")
    lines += ["", "## The network", ""]
    for i, layer in enumerate(sheet.layers, 1):
        lines.append(f"{i}. **{_md_escape(layer.name)}**: {_md_escape(describe(layer.layer))}")
        for name, value in layer.weights:
            lines.append(f"   - {_md_code(name)} = `{_weights_text(value)}`")
    lines += ["", "The activation functions:", ""]
    lines += [f"- {name}: `{DEFINITIONS[name][0]}`" for name in sheet.activations]
    lines += ["", "## The inputs" + (" and the answers" if key else " and your answers"), ""]
    if sheet.lexicon:
        lines += [f"Each word is 1-of-N encoded over: {', '.join(_md_escape(w) for w in sheet.lexicon)}.", ""]
    cols = _columns(sheet)
    head = ["t"] + (["word"] if sheet.tokens else []) + ["x"] + [_md_code(c[0]) for c in cols]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join("---:" if h == "t" else "---" for h in head) + "|")
    for t in range(len(sheet.inputs)):
        row = [str(t + 1)] + ([_md_escape(sheet.tokens[t])] if sheet.tokens else []) + [_input_text(sheet, t)]
        row += [(_cell(sheet, t, q, u, precision) if key else " ") for _, q, u in cols]
        lines.append("| " + " | ".join(row) + " |")
    if not key:
        command, first = _check_command(sheet, "answers.yaml")
        lines += ["", "Check your answers: write them in an answers file (" +
                  _md_code("steps: {1: {" + ", ".join(f"{q}: …" for q in sheet.quantities[:2]) + "}}") +
                  f") and run {_md_code(command)}{first}."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- LaTeX

def _tex_number(text: str) -> str:
    return "$" + text.replace("≈", r"\approx ") + "$"


def _tex_matrix(value) -> str:
    rows = value if value.ndim == 2 else value.reshape(1, -1)
    if rows.size == 1:
        return _tex_number(exact(rows[0, 0]))
    body = r" \\ ".join(" & ".join(exact(v) for v in row) for row in rows)
    return f"$\\left[\\begin{{array}}{{{'r' * rows.shape[1]}}} {body} \\end{{array}}\\right]$"


def latex(sheet, key: bool = False, precision: int = DEFAULT_PRECISION) -> str:
    """A LaTeX fragment (no preamble) to paste into a document."""
    lines = [f"% {'Answer key' if key else 'Exercise'} made by rnntrace worksheet from {tex(sheet.source)}",
             f"\\section*{{{'Answer key' if key else 'Exercise'}: {tex(sheet.title)}}}"]
    lines.append("The exact values, rounded to " + str(precision) + " decimals." if key else
                 "Compute the empty cells by hand, one time step after the other. "
                 "The memory starts at 0 unless the network says otherwise.")
    lines += ["", r"\subsection*{The network}", r"\begin{enumerate}"]
    for layer in sheet.layers:
        lines.append(f"\\item \\textbf{{{tex(layer.name)}}}: {tex(describe(layer.layer))}")
        lines.append(r"  \begin{itemize}")
        for name, value in layer.weights:
            lines.append(f"  \\item \\texttt{{{tex(name)}}} $=$ {_tex_matrix(value)}")
        lines.append(r"  \end{itemize}")
    lines += [r"\end{enumerate}", "", "The activation functions:", r"\begin{itemize}"]
    lines += [f"\\item {tex(name)}: ${DEFINITIONS[name][1]}$" for name in sheet.activations]
    lines += [r"\end{itemize}", "", r"\subsection*{The inputs and " + ("the" if key else "your") + " answers}"]
    if sheet.lexicon:
        lines.append(f"Each word is 1-of-N encoded over: {tex(', '.join(sheet.lexicon))}.")
        lines.append("")
    cols = _columns(sheet)
    head = ["$t$"] + (["word"] if sheet.tokens else []) + ["$x$"] + [f"\\texttt{{{tex(c[0])}}}" for c in cols]
    spec = "|r|" + ("l|" if sheet.tokens else "") + "l|" + "c|" * len(cols)
    lines += [r"\begin{center}", f"\\begin{{tabular}}{{{spec}}}", r"\hline", " & ".join(head) + r" \\",
              r"\hline"]
    blank = r"\rule{0pt}{3ex}\hspace{2.2cm}"
    for t in range(len(sheet.inputs)):
        row = [str(t + 1)] + ([tex(sheet.tokens[t])] if sheet.tokens else [])
        row.append(_tex_number(_input_text(sheet, t)))
        row += [(_tex_number(_cell(sheet, t, q, u, precision)) if key else blank) for _, q, u in cols]
        lines.append(" & ".join(row) + r" \\ \hline")
    lines += [r"\end{tabular}", r"\end{center}"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- answers file

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _yaml_key(name: str) -> str:
    return name if _PLAIN_KEY.fullmatch(name) else json.dumps(name, ensure_ascii=False)


def _yaml_value(values: Sequence[Optional[float]], where: str) -> str:
    if any(v is None for v in values):
        from ..errors import RnntraceError
        raise RnntraceError(f"{where} is not a finite number, so it cannot be written as an answer")
    text = [exact(v) for v in values]
    return text[0] if len(text) == 1 else "[" + ", ".join(text) + "]"


def answers_yaml(sheet) -> str:
    """A filled answers file (DESIGN §5) with the exact float64 values: a key that
    ``rnntrace check`` marks right, and that students' files can be compared with."""
    lines = [f"# Answers for {sheet.source}: the exact values, written by rnntrace answers.",
             "# Check a file of hand-computed answers: %s%s" % _check_command(sheet, "my_answers.yaml"),
             "steps:"]
    for t, values in enumerate(sheet.values, 1):
        items = [f"{_yaml_key(q)}: {_yaml_value(values[q], f'{q} at step {t}')}" for q in sheet.quantities]
        if len(items) <= 4:     # short: one line per step
            lines.append(f"  {t}: {{{', '.join(items)}}}")
        else:
            lines.append(f"  {t}:")
            lines.extend(f"    {item}" for item in items)
    return "\n".join(lines) + "\n"
