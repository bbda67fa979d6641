"""Activation functions and their derivatives, numerically stable at |z| = 1000 (no
overflow warnings): the forward pass uses ``activate``, backpropagation ``back``.
Each keeps the type of z (float64 or float32): constants are Python numbers, which
numpy applies in the array's type."""
from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    # σ(z) = 1/(1+e^−z) for z ≥ 0 and e^z/(1+e^z) for z < 0: e^(−|z|) never overflows.
    e = np.exp(-np.abs(z))
    d = 1.0 + e
    return np.where(z >= 0, 1.0 / d, e / d)


def hard_sigmoid(z: np.ndarray) -> np.ndarray:
    # Keras 2: clip(0.2·z + 0.5, 0, 1)
    return np.clip(0.2 * z + 0.5, 0.0, 1.0)


def softmax(z: np.ndarray) -> np.ndarray:
    # Shifting by max(z) changes nothing mathematically and keeps e^z ≤ 1.
    e = np.exp(z - np.max(z))
    return e / e.sum()


def linear(z: np.ndarray) -> np.ndarray:
    return np.array(z, copy=True)


def relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0)


FUNCTIONS = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "relu": relu,
    "hard_sigmoid": hard_sigmoid,
    "softmax": softmax,
}


def activate(name: str, z: np.ndarray) -> np.ndarray:
    return FUNCTIONS[name](z)


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """f′(z) of an elementwise activation."""
    if name == "linear":
        return np.ones_like(z)
    if name == "sigmoid":
        # σ′(z) = σ(z)·σ(−z) = e^−|z| / (1 + e^−|z|)²: stays exact where σ(z) rounds to 1
        e = np.exp(-np.abs(z))
        return e / ((1.0 + e) * (1.0 + e))
    if name == "tanh":
        # tanh′(z) = 1 − tanh² = 4e^−2|z| / (1 + e^−2|z|)²: the same, where tanh rounds to ±1
        e = np.exp(-2.0 * np.abs(z))
        return 4.0 * e / ((1.0 + e) * (1.0 + e))
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "hard_sigmoid":   # clip(0.2·z + 0.5, 0, 1): slope 0.2 inside (−2.5, 2.5)
        return np.where((z > -2.5) & (z < 2.5), z.dtype.type(0.2), z.dtype.type(0.0))
    raise ValueError(f"no elementwise derivative for {name!r}")


def back(name: str, z: np.ndarray, a: np.ndarray, da: np.ndarray) -> np.ndarray:
    """dL/dz from dL/da through a = f(z). Softmax mixes its units: dz = a∘(da − (da·a))
    (its Jacobian, diag(a) − a·aᵀ, applied to da)."""
    if name == "softmax":
        return a * (da - float(da @ a))
    return da * derivative(name, z)
