"""The closing table: the outputs over time, each exact float64 beside its rounded form.

The lecture's table for its LSTM unit lists the cell and the output at every step;
this one does the same for any network: the cell of every LSTM layer shown, then the
output (the network's y, or the chosen layer's output). The "exact" column is the
shortest text that reads back as the same float64; "shown" is what the panels print,
with ≈ where a value only rounds to a whole number.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from .numbers import DEFAULT_PRECISION, exact, show, vector_show


def summary_quantities(spec, layers: Optional[Sequence[str]] = None) -> List[Tuple[str, str, str]]:
    """(layer name, record field, shown name) for each quantity in the summary;
    layer name ``""`` with field ``y`` is the network's output."""
    out = []
    chosen = [layer for layer in spec.layers if layers is None or layer.name in layers]
    for layer in chosen:
        for field in layer.home.SUMMARY:
            out.append((layer.name, field, f"{layer.name}.{field}"))
    if layers is None:
        out.append(("", "y", "y"))
    else:
        for layer in chosen:
            field = layer.home.OUTPUT
            out.append((layer.name, field, f"{layer.name}.{field}"))
    return out


class SummaryTable:
    """The outputs over time as lines of text. Every cell is known text, so the columns
    are laid out here; only the input column (x or word) wraps when the screen is too
    narrow for it."""

    GAP = "   "

    def __init__(self, spec, steps, layers: Optional[Sequence[str]] = None,
                 precision: int = DEFAULT_PRECISION):
        quantities = summary_quantities(spec, layers)
        words = any(step.token is not None for step in steps)
        self.headers = ("t", "word" if words else "x", "quantity", "exact", "shown")
        #: per row: (t, input, quantity, exact, shown, is the winner); None: a blank line
        self.rows: List[Optional[Tuple[str, str, str, str, str, bool]]] = []
        for step in steps:
            first = len(self.rows)
            for layer_name, field, name in quantities:
                record = step if layer_name == "" else step.layers[layer_name]
                values = getattr(record, field)
                owner = spec.layers[-1] if layer_name == "" else spec.layer(layer_name)
                labels = getattr(owner, "labels", None) if field == "y" else None
                best = ()
                if labels and getattr(step.layers[owner.name], "label", None):   # a labelled output
                    from .winners import winners
                    best = winners(values)
                for u, v in enumerate(values):
                    unit = f"[{labels[u]}]" if labels else (f"[{u + 1}]" if len(values) > 1 else "")
                    head = len(self.rows) == first
                    self.rows.append((str(step.t) if head else "",
                                      (step.token or vector_show(step.x, precision)) if head else "",
                                      name + unit, exact(v), show(v, precision),
                                      u in best))   # ◀ on each of a tie
            if len(self.rows) - first > 1 and step is not steps[-1]:
                self.rows.append(None)   # a blank line between steps that take several rows

    def _widths(self, max_width: int) -> List[int]:
        cells = [row for row in self.rows if row is not None]
        widths = [max([cell_len(h)] + [cell_len(row[i]) + (2 if i == 4 and row[5] else 0) for row in cells])
                  for i, h in enumerate(self.headers)]
        room = max_width - (sum(widths) - widths[1]) - 4 * len(self.GAP)
        widths[1] = max(min(widths[1], room), cell_len(self.headers[1]))
        return widths

    #: Narrower room than this for the input column, and each step is written as lines
    #: instead of a table row, whose input would wrap a character or two a line.
    NARROWEST_INPUT = 6

    def _lines(self) -> Text:
        """A screen too narrow for the table: each step's input on a line of its own,
        then one line a quantity, ``lstm.c = 6.999500633749107 (6.9995)``."""
        text = Text(overflow="fold")
        text.append("Outputs over time", style="bold")
        for row in self.rows:
            if row is None:
                continue
            t, x, quantity, exact_text, shown, winner = row
            if t:
                text.append(f"\nt = {t}   {self.headers[1]} = ", style="bold")
                text.append(x)
            text.append(f"\n  {quantity} = {exact_text}" + ("" if shown == exact_text else f" ({shown})"))
            if winner:
                text.append(" ◀", style="bold green")
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self._widths(options.max_width)
        if widths[1] < min(self.NARROWEST_INPUT, max(cell_len(row[1]) for row in self.rows if row)):
            yield self._lines()
            return
        gap = self.GAP
        text = Text(overflow="fold")
        text.append("Outputs over time\n", style="bold")
        text.append(gap.join(_pad(h, w, right=i in (0, 3, 4)) for i, (h, w) in enumerate(zip(self.headers, widths))),
                    style="bold")
        text.append("\n" + "─" * (sum(widths) + 4 * len(gap)))
        for row in self.rows:
            text.append("\n")
            if row is None:
                continue
            t, x, quantity, exact_text, shown, winner = row
            lines = _wrap(x, widths[1]) if cell_len(x) > widths[1] else [x]
            text.append(_pad(t, widths[0], right=True) + gap + _pad(lines[0], widths[1]) + gap)
            text.append(_pad(quantity, widths[2]) + gap + _pad(exact_text, widths[3], right=True) + gap)
            mark = " ◀" if winner else ""
            text.append(_pad(shown, widths[4] - len(mark), right=True))
            text.append(mark, style="bold green")
            for more in lines[1:]:
                text.append("\n" + " " * (widths[0] + len(gap)) + more)
        yield text


def _wrap(text: str, width: int) -> List[str]:
    import textwrap          # only for a narrow screen: ~1 ms to import
    return textwrap.wrap(text, width) or [""]


def _pad(text: str, width: int, right: bool = False) -> str:
    """``text`` filled to ``width`` terminal cells (a word may be wide CJK text)."""
    fill = " " * max(width - cell_len(text), 0)
    return fill + text if right else text + fill


def summary_table(spec, steps, layers: Optional[Sequence[str]] = None,
                  precision: int = DEFAULT_PRECISION) -> SummaryTable:
    return SummaryTable(spec, steps, layers, precision)
