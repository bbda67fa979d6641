"""The figures' layout (rnntrace/render/figure.py), checked on its geometry alone: for
every bundled example, no arrow crosses or runs under a box it does not connect to, every
arrow meets its boxes at their sides, boxes do not overlap, weights' names sit on no box;
the LSTM is drawn as the lecture draws it (× nodes for g·i, c_prev·f and h(c)·o, a +
into the cell); and `page --figure` writes the step's numbers as the trace has them."""
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import EXAMPLES

from rnntrace.engine import run
from rnntrace.render.figure import page_figures, trace_data
from rnntrace.render.numbers import show
from rnntrace.spec import load_spec

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
EPS = 0.01


def figures(name):
    trace = run(load_spec(str(EXAMPLES / name)))
    data = trace_data(trace)
    return trace, data, page_figures(data)


def crosses(p, q, box):
    """Whether the axis-parallel segment p–q enters the open inside of box."""
    x0, y0, x1, y1 = box["x"] + EPS, box["y"] + EPS, box["x"] + box["w"] - EPS, box["y"] + box["h"] - EPS
    sx0, sx1 = sorted((p[0], q[0]))
    sy0, sy1 = sorted((p[1], q[1]))
    return sx0 < x1 and x0 < sx1 if sy0 == sy1 and y0 < sy0 < y1 else \
        (sy0 < y1 and y0 < sy1 if sx0 == sx1 and x0 < sx0 < x1 else False)


def on_side(point, box):
    """The side of box that point lies on (None: not on its edge)."""
    x, y = point
    inside_x = box["x"] - EPS <= x <= box["x"] + box["w"] + EPS
    inside_y = box["y"] - EPS <= y <= box["y"] + box["h"] + EPS
    if inside_x and abs(y - box["y"]) < EPS:
        return "top"
    if inside_x and abs(y - box["y"] - box["h"]) < EPS:
        return "bottom"
    if inside_y and abs(x - box["x"]) < EPS:
        return "left"
    if inside_y and abs(x - box["x"] - box["w"]) < EPS:
        return "right"
    return None


def check_layout(fig, what):
    nodes = {n["id"]: n for n in fig["nodes"]}
    problems = []
    for a in fig["nodes"]:
        assert a["x"] >= 0 and a["y"] >= 0 and a["x"] + a["w"] <= fig["width"] and a["y"] + a["h"] <= fig["height"], \
            (what, a["id"], "outside the drawing")
        for b in fig["nodes"]:
            if a["id"] < b["id"] and not (a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
                                          or a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]):
                problems.append(f"{what}: boxes {a['id']} and {b['id']} overlap")
    for e in fig["edges"]:
        pts = e["points"]
        name = f"{what}: arrow {e['from']} → {e['to']}"
        assert len(pts) >= 2, name
        for p, q in zip(pts, pts[1:]):
            assert p[0] == q[0] or p[1] == q[1], f"{name}: a slanted segment {p}–{q}"
            for n in fig["nodes"]:
                if crosses(p, q, n):
                    problems.append(f"{name} crosses {n['id']}")
        # it meets its boxes at their sides, and its first and last segments are perpendicular to them
        for point, nxt, box in ((pts[0], pts[1], nodes[e["from"]]), (pts[-1], pts[-2], nodes[e["to"]])):
            side = on_side(point, box)
            if side is None:
                problems.append(f"{name} does not end on a side of {box['id']} ({point})")
                continue
            vertical = point[0] == nxt[0]
            if vertical != (side in ("top", "bottom")):
                problems.append(f"{name} meets {box['id']}'s {side} side at a slant")
            if box["kind"] == "op":     # a circle: met at the middle of a side, on the circle
                cx, cy = box["x"] + box["w"] / 2, box["y"] + box["h"] / 2
                if abs(point[0] - cx) > EPS and abs(point[1] - cy) > EPS:
                    problems.append(f"{name} meets the circle {box['id']} off its middle")
        if e.get("label_at"):
            lx, ly, w, h = e["label_at"]
            for n in fig["nodes"]:
                if not (lx + w <= n["x"] or n["x"] + n["w"] <= lx or ly + h <= n["y"] or n["y"] + n["h"] <= ly):
                    problems.append(f"{name}: its weight's name covers {n['id']}")
    return problems


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_no_arrow_crosses_a_box(name):
    _, _, figs = figures(name)
    problems = []
    for fig in figs["layers"]:
        problems += check_layout(fig, f"{name} {fig['layer']}")
    problems += check_layout(figs["unrolled"], f"{name} unrolled")
    assert problems == []


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_labels_fit_their_boxes(name):
    """Each box is wide enough for its label and for the widest number of the run (at
    the figure's 8 px per character, the advance of 13 px DejaVu Sans Mono is 7.8 px)."""
    trace, data, figs = figures(name)
    steps = data["trace"]["steps"]
    for fig in figs["layers"]:
        for n in fig["nodes"]:
            if n["kind"] == "op":
                continue
            assert n["w"] >= len(n["label"]) * 8.5 + 8, (name, n["id"], n["label"], n["w"])
            path = n.get("path")
            if path and path != "x":
                layer, _, rest = path.partition(".")
                for s in steps:
                    v = s["layers"][layer]
                    for part in rest.split("."):
                        v = v[part]
                    widest = max(len(show(a)) for a in v[:4] if a is not None) if any(a is not None for a in v[:4]) else 0
                    assert n["w"] >= widest * 7.8 + 16, (name, n["id"], widest, n["w"])


