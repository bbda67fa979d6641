"""The interactive page: one self-contained HTML file for a run.

The page is drawn in the browser from plain data embedded as JSON: the layers'
descriptions (``rnntrace.layers.describe``: quantities, memory, the ``compute``
formulas), the exact trace (``rnntrace.trace/1``), the inputs and every line of
arithmetic that ``run --explain`` writes, made here by :mod:`rnntrace.render.explain`.
The script (``page_assets/page.js``) has no code of its own per layer type: it draws
each layer from its description and, when a weight or an input is edited, evaluates
the descriptions' ``compute`` formulas step by step in float64.

Which line of ``--explain`` belongs to which quantity is worked out here from the
description alone: the line whose left-hand side is the quantity's label (with the
unit's suffix, ``c[2]``, ``z[destination]``); an activation a = f(z) shares the line of
its z (``z_i = … = 90 → σ(90) = 1``), and a z whose layer writes no line of its own for
it shares the line of the activation applied to it (a linear dense layer's ``y = …``).
What a memory quantity reads is said in a line of its own: ``<read> = <written> at step 3 = 7``.
"""
from __future__ import annotations

import math
import re
from importlib import resources
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .numbers import DEFAULT_PRECISION, plain, result, show

#: Data up to this many characters is embedded as plain JSON, readable in the file;
#: more (a long sequence) is embedded gzipped, so that the page stays small.
PLAIN_LIMIT = 150_000


#: The page's script, in the order its modules are joined into the one <script>:
#: numbers as text, the engine (both also run under Node, tests/test_page_node.py), the
#: drawing of a layer, the charts, and the page itself (state, table, practice, popup).
#: Each module is one plain script defining one name (``rnnFormat``, ``rnnEngine``, …).
SCRIPT_MODULES = ("format.js", "engine.js", "arith.js", "figure.js", "charts.js", "page.js")


def _asset(name: str) -> str:
    return resources.files("rnntrace.render").joinpath(f"page_assets/{name}").read_text("utf-8")


def module(name: str) -> str:
    """One module of the page's script as the page holds it: the engine with the
    activation functions written in (the page's Content-Security-Policy allows no eval)."""
    text = _asset(name)
    if "/*ACTIVATION_TABLE*/ {}" in text:
        from ..layers.activations import js_functions
        text = text.replace("/*ACTIVATION_TABLE*/ {}", js_functions())
    return text


def script() -> str:
    """The page's modules joined into the one offline script (no loader: each module
    is a plain script; the later ones use the names the earlier ones define)."""
    return "\n".join(module(name) for name in SCRIPT_MODULES)


# --------------------------------------------------------------------------- explain lines → quantities

def _suffixes(size: int, units: Sequence[str], u: int) -> List[str]:
    """The ways ``--explain`` may mark unit u of a vector on the left-hand side."""
    if size <= 1:
        return [""]
    out = []
    if units and len(units) == size:
        out.append(f"[{units[u]}]")
    out.append(f"[{u + 1}]")
    out.append("")        # a line for the whole vector (softmax, a concat merge)
    return out


def _where(desc: Dict[str, Any], lhs_index: Dict[str, int], sizes: Dict[str, int], arrow: str = "",
           prefix: str = "", out: Optional[Dict[str, List[Optional[int]]]] = None) -> Dict[str, List[Optional[int]]]:
    """path → the index of its line for each unit (None: no line, e.g. a memory read)."""
    out = {} if out is None else out
    for side, side_arrow in (("forward", "→ "), ("backward", "← ")):
        if side in desc:
            _where(desc[side], lhs_index, sizes, side_arrow, f"{prefix}{side}.", out)
    quantities = desc["quantities"]
    for q in quantities:
        path = prefix + q["path"]
        size = sizes.get(path, 0)
        if q["kind"] == "memory":
            out[path] = [None] * size
            continue
        # "h = relu(z)" and "h (concat)" are written "h" on the left of their line
        names = [q["label"], q["label"].split(" = ")[0], q["label"].split(" (")[0]]
        found: List[Optional[int]] = []
        for u in range(size):
            hit = None
            for suffix in _suffixes(size, desc.get("units") or (), u):
                for name in names:
                    hit = lhs_index.get(f"{arrow}{name}{suffix}")
                    if hit is not None:
                        break
                if hit is not None:
                    break
            found.append(hit)
        compute = q.get("compute") or {}
        if None in found and compute.get("op") == "apply" and isinstance(compute.get("of"), str):
            of = out.get(prefix + compute["of"], [])      # a = f(z): z's line shows both
            found = [h if h is not None else (of[u] if u < len(of) else None) for u, h in enumerate(found)]
        out[path] = found
    for q in quantities:                     # z with no line of its own: the line of f(z)
        compute = q.get("compute") or {}
        of = compute.get("of")
        if compute.get("op") == "apply" and isinstance(of, str) and None in out.get(prefix + of, [None]):
            mine, theirs = out[prefix + q["path"]], out[prefix + of]
            out[prefix + of] = [t if t is not None else (mine[u] if u < len(mine) else None)
                                for u, t in enumerate(theirs)]
    return out


