"""A layer's forward step compiled from its description's ``compute`` formulas
(docs/layers.md), once per layer, into one Python function over the layer's weights: a
step runs that function and reads no formula.

The compile pass works from the formula trees alone:

- **Stages.** Each formula's stage is one more than the latest stage of what it reads
  (``x`` and the memory reads are stage 0). Formulas of the same stage read only what is
  already known, so they can be evaluated together.
- **One product per operand.** Every matrix term W·v whose operand v is a path (W·x,
  U·h_prev, W_o·h), in any formula and at any stage (also inside a gated term,
  r∘(U·h_prev + b_h)), is a block of rows of one stacked matrix per operand: the step
  computes one product for each operand, as soon as that operand is known, and each
  term reads its rows of it.
- **Stacked sums.** The affine formulas of one stage whose first term reads the same
  product form one stacked vector Z. Each formula's terms are added in the formula's
  order (W·x, then U·h_prev, then P∘c, then b); where consecutive formulas have the
  same kind of term at the same place (a product's adjacent rows, a bias, an
  elementwise weight on the same operand) one addition serves all of them, otherwise
  each adds its own term to its own slice.
- **Stacked activations.** Activations of one stage that apply the same elementwise
  function (and clip) to adjacent slices of one Z are one call.

The step is generated as Python source (``compiled_step(layer).source`` shows it) whose
names are the compiler's own (v3, Z0, W1): nothing of a spec reaches the text, weights,
functions and constants are bound as values.

The numbers: each sum adds its terms in the formula's order, as a hand-written
``W @ x + U @ h_prev + b`` does, so a layer whose every product serves one term gives
the same numbers as that line to the last bit. A row of a stacked product is the same
dot product as in a separate one, but the BLAS kernel may group its terms differently
for a taller matrix: z can differ from separate products by a few ulps
(tests/test_compiled.py holds the stacked steps to them).

The record is the home's ``Record`` (or ``record_type(layer)``, when the home has
several) with a field per quantity path; three-part paths ``<field>.<key>.z`` and
``.a`` become a mapping {key: :class:`~rnntrace.layers.base.Gate` (z, a)} in that field. The memory is the quantities
the description's ``memory`` writes back: one array for one memory, a tuple in the
description's order for several (``(c, h)``), or None for a layer without memory (an
embedding, whose lookup also fills the record's field that its ``row`` names: which row
was read).
"""
from __future__ import annotations

import functools
import linecache
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import numpy as np

from .activations import parse
from ..records import names
from .base import Gate, row_lookup, row_read

Array = np.ndarray

_COMPILED: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def once(layer, make: Callable[[Any], Callable]) -> Callable:
    """The layer's compiled step, made by ``make(layer)`` the first time it is asked for
    and kept while the layer lives. Layers are frozen, and so are their weights from
    then on: the step holds stacked copies of them, so an array changed in place would
    leave it computing with the old values. Each array is made read-only instead, and
    such an edit is an error ("assignment destination is read-only"); a changed layer is
    a new one (``dataclasses.replace``, or the spec loaded again)."""
    run = _COMPILED.get(layer)
    if run is None:
        for value in layer.parameters().values():
            value.flags.writeable = False
        run = _COMPILED[layer] = make(layer)
    return run


def step(layer, x: Array, memory):
    """One step of a layer compiled from its description: (record, new memory)."""
    return once(layer, compile_step)(x, memory)


def compiled_step(layer) -> Callable:
    """The layer's compiled step function (its ``source`` attribute is its Python text)."""
    return once(layer, compile_step)


# --------------------------------------------------------------------------- reading the formulas

