"""The figures as Chromium draws them in the page: for every bundled example at 1280 and
390 px, every arrow's path and every box's rectangle are read from the screen and no
arrow may cross a box it does not connect to, nor end off its boxes' sides; no label
may stick out of its box; the drawing fits the width of the screen. Clicking a number
lights what it was computed from."""
import pytest

from conftest import EXAMPLES

from rnntrace.engine import run
from rnntrace.render.page import page_html
from rnntrace.spec import load_spec

from test_page import browser  # noqa: F401 (a fixture: Debian's Chromium, one per module)

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
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
        for t in (1, int(page.get_attribute("#slider", "max"))):
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


def open_page(browser, path, width=1280, hash_=""):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.resolve().as_uri() + hash_)
    page.wait_for_selector("body[data-ready=true]")
    return context, page, errors


def shown(page, path):
    return float(page.get_attribute(f'svg.fig text.num[data-path="{path}"]', "data-value"))


def test_the_link_remembers_the_step_and_the_edits(browser, pages):
    # z_i = 100·x2 + b_i; with b_i edited to 5, at step 3 (x = [2, 0, 0]) z_i = 5 and at
    # step 4 (x = [1, 0, 1]) still 5; "a" (practice answers) is kept as it came
    context, page, errors = open_page(browser, pages["lstm_example.yaml"],
                                      hash_="#t=3&w=lstm.input_gate.b%5B0%5D%3A5&a=kept")
    assert page.inner_text("#step-label") == "Step 3 of 5"
    assert page.is_visible("#edited")
    assert shown(page, "lstm.gates.input_gate.z") == 5.0
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#step-label") == "Step 4 of 5"
    assert page.evaluate("location.hash") == "#t=4&w=lstm.input_gate.b%5B0%5D%3A5&a=kept"
    page.click("#reset")
    assert page.evaluate("location.hash") == "#t=4&a=kept"
    assert shown(page, "lstm.gates.input_gate.z") == -10.0
    assert errors == []
    context.close()


def test_a_weight_is_edited_beside_the_drawing(browser, pages):
    context, page, errors = open_page(browser, pages["lstm_example.yaml"])
    page.click('svg.fig text.wlabel:text-is("W_i")')
    entry = page.locator('.weight-edit input[data-weight="lstm.input_gate.W[0][1]"]')
    assert entry.input_value() == "100"
    entry.fill("50")
    entry.press("Enter")
    # step 1, x = [3, 1, 0]: z_i = 50·1 − 10 = 40; the list of weights below says 50 too
    assert shown(page, "lstm.gates.input_gate.z") == 40.0
    assert page.input_value('input[data-param="lstm.input_gate.W[0][1]"]') == "50"
    assert page.evaluate("document.activeElement.dataset.weight") == "lstm.input_gate.W[0][1]"
    assert errors == []
    context.close()


def test_the_popup_follows_the_step(browser, pages):
    context, page, errors = open_page(browser, pages["lstm_example.yaml"])
    page.click('svg.fig text.num[data-path="lstm.c"]')
    assert page.inner_text("#popup-title") == "lstm.c at step 1"
    page.keyboard.press("ArrowRight")
    assert page.inner_text("#popup-title") == "lstm.c at step 2"
    assert "7" in page.inner_text("#popup-body")          # the lecture's cell at step 2
    assert errors == []
    context.close()


def test_charts_share_one_step_axis_and_show_values(browser, pages):
    context, page, errors = open_page(browser, pages["lstm_two_layer.yaml"])
    lefts = page.eval_on_selector_all("table.chart td.pic", "els => els.map(e => e.getBoundingClientRect().left)")
    assert len(set(round(x, 1) for x in lefts)) == 1
    assert page.locator("table.chart").first.locator("tr.axis-row .axis-labels span").all_inner_texts() == \
        ["1", "2", "3", "4"]
    # hovering over step 3 of lower's c shows both units' values, as the trace has them
    spark = page.locator("table.chart").first.locator("tr", has=page.locator('th:text-is("c")')).locator("svg.spark")
    spark.evaluate("e => e.scrollIntoView({block: 'center'})")
    box = spark.bounding_box()
    spark.hover(position={"x": box["width"] * (4 + 2 / 3 * 592) / 600, "y": box["height"] / 2})
    reading = page.locator("table.chart").first.locator("td.range.reading").inner_text()
    trace = run(load_spec(str(EXAMPLES / "lstm_two_layer.yaml")))
    from rnntrace.render.numbers import show
    c = trace[2].layers["lower"].c
    assert reading == f"step 3: 1 {show(c[0])}, 2 {show(c[1])}"
    assert "units:" in page.inner_text("table.chart caption")
    assert errors == []
    context.close()


