"""CSV: one row per step, one column per quantity.

Column names are the quantity paths of :func:`rnntrace.trace.flatten` (``t``, ``x``,
``token``, ``lstm.gates.<block>.a``, ``lstm.c``, ``y``); a quantity with several
units gets one column per unit, numbered from 1 as in the panels (``hidden.h[2]``).
Values are exact: the shortest text that reads back as the same float64. A value
that is not finite (null in the JSON trace) is an empty cell.
"""
from __future__ import annotations

import csv
import io
from typing import Any, Dict, List, Optional, Sequence

from ..trace import flatten, step_to_dict
from ..safetext import csv_cell
from .numbers import exact


def _columns(flat: Dict[str, Any]) -> List[tuple]:
    columns = []
    for key, value in flat.items():
        if isinstance(value, list):
            if len(value) == 1:
                columns.append((key, key, 0))
            else:
                columns += [(f"{key}[{i + 1}]", key, i) for i in range(len(value))]
        else:
            columns.append((key, key, None))
    return columns


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return exact(value)
    if isinstance(value, int):
        return str(value)
    return csv_cell(value)   # a word or label: text that no spreadsheet runs as a formula


def _keep(key: str, layers: Optional[Sequence[str]]) -> bool:
    if layers is None or key in ("t", "x", "token"):
        return True
    return key.split(".", 1)[0] in layers


def trace_csv(trace, steps=None, layers: Optional[Sequence[str]] = None) -> str:
    steps = list(trace.steps) if steps is None else list(steps)
    flats = [flatten(step_to_dict(step)) for step in steps]
    if not flats:
        return ""
    columns = [c for c in _columns(flats[0]) if _keep(c[1], layers)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(name) for name, _, _ in columns])   # the names hold layer names
    for flat in flats:
        writer.writerow([_cell(flat.get(key) if index is None else flat[key][index])
                         for _, key, index in columns])
    return buffer.getvalue()
