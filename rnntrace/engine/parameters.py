"""A spec's trainable parameters by name, and the same spec with some of them changed.

Names follow DESIGN §4: ``layer.W`` (elman, jordan, dense), ``layer.output.W`` (jordan's
output), ``layer.block.W`` (lstm and gru blocks), ``layer.forward.…`` and
``layer.backward.…`` (bidirectional).
"""
from __future__ import annotations

import dataclasses
from typing import Dict, Mapping

import numpy as np


def parameters(spec) -> Dict[str, np.ndarray]:
    """Every weight of every layer, in layer order, under its full name."""
    return {f"{layer.name}.{key}": value for layer in spec.layers
            for key, value in layer.parameters().items()}


def replace_parameters(spec, values: Mapping[str, np.ndarray]):
    """The spec with the named parameters set to ``values`` (same shapes)."""
    known = parameters(spec)
    per_layer: Dict[str, Dict[str, np.ndarray]] = {}
    for name, value in values.items():
        if name not in known:
            raise KeyError(name)
        value = np.asarray(value, dtype=np.float64)
        if value.shape != known[name].shape:
            raise ValueError(f"{name}: expected shape {known[name].shape}, found {value.shape}")
        layer, key = name.split(".", 1)
        per_layer.setdefault(layer, {})[key] = value
    layers = tuple(_replace(layer, per_layer[layer.name]) if layer.name in per_layer else layer
                   for layer in spec.layers)
    return dataclasses.replace(spec, layers=layers)


def _replace(layer, values: Mapping[str, np.ndarray]):
    """Set ``values`` (keys relative to the layer: ``W``, ``output.b``, ``<block>.U``,
    ``forward.<block>.W``) in a copy of ``layer``."""
    direct: Dict[str, np.ndarray] = {}
    nested: Dict[str, Dict[str, np.ndarray]] = {}
    for key, value in values.items():
        head, _, rest = key.partition(".")
        if rest:
            nested.setdefault(head, {})[rest] = value
        else:
            direct[key] = value
    changes: Dict[str, object] = dict(direct)
    if nested:
        if hasattr(layer, "blocks"):
            blocks = dict(layer.blocks)
            for block, vals in nested.items():
                blocks[block] = dataclasses.replace(blocks[block], **vals)
            changes["blocks"] = blocks
        else:   # jordan's output, bidirectional's forward/backward
            for part, vals in nested.items():
                changes[part] = _replace(getattr(layer, part), vals)
    return dataclasses.replace(layer, **changes)
