"""The interactive page in a real browser (Debian's chromium, driven by Playwright).

What the page shows is checked against what is computed elsewhere: every shown
number's data-value against the ``--format json`` trace, every popup's arithmetic
against ``run --format markdown --explain``, the page's own engine against the
Python engine (on every bundled example, on random networks of every layer type and
on specs edited the way the page edits them), and the blanks of practice mode with
check's rule worked out here. Nothing may leave the file: every request but the page's
own is blocked and recorded, and must not happen.

One browser serves the whole module.
"""
import dataclasses
import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import EXAMPLES, require_program

import rnntrace
from rnntrace.render.numbers import result
from rnntrace.render.page import page_html
from rnntrace.trace import flatten

EXAMPLE_FILES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]
SIZE_LIMIT = 300_000
#: Steps stepped through one by one with the keys (a longer run: its first and last steps)
STEP_ALL = 60


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "rnntrace", *args], capture_output=True, text=True, input=stdin,
                          cwd=EXAMPLES)


@pytest.fixture(scope="module")
def browser():
    chromium = require_program("chromium", "apt-get install chromium")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=ARGS)
        yield b
        b.close()


class Page:
    """One page in its own context, with every request but the file's own blocked and
    every console message and page error recorded."""

    def __init__(self, browser, path: Path, width=1100, scheme="light"):
        self.context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        self.page = self.context.new_page()
        self.url = path.resolve().as_uri()
        self.blocked, self.console, self.errors = [], [], []

        def route(r):
            if r.request.url == self.url:
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort()
        self.context.route("**/*", route)
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(self.url)
        self.page.wait_for_selector("body[data-ready=true]", timeout=15000)

    def numbers(self):
        """(path, t, unit, exact value) of every shown number."""
        return self.page.eval_on_selector_all(
            "[data-value]", "els => els.map(e => [e.dataset.path, +e.dataset.t, e.dataset.unit ? +e.dataset.unit : null,"
            " e.dataset.value])")

    def step_label(self):
        return self.page.inner_text("#step-label")

    def clean(self):
        assert self.blocked == [], f"requests left the file: {self.blocked}"
        assert self.errors == [], self.errors
        assert [m for m in self.console if m.startswith(("error", "warning"))] == []

    def close(self):
        self.clean()
        self.context.close()


