"""Per-step panels for reading beside the lecture.

One panel per time step: the input x (and the word, with a lexicon), then each
layer as a small table whose rows follow the lecture's drawing of the unit and whose
columns are the units; each layer type's home says which rows, in the lecture's
order (an LSTM reads top to bottom as the lecture's unit does, from the cell input
to the output). A bidirectional layer shows both directions side by side, each
marked with the way it reads.

A layer with more units than fit the width is split into several tables of units.
"""
from __future__ import annotations

import weakref
from typing import Dict, List, Optional, Sequence, Tuple

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..layers import composite
from .numbers import DEFAULT_PRECISION, show, vector_show
from .quantities import heading, lookup_words, symbol, unclip

Row = Tuple[str, str, List[str]]   # (what, formula, one cell per unit)


class Cells:
    """The cells of a row, as each layer type's ``panel_rows`` asks for them: a value
    before and after (``z → a``, the cell before and after) or one value, per unit."""

    def __init__(self, precision: int):
        self.p = precision

    def pair(self, before, after) -> List[str]:
        return [f"{show(a, self.p)} → {show(b, self.p)}" for a, b in zip(before, after)]

    def single(self, values) -> List[str]:
        return [show(v, self.p) for v in values]


def layer_rows(layer, record, precision: int = DEFAULT_PRECISION) -> List[Row]:
    """The rows of one layer's table at one step, in the lecture's order (its home's)."""
    from ..layers import need
    return need(layer, "panel_rows", "the table view")(layer, record, Cells(precision))


def derived_rows(layer, record, cells: Cells, words: Optional[Dict[str, str]] = None) -> List[Row]:
    """A layer's rows read from its description (docs/layers.md), in the order of its
    quantities: a memory read alone (``memory read  h_prev``); a weighted sum with the
    activation that reads it (``input gate  z_i → σ(z_i)``, ``hidden  z → tanh(z)``, a
    linear one named by its value, ``z → h``); a state beside the memory it was read
    from (``cell  c_prev → c``); any other formula as its words write it, the words
    ``--explain`` writes too (``output  h = h(c)·o``, ``h = (1 − u)·n + u·h_prev``);
    and, when the memory written was shown only as an activation, what it keeps
    (``write back  memory ← h``). Each row is named by the lecture's word for it
    (the quantity's first ``words``, ``memory read`` for a memory); ``words`` gives the
    home's own where that is not the one (``{"h": "hidden"}``). A lookup's row names
    the row this step read (``row of E  e = E['Taipei']``; ``e = Eᵀ·x`` when x is not
    1-of-N)."""
    from ..layers.base import value
    plans = _PLANS.setdefault(layer, {})
    key = tuple(sorted((words or {}).items()))
    plan = plans.get(key)
    if plan is None:   # read once per layer: the description does not change from step to step
        plan = plans[key] = _plan(layer, words or {})
    return [(what, label if row is None else row(record),
             cells.pair(value(record, paths[0]), value(record, paths[1])) if len(paths) == 2
             else cells.single(value(record, paths[0]))) for what, label, paths, row in plan]


#: Each layer's rows as (what, label, the paths of its values, None or the label of a
#: lookup's row at a step), by the home's words.
_PLANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _lookup_label(q, names):
    """A lookup's label at one step: ``e = E['Taipei']`` (the row its record says it
    read, named by the description's words), ``e = Eᵀ·x`` when it read no single row."""
    from ..layers.base import row_name, value
    path, table, row = q["path"], q["compute"]["table"], q["compute"]["row"]
    whole = f"{path} = {lookup_words(q)}"

    def label(record) -> str:
        k = value(record, row)
        return whole if k is None else f"{path} = {table}[{row_name(names, k)}]"
    return label


