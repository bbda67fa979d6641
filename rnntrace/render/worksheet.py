"""Exercise sheets and answer keys (Markdown, LaTeX) and answers files (YAML in the
format ``rnntrace check`` reads), from a :class:`rnntrace.sheet.Sheet`.
Numbers are only formatted here; the sheet holds them."""
from __future__ import annotations

import json
import re
from typing import Dict, List, Optional, Sequence, Tuple

from .latex import LONG_ROWS, LONGTABLE_NOTE
from .tex import escape as tex, math_text
from .numbers import DEFAULT_PRECISION, exact, fmt

def _definition(name: str) -> Tuple[str, str]:
    """(plain text, LaTeX math) defining an activation function: from the one table."""
    from ..layers.activations import definition
    return definition(name)


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


def layer_in_words(layer) -> str:
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


# --------------------------------------------------------------------------- the maths and the steps

def _named(parameters: Sequence[str]) -> bool:
    """Worth saying which parameters a formula's W, U, b are: they have longer names
    (``<block>.W``) than the formula's own letters."""
    return any("." in p for p in parameters)


def _parameter_note(names: Sequence[str]) -> str:
    return ", ".join(names)


def _steps_text(steps: Sequence[int]) -> str:
    """1, 2, 3, 5 → "1–3 and 5"."""
    runs: List[List[int]] = []
    for t in steps:
        if runs and t == runs[-1][-1] + 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    parts = [f"{r[0]}" if len(r) == 1 else f"{r[0]}, {r[1]}" if len(r) == 2 else f"{r[0]}–{r[-1]}"
             for r in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _task(sheet) -> str:
    """What the sheet asks, in a sentence: which steps are asked, given and worked."""
    steps = len(sheet.inputs)
    given = [t for t in range(1, sheet.shown + 1) if t not in sheet.asked and t not in sheet.worked]
    text = (f"Compute the empty cells by hand at step{'s' if len(sheet.asked) != 1 else ''} "
            f"{_steps_text(sheet.asked)}, one step after the other." if sheet.asked else
            "Follow the worked example.")
    if sheet.worked:
        text += f" Step{'s' if len(sheet.worked) != 1 else ''} {_steps_text(sheet.worked)} " \
                f"{'is' if len(sheet.worked) == 1 else 'are'} worked out below as an example."
    if given:
        text += f" The values at step{'s' if len(given) != 1 else ''} {_steps_text(given)} are given."
    if sheet.shown < steps:
        text += f" (The sequence has {steps} steps; the ones after step {sheet.shown} are not needed.)"
    return text + " The memory starts at 0 unless the network says otherwise."


def _worked_lines(sheet, precision: int):
    """(step, word or None, [(layer name, legend, lines)]) for each worked step: the
    arithmetic exactly as ``run --explain`` writes it."""
    from ..layers import legend
    from .explain import step_lines
    out = []
    for t in sheet.worked:
        step = sheet.trace[t - 1]
        layers = [(name, legend(sheet.spec.layer(name)), lines)
                  for name, lines in step_lines(sheet.spec, step, None, precision)]
        out.append((t, step.token, layers))
    return out


# --------------------------------------------------------------------------- Markdown

def _md_escape(text: str) -> str:
    from ..safetext import markdown
    return markdown(text)


def _md_code(text: str) -> str:
    from ..safetext import markdown_code
    return markdown_code(text)


def _md_matrix(name: str, value, columns: Sequence[str], units: Sequence[str]) -> List[str]:
    """A weight whose columns are named (1-of-N words): a small table, a row per unit."""
    rows = value if value.ndim == 2 else value.reshape(1, -1)
    lines = ["", f"     | {_md_code(name)} | " + " | ".join(_md_escape(c) for c in columns) + " |",
             "     |---|" + "---:|" * len(columns)]
    for u, row in enumerate(rows):
        unit = units[u] if u < len(units) else str(u + 1)
        lines.append(f"     | {_md_escape(unit)} | " + " | ".join(exact(v) for v in row) + " |")
    return lines + [""]


def _md_equations(layer) -> List[str]:
    from .equations import groups
    lines: List[str] = []
    for group in groups(layer.description or {}):
        indent = "   "
        if group.title:
            lines.append(f"   - {group.title}:")
            indent = "     "
        for eq in group.equations:
            note = f" (with {_parameter_note(eq.parameters)})" if _named(eq.parameters) else ""
            lines.append(f"{indent}- `{eq.name} = {eq.formula}`{note}")
        if group.symbols:
            lines.append(f"{indent}- where " + ", ".join(f"`{a} = {b}`" for a, b in group.symbols))
    return lines


def _check_hint(sheet) -> Tuple[str, str, str]:
    """How to check answers with rnntrace (``--check-hint``): the answers file's form, the
    command and what to do first. Off by default: ``rnntrace check`` with the spec
    computes every answer, which a sheet handed out in class should not tell."""
    command, first = _check_command(sheet, "answers.yaml")
    return "steps: {1: {" + ", ".join(f"{q}: …" for q in sheet.quantities[:2]) + "}}", command, first


def markdown(sheet, key: bool = False, precision: int = DEFAULT_PRECISION, check_hint: bool = False) -> str:
    lines = [f"# {'Answer key' if key else 'Exercise'}: {_md_escape(sheet.title)}", ""]
    if key:
        lines.append(f"The exact values of {_md_code(sheet.source)}, rounded to {precision} decimals "
                     "(≈ marks a value that only rounds to a whole number).")
    else:
        lines.append(_task(sheet))
    lines += ["", "## The network", ""]
    for i, layer in enumerate(sheet.layers, 1):
        lines.append(f"{i}. **{_md_escape(layer.name)}**: {_md_escape(layer_in_words(layer.layer))}")
        units = (layer.description or {}).get("units") or []
        for name, value in layer.weights:
            columns = (layer.columns or {}).get(name)
            if columns:
                lines.append(f"   - {_md_code(name)}, a column per word:")
                lines += _md_matrix(name, value, columns, units)
            else:
                lines.append(f"   - {_md_code(name)} = `{_weights_text(value)}`")
        equations = _md_equations(layer)
        if equations:
            lines.append("   - at each step t:")
            lines += ["  " + line for line in equations]
    lines += ["", "The activation functions:", ""]
    lines += [f"- {name}: `{_definition(name)[0]}`" for name in sheet.activations]
    lines += ["", "## The inputs" + (" and the answers" if key else " and your answers"), ""]
    if sheet.lexicon:
        lines += [f"Each word is 1-of-N encoded over: {', '.join(_md_escape(w) for w in sheet.lexicon)}.", ""]
    cols = _columns(sheet)
    head = ["t"] + (["word"] if sheet.tokens else []) + ["x"] + [_md_code(c[0]) for c in cols]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join("---:" if h == "t" else "---" for h in head) + "|")
    for t in range(sheet.shown):
        filled = key or sheet.given(t + 1)
        row = [str(t + 1)] + ([_md_escape(sheet.tokens[t])] if sheet.tokens else []) + [_input_text(sheet, t)]
        row += [(_cell(sheet, t, q, u, precision) if filled else " ") for _, q, u in cols]
        lines.append("| " + " | ".join(row) + " |")
    for t, word, layers in _worked_lines(sheet, precision):
        lines += ["", f"## Worked example: step {t}" + (f" ({_md_escape(word)})" if word is not None else ""), "",
                  "```text"]
        from .explain import as_text
        for name, legend, step_lines in layers:
            lines.append(f"# {name}: {legend}")
            lines.append(as_text(step_lines))
        lines.append("```")
    if check_hint and not key:
        form, command, first = _check_hint(sheet)
        lines += ["", f"Check your answers: write them in an answers file ({_md_code(form)}) and run "
                  f"{_md_code(command)}{first}."]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- LaTeX
