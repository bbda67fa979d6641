"""Markdown answer keys: one table per layer, one row per step, in the lecture's order.

Numbers are rounded for reading (``--precision``) with ≈ where a value only rounds to
a whole number; a layer of several units has a row per step and unit, and the input x
is written ``[a, b]``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from .numbers import DEFAULT_PRECISION, fmt
from .tabular import layer_tables


def cell(value, precision: int) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, np.ndarray):
        return _escape(str(value))
    values = np.asarray(value, dtype=np.float64).ravel()
    if values.size == 1:
        return fmt(values[0], precision)
    return "[" + ", ".join(fmt(v, precision) for v in values) + "]"


def _escape(text: str) -> str:
    from ..safetext import markdown
    return markdown(text)


def trace_markdown(trace, steps=None, layers: Optional[Sequence[str]] = None,
                   precision: int = DEFAULT_PRECISION, explain: bool = False) -> str:
    steps = list(trace.steps) if steps is None else list(steps)
    out: List[str] = []
    if trace.spec.title:
        out += [f"# {_escape(trace.spec.title)}", ""]
    for table in layer_tables(trace.spec, steps, layers):
        out += [f"## {_escape(table.heading)}", ""]
        out.append("| " + " | ".join(_escape(c.label) for c in table.columns) + " |")
        out.append("|" + "|".join(":---" if c.text else "---:" for c in table.columns) + "|")
        for _, cells in table.rows(steps):
            out.append("| " + " | ".join(cell(v, precision) for v in cells) + " |")
        out.append("")
    if explain:
        out += explanation(trace.spec, steps, layers, precision)
    return "\n".join(out)


def explanation(spec, steps, layers: Optional[Sequence[str]], precision: int) -> List[str]:
    """The arithmetic of every step (as ``--explain`` writes it), one code block per step."""
    from .explain import as_text, legend, step_lines
    out = ["## The arithmetic", ""]
    for step in steps:
        word = f" ({_escape(step.token)})" if step.token is not None else ""
        out += [f"### Step {step.t}{word}", "", "```text"]
        for name, lines in step_lines(spec, step, layers, precision):
            out.append(f"# {name}: {legend(spec.layer(name))}")
            out.append(as_text(lines))
        out += ["```", ""]
    return out
