"""Tables (and the chain rule, with --explain) for a :class:`~rnntrace.gradients.Gradients`.

Everything shown is a number the engine computed; this module only lays it out. For
q a quantity, "dL/dq" is the gradient of the whole sequence's loss L with respect to q.
"""
from __future__ import annotations

import weakref
from typing import Iterable, List, Optional, Sequence

import numpy as np
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

from ..safetext import rich_text
from . import tables
from .json import dumps
from .numbers import DEFAULT_PRECISION, compact, vector_compact

LOSS_TEXT = {"squared_error": "½Σ(y − ŷ)²", "cross_entropy": "−log y[label]", "upstream": "Σ g·q"}

class Hanging:
    """A line of text that, when it is too long for the terminal, wraps with a hanging
    indent: its first line ``indent`` spaces in, the rest :data:`HANG` more, so that a
    long equation does not run on at the left margin."""

    HANG = 4

    def __init__(self, text, indent: int = 2):
        self.text = text if isinstance(text, Text) else Text(text)
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        hang = self.indent + self.HANG
        lines = self.text.wrap(console, max(options.max_width - hang, 20))
        for i, line in enumerate(lines):
            line.rstrip()
            yield Text(" " * (hang if i else self.indent)) + line


def gradients_json(result, indent: Optional[int] = None) -> str:
    return dumps(result.to_dict(), indent)


# --------------------------------------------------------------------------- the backward tables

#: Each layer's backward rows' names (render/arithmetic.gradient_names).
_NAMES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _rows(layer, record, precision: int) -> List[tuple]:
    """The rows of a layer's backward table, named from its description
    (render/arithmetic.gradient_names)."""
    labels = _NAMES.get(layer)
    if labels is None:   # read once per layer: the description does not change from step to step
        from ..layers import describe
        from .arithmetic import gradient_names
        labels = _NAMES[layer] = gradient_names(describe(layer))
    rows = []
    for key, value in record.values.items():
        rows.append((labels.get(key, f"dL/d{key}"), [compact(v, precision) for v in value]))
    if record.gates:
        for gate, parts in record.gates.items():
            a, z = labels[("gate", gate)]
            rows.append((f"dL/d{a}", [compact(v, precision) for v in parts["da"]]))
            rows.append((f"dL/d{z}", [compact(v, precision) for v in parts["dz"]]))
    return rows


def layer_table(name: str, layer, record, precision: int):
    if record.parts is not None:
        outer = tables.table(f"{name} (bidirectional, {layer.merge})", show_header=False, box=None)
        outer.add_row(layer_table(f"{name}.forward →", layer.forward, record.parts["forward"], precision),
                      layer_table(f"{name}.backward ←", layer.backward, record.parts["backward"], precision))
        outer.add_row(Text(f"dL/dh (merged) = {vector_compact(record.values['dh'], precision)}"), "")
        return outer
    rows = _rows(layer, record, precision)
    width = max(len(r[1]) for r in rows)
    labels = getattr(layer, "labels", None)
    if labels and len(labels) == width:
        headers = list(labels)
    else:
        headers = [f"unit {u + 1}" for u in range(width)] if width > 1 else ["value"]
    table = tables.table(f"{name} ({layer.type})", tables.text_column("gradient"),
                         *map(tables.number_column, headers))
    for label, values in rows:
        table.add_row(label, *(values + [""] * (width - len(values))))
    return table


def _target_text(spec, step, precision: int) -> str:
    if spec.train.loss == "upstream":
        return "upstream given" if step.upstream else "no upstream gradient"
    if step.target is None:
        return "no target"
    if isinstance(step.target, np.ndarray):
        return f"target ŷ = {vector_compact(step.target, precision)}"
    return f"target: {step.label}" if step.label else f"target: unit {step.target}"


def backward_step(result, step, trace_step, precision: int, explain: bool):
    spec = result.spec
    heading = Text(f"Step {step.t}", style="bold")
    heading.append(f"   {_target_text(spec, step, precision)}   L_t = {compact(step.loss, precision)}")
    heading.append(f"   y = {vector_compact(trace_step.y, precision)}")
    if result.loss_function != "upstream":   # without a loss, dL/dy comes only from what is given
        heading.append(f"   dL/dy = {vector_compact(step.dy, precision)}")
    parts: List = [Hanging(heading, 0)]
    for name, given in (step.upstream or {}).items():
        parts.append(Hanging(f"upstream for {name}: " + ", ".join(f"dL/d{key} = {vector_compact(g, precision)}"
                                                                  for key, g in given.items())))
    if explain:
        parts.extend(explain_loss(result, step, trace_step, precision))
    for layer in reversed(spec.layers):
        parts.append(layer_table(layer.name, layer, step.layers[layer.name], precision))
        if explain:
            parts.extend(explain_layer(layer, layer.name, trace_step.layers[layer.name],
                                       step.layers[layer.name], precision, step.t, len(result.steps)))
    if step.dx is not None:
        parts.append(Hanging(f"dL/dx (the network's input x_{step.t}) = {vector_compact(step.dx, precision)}", 0))
        if explain:
            first = spec.layers[0]
            terms = _to_input(first, trace_step.layers[first.name], step.layers[first.name])
            said = f"the first layer's {' + '.join(terms)}" if terms else \
                "nothing hands a gradient back to x (an id has none)"
            parts.append(Hanging(f"{said}; x_{step.t} = {vector_compact(trace_step.x, precision)}"))
    return Group(*parts)


