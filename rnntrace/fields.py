"""Reading the values of a spec: numbers, vectors, matrices, choices and keys, each
checked where it stands, so that an error names its file, line, column and key path.

The layer types (rnntrace.layers) read their own keys with these; building the whole
spec from them is rnntrace.spec's. Weights use the PyTorch orientation: ``W`` has one
row per unit of the layer and one column per input, so a layer computes z = W·x + U·m + b.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Optional, Sequence, Union

import numpy as np

from .layers import activations as activation_table
from .errors import close_name, describe_value, quoted, shorten
from .yamlsource import Document, as_number

if TYPE_CHECKING:   # for annotations only: pathlib is not imported on the way to a run
    from pathlib import Path as FilePath

#: The activation functions a recurrent layer or gate may apply, and those of a dense
#: layer (softmax too): from the one table, rnntrace/layers/activations.py.
ACTIVATIONS = activation_table.ELEMENTWISE
OUTPUT_ACTIVATIONS = activation_table.NAMES
#: Most weights (and biases, peepholes, starting values) a spec may give, in all its
#: layers together: 10,000,000 float64 numbers are 80 MB. A scalar broadcasts, so a
#: few characters could otherwise ask for any amount of memory.
MAX_WEIGHTS = 10_000_000
#: Input files hold at most this many numbers (as many as a YAML spec may).
MAX_INPUT_VALUES = 5_000_000

Array = np.ndarray


class Reader:
    """Validation helpers that raise SpecErrors pointing into the document."""

    weights = 0   # weights read so far, held to MAX_WEIGHTS

    def __init__(self, doc: Document, folder: Optional[FilePath] = None,
                 allow_files: Sequence[Union[str, FilePath]] = ()):
        self.doc = doc
        self.folder = folder   # where relative file names in the spec start
        self.allow_files = tuple(allow_files)   # other places input files may be read from

    def error(self, message, path, **kw):
        return self.doc.error(message, path, **kw)

    def keys(self, data: dict, path: tuple, allowed, required=()) -> None:
        for key in data:
            if key not in allowed:
                hint = close_name(key, sorted(allowed))
                raise self.error(f"unknown key {quoted(key)}; expected one of {', '.join(sorted(allowed))}",
                                 path + (key,), hint=hint, at_key=True)
        for key in required:
            if key not in data:
                raise self.error(f"missing the required key {key!r}", path)

    def mapping(self, value, path, what="a mapping", keys=None, required=()) -> dict:
        """``value`` as a mapping; with ``keys``, only those keys, and the ``required`` ones."""
        if not isinstance(value, dict):
            raise self.error(f"expected {what}, found {describe_value(value)}", path)
        if keys is not None:
            self.keys(value, path, keys, required)
        return value

    def number(self, value, path) -> float:
        try:
            return as_number(value)
        except ValueError as exc:
            raise self.error(str(exc), path) from None

    def positive(self, value, path, what) -> float:
        number = self.number(value, path)
        if number <= 0:
            raise self.error(f"expected a positive {what}, found {number:g}", path)
        return number

    def count(self, value, path, what="size") -> int:
        if not whole(value) or value < 1:
            raise self.error(f"expected the {what} as a whole number of at least 1, found {describe_value(value)}", path)
        return int(value)

    def name(self, text: str, path, what: str) -> str:
        """A name that is shown in tables and headings (a layer name, a label, a word): it
        may not hold a line break or another control character, which would break the
        table it stands in or act on the reader's terminal."""
        from .safetext import visible
        if visible(text) != text:
            raise self.error(f"expected a {what} without control characters or line breaks; "
                             f"found '{shorten(visible(text))}'", path)
        return text

    def choice(self, value, path, choices, what) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.error(f"unknown {what} {quoted(value)}; expected one of {', '.join(choices)}", path,
                             hint=close_name(value, choices))
        return value

    def take(self, count: int, path) -> None:
        """Count ``count`` more weights; refuse a network larger than MAX_WEIGHTS
        before its arrays are made (``size: 100000`` with ``W: 1`` broadcasts)."""
        self.weights += count
        if self.weights > MAX_WEIGHTS:
            raise self.error(f"the network has more than {MAX_WEIGHTS:,} weights, the limit for a spec "
                             f"(this one alone needs {count:,})", path)

    def vector(self, value, path, size: int, what="vector") -> Array:
        """A length-``size`` vector; a single number broadcasts."""
        self.take(size, path)
        if isinstance(value, list):
            if len(value) != size or any(isinstance(v, list) for v in value):
                raise self.error(f"expected a {what} of {size} number{'s' if size != 1 else ''} "
                                 f"(or one number for all), found {shape_text(value)}", path)
            return np.array([self.number(v, path + (i,)) for i, v in enumerate(value)], dtype=np.float64)
        return np.full(size, self.number(value, path), dtype=np.float64)

    def matrix(self, value, path, rows: int, cols: int, why: str = "") -> Array:
        """A rows × cols matrix; a number broadcasts; a flat list is the row of a 1-row matrix."""
        expected = (f"expected a {rows}×{cols} matrix ({rows} row{'s' if rows != 1 else ''} "
                    f"of {cols} number{'s' if cols != 1 else ''}{why}), or one number for every weight")
        self.take(rows * cols, path)
        if not isinstance(value, list):
            return np.full((rows, cols), self.number(value, path), dtype=np.float64)
        if value and not any(isinstance(v, list) for v in value):
            if rows == 1 and len(value) == cols:
                return np.array([[self.number(v, path + (i,)) for i, v in enumerate(value)]])
            raise self.error(f"{expected}; found {shape_text(value)}", path)
        if len(value) != rows or not all(isinstance(row, list) and len(row) == cols for row in value):
            raise self.error(f"{expected}; found {shape_text(value)}", path)
        return np.array([[self.number(v, path + (i, j)) for j, v in enumerate(row)]
                         for i, row in enumerate(value)], dtype=np.float64)