def test_the_lstm_is_drawn_as_the_lecture_draws_it():
    """× nodes multiply g(z) by σ(z_i), c_prev by σ(z_f) and h(c) by σ(z_o); a + node
    adds the two products into the cell; the cell is copied into c_prev (dashed)."""
    _, _, figs = figures("lstm_example.yaml")
    fig = figs["layers"][0]
    nodes = {n["id"]: n for n in fig["nodes"]}
    label = lambda nid: nodes[nid]["label"]
    into = {}
    for e in fig["edges"]:
        if e["kind"] == "flow":
            into.setdefault(e["to"], set()).add(e["from"])
    products = {frozenset(label(s) for s in into[n]) for n in into if nodes[n]["label"] == "×"}
    assert products == {frozenset({"g(z)", "σ(z_i)"}), frozenset({"c_prev", "σ(z_f)"}),
                        frozenset({"h(c)", "σ(z_o)"})}
    plus = [n for n in into if nodes[n]["label"] == "+"]
    assert len(plus) == 1 and {label(s) for s in into[plus[0]]} == {"×"}
    assert {label(s) for s in into["lstm.c"]} == {"+"}
    assert {label(s) for s in into["lstm.h"]} == {"×"}
    copies = [(label(e["from"]), label(e["to"])) for e in fig["edges"] if e["kind"] == "copy"]
    assert copies == [("c", "c_prev")]
    # the four inputs of the unit come from below: z, z_i, z_f, z_o on one row under the gates
    rows = {label(n): nodes[n]["y"] for n in nodes if label(n) in ("z", "z_i", "z_f", "z_o")}
    assert len(set(rows.values())) == 1
    gates = [nodes[n]["y"] for n in nodes if label(n).startswith("σ(")]
    assert max(gates) < min(rows.values()) and nodes["lstm.c"]["y"] < min(gates)
    assert nodes["lstm.h"]["y"] < nodes["lstm.c"]["y"]


def test_gru_variants_show_where_the_reset_gate_acts():
    """reset_after (PyTorch's default) multiplies r into U·h_prev + b_h: the weight U_n is
    on the arrow into the × node; reset before U multiplies h_prev first: U_n leaves it."""
    for name, weight_into_product in (("gru.yaml", True), ("gru_reset_before.yaml", False)):
        _, _, figs = figures(name)
        fig = figs["layers"][0]
        nodes = {n["id"]: n for n in fig["nodes"]}
        u_n = [e for e in fig["edges"] if e.get("text") == "U_n"]
        assert len(u_n) == 1, name
        assert (nodes[u_n[0]["to"]]["label"] == "×") == weight_into_product, name
        assert any(n["label"] == "1−u" for n in fig["nodes"]), name


def cli(*args):
    return subprocess.run([sys.executable, "-m", "rnntrace", *args], capture_output=True, text=True, cwd=EXAMPLES)


def test_page_figure_writes_the_steps_numbers(tmp_path):
    out = tmp_path / "lstm.svg"
    done = cli("page", "lstm_example.yaml", "--figure", str(out), "--step", "4")
    assert done.returncode == 0, done.stderr
    root = ET.fromstring(out.read_text("utf-8"))
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    trace = run(load_spec(str(EXAMPLES / "lstm_example.yaml")))
    c4 = float(trace[3].layers["lstm"].c[0])
    assert round(c4, 4) == 6.9995            # the lecture's example 7 at step 4, exactly
    assert show(c4) in texts
    assert "step 4 of 5" in " ".join(t for t in texts if t)
    for family in ("font-family",):
        assert "sans-serif" in out.read_text("utf-8") and "monospace" in out.read_text("utf-8")


