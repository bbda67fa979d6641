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
LAYER_TYPES = ("elman", "jordan", "lstm", "gru", "indrnn", "dense", "bidirectional")
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


def describe(layer) -> Dict[str, Any]:
    """The plain-data description of a layer (docs/layers.md): its quantities in the
    order they are computed and shown, each with its formula in words and as
    ``compute``, its memories and parameters."""
    return need(layer, "describe", "the layer description")(layer)


def quantities(layer):
    return need(layer, "quantities", "this view")(layer)


def legend(layer) -> str:
    return need(layer, "legend", "the --explain view")(layer)