def _plan(layer, words: Dict[str, str]) -> List[tuple]:
    from ..layers import describe
    from ..layers.base import FUNCTION_SYMBOLS
    desc = describe(layer)
    quantities = desc["quantities"]
    by_path = {q["path"]: q for q in quantities}
    written = {m["written"]: m["read"] for m in desc["memory"]}
    kept = {m["read"] for m in desc["memory"] if by_path.get(m["written"], {}).get("kind") == "state"}

    def what(q) -> str:
        if q["path"] in words:
            return words[q["path"]]
        if not q.get("words") and q.get("compute", {}).get("op") == "lookup":
            return f"row of {q['compute']['table']}"
        return (q.get("words") or ["memory read" if q["kind"] == "memory" else q["kind"]])[0]

    # each weighted sum with the activation (unit by unit) that reads it
    applies = {}
    for q in quantities:
        compute = q.get("compute", {})
        if compute.get("op") == "apply":   # softmax too: each unit's z beside its share
            of, _ = unclip(compute["of"])
            if isinstance(of, str) and by_path.get(of, {}).get("compute", {}).get("op") == "affine":
                applies[of] = q
    shown_as_activation = set()
    plan = []
    for q in quantities:
        path = q["path"]
        if path in shown_as_activation or path in kept:
            continue
        if q["kind"] == "memory":
            plan.append((what(q), path, (path,), None))
        elif path in applies:
            a = applies[path]
            label = a["label"]
            if " " in label or not label.endswith(")"):   # h = tanh(z), or h for a linear one
                function = a["compute"]["function"]
                label = a["path"] if function == "linear" else f"{FUNCTION_SYMBOLS[function]}({q['label']})"
            plan.append((what(a), f"{q['label']} → {label}", (path, a["path"]), None))
            shown_as_activation.add(a["path"])
        elif written.get(path) in kept:
            read = written[path]
            plan.append((what(q), f"{read} → {symbol(by_path, path)}", (read, path), None))
        elif q.get("compute", {}).get("op") == "lookup":
            plan.append((what(q), "", (path,), _lookup_label(q, desc.get("words"))))
        else:
            plan.append((what(q), f"{path} = {q['formula']}", (path,), None))
    for path in written:
        if path in shown_as_activation:
            plan.append(("write back", f"memory ← {path}", (path,), None))
    return plan


def unit_headers(layer, count: int) -> Optional[List[str]]:
    """Column headers for the units: the labels, ``unit 1``, ``unit 2``, …, or None for
    a single unit (its heading says "1 unit": a header row would only say "value")."""
    labels = getattr(layer, "labels", None)
    if labels and len(labels) == count:
        return list(labels)
    if count == 1:
        return None
    return [f"unit {u + 1}" for u in range(count)]


#: Between two columns of a layer's table.
GAP = "   "
ARROW = " → "


class Columns:
    """The widths of one layer's columns, shared by its tables at every step shown, so
    that the columns line up from one step's panel to the next: the row names, the
    formulas, and per unit the two sides of the "z → a" cells (their arrows line up)
    and the cells and header that are one text."""

    def __init__(self):
        self.what = self.formula = 0
        self.left: Dict[int, int] = {}
        self.right: Dict[int, int] = {}
        self.whole: Dict[int, int] = {}

    def add(self, table: "LayerTable") -> None:
        for what, formula, cells in table.rows:
            self.what = max(self.what, len(what))
            self.formula = max(self.formula, len(formula))
            for u, cell in enumerate(cells):
                if ARROW in cell:
                    a, b = cell.split(ARROW)
                    self.left[u] = max(self.left.get(u, 0), len(a))
                    self.right[u] = max(self.right.get(u, 0), len(b))
                else:
                    self.whole[u] = max(self.whole.get(u, 0), len(cell))
        if table.headers is not None:
            for u in range(table.units):      # a label may be wide (CJK) text: count cells
                self.whole[u] = max(self.whole.get(u, 0), cell_len(table.header(u)))

    def unit(self, u: int) -> int:
        pair = self.left[u] + len(ARROW) + self.right[u] if u in self.left else 0
        return max(pair, self.whole.get(u, 0))

    def cell(self, u: int, text: str) -> str:
        """The cell padded to its column: a pair with its arrow where the others' are."""
        if ARROW in text:
            a, b = text.split(ARROW)
            text = f"{a:>{self.left[u]}}{ARROW}{b:>{self.right[u]}}"
        return text.rjust(self.unit(u))


