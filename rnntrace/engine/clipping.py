"""Gradient clipping and one plain gradient-descent step.

    global norm   ‖g‖ = sqrt(Σ over every entry of every parameter's gradient of g²)
    by norm θ:    g ← g·θ/‖g‖ when ‖g‖ > θ (the direction is kept, the length becomes θ)
    by value θ:   every entry g_k ← min(max(g_k, −θ), θ) (the direction may change)
    update:       θ ← θ − η·g
"""
from __future__ import annotations

import math
from typing import Dict, Optional, Tuple

import numpy as np

Grads = Dict[str, np.ndarray]


def global_norm(grads: Grads) -> float:
    """In float64 as Python floats; in a float32 run in float32, as frameworks do."""
    if any(g.dtype == np.float32 for g in grads.values()):
        total32 = np.float32(0.0)
        for g in grads.values():
            total32 = total32 + np.sum(g * g, dtype=np.float32)
        return np.sqrt(total32)
    total = 0.0
    for g in grads.values():
        total += float(np.sum(g * g))
    return math.sqrt(total)


def clip_by_norm(grads: Grads, theta: float) -> Tuple[Grads, float]:
    """The rescaled gradients and the factor used (1.0 when the norm is within θ)."""
    norm = global_norm(grads)
    scale = theta / norm if norm > theta else 1.0
    return {k: g * scale for k, g in grads.items()}, scale


def clip_by_value(grads: Grads, theta: float) -> Grads:
    return {k: np.clip(g, -theta, theta) for k, g in grads.items()}


def clip(grads: Grads, kind: str, theta: float) -> Tuple[Grads, Optional[float]]:
    """Clip by ``norm`` or ``value``; the second item is the norm-clipping factor
    (None when clipping by value, which has none)."""
    if kind == "norm":
        return clip_by_norm(grads, theta)
    if kind == "value":
        return clip_by_value(grads, theta), None
    raise ValueError(kind)


def changed_entries(before: Grads, after: Grads) -> int:
    return int(sum(np.count_nonzero(before[k] != after[k]) for k in before))


def sgd_step(params: Grads, grads: Grads, learning_rate: float) -> Grads:
    return {k: params[k] - learning_rate * grads[k] for k in params}