def whole(value) -> bool:
    """Whether a value read from YAML is a whole number (3 or 3.0; not .inf, .nan or true)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or (math.isfinite(value) and value == int(value))


def shape_text(value) -> str:
    if not isinstance(value, list):
        return describe_value(value)
    if value and all(isinstance(row, list) for row in value):
        lengths = sorted({len(row) for row in value})
        rows = f"{len(value)} row{'s' if len(value) != 1 else ''}"
        if len(lengths) == 1:
            return f"{rows} of {lengths[0]}"
        return f"{rows} of {'/'.join(map(str, lengths))} numbers (ragged)"
    if not value:
        return "an empty list"
    if any(isinstance(v, list) for v in value):
        return "a mix of numbers and lists"
    return f"a list of {len(value)} number{'s' if len(value) != 1 else ''}"



NEEDED = {
    "W": "the input weights 'W' (one row per unit, one column per input, or one number for all)",
    "U": "the memory weights 'U' (one row per unit, one column per value in memory, or one number for all)",
    "output": "'output', the output layer (a mapping with size, W, b, activation)",
}


class Fields:
    """The weights and settings of one layer (or one block of a gated layer), read
    from its mapping ``data`` at ``path``: ``size`` units fed by ``size_in`` inputs.
    ``why`` says where ``size_in`` comes from, for a W of the wrong shape."""

    def __init__(self, r: Reader, data: dict, path: tuple, size: int, size_in: int, why: str):
        self.r, self.data, self.path = r, data, path
        self.size, self.size_in, self.why = size, size_in, why

    def given(self, key: str) -> bool:
        return self.data.get(key) is not None

    def need(self, key: str):
        if not self.given(key):
            raise self.r.error(f"missing {NEEDED.get(key, repr(key))}", self.path)
        return self.data[key]

    def W(self) -> Array:
        """The input weights: one row per unit, one column per input."""
        return self.r.matrix(self.need("W"), self.path + ("W",), self.size, self.size_in, self.why)

    def U(self, memory: int, why: str) -> Array:
        """The memory weights: one row per unit, one column per value held in memory."""
        return self.r.matrix(self.need("U"), self.path + ("U",), self.size, memory, why)

    def vector(self, key: str, what: str, size: Optional[int] = None) -> Optional[Array]:
        """A vector of ``size`` (the layer's units by default), None when not given."""
        if not self.given(key):
            return None
        return self.r.vector(self.data[key], self.path + (key,), self.size if size is None else size, what)

    def b(self) -> Array:
        return self.r.vector(self.data.get("b", 0), self.path + ("b",), self.size, "bias")

    def activation(self, key: str, default: str, choices=ACTIVATIONS) -> str:
        """An activation function's canonical name (rnntrace/layers/activations.py): a
        spec writes ``tanh``, or one with parameters ``{leaky_relu: {alpha: 0.1}}``."""
        value, path = self.data.get(key, default), self.path + (key,)
        if not isinstance(value, dict):
            return self.r.choice(value, path, choices, "activation")
        if len(value) != 1:
            raise self.r.error("expected one activation function with its parameters, as "
                               f"{{leaky_relu: {{alpha: 0.1}}}}; found {len(value)} keys", path)
        (name, params), = value.items()
        self.r.choice(name, path, choices, "activation")
        function = activation_table.TABLE[name]
        allowed = [k for k, _ in function.params]
        if params is None:
            params = {}
        if not allowed and params:
            raise self.r.error(f"the activation {name} has no parameters; write it as '{name}'", path + (name,))
        params = self.r.mapping(params, path + (name,), f"a mapping of {name}'s parameters {{{', '.join(allowed)}}}",
                                keys=set(allowed))
        values = {}
        for k, v in params.items():
            number = self.r.number(v, path + (name, k))
            if not math.isfinite(number):
                raise self.r.error(f"expected a finite number for {name}'s {k}, found {describe_value(v)}",
                                   path + (name, k))
            values[k] = number
        return activation_table.canonical(name, values)

