"""The figures as the lecture draws them, laid out once, here, from the layers'
descriptions (docs/layers.md): one box per quantity, coloured by its kind, and the
arithmetic of each ``compute`` formula drawn as operator nodes: × for an elementwise
product (g·i, c_prev·f, h(c)·o), + for a sum of several terms, 1 − u, and a box for a
function applied inside a formula (the LSTM's h(c)). Arrows go from what a formula
reads to what it computes; an arrow that carries a weight is labelled with it (W_i,
U_f, P_o). The copy of a quantity into memory for the next step is a dashed arrow.

The flow goes up, as in the lecture's LSTM figure: the input x at the bottom, the four
inputs of an LSTM unit (z, z_i, z_f, z_o) above it, the gates, the × and + nodes, the
cell, h(c) and the output on top. Each box sits on a row by how many formulas lie
between it and the input (a memory read sits just below its first reader) and, within
its row, above what it reads. Arrows are routed on a grid around every box (A*, with
a cost for each bend and for running along another arrow), so that an arrow never
crosses or hides under a box it does not connect, and meets its boxes at their sides.

The same layout serves ``rnntrace page SPEC --figure out.svg`` (:func:`figure_svg`) and
the interactive page, which receives it as data (:func:`page_figures`) and only draws it
and fills in the numbers (docs/page.md).
"""
from __future__ import annotations

import heapq
import math
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .numbers import DEFAULT_PRECISION, show

#: The routing grid's cell, in px: node centres sit on cell centres.
CELL = 8
#: Vertical gap between rows and horizontal gap between boxes, in px.
ROW_GAP = 40
COL_GAP = 32
#: Room kept free around the figure for arrows that go round it (the memory loops).
MARGIN = 40
#: An arrow keeps this far from every box it does not connect.
CLEAR = 5
#: Rows of numbers shown in a box; more are summed up as "+n more".
MAX_ROWS = 4
LINE = 16          # px per row of numbers
HEAD = 20          # px for a box's label
PAD = 8
OP = 28            # diameter of an operator node
#: Average advance of a 13 px glyph: monospace digits 0.6 em, the labels' sans-serif ≈ 0.62 em.
CHAR = 8.0
SMALL_CHAR = 6.8   # 11 px unit names
LABEL_CHAR = 9.0   # 13 px bold labels

#: The kinds of quantity, as docs/layers.md names them, and their names in the legend.
KINDS = (("pre", "pre-activation"), ("gate", "gate"), ("state", "value"), ("output", "output"),
         ("memory", "memory"))


# --------------------------------------------------------------------------- the graph of a layer

def _text_w(text: str, char: float = CHAR) -> float:
    return len(text) * char


def _suffix(label: str) -> str:
    """z_i → "i": the block a weight belongs to, as the quantity it computes names it."""
    m = re.match(r"^(?:[→←] )?z_(\w+)$", label)
    return m.group(1) if m else ""


def _weight_text(weight: str, target_label: str, elementwise: bool) -> str:
    letter = weight.rsplit(".", 1)[-1]
    sub = _suffix(target_label)
    if weight.startswith("output.") and not sub:
        sub = "o"
    return f"{letter}_{sub}" if sub else letter


class _Graph:
    """Nodes and arrows of one layer (or one direction of a bidirectional layer)."""

    def __init__(self):
        self.nodes: Dict[str, Dict[str, Any]] = {}
        self.order: List[str] = []
        self.edges: List[Dict[str, Any]] = []
        self._ops = 0

    def node(self, nid: str, **attrs) -> str:
        if nid not in self.nodes:
            self.nodes[nid] = dict(id=nid, **attrs)
            self.order.append(nid)
        return nid

    def edge(self, source: str, target: str, kind: str = "flow", weight: Optional[str] = None,
             text: Optional[str] = None) -> None:
        self.edges.append({"from": source, "to": target, "kind": kind, "weight": weight, "text": text})

    def op(self, symbol: str, title: str, layer: str) -> str:
        self._ops += 1
        return self.node(f"{layer}:op{self._ops}", kind="op", role="op", label=symbol, title=title)


def _operand_label(op: Any, labels: Dict[str, str]) -> str:
    if isinstance(op, str):
        return labels.get(op, op)
    if "one_minus" in op:
        return f"(1 − {_operand_label(op['one_minus'], labels)})"
    if "product" in op:
        return "·".join(_operand_label(o, labels) for o in op["product"])
    if "apply" in op:
        return f"{op['apply']}({_operand_label(op['of'], labels)})"
    return "?"


def _short(label: str) -> str:
    """σ(z_i) → i, g(z) → g, tanh(z_n) → n: how the formulas name a gate's value."""
    m = re.match(r"^(?:[→←] )?(?:\w*σ|g|tanh|linear|\w+)\(z_?(\w*)\)$", label)
    if m:
        return m.group(1) or ("g" if label.startswith("g(") else "z")
    return label