def write_page(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def trace_value(step, path, unit):
    """The value a page number names, from a rnntrace.trace/1 step."""
    if path in ("x", "y"):
        vector = step[path]
    else:
        layer, _, rest = path.partition(".")
        vector = step["layers"][layer]
        for part in rest.split("."):
            vector = vector[part]
    if unit is None:
        assert len(vector) == 1, (path, vector)
        return vector[0]
    return vector[unit - 1]


def assert_shown_match(numbers, steps, t):
    assert numbers, "no numbers shown"
    for path, step_t, unit, value in numbers:
        assert step_t == t, (path, step_t, t)
        want = trace_value(steps[t - 1], path, unit)
        assert float(value) == want, (path, t, unit, value, want)


# --------------------------------------------------------------------------- every bundled example

@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_every_example_page_shows_the_json_trace_at_every_step(browser, tmp_path, name):
    done = cli("page", name, "-o", str(tmp_path / "page.html"))
    assert done.returncode == 0, done.stderr
    path = tmp_path / "page.html"
    assert path.stat().st_size < SIZE_LIMIT
    steps = json.loads(cli("run", name, "--format", "json").stdout)["steps"]
    T = len(steps)
    p = Page(browser, path)
    assert p.step_label() == f"Step 1 of {T}"
    assert_shown_match(p.numbers(), steps, 1)
    if T <= STEP_ALL:
        for t in range(2, T + 1):
            p.page.keyboard.press("ArrowRight")
            assert p.step_label() == f"Step {t} of {T}"
            assert_shown_match(p.numbers(), steps, t)
        p.page.keyboard.press("ArrowRight")           # past the end: stays
        assert p.step_label() == f"Step {T} of {T}"
    p.page.keyboard.press("Home")
    assert p.step_label() == f"Step 1 of {T}"
    p.page.keyboard.press("End")
    assert p.step_label() == f"Step {T} of {T}"
    assert_shown_match(p.numbers(), steps, T)
    p.page.keyboard.press("ArrowLeft")
    assert_shown_match(p.numbers(), steps, T - 1 if T > 1 else 1)
    # the page's own engine, on the unedited spec, agrees with Python's everywhere
    assert_engine_agrees(p.page, steps)
    p.close()


def assert_engine_agrees(page, steps, rel=1e-12):
    """window.rnntrace.run() (the descriptions' formulas evaluated in JavaScript) against
    a rnntrace.trace/1 document's steps: every quantity of every layer at every step."""
    js = page.evaluate("() => { const d = window.rnntrace.data; return window.rnntrace.run().map(s => "
                       "({y: s.y, layers: d.layers.map((l, i) => [l.name, s.layers[i]])})) }")
    js = [{"y": s["y"], "layers": dict(s["layers"])} for s in js]     # pairs: "__proto__" survives
    assert len(js) == len(steps)
    compared = 0
    for mine, theirs in zip(js, steps):
        flat = {}
        for layer, record in theirs["layers"].items():
            for key, vector in flatten({"layers": {layer: record}}).items():
                if isinstance(vector, list):
                    flat[key] = vector
        flat["y"] = theirs["y"]
        for key, vector in flat.items():
            if key == "y":
                got = mine["y"]
            else:
                layer, _, inner = key.partition(".")
                got = mine["layers"][layer][inner]
            assert len(got) == len(vector), key
            for a, b in zip(got, vector):
                if b is None:      # beyond float64 in Python: JS is not finite either
                    assert a is None or not math.isfinite(a)
                    continue
                assert abs(a - b) <= rel * max(1.0, abs(b)), (key, a, b)
                compared += 1
    assert compared > 0


# --------------------------------------------------------------------------- the walk-through

def test_lstm_page_walk_through(browser, tmp_path):
    done = cli("page", "lstm_example.yaml", "-o", str(tmp_path / "lstm.html"))
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    p = Page(browser, tmp_path / "lstm.html")
    assert p.step_label() == "Step 1 of 5"
    for _ in range(3):
        p.page.keyboard.press("ArrowRight")
    assert p.step_label() == "Step 4 of 5"
    c = p.page.locator('svg [data-path="lstm.c"]')
    y = p.page.locator('[data-path="y"]')
    assert c.text_content() == "6.9995" and y.inner_text() == "6.9995"
    assert c.get_attribute("data-value") == "6.999500633749107"
    assert c.get_attribute("data-t") == "4"
    c.click()
    popup = p.page.locator("#popup")
    assert popup.is_visible()
    text = p.page.inner_text("#popup pre.arith")
    assert text == "c = g·i + c_prev·f = 1·4.5398e-05 + 6.9998·0.99995 = 6.9995"
    p.page.keyboard.press("Escape")
    assert not popup.is_visible()
    # keyboard: the table's number is a button; Enter on it opens the same text
    button = p.page.locator('table.values [data-path="lstm.c"]')
    button.focus()
    p.page.keyboard.press("Enter")
    assert p.page.inner_text("#popup pre.arith") == text
    p.page.keyboard.press("Escape")
    # the SVG number is focusable too
    svg_c = p.page.locator('svg [data-path="lstm.c"]')
    svg_c.focus()
    p.page.keyboard.press("Enter")
    assert p.page.inner_text("#popup pre.arith") == text
    p.close()


# --------------------------------------------------------------------------- clicking numbers

def explain_lines(name, t):
    """The lines of arithmetic `run --format markdown --explain` writes for step t."""
    out = cli("run", name, "--format", "markdown", "--explain", "--steps", str(t)).stdout
    block = out.split("```text", 1)[1].split("```", 1)[0]
    return {" ".join(line.split()) for line in block.splitlines() if line.strip() and not line.startswith("#")}


@pytest.mark.parametrize("name,t", [("lstm_example.yaml", 2), ("gru.yaml", 2), ("slot_filling.yaml", 3),
                                    ("bidirectional.yaml", 2), ("jordan.yaml", 3), ("lstm_peephole.yaml", 3),
                                    ("lstm_two_layer.yaml", 2), ("one_of_n.yaml", 1)])
def test_clicking_every_number_shows_the_explain_arithmetic(browser, tmp_path, name, t):
    path = write_page(tmp_path, "p.html", page_html(rnntrace.run(rnntrace.load_spec(str(EXAMPLES / name))),
                                                    source=name))
    want = explain_lines(name, t)
    steps = json.loads(cli("run", name, "--format", "json").stdout)["steps"]
    p = Page(browser, path)
    p.page.evaluate(f"window.rnntrace.go({t})")
    buttons = p.page.locator("table.values button.num")
    assert buttons.count() > 0
    memory_line = re.compile(r"^\S+ = (the initial value|\S+ at step \d+) = .+$")
    for k in range(buttons.count()):
        b = buttons.nth(k)
        b.click()
        where = (b.get_attribute("data-path"), b.get_attribute("data-unit"))
        assert p.page.locator("#popup pre.arith").count() == 1, where
        lines = p.page.inner_text("#popup pre.arith").splitlines()
        assert lines, where
        for line in lines:
            flat = " ".join(line.split())
            if memory_line.match(flat):
                # what a memory quantity read: the value written one step before
                assert flat.endswith(" = " + result(float(b.get_attribute("data-value")))), (where, flat)
                continue
            assert flat in want, (b.get_attribute("data-path"), flat, sorted(want))
        assert p.page.inner_text("#popup .exact") == "exact value: " + b.get_attribute("data-value")
        want_value = trace_value(steps[t - 1], b.get_attribute("data-path"),
                                 int(b.get_attribute("data-unit")) if b.get_attribute("data-unit") else None)
        assert float(b.get_attribute("data-value")) == want_value
        p.page.keyboard.press("Escape")
    p.close()


# --------------------------------------------------------------------------- practice

def test_blanks_are_marked_with_checks_rule(browser, tmp_path):
    done = cli("page", "lstm_example.yaml", "--ask", "c,y", "-o", str(tmp_path / "practice.html"))
    assert done.returncode == 0, done.stderr
    p = Page(browser, tmp_path / "practice.html")
    page = p.page
    assert "not for exams" in page.inner_text(".practice")
    assert page.locator('[data-path="lstm.c"][data-value]').count() == 0   # no shown value of c or y
    assert page.locator('[data-path="y"][data-value]').count() == 0
    # nor under another name: y is lstm.h, and c_prev is the c of the step before
    assert page.locator('[data-path="lstm.h"][data-value]').count() == 0
    assert page.locator('[data-path="lstm.c_prev"][data-value]').count() == 0
    assert page.locator('table.chart th', has_text=re.compile(r"^(c|h)$")).count() == 0
    assert page.inner_text("#score") == "Score: 0 of 10 right (0 answered)"
    page.evaluate("window.rnntrace.go(4)")
    c = page.locator('input.blank[data-path="lstm.c"]')
    y = page.locator('input.blank[data-path="y"]')
    # exact 6.999500633749107: 7 is off by 0.0005, allowed 0.01·6.9995 ≈ 0.07
    c.fill("7")
    c.press("Enter")
    assert c.get_attribute("aria-invalid") == "false"
    assert page.locator(".verdict.right").count() == 1
    # 8 is off by 1: wrong, said in text and by aria-invalid, and the arithmetic is offered
    y.fill("8")
    y.press("Enter")
    assert y.get_attribute("aria-invalid") == "true"
    wrong = page.locator(".verdict.wrong")
    assert wrong.inner_text() == "wrong"
    hint = page.locator(".hint:visible")
    assert hint.inner_text() == "hint: h = h(c)·o = ?·1 = ?"   # c·1 would say it
    assert page.inner_text("#score") == "Score: 1 of 10 right (2 answered)"
    # what does not read as a number is said so and not counted; a decimal comma and the
    # typographic minus read as the number they write
    y.fill("abc")
    y.press("Enter")
    assert page.locator(f"#{y.get_attribute('aria-describedby')}").inner_text() == "not a number"
    assert page.inner_text("#score") == "Score: 1 of 10 right (1 answered)"
    y.fill("6,9995")                                  # exact 6.9995…: right
    y.press("Enter")
    assert y.get_attribute("aria-invalid") == "false"
    assert page.inner_text("#score") == "Score: 2 of 10 right (2 answered)"
    assert y.get_attribute("inputmode") == "text"
    # a reload keeps the answers (in this browser); "clear my answers" forgets them
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#score") == "Score: 2 of 10 right (2 answered)"
    page.evaluate("window.rnntrace.go(4)")
    assert page.locator('input.blank[data-path="lstm.c"]').input_value() == "7"
    page.click("#clear-answers")
    assert page.inner_text("#score") == "Score: 0 of 10 right (0 answered)"
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    assert page.inner_text("#score") == "Score: 0 of 10 right (0 answered)"
    page.evaluate("window.rnntrace.go(4)")
    # the rule's edge at step 1: exact 0.00013619…, allowed 0.01 (absolute below 1)
    page.locator("button[aria-label='first step']").click()   # keys typed in a blank stay there
    assert p.step_label() == "Step 1 of 5"
    y1 = page.locator('input.blank[data-path="y"]')
    y1.fill("0.0101")                                       # off by 0.00996: right
    y1.press("Enter")
    assert y1.get_attribute("aria-invalid") == "false"
    y1.fill("0.0102")                                       # off by 0.01006: wrong
    y1.press("Enter")
    assert y1.get_attribute("aria-invalid") == "true"
    p.close()


def test_tolerance_zero_asks_for_the_exact_value(browser, tmp_path):
    done = cli("page", "lstm_example.yaml", "--ask", "lstm.c", "--tolerance", "0", "-o", str(tmp_path / "p.html"))
    assert done.returncode == 0, done.stderr
    p = Page(browser, tmp_path / "p.html")
    p.page.evaluate("window.rnntrace.go(4)")
    c = p.page.locator('input.blank[data-path="lstm.c"]')
    c.fill("7")
    c.press("Enter")
    assert c.get_attribute("aria-invalid") == "true"
    c.fill("6.999500633749107")
    c.press("Enter")
    assert c.get_attribute("aria-invalid") == "false"
    p.close()


# --------------------------------------------------------------------------- what if

def edited_run(name, edits, inputs=None):
    """The Python engine on the spec with ``edits`` ({"lstm.input_gate.W[0][1]": v}) made."""
    spec = rnntrace.load_spec(str(EXAMPLES / name))
    for key, value in edits.items():
        m = re.fullmatch(r"inputs\[(\d+)\]\[(\d+)\]", key)
        if m:
            spec.inputs[int(m.group(1)), int(m.group(2))] = value
            continue
        base, indices = re.fullmatch(r"(.*?)((?:\[\d+\])*)", key).groups()
        layer_name, _, param = base.partition(".")
        layer = next(l for l in spec.layers if l.name == layer_name)
        array = layer.parameters()[param]
        array[tuple(int(i) for i in re.findall(r"\d+", indices))] = value
    return rnntrace.run(spec).to_dict()["steps"]


def close_enough(numbers, steps, t, rel=1e-12):
    for path, step_t, unit, value in numbers:
        want = trace_value(steps[t - 1], path, unit)
        got = float(value)
        assert abs(got - want) <= rel * max(1.0, abs(want)), (path, t, unit, got, want)


@pytest.mark.parametrize("name", ["lstm_example.yaml", "gru.yaml", "bidirectional.yaml", "jordan.yaml",
                                  "slot_filling.yaml", "lstm_peephole.yaml", "lstm_two_layer.yaml", "elman.yaml"])
def test_editing_weights_and_inputs_recomputes_like_python(browser, tmp_path, name):
    path = write_page(tmp_path, "p.html", page_html(rnntrace.run(rnntrace.load_spec(str(EXAMPLES / name))),
                                                    source=name))
    p = Page(browser, path)
    page = p.page
    for summary in page.locator("details.weights summary").all():
        summary.click()
    params = page.eval_on_selector_all("input.param[data-param]:not([data-path])", "els => els.map(e => e.dataset.param)")
    assert params
    # the first and the last weight of the network, and an input at step 2
    edits = {params[0]: 0.75, params[-1]: -1.25}
    for key, value in edits.items():
        box = page.locator(f'input[data-param="{key}"]')
        box.fill(str(value))
        box.press("Enter")
    page.evaluate("window.rnntrace.go(2)")
    x = page.locator('input[data-param="inputs[1][0]"]')
    x.fill("0.5")
    x.press("Enter")
    edits["inputs[1][0]"] = 0.5
    if rnntrace.load_spec(str(EXAMPLES / name)).lexicon is not None:   # a word's 1-of-N input
        assert "(its 1-of-N input edited)" in page.inner_text(".word")
    assert page.locator("#edited").is_visible()
    steps = edited_run(name, edits)
    for t in range(1, len(steps) + 1):
        page.evaluate(f"window.rnntrace.go({t})")
        close_enough(p.numbers(), steps, t)
    # the popup's arithmetic is the edited network's (its value ends the line)
    button = page.locator("table.values button.num").first
    button.click()
    assert "so is the arithmetic below" in page.inner_text("#popup .note")
    assert re.search(rf"(= |\[|, ){re.escape(result(float(button.get_attribute('data-value'))))}(\]|,|$| →| \()",
                     page.inner_text("#popup pre.arith")), page.inner_text("#popup pre.arith")
    page.keyboard.press("Escape")
    # reset: the exact trace again
    page.click("#reset")
    original = rnntrace.run(rnntrace.load_spec(str(EXAMPLES / name))).to_dict()["steps"]
    page.evaluate("window.rnntrace.go(1)")
    assert_shown_match(p.numbers(), original, 1)
    assert not page.locator("#edited").is_visible()
    p.close()


# --------------------------------------------------------------------------- random networks

def random_spec(kind, seed):
    """A random network of ``kind`` with float weights (every optional part drawn too)."""
    rng = np.random.default_rng(seed)
    n_in, size, T = int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(2, 7))
    acts = ["linear", "sigmoid", "tanh", "relu", "hard_sigmoid"]
    w = lambda *shape: rng.normal(0, 1.5, shape).tolist()

    def recurrent(kind, n_in, size):
        if kind in ("elman", "jordan"):
            layer = {"type": kind, "size": size, "W": w(size, n_in), "b": w(size),
                     "activation": str(rng.choice(acts))}
            if kind == "jordan":
                out = int(rng.integers(1, 4))
                layer["output"] = {"size": out, "W": w(out, size), "b": w(out),
                                   "activation": str(rng.choice(acts + ["softmax"]))}
                layer["U"] = w(size, out)
                layer["initial"] = w(out)
            else:
                layer["U"] = w(size, size)
                layer["initial"] = w(size)
            return layer
        blocks = ("cell_input", "input_gate", "forget_gate", "output_gate") if kind == "lstm" else \
            ("reset_gate", "update_gate", "candidate")
        layer = {"type": kind, "size": size, "activation": str(rng.choice(acts)),
                 "gate_activation": str(rng.choice(["sigmoid", "hard_sigmoid"]))}
        for b in blocks:
            block = {"W": w(size, n_in), "b": w(size)}
            if rng.random() < 0.8:
                block["U"] = w(size, size)
            if kind == "lstm" and b != "cell_input" and rng.random() < 0.5:
                block["P"] = w(size)
            if kind == "gru" and rng.random() < 0.6:
                block["b_h"] = w(size)
            layer[b] = block
        if kind == "lstm" and "P" in layer["output_gate"] and rng.random() < 0.5:
            layer["output_gate"]["peephole"] = "c"      # Gers & Schmidhuber: z_o reads the new cell
        if kind == "gru" and rng.random() < 0.5:
            layer["reset_after"] = False                # the reset gate before U (Cho et al.)
        if kind == "lstm":
            layer["cell_activation"] = str(rng.choice(acts))
            layer["initial"] = {"c": w(size), "h": w(size)}
        else:
            layer["initial"] = w(size)
        return layer

    layers = []
    if kind == "bidirectional":
        inner = str(rng.choice(["elman", "lstm", "gru", "jordan"]))
        f, b = recurrent(inner, n_in, size), recurrent(inner, n_in, size)
        if inner == "jordan":
            b["output"]["size"] = f["output"]["size"]
            b = recurrent(inner, n_in, size)
            b["output"] = dict(f["output"], W=w(f["output"]["size"], size))
            b["U"] = w(size, f["output"]["size"])
            b["initial"] = w(f["output"]["size"])
        merge = str(rng.choice(["concat", "sum", "mean", "ave", "mul"]))
        layers.append({"name": "bi", "type": "bidirectional", "merge": merge, "forward": f, "backward": b})
        out_size = (2 if merge == "concat" else 1) * (f["output"]["size"] if inner == "jordan" else size)
    elif kind == "dense":
        out_size = n_in
    else:
        layers.append(recurrent(kind, n_in, size))
        out_size = layers[-1]["output"]["size"] if kind == "jordan" else size
    k = int(rng.integers(1, 4))
    layers.append({"type": "dense", "size": k, "W": w(k, out_size), "b": w(k),
                   "activation": str(rng.choice(acts + ["softmax"]))})
    return rnntrace.spec_from_dict({"inputs": w(T, n_in), "layers": layers}, source=f"random {kind} {seed}")


