"""JSON and JSON-lines output of a trace (format ``rnntrace.trace/1``).

Floats are written with ``repr`` precision, so reading them back gives the exact
float64 values; ``allow_nan=False`` guarantees strict JSON.
"""
from __future__ import annotations

import json
from typing import Iterable, Iterator

from ..trace import header_dict, step_to_dict


def dumps(data, indent=None) -> str:
    """Strict JSON (no NaN or Infinity tokens), text as it is (not \\u-escaped): every
    JSON output of rnntrace (traces, gradients, surfaces, check reports) goes through here."""
    from ..safetext import json_text
    return json_text(json.dumps(data, allow_nan=False, ensure_ascii=False, indent=indent))


def trace_json(trace, indent=None) -> str:
    return dumps(trace.to_dict(), indent)


def trace_jsonl(spec, steps: Iterable) -> Iterator[str]:
    """A header line, then one line per step, produced as the steps are."""
    yield dumps(header_dict(spec))
    for step in steps:
        yield dumps(step_to_dict(step))