def test_page_figure_step_out_of_range(tmp_path):
    done = cli("page", "lstm_example.yaml", "--figure", str(tmp_path / "x.svg"), "--step", "9")
    assert done.returncode == 2
    assert "--step" in done.stderr and "1 to 5" in done.stderr
    assert not (tmp_path / "x.svg").exists()


def test_a_clipped_pre_activation_and_an_unknown_operand_are_drawn():
    """A layer's clip ({"clip": c, "of": z}) is a node between z and its function; an
    operand this drawing does not know still gets a node fed by what it reads."""
    from rnntrace.render.figure import layer_layout
    desc = {"name": "l", "type": "elman", "memory": [{"read": "h_prev", "written": "h", "initial": [0.0]}],
            "quantities": [
                {"path": "h_prev", "label": "h_prev", "kind": "memory"},
                {"path": "z", "label": "z", "kind": "pre", "formula": "W·x + U·h_prev",
                 "compute": {"op": "affine", "terms": [{"weight": "W", "of": "x"}, {"weight": "U", "of": "h_prev"}]}},
                {"path": "h", "label": "h", "kind": "output", "formula": "tanh(clip(z))",
                 "compute": {"op": "apply", "function": "tanh", "of": {"clip": 3.0, "of": "z"}}},
                {"path": "q", "label": "q", "kind": "state", "compute": {"op": "sum", "terms": [{"novel": "h"}]}}]}
    fig = layer_layout(desc, {"x": 2, "l.z": 1, "l.h": 1}, {}, {})
    nodes = {n["id"]: n for n in fig["nodes"]}
    clip = [n for n in fig["nodes"] if n["label"] == "±c"]
    assert len(clip) == 1 and clip[0]["title"] == "clip to [−3, 3]"
    flows = {(e["from"], e["to"]) for e in fig["edges"] if e["kind"] == "flow"}
    assert ("l.z", clip[0]["id"]) in flows and (clip[0]["id"], "l.h") in flows
    unknown = [n for n in fig["nodes"] if n["label"] == "f"]
    assert len(unknown) == 1 and ("l.h", unknown[0]["id"]) in flows and (unknown[0]["id"], "l.q") in flows
    assert check_layout(fig, "clip") == []
    assert nodes["l.h"]["y"] < clip[0]["y"] < nodes["l.z"]["y"]


def test_page_step_needs_figure():
    done = cli("page", "lstm_example.yaml", "--step", "2")
    assert done.returncode == 2 and "--step" in done.stderr and "--figure" in done.stderr
    assert done.stdout == ""


def test_the_unrolled_view_names_each_box_by_what_it_holds(tmp_path):
    # not "t = 3": the lower layer's box of step 3 holds its h₃, the network's output y₃
    out = tmp_path / "two.svg"
    done = cli("page", "lstm_two_layer.yaml", "--figure", str(out), "--step", "3")
    assert done.returncode == 0, done.stderr
    texts = [t.text for t in ET.fromstring(out.read_text("utf-8")).iter("{http://www.w3.org/2000/svg}text")]
    T = len(run(load_spec(str(EXAMPLES / "lstm_two_layer.yaml"))))
    assert not [t for t in texts if t and t.startswith("t = ")]
    for t in range(1, T + 1):
        sub = str(t).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
        assert texts.count(f"h{sub}") == 1 and texts.count(f"y{sub}") == 1, (t, texts)


def test_memory_units_are_named_by_the_symbol_the_description_gives():
    # the lecture's a₁, a₂ for an Elman layer's memory: its home says so in its description,
    # the figure tests no type name; an IndRNN's memory has no such symbol
    from rnntrace.render.figure import _measure
    from rnntrace.spec import spec_from_dict
    data = trace_data(run(load_spec(str(EXAMPLES / "elman.yaml"))))
    (memory,) = data["layers"][0]["memory"]
    assert memory["symbol"] == "a"
    name = data["layers"][0]["name"]
    size = len(memory["initial"])
    assert _measure(data, 4)[2][f"{name}.h_prev"] == ["a₁", "a₂", "a₃"][:size] and size > 1
    indrnn = spec_from_dict({"inputs": [[1.0]], "layers": [{"type": "indrnn", "size": 2, "W": [[1], [2]],
                                                            "u": [0.5, 0.5]}]})
    data = trace_data(run(indrnn))
    assert "symbol" not in data["layers"][0]["memory"][0]
    assert _measure(data, 4)[2]["indrnn.h_prev"] == ["1", "2"]
