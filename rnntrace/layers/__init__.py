"""The layer types, one home module each, registered in one table.

A home (``rnntrace/layers/<type>.py``) holds everything its type is: the keys of its
spec block and their checks (``KEYS``, ``build``), its spec dataclass and its record
(``Layer``, ``Record``), its step and backward step (``initial_state``, ``step``,
``backward``), and the description of its quantities that every view draws from
(``quantities``, ``heading``, ``describe``, ``panel_rows``, ``explain``, ``legend``,
``GRAD_ROWS``, ``grad_explain``, ``sheet_text``, …). docs/layers.md lists them.

To add a layer type, write its home and add it to :data:`TYPES`; the views find it
here. A view that needs something a type does not provide says so through
:func:`need`, as a clear error, never a traceback.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Dict, Iterator, Mapping

from ..errors import RnntraceError

#: Every layer type's spec name, in the order the docs list them; its home is the module
#: of that name here.
LAYER_TYPES = ("elman", "jordan", "lstm", "gru", "indrnn", "dense", "bidirectional", "embedding")
#: The types a bidirectional layer's directions may be (their homes say RECURRENT = True).
RECURRENT_TYPES = ("elman", "jordan", "lstm", "gru", "indrnn")


class _Homes(Mapping):
    """Type name → home module, each imported when first asked for: a run of one LSTM
    loads the LSTM's home, not all six (start-up is most of a small run's time)."""

    def __getitem__(self, name: str):
        if name not in LAYER_TYPES:
            raise KeyError(name)
        return import_module(f"{__name__}.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(LAYER_TYPES)

    def __len__(self) -> int:
        return len(LAYER_TYPES)


#: The registry: the one table of layer types.
TYPES: Mapping[str, Any] = _Homes()


def home(layer):
    """The home module of a spec layer (or of a type name)."""
    if isinstance(layer, str):
        return TYPES[layer]
    return layer.home


def need(layer, name: str, what: str):
    """``name`` of the layer's home (a function or table), or a clear error saying
    that ``what`` (e.g. "the --explain view") cannot show this type."""
    found = getattr(layer.home, name, None)
    if found is None:
        raise RnntraceError(f"layer '{layer.name}': {what} cannot show a layer of type '{layer.type}' yet")
    return found


#: ``direction: reverse`` (any recurrent type): the layer steps through x_T … x_1, as the
#: backward direction of a bidirectional layer does. The engine keeps its record of the
#: step that read x_t at t, so every view shows it beside x_t; what the views add is
#: this note, and that its memory comes from step t + 1.
REVERSE_NOTE = "reverse: step t has read x_T … x_t; its memory comes from step t + 1"
REVERSE_HEADING = "reverse, reads x_T … x_1"


def reads_backwards(layer) -> bool:
    return getattr(layer, "direction", "forward") == "reverse"


def describe(layer) -> Dict[str, Any]:
    """The plain-data description of a layer (docs/layers.md): its quantities in the
    order they are computed and shown, each with its formula in words and as
    ``compute``, its memories and parameters."""
    about = need(layer, "describe", "the layer description")(layer)
    if reads_backwards(layer):
        about = dict(about, direction="reverse", heading=f"{about['heading']}; {REVERSE_HEADING}",
                     quantities=[dict(q, latex=q["latex"].replace("t-1", "t+1")) for q in about["quantities"]])
    return about


def quantities(layer):
    rows = need(layer, "quantities", "this view")(layer)
    if reads_backwards(layer):   # the memory read at t was written at t + 1
        rows = [q._replace(latex=q.latex.replace("t-1", "t+1")) for q in rows]
    return rows


def heading(layer) -> str:
    text = need(layer, "heading", "this view")(layer)
    return f"{text}; {REVERSE_HEADING}" if reads_backwards(layer) else text


def legend(layer) -> str:
    text = need(layer, "legend", "the --explain view")(layer)
    return f"{text}; {REVERSE_NOTE}" if reads_backwards(layer) else text