def _to_input(layer, fwd, bwd) -> List[str]:
    """What the layer's formulas hand back to its input x at one step, in symbols and in
    the formulas' order (``Wᵀ·dL/dz``, ``E·dL/de``; render/arithmetic.handed_back), each
    direction's marked (→, ←)."""
    if bwd.parts is not None:
        marks = {"forward": "→", "backward": "←"}
        return [f"{term} ({marks.get(part, part)})" for part, _, _ in layer.home.DIRECTIONS
                for term in _to_input(getattr(layer, part), getattr(fwd, part), bwd.parts[part])]
    from .arithmetic import handed_back
    handed = list(handed_back(layer, fwd, bwd).values())[::-1]   # kept last formula first
    return list(dict.fromkeys(sym for items in handed for path, sym, _ in items if path == "x"))


# --------------------------------------------------------------------------- initial state

def initial_rows(result):
    """(name, note, dL/d(initial value)) for every memory of every recurrent layer:
    ``lstm.c_0``, ``birnn.backward.h_0`` (its first step read x_T)."""
    T = len(result.steps)
    rows = []
    for layer, memories in result.initial.items():
        for key, value in memories.items():
            if isinstance(value, dict):     # a bidirectional layer's direction
                note = "x_1" if key == "forward" else f"x_{T}"
                rows += [(f"{layer}.{key}.{m}_0", note, v) for m, v in value.items()]
            else:
                rows.append((f"{layer}.{key}_0", "x_1", value))
    return rows


def initial_table(result, precision: int) -> Table:
    title = "Initial state: dL/d(memory at t = 0)"
    table = tables.table(title, tables.text_column("memory"), tables.text_column("before"),
                         tables.text_column("dL/d(memory)"), min_width=len(title))
    for name, note, value in initial_rows(result):
        table.add_row(name, note, vector_compact(value, precision))
    return table


# --------------------------------------------------------------------------- parameters

def matrix_text(value: np.ndarray, precision: int) -> str:
    if value.ndim == 1:
        return vector_compact(value, precision)
    return "\n".join(vector_compact(row, precision) for row in value)


def parameter_table(result, precision: int) -> Table:
    columns = [tables.text_column("w"), tables.text_column("value"), tables.text_column("dL/dw")]
    if result.clipped is not None:
        columns.append(tables.text_column("clipped"))
    if result.updated is not None:
        columns.append(tables.text_column(f"after w − {compact(result.learning_rate, precision)}·g"))
    table = tables.table("Parameters: dL/dw for every weight w", *columns)
    for name, grad in result.gradients.items():
        row = [name, matrix_text(result.parameters[name], precision), matrix_text(grad, precision)]
        if result.clipped is not None:
            row.append(matrix_text(result.clipped[name], precision))
        if result.updated is not None:
            row.append(matrix_text(result.updated[name], precision))
        table.add_row(*row)
    return table


def summary_lines(result, precision: int) -> List[Hanging]:
    entries = result.entries
    lines = [Text(f"Global gradient norm ‖g‖ = √(Σ g²) over {entries} entries = {compact(result.norm, precision)}",
                  style="bold")]
    if result.clip is not None:
        kind, theta = result.clip
        if kind == "norm":
            if result.clip_scale is not None and result.clip_scale < 1.0:
                lines.append(Text(f"Clip by norm θ = {compact(theta, precision)}: ‖g‖ > θ, so every gradient is "
                                  f"multiplied by θ/‖g‖ = {compact(result.clip_scale, precision)}; the clipped norm is "
                                  f"{compact(result.clipped_norm, precision)} (same direction, length θ)."))
            else:
                lines.append(Text(f"Clip by norm θ = {compact(theta, precision)}: ‖g‖ ≤ θ, nothing changes."))
        else:
            lines.append(Text(f"Clip by value θ = {compact(theta, precision)}: {result.clipped_entries} of {entries} "
                              f"entries cut to ±θ; the clipped norm is {compact(result.clipped_norm, precision)} "
                              "(the direction may change)."))
    if result.updated is not None:
        which = "clipped gradient" if result.clipped is not None else "gradient"
        lines.append(Text(f"One gradient step: w ← w − η·({which}), η = {compact(result.learning_rate, precision)}."))
    return [Hanging(line, 0) for line in lines]


# --------------------------------------------------------------------------- explain