def _flat_sizes(record: Dict[str, Any], prefix: str = "", out=None) -> Dict[str, int]:
    out = {} if out is None else out
    for key, value in record.items():
        if isinstance(value, dict):
            _flat_sizes(value, f"{prefix}{key}.", out)
        elif isinstance(value, list):
            out[prefix + key] = len(value)
    return out


def _memory_lines(desc: Dict[str, Any], record: Dict[str, Any], t: int, T: int, precision: int,
                  prefix: str = "") -> Dict[str, List[str]]:
    """What each memory quantity read at step t, one line per unit:
    ``<read> = <written> at step 3 = 6.9998`` (``<read> = the initial value = 0`` at step 1)."""
    out: Dict[str, List[str]] = {}
    for side in ("forward", "backward"):
        if side in desc:
            out.update(_memory_lines(desc[side], record, t, T, precision, f"{prefix}{side}."))
    for m in desc.get("memory", ()):
        path = prefix + m["read"]
        values = _lookup(record, path)
        if values is None:
            continue
        size = len(values)
        lines = []
        for u, v in enumerate(values):
            s = f"[{u + 1}]" if size > 1 else ""
            v_text = "overflow" if v is None else result(v, precision)
            if prefix.startswith("backward"):      # it reads x_T … x_1: its last step was t + 1
                origin = "the initial value" if t == T else f"{m['written']} at step {t + 1}"
            else:
                origin = "the initial value" if t == 1 else f"{m['written']} at step {t - 1}"
            lines.append(f"{m['read']}{s} = {origin} = {v_text}")
        out[path] = lines
    return out


def _lookup(record: Dict[str, Any], path: str):
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _hint(line: str, value: Optional[float], precision: int) -> str:
    """The line of arithmetic with the asked value left out: ``h = h(c)·o = 6.9995·1 = ?``.

    The value never shows: its result is cut (with what follows it: an activation's
    arrow, a label); a line for a whole vector (softmax, a concat merge), where every unit
    is listed, keeps only its formula (``y = softmax(z) = ?``); and a number elsewhere in
    the line written as the value is (an operand times 1, a merge of equal halves) becomes
    ``?`` too. A whole number is left in operands, where 1 is the bias's input."""
    if value is None or " = " not in line:
        return line
    lhs, _, rhs = line.partition(" = ")
    whole = rhs.find(" = [")
    if whole >= 0 or rhs.startswith("["):
        return f"{lhs} = {rhs[:max(whole, 0)]} = ?" if whole > 0 else f"{lhs} = ?"
    shown = re.escape(result(value, precision))
    match = re.search(rf" = {shown}(?=$| →| \()", rhs)
    if match is not None:
        rhs = rhs[:match.start()] + " = ?"
    elif re.fullmatch(rf"{shown}(?: →.*| \(.*)?", rhs):
        rhs = "?"
    if not float(value).is_integer():
        for form in {plain(value, precision), show(value, precision)}:
            rhs = re.sub(rf"(?<![\d.]){re.escape(form)}(?![\d.e])", "?", rhs)
    return f"{lhs} = {rhs}"


# --------------------------------------------------------------------------- the data block

# --------------------------------------------------------------------------- the values, stored once

def _walk(value: Any, prefix: str, out: Dict[str, Any]) -> None:
    for key, item in value.items():
        path = f"{prefix}{key}"
        if isinstance(item, dict):
            _walk(item, path + ".", out)
        else:
            out[path] = item