#
# A sheet's tables must fit an article's text width (345 pt at 10 pt). Each layer gets
# its own tables, a row per step and unit (as `run --format latex` writes them), and a
# layer asked for more columns than fit is split into several tables, each repeating
# t, the input and the unit. Widths are estimated from the text of each cell.

#: The width a sheet's table may take, in pt (an article's \textwidth is 345 pt).
TEXT_WIDTH = 340.0
#: A blank answer cell, wide enough for "−0.1234" written by hand.
BLANK = r"\rule{0pt}{3.2ex}\hspace{1.5cm}"
BLANK_PT = 42.7
_GAP_PT = 2 * 4.0 + 0.4      # \tabcolsep 4 pt on each side, and the rule
_CHAR_PT = 5.0               # a character of text or a digit at 10 pt (a digit is 5 pt)


def _tex_number(text: str) -> str:
    return "$" + text.replace("≈", r"\approx ") + "$"


def _tex_width(latex: str) -> float:
    """A generous estimate of how wide a cell's LaTeX is, in pt."""
    text = re.sub(r"\\(mathrm|texttt|textbf|text)\{", "", latex)
    text = re.sub(r"\\[A-Za-z]+", "M", text)          # a command: about one wide letter
    text = re.sub(r"[{}$_^]", "", text)
    return len(text) * _CHAR_PT


