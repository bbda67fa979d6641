"""The two losses of ``train``, summed over the steps that have a target.

    squared_error:  L_t = ½ Σ_j (y_tj − ŷ_tj)²        dL_t/dy_t = y_t − ŷ_t
    cross_entropy:  L_t = −log y_t[label]             dL_t/dy_t = −1/y_t[label] at the label, 0 elsewhere

With a softmax output, dL_t/dz_t = y_t − onehot(label) (the softmax Jacobian times the
line above); the backward pass uses that form, which stays finite even where y_t[label]
rounds to 0, and the loss is computed from z as log Σ e^z − z[label].
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np


def squared_error(y: np.ndarray, target: np.ndarray) -> Tuple[float, np.ndarray]:
    diff = y - target
    return 0.5 * float(diff @ diff), diff


def cross_entropy(y: np.ndarray, label: int, z: Optional[np.ndarray] = None) -> Tuple[float, np.ndarray]:
    """L = −log y[label]; from the softmax's input z when given (no log of 0)."""
    if z is not None:
        m = float(np.max(z))
        loss = m + float(np.log(np.sum(np.exp(z - m)))) - float(z[label])
    else:
        with np.errstate(divide="ignore"):
            loss = -float(np.log(y[label]))
    dy = np.zeros_like(y)
    with np.errstate(divide="ignore"):
        dy[label] = -1.0 / y[label]
    return loss, dy


def softmax_cross_entropy_dz(y: np.ndarray, label: int) -> np.ndarray:
    """dL/dz of −log softmax(z)[label]: y − onehot(label)."""
    dz = y.copy()
    dz[label] -= 1.0
    return dz
