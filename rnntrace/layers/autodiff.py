"""Backpropagation through time derived from a layer's description: each operation of
the ``compute`` language (docs/layers.md) has its backward rule beside its meaning, as
in micrograd, and BPTT is the chain rule through them, step by step from the last.

    affine   z = Σ W·v + Σ P∘v + b (+ g∘(Σ inner))   dW += dz·vᵀ, dv += Wᵀ·dz; dP += dz∘v, dv += P∘dz;
                                                      db += dz; dg += dz∘(Σ inner), d(inner) = dz∘g
    apply    a = f(v)                                dv += f′(v)∘da (softmax: its Jacobian)
    clip     v' = clip(v, −c, c)                     dv += dv'∘[|v| ≤ c]
    sum      s = Σ v_k                               dv_k += ds
    product  p = Π v_k                               dv_k += dp∘Π_{j≠k} v_j
    1 − v                                            dv −= d(1 − v)
    lookup   e = Eᵀ·x (row k of E)                   dE += x·deᵀ (row k += de); dx += E·de (an id: none)

A memory read at step t + 1 is the value written at t: its gradient is added to the
written quantity's before step t is walked back. What step 1's reads receive is the
gradient of the memory's initial value. Arrays keep the layer's type (float64, or
float32 in a float32 run).
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from .activations import activate, back
from .base import row_read

Array = np.ndarray


class _Step:
    """One step's values (by path, with "x") and the gradients flowing back through it."""

    def __init__(self, values: Dict[str, Array], params: Mapping[str, Array], grads: Dict[str, Array],
                 outer: Dict[str, List]):
        self.values, self.params, self.grads = values, params, grads
        self.outer = outer   # weight → [(dz_t, v_t)]: dW = Σ_t dz_t·v_tᵀ, one product at the end
        self.cache: Dict[int, Array] = {}
        self.d: Dict[str, Array] = {}

    # ------------------------------------------------------------------ forward values of operands
    def val(self, op: Any) -> Array:
        if isinstance(op, str):
            return self.values[op]
        key = id(op)   # an operand (a product, an applied function) is worked out once a step
        if key in self.cache:
            return self.cache[key]
        self.cache[key] = value = self._val(op)
        return value

    def _val(self, op: Any) -> Array:
        if "one_minus" in op:
            return 1.0 - self.val(op["one_minus"])
        if "product" in op:
            out = self.val(op["product"][0])
            for item in op["product"][1:]:
                out = out * self.val(item)
            return out
        if "apply" in op:
            return activate(op["apply"], self.val(op["of"]))
        if "clip" in op:
            return np.clip(self.val(op["of"]), -op["clip"], op["clip"])
        raise ValueError(f"unknown operand {op!r}")

    def terms(self, terms: Sequence[Mapping[str, Any]]) -> Array:
        out = None
        for term in terms:
            if "gated" in term:
                part = self.val(term["gated"]) * self.terms(term["terms"])
            elif "bias" in term:
                part = self.params[term["bias"]]
            elif term.get("elementwise"):
                part = self.params[term["weight"]] * self.val(term["of"])
            else:
                part = self.params[term["weight"]] @ self.val(term["of"])
            out = part if out is None else out + part
        return out

    # ------------------------------------------------------------------ backward rules
    def add(self, path: str, g: Array) -> None:
        self.d[path] = g if path not in self.d else self.d[path] + g

    def grad(self, name: str, g: Array) -> None:
        self.grads[name] = self.grads[name] + g

    def grad_row(self, name: str, k: int, g: Array) -> None:
        """Row k of a table's gradient gets g, exactly (a lookup's dE)."""
        self.grads[name][k] += g

    def operand_back(self, op: Any, g: Array) -> None:
        if isinstance(op, str):
            self.add(op, g)
        elif "one_minus" in op:
            self.operand_back(op["one_minus"], -g)
        elif "product" in op:
            items = op["product"]
            vals = [self.val(item) for item in items]
            for k, item in enumerate(items):
                others = g
                for j, v in enumerate(vals):
                    if j != k:
                        others = others * v
                self.operand_back(item, others)
        elif "apply" in op:
            self.operand_back(op["of"], back(op["apply"], self.val(op["of"]), self.val(op), g))
        elif "clip" in op:
            v = self.val(op["of"])
            self.operand_back(op["of"], g * (np.abs(v) <= op["clip"]))
        else:
            raise ValueError(f"unknown operand {op!r}")

    def terms_back(self, terms: Sequence[Mapping[str, Any]], g: Array) -> None:
        for term in terms:
            if "gated" in term:
                self.operand_back(term["gated"], g * self.terms(term["terms"]))
                self.terms_back(term["terms"], g * self.val(term["gated"]))
            elif "bias" in term:
                self.grad(term["bias"], g)
            else:
                W, v = self.params[term["weight"]], self.val(term["of"])
                if term.get("elementwise"):
                    self.grad(term["weight"], g * v)
                    self.operand_back(term["of"], W * g)
                else:
                    self.outer.setdefault(term["weight"], []).append((g, v))
                    self.operand_back(term["of"], W.T @ g)

    def formula_back(self, formula: Mapping[str, Any], g: Array, own: Array) -> None:
        op = formula["op"]
        if op == "affine":
            self.terms_back(formula["terms"], g)
        elif op == "apply":
            inner = self.val(formula["of"])
            self.operand_back(formula["of"], back(formula["function"], inner, own, g))
        elif op == "sum":
            for term in formula["terms"]:
                self.operand_back(term, g)
        elif op == "lookup":   # e = Eᵀ·x: dE = x·gᵀ, dx = E·g; an id has no gradient
            name, x = formula["table"], self.val(formula["of"])
            table = self.params[name]
            k = row_read(x, formula["ids"], len(table))
            if k is not None:   # x picks row k: only that row of dE gets g, exactly
                self.grad_row(name, k, g)
            else:
                self.grad(name, np.outer(x, g))
            if not formula["ids"]:
                self.operand_back(formula["of"], table @ g)
        else:
            raise ValueError(f"no backward rule for {op!r}")


