"""What every layer's backward pass shares.

A recurrent layer unrolled over T steps is walked from t = T down to 1: at each step
it gets dL/d(its output at t) from above and, through its memory, dL/d(its memory)
from step t + 1; it gives dL/dz for its blocks, dL/d(its input at t) for the layer
below, and dL/d(the memory it read) for step t − 1. What it gives at t = 1 is
dL/d(the memory's initial value).

Each block computes z_t = W·x_t + U·m_t + b (m: the memory read at t), so its
weights' gradients are sums over the steps, one matrix product each:

    dW = Σ_t dz_t·x_tᵀ = DZᵀ·X,    dU = Σ_t dz_t·m_tᵀ = DZᵀ·M,    db = Σ_t dz_t
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

Array = np.ndarray
#: (dz, dL/dx_t, the dL/dq values to show, each gate's {"da", "dz"} or None, the carry to t − 1)
StepBack = Tuple[Any, Array, Dict[str, Array], Optional[Dict[str, Dict[str, Array]]], Any]


def through_time(T: int, carry: Any, step: Callable[[int, Any], StepBack]):
    """Run ``step(t, carry)`` for t = T − 1 … 0 (0-based), starting from ``carry``
    (what flows back through the memory: zero after the last step) and handing each
    step's carry to the step before. Returns every step's dz, dL/dx_t and
    (values, gates), in the order of the steps, and the carry step 1 gives: the
    gradient of the memory's initial value."""
    dzs: List[Any] = [None] * T
    dxs: List[Array] = [None] * T
    shown: List[Any] = [None] * T
    for t in range(T - 1, -1, -1):
        dzs[t], dxs[t], values, gates, carry = step(t, carry)
        shown[t] = (values, gates)
    return dzs, dxs, shown, carry


def affine_gradients(dzs: Sequence[Array], xs: Sequence[Array],
                     memories: Optional[Sequence[Array]] = None, prefix: str = "") -> Dict[str, Array]:
    """dW, dU (with the memories read) and db of z_t = W·x_t + U·m_t + b, from every dz_t."""
    DZ = np.asarray(dzs)
    grads = {f"{prefix}W": DZ.T @ np.asarray(xs)}
    if memories is not None:
        grads[f"{prefix}U"] = DZ.T @ np.asarray(memories)
    grads[f"{prefix}b"] = DZ.sum(axis=0)
    return grads
