"""The trace: what the engine computed at every step, as plain data.

Step records hold float64 arrays; :meth:`Trace.to_dict` (and :func:`step_to_dict`)
is the one place they become JSON-ready lists, in the field names of the
``rnntrace.trace/1`` format.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterator, List, Mapping, Optional

import numpy as np

from .records import names, record

FORMAT = "rnntrace.trace/1"
Array = np.ndarray

#: A layer's record at one step: the dataclass its home defines (rnntrace/layers/<type>.py),
#: with an ``output`` property; ``gates`` (a dict of block → Gate) is the one nested field.
Record = Any


@record
class Step:
    """One time step: its input, every layer's record and the network's output."""

    t: int                       # 1-based
    x: Array
    layers: Mapping[str, Record]
    y: Array                     # the last layer's output
    token: Optional[str] = None


class Trace:
    """A run: the spec it came from and one :class:`Step` per time step."""

    def __init__(self, spec: Any, steps: Optional[List[Step]] = None):
        self.spec = spec
        self.steps: List[Step] = [] if steps is None else steps

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index: int) -> Step:
        return self.steps[index]

    def header(self) -> Dict[str, Any]:
        return header_dict(self.spec)

    def to_dict(self) -> Dict[str, Any]:
        data = self.header()
        data["steps"] = [step_to_dict(step) for step in self.steps]
        return data

    def __getattr__(self, name: str):
        # The page is a view: the engine's trace does not draw it (docs/python.md).
        if name == "to_html":
            raise AttributeError("rnntrace.page_html(trace) writes a trace's interactive page "
                                 "(in a notebook, a trace shows as it by itself)")
        raise AttributeError(f"'Trace' object has no attribute {name!r}")


# --------------------------------------------------------------------------- to plain data

def header_dict(spec) -> Dict[str, Any]:
    from .model import parameter_count
    data: Dict[str, Any] = {"format": FORMAT}
    if spec.title is not None:
        data["title"] = spec.title
    if spec.dtype != "float64":   # float64, the default, is not written: outputs stay as they were
        data["dtype"] = spec.dtype
    data["layers"] = [_layer_info(layer, parameter_count(layer)) for layer in spec.layers]
    return data


def _layer_info(layer, parameters: int) -> Dict[str, Any]:
    info: Dict[str, Any] = {"name": layer.name, "type": layer.type, "size": layer.output_size,
                            "parameters": parameters}
    if hasattr(layer, "merge"):
        info["merge"] = layer.merge
        info["forward"] = {"type": layer.forward.type, "size": layer.forward.output_size}
        info["backward"] = {"type": layer.backward.type, "size": layer.backward.output_size}
    if getattr(layer, "labels", None):
        info["labels"] = list(layer.labels)
    return info


def float32_values(array: Array) -> List[float]:
    """A float32 array's values as the Python floats whose shortest text is the shortest
    text that reads back as the same float32 (0.1, not 0.10000000149011612): what JSON
    and CSV write for a float32 run."""
    return [float(str(v)) for v in array.ravel()]


def numbers(array: Array) -> List[Optional[float]]:
    """A float64 vector as a JSON list; a non-finite entry becomes null (strict JSON).
    A float32 vector's entries are written as float32 numbers (float32_values)."""
    values = float32_values(array) if array.dtype == np.float32 else array.tolist()
    # A sum is finite only if every entry is (inf and NaN carry through addition), and
    # summing a short list of floats costs far less than np.isfinite on each vector of
    # a long trace. A sum that overflows with finite entries only takes the slow path.
    if not math.isfinite(sum(values)):
        values = [v if math.isfinite(v) else None for v in values]
    return values


def record_to_dict(record: Record) -> Dict[str, Any]:
    data: Dict[str, Any] = {}
    for name in names(record):
        value = getattr(record, name)
        if type(value) is np.ndarray:
            data[name] = numbers(value)
        elif name == "gates":
            data["gates"] = {g: {"z": numbers(v.z), "a": numbers(v.a)} for g, v in value.items()}
        elif name in ("label", "id"):   # a dense layer's winning label, an embedding's row
            if value is not None:
                data[name] = value
        else:   # a direction's own record
            data[name] = record_to_dict(value)
    return data


def step_to_dict(step: Step) -> Dict[str, Any]:
    data: Dict[str, Any] = {"t": step.t, "x": numbers(step.x)}
    if step.token is not None:
        data["token"] = step.token
    data["layers"] = {name: record_to_dict(record) for name, record in step.layers.items()}
    data["y"] = numbers(step.y)
    return data


def flatten(step_dict: Mapping[str, Any]) -> Dict[str, Any]:
    """``{"layers": {"lstm": {"c": [..]}}}`` → ``{"lstm.c": [..]}``: the quantity paths
    that answers files and CSV columns use (``y``, ``lstm.gates.<block>.a``, …)."""
    out: Dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}" if prefix else key, item)
        else:
            out[prefix] = value

    for key, value in step_dict.items():
        if key == "layers":
            walk("", value)
        else:
            out[key] = value
    return out