def _same(a, b) -> bool:
    """Bit for bit (None for a value past float64's range, as the JSON trace writes it)."""
    return len(a) == len(b) and all((x is None and y is None) or (x is not None and y is not None and
                                    np.float64(x).tobytes() == np.float64(y).tobytes()) for x, y in zip(a, b))


def _copies(descriptions, names, inputs) -> Dict[str, Any]:
    """What each value may be a copy of: a memory read is what was written one step
    before (one step after, for a backward direction; its initial value at the first
    step it runs), x is the step's input, y is the last layer's output."""
    out: Dict[str, Any] = {"x": ["input"]}
    last = descriptions[-1]
    out["y"] = ["copy", f"layers.{names[-1]}.{last['output']}", 0, None]

    def walk(desc, prefix, dt):
        for side, step in (("forward", -1), ("backward", 1)):
            if side in desc:
                walk(desc[side], f"{prefix}{side}.", step)
        for m in desc.get("memory", ()):
            out[prefix + m["read"]] = ["copy", prefix + m["written"], dt, list(m["initial"])]

    for name, desc in zip(names, descriptions):
        walk(desc, f"layers.{name}.", -1)
    return out


def pack_steps(steps: List[Dict[str, Any]], descriptions, names, inputs) -> Optional[Dict[str, Any]]:
    """The trace's steps with each value stored once: the vectors that are not copies of
    another (memory reads, x, y: checked bit for bit) as one block of little-endian
    float64 (NaN for JSON's null) in byte planes (every number's first byte, then every
    number's second byte, …: the sign and exponent bytes repeat, so gzip packs them
    where it cannot pack whole numbers; docs/page.md), base64; texts (a word, a label) as lists over the steps.
    :func:`unpack_steps` gives back the steps exactly. None when the steps do not share
    one layout (then the page holds them as they are)."""
    import base64
    if not steps:
        return None
    first: Dict[str, Any] = {}
    _walk(steps[0], "", first)
    layout = [k for k in first if k != "t"]
    copies = _copies(descriptions, names, inputs)
    columns, texts = [], {}
    flats = []
    for step in steps:
        flat: Dict[str, Any] = {}
        _walk(step, "", flat)
        if list(flat) != list(first):
            return None
        flats.append(flat)
    index = {k: i for i, k in enumerate(layout)}
    for key in layout:
        value = first[key]
        if not isinstance(value, list):
            texts[key] = [f[key] for f in flats]
            continue
        how = copies.get(key)
        if how is not None and how[0] == "input":
            ok = all(_same(f[key], list(inputs[t])) for t, f in enumerate(flats))
        elif how is not None and how[1] in index:
            _, source, dt, initial = how
            ok = True
            for t, f in enumerate(flats):
                u = t + dt
                want = flats[u][source] if 0 <= u < len(flats) else initial
                if want is None or not _same(f[key], want):
                    ok = False
                    break
        else:
            ok = False
        columns.append([key, len(value), how if ok else None])
    stored = [c[0] for c in columns if c[2] is None]
    block = np.array([[v if v is not None else np.nan for key in stored for v in f[key]] for f in flats],
                     dtype="<f8")
    return {"count": len(steps), "keys": layout, "columns": columns, "texts": texts,
            "values": base64.b64encode(block.view(np.uint8).reshape(-1, 8).T.tobytes()).decode("ascii")}


def unpack_steps(packed: Dict[str, Any], inputs) -> List[Dict[str, Any]]:
    """The steps of the trace from :func:`pack_steps`: as ``run --format json`` writes them."""
    import base64
    stored = [c for c in packed["columns"] if c[2] is None]
    width = sum(c[1] for c in stored)
    planes = np.frombuffer(base64.b64decode(packed["values"]), dtype=np.uint8).reshape(8, -1)
    block = np.ascontiguousarray(planes.T).view("<f8").reshape(packed["count"], width)
    flats: List[Dict[str, Any]] = [{} for _ in range(packed["count"])]
    for t, flat in enumerate(flats):
        at = 0
        for key, size, _ in stored:
            flat[key] = [None if not math.isfinite(v) else float(v) for v in block[t, at:at + size]]
            at += size
        for key, values in packed["texts"].items():
            flat[key] = values[t]
    for key, size, how in packed["columns"]:
        if how is None:
            continue
        for t, flat in enumerate(flats):
            if how[0] == "input":
                flat[key] = [float(v) for v in inputs[t]]
            else:
                u = t + how[2]
                flat[key] = list(flats[u][how[1]]) if 0 <= u < len(flats) else list(how[3])
    steps = []
    for t, flat in enumerate(flats):
        step: Dict[str, Any] = {"t": t + 1}
        for key in packed["keys"]:
            *parents, leaf = key.split(".")
            node = step
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = flat[key]
        steps.append(step)
    return steps


