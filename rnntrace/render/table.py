"""The table view (rich): step panels, the outputs over time and the chart.

Kept as the entry point of the table format; :mod:`rnntrace.render.view` decides
what is shown and :mod:`rnntrace.render.panels` draws one step.
"""
from __future__ import annotations

from typing import Iterable

from .numbers import DEFAULT_PRECISION
from .panels import layer_rows, step_panel  # noqa: F401  (re-exported)
from .view import View, terminal_view


def render(trace, precision: int = DEFAULT_PRECISION, **options) -> Iterable:
    """The renderables of ``rnntrace run SPEC`` (see :class:`View` for ``options``)."""
    return terminal_view(trace, View(precision=precision, **options))
