"""How the arithmetic of a step is written: the pieces every layer type's ``explain``
uses (rnntrace/layers/<type>.py), handed to it as a :class:`Writer`.

    z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1

Each weighted sum lists its terms input·weight; the value after "=" is the one the
engine computed, so what is shown is never recomputed here.
"""
from __future__ import annotations

from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from ..layers.activations import approaches
from ..layers.base import FUNCTION_SYMBOLS
from .numbers import DEFAULT_PRECISION, operand, plain, result, vector_show
from .quantities import lookup_words, symbol, unclip

Line = Tuple[str, str]   # (left-hand side, the rest: "terms = value → f(value) = value")

#: Above this many inputs (memory included), terms whose input is exactly 0 are left
#: out: a 1-of-N input then shows only the word's own weight.
WIDE = 6


class Terms:
    """Formats Σ input·weight for one unit, leaving out zero inputs of wide layers."""

    def __init__(self, precision: int, inputs: int = 0):
        self.p = precision
        self.wide = inputs > WIDE
        self.dropped = 0

    def products(self, inputs: np.ndarray, weights: np.ndarray, name: str = "x") -> List[str]:
        """``x·w`` for each input; in a wide layer only the non-zero inputs, each tagged
        with the input it is (``1·4 (h2)``), since their place no longer tells."""
        out = []
        for j, (x, w) in enumerate(zip(inputs, weights)):
            if self.wide and x == 0:
                self.dropped += 1
                continue
            tag = f" ({name}{j + 1})" if self.wide else ""
            out.append(f"{operand(x, self.p)}·{operand(w, self.p)}{tag}")
        return out

    def bias(self, b: Optional[np.ndarray], u: int) -> List[str]:
        return [] if b is None else [f"1·{operand(b[u], self.p)}"]


class Writer:
    """Numbers and pieces of equations at one precision."""

    def __init__(self, precision: int = DEFAULT_PRECISION):
        self.p = precision

    def terms(self, inputs: int = 0) -> Terms:
        return Terms(self.p, inputs)

    def operand(self, value) -> str:
        return operand(value, self.p)

    def result(self, value) -> str:
        return result(value, self.p)

    def plain(self, value) -> str:
        return plain(value, self.p)

    def vector(self, values) -> str:
        return vector_show(values, self.p)

    @staticmethod
    def suffix(size: int, u: int, labels: Optional[Sequence[str]] = None) -> str:
        """``[2]`` after a quantity of a layer of several units, ``[destination]`` with labels."""
        if labels:
            return f"[{labels[u]}]"
        return f"[{u + 1}]" if size > 1 else ""

    @staticmethod
    def total(parts: List[str]) -> str:
        return " + ".join(parts) if parts else "0"

    def activation(self, function: str, z: float, a: float, symbol: Optional[str] = None, name: str = "",
                   clip: Optional[float] = None) -> str:
        """``→ σ(90) = 1``; a linear activation only names the result: ``→ h = 2``. With
        ``clip`` (a layer's ``clip: c``), a z outside [−c, c] is first cut:
        ``→ clip to 5 → σ(5) = 0.993``."""
        p = self.p
        cut = ""
        if clip is not None and abs(z) > clip:
            z = type(z)(clip if z > 0 else -clip)
            cut = f" → clip to {plain(z, p)}"
        if function == "linear":
            return cut + (f" → {name} = {result(a, p)}" if name else "")
        symbol = symbol or FUNCTION_SYMBOLS[function]
        text = f"{cut} → {symbol}({plain(z, p)}) = {result(a, p)}"
        if a in approaches(function) and z != 0:
            # σ only approaches 0 and 1, tanh ±1 (the table says which values a function
            # only approaches); float64 (float32, in a float32 run) rounds to them
            text += f" (in {getattr(getattr(a, 'dtype', None), 'name', 'float64')})"
        return text

    @staticmethod
    def most_likely(labels: Sequence[str], y) -> str:
        """The winning label, or ``a tie between yes and no``."""
        from .winners import most_likely
        return most_likely(labels, y)

    @staticmethod
    def with_note(lines: List[Line], terms: Terms) -> List[Line]:
        if terms.dropped:
            lines.append(("", "(terms with input 0 left out; (x3) is input x[3], (h1) memory h_prev[1])"))
        return lines


# --------------------------------------------------------------------------- derived from the formulas

