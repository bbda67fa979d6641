"""The terminal view of a run: what is shown, in which order.

Up to :data:`LONG` steps the view is one panel per step, then the outputs over time
(exact beside rounded) and the chart. A longer sequence gets the chart alone, with a
line saying how to see the panels, so that 20,000 steps stay readable.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence

from rich.text import Text

from .chart import Chart
from ..safetext import rich_text
from .numbers import DEFAULT_PRECISION
from .panels import step_panel
from .summary import summary_table

#: Sequences longer than this are summarised by the chart unless panels are asked for.
LONG = 50


class View(NamedTuple):
    """What the table view shows (a named tuple: cheaper to define at start-up than a
    frozen dataclass, and as immutable)."""

    precision: int = DEFAULT_PRECISION
    explain: bool = False
    steps: Optional[Sequence[int]] = None      # 1-based; None: every step
    layers: Optional[Sequence[str]] = None     # None: every layer
    panels: Optional[bool] = None              # None: panels up to LONG steps
    chart_only: bool = False


def chosen_steps(trace, steps: Optional[Sequence[int]]):
    if steps is None:
        return list(trace.steps)
    return [trace.steps[t - 1] for t in steps]


def show_panels(trace, view: View) -> bool:
    if view.chart_only:
        return False
    if view.panels is not None:
        return view.panels
    return view.steps is not None or view.explain or len(trace) <= LONG


def terminal_view(trace, view: View = View()) -> List:
    """The renderables of the table view, in order."""
    spec = trace.spec
    steps = chosen_steps(trace, view.steps)
    parts: List = []
    if spec.title:
        parts.append(rich_text(spec.title, style="bold underline"))
    if spec.dtype != "float64":
        parts.append(Text(f"Computed in {spec.dtype} (--dtype): every number is rounded to {spec.dtype}, "
                          "as PyTorch and Keras compute by default.", style="italic"))
    if show_panels(trace, view):
        columns: dict = {}    # the panels' tables share their column widths: they line up
        for step in steps:
            parts.append(step_panel(spec, step, len(trace), view.precision, view.explain, view.layers, columns))
        parts.append(summary_table(spec, steps, view.layers, view.precision))
        if len(steps) > 1:
            parts.append(Text(""))
            parts.append(Chart(spec, steps, view.layers, view.precision))
        return parts
    parts.append(Chart(spec, steps, view.layers, view.precision))
    if not view.chart_only:
        parts.append(Text(f"{len(trace)} steps, so a chart. Panels: --panels (all) or --steps 1:10.",
                          style="italic"))
    return parts