def test_long_runs_get_round_ticks(browser, pages):
    context, page, errors = open_page(browser, pages["toy_w999.yaml"])
    ticks = page.evaluate("() => rnnCharts.ticks(1000)")
    assert ticks[0] == 1 and ticks[-1] == 1000 and len(ticks) <= 12
    assert all(t % 100 == 0 for t in ticks[1:-1])
    assert errors == []
    context.close()


def test_practice_gives_nothing_away(browser, tmp_path):
    """With c and y asked, neither h(c) (which is c for a linear h) nor the unrolled
    view's outputs show a number."""
    from rnntrace.render.page import page_html as html
    path = tmp_path / "practice.html"
    path.write_text(html(run(load_spec(str(EXAMPLES / "lstm_example.yaml"))), ask=["c", "y"]), encoding="utf-8")
    context, page, errors = open_page(browser, path)
    hc = page.locator('svg.fig [data-node="lstm.h(c)"] text:not(.label)').all_text_contents()
    assert hc == ["?"]
    outputs = page.locator("svg.unrolled .kind-output text:not(.label)").all_text_contents()
    assert outputs and set(outputs) == {"?"}
    assert errors == []
    context.close()


def test_practice_answers_travel_in_the_link(browser, tmp_path):
    from rnntrace.render.page import page_html as html
    path = tmp_path / "practice.html"
    path.write_text(html(run(load_spec(str(EXAMPLES / "lstm_example.yaml"))), ask=["c"]), encoding="utf-8")
    context, page, errors = open_page(browser, path)
    blank = page.locator('input.blank[data-path="lstm.c"]').first
    blank.fill("3")                 # the lecture's cell at step 1
    blank.press("Enter")
    link = page.evaluate("location.hash")
    assert link.startswith("#t=1&a=") or "&a=" in link
    context.close()
    context, page, errors = open_page(browser, path, hash_=link)    # a new browser context: nothing kept
    assert page.input_value('input.blank[data-path="lstm.c"]') == "3"
    assert page.inner_text("#score").startswith("Score: 1 of")
    assert errors == []
    context.close()


def test_the_page_says_how_to_read_a_unit_in_the_words_its_home_gives(browser, tmp_path):
    # the LSTM's home gives the words (its description's reading), the page tests no type
    from rnntrace.layers import describe
    from rnntrace.layers.lstm import READING
    from rnntrace.spec import spec_from_dict
    lstm = {"type": "lstm", "size": 1, "cell_input": {"W": 1}, "input_gate": {"W": 1}, "forget_gate": {"W": 1},
            "output_gate": {"W": 1}}
    elman = {"type": "elman", "size": 1, "W": 1, "U": 1}
    seen = {}
    for name, layers in {"lstm inside": [{"type": "bidirectional", "forward": lstm, "backward": lstm}],
                         "none": [elman]}.items():
        spec = spec_from_dict({"inputs": [1, 2], "layers": layers})
        path = tmp_path / f"{name}.html"
        path.write_text(page_html(run(spec)), encoding="utf-8")
        context = browser.new_context()
        page = context.new_page()
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("body[data-ready=true]")
        seen[name] = page.locator("section.intro p").all_text_contents()
        context.close()
    assert seen["lstm inside"].count(READING) == 1 and READING not in seen["none"]
    assert len(seen["lstm inside"]) == len(seen["none"]) + 1
    assert "reading" not in describe(spec_from_dict({"inputs": [1], "layers": [elman]}).layers[0])
