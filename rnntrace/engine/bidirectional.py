"""Bidirectional layer: one recurrent layer reads x_1 … x_T, another x_T … x_1.

At step t the forward record has read x_1 … x_t and the backward record x_T … x_t;
the output merges their outputs (concat, sum or mean).
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np

from ..trace import BidirectionalRecord


def merge(how: str, forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    if how == "concat":
        return np.concatenate([forward, backward])
    if how == "sum":
        return forward + backward
    return (forward + backward) / 2.0


def run(layer, xs: Sequence[np.ndarray]) -> List[BidirectionalRecord]:
    from . import run_layer
    forward = run_layer(layer.forward, xs)
    backward = run_layer(layer.backward, xs[::-1])[::-1]
    return [BidirectionalRecord(forward=f, backward=b, h=merge(layer.merge, f.output, b.output))
            for f, b in zip(forward, backward)]
