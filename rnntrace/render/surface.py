"""The error surface in the terminal: a bar per swept value (or a character map for
two weights), the loss drawn on a linear or log scale, the gradient's size beside it.
JSON (``rnntrace.surface/1``) and CSV give the same numbers for other tools.
"""
from __future__ import annotations

import csv
import io
import math
from typing import Iterable, List, Optional

import numpy as np
from rich import box
from rich.table import Table
from rich.text import Text

from ..safetext import rich_text
from .json import dumps
from .numbers import DEFAULT_PRECISION, significant

BAR_WIDTH = 30
LOSS_BAR = 10      # characters for the largest loss
GRADIENT_BAR = 6  # and for the largest |dL/dw| (always a log scale)
LEVELS = " .:-=+*#%@"   # the 2-D map, lowest to highest


def num(value: float, precision: int = DEFAULT_PRECISION) -> str:
    """A value as the panels write one in a few significant digits (numbers.significant):
    ``1.004``, ``−8.1308e+05``, ``4.5398e-05``; digits are added rather than let a value
    that is not whole look whole, so ≈ is never needed."""
    return significant(value, precision)


def _unsigned_zero(data):
    """``-0.0`` → ``0.0`` throughout: at a gradient of +0 the step −η·dL/dw is −0 by the
    sign rule of a float product, a sign that says nothing about a step of zero."""
    if isinstance(data, float):
        return 0.0 if data == 0 else data
    if isinstance(data, list):
        return [_unsigned_zero(v) for v in data]
    if isinstance(data, dict):
        return {k: _unsigned_zero(v) for k, v in data.items()}
    return data


def surface_json(result, indent: Optional[int] = None) -> str:
    return dumps(_unsigned_zero(result.to_dict()), indent)


def surface_csv(result) -> str:
    from ..safetext import csv_cell
    rows = result.rows()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(name) for name in rows[0]])   # the names hold layer names
    for row in rows:
        writer.writerow(["" if v is None or not math.isfinite(v) else repr(_unsigned_zero(v)) for v in row.values()])
    return out.getvalue()


class _Scale:
    """Where a loss value sits between the smallest and largest drawn, from 0 to 1."""

    def __init__(self, values: np.ndarray, how: str):
        finite = values[np.isfinite(values)]
        positive = finite[finite > 0]
        self.top = float(finite.max()) if finite.size else 0.0
        self.bottom = float(finite.min()) if finite.size else 0.0
        if how == "auto":
            how = "log" if positive.size and self.top / float(positive.min()) > 1e3 else "linear"
        self.log = how == "log" and positive.size > 0
        if self.log:
            self.low = math.log10(float(positive.min()))
            self.high = math.log10(self.top)

    @property
    def name(self) -> str:
        return "log scale" if self.log else "linear scale"

    def __call__(self, value: float) -> float:
        if not math.isfinite(value):
            return 1.0
        if self.log:
            if value <= 0:
                return 0.0
            span = self.high - self.low
            return 1.0 if span == 0 else (math.log10(value) - self.low) / span
        span = self.top - min(self.bottom, 0.0)
        return 0.0 if span == 0 else (value - min(self.bottom, 0.0)) / span


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    eighths = int(round(max(0.0, min(1.0, fraction)) * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")


def _header(result) -> List[Text]:
    lines = []
    if result.spec.title:
        lines.append(rich_text(f"{result.spec.title}: the error surface", style="bold underline"))
    return lines


def line_view(result, precision: int, scale: str) -> Iterable:
    sc = _Scale(result.loss, scale)
    gsc = _Scale(np.abs(result.gradient), "log")
    table = Table(title=f"Loss L ({result.loss_function}) as w = {result.param} sweeps "
                        f"{num(result.values[0], precision)} … {num(result.values[-1], precision)}",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    table.add_column("w", justify="right")
    table.add_column("L", justify="right")
    table.add_column("L (log)" if sc.log else "L", no_wrap=True)
    table.add_column("dL/dw", justify="right")
    table.add_column("|dL/dw|", no_wrap=True)
    if result.step is not None:
        table.add_column("Δw", justify="right")
    if result.clipped_step is not None:
        table.add_column("Δw clipped", justify="right")
    for i, w in enumerate(result.values):
        row = [num(w, precision), num(result.loss[i], precision), bar(sc(result.loss[i]), LOSS_BAR),
               num(result.gradient[i], precision), bar(gsc(abs(result.gradient[i])), GRADIENT_BAR)]
        if result.step is not None:
            row.append(num(result.step[i], precision))
        if result.clipped_step is not None:
            row.append(num(result.clipped_step[i], precision))
        table.add_row(*row)
    yield table
    notes = [f"L from {num(sc.bottom, precision)} to {num(sc.top, precision)} ({sc.name}); "
             "|dL/dw| on a log scale"]
    if result.step is not None:
        notes.append(f"Δw: how far one gradient step moves w, −η·dL/dw with η = {num(result.learning_rate, precision)}")
    if result.clipped_step is not None:
        kind, theta = result.clip
        notes.append(f"Δw clipped: the same step with the gradient clipped by {kind}, θ = {num(theta, precision)}")
    yield Text("; ".join(notes) + ".", style="dim")


def _map(values2d: np.ndarray, sc: _Scale) -> List[str]:
    rows = []
    for row in values2d:
        rows.append("".join(LEVELS[min(len(LEVELS) - 1, int(sc(v) * (len(LEVELS) - 1) + 0.5))] for v in row))
    return rows


def _map_block(result, grid: np.ndarray, sc: _Scale, title: str, precision: int) -> Text:
    rows = _map(grid, sc)
    width = len(rows[0])
    label_w = max(len(num(v, precision)) for v in result.values)
    text = Text(no_wrap=True)
    text.append(f"{title} ({sc.name}): from {num(sc.bottom, precision)} ('{LEVELS[0]}') to "
                f"{num(sc.top, precision)} ('{LEVELS[-1]}')\n", style="bold")
    for i, w in enumerate(result.values):
        text.append(f"{num(w, precision):>{label_w}} |{rows[i]}|\n")
    left, right = num(result.values2[0], precision), num(result.values2[-1], precision)
    text.append(f"{'':>{label_w}}  {left}{right:>{max(width - len(left), len(right) + 1)}}")
    return text


def map_view(result, precision: int, scale: str) -> Iterable:
    yield _map_block(result, result.loss, _Scale(result.loss, scale), "Loss L", precision)
    yield _map_block(result, result.norm, _Scale(result.norm, scale), "Gradient norm ‖g‖", precision)
    yield Text(f"Rows: {result.param} (top to bottom); columns: {result.param2} (left to right); "
               f"levels '{LEVELS}' from low to high.", style="dim")
    i, j = result.lowest
    yield Text(f"Lowest loss {num(result.loss[i, j], precision)} at {result.param} = "
               f"{num(result.values[i], precision)}, {result.param2} = {num(result.values2[j], precision)}.")


def render(result, precision: int = DEFAULT_PRECISION, scale: str = "auto") -> Iterable:
    yield from _header(result)
    if result.two_d:
        yield from map_view(result, precision, scale)
    else:
        yield from line_view(result, precision, scale)
