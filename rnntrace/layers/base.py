"""What the layer types share: how a quantity and a gate are described, the weight
block of a gated cell, how activation functions are written, and the pieces of the
descriptions' ``compute`` formulas (docs/layers.md).

A layer type's home (``rnntrace/layers/<type>.py``) says everything the type is: the
keys of its spec block, its step and backward step, its record and the description of
its quantities. Everything here is plain data and plain functions: no printing, no
terminal, and numbers are formatted only by the writer a view passes in.
"""
from __future__ import annotations

import math
from collections import namedtuple
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ..records import record
from .activations import LATEX, SYMBOLS, function_name  # noqa: F401 (function_name: for the homes)

Array = np.ndarray

#: How an activation function is written (σ for the logistic sigmoid, as in the lecture),
#: in text and in LaTeX: read from the one table, rnntrace/layers/activations.py.
FUNCTION_SYMBOLS = SYMBOLS
LATEX_SYMBOLS = LATEX


def zeros(layer, size: int) -> Array:
    """``size`` zeros in the type the layer computes in, that of its weights (float64, or
    float32 in a --dtype float32 run): a memory that starts empty, a gradient not yet
    flowing back."""
    return np.zeros(size, dtype=next(iter(layer.parameters().values())).dtype)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class Quantity(namedtuple("Quantity", "path label latex kind short words", defaults=((), ()))):
    """One quantity of a record: ``path`` into it, a plain-text ``label`` and a ``latex``
    name, and ``kind``: ``pre`` (a weighted sum z), ``gate`` (an activation in [0, 1]),
    ``memory`` (what was read), ``state`` (a cell or hidden value) or ``output``.

    What people call it besides (rnntrace/grading/names.py, docs/check.md): ``short``
    names (``f`` for σ(z_f), ``c``) and the lecture's ``words`` (``forget gate``,
    ``cell``, ``output``), tuples of strings. (A namedtuple: typing.NamedTuple compiles
    each field's annotation when the module is imported, on every run's start-up.)"""

    __slots__ = ()


def value(record, path: str) -> Array:
    """The array at ``path`` (``c``, ``gates.<block>.a``, ``forward.h``) of a record.

    Records are records (rnntrace/records.py) and their ``gates`` plain dicts; the check is against
    ``dict`` itself, since ``isinstance(x, typing.Mapping)`` (an ABC) is ten times slower
    and the chart asks this for every quantity at every step."""
    current = record
    for part in path.split("."):
        current = current[part] if isinstance(current, dict) else getattr(current, part)
    return current


# eq=False on the classes that hold arrays: an array has no single truth value, so a
# field-by-field == could only raise; these compare (and hash) by identity instead,
# and each class is quicker to create at start-up.

@record
class Gate:
    """A gate (or cell input): its input z and its activation a."""

    z: Array
    a: Array


@record
class Block:
    """One weight set of a gated cell: z = W·x + U·h_prev (+ P∘c) + b (+ b_h)."""

    W: Array
    b: Array
    U: Optional[Array] = None
    P: Optional[Array] = None      # a peephole, one weight per unit
    b_h: Optional[Array] = None    # a second (recurrent) bias, as PyTorch's GRU has

    def parameters(self) -> Dict[str, Array]:
        return {k: v for k, v in (("W", self.W), ("U", self.U), ("P", self.P),
                                  ("b", self.b), ("b_h", self.b_h)) if v is not None}


class GateInfo(namedtuple("GateInfo", "index words function symbol", defaults=(None,))):
    """How a gated cell's block is written: its ``index`` letter (z_i, z_f; "" for the
    LSTM's cell input z), its name in ``words``, the layer attribute naming its activation
    ``function`` (``gate_activation``, ``activation``), and a fixed ``symbol`` instead of
    the function's (g for the cell input), or None."""

    __slots__ = ()


def gate_symbol(layer, info: GateInfo, symbols=FUNCTION_SYMBOLS) -> str:
    """``σ`` for a gate, ``g`` for the LSTM's cell input, ``tanh`` for the GRU candidate;
    ``symbols=LATEX_SYMBOLS`` for LaTeX."""
    return info.symbol or symbols[getattr(layer, info.function)]