def formula_lines(layer, record, x, w: Writer) -> Tuple[List[Line], Terms]:
    """A step's arithmetic written from the layer's ``compute`` formulas (docs/layers.md),
    one unit after another: each weighted sum with its terms and the activation that
    reads it on the same line (``z_i = 3·0 + 1·100 + 1·(−10) = 90 → σ(90) = 1``), and each
    sum of products with its words and numbers (``c = g·i + c_prev·f = 1·1 + 0·0 = 1``).

    A weighted sum that reads a quantity of the same step through a matrix (a Jordan
    layer's output W_o·h, an LSTM's projection W_hr·m) needs all of its units first: it
    starts a new stage, written after the units of the one before. The stage that makes
    the layer's output names its units by the labels of the layer that makes it
    (``y[yes]``). A function that mixes its units (softmax) gets a line of its own after
    its stage (``y = softmax(z) = [0.1, 0.9] → no``); a linear function on a sum that
    reads no memory is that sum, and the line is named after its value (``y = 1·2 = 2``).
    The home adds only what is its own (a memory line); ``Terms`` says what was left out."""
    from ..layers import describe
    from ..layers.activations import function as activation_function
    from ..layers.base import value as record_value
    desc = describe(layer)
    params = layer.parameters()
    rows = [q for q in desc["quantities"] if "compute" in q]
    by_path = {q["path"]: q for q in desc["quantities"]}
    values = {"x": x}
    for q in desc["quantities"]:
        values[q["path"]] = record_value(record, q["path"])
    for m in desc["memory"]:
        values.setdefault(m["read"], record_value(record, m["read"]))
    memory_read = {m["read"] for m in desc["memory"]}
    # an activation shares the line of the weighted sum it reads, unless it mixes units
    reader, mixing = {}, []
    for q in rows:
        if q["compute"]["op"] == "apply":
            of, clip = unclip(q["compute"]["of"])
            if isinstance(of, str) and of in by_path and by_path[of].get("compute", {}).get("op") == "affine":
                if activation_function(q["compute"]["function"]).elementwise:
                    reader[of] = (q, clip)
                else:
                    mixing.append(q)
    wide = len(x) + sum(len(values[m]) for m in memory_read
                        if any(_reads_by_weight(q["compute"], m) for q in rows))
    terms = w.terms(wide)
    head = layer.home.head(layer) or layer
    labels = getattr(head, "labels", None)
    lines: List[Line] = []
    for q in rows:
        if q["compute"]["op"] == "lookup":
            lines += _lookup_lines(q, desc, params, values, record, w)
    for stage in _stages([q for q in rows if q["compute"]["op"] != "lookup"], memory_read):
        if not stage:   # nothing but a lookup
            continue
        paths = {q["path"] for q in stage}
        size = len(values[stage[0]["path"]])
        stage_labels = labels if desc["output"] in paths and labels and len(labels) == size else None
        for u in range(size):
            s = w.suffix(size, u, stage_labels)
            for q in stage:
                op = q["compute"]["op"]
                if op == "affine":
                    read = reader.get(q["path"])
                    text = _affine_text(q, values, params, terms, u, w)
                    if read is not None and read[0]["kind"] == "output" and read[0]["compute"]["function"] == \
                            "linear" and not any(_reads(q["compute"], m) for m in memory_read):
                        lines.append((f"{read[0]['path']}{s}", text))   # y = Σ x·W + 1·b = y
                    else:
                        lines.append((f"{q['label']}{s}", text + _activation_text(read, q, values, u, s, w)))
                elif op == "sum":
                    parts = " + ".join(_product_text(t, values, u, w) for t in q["compute"]["terms"])
                    lines.append((f"{q['path']}{s}", f"{q['formula']} = {parts} = {w.result(values[q['path']][u])}"))
        for q in mixing:
            if q["path"] in paths:
                a = values[q["path"]]
                rhs = f"{q['compute']['function']}({by_path[q['compute']['of']]['label']}) = [" + \
                    ", ".join(w.result(v) for v in a) + "]"
                if getattr(record, "label", None) is not None:
                    rhs += f" → {w.most_likely(labels, a)}"
                lines.append((q["path"], rhs))
    return lines, terms


def _lookup_lines(q, desc, params, values, record, w: Writer) -> List[Line]:
    """An embedding's row: which word x is the 1-of-N vector of (or the id of), and the
    row of the table it picks (``e = Eᵀ·x = the row of E for 'Taipei' = [...]``); when x is
    not 1-of-N, the weighted sum of rows that Eᵀ·x then is."""
    from ..layers.base import row_name, value as record_value
    c, path = q["compute"], q["path"]
    table, k = c["table"], record_value(record, c["row"])
    product = lookup_words(q)
    if k is None:
        return [(path, f"{product} = {w.vector(values[path])} (x is not 1-of-N: a weighted sum of rows of {table})")]
    name, where = row_name(desc.get("words"), k), f"1 at position {k + 1} of {len(params[table])}"
    first = f"id {k}: the 1-of-N vector of {name} has its {where}" if c["ids"] else \
        f"the 1-of-N vector of {name} ({where})"
    return [("x", first), (path, f"{product} = the row of {table} for {name} = {w.vector(values[path])}")]


