"""The terminal view of a run: what is shown, in which order.

Up to :data:`CHART_OVER` steps the view is one panel per step, then the outputs over time
(exact beside rounded) and the chart. A longer sequence gets the chart alone, with a
line saying how to see the panels, so that 20,000 steps stay readable.
"""
from __future__ import annotations

from collections import namedtuple
from typing import List, Optional, Sequence

from rich.text import Text

from .chart import Chart
from ..safetext import rich_text
from .numbers import DEFAULT_PRECISION
from .panels import step_panel
from .summary import summary_table

#: Sequences longer than this are summarised by the chart unless panels are asked for.
CHART_OVER = 50


class View(namedtuple("View", "precision explain steps layers panels chart_only",
                      defaults=(DEFAULT_PRECISION, False, None, None, None, False))):
    """What the table view shows: numbers to ``precision`` decimals, ``explain``ed or
    not, the ``steps`` (1-based; None: every step) and ``layers`` (None: every layer),
    ``panels`` (None: panels up to CHART_OVER steps) or the chart alone (``chart_only``).
    (A namedtuple: immutable, and cheaper to define at start-up than a frozen dataclass
    or a typing.NamedTuple, which compiles each field's annotation.)"""

    __slots__ = ()


def chosen_steps(trace, steps: Optional[Sequence[int]]):
    if steps is None:
        return list(trace.steps)
    return [trace.steps[t - 1] for t in steps]


def show_panels(trace, view: View) -> bool:
    if view.chart_only:
        return False
    if view.panels is not None:
        return view.panels
    return view.steps is not None or view.explain or len(trace) <= CHART_OVER


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
