"""The two losses of ``train``, summed over the steps that have a target.

    squared_error:  L_t = ½ Σ_j (y_tj − ŷ_tj)²        dL_t/dy_t = y_t − ŷ_t
    cross_entropy:  L_t = −log y_t[label]             dL_t/dy_t = −1/y_t[label] at the label, 0 elsewhere

Cross-entropy needs a softmax output y = softmax(z) (a dense layer's, or a Jordan
layer's output), and is worked out from z: L_t = log Σ_j e^z_j − z[label] (shifted by
max z), and dL_t/dz_t = y_t − onehot(label) (the softmax Jacobian times the line
above). Both stay finite where y_t[label] rounds to 0; only dL/dy, which is shown,
becomes −inf there.

Each loss is a number of the type of y (float64, or float32 in a float32 run).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np


def squared_error(y: np.ndarray, target: np.ndarray) -> Tuple[float, np.ndarray]:
    diff = y - target
    return 0.5 * (diff @ diff), diff


def cross_entropy(z: np.ndarray, y: np.ndarray, label: int) -> Tuple[float, np.ndarray, np.ndarray]:
    """L, dL/dy and dL/dz of −log softmax(z)[label], where y = softmax(z)."""
    m = np.max(z)
    loss = m + np.log(np.sum(np.exp(z - m))) - z[label]
    dy = np.zeros_like(y)
    with np.errstate(divide="ignore"):
        dy[label] = -1.0 / y[label]
    dz = y.copy()
    dz[label] -= 1.0
    return loss, dy, dz