def _build(g: _Graph, desc: Dict[str, Any], layer: str, prefix: str, arrow: str, x_id: str) -> None:
    """Add the quantities of ``desc`` (paths under ``prefix``) and the arithmetic of their
    formulas to the graph."""
    labels: Dict[str, str] = {"x": "x"}
    for q in desc["quantities"]:
        labels[q["path"]] = arrow + q["label"]

    def ref(path: str) -> str:
        if path == "x":
            return x_id
        return f"{layer}.{prefix}{path}"

    def operand(op: Any, target_label: str, formula: str) -> str:
        """The node whose value is this operand (an op node for 1 − v, v·w, f(v))."""
        if isinstance(op, str):
            return ref(op)
        if "one_minus" in op:
            src = operand(op["one_minus"], target_label, formula)
            inner = _short(labels.get(op["one_minus"], "u")) if isinstance(op["one_minus"], str) else "v"
            nid = g.op("1−", f"1 − {inner}", layer)
            g.nodes[nid]["label"] = f"1−{inner}"
            g.edge(src, nid)
            return nid
        if "product" in op:
            nid = g.op("×", "·".join(_short(_operand_label(o, labels)) for o in op["product"]), layer)
            for o in op["product"]:
                g.edge(operand(o, target_label, formula), nid)
            return nid
        if "apply" in op:
            src = operand(op["of"], target_label, formula)
            of_label = labels.get(op["of"], "v") if isinstance(op["of"], str) else "v"
            bare = of_label.lstrip("→← ")
            m = re.search(r"(\w+)\(" + re.escape(bare) + r"\)", formula)
            name = m.group(1) if m else _function_name(op["apply"])
            nid = g.node(f"{layer}.{prefix}{name}({bare})", kind="box", role="state",
                         label=f"{arrow}{name}({bare})", title=f"{name} = {_function_name(op['apply'])}",
                         apply=op["apply"], of=src)
            g.edge(src, nid)
            return nid
        if "clip" in op and "of" in op:
            # a layer's clip: the pre-activation cut to [−c, c] before its function
            src = operand(op["of"], target_label, formula)
            c = op["clip"]
            nid = g.op("clip", f"clip to [−{c:g}, {c:g}]" if isinstance(c, (int, float)) else "clip", layer)
            g.nodes[nid]["label"] = "±c"
            g.edge(src, nid)
            return nid
        # an operand this drawing does not know: one node fed by everything it reads
        nid = g.op("f", json_text(op), layer)
        for r in _refs(op):
            g.edge(ref(r), nid)
        return nid

    def terms(items: Sequence[Dict[str, Any]], target: str, target_label: str, formula: str) -> None:
        for term in items:
            if "bias" in term:
                continue
            if "gated" in term:
                # g∘(Σ inner terms): PyTorch's GRU candidate r∘(U·h_prev + b_h)
                inner = " + ".join(_weight_text(t["weight"], target_label, False) + "·" +
                                   _operand_label(t["of"], labels).lstrip("→← ")
                                   if "weight" in t else t["bias"].rsplit(".", 1)[-1] for t in term["terms"])
                gate = operand(term["gated"], target_label, formula)
                nid = g.op("×", f"{_short(labels.get(term['gated'], 'r'))}∘({inner})", layer)
                g.edge(gate, nid)
                terms(term["terms"], nid, target_label, formula)
                g.edge(nid, target)
                continue
            src = operand(term["of"], target_label, formula)
            text = _weight_text(term["weight"], target_label, bool(term.get("elementwise")))
            g.edge(src, target, weight=prefix + term["weight"], text=text + ("∘" if term.get("elementwise") else ""))

    for q in desc["quantities"]:
        nid = ref(q["path"])
        g.node(nid, kind="box", role=q["kind"], label=arrow + q["label"], title=q.get("formula") or "",
               path=f"{layer}.{prefix}{q['path']}")
    for q in desc["quantities"]:
        nid, c = ref(q["path"]), q.get("compute")
        if not c:
            continue
        label, formula = arrow + q["label"], q.get("formula") or ""
        op = c.get("op")
        if op == "affine":
            terms(c["terms"], nid, label, formula)
        elif op == "apply":
            g.edge(operand(c["of"], label, formula), nid)
        elif op == "sum":
            sources = [operand(t, label, formula) for t in c["terms"]]
            if len(sources) == 1:
                g.edge(sources[0], nid)
            else:
                plus = g.op("+", formula, layer)
                for s in sources:
                    g.edge(s, plus)
                g.edge(plus, nid)
        elif op == "merge":
            for o in c["of"]:
                g.edge(ref(o), nid, text=None)
        elif op == "lookup":
            # an embedding: the row of the table E that the word (or id) x picks
            g.edge(operand(c["of"], label, formula), nid, weight=prefix + c["table"], text=c["table"])
        else:       # a formula this drawing does not know: an arrow from everything it reads
            for r in _refs(c):
                g.edge(ref(r), nid)
    for m in desc.get("memory", ()):
        w, r = ref(m["written"]), ref(m["read"])
        if w in g.nodes and r in g.nodes:
            g.edge(w, r, kind="copy", text=None)


def _function_name(f: Any) -> str:
    """"tanh", or {"leaky_relu": {"alpha": 0.1}} (a function with parameters) → its name."""
    return next(iter(f)) if isinstance(f, dict) and f else str(f)


def json_text(value: Any) -> str:
    import json
    return json.dumps(value, ensure_ascii=False)


def _refs(c: Any, out: Optional[List[str]] = None) -> List[str]:
    out = [] if out is None else out
    if isinstance(c, str):
        out.append(c)
    elif isinstance(c, list):
        for v in c:
            _refs(v, out)
    elif isinstance(c, dict):
        for k, v in c.items():
            if k not in ("weight", "bias", "op", "function", "how", "apply", "elementwise", "table", "ids"):
                _refs(v, out)
    return out


def layer_graph(desc: Dict[str, Any], x_label: str = "x") -> _Graph:
    """The nodes and arrows of a layer: its input, its quantities (a bidirectional
    layer's directions as → and ← quantities) and the arithmetic of its formulas."""
    g = _Graph()
    layer = desc["name"]
    x_id = f"{layer}:x"
    g.node(x_id, kind="box", role="input", label=x_label, title="the layer's input", path="x")
    if "forward" in desc and "backward" in desc:
        _build(g, desc["forward"], layer, "forward.", "→ ", x_id)
        _build(g, desc["backward"], layer, "backward.", "← ", x_id)
    _build(g, desc, layer, "", "", x_id)
    return g


# --------------------------------------------------------------------------- sizes

def _rows(size: int) -> int:
    return min(size, MAX_ROWS) + (1 if size > MAX_ROWS else 0)


def _sizes(g: _Graph, sizes: Dict[str, int], widths: Dict[str, int], names: Dict[str, List[str]]) -> None:
    """Each node's width and height: its label and its widest number fit."""
    for n in g.nodes.values():
        if n["kind"] == "op":
            n["w"] = n["h"] = max(OP, _text_w(n["label"]) + 10 if len(n["label"]) > 1 else OP)
            n["w"] = n["h"] = CELL * math.ceil(n["w"] / CELL)
            continue
        key = n.get("path") or g.nodes.get(n.get("of", ""), {}).get("path") or n["id"]
        size = sizes.get(key, 1)
        digits = widths.get(key, 6)
        unit_names = names.get(key, [])
        name_w = max([_text_w(u, SMALL_CHAR) for u in unit_names[:MAX_ROWS]] + [0])
        w = max(_text_w(n["label"], LABEL_CHAR) + 2 * PAD, name_w + (6 if name_w else 0) + digits * CHAR + 2 * PAD, 56)
        n["w"] = CELL * math.ceil(w / CELL)
        n["h"] = CELL * math.ceil((HEAD + LINE * _rows(size) + 4) / CELL)
        n["size"] = size
        n["units"] = unit_names


# --------------------------------------------------------------------------- placement