#: The width a weight matrix may take beside its name in the list of weights, in pt.
MATRIX_WIDTH = 200.0


def _matrix_parts(value, columns: Optional[Sequence[str]] = None) -> List[Tuple[int, int]]:
    """Column ranges (start, stop) of a matrix that each fit :data:`MATRIX_WIDTH`."""
    rows = value if value.ndim == 2 else value.reshape(1, -1)
    widths = []
    for j in range(rows.shape[1]):
        label = 0.85 * _tex_width(tex(columns[j])) if columns else 0.0     # \scriptstyle
        widths.append(max([label] + [_tex_width(exact(v)) for v in rows[:, j]]) + 10.0)
    parts, start, used = [], 0, 0.0
    for j, w in enumerate(widths):
        if j > start and used + w > MATRIX_WIDTH:
            parts.append((start, j))
            start, used = j, 0.0
        used += w
    return parts + [(start, len(widths))]


def _tex_weight(name: str, value, columns: Optional[Sequence[str]], units: Sequence[str]) -> List[str]:
    """The list items of one weight: the matrix, in parts of columns where it is wide."""
    parts = _matrix_parts(value, columns) if value.ndim >= 1 and value.size > 1 else [(0, 0)]
    if len(parts) == 1:
        return [f"  \\item \\texttt{{{tex(name)}}} $=$ {_tex_matrix(value, columns, units)}"]
    rows = value if value.ndim == 2 else value.reshape(1, -1)
    return [f"  \\item \\texttt{{{tex(name)}}}, columns {a + 1}--{b}: "
            f"{_tex_matrix(rows[:, a:b], None if columns is None else columns[a:b], units)}" for a, b in parts]


def _tex_matrix(value, columns: Optional[Sequence[str]] = None, units: Sequence[str] = ()) -> str:
    rows = value if value.ndim == 2 else value.reshape(1, -1)
    if rows.size == 1 and not columns:
        return _tex_number(exact(rows[0, 0]))
    body = r" \\ ".join(" & ".join(exact(v) for v in row) for row in rows)
    if columns:     # 1-of-N: the words over the columns, the units beside the rows
        head = " & ".join(r"\scriptstyle\mathrm{" + math_text(c) + "}" for c in columns)
        side = r" \\ ".join(r"\scriptstyle\mathrm{" + math_text(u) + "}" for u in units[:rows.shape[0]]) \
            if units else ""
        array = (f"\\begin{{array}}{{{'r' * rows.shape[1]}}} {head} \\\\ \\hline {body} \\end{{array}}")
        if side:
            return (f"$\\begin{{array}}{{r}} \\\\ {side} \\end{{array}}"
                    f"\\left[{array}\\right]$")
        return f"$\\left[{array}\\right]$"
    return f"$\\left[\\begin{{array}}{{{'r' * rows.shape[1]}}} {body} \\end{{array}}\\right]$"


def _tex_equations(layer) -> List[str]:
    from .equations import groups, symbols_latex
    out: List[str] = []
    for group in groups(layer.description or {}):
        title = f"{tex(group.title)}: " if group.title else ""
        for eq in group.equations:
            note = (r" \quad {\small(" + ", ".join(f"\\texttt{{{tex(p)}}}" for p in eq.parameters) + ")}"
                    if _named(eq.parameters) else "")
            out.append(f"  \\item {title}${eq.latex}${note}")
        if group.symbols:
            out.append(f"  \\item {title}where " + ", ".join(f"${s}$" for s in symbols_latex(group)))
    return out