@pytest.mark.parametrize("kind", ["elman", "jordan", "lstm", "gru", "dense", "bidirectional"])
def test_the_page_engine_agrees_with_python_on_random_networks(browser, tmp_path, kind):
    for seed in range(6):
        spec = random_spec(kind, seed)
        trace = rnntrace.run(spec)
        path = write_page(tmp_path, f"{kind}{seed}.html", page_html(trace, source=f"{kind} {seed}"))
        p = Page(browser, path)
        steps = trace.to_dict()["steps"]
        assert_engine_agrees(p.page, steps)
        assert_shown_match(p.numbers(), steps, 1)
        p.close()


# --------------------------------------------------------------------------- phone, dark mode, long runs

def test_readable_at_phone_width_in_dark_mode(browser, tmp_path):
    path = write_page(tmp_path, "p.html", page_html(rnntrace.run(rnntrace.load_spec(str(EXAMPLES / "lstm_example.yaml")))))
    p = Page(browser, path, width=375, scheme="dark")
    page = p.page
    # nothing wider than the screen: wide drawings scroll inside their own box
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 20, 25)"
    page.locator("button[aria-label='next step']").click()
    assert p.step_label() == "Step 2 of 5"
    p.close()


def test_a_thousand_steps(browser, tmp_path):
    done = cli("page", "toy_w999.yaml", "-o", str(tmp_path / "toy.html"))
    assert done.returncode == 0, done.stderr
    p = Page(browser, tmp_path / "toy.html")
    steps = json.loads(cli("run", "toy_w999.yaml", "--format", "json").stdout)["steps"]
    p.page.keyboard.press("End")
    assert p.step_label() == "Step 1000 of 1000"
    assert_shown_match(p.numbers(), steps, 1000)
    p.page.fill("#slider", "500")
    assert p.step_label() == "Step 500 of 1000"
    assert_shown_match(p.numbers(), steps, 500)
    p.close()