def gate_names(layer, info: GateInfo) -> Tuple[str, str, str]:
    """How a gate, its weighted sum and its activation are written:
    ``("input gate", "z_i", "σ(z_i)")``, ``("cell input", "z", "g(z)")``."""
    z = f"z_{info.index}" if info.index else "z"
    return info.words, z, f"{gate_symbol(layer, info)}({z})"


def gate_quantities(layer, gate: str, info: GateInfo, state: bool = False) -> List[Quantity]:
    """The two quantities of a block: its weighted sum and its activation (``state``:
    the activation is a value, not a gate in [0, 1])."""
    _, z, a = gate_names(layer, info)
    zl = f"z_{{{info.index}}}" if info.index else "z"
    short = (info.symbol or info.index,) if info.symbol or info.index else ()
    return [Quantity(f"gates.{gate}.z", z, f"${zl}$", "pre"),
            Quantity(f"gates.{gate}.a", a, f"${gate_symbol(layer, info, LATEX_SYMBOLS)}({zl})$",
                     "state" if state else "gate", short, (info.words,))]


def read_blocks(f, kind: str, names: Sequence[str], keys, extra=lambda block: set(),
                memory: Optional[int] = None) -> Dict[str, Block]:
    """The weight blocks of a gated cell from its spec mapping: each ``{W, U, b}`` and
    the keys ``extra(block)`` allows it (a peephole P, a second bias b_h); U reads the
    ``memory`` outputs h (default: one per unit; an LSTM's projection has fewer)."""
    r, size = f.r, f.size
    memory = size if memory is None else memory
    blocks = {}
    for block in names:
        if block not in f.data:
            packed = ", or all of them in 'packed'" if "packed" in keys else ""
            raise r.error(f"missing the block '{block}' ({kind} needs {', '.join(names)}{packed})", f.path,
                          hint=_close(block, [k for k in f.data if k not in keys]))
        bpath = f.path + (block,)
        bdata = r.mapping(f.data[block], bpath, "a mapping of weights {W, U, b}")
        r.keys(bdata, bpath, {"W", "U", "b"} | extra(block), required=("W",))
        weights = type(f)(r, bdata, bpath, size, f.size_in, f.why)
        blocks[block] = Block(
            W=weights.W(),
            U=weights.U(memory, f"; the recurrent input is the {memory} outputs h") if weights.given("U") else None,
            b=weights.b(), P=weights.vector("P", "peephole"), b_h=weights.vector("b_h", "bias"))
    return blocks


def _close(name, candidates):
    from ..errors import close_name
    return close_name(name, candidates)


# --------------------------------------------------------------------------- compute formulas
# The descriptions' ``compute`` language (docs/layers.md): operands are paths of this
# layer's quantities, memory reads or "x"; each formula is one of a few operations.

def affine(*terms) -> Dict[str, Any]:
    return {"op": "affine", "terms": [t for t in terms if t is not None]}


def weight(name: str, of: Any, elementwise: bool = False) -> Dict[str, Any]:
    term: Dict[str, Any] = {"weight": name, "of": of}
    if elementwise:
        term["elementwise"] = True
    return term


def bias(name: str) -> Dict[str, Any]:
    return {"bias": name}


def apply(function: str, of: Any) -> Dict[str, Any]:
    return {"op": "apply", "function": function, "of": of}


def total(*terms) -> Dict[str, Any]:
    return {"op": "sum", "terms": list(terms)}


def product(*operands) -> Dict[str, Any]:
    return {"product": list(operands)}


def one_minus(operand) -> Dict[str, Any]:
    return {"one_minus": operand}


def block_terms(gate: str, block: Block, memory: Optional[str], cell: Optional[str] = None):
    """The terms of z = W·x + U·m + P∘cell + b (+ b_h) for the parts the block has."""
    return [weight(f"{gate}.W", "x"),
            weight(f"{gate}.U", memory) if block.U is not None and memory else None,
            weight(f"{gate}.P", cell, elementwise=True) if block.P is not None and cell else None,
            bias(f"{gate}.b"),
            bias(f"{gate}.b_h") if block.b_h is not None else None]


def lookup(table: str, of: Any, ids: bool, row: str = "id") -> Dict[str, Any]:
    """e = tableᵀ·x, the row of the table that x picks (an embedding): ``ids`` when x is
    the row's number itself; ``row`` is the record's field that keeps which row was read."""
    return {"op": "lookup", "table": table, "of": of, "ids": ids, "row": row}