def _quantity_latex(sheet, path: str) -> Tuple[str, str]:
    """(the layer it belongs to, its header in LaTeX) for an asked path."""
    from ..layers import quantities
    if "." not in path:                 # y: the network's output, shown with the last layer
        return sheet.layers[-1].name, "output $y$"
    name, _, rest = path.partition(".")
    layer = next(info.layer for info in sheet.layers if info.name == name)
    for q in quantities(layer):
        if q.path == rest:
            latex = q.latex if "$" in q.latex else f"${q.latex}$"
            return name, latex
    # a memory the layer reads but does not show (h_{t-1} of an LSTM without U): its own name
    from .equations import to_latex
    leaf = rest.rpartition('.')[2]
    return name, "$" + to_latex(leaf, {leaf: _PREV.sub(r"\1_{t-1}", leaf)}) + "$"


class _Table:
    """One LaTeX table of a sheet: some quantities of one layer, a row per step and unit."""

    def __init__(self, sheet, layer_name: str, paths: List[str], headers: List[str]):
        self.sheet, self.layer, self.paths, self.headers = sheet, layer_name, paths, headers
        self.units = max(len(sheet.values[0][p]) for p in paths)
        names = (sheet.unit_names or {})
        self.unit_names = next((names[p] for p in paths if p in names), None)

    def unit_label(self, u: int) -> str:
        if self.unit_names and u < len(self.unit_names):
            return tex(self.unit_names[u])
        return str(u + 1)


def _input_cell(sheet, t: int) -> str:
    return tex(sheet.tokens[t]) if sheet.tokens else _tex_number(_input_text(sheet, t))


#: An input x wider than this (in pt) is listed above the tables instead of in them.
WIDE_INPUT = 110.0


def _input_in_tables(sheet) -> bool:
    return bool(sheet.tokens) or max(_tex_width(_input_cell(sheet, t)) for t in range(sheet.shown)) <= WIDE_INPUT


def _inputs_list(sheet) -> List[str]:
    """Inputs too wide for a table column, a line each, which may wrap between numbers."""
    lines = [r"{\raggedright"]
    for t in range(sheet.shown):
        numbers = ", ".join(_tex_number(exact(v)) for v in sheet.inputs[t])
        lines.append(f"$x_{{{t + 1}}} = [$" + numbers + r"$]$\par")
    return lines + ["}"]


def _fixed_width(sheet, table: "_Table") -> float:
    width = _GAP_PT + 2 * _CHAR_PT                                       # t
    if _input_in_tables(sheet):
        width += _GAP_PT + max([_tex_width(_input_cell(sheet, t)) for t in range(sheet.shown)] +
                               [_tex_width("word")])
    if table.units > 1:
        width += _GAP_PT + max(_tex_width("unit"), *(_tex_width(table.unit_label(u)) for u in range(table.units)))
    return width


def _tables(sheet, key: bool, precision: int) -> List[_Table]:
    """The sheet's tables: per layer its asked quantities, split where too wide."""
    by_layer: Dict[str, List[Tuple[str, str]]] = {}
    for path in sheet.quantities:
        name, header = _quantity_latex(sheet, path)
        by_layer.setdefault(name, []).append((path, header))
    tables: List[_Table] = []
    for info in sheet.layers:
        asked = by_layer.get(info.name, [])
        # fill tables left to right while they fit
        current: List[Tuple[str, str]] = []
        for path, header in asked:
            trial = _Table(sheet, info.name, [p for p, _ in current + [(path, header)]],
                           [h for _, h in current + [(path, header)]])
            if current and _table_width(sheet, trial, key, precision) > TEXT_WIDTH:
                tables.append(_Table(sheet, info.name, [p for p, _ in current], [h for _, h in current]))
                current = []
            current.append((path, header))
        if current:
            tables.append(_Table(sheet, info.name, [p for p, _ in current], [h for _, h in current]))
    return tables