def _stages(rows, memory_read) -> List[list]:
    """The computed quantities split where a weighted sum reads, through a matrix, a
    quantity of this step (not x, not a memory): that sum needs every unit before it."""
    stages: List[list] = [[]]
    done = set()
    for q in rows:
        if q["compute"]["op"] == "affine" and stages[-1] and any(
                not t.get("elementwise") and isinstance(t.get("of"), str) and t["of"] in done
                for t in q["compute"]["terms"]):
            stages.append([])
        stages[-1].append(q)
        done.add(q["path"])
    return stages


def _reads(node, path) -> bool:
    """Whether a formula reads ``path`` anywhere (as an operand, not as a weight's name)."""
    if isinstance(node, str):
        return node == path
    if isinstance(node, dict):
        return any(_reads(v, path) for k, v in node.items() if k not in ("weight", "bias", "function"))
    if isinstance(node, list):
        return any(_reads(v, path) for v in node)
    return False


def _reads_by_weight(formula, path) -> bool:
    def walk(terms):
        for t in terms:
            if "gated" in t and walk(t["terms"]):
                return True
            if t.get("elementwise"):   # a peephole: one weight per unit, not a row of terms
                continue
            if t.get("of") == path or (isinstance(t.get("of"), dict) and path in str(t["of"])):
                return True
        return False
    return formula["op"] == "affine" and walk(formula["terms"])


def _affine_text(q, values, params, terms: Terms, u: int, w: Writer) -> str:
    def parts_of(items) -> List[str]:
        parts: List[str] = []
        for t in items:
            if "bias" in t:
                parts += terms.bias(params[t["bias"]], u)
            elif "gated" in t:
                inner = parts_of(t["terms"])
                if inner:
                    parts.append(f"{w.operand(values[t['gated']][u])}·({w.total(inner)})")
            elif t.get("elementwise"):
                parts.append(f"{w.operand(values[t['of']][u])}·{w.operand(params[t['weight']][u])}")
            elif isinstance(t["of"], dict):   # a product read through a weight: (r·h)·U, term by term
                a, b = t["of"]["product"]
                parts += [f"({w.operand(p)}·{w.operand(r)})·{w.operand(k)}"
                          for p, r, k in zip(values[a], values[b], params[t["weight"]][u])]
            else:
                of = t["of"]
                name = "x" if of == "x" else of[:-len("_prev")] if of.endswith("_prev") else of
                parts += terms.products(values[of], params[t["weight"]][u], name)
        return parts
    z = values[q["path"]][u]
    return f"{w.total(parts_of(q['compute']['terms']))} = {w.result(z)}"


def _activation_text(read, q, values, u: int, s: str, w: Writer) -> str:
    """``→ σ(90) = 1`` for the quantity that applies a function to this weighted sum."""
    if read is None:
        return ""
    a_row, clip = read
    function = a_row["compute"]["function"]
    z, a = values[q["path"]][u], values[a_row["path"]][u]
    label = a_row["label"]
    symbol = label.split("(", 1)[0] if label.endswith(")") and "(" in label and " " not in label else None
    if symbol is not None and (a_row["kind"] == "gate" or symbol != FUNCTION_SYMBOLS[function]):
        if function == "linear":   # a gate or g with a linear function still names it: g(2) = 2
            cut = ""
            if clip is not None and abs(z) > clip:
                z = type(z)(clip if z > 0 else -clip)
                cut = f" → clip to {w.plain(z)}"
            return f"{cut} → {symbol}({w.plain(z)}) = {w.result(a)}"
        return w.activation(function, z, a, symbol, clip=clip)
    if a_row["kind"] == "output":
        return w.activation(function, z, a, name=f"{a_row['path']}{s}", clip=clip)
    # a gate's short name (z_n → n), else the value's own path with its unit (h[2])
    short = q["label"][2:] if q["label"].startswith("z_") else f"{a_row['path']}{s}"
    return w.activation(function, z, a, symbol, name=short, clip=clip)


def _product_text(term, values, u: int, w: Writer) -> str:
    items = term["product"] if isinstance(term, dict) and "product" in term else [term]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(w.operand(values[item][u]))
        elif "one_minus" in item:
            out.append(f"(1 − {w.operand(values[item['one_minus']][u])})")
        elif "apply" in item:
            v = w.operand(values[item["of"]][u])
            out.append(v if item["apply"] == "linear" else f"{FUNCTION_SYMBOLS[item['apply']]}({v})")
    return "·".join(out)


