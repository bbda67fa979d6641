"""The tables that rich lays out (the verdicts of ``check``, the gradients of ``grad``,
the sweep of ``surface``), declared one way: a title at the left and the columns as
rich Columns, text columns left-aligned and number columns right-aligned.

The panels, the outputs over time and the chart are not among them: their cells are
known text, so they are written at widths computed once and shared from one step's
panel to the next, which a rich table, laid out again for every panel, cannot do.
"""
from __future__ import annotations

from rich.table import Column, Table


def table(title: str, *columns: Column, **options) -> Table:
    """A table titled at its left (rich's other ``Table`` options pass through)."""
    return Table(*columns, title=title, title_justify="left", **options)


def text_column(header: str, **options) -> Column:
    """A column of text (names, formulas, verdicts), aligned left."""
    return Column(header, **options)


def number_column(header: str, **options) -> Column:
    """A column of numbers, aligned right."""
    return Column(header, justify="right", **options)
