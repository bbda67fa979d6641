"""Embedding layer: a word (or an integer id) → one row of a table E, no memory.

E has one row per word of the vocabulary (V rows) and one column per dimension of
the embedding (``size``), as Keras' ``Embedding``, PyTorch's ``nn.Embedding`` and an
ONNX ``Gather`` store it. It is the lecture's 1-of-N encoding followed by a linear
layer without bias: with x the 1-of-N vector of word k,

forward    e = Eᵀ·x = E[k]          (the row of E for word k, read exactly)
backward   dE = Σ_t x_t·de_tᵀ       (de_t added to row k_t),   dx_t = E·de_t

Both are derived from the description's one formula, ``lookup("E", "x", ids)``
(compiled.py, autodiff.py), as are the ``--explain`` arithmetic, the legend and
``grad --explain``'s chain rule (render/arithmetic.py) and the table view's row
(render/panels.py).

The input is either the 1-of-N vector of V numbers (the spec's ``lexicon`` makes it
from words) or one whole number per step, the id k itself (0 … V − 1), which has no
gradient.
"""
from __future__ import annotations

import sys
from ..records import record, replace
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..errors import describe_value
from .base import Quantity, description, lookup, plural

TYPE = "embedding"
TITLE = "embedding"
RECURRENT = False
KEYS = {"name", "type", "size", "E", "words"}
ASK = ("e",)
#: The outputs-over-time table lists these before the output.
SUMMARY = ()
#: The record field that is the layer's output.
OUTPUT = "e"
#: What the spec's JSON Schema says of this type beyond its KEYS (rnntrace/schemas/generate.py
#: writes its block, and its record in trace.json, from this, the KEYS and the Record).
SCHEMA = {
    "description": "Embedding layer: e = Eᵀ·x, the row of the table E for the word whose 1-of-N vector is x (or for "
                   "the id x); no memory.",
    "required": ["type", "size", "E"],
    "keys": {"E": {"$ref": "#/$defs/matrix",
                   "description": "The table: one row per word (V rows), one column per dimension (size)."},
             "words": {"$ref": "#/$defs/labels",
                       "description": "The word of each row of E (default: the spec's lexicon, or the ids 0 … V − 1)."}},
    "fields": {"id": "the row read (the word's id), when x is 1-of-N or an id"}}

Array = np.ndarray


@record
class Embedding:
    """A table E of V rows (one per word) and ``size`` columns: e = the row of the word read."""

    name: str
    size: int
    input_size: int
    E: Array                              # V × size
    ids: bool = False                     # the input is an id per step, not a 1-of-N vector
    words: Optional[Tuple[str, ...]] = None   # the word of each row
    type = "embedding"

    @property
    def output_size(self) -> int:
        return self.size

    @property
    def vocabulary(self) -> int:
        return int(self.E.shape[0])

    def parameters(self) -> Dict[str, Array]:
        return {"E": self.E}


@record
class EmbeddingRecord:
    """One step of an embedding: the row of E read (its id, none when x is not 1-of-N) and that row e."""

    id: Optional[int]
    e: Array

    @property
    def output(self) -> Array:
        return self.e


Layer, Record = Embedding, EmbeddingRecord
Layer.home = sys.modules[__name__]   # every layer knows its home: layer.home.step(…)


def build(f, name: str) -> Embedding:
    r, path = f.r, f.path
    if not f.given("E"):
        raise r.error("missing the table 'E' (one row per word, one column per dimension)", path)
    table = f.data["E"]
    if isinstance(table, list) and table and all(isinstance(row, list) for row in table):
        rows = len(table)
    elif f.size_in > 1:
        rows = f.size_in
    else:
        raise r.error("expected E as a table, one row per word: with one id per step as the input, "
                      "its rows say how many words there are", path + ("E",))
    if f.size_in == rows:
        ids = False
    elif f.size_in == 1:
        ids = True
    else:
        raise r.error(f"E has {rows} rows, one per word, so the input is the 1-of-N vector of {rows} numbers "
                      f"(a lexicon of {rows} words) or one id per step; found {f.size_in} inputs{f.why}",
                      path + ("E",))
    E = r.matrix(table, path + ("E",), rows, f.size, " (one row per word, one column per dimension)")
    words = None
    if f.given("words"):
        words = f.data["words"]
        if not isinstance(words, list) or len(words) != rows or \
                not all(isinstance(w, (str, int)) and not isinstance(w, bool) for w in words):
            raise r.error(f"expected {rows} words, one per row of E, found {describe_value(words)}",
                          path + ("words",))
        words = tuple(r.name(str(w), path + ("words", i), "word") for i, w in enumerate(words))
    return Embedding(name, f.size, f.size_in, E, ids=ids, words=words)


