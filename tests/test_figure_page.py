"""The figures as Chromium draws them in the page: for every bundled example at 1280 and
390 px, every arrow's path and every box's rectangle are read from the screen and no
arrow may cross a box it does not connect to, nor end off its boxes' sides; no label
may stick out of its box; the drawing fits the width of the screen. Clicking a number
lights what it was computed from."""
import pytest

from conftest import EXAMPLES, require_program

from rnntrace.engine import run
from rnntrace.render.page import page_html
from rnntrace.spec import load_spec

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
ARGS = ["--no-sandbox", "--disable-gpu"]
TOL = 0.75     # px: rounding of the scaled drawing

#: In the page: per figure, its boxes (client rectangles) and its arrows (points of
#: their paths, mapped to the screen by the element's own transformation).
READ = """() => [...document.querySelectorAll('svg.fig, svg.unrolled')].map((svg) => {
  const m = svg.getScreenCTM();
  const pt = (x, y) => { const p = new DOMPoint(x, y).matrixTransform(m); return [p.x, p.y]; };
  const boxes = [...svg.querySelectorAll('[data-node], .step-node')].map((g) => {
    const shape = g.querySelector(':scope > rect, :scope > circle');
    const r = shape.getBoundingClientRect();
    const texts = [...g.querySelectorAll('text')].map((t) => { const b = t.getBoundingClientRect();
      return [t.textContent, b.left, b.top, b.right, b.bottom]; });
    return {id: g.dataset.node || g.getAttribute('transform'), x: r.left, y: r.top, w: r.width, h: r.height,
            circle: shape.tagName === 'circle', texts};
  });
  const edges = [...svg.querySelectorAll('.edge')].map((e) => {
    const d = e.querySelector('.line').getAttribute('d');
    const nums = d.replace(/[ML]/g, ' ').trim().split(/\\s+/).map(Number);
    const pts = [];
    for (let k = 0; k < nums.length; k += 2) pts.push(pt(nums[k], nums[k + 1]));
    return {from: e.dataset.from, to: e.dataset.to, pts};
  });
  const r = svg.getBoundingClientRect();
  return {label: svg.getAttribute('aria-label'), boxes, edges, right: r.right, left: r.left};
})"""


@pytest.fixture(scope="module")
def browser():
    chromium = require_program("chromium", "apt-get install chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    out = {}
    folder = tmp_path_factory.mktemp("pages")
    for name in EXAMPLE_FILES:
        path = folder / (name[:-5] + ".html")
        path.write_text(page_html(run(load_spec(str(EXAMPLES / name)))), encoding="utf-8")
        out[name] = path
    return out


def inside(box, x, y):
    return box["x"] + TOL < x < box["x"] + box["w"] - TOL and box["y"] + TOL < y < box["y"] + box["h"] - TOL


def segment_enters(p, q, box):
    """Whether the segment p–q (axis-parallel) passes through the open inside of box."""
    (x1, y1), (x2, y2) = p, q
    if abs(y1 - y2) <= TOL:
        return box["y"] + TOL < y1 < box["y"] + box["h"] - TOL and \
            min(x1, x2) < box["x"] + box["w"] - TOL and box["x"] + TOL < max(x1, x2)
    if abs(x1 - x2) <= TOL:
        return box["x"] + TOL < x1 < box["x"] + box["w"] - TOL and \
            min(y1, y2) < box["y"] + box["h"] - TOL and box["y"] + TOL < max(y1, y2)
    return True      # a slanted segment: the layout draws none


def on_edge(point, box):
    x, y = point
    near_x = box["x"] - TOL <= x <= box["x"] + box["w"] + TOL
    near_y = box["y"] - TOL <= y <= box["y"] + box["h"] + TOL
    return (near_x and (abs(y - box["y"]) <= TOL or abs(y - box["y"] - box["h"]) <= TOL)) or \
        (near_y and (abs(x - box["x"]) <= TOL or abs(x - box["x"] - box["w"]) <= TOL))


def problems_in(figure, width):
    out = []
    boxes = {b["id"]: b for b in figure["boxes"]}
    if figure["right"] > width + TOL or figure["left"] < -TOL:
        out.append(f"{figure['label']}: the drawing does not fit {width} px ({figure['left']:.0f}–{figure['right']:.0f})")
    for e in figure["edges"]:
        pts = e["pts"]
        for p, q in zip(pts, pts[1:]):
            for b in figure["boxes"]:
                if segment_enters(p, q, b):
                    out.append(f"{figure['label']}: arrow {e['from']} → {e['to']} crosses {b['id']}")
        if e["from"] in boxes and not on_edge(pts[0], boxes[e["from"]]):
            out.append(f"{figure['label']}: arrow {e['from']} → {e['to']} does not leave a side of its box")
        if e["to"] in boxes and not on_edge(pts[-1], boxes[e["to"]]):
            out.append(f"{figure['label']}: arrow {e['from']} → {e['to']} does not end on a side of its box")
    for b in figure["boxes"]:
        for text, left, top, right, bottom in b["texts"]:
            if left < b["x"] - TOL or right > b["x"] + b["w"] + TOL or top < b["y"] - TOL or bottom > b["y"] + b["h"] + TOL:
                out.append(f"{figure['label']}: '{text}' sticks out of {b['id']}")
    return out


@pytest.mark.parametrize("width", [1280, 390])
def test_no_arrow_crosses_a_box_in_chromium(browser, pages, width):
    problems = []
    for name, path in pages.items():
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=20000)
        figures = page.evaluate(READ)
        assert figures, f"{name}: no figure drawn"
        # step 1 and the last step: the numbers change, the boxes must still hold them
        for t in (1, len(page.evaluate("() => window.rnntrace.data.trace.steps"))):
            page.evaluate(f"() => window.rnntrace.go({t})")
            for figure in page.evaluate(READ):
                problems += [f"{name} at {width} px, step {t}: {p}" for p in problems_in(figure, width)]
        context.close()
    assert problems == []


def test_a_click_lights_what_a_number_was_computed_from(browser, pages):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(pages["lstm_example.yaml"].resolve().as_uri())
    page.wait_for_selector("body[data-ready=true]")
    page.click('svg.fig text.num[data-path="lstm.c"]')
    lit = page.eval_on_selector_all("svg.fig .node.lit", "els => els.map(e => e.dataset.node)")
    # c = g·i + c_prev·f: c, the + node, both × nodes and g(z), σ(z_i), c_prev, σ(z_f)
    labels = page.eval_on_selector_all("svg.fig .node.lit text.label, svg.fig .node.lit text.oplabel",
                                       "els => els.map(e => e.textContent).sort()")
    assert labels == sorted(["c", "+", "×", "×", "g(z)", "σ(z_i)", "c_prev", "σ(z_f)"]), (lit, labels)
    # + → c, × → + twice, and the four arrows into the two × nodes
    assert page.eval_on_selector_all("svg.fig .edge.lit", "els => els.length") == 7
    context.close()