def _reads(node: Any) -> List[str]:
    """The paths an operand, a term or a formula reads."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [p for item in node for p in _reads(item)]
    out: List[str] = []
    for key in ("of", "one_minus", "product", "gated", "terms"):
        if key in node:
            out += _reads(node[key])
    return out


def _matrix_terms(terms) -> List[Mapping[str, Any]]:
    """The terms W·v of an affine formula whose operand v is a path, inner terms of a
    gated term included: the terms one stacked product per operand can serve."""
    out = []
    for term in terms:
        if "gated" in term:
            out += _matrix_terms(term["terms"])
        elif "weight" in term and not term.get("elementwise") and isinstance(term["of"], str):
            out.append(term)
    return out


class _Product:
    """One product per operand: the matrix terms reading it, their rows stacked."""

    def __init__(self, operand: str):
        self.operand = operand
        self.weights: List[Array] = []
        self.rows = 0
        self.name: Optional[str] = None      # the local that holds it, once emitted

    def add(self, w: Array) -> Tuple[int, int]:
        at = (self.rows, self.rows + int(w.shape[0]))
        self.weights.append(w)
        self.rows = at[1]
        return at


class _Column:
    """A term of an affine formula as the compiler sees it: ``kind`` is ``product`` (rows
    ``at`` of the product of ``operand``), ``bias``, ``elementwise`` (a weight times the
    path ``operand``) or ``other`` (evaluated on its own)."""

    def __init__(self, kind: str, term: Mapping[str, Any], operand: Optional[str] = None,
                 at: Tuple[int, int] = (0, 0)):
        self.kind, self.term, self.operand, self.at = kind, term, operand, at


# --------------------------------------------------------------------------- writing the step

class _Writer:
    """The generated function's lines and the values its names are bound to."""

    def __init__(self, params: Mapping[str, Array]):
        self.params = params
        self.lines: List[str] = []
        self.bound: Dict[str, Any] = {}
        self.names: Dict[Any, str] = {}       # path → local (and an activation's name → its bound name)
        self.counts: Dict[str, int] = {}
        self.products: Dict[str, _Product] = {}
        self.columns: Dict[int, _Column] = {}   # id(term) → its product rows
        self.stacks: Dict[str, Dict[str, Tuple[int, int]]] = {}   # Z → {path: (start, size)}
        self.stack_of: Dict[str, str] = {}      # path → the Z it is a slice of
        self.lengths: Dict[str, int] = {}       # Z → its length

    def fresh(self, prefix: str) -> str:
        n = self.counts.get(prefix, 0)
        self.counts[prefix] = n + 1
        return f"{prefix}{n}"

    def bind(self, value: Any, prefix: str = "K") -> str:
        name = self.fresh(prefix)
        self.bound[name] = value
        return name

    def emit(self, line: str, path: Optional[str] = None) -> None:
        if path and all(c.isalnum() or c in "_. " for c in path):   # a comment: what the line computes
            line += f"   # {path}"
        self.lines.append("    " + line)

    def define(self, path: str, expression: str) -> str:
        name = self.names[path] = self.fresh("v")
        self.emit(f"{name} = {expression}", path)
        return name

    def function(self, name: str) -> str:
        """The bound name of an activation function (one name per function)."""
        key = ("function", name)
        if key not in self.names:
            f, values = parse(name)
            self.names[key] = self.bind(functools.partial(f.forward, **dict(values)) if values else f.forward, "F")
        return self.names[key]

    # -- operands and terms, one formula at a time

    def operand(self, op: Any) -> str:
        if isinstance(op, str):
            return self.names[op]
        if "one_minus" in op:
            return f"(1.0 - {self.operand(op['one_minus'])})"
        if "product" in op:
            return "(" + " * ".join(self.operand(item) for item in op["product"]) + ")"
        if "apply" in op:
            return f"{self.function(op['apply'])}({self.operand(op['of'])})"
        if "clip" in op:
            c = float(op["clip"])
            return f"np.clip({self.operand(op['of'])}, {self.bind(-c)}, {self.bind(c)})"
        raise ValueError(f"unknown operand {op!r}")

    def product(self, operand: str) -> str:
        """The local holding the product of ``operand``, emitted at its first use."""
        p = self.products[operand]
        if p.name is None:
            stacked = p.weights[0] if len(p.weights) == 1 else np.concatenate(p.weights)
            p.name = self.fresh("p")
            self.emit(f"{p.name} = {self.bind(stacked, 'W')} @ {self.names[operand]}", f"the product of {operand}")
        return p.name

    def rows(self, operand: str, at: Tuple[int, int]) -> str:
        name = self.product(operand)
        return name if at == (0, self.products[operand].rows) else f"{name}[{at[0]}:{at[1]}]"

    def term(self, term: Mapping[str, Any]) -> str:
        if id(term) in self.columns:
            column = self.columns[id(term)]
            return self.rows(column.operand, column.at)
        if "gated" in term:
            return f"({self.operand(term['gated'])} * ({self.fold(term['terms'])}))"
        if "bias" in term:
            return self.bind(self.params[term["bias"]], "B")
        w, of = self.bind(self.params[term["weight"]], "W"), self.operand(term["of"])
        return f"({w} * {of})" if term.get("elementwise") else f"({w} @ {of})"

    def fold(self, terms) -> str:
        """The terms added left to right, in the formula's order."""
        parts = [self.term(t) for t in terms]
        if len(parts) == 1 and "bias" in terms[0]:
            return f"{parts[0]}.copy()"      # a value of its own, not the weight itself
        return " + ".join(parts)

    # -- stacked sums

    def column(self, term: Mapping[str, Any]) -> _Column:
        if id(term) in self.columns:
            return self.columns[id(term)]
        if "bias" in term:
            return _Column("bias", term)
        if term.get("elementwise") and isinstance(term["of"], str) and "weight" in term:
            return _Column("elementwise", term, term["of"])
        return _Column("other", term)

    def stacked_sum(self, members: List[Tuple[str, List[_Column], int]]) -> None:
        """Affine formulas of one stage in one vector Z: ``members`` are (path, columns,
        size) in Z's order; each formula's terms are added in its own order."""
        offsets, at = [], 0
        for _, _, size in members:
            offsets.append(at)
            at += size
        Z = self.fresh("Z")
        spans = list(zip(members, offsets))

        def together(a, b, j) -> bool:   # may column j of a and of b (next in Z) be one operation?
            (ma, _), (mb, _) = a, b
            if j >= len(ma[1]) or j >= len(mb[1]):
                return False
            ca, cb = ma[1][j], mb[1][j]
            if ca.kind != cb.kind or ca.kind == "other":
                return False
            if ca.kind == "product":
                return ca.operand == cb.operand and cb.at[0] == ca.at[1]
            if ca.kind == "elementwise":
                return ca.operand == cb.operand and ma[2] == mb[2]
            return True

        def expression(run, j) -> str:
            cols = [m[1][j] for m, _ in run]
            first = cols[0]
            if len(run) == 1:
                return self.term(first.term)
            if first.kind == "product":
                return self.rows(first.operand, (first.at[0], cols[-1].at[1]))
            if first.kind == "bias":
                return self.bind(np.concatenate([self.params[c.term["bias"]] for c in cols]), "B")
            stacked = np.stack([self.params[c.term["weight"]] for c in cols])   # (members, size) · operand
            return f"({self.bind(stacked, 'W')} * {self.names[first.operand]}).ravel()"

        def target(run) -> str:
            lo, hi = run[0][1], run[-1][1] + run[-1][0][2]
            return Z if (lo, hi) == (0, at) else f"{Z}[{lo}:{hi}]"

        def region(run, j, fresh: bool) -> None:
            k = 0                                     # columns from j that the whole run shares
            while all(j + k < len(m[1]) for m, _ in run) and \
                    all(together(a, b, j + k) for a, b in zip(run, run[1:])):
                k += 1
            parts = [expression(run, j + i) for i in range(k)]
            if fresh:                                 # Z is made here: an array of its own
                self.emit(f"{Z} = {parts[0]} + {parts[1]}" if k >= 2 else f"{Z} = {parts[0]}.copy()")
                parts = parts[2:] if k >= 2 else parts[1:]
            for part in parts:
                self.emit(f"{target(run)} += {part}")
            rest: List[list] = []                     # what is left, in runs that share the next column
            for n, span in enumerate(run):
                if j + k >= len(span[0][1]):
                    continue
                if rest and n and rest[-1][-1] is run[n - 1] and together(run[n - 1], span, j + k):
                    rest[-1].append(span)
                else:
                    rest.append([span])
            for sub in rest:
                region(sub, j + k, False)

        region(spans, 0, True)
        for ((path, _, size), lo) in spans:
            self.names[path] = self.fresh("v")
            self.emit(f"{self.names[path]} = {Z}[{lo}:{lo + size}]", path)
        self.stacks[Z] = {path: (lo, size) for (path, _, size), lo in spans}
        self.lengths[Z] = at
        for (path, _, _), _ in spans:
            self.stack_of[path] = Z