def shown_rows(description) -> List[str]:
    """The rows of a step's record in the order the grad view shows them: each quantity
    but a gate's, from the last computed to the first, a memory written with what came
    from the output, through the memory and given from outside before its total (an
    LSTM: dh_out, dh_next, dh, dm, dc_next, dc_up, dc)."""
    written = {m["written"] for m in description["memory"]}
    order: List[str] = []
    for q in reversed([q for q in description["quantities"] if "compute" in q]):
        path = q["path"]
        if path.startswith("gates."):
            continue
        if path in written:
            order += [f"d{path}_out", f"d{path}_next", f"d{path}_up"]
        order.append(f"d{path}")
    return order


def _readers(description):
    """(path, its parts) of every quantity and memory read of a record, split once."""
    paths = [q["path"] for q in description["quantities"]]
    paths += [m["read"] for m in description["memory"] if m["read"] not in paths]
    return [(path, path.split(".")) for path in paths]


def _values(readers, record, x) -> Dict[str, Array]:
    values: Dict[str, Array] = {"x": x}
    for path, parts in readers:
        current = record
        for part in parts:   # records are dataclasses, their gates dicts (base.value)
            current = current[part] if isinstance(current, dict) else getattr(current, part)
        values[path] = current
    return values


def backward(layer, records, d_out, xs, upstream: Optional[Mapping[str, Sequence[Optional[Array]]]] = None,
             dz_loss: Optional[Sequence[Optional[Array]]] = None):
    """(gradients keyed as ``layer.parameters()``, dL/dx_t per step, what each step shows,
    dL/d(initial value) per memory) of a one-direction layer, from its description.
    A step shows, for each memory written (h): dh_out (from the output), dh_next (through
    the memory), dh; and dL/d of each weighted sum (``dz``; ``gates`` {block: {da, dz}}).
    ``dz_loss[t]``, when given, is dL/d(the softmax's input) that the loss worked out
    itself (engine.losses): the output's own dL/dy then is not sent through the softmax,
    only what reaches it through the memory."""
    from . import describe
    desc = describe(layer)
    params = layer.parameters()
    dtype = next(iter(params.values())).dtype
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    outer: Dict[str, List] = {}
    readers = _readers(desc)
    computed = [q for q in desc["quantities"] if "compute" in q]
    order = shown_rows(desc)
    blocks = list(dict.fromkeys(q["path"].split(".")[1] for q in computed if q["path"].startswith("gates.")))
    memory = desc["memory"]
    output = desc["output"]
    T = len(records)
    carry = {m["read"]: np.zeros(len(m["initial"]), dtype=dtype) for m in memory}
    dxs: List[Array] = [None] * T
    shown: List[Any] = [None] * T
    for t in range(T - 1, -1, -1):
        step = _Step(_values(readers, records[t], np.asarray(xs[t])), params, grads, outer)
        rows: Dict[str, Array] = {}
        step.add(output, d_out[t])
        loss_dz = None if dz_loss is None else dz_loss[t]
        through = np.zeros(len(step.values[output]), dtype=dtype)   # what reaches the output but d_out
        for m in memory:
            w = m["written"]
            if w == output:
                through = carry[m["read"]]
                rows[f"d{w}_out"] = d_out[t]
            rows[f"d{w}_next"] = carry[m["read"]]
            step.add(w, carry[m["read"]])
            given = (upstream or {}).get(w)
            if given is not None:   # shown at every step once given (zero where none is)
                rows[f"d{w}_up"] = given[t] if given[t] is not None else np.zeros(len(m["initial"]), dtype=dtype)
                if given[t] is not None:
                    step.add(w, given[t])
        gates: Dict[str, Dict[str, Array]] = {}
        for q in reversed(computed):
            g = step.d.get(q["path"])
            if g is None:
                continue
            path = q["path"]
            if path.startswith("gates."):
                _, block, part = path.split(".")
                gates.setdefault(block, {})["d" + part] = g
            else:
                rows[f"d{path}"] = g
            if path == output and loss_dz is not None:   # the loss gave dL/dz at the softmax
                step.formula_back(q["compute"], through, step.values[path])
                step.add(q["compute"]["of"], loss_dz)
                continue
            step.formula_back(q["compute"], g, step.values[path])
        rows = {k: rows[k] for k in order if k in rows}   # in the order the grad view shows them
        # every block shows both rows, zero where nothing flowed back (a GRU's reset gate
        # without U_n, when it resets before U)
        for block in blocks:
            shown_block = gates.setdefault(block, {})
            if len(shown_block) < 2:
                zero = np.zeros(len(step.values[f"gates.{block}.a"]), dtype=dtype)
                for part in ("da", "dz"):
                    shown_block.setdefault(part, zero)
        gates = {block: {"da": gates[block]["da"], "dz": gates[block]["dz"]} for block in blocks}
        dxs[t] = step.d.get("x", np.zeros(layer.input_size, dtype=dtype))
        carry = {m["read"]: step.d.get(m["read"], np.zeros(len(m["initial"]), dtype=dtype)) for m in memory}
        shown[t] = (rows, gates or None)
    for name, pairs in outer.items():   # dW = Σ_t dz_t·v_tᵀ = DZᵀ·V
        grads[name] = grads[name] + np.asarray([g for g, _ in pairs]).T @ np.asarray([v for _, v in pairs])
    initial = {m["written"]: carry[m["read"]] for m in memory}
    return grads, dxs, shown, initial