# --------------------------------------------------------------------------- the legend

def legend(layer, note: str = "", after: str = "") -> str:
    """What the arithmetic's weighted sums add up, read from the layer's ``compute``
    formulas (docs/layers.md): ``z = Σ x·W + Σ h_prev·U + 1·b`` (a weight matrix times
    a vector is a Σ of input·weight; a peephole or IndRNN's u, one weight per unit, is a
    single product; a bias is 1·b). Sums with the same terms share one entry
    (``z_r, z_u = …``). A weight's symbol is the one the formula's words use (W_o for a
    Jordan layer's output). ``note`` (the home's words) follows the first entry, ``after``
    the last."""
    from ..layers import describe
    desc = describe(layer)
    short = {q["path"]: (q.get("short") or [q["path"]])[0] for q in desc["quantities"]}
    groups: dict = {}
    for q in desc["quantities"]:
        compute = q.get("compute")
        if compute and compute["op"] == "affine":
            text = " + ".join(_legend_terms(compute["terms"], _top_level(q["formula"]), short))
            groups.setdefault(text, []).append(q["label"])
        elif compute and compute["op"] == "lookup":   # an embedding's row
            p, table = q["path"], compute["table"]
            text = f"{lookup_words(q)}: " + (f"x is a word's id, so {p} is the row of {table} for that word"
                                              if compute["ids"] else f"x is 1-of-N, so {p} is the row of {table} "
                                              "for x's word")
            groups.setdefault(text, []).append(p)
    entries = [f"{', '.join(labels)} = {text}" for text, labels in groups.items()]
    if note and entries:
        entries[0] += f": {note}"
    return "; ".join(entries) + (f"; {after}" if after else "")


