"""The engine: the network run over time, one step after another. Each layer type's
step (and backward step) is in its home, rnntrace/layers/<type>.py: it takes the
layer, an input vector and the layer's memory and returns the step's record and the
new memory. Nothing here prints or knows about the terminal.
"""
from __future__ import annotations

from typing import Iterator, List, Optional, Sequence

import numpy as np

from ..layers import TYPES, reads_backwards
from ..trace import Step, Trace

Record = object


def run_layer(layer, xs: Sequence[np.ndarray]) -> List[Record]:
    """Every step of one layer over a whole sequence of input vectors."""
    home = layer.home
    if hasattr(home, "run"):           # a layer that reads the whole sequence (bidirectional)
        return home.run(layer, xs, run_layer)
    backwards = reads_backwards(layer)  # direction: reverse steps through x_T … x_1; its
    state = home.initial_state(layer)   # record at t, which has read x_T … x_t, is kept at t
    records = []
    for x in (xs[::-1] if backwards else xs):
        record, state = home.step(layer, x, state)
        records.append(record)
    return records[::-1] if backwards else records


def whole_sequence(layer) -> bool:
    """Whether a layer needs the whole sequence before its first record (bidirectional,
    direction: reverse), so that the run cannot stream step by step."""
    return hasattr(layer.home, "run") or reads_backwards(layer)


def iter_steps(spec, inputs: Optional[np.ndarray] = None, dtype: Optional[str] = None) -> Iterator[Step]:
    """The steps of a run, one at a time; ``dtype`` "float32" computes in float32
    (precision.cast), by default the spec's own type, float64.

    Without a layer that reads the whole sequence (bidirectional, direction: reverse)
    each step is computed only when asked for, so a long sequence streams in constant
    memory. Such a layer has to read the whole sequence backwards first, so then the
    layers run one after another.
    """
    if dtype is not None:
        from .precision import cast
        spec = cast(spec, dtype)
    xs = spec.inputs if inputs is None else np.asarray(inputs, dtype=spec.inputs.dtype)
    tokens = spec.tokens
    if any(whole_sequence(layer) for layer in spec.layers):
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

    homes = [layer.home for layer in spec.layers]
    states = [home.initial_state(layer) for home, layer in zip(homes, spec.layers)]
    for t, x in enumerate(xs):
        layers = {}
        value = x
        for i, (home, layer) in enumerate(zip(homes, spec.layers)):
            record, states[i] = home.step(layer, value, states[i])
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


__all__ = ["TYPES", "run", "run_layer", "iter_steps"]