def _ranks(g: _Graph) -> Dict[str, int]:
    flow = [e for e in g.edges if e["kind"] == "flow"]
    preds: Dict[str, List[str]] = {n: [] for n in g.nodes}
    for e in flow:
        preds[e["to"]].append(e["from"])
    free = {n for n in g.nodes if g.nodes[n]["role"] == "memory"}
    rank: Dict[str, int] = {}

    def r(n: str, seen=()) -> int:
        if n in rank:
            return rank[n]
        if n in seen:
            return 0
        ps = [p for p in preds[n] if p not in free]
        value = 0 if (not preds[n] and g.nodes[n]["role"] == "input") else \
            1 + max([r(p, seen + (n,)) for p in ps] + [0])
        rank[n] = value
        return value

    for n in g.order:
        if n not in free:
            r(n)
    for n in free:      # a memory read sits just below its first reader
        readers = [rank[e["to"]] for e in flow if e["from"] == n and e["to"] in rank]
        rank[n] = max(0, min(readers) - 1) if readers else 0
    return rank


def _pack(items: List[Tuple[float, float, str]], gap: float) -> Dict[str, float]:
    """Centres as close to the wished ones as the boxes' widths allow, in this order
    (wish, width, id): clusters of touching boxes sit where their mean wish is."""
    clusters: List[Dict[str, Any]] = []
    for wish, w, nid in items:
        c = {"ids": [(nid, w, wish)]}
        c["left"] = wish - w / 2
        clusters.append(c)
        while len(clusters) > 1:
            a, b = clusters[-2], clusters[-1]
            a_w = sum(x[1] for x in a["ids"]) + gap * (len(a["ids"]) - 1)
            if a["left"] + a_w + gap <= b["left"]:
                break
            ids = a["ids"] + b["ids"]
            offsets, off = [], 0.0
            for _, w2, _ in ids:
                offsets.append(off + w2 / 2)
                off += w2 + gap
            left = sum(x[2] - o for x, o in zip(ids, offsets)) / len(ids)
            clusters[-2:] = [{"ids": ids, "left": left}]
    out = {}
    for c in clusters:
        x = c["left"]
        for nid, w, _ in c["ids"]:
            out[nid] = x + w / 2
            x += w + gap
    return out


def _place(g: _Graph) -> Tuple[float, float]:
    rank = _ranks(g)
    flow = [e for e in g.edges if e["kind"] == "flow"]
    preds: Dict[str, List[str]] = {n: [] for n in g.nodes}
    succs: Dict[str, List[str]] = {n: [] for n in g.nodes}
    for e in flow:
        preds[e["to"]].append(e["from"])
        succs[e["from"]].append(e["to"])
    top = max(rank.values())
    cx: Dict[str, float] = {}
    index = {n: i for i, n in enumerate(g.order)}
    for r in range(top + 1):
        row = [n for n in g.order if rank[n] == r]
        wishes = {}
        later = []
        for n in row:
            placed = [cx[p] for p in preds[n] if p in cx]
            if placed:
                wishes[n] = sum(placed) / len(placed)
            else:
                later.append(n)
        for n in later:
            # beside what its readers also read (c_prev beside σ(z_f)); else after the row
            others = [cx.get(p, wishes.get(p)) for s in succs[n] for p in preds[s] if p != n and (p in cx or p in wishes)]
            if others:
                wishes[n] = sum(others) / len(others) + 1.0
            else:
                wishes[n] = (max(wishes.values()) + 1.0) if wishes else 0.0
        items = sorted(((wishes[n], g.nodes[n]["w"], n) for n in row), key=lambda t: (t[0], index[t[2]]))
        cx.update(_pack(items, COL_GAP))
    # rows from the bottom: row r's centre line
    heights = [max([g.nodes[n]["h"] for n in g.nodes if rank[n] == r] + [0]) for r in range(top + 1)]
    left = min(cx[n] - g.nodes[n]["w"] / 2 for n in g.nodes)
    right = max(cx[n] + g.nodes[n]["w"] / 2 for n in g.nodes)
    # the gap above row r grows with the arrows that pass through it, so that their
    # weights' names find room
    gaps = [ROW_GAP] * (top + 1)
    for r in range(top):
        crossing = sum(1 for e in flow if rank[e["from"]] <= r < rank[e["to"]])
        gaps[r] = CELL * math.ceil(min(120, max(ROW_GAP, 12 + 7 * crossing)) / CELL)
    total_h = sum(heights) + sum(gaps[:top])
    y_top = MARGIN
    centre_y = {}
    y = y_top + total_h
    for r in range(top + 1):
        centre_y[r] = y - heights[r] / 2
        y -= heights[r] + gaps[r]
    for n, node in g.nodes.items():
        x = cx[n] - left + MARGIN
        # centres on cell centres, so that an operator's four ports are on grid lines
        node["cx"] = (math.floor(x / CELL) + 0.5) * CELL
        node["cy"] = (math.floor(centre_y[rank[n]] / CELL) + 0.5) * CELL
        node["x"] = node["cx"] - node["w"] / 2
        node["y"] = node["cy"] - node["h"] / 2
        node["rank"] = rank[n]
    width = CELL * math.ceil((right - left + 2 * MARGIN + CELL) / CELL)
    height = CELL * math.ceil((total_h + 2 * MARGIN + CELL) / CELL)
    return width, height


# --------------------------------------------------------------------------- routing

_DIRS = ((0, -1), (1, 0), (0, 1), (-1, 0))       # up, right, down, left (grid rows grow downwards)
_SIDE_DIR = {"top": 0, "right": 1, "bottom": 2, "left": 3}