# --------------------------------------------------------------------------- notebooks

def test_two_traces_in_one_notebook_page_do_not_clash(browser, tmp_path):
    a = rnntrace.run(rnntrace.load_spec(str(EXAMPLES / "lstm_example.yaml")))
    b = rnntrace.run(rnntrace.load_spec(str(EXAMPLES / "gru.yaml")))
    from rnntrace.render.page import notebook_html
    html = "<!DOCTYPE html><html><body>" + notebook_html(a) + notebook_html(b) + "</body></html>"
    path = write_page(tmp_path, "notebook.html", html)
    p = Page.__new__(Page)
    p.context = browser.new_context()
    p.page = p.context.new_page()
    p.blocked, p.errors, p.console = [], [], []
    p.page.on("pageerror", lambda e: p.errors.append(str(e)))
    p.page.goto(path.as_uri())
    frames = [f for f in p.page.frames if f != p.page.main_frame]
    assert len(frames) == 2
    labels = []
    for f in frames:
        f.wait_for_selector("body[data-ready=true]")
        labels.append(f.inner_text("#step-label"))
    assert sorted(labels) == sorted(["Step 1 of 5", f"Step 1 of {len(b)}"])
    assert p.errors == []
    p.context.close()


def test_keyboard_alone_reaches_a_number_and_printing_hides_the_controls(browser, tmp_path):
    path = write_page(tmp_path, "p.html", page_html(rnntrace.run(rnntrace.load_spec(str(EXAMPLES / "gru.yaml")))))
    p = Page(browser, path)
    page = p.page
    for _ in range(40):                      # Tab from the top: buttons, slider, inputs, numbers
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('num')"):
            break
    else:
        pytest.fail("no number reached with Tab")
    page.keyboard.press("Enter")
    assert page.locator("#popup").is_visible()
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.classList.contains('num')")   # focus comes back
    page.emulate_media(media="print")
    assert not page.locator("button[aria-label='next step']").is_visible()
    assert page.locator("section.layer").first.is_visible()
    p.close()


