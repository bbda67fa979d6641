"""Exercise sheets and answer keys: what ``rnntrace worksheet`` and ``rnntrace answers``
show, as plain data.

A :class:`Sheet` holds the network (each layer's kind, activations and weights), the
input sequence, the quantities asked for (``--ask c,y``) and their exact values at
every step. The renderers in ``rnntrace.render.worksheet`` print it as a sheet with
blank cells, as its answer key, or as an answers file in the format ``check`` reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .grading.answers import Reference
from .errors import BadValue, RnntraceError

@dataclass(frozen=True, eq=False)
class LayerInfo:
    name: str
    layer: object                                  # the spec's layer, which the sheet describes
    weights: Tuple[Tuple[str, np.ndarray], ...]    # ("W", matrix), ("<block>.W", …), in the spec's order
    description: Optional[dict] = None             # rnntrace.layers.describe(layer): the equations
    columns: Optional[Dict[str, Tuple[str, ...]]] = None   # weight → names of its columns (1-of-N words)


@dataclass(frozen=True, eq=False)
class Sheet:
    title: str
    source: str
    layers: Tuple[LayerInfo, ...]
    inputs: Tuple[Tuple[float, ...], ...]          # per step
    tokens: Optional[Tuple[str, ...]]              # the words, when the inputs are words
    lexicon: Optional[Tuple[str, ...]]             # names of the input dimensions (with "other")
    quantities: Tuple[str, ...]                    # the asked paths, e.g. ("lstm.c", "y")
    sizes: Tuple[int, ...]                         # entries of each asked quantity
    values: Tuple[Dict[str, Tuple[Optional[float], ...]], ...]   # per step: path → exact values
    unit_names: Optional[Dict[str, Tuple[str, ...]]] = None      # a dense layer's labels, per path
    activations: Tuple[str, ...] = ()              # the functions the network applies, first use first
    asked: Tuple[int, ...] = ()                    # the steps with blanks (from 1); the others shown are given
    worked: Tuple[int, ...] = ()                   # the steps filled in as worked examples, arithmetic shown
    shown: int = 0                                 # rows shown: steps 1 … shown (none after the last asked)
    spec: object = None
    trace: object = None                           # for the worked steps' arithmetic

    def given(self, t: int) -> bool:
        """Step t (from 1) is filled in on the sheet: worked, or not asked."""
        return t not in self.asked


def activations(layer) -> Tuple[str, ...]:
    """The activation functions a layer applies, in the order it applies them."""
    return layer.home.activations(layer)


def resolve_ask(ask: Optional[Sequence[str]], spec, reference: Reference) -> Tuple[str, ...]:
    """The quantity paths asked for. A name is a full path (``lstm.gates.<block>.a``)
    or the end of one (``c`` means every layer's ``….c``); ``all`` asks for everything
    computed (not the inputs). Without ``ask``, each layer's memory and output."""
    known = reference.quantities
    if not ask:
        wanted = [f"{layer.name}.{field}" for layer in spec.layers for field in layer.home.ASK]
        return tuple(q for q in known if q in wanted)
    chosen: List[str] = []
    for name in ask:
        name = name.strip()
        if not name:
            continue
        if name == "all":
            matches = [q for q in known if q != "x"]
        elif name in known:
            matches = [name]
        else:   # any name check accepts (docs/check.md, "Names"); one that several share asks each
            matches = [q for q in reference.vocabulary.candidates(name) if q in known]
        if not matches:
            hint = reference.suggest(name)
            raise BadValue(f"unknown quantity {name!r}" +
                                (f" (did you mean '{hint}'?)" if hint else "") +
                                f"; the quantities are {', '.join(known)}")
        chosen.extend(q for q in matches if q not in chosen)
    if not chosen:
        raise BadValue("name at least one quantity, such as c,y")
    return tuple(q for q in known if q in chosen)   # in the trace's order


def _input_weights(description: dict, prefix: str = "") -> List[str]:
    """The weights that multiply the layer's input x (``{"weight": W, "of": "x"}``), as
    the layer's parameters name them; a sub-description's (a direction's) prefixed."""
    found: List[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("weight") is not None and node.get("of") == "x":
                found.append(prefix + node["weight"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for q in description.get("quantities", ()):
        walk(q.get("compute"))
    for key, value in description.items():
        if isinstance(value, dict) and "quantities" in value:
            found += _input_weights(value, f"{prefix}{key}.")
    return list(dict.fromkeys(found))


def _layer_info(layer, input_names: Optional[Tuple[str, ...]]) -> LayerInfo:
    from .layers import describe
    description = describe(layer)
    weights = tuple(layer.parameters().items()) + tuple(layer.home.initial_values(layer))
    columns = {}
    if input_names:
        shapes = dict(weights)
        for name in _input_weights(description):
            if name in shapes and np.ndim(shapes[name]) == 2 and np.shape(shapes[name])[1] == len(input_names):
                columns[name] = tuple(input_names)
    return LayerInfo(layer.name, layer, weights, description, columns)


def build_sheet(spec, trace, ask: Optional[Sequence[str]] = None, source: str = "<spec>",
                steps: Optional[Sequence[int]] = None, worked: Optional[Sequence[int]] = None) -> Sheet:
    """``steps``: the steps asked (from 1; default all); ``worked``: steps filled in with
    their arithmetic, as examples (never asked). Steps after the last asked or worked
    one are left out; the ones before that are not asked are given."""
    reference = Reference.from_trace(trace, source)
    quantities = resolve_ask(ask, spec, reference)
    worked = tuple(sorted(set(worked or ())))
    asked = tuple(t for t in (steps if steps is not None else range(1, len(trace) + 1)) if t not in worked)
    if not asked and not worked:
        raise RnntraceError("the sheet asks for no step: the steps chosen are all worked examples")
    shown = max(asked + worked)
    words = None
    if spec.lexicon is not None:
        words = spec.lexicon.words + (("other",) if spec.lexicon.other else ())
    layers = tuple(_layer_info(layer, words if i == 0 else None) for i, layer in enumerate(spec.layers))
    used = tuple(dict.fromkeys(name for layer in spec.layers for name in activations(layer)))
    lexicon = None
    if spec.lexicon is not None:
        lexicon = spec.lexicon.words + (("other",) if spec.lexicon.other else ())
    values = tuple({q: step[q] for q in quantities} for step in reference.steps)
    sizes = tuple(len(reference.steps[0][q]) for q in quantities)
    unit_names = {}
    for layer in spec.layers:
        labels = getattr(layer, "labels", None)
        if labels:
            unit_names.update({f"{layer.name}.z": labels, f"{layer.name}.y": labels})
            if layer is spec.layers[-1]:
                unit_names["y"] = labels
    return Sheet(title=spec.title or source, source=source, layers=layers,
                 inputs=tuple(tuple(float(v) for v in x) for x in spec.inputs), tokens=spec.tokens,
                 lexicon=lexicon, quantities=quantities, sizes=sizes, values=values,
                 unit_names={q: unit_names[q] for q in quantities if q in unit_names}, activations=used,
                 asked=asked, worked=worked, shown=shown, spec=spec, trace=trace)