def page_data(trace, ask: Optional[Sequence[str]] = None, tolerance: Optional[float] = None,
              precision: int = DEFAULT_PRECISION, source: Optional[str] = None) -> Dict[str, Any]:
    """Everything the page shows, as plain data (JSON-ready)."""
    from ..layers import describe
    from ..layers.base import FUNCTION_SYMBOLS
    from ..limits import check_page, numbers_per_step
    from .explain import legend
    spec = trace.spec
    check_page(len(trace), numbers_per_step(spec))      # before the data is made
    data = trace.to_dict()
    descriptions = [describe(layer) for layer in spec.layers]
    page: Dict[str, Any] = {
        "title": spec.title or source or "rnntrace",
        "source": source or spec.source,
        "precision": precision,
        "inputs": spec.inputs.tolist(),
        "tokens": list(spec.tokens) if spec.tokens else None,
        "lexicon": (list(spec.lexicon.words) + (["other"] if spec.lexicon.other else []))
        if spec.lexicon is not None else None,
        "layers": descriptions,
        "trace": {k: v for k, v in data.items() if k != "steps"},
        "steps": None,
        "legend": [legend(layer) for layer in spec.layers],
        "symbols": dict(FUNCTION_SYMBOLS),
        "practice": None,
    }
    packed = pack_steps(data["steps"], descriptions, [layer.name for layer in spec.layers], page["inputs"])
    if packed is None:
        page["trace"]["steps"] = data["steps"]
    page["steps"] = packed
    from .figure import page_figures      # the layouts the page draws (render/figure.py)
    page["figures"] = page_figures({**page, "trace": data}, precision)
    if ask is not None:
        page["practice"] = _practice(trace, data, page, ask, tolerance, precision)
    return page


def page_trace(page: Dict[str, Any]) -> Dict[str, Any]:
    """The ``rnntrace.trace/1`` document a page's data holds, exactly as ``run --format
    json`` writes it."""
    out = dict(page["trace"])
    if page.get("steps") is not None:
        out["steps"] = unpack_steps(page["steps"], page["inputs"])
    return out


def explain_data(trace, precision: int = DEFAULT_PRECISION) -> Dict[str, Any]:
    """The arithmetic of ``run --explain`` for every step, laid out by quantity: made in
    Python only for the hints of practice (the page writes its own from the formulas).
    ``lines[t − 1][i]``: layer i's lines at step t; ``where[i]``: path → its line's index
    per unit (``where_steps[i]`` for steps laid out otherwise); ``memory[t − 1][i]``:
    what each memory read."""
    from ..layers import describe
    from .explain import as_text, record_lines
    spec = trace.spec
    data = trace.to_dict()
    descriptions = [describe(layer) for layer in spec.layers]
    explain_steps: List[List[List[str]]] = []
    where_by_layer: List[Optional[Dict[str, Any]]] = [None] * len(spec.layers)
    where_steps: List[Dict[int, Any]] = [dict() for _ in spec.layers]
    memory: List[List[Dict[str, List[str]]]] = []
    for step, step_dict in zip(trace, data["steps"]):
        x = step.x
        per_layer, per_memory = [], []
        for i, (layer, desc) in enumerate(zip(spec.layers, descriptions)):
            record = step.layers[layer.name]
            record_dict = step_dict["layers"][layer.name]
            lines = record_lines(layer, record, x, precision)
            texts = [as_text([line]) for line in lines]
            lhs_index: Dict[str, int] = {}
            for k, (lhs, _) in enumerate(lines):
                lhs_index.setdefault(lhs, k)
            where = _where(desc, lhs_index, _flat_sizes(record_dict))
            if where_by_layer[i] is None:
                where_by_layer[i] = where
            elif where != where_by_layer[i]:
                where_steps[i][step.t] = where
            per_layer.append(texts)
            per_memory.append(_memory_lines(desc, record_dict, step.t, len(trace), precision))
            x = record.output
        explain_steps.append(per_layer)
        memory.append(per_memory)
    return {"lines": explain_steps, "where": where_by_layer,
            "where_steps": [{str(t): w for t, w in ws.items()} for ws in where_steps], "memory": memory}