def with_lexicon(layer, lexicon):
    """The layer with the spec's lexicon naming its rows, when it has no words of its
    own and reads the lexicon's 1-of-N vectors."""
    if layer.words is not None or layer.ids or lexicon.size != layer.vocabulary:
        return layer
    return replace(layer, words=lexicon.words + (("other",) if lexicon.other else ()))


# --------------------------------------------------------------------------- the engine

def initial_state(layer) -> None:
    return None


def step(layer, x: Array, state: None):
    """One step, compiled once per layer from :func:`describe`'s lookup (compiled.py):
    the row k that x picks, e = E[k] read exactly (base.row_lookup); a bad id is an error."""
    from .compiled import step as compiled
    return compiled(layer, x, state)


def backward(layer, records, d_out, xs):
    """dE = Σ_t x_t·de_tᵀ (row k_t gets de_t), dx_t = E·de_t (an id has no gradient),
    derived from :func:`describe`'s lookup (autodiff.py)."""
    from .autodiff import backward as derived
    return derived(layer, records, d_out, xs)


def head(layer) -> None:
    return None


# --------------------------------------------------------------------------- the description

def quantities(layer) -> List[Quantity]:
    return [Quantity("e", "e = Eᵀ·x", "$e$", "output")]


def heading(layer) -> str:
    return (f"{layer.name}: embedding, {plural(layer.size, 'dimension')}, a table E of "
            f"{plural(layer.vocabulary, 'word')} (1-of-N, then a linear layer without bias)")


def sheet_text(layer) -> str:
    return f"embedding of {plural(layer.vocabulary, 'word')} in {plural(layer.size, 'dimension')}"


def activations(layer) -> Tuple[str, ...]:
    return ()


def initial_values(layer) -> List[Tuple[str, Array]]:
    return []


def units(layer) -> List[str]:
    return [str(u + 1) for u in range(layer.size)]


def describe(layer) -> Dict:
    text = "E[x] (the row of E for the id x)" if layer.ids else "Eᵀ·x (x is 1-of-N: the row of E for its word)"
    about = description(layer, quantities(layer), {"e": (text, lookup("E", "x", layer.ids))},
                        [], heading(layer), units(layer), "e")
    if layer.words is not None:
        about["words"] = list(layer.words)
    return about


# --------------------------------------------------------------------------- what the views write

def panel_rows(layer, record, cells) -> List[tuple]:
    """The row read from :func:`describe`'s lookup (render/panels.derived_rows):
    ``row of E  e = E['Taipei']``."""
    from ..render.panels import derived_rows
    return derived_rows(layer, record, cells)


def legend(layer) -> str:
    from ..render.arithmetic import legend as derived
    return f"{derived(layer)} (a linear layer without bias)"


def explain(layer, record, x, w) -> List[tuple]:
    """Which word x is and the row of E it picks, written from :func:`describe`'s lookup."""
    from ..render.arithmetic import formula_lines
    return formula_lines(layer, record, x, w)[0]


def grad_explain(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """dL/de, then the row of dE it is added to and dL/dx = E·dL/de (an id has none),
    read from :func:`describe`'s lookup (render/arithmetic.chain_lines)."""
    from ..render.arithmetic import chain_lines
    return chain_lines(layer, name, fwd, bwd, v, later)