def _elementwise(name: str) -> bool:
    return parse(name)[0].elementwise


def _sums(w: _Writer, here) -> None:
    """The affine formulas of one stage: those whose first term reads the same product,
    their rows next to each other, in one stacked vector; any other on its own."""
    groups: List[list] = []
    for path, formula in here:
        if formula["op"] != "affine":
            continue
        cols = [w.column(t) for t in formula["terms"]]
        first = cols[0]
        last = groups[-1][-1][1][0] if groups else None
        member = (path, cols, first.at[1] - first.at[0])
        if (last is not None and first.kind == last.kind == "product" and first.operand == last.operand
                and first.at[0] == last.at[1]):
            groups[-1].append(member)
        else:
            groups.append([member])
    for group in groups:
        if len(group) > 1:
            w.stacked_sum(group)
        else:
            path = group[0][0]
            w.define(path, w.fold(dict(here)[path]["terms"]))


def _activations(w: _Writer, here) -> None:
    """The activations of one stage: the same elementwise function (and clip) on
    neighbouring slices of one stacked vector is one call."""
    runs: List[list] = []
    for path, formula in here:
        if formula["op"] != "apply":
            continue
        of, clip = formula["of"], None
        if isinstance(of, dict) and "clip" in of and isinstance(of["of"], str):
            of, clip = of["of"], float(of["clip"])
        Z = w.stack_of.get(of) if isinstance(of, str) else None
        key = (formula["function"], clip, Z)
        if Z is not None and _elementwise(formula["function"]) and runs and runs[-1][0] == key and \
                sum(w.stacks[Z][runs[-1][-1][1]]) == w.stacks[Z][of][0]:
            runs[-1].append((path, of))
        else:
            runs.append([key, (path, of)])
    for (function, clip, Z), *members in runs:
        if len(members) == 1:
            path, _ = members[0]
            w.define(path, f"{w.function(function)}({w.operand(dict(here)[path]['of'])})")
            continue
        lo, hi = w.stacks[Z][members[0][1]][0], sum(w.stacks[Z][members[-1][1]])
        arg = Z if (lo, hi) == (0, w.lengths[Z]) else f"{Z}[{lo}:{hi}]"
        if clip is not None:
            arg = f"np.clip({arg}, {w.bind(-clip)}, {w.bind(clip)})"
        A = w.fresh("A")
        w.emit(f"{A} = {w.function(function)}({arg})")
        for path, of in members:
            start, size = w.stacks[Z][of]
            w.define(path, f"{A}[{start - lo}:{start - lo + size}]")