def _practice(trace, data, page, ask, tolerance, precision) -> Dict[str, Any]:
    from ..grading.answers import DEFAULT_TOLERANCE, Reference
    from ..sheet import resolve_ask
    reference = Reference.from_trace(trace, page["source"])
    asked = resolve_ask(list(ask), trace.spec, reference)
    names = [layer.name for layer in trace.spec.layers]
    explain = explain_data(trace, precision)
    hints: Dict[str, Dict[str, List[str]]] = {}
    for path in asked:
        layer, _, inner = path.partition(".")
        per_step = {}
        for t, step in enumerate(data["steps"], start=1):
            values = reference.steps[t - 1][path]
            texts = []
            for u, v in enumerate(values):
                line = _line_for(page, explain, t, layer, inner, u) if layer in names else None
                if path == "y":
                    line = _line_for(page, explain, t, names[-1], page["layers"][-1]["output"], u)
                texts.append(_hint(line, v, precision) if line else "")
            per_step[str(t)] = texts
        hints[path] = per_step
    return {"ask": list(asked), "tolerance": DEFAULT_TOLERANCE if tolerance is None else float(tolerance),
            "hints": hints}


def _line_for(page, explain, t: int, layer_name: str, path: str, u: int) -> Optional[str]:
    names = [d["name"] for d in page["layers"]]
    i = names.index(layer_name)
    where = explain["where_steps"][i].get(str(t)) or explain["where"][i]
    index = (where.get(path) or [None] * (u + 1))
    k = index[u] if u < len(index) else None
    if k is None:
        lines = explain["memory"][t - 1][i].get(path)
        return lines[u] if lines and u < len(lines) else None
    return explain["lines"][t - 1][i][k]


def _script_json(data: Dict[str, Any]) -> str:
    """JSON that is safe inside <script>: no "<" at all (so no "</script>" or "<!--",
    which would end or confuse the element; "<" can only be inside a string, where
    \\u003c means the same) and no U+2028/U+2029 (line ends to older JavaScript)."""
    from .json import dumps
    return dumps(data).replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def page_html(trace, ask: Optional[Sequence[str]] = None, tolerance: Optional[float] = None,
              precision: int = DEFAULT_PRECISION, source: Optional[str] = None) -> str:
    """The whole page: HTML with the style, the data and the script inline."""
    import html
    data = page_data(trace, ask, tolerance, precision, source)
    text, encoding = _script_json(data), "json"
    if len(text) > PLAIN_LIMIT:
        # A long run's data repeats itself (the same keys and lines at every step):
        # gzip makes 1,000 steps a fraction of the size; the browser unpacks it with
        # its own DecompressionStream.
        import base64
        import gzip
        text = base64.b64encode(gzip.compress(text.encode("utf-8"), 6, mtime=0)).decode("ascii")
        encoding = "gzip+base64"
    parts = {"title": html.escape(data["title"]), "style": _asset("page.css"),
             "data": text, "encoding": encoding, "script": script()}
    # one pass, so that a title holding "{{script}}" stays text
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("page.html"))


def notebook_html(trace, **options) -> str:
    """A trace in a notebook (Jupyter's text/html, rnntrace/__init__.py registers it): the
    page inside an iframe of its own, so that several traces on one notebook page keep
    their own ids, styles and scripts. ``options`` as :func:`page_html` takes them."""
    import html
    return (f'<iframe srcdoc="{html.escape(page_html(trace, **options), quote=True)}" title="rnntrace page" '
            'style="width: 100%; height: 720px; border: 1px solid #c9d1d9; border-radius: 6px;" '
            'sandbox="allow-scripts"></iframe>')
