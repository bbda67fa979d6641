"""A picture over time: one sparkline per unit and quantity, time running left to right.

Each row is a layer's cell or hidden value, or a gate's activation, across the steps.
A gate's row is drawn on the fixed scale 0 … 1, so an open gate is a full block and a
closed one a low bar in every row alike; any other row is drawn between its own smallest
and largest value, both printed beside it. When there are more steps than columns,
each mark stands for a run of neighbouring steps and shows the value at the last step
of the run, a sample of the trace rather than an average of it (the header says how
many steps a mark covers). A run with no finite value (the computation overflowed to
±inf, or gave nan) is drawn as :data:`NOT_FINITE` and the chart's last line says so.

Choosing the glyph for a value (its place between the row's two ends) is the only
arithmetic here; the values themselves are the trace's.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from ..layers import composite
from .numbers import DEFAULT_PRECISION, show
from .quantities import layer_quantities, unit_names, value

BARS = "▁▂▃▄▅▆▇█"
LEVEL_STYLES = ("blue", "blue", "cyan", "cyan", "green", "yellow", "red", "red")
SHOWN_KINDS = ("gate", "state", "output")
#: At most this many marks per row, however wide the terminal (fewer when it is narrow),
#: so that the same run draws the same chart in a pipe and on any usual terminal;
#: --steps zooms in.
MARKS = 50
#: The mark of a run of steps without a finite value, and the ends of a row without one.
NOT_FINITE = "×"
NO_ENDS = "—"


def chart_rows(spec, steps, layers: Optional[Sequence[str]] = None) -> List[Tuple[str, str, np.ndarray]]:
    """(row name, kind, values over the steps) for every unit of every shown quantity."""
    rows = []
    for layer in spec.layers:
        if layers is not None and layer.name not in layers:
            continue
        for q in layer_quantities(layer):
            if q.kind not in SHOWN_KINDS:
                continue
            if composite(layer) and q.path == "h" and layer.merge == "concat":
                continue   # the two directions' rows above are this vector's two halves
            series = np.array([value(step.layers[layer.name], q.path) for step in steps], dtype=np.float64)
            size = series.shape[1] if series.ndim == 2 else 1
            names = unit_names(layer, size) if q.path == layer.home.OUTPUT and getattr(layer, "labels", None) else \
                [str(u + 1) for u in range(size)]
            label = q.label.split(" = ")[0]
            for u in range(size):
                suffix = f"[{names[u]}]" if size > 1 else ""
                rows.append((f"{layer.name} {label}{suffix}", q.kind, series[:, u]))
    return rows


def step_list(numbers: Sequence[int]) -> str:
    """The steps drawn, runs of neighbours as ranges: ``1–5``, ``1 and 3``, ``1, 3–5 and 9``."""
    runs: List[List[int]] = []
    for t in numbers:
        if runs and t == runs[-1][1] + 1:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    parts = [f"{a}" if a == b else f"{a}–{b}" for a, b in runs]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def bins(count: int, columns: int) -> List[Tuple[int, int]]:
    """Split ``count`` steps into at most ``columns`` runs of neighbouring steps."""
    if count <= columns:
        return [(i, i + 1) for i in range(count)]
    per = math.ceil(count / columns)
    return [(i, min(i + per, count)) for i in range(0, count, per)]


def sparkline(values: np.ndarray, low: float, high: float, runs: List[Tuple[int, int]]) -> Text:
    text = Text()
    for start, stop in runs:
        chunk = values[start:stop]
        finite = chunk[np.isfinite(chunk)]
        if finite.size == 0:
            text.append(NOT_FINITE, style="bold red")
            continue
        v = finite[-1]
        if high > low:
            # halved first: high − low of finite values can pass float64's range (±1e308)
            level = int(round((v / 2 - low / 2) / (high / 2 - low / 2) * (len(BARS) - 1)))
        else:
            level = len(BARS) // 2
        level = min(max(level, 0), len(BARS) - 1)
        text.append(BARS[level], style=LEVEL_STYLES[level])
    return text


class Chart:
    """The sparklines of the chosen layers over the chosen steps, fitted to the width."""

    def __init__(self, spec, steps, layers: Optional[Sequence[str]] = None,
                 precision: int = DEFAULT_PRECISION):
        self.steps = list(steps)
        self.rows = chart_rows(spec, self.steps, layers)
        self.precision = precision

    def _ends(self, kind: str, values: np.ndarray) -> Tuple[float, float]:
        """The values drawn as the lowest and the highest bar; nan for a row with no
        finite value."""
        if kind == "gate":
            return 0.0, 1.0
        finite = values[np.isfinite(values)]
        if finite.size == 0:
            return math.nan, math.nan
        return float(finite.min()), float(finite.max())

    def _end(self, value: float) -> str:
        return show(value, self.precision) if math.isfinite(value) else NO_ENDS

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        ends = [self._ends(kind, values) for _, kind, values in self.rows]
        name_w = max((cell_len(name) for name, _, _ in self.rows), default=4)
        low_w = max((len(self._end(lo)) for lo, _ in ends), default=1)
        high_w = max((len(self._end(hi)) for _, hi in ends), default=1)
        room = min(MARKS, max(8, options.max_width - name_w - low_w - high_w - 3))
        runs = bins(len(self.steps), room)
        first, last = self.steps[0].t, self.steps[-1].t
        per = runs[0][1] - runs[0][0] if runs else 1
        header = Text(f"Over time, {'step' if len(self.steps) == 1 else 'steps'} "
                      f"{step_list([step.t for step in self.steps])}", style="bold")
        if per > 1:
            header.append(f"; a mark every {per} steps shows the last of them", style="dim")
        yield header
        # the widths are known, so the rows are written out rather than laid out as a table
        lines = Text(no_wrap=True, overflow="fold")
        marks = []
        for (name, kind, values), (lo, hi) in zip(self.rows, ends):
            marks.append(sparkline(values, lo, hi, runs))
            lines.append(name + " " * (name_w - cell_len(name)) + " ", style="bold")
            lines.append(self._end(lo).rjust(low_w) + " ", style="dim")
            lines.append_text(marks[-1])
            lines.append(" " + self._end(hi) + "\n", style="dim")
        axis = f"t={first}"
        right = f"t={last}"
        if len(runs) > len(axis) + len(right):
            axis += " " * (len(runs) - len(axis) - len(right)) + right
        lines.append(" " * (name_w + low_w + 2) + axis, style="dim")
        yield lines
        if any(kind == "gate" for _, kind, _ in self.rows):
            yield Text("gates drawn on 0 … 1; other rows from their lowest to their highest value", style="dim")
        else:
            yield Text("each row drawn from its lowest to its highest value", style="dim")
        if any(NOT_FINITE in mark.plain for mark in marks):
            yield Text(f"{NOT_FINITE}: no finite value (the computation overflowed to ±inf, or gave nan)",
                       style="dim")