def _column_width(sheet, table: "_Table", path: str, header: str, key: bool, precision: int) -> float:
    width = _tex_width(header)
    for t in range(sheet.shown):
        if key or sheet.given(t + 1):
            for u in range(len(sheet.values[t][path])):
                width = max(width, _tex_width(_tex_number(_cell(sheet, t, path, u, precision))))
        else:
            width = max(width, BLANK_PT)
    return _GAP_PT + width


def _table_width(sheet, table: "_Table", key: bool, precision: int) -> float:
    return _fixed_width(sheet, table) + sum(_column_width(sheet, table, p, h, key, precision)
                                            for p, h in zip(table.paths, table.headers))


def _tex_table(sheet, table: "_Table", key: bool, precision: int, caption: str) -> List[str]:
    multi = table.units > 1
    with_input = _input_in_tables(sheet)
    align = "r" + (("l" if sheet.tokens else "r") if with_input else "") + ("l" if multi else "") + \
        "c" * len(table.paths)
    head = ["$t$"] + (["word" if sheet.tokens else "$x$"] if with_input else []) + (["unit"] if multi else []) + \
        table.headers
    unit_column = 2 + with_input                # where a step's rows of units differ
    long = sheet.shown * table.units > LONG_ROWS
    lines = [r"\begingroup", r"\setlength{\tabcolsep}{4pt}"]
    if long:
        lines += [f"\\begin{{longtable}}{{|{'|'.join(align)}|}}",
                  f"\\multicolumn{{{len(head)}}}{{l}}{{{caption}}} \\\\",
                  r"\hline", " & ".join(head) + r" \\", r"\hline", r"\endfirsthead",
                  r"\hline", " & ".join(head) + r" \\", r"\hline", r"\endhead"]
    else:
        lines += [r"\begin{center}", caption, r"\par\smallskip", f"\\begin{{tabular}}{{|{'|'.join(align)}|}}",
                  r"\hline", " & ".join(head) + r" \\", r"\hline"]
    for t in range(sheet.shown):
        filled = key or sheet.given(t + 1)
        for u in range(table.units):
            row = [str(t + 1) if u == 0 else ""] + ([_input_cell(sheet, t) if u == 0 else ""] if with_input else [])
            if multi:
                row.append(table.unit_label(u))
            for path in table.paths:
                values = sheet.values[t][path]
                if u >= len(values):
                    row.append("")
                else:
                    row.append(_tex_number(_cell(sheet, t, path, u, precision)) if filled else BLANK)
            # a rule under the step's last unit; between its units, only under the unit's cells
            end = r" \\ \hline" if u == table.units - 1 else r" \\ \cline{" + f"{unit_column}-{len(head)}" + "}"
            lines.append(" & ".join(row) + end)
    if long:
        lines += [r"\end{longtable}", r"\endgroup"]
    else:
        lines += [r"\end{tabular}", r"\end{center}", r"\endgroup"]
    return lines


#: A number as the arithmetic writes it in scientific form: 4.5398e-05.
_SCIENTIFIC = re.compile(r"(\d+(?:\.\d+)?)e([-+]?)0*(\d+)")
#: What the arithmetic says in words after a value: σ(90) = 1 (in float64).
_NOTE = re.compile(r"\s*\((in float(?:32|64))\)")
#: A memory read as the text writes it (c_prev) and as the sheet's equations do (c_{t-1}).
_PREV = re.compile(r"\b([A-Za-z])_prev\b")
#: A quantity of one unit, as the arithmetic names it: z[2], y[destination].
_UNIT = re.compile(r"(?P<name>.*?)\[(?P<unit>[^\]]*)\]")


def _layer_names(layer) -> Dict[str, str]:
    """The LaTeX of each name the layer's formulas use (c_prev → c_{t-1}), as its
    equations are typeset (render.equations), so that a sheet has one notation."""
    from .equations import _name, _strip, _WORD
    names: Dict[str, str] = {}

    def walk(node):
        for q in node.get("quantities", ()):
            name = _name(q.get("label", q["path"]))
            if _WORD.fullmatch(name) and "latex" in q:
                names.setdefault(name, _strip(q["latex"]))
        for value in node.values():
            if isinstance(value, dict) and "quantities" in value:
                walk(value)

    walk(layer.description or {})
    return names


