"""Packed weights: the gates of a gated layer stored side by side in one matrix, as
frameworks and course code keep them, split into the spec's blocks.

A gated layer of H units with k gates reading ``in`` inputs has, per gate, W (H × in),
U (H × H) and b (H). Packed, the k gates' matrices are stacked, in an order that
differs from source to source, along one axis:

    units_by_inputs   W (k·H × in), U (k·H × H): gate j is rows j·H … (j+1)·H − 1
                      (PyTorch's weight_ih, weight_hh; z = W·x + U·h + b)
    inputs_by_units   W (in × k·H), U (H × k·H): gate j is those columns, transposed
                      (Keras' kernel, CS231n's Wx, Wh; z = x·W + h·U + b)
    concat_hx         W (k·H × (H + in)) on the stacked vector [h_{t−1}; x_t]: gate j
                      is those rows; their first H columns are its U, the rest its W
                      (deeplearning.ai's W·[a_prev; x_t])

b and the optional second bias b_h are k·H long, split the same way. The order names
each gate once, by letter or by block name; which letters a layer type has, and the
order of the layouts named after a framework, come from the layer type (``gates``,
``named``): this module knows no gate itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np

#: layout → the axis the gates are stacked along, as the spec's keys explain it.
AXES = {"units_by_inputs": "rows", "inputs_by_units": "columns", "concat_hx": "rows"}
#: A framework's layout name → the generic layout it is.
NAMED = {"pytorch": "units_by_inputs", "keras": "inputs_by_units"}
LAYOUTS = tuple(NAMED) + tuple(AXES)
KEYS = {"layout", "order", "W", "U", "b", "b_h"}


def split_columns(matrix: np.ndarray, order: Sequence[str], units: int) -> Dict[str, np.ndarray]:
    """Columns j·units … (j+1)·units − 1 of ``matrix`` for the j-th name of ``order``."""
    return {name: matrix[:, j * units:(j + 1) * units] for j, name in enumerate(order)}


def split_rows(matrix: np.ndarray, order: Sequence[str], units: int) -> Dict[str, np.ndarray]:
    """Rows j·units … (j+1)·units − 1 of ``matrix`` (or entries, of a vector) for the
    j-th name of ``order``."""
    return {name: matrix[j * units:(j + 1) * units] for j, name in enumerate(order)}


@dataclass(frozen=True)
class Packing:
    """How a packed block was split: its layout, the gate order as given (letters or
    names) and the block each went to, in the same order; for the validate command."""

    layout: str
    order: Tuple[str, ...]
    blocks: Tuple[str, ...]
    units: int
    inputs: int
    keys: Tuple[str, ...]          # the packed keys given: W, U, b, b_h
    apart: Tuple[str, ...] = ()    # the blocks that keep b_h apart (the others add it to b)

    def lines(self) -> List[str]:
        """What went where, one line per gate, counting rows and columns from 1."""
        generic = NAMED.get(self.layout, self.layout)
        k, H, D = len(self.order), self.units, self.inputs
        shapes = {"units_by_inputs": f"W {k * H}×{D}, U {k * H}×{H}",
                  "inputs_by_units": f"W {D}×{k * H}, U {H}×{k * H}",
                  "concat_hx": f"W {k * H}×{H + D} on [h_prev; x]"}[generic]
        layout = self.layout if generic == self.layout else f"{self.layout} (= {generic})"
        out = [f"packed weights, layout {layout}, order {', '.join(self.order)}",
               f"  ({shapes}; rows and columns counted from 1)"]
        width = max(len(b) for b in self.blocks)
        for j, (letter, block) in enumerate(zip(self.order, self.blocks)):
            span = f"{j * H + 1}–{(j + 1) * H}" if H > 1 else f"{j * H + 1}"
            parts = []
            axis = AXES[generic]
            if generic == "concat_hx":
                cols = (f"1–{H}" if H > 1 else "1", f"{H + 1}–{H + D}" if D > 1 else f"{H + 1}")
                parts.append(f"W rows {span} (columns {cols[0]} → U, {cols[1]} → W)")
            else:
                parts.append(f"{'W and U' if 'U' in self.keys else 'W'} {axis} {span}")
            if "b_h" in self.keys:
                parts.append(f"b and b_h entries {span}" if block in self.apart else f"b + b_h entries {span}")
            elif "b" in self.keys:
                parts.append(f"b entries {span}")
            out.append(f"  {block:<{width}} ← {letter}: " + ", ".join(parts))
        return out


def read_packed(r: Any, data: Any, path: tuple, units: int, size_in: int, why: str,
                gates: Mapping[str, str], named: Mapping[str, Sequence[str]],
                second_bias: Sequence[str]) -> Tuple[Dict[str, Dict[str, np.ndarray]], Packing]:
    """The blocks of a ``packed`` mapping at ``path``: {block: {W, U, b, b_h}} and how
    they were split.

    ``r`` is the spec reader (its errors point into the document); ``gates`` maps each
    letter or name a user may write to its block; ``named`` gives the order of the
    layouts named after a framework (letters); ``second_bias`` the blocks that keep
    b_h apart (where a gate multiplies it), the others adding it into b.
    """
    data = r.mapping(data, path, "a mapping {layout, order, W, U, b}", KEYS, ("layout", "W"))
    layout = r.choice(data["layout"], path + ("layout",), LAYOUTS, "layout")
    generic = NAMED.get(layout, layout)
    blocks_all = list(dict.fromkeys(gates.values()))
    k = len(blocks_all)
    if layout in NAMED:
        order = list(named[layout])
        if data.get("order") is not None:
            given = _order(r, data["order"], path + ("order",), gates, k)
            if [gates[g] for g in given] != [gates[g] for g in order]:
                raise r.error(f"layout {layout} has the order {', '.join(order)}; for another order use "
                              f"layout {generic} with that order", path + ("order",))
            order = given
    else:
        if data.get("order") is None:
            raise r.error(f"missing 'order': layout {layout} needs the gate order stated "
                          f"(each of {_letters(gates)} once)", path)
        order = _order(r, data["order"], path + ("order",), gates, k)
    blocks = [gates[g] for g in order]
    rows = k * units
    if generic == "concat_hx" and data.get("U") is not None:
        raise r.error("layout concat_hx has no U: W acts on [h_prev; x], its first columns are U",
                      path + ("U",), at_key=True)
    out: Dict[str, Dict[str, np.ndarray]] = {b: {} for b in blocks}
    if generic == "units_by_inputs":
        W = r.matrix(data["W"], path + ("W",), rows, size_in, f"; {k} gates × {units} units, {size_in} inputs")
        for b, part in split_rows(W, blocks, units).items():
            out[b]["W"] = part
    elif generic == "inputs_by_units":
        W = r.matrix(data["W"], path + ("W",), size_in, rows, f"; {size_in} inputs, {k} gates × {units} units")
        for b, part in split_columns(W, blocks, units).items():
            out[b]["W"] = part.T.copy()
    else:
        W = r.matrix(data["W"], path + ("W",), rows, units + size_in,
                     f"; {k} gates × {units} units, on [h_prev; x] of {units} + {size_in}")
        for b, part in split_rows(W, blocks, units).items():
            out[b]["U"], out[b]["W"] = part[:, :units].copy(), part[:, units:].copy()
    if data.get("U") is not None:
        if generic == "units_by_inputs":
            U = r.matrix(data["U"], path + ("U",), rows, units, f"; {k} gates × {units} units, {units} in h_prev")
            parts = split_rows(U, blocks, units)
        else:
            U = r.matrix(data["U"], path + ("U",), units, rows, f"; {units} in h_prev, {k} gates × {units} units")
            parts = {b: p.T.copy() for b, p in split_columns(U, blocks, units).items()}
        for b, part in parts.items():
            out[b]["U"] = part
    b = r.vector(data.get("b", 0), path + ("b",), rows, f"bias ({k} gates × {units} units)")
    for block, part in split_rows(b, blocks, units).items():
        out[block]["b"] = part
    if data.get("b_h") is not None:
        bh = r.vector(data["b_h"], path + ("b_h",), rows, f"bias ({k} gates × {units} units)")
        for block, part in split_rows(bh, blocks, units).items():
            if block in second_bias:
                out[block]["b_h"] = part
            else:
                out[block]["b"] = out[block]["b"] + part
    keys = tuple(key for key in ("W", "U", "b", "b_h") if data.get(key) is not None or
                 (key == "U" and generic == "concat_hx"))
    return out, Packing(layout, tuple(str(g) for g in order), tuple(blocks), units, size_in, keys,
                        tuple(b for b in blocks if b in second_bias))


def packed_blocks(f, kind: str, names: Sequence[str], gates: Mapping[str, str],
                  named: Mapping[str, Sequence[str]], second_bias: Sequence[str]):
    """The blocks of a gated layer whose spec mapping (``f``, a fields reader) gives
    ``packed`` weights, as :class:`rnntrace.layers.base.Block` s, and the Packing; the
    blocks themselves may not be given as well."""
    from .layers.base import Block
    r = f.r
    given = [block for block in names if block in f.data]
    if given:
        raise r.error(f"the weights are given twice: in 'packed' and as the block '{given[0]}'; "
                      "give one of them", f.path + (given[0],), at_key=True)
    parts, packing = read_packed(r, f.data["packed"], f.path + ("packed",), f.size, f.size_in, f.why,
                                 gates, named, second_bias)
    blocks = {block: Block(W=parts[block]["W"], b=parts[block]["b"], U=parts[block].get("U"),
                           b_h=parts[block].get("b_h")) for block in names}
    return blocks, packing


def _letters(gates: Mapping[str, str]) -> str:
    by_block: Dict[str, List[str]] = {}
    for name, block in gates.items():
        by_block.setdefault(block, []).append(name)
    return ", ".join("/".join(names) for names in by_block.values())


def _order(r: Any, value: Any, path: tuple, gates: Mapping[str, str], k: int) -> List[str]:
    """The order as given: a list naming each gate exactly once."""
    from .errors import close_name, describe_value
    if not isinstance(value, list):
        raise r.error(f"expected a list of the {k} gates ({_letters(gates)}), found {describe_value(value)}", path)
    seen: Dict[str, int] = {}
    for i, name in enumerate(value):
        if not isinstance(name, str) or name not in gates:
            raise r.error(f"unknown gate {describe_value(name) if not isinstance(name, str) else repr(name)}; "
                          f"expected one of {_letters(gates)}", path + (i,),
                          hint=close_name(name, list(gates)) if isinstance(name, str) else None)
        block = gates[name]
        if block in seen:
            raise r.error(f"{name!r} names {block} a second time (first at order[{seen[block]}]); the order "
                          f"names each gate once", path + (i,))
        seen[block] = i
    missing = [b for b in dict.fromkeys(gates.values()) if b not in seen]
    if missing:
        raise r.error(f"the order does not name {', '.join(missing)}; it names each of the {k} gates once "
                      f"({_letters(gates)})", path)
    return list(value)