def _top_level(text: str) -> List[str]:
    """``W·x + b + r∘(U·h_prev + b_h)`` → its terms outside brackets."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(" + ", k):
            parts.append(text[start:k])
            start = k + 3
    return parts + [text[start:]]


def _legend_terms(terms, words: List[str], short) -> List[str]:
    out = []
    for term, word in zip(terms, words):
        symbol = word.split("·", 1)[0].split("∘", 1)[0].strip()
        if "gated" in term:
            inner = word[word.index("(") + 1:word.rindex(")")]
            out.append(f"{short.get(term['gated'], term['gated'])}·({' + '.join(_legend_terms(term['terms'], _top_level(inner), short))})")
        elif "bias" in term:
            out.append(f"1·{symbol}")
        else:
            of = term["of"]
            v = short.get(of, of) if isinstance(of, str) and of != "x" and "." in of else of
            if isinstance(of, dict):   # a product read through a weight: (r·h_prev)
                v = "(" + "·".join(short.get(p, p) for p in of["product"]) + ")"
            out.append(f"{v}·{symbol}" if term.get("elementwise") else f"Σ {v}·{symbol}")
    return out


# --------------------------------------------------------------------------- symbols

def gradient_names(desc) -> dict:
    """How the backward tables name each row of a step's backward record (layers/autodiff.py,
    ``shown_rows``), read from the description: ``dL/dh from the output``, ``dL/dh
    through the memory``, ``dL/dc given (upstream)``, ``dL/dc``; a quantity that only a
    weighted sum of the same step reads through a matrix says so (``dL/dm = W_hrᵀ·dL/dh``,
    a Jordan layer's ``dL/dh = W_oᵀ·dL/dz_out``); each block's ``(dL/dσ(z_i), dL/dz_i)``
    under ``("gate", block)``."""
    by_path = {q["path"]: q for q in desc["quantities"]}
    computed = [q for q in desc["quantities"] if "compute" in q]
    names: dict = {}
    for q in computed:
        path = q["path"]
        name = symbol(by_path, path)
        if path.startswith("gates."):
            block = path.split(".")[1]
            names[("gate", block)] = (symbol(by_path, f"gates.{block}.a"), symbol(by_path, f"gates.{block}.z"))
            continue
        names[f"d{path}_out"] = f"dL/d{name} from the output"
        names[f"d{path}_next"] = f"dL/d{name} through the memory"
        names[f"d{path}_up"] = f"dL/d{name} given (upstream)"
        readers = [r for r in computed if _reads(r["compute"], path)]
        names[f"d{path}"] = f"dL/d{name}"
        if len(readers) == 1 and readers[0]["compute"]["op"] == "affine":
            r = readers[0]
            words = [(t, w) for t, w in zip(r["compute"]["terms"], _top_level(r["formula"]))
                     if t.get("of") == path and not t.get("elementwise")]
            if len(words) == 1:
                names[f"d{path}"] += f" = {_weight_symbol(words[0][1], r['label'])}ᵀ·dL/d{symbol(by_path, r['path'])}"
    return names


# --------------------------------------------------------------------------- the chain rule

class _Text(NamedTuple):
    """A piece of the chain rule in symbols and, when it names only this step's values
    and gradients, with their numbers (``num``; None where a weight matrix stands)."""

    sym: str
    num: Optional[str]

    def times(self, other: "_Text") -> "_Text":
        num = None if self.num is None or other.num is None else f"{self.num} ∘ {other.num}"
        return _Text(f"{self.sym} ∘ {other.sym}", num)

    def neg(self) -> "_Text":
        return _Text(f"−{self.sym}", None if self.num is None else f"−{self.num}")


class _Back(NamedTuple):
    """One gradient a formula hands back to an operand (``path``), in the order the
    backward pass adds it (layers/autodiff.py), and ``factor``: whether it names a value
    of this step beside the gradient it starts from."""

    path: str
    text: _Text
    factor: bool


def _replay(desc, layer, fwd, recorded, seeds):
    """The step walked back again with the backward pass's own rules (layers/autodiff.py),
    on the values of the forward record, each formula starting from the gradient the
    backward pass kept for it: every gradient a formula hands to an operand, in order,
    as (formula's path, operand, array). The numbers are the backward pass's: the same
    operations on the same arrays. The record does not keep x: it stands as zeros, read
    only by the weight gradients W·x hands back, which are not replayed."""
    from ..layers.autodiff import _Step, _readers, _values
    from ..layers.base import zeros

    class Replay(_Step):
        source = None

        def add(self, path, g):
            log.append((self.source, path, g))
            _Step.add(self, path, g)

        def grad(self, name, g):   # weight gradients are summed by the backward pass only
            pass

        def grad_row(self, name, k, g):
            pass

    log: list = []
    step = Replay(_values(_readers(desc), fwd, zeros(layer, layer.input_size)), layer.parameters(), {}, {})
    for source, path, g in seeds:
        step.source = source
        step.add(path, g)
    for q in reversed([q for q in desc["quantities"] if "compute" in q]):
        g = recorded(q["path"])
        g = step.d.get(q["path"]) if g is None else g
        if g is None:
            continue
        step.source = q["path"]
        step.formula_back(q["compute"], g, step.values[q["path"]])
    return step, log


def _weight_symbol(word: str, z_label: str) -> str:
    """A weight's symbol as the formula's words write it (``U`` in ``U·h_prev``), with the
    block's index of a gate's sum (U_i for z_i, b_hn for z_n's b_h); W_o, W_hr stay."""
    symbol = word.split("·", 1)[0].split("∘", 1)[0].strip()
    index = z_label[2:] if z_label.startswith("z_") else ""
    if not index:
        return symbol
    if symbol == "b_h":
        return f"b_h{index}"
    return symbol if "_" in symbol else f"{symbol}_{index}"


class _Chain:
    """Writes, for one formula, what it hands back to each operand: the backward rules of
    layers/autodiff.py in symbols (``U_iᵀ·dL/dz_i``, ``dL/dc∘σ(z_i)``, ``h′(c)``), in
    the order autodiff applies them."""

    def __init__(self, by_path, step, v):
        self.by_path, self.step, self.v = by_path, step, v
        self.symbols: dict = {}   # id(an applied function inside a product) → its symbol in the words

    def label(self, path: str) -> str:
        return symbol(self.by_path, path)

    def name(self, op) -> _Text:
        """An operand in symbols and with its value at this step."""
        if isinstance(op, str):
            return _Text(self.label(op), self.v(self.step.val(op)))
        if "one_minus" in op:
            inner = self.name(op["one_minus"])
            return _Text(f"(1 − {inner.sym})", f"(1 − {inner.num})")
        if "product" in op:
            return _Text("(" + "∘".join(self.name(i).sym for i in op["product"]) + ")", self.v(self.step.val(op)))
        if "apply" in op:
            return _Text(f"{self._function(op)}({self.name(op['of']).sym})", self.v(self.step.val(op)))
        if "clip" in op:
            return _Text(f"clip({self.name(op['of']).sym})", self.v(self.step.val(op)))
        raise ValueError(f"unknown operand {op!r}")

    def _function(self, op) -> str:
        return self.symbols.get(id(op)) or FUNCTION_SYMBOLS[op["apply"]]

    def operand(self, op, up: _Text, factor: bool = False) -> List[_Back]:
        if isinstance(op, str):
            return [_Back(op, up, factor)]
        if "one_minus" in op:
            return self.operand(op["one_minus"], up.neg(), factor)
        if "product" in op:
            items = op["product"]
            out = []
            for k, item in enumerate(items):
                text = up
                for j, other in enumerate(items):
                    if j != k:
                        text = text.times(self.name(other))
                out += self.operand(item, text, factor or len(items) > 1)
            return out
        if "apply" in op:
            inner = self.name(op["of"]).sym
            return self.operand(op["of"], up.times(_Text(f"{self._function(op)}′({inner})", f"{self._function(op)}′({inner})")),
                                factor)
        if "clip" in op:
            inner = self.name(op["of"]).sym
            return self.operand(op["of"], up.times(_Text(f"[|{inner}| ≤ {op['clip']:g}]", f"[|{inner}| ≤ {op['clip']:g}]")),
                                factor)
        raise ValueError(f"unknown operand {op!r}")

    def terms(self, terms, words: List[str], z: str, up: _Text) -> List[_Back]:
        out = []
        for term, word in zip(terms, words):
            if "gated" in term:
                inner_words = _top_level(word[word.index("(") + 1:word.rindex(")")])
                inner = " + ".join(self._inner_text(term["terms"], inner_words, z))
                value = self.v(self.step.terms(term["terms"]))
                out += self.operand(term["gated"], up.times(_Text(f"({inner})", value)), True)
                out += self.terms(term["terms"], inner_words, z, up.times(self.name(term["gated"])))
            elif "bias" in term:
                continue
            else:
                symbol = _weight_symbol(word, z)
                if term.get("elementwise"):
                    out += self.operand(term["of"], _Text(f"{symbol}∘{up.sym}", None))
                else:
                    sym = f"{symbol}ᵀ·{up.sym}" if " " not in up.sym else f"{symbol}ᵀ·({up.sym})"
                    text = _Text(sym if isinstance(term["of"], str) else f"({sym})", None)
                    out += self.operand(term["of"], text)
        return out

    def _inner_text(self, terms, words, z) -> List[str]:
        out = []
        for term, word in zip(terms, words):
            symbol = _weight_symbol(word, z)
            out.append(symbol if "bias" in term else f"{symbol}·{self.name(term['of']).sym}")
        return out

    def formula(self, q, up: _Text) -> List[_Back]:
        compute = q["compute"]
        if compute["op"] == "affine":
            return self.terms(compute["terms"], _top_level(q["formula"]), q["label"], up)
        if compute["op"] == "apply":
            return self.operand(compute["of"], up.times(_Text(f"f′({self.name(compute['of']).sym})", None)))
        if compute["op"] == "sum":
            self.formula_symbols_of(q)
            out = []
            for term in compute["terms"]:
                out += self.operand(term, up)
            return out
        if compute["op"] == "lookup":   # e = Eᵀ·x: dx = E·de; an id has no gradient
            return [] if compute["ids"] else self.operand(compute["of"], _Text(f"{compute['table']}·{up.sym}", None))
        raise ValueError(f"no chain rule for {compute['op']!r}")

    def lookup(self, q, fwd, words, handed, up: _Text) -> str:
        """What a lookup adds to its table's gradient — only the row read, when x picks
        one (``dL/dE['on'] += dL/de``) — and what it hands back to x (``dL/dx = E·dL/de``
        with its number; an id has none)."""
        from ..layers.base import row_name, value as record_value
        compute = q["compute"]
        table, k = compute["table"], record_value(fwd, compute["row"])
        if k is None:   # not 1-of-N: every row by its weight in x
            text = f"dL/d{table} += x·{up.sym}ᵀ (x is not 1-of-N: each row of {table} by its weight in x)"
        else:
            text = f"dL/d{table}[{row_name(words, k)}] += {up.sym} (only the row read changes)"
        if compute["ids"]:
            return f"{text}; x is an id: it has no gradient"
        back = [(t, g) for t, g in handed if t.path == compute["of"]]
        return f"{text}, " + ", ".join(f"dL/dx = {t.text.sym} = {self.v(g)}" for t, g in back)

    def formula_symbols_of(self, q) -> None:
        """The symbol a sum's words give each function applied inside a product: ``h``
        for the cell activation in ``h(c)·o``."""
        for term, word in zip(q["compute"]["terms"], _top_level(q["formula"])):
            factors = _top_level_split(word, "·")
            items = term["product"] if isinstance(term, dict) and "product" in term else [term]
            if len(factors) == len(items):
                for item, factor in zip(items, factors):
                    if isinstance(item, dict) and "apply" in item and "(" in factor:
                        self.symbols[id(item)] = factor.split("(", 1)[0]

    def weights(self, q, up: _Text, reads) -> List[str]:
        """What a weighted sum adds to its weights' gradients, named as its formula writes them."""
        def walk(terms, words, up_sym):
            out = []
            for term, word in zip(terms, words):
                symbol = _weight_symbol(word, q["label"])
                if "gated" in term:
                    inner = _top_level(word[word.index("(") + 1:word.rindex(")")])
                    out += walk(term["terms"], inner, f"{up_sym} ∘ {self.name(term['gated']).sym}")
                elif "bias" in term:
                    out.append(f"dL/d{symbol} += {up_sym}")
                else:
                    of = term["of"]
                    shown = f" ({of} = {self.v(self.step.val(of))})" if isinstance(of, str) and of in reads else ""
                    v = self.name(of).sym
                    if term.get("elementwise"):
                        out.append(f"dL/d{symbol} += {up_sym}∘{v}{shown}")
                    else:
                        left = f"({up_sym})" if " " in up_sym else up_sym
                        out.append(f"dL/d{symbol} += {left}·{v}ᵀ{shown}")
            return out
        return walk(q["compute"]["terms"], _top_level(q["formula"]), up.sym)


def _signed(terms) -> str:
    """``a + −b`` written ``a − b``."""
    out = ""
    for k, term in enumerate(terms):
        out += term if not k else f" − {term[1:]}" if term.startswith("−") else f" + {term}"
    return out


def _top_level_split(text: str, sep: str) -> List[str]:
    """``h(c)·o`` → ``["h(c)", "o"]``: split at ``sep`` outside brackets."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and text.startswith(sep, k):
            parts.append(text[start:k].strip())
            start = k + len(sep)
    return parts + [text[start:].strip()]


class _Walk(NamedTuple):
    """One step's chain rule: the replayed backward step and what each formula handed back."""

    desc: dict
    step: Any            # the replayed step: values and what reached each operand
    chain: _Chain
    handed: dict         # formula's path → [(_Back, array)] in the backward pass's order
    log: list            # (source, operand, array) for every gradient added
    total: Any           # path → dL/d(path) as the backward pass kept it


def _walk(layer, fwd, bwd) -> _Walk:
    from ..layers import describe
    desc = describe(layer)
    d, gates = bwd.values, bwd.gates or {}
    written = {m["written"] for m in desc["memory"]}
    output = desc["output"]

    def recorded(path):
        if path.startswith("gates."):
            _, block, part = path.split(".")
            return gates.get(block, {}).get("d" + part)
        return d.get(f"d{path}")

    # the gradients that start the step, in the backward pass's order: the output's own,
    # then what each memory brings back from the later step (and one given from outside)
    seeds = []
    if f"d{output}_out" in d:
        seeds.append(("output", output, d[f"d{output}_out"]))
    elif output not in written and recorded(output) is not None:
        seeds.append(("output", output, recorded(output)))
    for w in written:
        if f"d{w}_next" in d:
            seeds.append(("memory", w, d[f"d{w}_next"]))
        if f"d{w}_up" in d:
            seeds.append(("given", w, d[f"d{w}_up"]))
    step, log = _replay(desc, layer, fwd, recorded, seeds)

    def total(path):
        g = recorded(path)
        return step.d.get(path) if g is None else g

    return _Walk(desc, step, None, {}, log, total)


def handed_back(layer, fwd, bwd, v=lambda a: "") -> dict:
    """What each formula of a step hands back to each of its operands, as the chain rule
    writes it: {formula's path: [(operand, symbols, array)]}, in the backward pass's order
    (operands that are not quantities, such as x, included)."""
    walk = _chain(layer, fwd, bwd, v)
    return {path: [(t.path, t.text.sym, g) for t, g in items] for path, items in walk.handed.items()}


def _chain(layer, fwd, bwd, v) -> _Walk:
    walk = _walk(layer, fwd, bwd)
    by_path = {q["path"]: q for q in walk.desc["quantities"]}
    chain = _Chain(by_path, walk.step, v)
    handed = {}
    for q in reversed([q for q in walk.desc["quantities"] if "compute" in q]):
        g = walk.total(q["path"])
        texts = chain.formula(q, _Text(f"dL/d{chain.label(q['path'])}", v(g))) if g is not None else []
        arrays = [(path, a) for source, path, a in walk.log if source == q["path"]]
        if [t.path for t in texts] != [p for p, _ in arrays]:
            raise ValueError(f"the chain rule of {q['path']} does not follow the backward pass")
        handed[q["path"]] = list(zip(texts, (a for _, a in arrays)))
    return walk._replace(chain=chain, handed=handed)


def chain_lines(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """``grad --explain``'s chain rule for one step, read from the layer's ``compute``
    formulas (docs/layers.md) and each operation's backward rule (layers/autodiff.py),
    last quantity first: for each quantity q, dL/dq as the sum of what reaches it —
    from the output, from each formula of this step that reads q (``dL/dh ∘ σ(z_o) ∘ h′(c)``,
    ``−dL/dh ∘ tanh(z_n)``, ``W_oᵀ·dL/dz_out``), through the memory from ``later``
    (``(dL/dc ∘ σ(z_f) + P_i∘dL/dz_i)(step t+1)``) and a gradient given from outside —
    each term with its number, then the total; an activation's f′ (softmax: its
    Jacobian); each weighted sum's weight gradients, named as its formula writes them.

    Every number is the backward pass's (``bwd``): totals as it kept them, and each term
    as its own backward rules hand it over, replayed on this step's values."""
    from ..layers.activations import derivative_text, function as activation_function
    walk = _chain(layer, fwd, bwd, v)
    desc, step, chain, handed, log, total = walk
    d = bwd.values
    computed = [q for q in desc["quantities"] if "compute" in q]
    written = {m["written"]: m["read"] for m in desc["memory"]}
    reads = set(written.values())

    def memory_text(w) -> Optional[str]:
        """What a memory read hands back at the later step, in symbols."""
        r = written[w]
        parts = [t.text.sym for q in computed for t in chain.formula(q, _Text(f"dL/d{chain.label(q['path'])}", None))
                 if t.path == r]
        if not parts:
            return None
        return (parts[0] if len(parts) == 1 and "∘" not in parts[0] else f"({' + '.join(parts)})") + f"({later})"

    lines = []
    for q in reversed(computed):
        path, compute = q["path"], q["compute"]
        dq = total(path)
        if dq is None:
            continue
        shown = chain.label(path)
        terms = []   # (symbols, the term's number, the term with this step's values or None)
        if any(source == "output" and p == path for source, p, _ in log):
            terms.append(("(from the output)" if path in written else "(from the loss/above)",
                          v(next(g for source, p, g in log if source == "output" and p == path)), None))
        into = [(t, g) for r in reversed(computed) for t, g in handed[r["path"]] if t.path == path]
        readers = [r for r in computed if any(t.path == path for t, _ in handed[r["path"]])]
        single_apply = (len(into) == 1 and not terms and path not in written and readers[0]["compute"]["op"] == "apply"
                        and unclip(readers[0]["compute"]["of"])[0] == path)
        if single_apply:
            a_path = readers[0]["path"]
            function = readers[0]["compute"]["function"]
            clip = unclip(readers[0]["compute"]["of"])[1]
            cut = "" if clip is None else f" ∘ [|{shown}| ≤ {clip:g}]"
            a_name = chain.label(a_path)
            with_a = f"{v(step.val(a_path))}: dL/d{shown} = {v(dq)}"
            if activation_function(function).elementwise:
                lines.append(f"{name}: dL/d{shown} = dL/d{a_name} ∘ f′({shown}), f′ = "
                             f"{derivative_text(function, shown, a_name)}{cut} with {a_name} = {with_a}")
            else:   # softmax mixes its units: its Jacobian, diag(y) − y·yᵀ, applied to dL/dy
                lines.append(f"{name}: dL/d{shown} = {a_name}∘(dL/d{a_name} − dL/d{a_name}·{a_name}) (the {function} "
                             f"Jacobian) with {a_name} = {with_a}")
        else:
            for t, g in into:
                terms.append((t.text.sym, v(g), t.text.num if t.factor else None))
            if path in written:
                through = memory_text(path)
                if through is not None:
                    terms.append((through, v(d[f"d{path}_next"]), None))
                if f"d{path}_up" in d:
                    terms.append((f"dL/d{path} given", v(d[f"d{path}_up"]), None))
            if not terms:
                lines.append(f"{name}: dL/d{shown} = 0: nothing at this step reads {shown}")
            elif len(terms) == 1:
                sym, _, num = terms[0]
                lines.append(f"{name}: dL/d{shown} = {sym} = " + (f"{num} = " if num else "") + v(dq))
            else:
                lines.append(f"{name}: dL/d{shown} = " + _signed(t[0] for t in terms) + " = "
                             + " + ".join(t[1] for t in terms) + f" = {v(dq)}")
        if compute["op"] == "affine":
            lines.append(f"{name}: " + ", ".join(chain.weights(q, _Text(f"dL/d{shown}", None), reads)))
        elif compute["op"] == "lookup":
            lines.append(f"{name}: " + chain.lookup(q, fwd, desc.get("words"), handed[path],
                                                   _Text(f"dL/d{shown}", None)))
    return lines
