"""A layer's forward step compiled from its description's ``compute`` formulas
(docs/layers.md): each formula becomes one closure over the layer's weights, made once
per layer, so that a step runs the closures in order and reads no formula.

Each weighted sum adds its terms in the formula's order (W·x, then U·h_prev, then b),
as a hand-written ``W @ x + U @ h_prev + b`` does, so the numbers are the same to the
last bit. The record is the home's ``Record`` with a field per quantity path; the
memory is the one quantity written back (``h``, a Jordan layer's ``y``), or none (an
embedding, whose lookup also fills the record's field that its ``row`` names).
"""
from __future__ import annotations

import weakref
from dataclasses import fields
from typing import Any, Callable, Dict, List, Mapping, Tuple

import numpy as np

from .activations import activate

Array = np.ndarray
Values = Dict[str, Array]

_COMPILED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def once(layer, make: Callable[[Any], Callable]) -> Callable:
    """The layer's compiled step, made by ``make(layer)`` the first time it is asked for
    and kept while the layer lives (layers are frozen: their weights do not change)."""
    run = _COMPILED.get(layer)
    if run is None:
        run = _COMPILED[layer] = make(layer)
    return run


def step(layer, x: Array, memory: Array):
    """One step of a layer whose record fields are its quantity paths and whose memory is
    one quantity: (record, new memory)."""
    return once(layer, compile_step)(x, memory)


def _operand(op: Any) -> Callable[[Values], Array]:
    if isinstance(op, str):
        return lambda v: v[op]
    if "one_minus" in op:
        inner = _operand(op["one_minus"])
        return lambda v: 1.0 - inner(v)
    if "product" in op:
        parts = [_operand(item) for item in op["product"]]

        def product(v):
            out = parts[0](v)
            for part in parts[1:]:
                out = out * part(v)
            return out
        return product
    if "apply" in op:
        inner, function = _operand(op["of"]), op["apply"]
        return lambda v: activate(function, inner(v))
    if "clip" in op:
        inner, c = _operand(op["of"]), op["clip"]
        return lambda v: np.clip(inner(v), -c, c)
    raise ValueError(f"unknown operand {op!r}")


def _terms(terms, params: Mapping[str, Array]) -> List[Callable[[Values], Array]]:
    out = []
    for term in terms:
        if "gated" in term:
            gate, inner = _operand(term["gated"]), _sum(_terms(term["terms"], params))
            out.append(lambda v, gate=gate, inner=inner: gate(v) * inner(v))
        elif "bias" in term:
            b = params[term["bias"]]
            out.append(lambda v, b=b: b)
        elif isinstance(term["of"], str):   # a path: read directly (the usual case, one call less)
            w, path = params[term["weight"]], term["of"]
            out.append((lambda v, w=w, p=path: w * v[p]) if term.get("elementwise") else
                       (lambda v, w=w, p=path: w @ v[p]))
        elif term.get("elementwise"):
            w, of = params[term["weight"]], _operand(term["of"])
            out.append(lambda v, w=w, of=of: w * of(v))
        else:
            w, of = params[term["weight"]], _operand(term["of"])
            out.append(lambda v, w=w, of=of: w @ of(v))
    return out


def _sum(parts: List[Callable[[Values], Array]]) -> Callable[[Values], Array]:
    first, rest = parts[0], parts[1:]
    if len(parts) == 3:   # W·x + U·h_prev + b: unrolled, the sum is most of a small step
        second, third = rest

        def three(v):
            return first(v) + second(v) + third(v)
        return three

    def total(v):
        out = first(v)
        for part in rest:
            out = out + part(v)
        return out
    return total


def _formula(formula: Mapping[str, Any], params: Mapping[str, Array],
             layer_name: str = "") -> Callable[[Values], Array]:
    op = formula["op"]
    if op == "affine":
        return _sum(_terms(formula["terms"], params))
    if op == "apply":
        function = formula["function"]
        if isinstance(formula["of"], str):
            path = formula["of"]
            return lambda v: activate(function, v[path])
        inner = _operand(formula["of"])
        return lambda v: activate(function, inner(v))
    if op == "sum":
        return _sum([_operand(term) for term in formula["terms"]])
    if op == "lookup":   # e = Eᵀ·x: the row x picks, read exactly (base.row_lookup)
        return _lookup(formula, params, layer_name)
    raise ValueError(f"no compiled form for {op!r}")


def _lookup(formula, params, layer_name: str) -> Callable[[Values], Array]:
    from .base import row_lookup, row_read
    table, of, ids, row = params[formula["table"]], _operand(formula["of"]), formula["ids"], formula["row"]
    rows = len(table)

    def lookup(v):
        x = of(v)
        v[row] = k = row_read(x, ids, rows, layer_name)   # the record keeps which row was read
        return row_lookup(table, x, k)
    return lookup


def compile_step(layer) -> Callable[[Array, Array], Tuple[Any, Array]]:
    from . import describe
    desc = describe(layer)
    params = layer.parameters()
    steps = [(q["path"], _formula(q["compute"], params, layer.name)) for q in desc["quantities"] if "compute" in q]
    record = layer.home.Record
    names = [f.name for f in fields(record)]
    if not desc["memory"]:   # a layer without memory (an embedding): its state stays None

        def run_alone(x, previous):
            values = {"x": x}
            for path, compute in steps:
                values[path] = compute(values)
            return record(*[values[name] for name in names]), None

        return run_alone
    (memory,) = desc["memory"]
    read, written = memory["read"], memory["written"]

    def run(x, previous):
        values = {"x": x, read: previous}
        for path, compute in steps:
            values[path] = compute(values)
        return record(*[values[name] for name in names]), values[written]

    return run
