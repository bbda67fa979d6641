"""Evaluating the descriptions' ``compute`` formulas (docs/layers.md), independently of
the layer types' own ``step`` functions.

The page's JavaScript engine evaluates the same formulas in the browser, ``check
--follow-through`` recomputes one quantity from a student's own values with
:func:`evaluate`, and the tests run :func:`run` beside the engine to check that every
description says what the engine computes.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

import numpy as np

from .activations import activate

Array = np.ndarray


def operand(value: Any, values: Mapping[str, Array], parameters: Mapping[str, Any]) -> Array:
    """A path, ``{"one_minus": …}``, ``{"product": […]}``, ``{"apply": F, "of": …}`` or
    ``{"clip": c, "of": …}``."""
    if isinstance(value, str):
        return np.asarray(values[value], dtype=np.float64)
    if "one_minus" in value:
        return 1.0 - operand(value["one_minus"], values, parameters)
    if "product" in value:
        out = operand(value["product"][0], values, parameters)
        for item in value["product"][1:]:
            out = out * operand(item, values, parameters)
        return out
    if "apply" in value:
        return activate(value["apply"], operand(value["of"], values, parameters))
    if "clip" in value:    # a layer's clip: c, cutting a pre-activation to [−c, c]
        c = value["clip"]
        return np.clip(operand(value["of"], values, parameters), -c, c)
    raise ValueError(f"unknown operand {value!r}")


def _terms(terms: Sequence[Mapping[str, Any]], values, parameters) -> Array:
    out = None
    for term in terms:
        if "gated" in term:
            part = operand(term["gated"], values, parameters) * _terms(term["terms"], values, parameters)
        elif "bias" in term:
            part = np.asarray(parameters[term["bias"]], dtype=np.float64)
        else:
            w = np.asarray(parameters[term["weight"]], dtype=np.float64)
            v = operand(term["of"], values, parameters)
            part = w * v if term.get("elementwise") else w @ v
        out = part if out is None else out + part
    return out


def compute(formula: Mapping[str, Any], values: Mapping[str, Array], parameters: Mapping[str, Any]) -> Array:
    """The value of one ``compute`` formula, given the values it reads."""
    op = formula["op"]
    if op == "affine":
        return _terms(formula["terms"], values, parameters)
    if op == "apply":
        return activate(formula["function"], operand(formula["of"], values, parameters))
    if op == "sum":
        out = operand(formula["terms"][0], values, parameters)
        for term in formula["terms"][1:]:
            out = out + operand(term, values, parameters)
        return out
    if op == "lookup":   # the row of a table: E[x] for an id, Eᵀ·x for a 1-of-N x (its row, exactly)
        from .base import row_lookup, row_read
        table = np.asarray(parameters[formula["table"]], dtype=np.float64)
        x = operand(formula["of"], values, parameters)
        return row_lookup(table, x, row_read(x, formula["ids"], len(table)))
    if op == "merge":
        f, b = (operand(path, values, parameters) for path in formula["of"])
        how = formula["how"]
        if how == "concat":
            return np.concatenate([f, b])
        if how == "sum":
            return f + b
        if how == "mul":
            return f * b
        return (f + b) / 2.0
    raise ValueError(f"unknown formula {op!r}")


def evaluate(description: Mapping[str, Any], path: str, values: Mapping[str, Array], x: Array) -> Array:
    """The quantity ``path`` of a layer at one step, from ``values`` of what it reads
    (paths of the same step, and the memory read from the step before) and the layer's
    input ``x``."""
    for q in description["quantities"]:
        if q["path"] == path:
            if "compute" not in q:
                raise ValueError(f"{path} is read, not computed")
            return compute(q["compute"], dict(values, x=x), description["parameters"])
    raise KeyError(path)


def step(description: Mapping[str, Any], x: Array, memory: Mapping[str, Array]) -> Dict[str, Array]:
    """Every quantity of one step of a (one-direction) layer, in order."""
    values: Dict[str, Array] = dict(memory)
    values["x"] = np.asarray(x, dtype=np.float64)
    for q in description["quantities"]:
        if "compute" in q:
            values[q["path"]] = compute(q["compute"], values, description["parameters"])
    return values


def run_layer(description: Mapping[str, Any], xs: Sequence[Array]) -> List[Dict[str, Array]]:
    """Every step of one layer over a sequence, memory carried from step to step."""
    if description["type"] == "bidirectional":
        fwd = run_layer(description["forward"], xs)
        bwd = run_layer(description["backward"], list(xs)[::-1])[::-1]
        out = []
        for f, b in zip(fwd, bwd):
            values = {f"forward.{k}": v for k, v in f.items() if k != "x"}
            values.update({f"backward.{k}": v for k, v in b.items() if k != "x"})
            for q in description["quantities"]:
                values[q["path"]] = compute(q["compute"], values, {})
            out.append(values)
        return out
    backwards = description.get("direction") == "reverse"   # reads x_T … x_1, kept at t
    memory = {m["read"]: np.asarray(m["initial"], dtype=np.float64) for m in description["memory"]}
    steps = []
    for x in (list(xs)[::-1] if backwards else xs):
        values = step(description, x, memory)
        memory = {m["read"]: values[m["written"]] for m in description["memory"]}
        steps.append(values)
    return steps[::-1] if backwards else steps


def run(descriptions: Sequence[Mapping[str, Any]], xs: Sequence[Array]) -> List[List[Dict[str, Array]]]:
    """Every layer of a network, each fed the one below's output: per layer, per step."""
    out = []
    current = list(xs)
    for description in descriptions:
        steps = run_layer(description, current)
        out.append(steps)
        current = [values[description["output"]] for values in steps]
    return out
