"""How the arithmetic of a step is written: the pieces every layer type's ``explain``
uses (rnntrace/layers/<type>.py), handed to it as a :class:`Writer`.

    z_i = 3·0 + 1·100 + 0·0 + 1·(−10) = 90 → σ(90) = 1

Each weighted sum lists its terms input·weight; the value after "=" is the one the
engine computed, so what is shown is never recomputed here.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..layers.activations import approaches
from ..layers.base import FUNCTION_SYMBOLS
from .numbers import DEFAULT_PRECISION, operand, plain, result, vector_show

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

def _unclip(op):
    """(the operand an activation reads, its clip or None)."""
    if isinstance(op, dict) and "clip" in op:
        return op["of"], op["clip"]
    return op, None


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
            of, clip = _unclip(q["compute"]["of"])
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
    product = _lookup_words(q)
    if k is None:
        return [(path, f"{product} = {w.vector(values[path])} (x is not 1-of-N: a weighted sum of rows of {table})")]
    name, where = row_name(desc.get("words"), k), f"1 at position {k + 1} of {len(params[table])}"
    first = f"id {k}: the 1-of-N vector of {name} has its {where}" if c["ids"] else \
        f"the 1-of-N vector of {name} ({where})"
    return [("x", first), (path, f"{product} = the row of {table} for {name} = {w.vector(values[path])}")]


def _lookup_words(q) -> str:
    """``Eᵀ·x`` (x 1-of-N) or ``E[x]`` (x an id): the formula's words before their gloss."""
    return q["formula"].split(" (", 1)[0]


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
            text = f"{_lookup_words(q)}: " + (f"x is a word's id, so {p} is the row of {table} for that word"
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


# --------------------------------------------------------------------------- the chain rule

def chain_lines(layer, name: str, fwd, bwd, v, later: str) -> List[str]:
    """``grad --explain``'s chain rule for one step, read from the layer's ``compute``
    formulas and each operation's backward rule (layers/autodiff.py), last quantity
    first: a memory's gradient from the output and through the sums that read it at
    ``later`` (``Uᵀ·dL/dz``, ``u∘dL/dz``); an activation's f′; a weighted sum's weight
    gradients and, for a quantity of the same step it read through a matrix (a Jordan
    layer's h), that quantity's gradient. The numbers are those the backward pass kept
    (``bwd.values``: ``dz``, ``dh_out``, ``dh_next``, ``dh``). For layers whose formulas are
    weighted sums and activations (elman, jordan, indrnn, dense)."""
    from ..layers import describe
    from ..layers.activations import derivative_text, function as activation_function
    from ..layers.base import value as record_value
    desc = describe(layer)
    d = bwd.values
    by_path = {q["path"]: q for q in desc["quantities"]}
    computed = [q for q in desc["quantities"] if "compute" in q]
    written = {m["written"]: m["read"] for m in desc["memory"]}
    reads = set(written.values())

    def label(path):
        return by_path[path]["label"] if path in by_path and " " not in by_path[path]["label"] else path

    def weights(q):   # (term, the weight's symbol as the formula's words write it)
        return [(t, w.split("·", 1)[0].split("∘", 1)[0].strip())
                for t, w in zip(q["compute"]["terms"], _top_level(q["formula"]))]

    lines = []
    for q in reversed(computed):
        path, compute = q["path"], q["compute"]
        if path in written:
            read = written[path]
            through = " + ".join(
                f"{symbol}∘dL/d{label(r['path'])}({later})" if t.get("elementwise")
                else f"{symbol}ᵀ·dL/d{label(r['path'])}({later})"
                for r in computed if r["compute"]["op"] == "affine"
                for t, symbol in weights(r) if t.get("of") == read)
            lines.append(f"{name}: dL/d{path} = (from the output) + {through or '0'} = {v(d[f'd{path}_out'])} + "
                         f"{v(d[f'd{path}_next'])} = {v(d[f'd{path}'])}")
        elif path == desc["output"] and f"d{path}" in d:
            lines.append(f"{name}: dL/d{path} = (from the loss/above) = {v(d[f'd{path}'])}")
        if compute["op"] == "apply":
            of, clip = _unclip(compute["of"])
            z = label(of)
            cut = "" if clip is None else f" ∘ [|{z}| ≤ {clip:g}]"
            a = f"{v(record_value(fwd, path))}: dL/d{z} = {v(d[f'd{of}'])}"
            if activation_function(compute["function"]).elementwise:
                prime = derivative_text(compute["function"], z, path)
                lines.append(f"{name}: dL/d{z} = dL/d{path} ∘ f′({z}), f′ = {prime}{cut} with {path} = {a}")
            else:   # softmax mixes its units: its Jacobian, diag(y) − y·yᵀ, applied to dL/dy
                lines.append(f"{name}: dL/d{z} = {path}∘(dL/d{path} − dL/d{path}·{path}) (the {compute['function']} "
                             f"Jacobian) with {path} = {a}")
        elif compute["op"] == "affine":
            z = label(path)
            parts = []
            for t, symbol in weights(q):
                if "bias" in t:
                    parts.append(f"dL/d{symbol} += dL/d{z}")
                    continue
                of = t["of"]
                shown = f" ({of} = {v(record_value(fwd, of))})" if of in reads else ""
                parts.append(f"dL/d{symbol} += dL/d{z}∘{of}{shown}" if t.get("elementwise")
                             else f"dL/d{symbol} += dL/d{z}·{of}ᵀ{shown}")
            lines.append(f"{name}: " + ", ".join(parts))
            for t, symbol in weights(q):
                of = t.get("of")
                if isinstance(of, str) and of in by_path and of not in reads and f"d{of}" in d:
                    lines.append(f"{name}: dL/d{of} = {symbol}ᵀ·dL/d{z} = {v(d[f'd{of}'])}")
    return lines