def row_read(x: Array, ids: bool, rows: int, layer: str = "") -> Optional[int]:
    """The row a lookup reads: an id as it is (a whole number from 0 to rows − 1, else an
    error naming the layer), or the one 1 of a 1-of-N vector; None when x is not 1-of-N
    (its value is then the weighted sum of rows, tableᵀ·x)."""
    if ids:
        k = float(x[0])
        if not (math.isfinite(k) and k == int(k) and 0 <= k < rows):
            from ..errors import RnntraceError
            raise RnntraceError(f"layer '{layer}': expected a word id, a whole number from 0 to {rows - 1}, "
                                f"found {k:g}")
        return int(k)
    hot = np.flatnonzero(x)
    return int(hot[0]) if len(hot) == 1 and x[hot[0]] == 1 else None


def row_lookup(table: Array, x: Array, k: Optional[int]) -> Array:
    """The value of a lookup: row k of the table read exactly (Eᵀ·x for a 1-of-N x would
    add products with 0, turning a −0.0 into 0.0 and 0·inf into nan), or tableᵀ·x when x
    is not 1-of-N."""
    return table[k].copy() if k is not None else table.T @ x


def row_name(words: Optional[Sequence[str]], k: Optional[int]) -> str:
    """How row k of a lookup is named: its word, quoted, or its id."""
    if k is None:
        return "no single word"
    return repr(words[k]) if words else f"id {k}"


def numbers(array) -> Any:
    """An array as nested lists of floats, for a description's parameters and initial values."""
    return np.asarray(array, dtype=np.float64).tolist()


def description(layer, quantities: Sequence[Quantity], formulas: Mapping[str, Tuple[str, Dict]],
                memory: Sequence[Tuple], heading: str, units: Sequence[str],
                output: str) -> Dict[str, Any]:
    """The plain-data description of a layer (docs/layers.md): every quantity in the
    order it is computed and shown, with its formula in words and as ``compute``.
    ``memory``: (read, written, initial value) for each memory the layer keeps, and, when
    the lecture names the memory's units by a symbol of their own (an Elman or Jordan
    layer's a₁, a₂), that symbol fourth."""
    rows = []
    for q in quantities:
        row: Dict[str, Any] = {"path": q.path, "label": q.label, "latex": q.latex, "kind": q.kind}
        if q.short:
            row["short"] = list(q.short)
        if q.words:
            row["words"] = list(q.words)
        if q.path in formulas:
            row["formula"], row["compute"] = formulas[q.path]
        rows.append(row)
    return {"type": layer.type, "name": layer.name, "size": layer.output_size,
            "input_size": layer.input_size, "heading": heading, "units": list(units), "output": output,
            "memory": [dict({"read": m[0], "written": m[1], "initial": numbers(m[2])},
                            **({"symbol": m[3]} if len(m) > 3 else {})) for m in memory],
            "parameters": {k: numbers(v) for k, v in layer.parameters().items()},
            "quantities": rows}


# --------------------------------------------------------------------------- clip (ONNX)
# ``clip: c`` (elman, lstm, gru, as ONNX's recurrent operators): every pre-activation z is
# cut to [−c, c] before its activation, a = f(clip(z, −c, c)); the record keeps z as
# computed. Backward, dz = da∘f′(clip(z))∘[|z| ≤ c] (the clip passes the gradient inside
# its bounds, as torch.clamp does).

def read_clip(f) -> Optional[float]:
    """The ``clip`` key: a positive number, or None when not given."""
    if not f.given("clip"):
        return None
    return f.r.positive(f.data["clip"], f.path + ("clip",), "clip threshold (pre-activations are cut to [−c, c])")


def clip_operand(layer, path: Any) -> Any:
    """The operand an activation reads in a ``compute`` formula: ``{"clip": c, "of": path}``
    for a layer with ``clip``."""
    c = getattr(layer, "clip", None)
    return path if c is None else {"clip": c, "of": path}


def clip_text(layer) -> str:
    """``; clip 5`` for a heading."""
    c = getattr(layer, "clip", None)
    return "" if c is None else f"; clip {c:g}"
