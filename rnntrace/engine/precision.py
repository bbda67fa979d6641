"""The number type a run computes in: float64 (the default, an exact reference) or
float32 (what PyTorch, Keras and TensorFlow use by default).

``cast(spec, "float32")`` converts the spec's numbers once (inputs, every weight,
bias, peephole and starting value, the targets and upstream gradients); the engine
then keeps the type of what it is given: arrays are made with the type of the
layer's weights (rnntrace.layers.base.zeros), and constants are Python numbers, which numpy applies in the
array's own type (0.2·z of a float32 z is a float32 product). Nothing is computed in
float64 and rounded afterwards.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import numpy as np

DTYPES = ("float64", "float32")


def _cast(value: Any, dtype: np.dtype) -> Any:
    if isinstance(value, np.ndarray):
        return value.astype(dtype) if value.dtype.kind == "f" else value
    if isinstance(value, Mapping):
        return {key: _cast(item, dtype) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_cast(item, dtype) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _cast(getattr(value, f.name), dtype) for f in dataclasses.fields(value)
                   if f.init}
        return dataclasses.replace(value, **changes)
    return value


def cast(spec, dtype) -> Any:
    """The spec with every number in ``dtype`` ("float64" or "float32"); the same
    spec when it already is."""
    dtype = np.dtype(dtype)
    if dtype.name not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, not {dtype.name}")
    if spec.inputs.dtype == dtype:
        return spec
    return dataclasses.replace(spec, inputs=spec.inputs.astype(dtype),
                               layers=tuple(_cast(layer, dtype) for layer in spec.layers),
                               train=_cast(spec.train, dtype))
