"""The most likely label of a dense layer with labels, as the views say it.

The record's ``label`` is the first largest output (``argmax``); when several units
share the largest value exactly (a softmax over equal z gives each exactly the same
float64), that label is only one of them, so the views name them all as a tie.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np


def winners(y) -> List[int]:
    """The units holding the largest output (several on a tie; none if all are NaN)."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0 or np.isnan(y).all():
        return []
    return [int(u) for u in np.flatnonzero(y == np.nanmax(y))]


def most_likely(labels: Sequence[str], y) -> str:
    """``destination``, or ``a tie between yes and no`` when several labels share the
    largest output."""
    best = [str(labels[u]) for u in winners(y)]
    if len(best) > 1:
        return f"a tie between {', '.join(best[:-1])} and {best[-1]}"
    return best[0] if best else ""