def test_values_past_float64_show_as_overflow_without_errors(browser, tmp_path):
    spec = rnntrace.spec_from_dict({"inputs": [[1], [1], [1], [1]], "layers": [
        {"name": "grow", "type": "elman", "size": 1, "activation": "linear", "W": 1e100, "U": 1e100}]})
    with np.errstate(over="ignore", invalid="ignore"):   # the overflow is what is tested
        trace = rnntrace.run(spec)
    p = Page(browser, write_page(tmp_path, "p.html", page_html(trace)))
    p.page.keyboard.press("End")
    shown = p.page.locator('table.values [data-path="grow.h"]')
    assert shown.inner_text() == "overflow" and shown.get_attribute("data-value") == "null"
    assert_engine_agrees(p.page, trace.to_dict()["steps"])
    p.close()


def test_words_and_titles_are_shown_as_text(browser, tmp_path):
    hostile = "</script><script>alert(1)</script><!-- <b>x</b>"
    spec = rnntrace.spec_from_dict({"title": hostile, "lexicon": {"words": [hostile, "b"]}, "inputs": [hostile, "b"],
                                    "layers": [{"name": "h", "type": "elman", "size": 1, "W": 1, "U": 1}]})
    p = Page(browser, write_page(tmp_path, "p.html", page_html(rnntrace.run(spec))))
    assert p.page.inner_text("h1") == hostile
    assert p.page.inner_text(".word strong") == hostile
    assert p.page.locator("b").count() == 0
    p.close()


