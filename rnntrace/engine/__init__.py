"""The engine: pure numpy, one module per cell type, each with a ``step`` function
that takes a layer, an input vector and the layer's memory and returns the step's
record and the new memory. Nothing here prints or knows about the terminal.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence

import numpy as np

from ..trace import Record, Step, Trace
from . import bidirectional, dense, elman, gru, jordan, lstm

CELLS = {"elman": elman, "jordan": jordan, "lstm": lstm, "gru": gru, "dense": dense}


def run_layer(layer, xs: Sequence[np.ndarray]) -> List[Record]:
    """Every step of one layer over a whole sequence of input vectors."""
    if layer.type == "bidirectional":
        return bidirectional.run(layer, xs)
    cell = CELLS[layer.type]
    state = cell.initial_state(layer)
    records = []
    for x in xs:
        record, state = cell.step(layer, x, state)
        records.append(record)
    return records


def iter_steps(spec, inputs: Optional[np.ndarray] = None, dtype: Optional[str] = None) -> Iterator[Step]:
    """The steps of a run, one at a time; ``dtype`` "float32" computes in float32
    (precision.cast), by default the spec's own type, float64.

    Without a bidirectional layer each step is computed only when asked for, so a
    long sequence streams in constant memory. A bidirectional layer has to read the
    whole sequence backwards first, so then the layers run one after another.
    """
    if dtype is not None:
        from .precision import cast
        spec = cast(spec, dtype)
    xs = spec.inputs if inputs is None else np.asarray(inputs, dtype=spec.inputs.dtype)
    tokens = spec.tokens
    if any(layer.type == "bidirectional" for layer in spec.layers):
        per_layer = []
        current: Sequence[np.ndarray] = list(xs)
        for layer in spec.layers:
            records = run_layer(layer, current)
            per_layer.append(records)
            current = [record.output for record in records]
        for t, x in enumerate(xs):
            layers = {layer.name: per_layer[i][t] for i, layer in enumerate(spec.layers)}
            yield Step(t + 1, x, layers, per_layer[-1][t].output, tokens[t] if tokens else None)
        return

    cells = [CELLS[layer.type] for layer in spec.layers]
    states = [cell.initial_state(layer) for cell, layer in zip(cells, spec.layers)]
    for t, x in enumerate(xs):
        layers = {}
        value = x
        for i, (cell, layer) in enumerate(zip(cells, spec.layers)):
            record, states[i] = cell.step(layer, value, states[i])
            layers[layer.name] = record
            value = record.output
        yield Step(t + 1, x, layers, value, tokens[t] if tokens else None)


def run(spec, inputs: Optional[np.ndarray] = None, dtype: Optional[str] = None) -> Trace:
    """Run the spec's network over its inputs (or ``inputs``) and keep every step;
    ``dtype`` "float32" computes in float32 (the trace's spec is then the float32 one)."""
    if dtype is not None:
        from .precision import cast
        spec = cast(spec, dtype)
    return Trace(spec, list(iter_steps(spec, inputs)))