def _worked_math(text: str, names: Dict[str, str]) -> Tuple[str, List[str]]:
    """A line of arithmetic as ``run --explain`` writes it, as LaTeX math (without the
    $) in the sheet's notation: 4.5398e-05 as 4.5398·10^{-5}, (≈0) as (\\approx 0), a
    memory read as its equations write it; and the notes it makes in words
    (``in float64``), which stay words."""
    from .equations import to_latex
    notes: List[str] = []
    text = _NOTE.sub(lambda m: notes.append(m.group(1)) or "", text)
    out = []
    for part in re.split(r"(\d+(?:\.\d+)?e[-+]?\d+|≈)", text):
        number = _SCIENTIFIC.fullmatch(part)
        if number:
            out.append(f"{number[1]} \\cdot 10^{{{'-' if number[2] == '-' else ''}{number[3]}}}")
        elif part == "≈":
            out.append(r"\approx ")
        elif part:
            prev = {f"{m}_prev": f"{m}_{{t-1}}" for m in _PREV.findall(part)}
            out.append(to_latex(part, {**prev, **names}))
    return "".join(out), notes


def _worked_lhs(lhs: str, names: Dict[str, str]) -> str:
    """The quantity a line computes, as maths: z_i, z[2]; a unit named by its label
    (z[destination]) has the label upright, as text."""
    unit = _UNIT.fullmatch(lhs)
    if unit is None:
        return _worked_math(lhs, names)[0]
    label = unit["unit"]
    label = label if label.isdigit() else r"\mathrm{" + math_text(label) + "}"
    return _worked_math(unit["name"], names)[0] + "[" + label + "]"


def _tex_words(text: str, names: Dict[str, str]) -> str:
    """Words with formulas in them (a legend, a note): text, with each memory read in
    the sheet's notation (h_prev → $h_{t-1}$)."""
    parts = _PREV.split(text)
    out = [tex(parts[0])]
    for i in range(1, len(parts), 2):
        name = f"{parts[i]}_prev"
        out.append("$" + names.get(name, f"{parts[i]}_{{t-1}}") + "$" + tex(parts[i + 1]))
    return "".join(out)


def _tex_line(lhs: str, rhs: str, names: Dict[str, str]) -> str:
    """One line of worked arithmetic, as maths: a paragraph that wraps (after = and +)
    with a hanging indent. A line without a left-hand side is a note in words; the label
    a softmax picks (``→ destination``, ``→ a tie between yes and no``) is words too."""
    if not lhs:
        return r"\noindent " + _tex_words(rhs, names) + r"\par"
    winner = ""
    if rhs.startswith("softmax(") and " → " in rhs:
        rhs, winner = rhs.rsplit(" → ", 1)
    math, notes = _worked_math(rhs, names)
    sep = " " if rhs.startswith("←") else " = "
    line = f"${_worked_lhs(lhs, names)}{sep}{math}" + (r" \rightarrow$ " + tex(winner) if winner else "$")
    return r"\noindent\hangindent=2em\hangafter=1 " + line + "".join(f" ({note})" for note in notes) + r"\par"