def test_any_layer_name_works_even_the_names_of_javascripts_own_objects(browser, tmp_path):
    """Layers named __proto__ and constructor: drawn, recomputed like Python after an
    edit, and their popups written (the page keeps names in Maps, never as object keys)."""
    spec = rnntrace.spec_from_dict({"inputs": [[1, 0], [0, 1], [1, 1]], "layers": [
        {"name": "__proto__", "type": "elman", "size": 2, "W": [[1, 0.5], [0.25, -1]], "U": [[0.5, 0], [0, 0.5]],
         "b": [0, 0.1], "activation": "tanh"},
        {"name": "constructor", "type": "dense", "size": 2, "W": [[1, 2], [3, 4]], "b": [0, 1],
         "activation": "softmax", "labels": ["yes", "no"]}]})
    trace = rnntrace.run(spec)
    p = Page(browser, write_page(tmp_path, "p.html", page_html(trace)))
    page = p.page
    steps = trace.to_dict()["steps"]
    assert_shown_match(p.numbers(), steps, 1)
    assert_engine_agrees(page, steps)
    page.locator('table.values button.num[data-path="__proto__.h"]').first.click()
    assert "tanh(" in page.inner_text("#popup pre.arith")
    page.keyboard.press("Escape")
    for summary in page.locator("details.weights summary").all():
        summary.click()
    box = page.locator('input[data-param="__proto__.W[0][1]"]')
    box.fill("-2")
    box.press("Enter")
    W = spec.layers[0].W.copy()   # a layer that has run keeps its weights: a changed one is new
    W[0, 1] = -2.0
    layers = (dataclasses.replace(spec.layers[0], W=W),) + spec.layers[1:]
    edited = rnntrace.run(dataclasses.replace(spec, layers=layers)).to_dict()["steps"]
    for t in (1, 2, 3):
        page.evaluate(f"window.rnntrace.go({t})")
        close_enough(p.numbers(), edited, t)
    page.locator('table.values button.num[data-path="constructor.y"]').first.click()
    assert "softmax(z) = [" in page.inner_text("#popup pre.arith")
    p.close()
