"""The layer types, one home module each, registered in one table.

A home (``rnntrace/layers/<type>.py``) holds everything its type is: the keys of its
spec block and their checks (``KEYS``, ``build``), its spec dataclass and its record
(``Layer``, ``Record``), its step and backward step (``initial_state``, ``step``,
``backward``), and the description of its quantities that every view draws from
(``quantities``, ``heading``, ``describe``, ``sheet_text``, …); its views' entries
hand over to what reads the description (``panel_rows`` to
render/panels.derived_rows, ``explain`` and ``legend`` to render/arithmetic,
``grad_explain`` to render/arithmetic.chain_lines), adding only words that cannot be
derived. docs/layers.md lists them.

To add a layer type, write its home and add it to :data:`TYPES`; the views find it
here. A view that needs something a type does not provide says so through
:func:`need`, as a clear error, never a traceback.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any, Dict, Iterator, Mapping, Protocol, runtime_checkable

from ..errors import RnntraceError

#: Every layer type's spec name, in the order the docs list them; its home is the module
#: of that name here.
LAYER_TYPES = ("elman", "jordan", "lstm", "gru", "indrnn", "dense", "bidirectional", "embedding")
#: The types a bidirectional layer's directions may be (their homes say RECURRENT = True).
RECURRENT_TYPES = ("elman", "jordan", "lstm", "gru", "indrnn")


@runtime_checkable
class LayerHome(Protocol):
    """What a layer type's home defines (docs/layers.md, "What a home defines"): checked
    when the registry loads it."""

    TYPE: str
    TITLE: str
    RECURRENT: bool
    KEYS: set
    SCHEMA: dict      # what the JSON Schemas need beyond KEYS and Record (rnntrace/schemas/generate.py)
    ASK: tuple
    SUMMARY: tuple
    OUTPUT: str
    Layer: type
    Record: type

    def build(self, f, name): ...
    def initial_state(self, layer): ...
    def step(self, layer, x, state): ...
    def backward(self, layer, records, d_out, xs): ...
    def head(self, layer): ...
    def quantities(self, layer): ...
    def heading(self, layer): ...
    def sheet_text(self, layer): ...
    def activations(self, layer): ...
    def initial_values(self, layer): ...
    def units(self, layer): ...
    def describe(self, layer): ...
    def panel_rows(self, layer, record, cells): ...
    def legend(self, layer): ...
    def explain(self, layer, record, x, w): ...
    def grad_explain(self, layer, name, fwd, bwd, v, later): ...


@runtime_checkable
class CompositeHome(Protocol):
    """A home whose layer is made of other layers and reads the whole sequence before
    its first step (bidirectional): its ``run`` takes the sequence, ``DIRECTIONS`` names
    its parts, and its ``backward`` runs theirs."""

    TYPE: str
    KEYS: set
    SCHEMA: dict
    OUTPUT: str
    DIRECTIONS: tuple
    Layer: type
    Record: type

    def build(self, r, data, path, name, size_in, why, read_layer, recurrent_types): ...
    def run(self, layer, xs, run_layer): ...
    def backward(self, layer, records, d_out, xs, layer_backward): ...
    def quantities(self, layer): ...
    def heading(self, layer): ...
    def describe(self, layer): ...
    def legend(self, layer): ...
    def explain(self, layer, record, x, w): ...
    def grad_explain(self, layer, name, fwd, bwd, v, later): ...


def _as_it_is(layer, lexicon):
    """A layer that does not name anything by the lexicon's words: unchanged."""
    return layer


#: What a home (either kind) may define or leave out, with what stands in for a member it
#: leaves out: ``with_lexicon(layer, lexicon)``, the first layer given the spec's lexicon
#: (an embedding names its rows by the words). Filled in when the registry loads the home,
#: so that callers call it on every home and test no home for it.
OPTIONAL = {"with_lexicon": _as_it_is}


def _members(protocol) -> list:
    return list(protocol.__annotations__) + [n for n, v in vars(protocol).items()
                                             if callable(v) and not n.startswith("_")]


#: The homes that are composite, by type name, filled as the registry loads them.
_COMPOSITE: Dict[str, bool] = {}


def _checked(name: str, home):
    """A home as loaded, checked against its Protocol: a missing part is a clear error
    when the type is first used, not a traceback in some view."""
    composite = getattr(home, "COMPOSITE", False)
    protocol = CompositeHome if composite else LayerHome
    if not isinstance(home, protocol):
        members = [m for m in _members(protocol) if not hasattr(home, m)]
        raise TypeError(f"the home of layer type '{name}' lacks {', '.join(members) or 'part of its interface'} "
                        f"({protocol.__name__}, docs/layers.md)")
    for member, default in OPTIONAL.items():
        if not hasattr(home, member):
            setattr(home, member, default)
    _COMPOSITE[name] = composite
    return home


class _Homes(Mapping):
    """Type name → home module, each imported when first asked for: a run of one LSTM
    loads the LSTM's home, not all six (start-up is most of a small run's time)."""

    def __getitem__(self, name: str):
        if name not in LAYER_TYPES:
            raise KeyError(name)
        home = import_module(f"{__name__}.{name}")
        return home if name in _COMPOSITE else _checked(name, home)

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


def composite(layer) -> bool:
    """Whether a layer (or a type, by name) is made of other layers and reads the whole
    sequence first (its home is a :class:`CompositeHome`: bidirectional)."""
    kind = layer if isinstance(layer, str) else layer.type
    if kind not in _COMPOSITE:
        TYPES[kind]
    return _COMPOSITE[kind]


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
