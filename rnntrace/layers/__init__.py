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

from typing import Any, Dict

from ..errors import RnntraceError
from . import bidirectional, dense, elman, gru, jordan, lstm

#: Every layer type by its spec name, in the order the docs list them.
TYPES = {module.TYPE: module for module in (elman, jordan, lstm, gru, dense, bidirectional)}
#: The types a bidirectional layer's directions may be.
RECURRENT_TYPES = tuple(name for name, module in TYPES.items() if module.RECURRENT)
LAYER_TYPES = tuple(TYPES)

for _module in TYPES.values():
    _module.Layer.home = _module     # every layer knows its home: layer.home.step(…)


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