class LayerTable:
    """One layer's rows at one step, drawn as lines of text: the row names, the formulas,
    then one right-aligned column per unit. The widths are known (the cells are already
    text), so no table layout is needed; ``columns`` shares them with the same layer's
    tables at the other steps. A layer whose units do not fit the width is split over
    several tables of units."""

    def __init__(self, layer, record, precision: int = DEFAULT_PRECISION, title: Optional[str] = None,
                 columns: Optional[Columns] = None):
        self.record = record
        self.rows = layer_rows(layer, record, precision)
        self.units = max(len(cells) for _, _, cells in self.rows)
        self.headers = unit_headers(layer, self.units)
        self.title = title
        self.winners = ()
        self.labels = getattr(layer, "labels", None)
        if getattr(record, "label", None) is not None:
            from .winners import winners
            self.winners = tuple(winners(record.y))   # several on a tie
        self.columns = Columns() if columns is None else columns
        self.columns.add(self)

    def header(self, u: int) -> str:
        return self.headers[u] + (" ◀" if u in self.winners else "")

    def _unit_width(self, u: int) -> int:
        return self.columns.unit(u)

    def _label_width(self, compact: bool = False) -> int:
        """The row names and formulas; ``compact``: the formulas only (they say the same
        in symbols), for a screen too narrow for both beside a unit."""
        return self.columns.formula if compact else self.columns.what + len(GAP) + self.columns.formula

    def width(self, units: Optional[Sequence[int]] = None) -> int:
        units = range(self.units) if units is None else units
        table = self._label_width() + sum(len(GAP) + self._unit_width(u) for u in units)
        return max(table, cell_len(self.title or ""))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = min(self.width(), options.max_width)
        return Measurement(width, width)

    def compact(self, max_width: int) -> bool:
        widest = max(self._unit_width(u) for u in range(self.units))
        return self._label_width() + len(GAP) + widest > max_width

    def chunks(self, max_width: int, compact: bool = False) -> List[range]:
        out: List[range] = []
        start, used = 0, self._label_width(compact)
        for u in range(self.units):
            w = len(GAP) + self._unit_width(u)
            if u > start and used + w > max_width:
                out.append(range(start, u))
                start, used = u, self._label_width(compact)
            used += w
        out.append(range(start, self.units))
        return out

    def table(self, units: Sequence[int], note: str = "", compact: bool = False) -> Text:
        """The lines of the units ``units``: title, header and rule, rows, caption."""
        widths = {u: self._unit_width(u) for u in units}
        text = Text(overflow="fold")   # wider than the screen: wrapped, never cut
        title = " ".join(part for part in (self.title, note) if part)
        if title:
            text.append(title + "\n", style="bold")
        if self.headers is not None:
            text.append(" " * self._label_width(compact))
            for u in units:
                text.append(GAP)
                header = self.header(u)
                text.append(" " * (widths[u] - cell_len(header)) + header,
                            style="bold green" if u in self.winners else "bold")
            text.append("\n" + "─" * (self._label_width(compact) + sum(len(GAP) + widths[u] for u in units)) + "\n")
        for what, formula, cells in self.rows:
            if not compact:
                text.append(what.ljust(self.columns.what), style="bold")
                text.append(GAP)
            text.append(formula.ljust(self.columns.formula), style="dim")
            for u in units:
                text.append(GAP)
                text.append(self.columns.cell(u, cells[u]) if u < len(cells) else " " * widths[u],
                            style="bold green" if u in self.winners else None)
            text.append("\n")
        if self.winners and self.winners[-1] in units:      # once, under the last of a tie
            from .winners import most_likely
            text.append(f"most likely: {most_likely(self.labels, self.record.y)}\n")
        text.rstrip()
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        compact = self.compact(options.max_width)
        parts = self.chunks(options.max_width, compact)
        for i, units in enumerate(parts):
            if i:
                yield Text("")
            note = "" if len(parts) == 1 else f"(unit {units.stop})" if len(units) == 1 else \
                f"(units {units.start + 1}–{units.stop})"
            yield self.table(units, note, compact)


class SideBySide:
    """Two renderables next to each other when they fit, one above the other if not."""

    def __init__(self, left: LayerTable, right: LayerTable):
        self.left, self.right = left, right

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.left.width() + self.right.width() + 3 <= options.max_width:
            grid = Table.grid(padding=(0, 3))
            grid.add_column()
            grid.add_column()
            grid.add_row(self.left, self.right)
            yield grid
        else:
            yield self.left
            yield Text("")
            yield self.right