def latex(sheet, key: bool = False, precision: int = DEFAULT_PRECISION, standalone: bool = False,
          check_hint: bool = False) -> str:
    """A LaTeX fragment (no preamble) to paste into a document, or with ``standalone`` a
    whole document that compiles alone with plain pdflatex (a student's sheet opens
    with a line for the name). Every table fits an article's text width; a table of more
    than :data:`LONG_ROWS` rows is a longtable (a fragment's first line then says it
    needs the package; a document loads it)."""
    lines = [f"% {'Answer key' if key else 'Exercise'} made by rnntrace worksheet from {tex(sheet.source)}",
             r"{\raggedright" f"\\section*{{{'Answer key' if key else 'Exercise'}: {tex(sheet.title)}}}" "}"]
    lines.append("The exact values, rounded to " + str(precision) + " decimals." if key else tex(_task(sheet)))
    lines += ["", r"\subsection*{The network}", r"\begin{enumerate}"]
    for layer in sheet.layers:
        lines.append(f"\\item \\textbf{{{tex(layer.name)}}}: {tex(layer_in_words(layer.layer))}")
        lines.append(r"  \begin{itemize}")
        units = (layer.description or {}).get("units") or []
        for name, value in layer.weights:
            lines += _tex_weight(name, value, (layer.columns or {}).get(name), units)
        lines.append(r"  \end{itemize}")
        equations = _tex_equations(layer)
        if equations:
            lines += [r"  At each step $t$:", r"  \begingroup\raggedright", r"  \begin{itemize}"] + \
                ["  " + e for e in equations] + [r"  \end{itemize}", r"  \endgroup"]
    lines += [r"\end{enumerate}", "", "The activation functions:", r"\begin{itemize}"]
    lines += [f"\\item {tex(name)}: ${_definition(name)[1]}$" for name in sheet.activations]
    lines += [r"\end{itemize}", "", r"\subsection*{The inputs and " + ("the" if key else "your") + " answers}"]
    if sheet.lexicon:
        lines.append(f"Each word is 1-of-N encoded over: {tex(', '.join(sheet.lexicon))}.")
        lines.append("")
    if not _input_in_tables(sheet):
        lines += ["The inputs:", ""] + _inputs_list(sheet) + [""]
    tables = _tables(sheet, key, precision)
    for i, table in enumerate(tables):
        part = sum(1 for other in tables[:i] if other.layer == table.layer) + 1
        parts = sum(1 for other in tables if other.layer == table.layer)
        caption = f"\\textbf{{{tex(table.layer)}}}" + (f" ({part} of {parts})" if parts > 1 else "")
        lines += _tex_table(sheet, table, key, precision, caption)
    names = ", ".join(f"{h} \\texttt{{{tex(p)}}}" for table in tables for p, h in zip(table.paths, table.headers))
    lines += ["", r"{\raggedright\small In an answers file the quantities are called: " + names + r".\par}"]
    if check_hint and not key:
        form, command, first = _check_hint(sheet)
        lines += ["", r"{\raggedright\small Check your answers: write them in an answers file (\texttt{"
                  + tex(form) + r"}) and run \texttt{" + tex(command) + "}" + tex(first) + r".\par}"]
    for t, word, layers in _worked_lines(sheet, precision):
        heading = f"Worked example: step {t}" + (f" ({tex(word)})" if word is not None else "")
        lines += ["", f"\\subsection*{{{heading}}}",
                  r"{\raggedright\small"]
        for name, legend, step_lines in layers:
            names = _layer_names(next(info for info in sheet.layers if info.name == name))
            lines.append(r"\noindent\textit{" + tex(f"{name}: ") + _tex_words(legend, names) + r"}\par")
            lines += [_tex_line(lhs, rhs, names) for lhs, rhs in step_lines]
        lines.append("}")
    long = any(line.startswith(r"\begin{longtable}") for line in lines)
    if standalone:
        name = [] if key else [r"\noindent Name: \rule{7cm}{0.4pt}\par\medskip"]
        lines = lines[:1] + [r"\documentclass{article}"] + ([r"\usepackage{longtable}"] if long else []) + \
            [r"\begin{document}"] + name + lines[1:] + [r"\end{document}"]
    elif long:
        lines.insert(0, LONGTABLE_NOTE)
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
    """A filled answers file (docs/check.md) with the exact float64 values: a key that
    ``rnntrace check`` marks right, and that students' files can be compared with."""
    lines = [f"# Answers for {sheet.source}: the exact values, written by rnntrace answers.",
             "# Check a file of hand-computed answers: %s%s" % _check_command(sheet, "my_answers.yaml"),
             "steps:"]
    for t, values in enumerate(sheet.values, 1):
        if t not in sheet.asked:
            continue
        items = [f"{_yaml_key(q)}: {_yaml_value(values[q], f'{q} at step {t}')}" for q in sheet.quantities]
        if len(items) <= 4:     # short: one line per step
            lines.append(f"  {t}: {{{', '.join(items)}}}")
        else:
            lines.append(f"  {t}:")
            lines.extend(f"    {item}" for item in items)
    return "\n".join(lines) + "\n"