class _Router:
    """Orthogonal routing on a grid of CELL px: boxes (inflated by CLEAR) are walls."""

    def __init__(self, nodes: Sequence[Dict[str, Any]], width: float, height: float):
        self.nx, self.ny = int(width // CELL), int(height // CELL)
        self.nodes = nodes
        self.blocked = bytearray(self.nx * self.ny)
        for n in nodes:
            for i, j in self._cells_in(n, CLEAR):
                self.blocked[j * self.nx + i] = 1
        self.used_h = bytearray(self.nx * self.ny)
        self.used_v = bytearray(self.nx * self.ny)
        self.taken = set()          # port cells an arrow already ends or starts at

    def _cells_in(self, n, pad):
        i0 = max(0, int((n["x"] - pad) // CELL))
        i1 = min(self.nx - 1, int((n["x"] + n["w"] + pad) // CELL))
        j0 = max(0, int((n["y"] - pad) // CELL))
        j1 = min(self.ny - 1, int((n["y"] + n["h"] + pad) // CELL))
        for j in range(j0, j1 + 1):
            for i in range(i0, i1 + 1):
                cx, cy = (i + 0.5) * CELL, (j + 0.5) * CELL
                if n["x"] - pad <= cx <= n["x"] + n["w"] + pad and n["y"] - pad <= cy <= n["y"] + n["h"] + pad:
                    yield i, j

    def ports(self, n) -> List[Tuple[int, int, str]]:
        """Free cells just outside each side from which a straight stub meets the side."""
        out = []
        i_c, j_c = int(n["cx"] // CELL), int(n["cy"] // CELL)
        j_top = int((n["y"] - CLEAR) // CELL)
        while j_top >= 0 and (j_top + 0.5) * CELL > n["y"] - CLEAR:
            j_top -= 1
        j_bot = int((n["y"] + n["h"] + CLEAR) // CELL)
        while (j_bot + 0.5) * CELL < n["y"] + n["h"] + CLEAR:
            j_bot += 1
        i_left = int((n["x"] - CLEAR) // CELL)
        while (i_left + 0.5) * CELL > n["x"] - CLEAR:
            i_left -= 1
        i_right = int((n["x"] + n["w"] + CLEAR) // CELL)
        while (i_right + 0.5) * CELL < n["x"] + n["w"] + CLEAR:
            i_right += 1
        if n["kind"] == "op":
            cands = [(i_c, j_top, "top"), (i_c, j_bot, "bottom"), (i_left, j_c, "left"), (i_right, j_c, "right")]
        else:
            cands = []
            xs = [i for i in range(self.nx) if n["x"] + 6 <= (i + 0.5) * CELL <= n["x"] + n["w"] - 6]
            ys = [j for j in range(self.ny) if n["y"] + 6 <= (j + 0.5) * CELL <= n["y"] + n["h"] - 6]
            cands += [(i, j_top, "top") for i in xs] + [(i, j_bot, "bottom") for i in xs]
            cands += [(i_left, j, "left") for j in ys] + [(i_right, j, "right") for j in ys]
        return [(i, j, s) for i, j, s in cands
                if 0 <= i < self.nx and 0 <= j < self.ny and not self.blocked[j * self.nx + i]
                and (i, j) not in self.taken]

    def route(self, a, b, prefer_out: Dict[str, int], prefer_in: Dict[str, int]) -> Optional[List[List[float]]]:
        nx = self.nx
        starts = self.ports(a)
        ends = {(i, j): s for i, j, s in self.ports(b)}
        if not starts or not ends:
            return None
        tx0, tx1 = b["x"] / CELL, (b["x"] + b["w"]) / CELL
        ty0, ty1 = b["y"] / CELL, (b["y"] + b["h"]) / CELL

        def h(i, j):
            dx = 0 if tx0 <= i <= tx1 else min(abs(i - tx0), abs(i - tx1))
            dy = 0 if ty0 <= j <= ty1 else min(abs(j - ty0), abs(j - ty1))
            return dx + dy

        heap, best, parent = [], {}, {}
        for i, j, s in starts:
            d = _SIDE_DIR[s]
            # stay near the middle of a side: a small cost for each cell off the centre
            off = abs((i + 0.5) * CELL - a["cx"]) if s in ("top", "bottom") else abs((j + 0.5) * CELL - a["cy"])
            cost = prefer_out.get(s, 6) + off / CELL * 0.15
            key = (i, j, d)
            if cost < best.get(key, 1e18):
                best[key] = cost
                parent[key] = None
                heapq.heappush(heap, (cost + h(i, j), cost, i, j, d))
        goal = None
        while heap:
            f, cost, i, j, d = heapq.heappop(heap)
            if cost > best.get((i, j, d), 1e18):
                continue
            if d < 0:
                goal = (i, j, -1 - d)
                break
            if (i, j) in ends and (i, j, d, "end") not in best:
                s = ends[(i, j)]
                inward = (_SIDE_DIR[s] + 2) % 4
                off = abs((i + 0.5) * CELL - b["cx"]) if s in ("top", "bottom") else abs((j + 0.5) * CELL - b["cy"])
                total = cost + prefer_in.get(s, 6) + (0 if d == inward else 3) + off / CELL * 0.15
                best[(i, j, d, "end")] = total
                heapq.heappush(heap, (total, total, i, j, -1 - d))
                continue
            for nd, (di, dj) in enumerate(_DIRS):
                if nd == (d + 2) % 4:
                    continue
                ni, nj = i + di, j + dj
                if not (0 <= ni < nx and 0 <= nj < self.ny):
                    continue
                k = nj * nx + ni
                if self.blocked[k] or ((ni, nj) in self.taken and (ni, nj) not in ends):
                    continue
                step = 1.0
                if di:
                    step += 8 if self.used_h[k] else 0
                    step += 1 if self.used_v[k] else 0
                else:
                    step += 8 if self.used_v[k] else 0
                    step += 1 if self.used_h[k] else 0
                if nd != d:
                    step += 3
                nc = cost + step
                key = (ni, nj, nd)
                if nc < best.get(key, 1e18):
                    best[key] = nc
                    parent[key] = (i, j, d)
                    heapq.heappush(heap, (nc + h(ni, nj), nc, ni, nj, nd))
        if goal is None:
            return None
        cells = []
        key = goal
        while key is not None:
            cells.append(key)
            key = parent[key]
        cells.reverse()
        for (i, j, d), nxt in zip(cells, cells[1:] + [None]):
            k = j * nx + i
            if d in (1, 3):
                self.used_h[k] = 1
            else:
                self.used_v[k] = 1
            if nxt is not None and nxt[2] in (1, 3):
                self.used_h[k] = 1
            elif nxt is not None:
                self.used_v[k] = 1
        first, last = cells[0], cells[-1]
        self.taken.add((first[0], first[1]))
        self.taken.add((last[0], last[1]))
        start_side = next(s for i, j, s in starts if (i, j) == (first[0], first[1]))
        pts = [_on_side(a, start_side, first)] + [[(i + 0.5) * CELL, (j + 0.5) * CELL] for i, j, _ in cells]
        pts.append(_on_side(b, ends[(last[0], last[1])], last))
        return _simplify(pts)


def _on_side(n, side, cell) -> List[float]:
    x, y = (cell[0] + 0.5) * CELL, (cell[1] + 0.5) * CELL
    if side == "top":
        return [x, n["y"] if n["kind"] != "op" else n["cy"] - n["h"] / 2]
    if side == "bottom":
        return [x, n["y"] + n["h"]]
    if side == "left":
        return [n["x"], y]
    return [n["x"] + n["w"], y]


def _simplify(pts: List[List[float]]) -> List[List[float]]:
    out = [pts[0]]
    for p, q in zip(pts[1:], pts[2:] + [None]):
        if q is not None:
            a = out[-1]
            if (a[0] == p[0] == q[0]) or (a[1] == p[1] == q[1]):
                continue
        out.append(p)
    return out


def _route_all(nodes: Dict[str, Dict[str, Any]], edges: List[Dict[str, Any]], width: float, height: float,
               upward: bool = True) -> None:
    router = _Router(list(nodes.values()), width, height)
    order = sorted(range(len(edges)), key=lambda k: (edges[k]["kind"] != "flow",
                                                     abs(nodes[edges[k]["to"]]["cy"] - nodes[edges[k]["from"]]["cy"])
                                                     + abs(nodes[edges[k]["to"]]["cx"] - nodes[edges[k]["from"]]["cx"])))
    for k in order:
        e = edges[k]
        a, b = nodes[e["from"]], nodes[e["to"]]
        if e["kind"] == "copy" or not upward:
            out_pref = {"top": 2, "bottom": 2, "left": 1, "right": 0}
            in_pref = {"top": 1, "bottom": 1, "left": 1, "right": 0}
            if not upward and e["kind"] == "flow":
                out_pref, in_pref = {"top": 0, "left": 4, "right": 4, "bottom": 8}, {"bottom": 0, "left": 4, "right": 4, "top": 8}
        else:
            out_pref = {"top": 0, "left": 3, "right": 3, "bottom": 9}
            in_pref = {"bottom": 0, "left": 2, "right": 2, "top": 9}
        pts = router.route(a, b, out_pref, in_pref)
        if pts is None:
            raise RuntimeError(f"no route from {e['from']} to {e['to']}")
        e["points"] = pts


def _place_labels(nodes: Dict[str, Dict[str, Any]], edges: List[Dict[str, Any]]) -> None:
    """A weight's name beside the last long segment of its arrow where it covers no box
    and no other label; none if it fits nowhere (the arrow's tooltip still names it)."""
    rects = [(n["x"] - 2, n["y"] - 2, n["x"] + n["w"] + 2, n["y"] + n["h"] + 2) for n in nodes.values()]
    placed: List[Tuple[float, float, float, float]] = []

    def hits_arrow(r, own) -> bool:
        for other in edges:
            if other is own:
                continue
            for (x1, y1), (x2, y2) in zip(other["points"], other["points"][1:]):
                sx0, sx1, sy0, sy1 = min(x1, x2) - 1, max(x1, x2) + 1, min(y1, y2) - 1, max(y1, y2) + 1
                if not (r[2] <= sx0 or sx1 <= r[0] or r[3] <= sy0 or sy1 <= r[1]):
                    return True
        return False

    for e in edges:
        e["label_at"] = None
        if not e.get("text"):
            continue
        w, h = _text_w(e["text"], SMALL_CHAR) + 4, 13
        pts = e["points"]
        segs = list(zip(pts, pts[1:]))[::-1]
        done = False
        for (x1, y1), (x2, y2) in segs:
            if abs(x1 - x2) + abs(y1 - y2) < 16:
                continue
            for frac in (0.5, 0.3, 0.7):
                mx, my = x1 + (x2 - x1) * frac, y1 + (y2 - y1) * frac
                if x1 == x2:
                    cands = [(mx + 3, my - h / 2), (mx - 3 - w, my - h / 2)]
                else:
                    cands = [(mx - w / 2, my - h - 2), (mx - w / 2, my + 2)]
                for lx, ly in cands:
                    r = (lx, ly, lx + w, ly + h)
                    if any(not (r[2] <= o[0] or o[2] <= r[0] or r[3] <= o[1] or o[3] <= r[1]) for o in rects + placed) \
                            or hits_arrow(r, e):
                        continue
                    placed.append(r)
                    e["label_at"] = [round(lx, 1), round(ly, 1), round(w, 1), h]
                    done = True
                    break
                if done:
                    break
            if done:
                break


# --------------------------------------------------------------------------- the layout of a layer

def layer_layout(desc: Dict[str, Any], sizes: Dict[str, int], widths: Dict[str, int],
                 names: Dict[str, List[str]], x_label: str = "x") -> Dict[str, Any]:
    """The drawing of one layer as plain data: nodes with their rectangles, arrows with
    their routed points. ``sizes``/``widths``/``names``: per full path (``lstm.c``, and
    ``x``), how many units, how many characters its widest number takes, the unit names."""
    g = layer_graph(desc, x_label)
    _sizes(g, sizes, widths, names)
    width, height = _place(g)
    _route_all(g.nodes, g.edges, width, height)
    _place_labels(g.nodes, g.edges)
    nodes = []
    for nid in g.order:
        n = g.nodes[nid]
        out = {k: n[k] for k in ("id", "kind", "role", "label", "title", "x", "y", "w", "h") if k in n}
        for k in ("path", "size", "units", "apply", "of"):
            if k in n:
                out[k] = n[k]
        nodes.append(out)
    edges = [{"from": e["from"], "to": e["to"], "kind": e["kind"], "weight": e["weight"], "text": e["text"],
              "points": e["points"], "label_at": e["label_at"]} for e in g.edges]
    return {"layer": desc["name"], "width": width, "height": height, "nodes": nodes, "edges": edges}


# --------------------------------------------------------------------------- the unrolled view

def _output_paths(desc: Dict[str, Any]) -> List[Tuple[str, str, str]]:
    """(row id, full path, label) of the rows a layer has in the unrolled view: a
    bidirectional layer's two directions and its merge, else its output."""
    name = desc["name"]
    if "forward" in desc and "backward" in desc:
        return [(f"{name}.forward", f"{name}.forward.{desc['forward']['output']}", f"{name} →"),
                (f"{name}.backward", f"{name}.backward.{desc['backward']['output']}", f"{name} ←"),
                (name, f"{name}.{desc['output']}", name)]
    return [(name, f"{name}.{desc['output']}", name)]


def unrolled_layout(descriptions: Sequence[Dict[str, Any]], columns: int, sizes: Dict[str, int],
                    widths: Dict[str, int], x_width: int) -> Dict[str, Any]:
    """The lecture's slot-filling picture: ``columns`` steps side by side, the input at
    the bottom, each layer above it, the memory carried from step to step (to the left
    for a backward direction). Node ids are ``<row>@<column>``; which step a column shows
    is the drawer's choice (:func:`window`)."""
    rows: List[Tuple[str, str, str, Optional[str]]] = [("x", "x", "x", None)]
    row_layer: List[Optional[int]] = [None]
    for li, d in enumerate(descriptions):
        for rid, path, label in _output_paths(d):
            row_layer.append(li)
            direction = None
            sub = d.get(rid.rsplit(".", 1)[-1]) if rid != d["name"] else d
            if sub is not None and sub.get("memory"):
                # a backward direction, or a layer with direction: reverse, carries its
                # memory from step t+1 to step t: its arrows point left
                direction = ("backward" if rid.endswith(".backward") or sub.get("direction") == "reverse"
                             else "forward")
            rows.append((rid, path, label, direction))
    digits = max([widths.get(p, 6) for _, p, _, _ in rows[1:]] + [6])
    col_w = CELL * math.ceil(max(digits * CHAR + 2 * PAD, x_width * LABEL_CHAR + 2 * PAD, 64) / CELL)
    nodes: Dict[str, Dict[str, Any]] = {}
    order: List[str] = []
    edges: List[Dict[str, Any]] = []
    heights = [CELL * math.ceil((HEAD + LINE * (min(sizes.get(p, 1), 3) + (sizes.get(p, 1) > 3)) + 4) / CELL)
               for _, p, _, _ in rows]
    label_w = CELL * math.ceil(max(_text_w(l, LABEL_CHAR) for _, _, l, _ in rows) / CELL) + 16
    # rows from the bottom; a bidirectional layer's two directions side by side would need
    # the input's arrow to pass one of them, so each row is its own line
    y = MARGIN + sum(heights) + ROW_GAP * (len(rows) - 1)
    row_cy = []
    for h in heights:
        row_cy.append(y - h / 2)
        y -= h + ROW_GAP
    for c in range(columns):
        cx = MARGIN + label_w + c * (col_w + COL_GAP + 16) + col_w / 2
        cx = (math.floor(cx / CELL) + 0.5) * CELL
        for r, (rid, path, label, direction) in enumerate(rows):
            cy = (math.floor(row_cy[r] / CELL) + 0.5) * CELL
            nid = f"{rid}@{c}"
            size = min(sizes.get(path, 1), 3)
            nodes[nid] = {"id": nid, "kind": "box", "role": "input" if r == 0 else "state", "label": "",
                          "row": rid, "column": c, "path": path, "size": size, "layer": row_layer[r],
                          "w": col_w, "h": heights[r], "cx": cx, "cy": cy, "x": cx - col_w / 2, "y": cy - heights[r] / 2}
            order.append(nid)
    # the last row is the network's output y
    for c in range(columns):
        nodes[f"{rows[-1][0]}@{c}"]["role"] = "output"
    for c in range(columns):
        for r, (rid, path, label, direction) in enumerate(rows[1:], start=1):
            d_rid = rid
            if rid.endswith(".forward") or rid.endswith(".backward"):
                sources = [rows[r - 1][0] if not rows[r - 1][0].endswith(".forward") else _below_bi(rows, r)]
            elif r >= 3 and rows[r - 1][0].endswith(".backward"):
                sources = [rows[r - 2][0], rows[r - 1][0]]
            else:
                sources = [rows[r - 1][0]]
            for s in sources:
                edges.append({"from": f"{s}@{c}", "to": f"{d_rid}@{c}", "kind": "flow", "weight": None, "text": None})
    for r, (rid, path, label, direction) in enumerate(rows):
        if direction is None:
            continue
        for c in range(columns - 1):
            a, b = (c, c + 1) if direction == "forward" else (c + 1, c)
            edges.append({"from": f"{rid}@{a}", "to": f"{rid}@{b}", "kind": "copy", "weight": None, "text": None})
    width = CELL * math.ceil((MARGIN * 2 + label_w + columns * (col_w + COL_GAP + 16) + CELL) / CELL)
    height = CELL * math.ceil((MARGIN * 2 + sum(heights) + ROW_GAP * (len(rows) - 1) + CELL) / CELL)
    _route_all(nodes, edges, width, height)
    return {"columns": columns, "width": width, "height": height,
            "rows": [{"id": rid, "path": path, "label": label, "direction": direction,
                      "x": MARGIN, "y": (math.floor(row_cy[r] / CELL) + 0.5) * CELL}
                     for r, (rid, path, label, direction) in enumerate(rows)],
            "nodes": [{k: nodes[n][k] for k in ("id", "kind", "role", "label", "row", "column", "path", "size", "layer",
                                                "x", "y", "w", "h")} for n in order],
            "edges": [{"from": e["from"], "to": e["to"], "kind": e["kind"], "points": e["points"]} for e in edges]}


def _below_bi(rows, r) -> str:
    """What a bidirectional layer's direction reads: the row below the pair."""
    k = r - 1
    while k > 0 and (rows[k][0].endswith(".forward") or rows[k][0].endswith(".backward")):
        k -= 1
    return rows[k][0]


def window(t: int, T: int, columns: int) -> int:
    """The first step the unrolled view shows, so that step t is in it (near its middle)."""
    start = t - columns // 2
    return max(1, min(start, T - columns + 1))


# --------------------------------------------------------------------------- from a trace

def _values(step_dict: Dict[str, Any], path: str) -> Optional[List[Optional[float]]]:
    if path in ("x", "y"):
        return step_dict[path]
    layer, _, rest = path.partition(".")
    cur: Any = step_dict["layers"].get(layer)
    for part in rest.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _all_paths(desc: Dict[str, Any], prefix: str) -> List[str]:
    out = []
    for side in ("forward", "backward"):
        if side in desc:
            out += _all_paths(desc[side], f"{prefix}{side}.")
    return out + [prefix + q["path"] for q in desc["quantities"]]


def _measure(data: Dict[str, Any], precision: int) -> Tuple[Dict[str, int], Dict[str, int], Dict[str, List[str]]]:
    """Per full path: units, the widest number over the whole run (in characters), the
    unit names. Widths leave room for a what-if edit's larger numbers (at least 6)."""
    steps = data["trace"]["steps"]
    sizes: Dict[str, int] = {}
    widths: Dict[str, int] = {}
    names: Dict[str, List[str]] = {}
    lexicon = data.get("lexicon")
    paths = ["x"]
    for d in data["layers"]:
        for p in _all_paths(d, d["name"] + "."):
            paths.append(p)
            units = d.get("units") or []
            names[p] = [str(u) for u in units]
    for p in paths:
        w = 6
        for s in steps:
            v = _values(s, p)
            if v is None:
                continue
            sizes[p] = len(v)
            for value in v[:MAX_ROWS]:
                w = max(w, len("overflow" if value is None else show(value, precision)))
        widths[p] = w
    names["x"] = [str(w) for w in lexicon] if lexicon and len(lexicon) == sizes.get("x") else []
    for d in data["layers"]:
        for p in _all_paths(d, d["name"] + "."):
            if len(names.get(p, [])) != sizes.get(p) or d.get("units") == [str(i + 1) for i in range(len(d.get("units") or []))]:
                names[p] = [str(i + 1) for i in range(sizes.get(p, 1))] if sizes.get(p, 1) > 1 else []
        # a memory whose units the lecture names by a symbol (an Elman or Jordan layer's
        # a₁, a₂): the description's memory says which
        for side in [d] + [d[k] for k in ("forward", "backward") if k in d]:
            prefix = d["name"] + "." + ("" if side is d else ("forward." if side is d.get("forward") else "backward."))
            for m in side.get("memory", ()):
                if m.get("symbol") and sizes.get(prefix + m["read"], 1) > 1:
                    names[prefix + m["read"]] = [f"{m['symbol']}{_sub(i + 1)}" for i in range(sizes[prefix + m["read"]])]
    return sizes, widths, names


def trace_data(trace, source: Optional[str] = None) -> Dict[str, Any]:
    """What a figure is made from, as the page's data block has it (docs/page.md)."""
    from ..layers import describe
    spec = trace.spec
    return {"title": spec.title or source or spec.source or "rnntrace",
            "layers": [describe(layer) for layer in spec.layers], "trace": trace.to_dict(),
            "tokens": list(spec.tokens) if spec.tokens else None,
            "lexicon": (list(spec.lexicon.words) + (["other"] if spec.lexicon.other else []))
            if spec.lexicon is not None else None}


def page_figures(data: Dict[str, Any], precision: int = DEFAULT_PRECISION) -> Dict[str, Any]:
    """The layouts the page draws: one per layer and the unrolled view (window of at most
    ten steps), as plain data."""
    sizes, widths, names = _measure(data, precision)
    layers = []
    x_label = "x"
    for d in data["layers"]:
        layer_sizes = dict(sizes)
        layer_widths = dict(widths)
        layer_names = dict(names)
        if x_label != "x":     # a layer above the first reads the output of the one below
            layer_sizes["x"], layer_widths["x"] = sizes[x_label], widths[x_label]
            layer_names["x"] = names.get(x_label, [])
        layers.append(layer_layout(d, layer_sizes, layer_widths, layer_names,
                                   "x" if x_label == "x" else f"x = {x_label}"))
        x_label = f"{d['name']}.{d['output']}"
    T = len(data["trace"]["steps"])
    columns = min(T, 8)
    tokens = data.get("tokens") or []
    x_width = max([len(str(w)) for w in tokens] + [4])
    unrolled = unrolled_layout(data["layers"], columns, sizes, widths, min(x_width, 12))
    return {"layers": layers, "unrolled": unrolled, "kinds": [list(k) for k in KINDS]}


# --------------------------------------------------------------------------- standalone SVG

_STYLE = """
text { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 13px; fill: #1b1f24; }
.num, .unit { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.num { fill: #0b5cad; } .unit, .muted { fill: #5b6470; font-size: 11px; }
.label { font-weight: bold; }
.box { fill: #ffffff; stroke: #8c959f; stroke-width: 1.2; }
.role-pre { stroke: #7a4b00; } .role-gate { stroke: #1f7a3a; stroke-width: 2; }
.role-state { stroke: #0b5cad; } .role-output { stroke: #b3261e; stroke-width: 2; }
.role-memory { stroke: #6f42c1; stroke-dasharray: 4 3; } .role-input { stroke: #5b6470; }
.op { fill: #f6f8fa; stroke: #1b1f24; stroke-width: 1.4; }
.opl { font-size: 15px; font-weight: bold; }
.edge { fill: none; stroke: #5b6470; stroke-width: 1.3; }
.copy { stroke: #6f42c1; stroke-dasharray: 5 4; }
.wl { fill: #7a4b00; font-size: 11px; font-style: italic; }
.lit { fill: #fff4d6; } .title { font-size: 15px; font-weight: bold; }
.head { fill: #6f42c1; } .headf { fill: #5b6470; }
"""


def _esc(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _path_d(points) -> str:
    return "M " + " L ".join(f"{x:g} {y:g}" for x, y in points)


def _fn_values(node, record_of) -> Optional[List[Optional[float]]]:
    import numpy as np
    from ..layers.activations import activate
    src = record_of(node["of"])
    if src is None or any(v is None for v in src):
        return None
    try:
        return [float(v) for v in activate(node["apply"], np.array(src, dtype=float))]
    except (KeyError, TypeError, ValueError):     # a function this version cannot apply here
        return None


def _svg_layer(fig: Dict[str, Any], values, precision: int, dx: float, dy: float, uid: str) -> List[str]:
    out = [f'<g transform="translate({dx:g} {dy:g})">']
    byid = {n["id"]: n for n in fig["nodes"]}
    for e in fig["edges"]:
        cls = "edge copy" if e["kind"] == "copy" else "edge"
        head = "headc" if e["kind"] == "copy" else "headf"
        title = f"<title>{_esc(e['weight'])}</title>" if e.get("weight") else ""
        out.append(f'<path class="{cls}" d="{_path_d(e["points"])}" marker-end="url(#{head}{uid})">{title}</path>')
        if e.get("label_at"):
            lx, ly, w, h = e["label_at"]
            out.append(f'<text class="wl" x="{lx + 2:g}" y="{ly + h - 3:g}">{_esc(e["text"])}</text>')
    for n in fig["nodes"]:
        x, y, w, h = n["x"], n["y"], n["w"], n["h"]
        if n["kind"] == "op":
            r = w / 2
            out.append(f'<g><title>{_esc(n["title"])}</title><circle class="op" cx="{x + r:g}" cy="{y + r:g}" r="{r:g}"/>'
                       f'<text class="opl" x="{x + r:g}" y="{y + r + 5:g}" text-anchor="middle">{_esc(n["label"])}</text></g>')
            continue
        v = values(n)
        out.append(f'<g><title>{_esc(n.get("title") or "")}</title>'
                   f'<rect class="box role-{n["role"]}" x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="{12 if n["role"] == "gate" else 4}"/>')
        out.append(f'<text class="label" x="{x + PAD:g}" y="{y + 15:g}">{_esc(n["label"])}</text>')
        units = n.get("units") or []
        for u, value in enumerate((v or [])[:MAX_ROWS]):
            ty = y + HEAD + LINE * u + 12
            if len(v) > 1 and u < len(units):
                out.append(f'<text class="unit" x="{x + PAD:g}" y="{ty:g}">{_esc(units[u])}</text>')
            text = "overflow" if value is None else show(value, precision)
            out.append(f'<text class="num" x="{x + w - PAD:g}" y="{ty:g}" text-anchor="end">{_esc(text)}</text>')
        if v and len(v) > MAX_ROWS:
            out.append(f'<text class="unit" x="{x + PAD:g}" y="{y + HEAD + LINE * MAX_ROWS + 12:g}">+{len(v) - MAX_ROWS} more</text>')
        out.append("</g>")
    out.append("</g>")
    return out


def _markers(uid: str) -> str:
    return (f'<defs><marker id="headf{uid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="headf"/></marker>'
            f'<marker id="headc{uid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
            f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="head"/></marker></defs>')


def figure_svg(trace, step: int = 1, precision: int = DEFAULT_PRECISION, source: Optional[str] = None,
               unrolled: bool = True) -> str:
    """One step's drawing as a standalone SVG: every layer (the first at the bottom, as
    the flow goes up), then the unrolled view over time with that step lit. Generic font
    families only, so it shows the same in any viewer and slide deck."""
    data = trace_data(trace, source)
    figs = page_figures(data, precision)
    T = len(data["trace"]["steps"])
    if not 1 <= step <= T:
        raise ValueError(f"--step {step}: the run has steps 1 to {T}")
    sd = data["trace"]["steps"][step - 1]
    parts: List[str] = []
    y = 30
    width = max([f["width"] for f in figs["layers"]] + [figs["unrolled"]["width"], 680])
    title = f"{data['title']}: step {step} of {T}"
    parts.append(f'<text class="title" x="{MARGIN}" y="22">{_esc(title)}</text>')
    # the legend of colours
    lx = MARGIN
    y += 6
    for kind, name in KINDS:
        parts.append(f'<rect class="box role-{kind}" x="{lx}" y="{y}" width="22" height="14" rx="3"/>'
                     f'<text x="{lx + 28}" y="{y + 12}">{_esc(name)}</text>')
        lx += 46 + _text_w(name, 7.6)
    parts.append(f'<circle class="op" cx="{lx + 9}" cy="{y + 7}" r="9"/><text class="opl" x="{lx + 9}" y="{y + 12}" '
                 f'text-anchor="middle">×</text><text x="{lx + 24}" y="{y + 12}">operation</text>')
    y += 22
    x_path = "x"
    blocks = []
    for d, fig in zip(data["layers"], figs["layers"]):
        def values(n, x_path=x_path):
            if n.get("apply"):
                of = next(m for m in fig["nodes"] if m["id"] == n["of"])
                return _fn_values(n, lambda _id: _values(sd, of["path"] if of["path"] != "x" else x_path))
            p = n.get("path")
            if p is None:
                return None
            return _values(sd, x_path if p == "x" else p)
        blocks.append((d, fig, values))
        x_path = f"{d['name']}.{d['output']}"
    for i, (d, fig, values) in enumerate(reversed(blocks)):
        parts.append(f'<text class="label" x="{MARGIN}" y="{y + 16}">{_esc(d["heading"])}</text>')
        parts += _svg_layer(fig, values, precision, 0, y, "")
        y += fig["height"]
    if unrolled:
        un = figs["unrolled"]
        cols = un["columns"]
        t0 = window(step, T, cols)
        parts.append(f'<text class="label" x="{MARGIN}" y="{y + 16}">{_esc("Over time: the same weights at every step")}</text>')
        parts.append(f'<g transform="translate(0 {y})">')
        for n in un["nodes"]:
            t = t0 + n["column"]
            if n["row"] == un["rows"][0]["id"] and False:
                pass
            lit = t == step
            if lit and n["row"] == "x":
                top = min(m["y"] for m in un["nodes"] if m["column"] == n["column"]) - 14
                parts.append(f'<rect class="lit" x="{n["x"] - 8:g}" y="{top:g}" width="{n["w"] + 16:g}" '
                             f'height="{n["y"] + n["h"] + 8 - top:g}" rx="6"/>')
        for e in un["edges"]:
            cls = "edge copy" if e["kind"] == "copy" else "edge"
            head = "headc" if e["kind"] == "copy" else "headf"
            parts.append(f'<path class="{cls}" d="{_path_d(e["points"])}" marker-end="url(#{head})"/>')
        tokens = data.get("tokens")
        for row in un["rows"]:
            parts.append(f'<text class="label" x="{row["x"]:g}" y="{row["y"] + 5:g}">{_esc(row["label"])}</text>')
        for n in un["nodes"]:
            t = t0 + n["column"]
            # a box is named by what it holds at step t: x₂ (or its word), e₂, h₂, the output y₂
            head = (tokens[t - 1] if tokens else f"x{_sub(t)}") if n["row"] == "x" else \
                f"{'y' if n['role'] == 'output' else n['path'].rsplit('.', 1)[-1]}{_sub(t)}"
            parts.append(f'<rect class="box role-{n["role"]}" x="{n["x"]:g}" y="{n["y"]:g}" width="{n["w"]:g}" '
                         f'height="{n["h"]:g}" rx="4"/>'
                         f'<text class="label" x="{n["x"] + PAD:g}" y="{n["y"] + 15:g}">{_esc(head)}</text>')
            v = _values(data["trace"]["steps"][t - 1], n["path"]) or []
            for u, value in enumerate(v[:3]):
                text = "overflow" if value is None else show(value, precision)
                parts.append(f'<text class="num" x="{n["x"] + n["w"] - PAD:g}" y="{n["y"] + HEAD + LINE * u + 12:g}" '
                             f'text-anchor="end">{_esc(text)}</text>')
            if len(v) > 3:
                parts.append(f'<text class="unit" x="{n["x"] + PAD:g}" y="{n["y"] + HEAD + LINE * 3 + 12:g}">+{len(v) - 3} more</text>')
        parts.append("</g>")
        y += un["height"]
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}" height="{y:g}" viewBox="0 0 {width:g} {y:g}" '
            f'role="img" aria-label="{_esc(title)}"><title>{_esc(title)}</title><style>{_STYLE}</style>{_markers("")}'
            f'<rect width="100%" height="100%" fill="#ffffff"/>')
    return head + "\n".join(parts) + "</svg>\n"


def _sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