def explain_grid(lines) -> Table:
    """The arithmetic, left-hand sides aligned, long right-hand sides wrapped under themselves."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for lhs, rhs in lines:
        # Text, not markup: a label such as z[destination] must not be read as a style
        grid.add_row(Text(lhs), "" if rhs.startswith("←") or not lhs else "=", Text(rhs))
    return grid


def layer_view(layer, record, x, t: int, steps: int, precision: int, explain: bool,
               columns: Optional[Dict[tuple, Columns]] = None) -> List:
    """A layer's heading, table(s) and, if asked for, its arithmetic. ``columns``: the
    column widths shared with the other steps' panels, by layer (and direction)."""
    def shared(*key) -> Optional[Columns]:
        return None if columns is None else columns.setdefault((layer.name,) + key, Columns())

    parts: List = [Text(heading(layer), style="bold cyan")]
    if composite(layer):
        forward = LayerTable(layer.forward, record.forward, precision,
                             title="→ forward, read " + ("x_1" if t == 1 else f"x_1…x_{t}"),
                             columns=shared("forward"))
        backward = LayerTable(layer.backward, record.backward, precision,
                              title="← backward, read " + (f"x_{t}" if t == steps else f"x_{steps}…x_{t}"),
                              columns=shared("backward"))
        parts.append(SideBySide(forward, backward))
        parts.append(Text(f"merged ({layer.merge}): h = {vector_show(record.h, precision)}"))
    else:
        parts.append(LayerTable(layer, record, precision, columns=shared()))
    if explain:
        from .explain import legend, record_lines
        lines = record_lines(layer, record, x, precision)
        parts.append(Text("\n" + legend(layer), style="dim italic"))
        parts.append(explain_grid(lines))
    return parts


def input_line(step, precision: int) -> Text:
    text = Text()
    if step.token is not None:
        text.append("word ", style="dim")
        text.append(step.token, style="bold")
        text.append("   ")
    text.append("x = ", style="dim")
    text.append(vector_show(step.x, precision))
    return text


def step_panel(spec, step, total: int, precision: int = DEFAULT_PRECISION, explain: bool = False,
               layers: Optional[Sequence[str]] = None, columns: Optional[Dict[tuple, Columns]] = None) -> "Frame":
    """The panel of one time step: the input, then every (chosen) layer. Panels given the
    same ``columns`` (a dict, filled here) line their tables' columns up with each other."""
    parts: List = [input_line(step, precision)]
    x = step.x
    for layer in spec.layers:
        record = step.layers[layer.name]
        if layers is None or layer.name in layers:
            parts.append(Text(""))
            parts += layer_view(layer, record, x, step.t, total, precision, explain, columns)
        x = record.output
    if layers is None:
        out = Text("\ny = ", style="bold")
        out.append(vector_show(step.y, precision))
        label = getattr(step.layers[spec.layers[-1].name], "label", None)
        if label is not None:
            from .winners import most_likely
            out.append(f"   → {most_likely(spec.layers[-1].labels, step.y)}", style="bold green")
        parts.append(out)
    return Frame(parts, f"Step {step.t} of {total}")


class Frame:
    """A step's panel: the parts in a rounded box titled at its top left, a space inside
    each side. It draws exactly what rich's ``Panel(Group(*parts), title=…,
    title_align="left", box=box.ROUNDED, padding=(0, 1))`` draws (``panel()``; a test
    holds the two equal), laying each line out once where the Panel, through its
    padding, crops and pads every line twice."""

    def __init__(self, parts: Sequence, title: str):
        self.parts = list(parts)
        self.title = title

    def panel(self) -> "Panel":
        from rich.panel import Panel   # for what a Frame leaves to rich, and the test
        return Panel(Group(*self.parts), title=Text(self.title), title_align="left", box=box.ROUNDED, padding=(0, 1))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # The Panel's very segments, styles included (an SVG export draws one element per
        # segment): its border and padding carry the null style ("none"); its title line,
        # " title " filled with the box's top to the width, carries no style.
        width = options.max_width
        title = f" {self.title} "
        if options.height is not None or cell_len(title) > width - 4:   # as rich draws those
            yield self.panel()
            return
        null = Style.null()
        edge = box.ROUNDED.substitute(options, safe=console.safe_box)
        inside = options.update(width=width - 4, height=None, highlight=False)
        lines = console.render_lines(Group(*self.parts), inside, style=null, pad=True)
        new_line = Segment.line()
        yield Segment(edge.top_left + edge.top, null)
        yield Segment(title + edge.top * (width - 4 - cell_len(title)))
        yield Segment(edge.top + edge.top_right, null)
        yield new_line
        left, right, space = Segment(edge.mid_left, null), Segment(edge.mid_right, null), Segment(" ", null)
        for line in lines:
            yield left
            yield space
            yield from line
            yield space
            yield right
            yield new_line
        yield Segment(edge.get_bottom([width - 2]), null)
        yield new_line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.panel().__rich_measure__(console, options)
