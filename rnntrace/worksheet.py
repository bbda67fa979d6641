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

from .answers import Reference
from .errors import RnntraceError

@dataclass(frozen=True, eq=False)
class LayerInfo:
    name: str
    layer: object                                  # the spec's layer, which the sheet describes
    weights: Tuple[Tuple[str, np.ndarray], ...]    # ("W", matrix), ("<block>.W", …), in the spec's order


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
        else:
            matches = [q for q in known if q.endswith("." + name)]
        if not matches:
            hint = reference.suggest(name)
            raise RnntraceError(f"--ask: unknown quantity {name!r}" +
                                (f" (did you mean '{hint}'?)" if hint else "") +
                                f"; the quantities are {', '.join(known)}")
        chosen.extend(q for q in matches if q not in chosen)
    if not chosen:
        raise RnntraceError("--ask: name at least one quantity, like --ask c,y")
    return tuple(q for q in known if q in chosen)   # in the trace's order


def build_sheet(spec, trace, ask: Optional[Sequence[str]] = None, source: str = "<spec>") -> Sheet:
    reference = Reference.from_trace(trace, source)
    quantities = resolve_ask(ask, spec, reference)
    layers = tuple(LayerInfo(layer.name, layer, tuple(layer.parameters().items()) + tuple(layer.home.initial_values(layer)))
                   for layer in spec.layers)
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
                 unit_names={q: unit_names[q] for q in quantities if q in unit_names}, activations=used)