def compile_step(layer) -> Callable:
    """The layer's step as one function ``run(x, memory) → (record, new memory)``."""
    from . import describe
    desc = describe(layer)
    params = layer.parameters()
    reads = [m["read"] for m in desc["memory"]]
    written = [m["written"] for m in desc["memory"]]
    formulas = [(q["path"], q["compute"]) for q in desc["quantities"] if "compute" in q]

    # a formula's stage: one more than the latest of what it reads (x and the memory: 0)
    stage: Dict[str, int] = dict.fromkeys(["x"] + reads, 0)
    for path, formula in formulas:
        stage[path] = 1 + max((stage[p] for p in _reads(formula)), default=0)

    w = _Writer(params)
    for name in ["x"] + reads:
        w.names[name] = "x" if name == "x" else w.fresh("m")
    for path, formula in formulas:   # the products: the rows of every matrix term by its operand
        if formula["op"] == "affine":
            for term in _matrix_terms(formula["terms"]):
                p = w.products.setdefault(term["of"], _Product(term["of"]))
                w.columns[id(term)] = _Column("product", term, term["of"], p.add(params[term["weight"]]))

    for level in range(1, max((stage[p] for p, _ in formulas), default=0) + 1):
        here = [(path, formula) for path, formula in formulas if stage[path] == level]
        _sums(w, here)
        _activations(w, here)
        for path, formula in here:   # everything else, one expression each
            if formula["op"] == "sum":
                w.define(path, " + ".join(w.operand(t) for t in formula["terms"]))
            elif formula["op"] == "lookup":   # e = Eᵀ·x: the row x picks, read exactly (base.row_lookup)
                k = w.define(formula["row"], f"{w.bind(row_read, 'L')}({w.operand(formula['of'])}, "
                             f"{w.bind(bool(formula['ids']))}, {w.bind(len(params[formula['table']]))}, "
                             f"{w.bind(layer.name)})")
                w.define(path, f"{w.bind(row_lookup, 'L')}({w.bind(params[formula['table']], 'W')}, "
                               f"{w.operand(formula['of'])}, {k})")
            elif formula["op"] not in ("affine", "apply"):
                raise ValueError(f"no compiled form for {formula['op']!r}")

    rows = [f["row"] for _, f in formulas if f["op"] == "lookup"]
    record = _record(layer, w, [path for path, _ in formulas] + reads + rows)
    # one memory is its array, several a tuple in the description's order, none None
    head = ["    " + ", ".join(w.names[r] for r in reads) + " = memory"] if reads else []
    new = ", ".join(w.names[p] for p in written) or "None"
    tail = f"    return {record}, " + (new if len(written) <= 1 else f"({new})")
    source = "\n".join(["def step(x, memory):"] + head + w.lines + [tail]) + "\n"
    filename = f"<rnntrace compiled step of {layer.type} layer {id(layer):x}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)   # for tracebacks
    weakref.finalize(layer, linecache.cache.pop, filename, None)
    # __name__: warnings from the step are this module's (the CLI silences rnntrace.*'s RuntimeWarnings)
    namespace = dict(w.bound, np=np, __name__=__name__)
    exec(compile(source, filename, "exec"), namespace)   # noqa: S102 — the text is the compiler's own
    run = namespace["step"]
    run.source = source
    return run


def _record(layer, w: _Writer, paths: List[str]) -> str:
    """The call that builds the home's record from the step's values by path."""
    home = layer.home
    cls = home.record_type(layer) if hasattr(home, "record_type") else home.Record
    nested: Dict[str, Dict[str, Dict[str, str]]] = {}
    for path in paths:
        parts = path.split(".")
        if len(parts) == 3:
            nested.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = w.names[path]
    args = []
    pair = w.bind(Gate, "G")   # a z and its activation a
    for name in names(cls):
        if name in w.names:
            args.append(f"{name}={w.names[name]}")
        elif name in nested:
            items = ", ".join(f"{key!r}: {pair}(" + ", ".join(f"{k}={v}" for k, v in attrs.items()
                                                              if k.isidentifier()) + ")"
                              for key, attrs in nested[name].items())
            args.append(f"{name}={{{items}}}")
        elif name not in cls.__record_defaults__:
            raise ValueError(f"the record field {name!r} of {cls.__name__} has no formula")
    return f"{w.bind(cls, 'R')}({', '.join(args)})"