def explain_loss(result, step, trace_step, precision: int) -> List[Hanging]:
    p = precision
    y = trace_step.y
    if result.loss_function == "upstream":
        if not step.upstream:
            return [Hanging(Text("No upstream gradient at this step: gradients here come only through the "
                                 "memory from later steps.", style="dim"))]
        return [Hanging(f"L_t = Σ g·q over the quantities given = {compact(step.loss, p)}; each given g is "
                        "added to dL/dq (dL/dh from the output, or dL/dc)")]
    if step.target is None:
        return [Hanging(Text("No target at this step: L_t = 0 and dL/dy_t = 0; gradients here come only "
                             "through the memory from later steps.", style="dim"))]
    if result.loss_function == "squared_error":
        y_, target = vector_compact(y, p), vector_compact(step.target, p)
        return [Hanging(f"L_t = ½Σ(y − ŷ)² = ½·Σ({y_} − {target})² = {compact(step.loss, p)}"),
                Hanging(f"dL/dy = y − ŷ = {y_} − {target} = {vector_compact(step.dy, p)}")]
    k = step.target
    name = step.label or f"unit {k}"
    return [Hanging(f"L_t = −log y[{name}] = −log {compact(y[k], p)} = {compact(step.loss, p)}"),
            Hanging(f"dL/dy[{name}] = −1/y[{name}] = {compact(step.dy[k], p)}; with the softmax, "
                 f"dL/dz = y − onehot({name}) (the output layer's dL/dz below)")]


def explain_layer(layer, name, fwd, bwd, precision: int, t: int, T: int, later: Optional[str] = None) -> List[Hanging]:
    """The chain rule for one layer at step t, as its home writes it. ``later`` is the
    step whose gradient comes back through the memory: t+1, or t−1 for a layer that
    reads x_T … x_1 (``direction: reverse``, a bidirectional layer's backward direction)."""
    from ..layers import need
    if later is None:
        later = "step t−1" if getattr(layer, "direction", "forward") == "reverse" else "step t+1"
    write = need(layer, "grad_explain", "grad --explain")
    lines = write(layer, name, fwd, bwd, lambda a: vector_compact(a, precision), later)
    out = [Hanging(line) for line in lines]
    if bwd.parts is not None:
        for part, _, _ in layer.home.DIRECTIONS:
            out.extend(explain_layer(getattr(layer, part), f"{name}.{part}", getattr(fwd, part),
                                     bwd.parts[part], precision, t, T,
                                     "step t+1" if part == "forward" else "step t−1"))
    return out


# --------------------------------------------------------------------------- the whole view

#: A sequence of more than LAST_ONLY_OVER steps shows only its last LAST steps unless steps are asked for.
LAST_ONLY_OVER = 12
LAST = 3


def select_steps(result, steps: Optional[Sequence[int]]):
    """The backward records to show (last step first), and how many were left out."""
    if steps is None:
        return list(result.steps), 0
    wanted = set(steps)
    chosen = [s for s in result.steps if s.t in wanted]
    return chosen, len(result.steps) - len(chosen)


def render(result, trace, precision: int = DEFAULT_PRECISION, explain: bool = False,
           steps: Optional[Sequence[int]] = None) -> Iterable:
    """The whole view; ``steps`` (1-based) are the backward steps to show, by default
    every step, or the last :data:`LAST` of a sequence longer than :data:`LAST_ONLY_OVER`."""
    spec = result.spec
    if spec.title:
        yield rich_text(f"{spec.title}: backpropagation through time", style="bold underline")
    if result.dtype != "float64":
        yield Hanging(Text(f"Computed in {result.dtype} (--dtype), forward and backward, as PyTorch and Keras "
                           "compute by default.", style="italic"), 0)
    T = len(result.steps)
    if result.loss_function == "upstream":
        given = sum(1 for step in result.steps if step.upstream)
        yield Hanging(Text(f"Upstream gradients g given at {given} of {T} steps, no loss: L = Σ_t Σ g·q "
                           f"(q: the quantity each g is given for, so dL/dq = g) = {compact(result.loss, precision)}",
                           style="bold"), 0)
    else:
        yield Text(f"Loss L = Σ_t {LOSS_TEXT[result.loss_function]} ({result.loss_function}, "
                   f"{result.steps_with_target} of {T} "
                   f"steps with a target) = {compact(result.loss, precision)}", style="bold")
    yield Text("Backward from the last step to the first:")
    yield Text("")
    note = None
    if steps is None and T > LAST_ONLY_OVER:
        steps = range(T - LAST + 1, T + 1)
        note = f"Steps {T - LAST} … 1 are not shown: --steps 1:{T} shows every step, --steps 1:5 the first five."
    chosen, left_out = select_steps(result, steps)
    for step in chosen:
        yield backward_step(result, step, trace[step.t - 1], precision, explain)
        yield Text("")
    if left_out:
        yield Text(note or f"{left_out} step(s) not shown; --steps A:B chooses which.", style="dim")
        yield Text("")
    if result.initial:
        yield initial_table(result, precision)
        if explain:
            yield Hanging("Each is what the backward pass hands back from the layer's first step (a backward "
                          "direction's first step reads x_T): the gradient that would flow into a step before it.", 0)
        yield Text("")
    yield parameter_table(result, precision)
    if explain:
        yield Hanging("dL/dw sums every step's contribution: the same weight is used at every step of the "
                      "unrolled network.", 0)
    for line in summary_lines(result, precision):
        yield line
