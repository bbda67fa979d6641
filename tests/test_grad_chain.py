"""`grad --explain`'s chain rule, derived from the formulas (render/arithmetic.chain_lines),
checked against numbers it did not make.

Each term the text writes — what one formula of the step hands back to one quantity it
reads — is checked against central finite differences of that formula alone
(layers/formula.compute, the forward evaluator): for r = F(q, …), the term is
Σ_k dL/dr_k·∂r_k/∂q, with dL/dr the gradient the backward pass kept for r. The terms
that reach a quantity must add up to the backward pass's dL/dq, and every line of
the text must hold with the numbers it prints (terms added, factors multiplied).
"""
import re

import numpy as np
import pytest

import rnntrace
from rnntrace.engine.bptt import backprop
from rnntrace.layers import composite, describe
from rnntrace.layers.base import value as record_value
from rnntrace.layers.formula import compute
from rnntrace.render.arithmetic import chain_lines, handed_back

from test_grad_networks import build, dense, elman, embedding, gru, indrnn, jordan, lstm, mat, network, vec

EPS = 1e-6


def projected(rng, n_in, size=3, out=3, **kw):
    """A projection W_hr (out × size); out = size keeps the random networks' sizes simple."""
    layer = lstm(rng, n_in, size=size, **kw)
    layer["projection"] = (rng.standard_normal((out, size)) * 0.6).tolist()
    for block in ("cell_input", "input_gate", "forget_gate", "output_gate"):
        if block in layer and "U" in layer[block]:
            layer[block]["U"] = (rng.standard_normal((size, out)) * 0.6).tolist()
    layer["initial"]["h"] = layer["initial"]["h"][:out]
    return layer


WORDS = ["Taipei", "to", "arrive", "on"]


def words(rng):
    """Words of a lexicon read as 1-of-N vectors by an embedding (one word twice: its row
    of dE gets two steps' dL/de), then an Elman layer."""
    data = network(rng, [lambda r, n: embedding(r, len(WORDS), size=3), lambda r, n: elman(r, n),
                         lambda r, n: dense(r, n)], n_in=len(WORDS), steps=3)
    data["lexicon"], data["inputs"] = WORDS, "arrive Taipei arrive"
    return data


def ids(rng):
    """Ids read by an embedding that names its rows: an id has no gradient."""
    data = network(rng, [lambda r, n: indrnn(r, 3), lambda r, n: dense(r, n, activation="tanh")], n_in=3, steps=3)
    data["layers"].insert(0, {"type": "embedding", "size": 3, "E": mat(rng, len(WORDS), 3), "words": WORDS})
    data["inputs"] = [[2], [0], [3]]
    return data


NETWORKS = {
    "lstm": [lambda r, n: lstm(r, n), lambda r, n: dense(r, n)],
    "lstm-peephole": [lambda r, n: lstm(r, n, peephole=True)],
    "lstm-peephole-on-c": [lambda r, n: lstm(r, n, peephole=True, output_peephole="c")],
    "lstm-coupled-clip": [lambda r, n: lstm(r, n, coupled=True, peephole=True, clip=0.6)],
    "lstm-no-U-linear": [lambda r, n: lstm(r, n, recurrent=False, activation="linear", cell_activation="linear")],
    "lstm-projection": [lambda r, n: projected(r, n)],
    "gru": [lambda r, n: gru(r, n), lambda r, n: dense(r, n, activation="tanh")],
    "gru-reset-before": [lambda r, n: gru(r, n, reset_after=False)],
    "gru-no-b_h-clip": [lambda r, n: gru(r, n, b_h=False, clip=0.5)],
    "elman-jordan": [lambda r, n: elman(r, n), lambda r, n: jordan(r, n)],
    "indrnn-softmax": [lambda r, n: indrnn(r, n), lambda r, n: dense(r, n, size=3, activation="softmax")],
    "embedding-words": words,
    "embedding-ids": ids,
    # any x, not 1-of-N: e = Eᵀ·x, a weighted sum of rows
    "embedding-any-x": [lambda r, n: embedding(r, n), lambda r, n: gru(r, n)],
}


def full(a) -> str:
    """Every digit, so that the text's numbers can be checked to the last bits."""
    return "[" + ", ".join(repr(float(x)) for x in np.ravel(a)) + "]"


def records(name, seed=3):
    rng = np.random.default_rng(seed)
    loss = "cross_entropy" if "softmax" in name else "squared_error"
    make = NETWORKS[name]
    spec = build(make(rng) if callable(make) else network(rng, make, n_in=2, steps=3, loss=loss))
    trace = rnntrace.run(spec)
    backward = {step.t: step for step in backprop(spec, trace).steps}   # kept last step first
    for t, step in enumerate(trace, start=1):
        x = step.x
        for layer in spec.layers:
            fwd, bwd = step.layers[layer.name], backward[t].layers[layer.name]
            assert not composite(layer)
            yield layer, fwd, bwd, x
            x = fwd.output


def recorded(bwd, path):
    if path.startswith("gates."):
        _, block, part = path.split(".")
        return bwd.gates[block]["d" + part]
    return bwd.values[f"d{path}"]


@pytest.mark.parametrize("name", list(NETWORKS))
def test_each_term_is_the_formulas_own_derivative(name):
    checked = 0
    for layer, fwd, bwd, x in records(name):
        desc = describe(layer)
        params = layer.parameters()
        by_path = {q["path"]: q for q in desc["quantities"]}
        values = {"x": np.asarray(x, dtype=np.float64)}
        for path in list(by_path) + [m["read"] for m in desc["memory"]]:
            values[path] = np.asarray(record_value(fwd, path), dtype=np.float64)
        for reader, items in handed_back(layer, fwd, bwd).items():
            g_reader = recorded(bwd, reader)
            for operand in dict.fromkeys(p for p, _, _ in items):
                said = sum(a for p, _, a in items if p == operand)
                numeric = np.zeros(len(values[operand]))
                for j in range(len(numeric)):
                    sides = []
                    for sign in (1.0, -1.0):
                        moved = dict(values)
                        moved[operand] = values[operand].copy()
                        moved[operand][j] += sign * EPS
                        sides.append(compute(by_path[reader]["compute"], moved, params))
                    numeric[j] = g_reader @ ((sides[0] - sides[1]) / (2 * EPS))
                np.testing.assert_allclose(said, numeric, rtol=1e-6, atol=1e-8,
                                           err_msg=f"{name}: {reader} → {operand}")
                checked += 1
    assert checked > 0


NUMBER = re.compile(r"^[\[\]0-9eE.+\-−∘ ,()1]*$")


def _evaluate(text: str):
    """``[0.5] ∘ (1 − [0.25]) + [-1.0]`` as numpy arrays."""
    assert NUMBER.match(text), text
    python = text.replace("−", "-").replace("∘", "*").replace("[", "np.array([").replace("]", "])")
    return eval(python, {"np": np})


@pytest.mark.parametrize("name", list(NETWORKS))
def test_every_line_holds_with_the_numbers_it_prints(name):
    """dL/dq = terms = n_1 + n_2 = total: the n_k add up to the total; a single term
    written with this step's values multiplies out to it; the total is the backward
    pass's dL/dq; the terms of a quantity are all that reached it in the backward pass."""
    sums = products = 0
    for layer, fwd, bwd, _ in records(name):
        desc = describe(layer)
        labels = {q["label"]: q["path"] for q in desc["quantities"] if " " not in q["label"]}
        for line in chain_lines(layer, layer.name, fwd, bwd, full, "step t+1"):
            rhs = line.split(": ", 1)[1]
            if "+=" in rhs or "f′" in rhs or "Jacobian" in rhs or "nothing at this step" in rhs:
                continue
            pieces = rhs.split(" = ")
            lhs, total = pieces[0], _evaluate(pieces[-1])
            shown = lhs[len("dL/d"):]
            np.testing.assert_array_equal(total, recorded(bwd, labels.get(shown, shown)), err_msg=line)
            if len(pieces) < 4:
                continue
            numbers = pieces[-2]
            if "′" in numbers:
                continue
            value = _evaluate(numbers)
            np.testing.assert_allclose(value, total, rtol=1e-12, atol=1e-15, err_msg=line)
            if "∘" in numbers:
                products += 1
            else:
                assert len(numbers.split(" + ")) == len(_top(pieces[1])), line
                sums += 1
    assert sums > 0
    assert products > 0 or not name.startswith(("lstm", "gru"))   # sums of products: LSTM and GRU


def _top(text):
    """The top-level terms of ``a + (b + c)(step t+1) − d``."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and (text.startswith(" + ", k) or text.startswith(" − ", k)):
            parts.append(text[start:k])
            start = k + 3
    return parts + [text[start:]]


def test_a_wrong_backward_rule_is_caught():
    """The check of the terms can fail: with one rule of the replay changed (a product
    handing back its gradient without the other factor), the terms no longer are the
    formula's derivative."""
    from rnntrace.layers import autodiff
    original = autodiff._Step.operand_back

    def wrong(self, op, g):
        if isinstance(op, dict) and "product" in op:
            for item in op["product"]:
                original(self, item, g)
            return
        original(self, op, g)

    autodiff._Step.operand_back = wrong
    try:
        with pytest.raises(AssertionError):
            test_each_term_is_the_formulas_own_derivative("gru")
    finally:
        autodiff._Step.operand_back = original


@pytest.mark.parametrize("name", list(NETWORKS))
def test_the_backward_tables_name_every_row_from_the_description(name):
    """Each row of a backward record has a name read from the description, and each
    block's two rows are named by the symbols the panels print (dL/dσ(z_i), dL/dz_i)."""
    from rnntrace.render.arithmetic import gradient_names
    for layer, fwd, bwd, _ in records(name):
        desc = describe(layer)
        names = gradient_names(desc)
        assert set(bwd.values) <= set(names), (set(bwd.values) - set(names))
        labels = {q["path"]: q["label"] for q in desc["quantities"]}
        for block in bwd.gates or {}:
            assert names[("gate", block)] == (labels[f"gates.{block}.a"], labels[f"gates.{block}.z"])


def test_a_quantity_read_through_a_matrix_names_its_weight():
    from rnntrace.render.arithmetic import gradient_names
    names = {}
    for network in ("lstm-projection", "elman-jordan"):
        for layer, _, _, _ in records(network):
            names[layer.type] = gradient_names(describe(layer))
    assert names["lstm"]["dm"] == "dL/dm = W_hrᵀ·dL/dh"
    assert names["lstm"]["dc_up"] == "dL/dc given (upstream)"
    assert names["lstm"][("gate", "forget_gate")] == ("σ(z_f)", "z_f")
    assert names["jordan"]["dh"] == "dL/dh = W_oᵀ·dL/dz_out"
    assert names["jordan"]["dy_out"] == "dL/dy from the output"
    assert names["elman"]["dz"] == "dL/dz"          # read by its activation, not through a matrix


def test_a_reverse_layers_memory_gradient_comes_from_the_step_before():
    """direction: reverse reads x_T … x_1: h_t is read at step t − 1, so that is where its
    gradient through the memory comes from. h_t = x_t + 0.5·h_{t+1}, target at step 1:
    dL/dh_1 = 2.75 − 1 = 1.75, dL/dh_2 = 0.5·1.75, dL/dh_3 = 0.25·1.75."""
    from click.testing import CliRunner
    from rnntrace.cli import main
    spec = ("inputs: [1, 2, 3]\nlayers:\n  - {name: rnn, type: elman, size: 1, direction: reverse, "
            "activation: linear, W: 1, U: 0.5, b: 0}\ntrain: {targets: [[1], null, null], loss: squared_error}\n")
    result = CliRunner().invoke(main, ["grad", "-", "--explain"], input=spec, env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0, result.output
    assert "rnn: dL/dh = (from the output) + Uᵀ·dL/dz(step t−1) = [0] + [0.875] = [0.875]" in result.stdout
    assert "rnn: dL/dh = (from the output) + Uᵀ·dL/dz(step t−1) = [0] + [0.4375] = [0.4375]" in result.stdout
    assert "step t+1" not in result.stdout


def _lookups(name):
    for layer, fwd, bwd, x in records(name):
        if layer.type == "embedding":
            lines = chain_lines(layer, layer.name, fwd, bwd, full, "step t+1")
            yield layer, fwd, bwd, x, lines


def test_a_lookup_adds_dL_de_to_the_row_read_and_hands_E_dL_de_to_x():
    """e = Eᵀ·x = E[k]: dL/dE[k] += dL/de (no other row), dL/dx = E·dL/de, worked out here
    with numpy and checked by finite differences of the whole network's loss."""
    seen = []
    for layer, fwd, bwd, x, lines in _lookups("embedding-words"):
        de = bwd.values["de"]
        word = WORDS[int(np.argmax(x))]
        assert lines[0] == f"embedding: dL/de = (from the loss/above) = {full(de)}"
        assert lines[1] == (f"embedding: dL/dE['{word}'] += dL/de (only the row read changes), "
                            f"dL/dx = E·dL/de = {full(layer.E @ de)}")
        seen.append(word)
    assert seen == ["arrive", "Taipei", "arrive"]
    # the numbers dL/dx are the network's: central differences of L in each entry of x_t
    data = words(np.random.default_rng(3))
    spec = build(data)
    result = backprop(spec)
    xs = np.asarray(spec.inputs, dtype=np.float64)
    for t, step in enumerate(sorted(result.steps, key=lambda s: s.t)):
        for j in range(xs.shape[1]):
            sides = []
            for sign in (1.0, -1.0):
                moved = xs.copy()
                moved[t, j] += sign * EPS
                sides.append(backprop(build(dict(data, inputs=moved.tolist(), lexicon=None))).loss)
            assert abs(step.dx[j] - (sides[0] - sides[1]) / (2 * EPS)) < 1e-7


def test_an_id_has_no_gradient_and_x_not_1_of_N_reaches_every_row():
    lines = [ls for *_, ls in _lookups("embedding-ids")]
    assert [ls[1] for ls in lines] == [f"embedding: dL/dE['{w}'] += dL/de (only the row read changes); "
                                       "x is an id: it has no gradient" for w in ("arrive", "Taipei", "on")]
    for layer, fwd, bwd, x, ls in _lookups("embedding-any-x"):
        assert fwd.id is None
        assert ls[1] == ("embedding: dL/dE += x·dL/deᵀ (x is not 1-of-N: each row of E by its weight in x), "
                         f"dL/dx = E·dL/de = {full(layer.E @ bwd.values['de'])}")


def test_the_input_line_names_what_the_first_layer_hands_back_to_x():
    """grad --explain's last line of a step says what dL/dx is made of, read from the
    first layer's formulas: E·dL/de for an embedding of 1-of-N words, nothing for ids,
    each block's Wᵀ·dL/dz for a GRU, each direction's for a bidirectional layer."""
    import yaml
    from click.testing import CliRunner
    from rnntrace.cli import main

    def said(data):
        result = CliRunner().invoke(main, ["grad", "-", "--explain"], input=yaml.safe_dump(data),
                                    env={"COLUMNS": "300", "NO_COLOR": "1"})
        assert result.exit_code == 0, result.output
        return [line.strip() for line in result.stdout.splitlines() if line.strip().startswith(
            ("the first layer's", "nothing hands"))]

    rng = np.random.default_rng(4)
    assert said(words(rng))[0] == "the first layer's E·dL/de; x_3 = [0, 0, 1, 0]"
    assert said(ids(rng))[0] == "nothing hands a gradient back to x (an id has none); x_3 = [3]"
    assert said(network(rng, [lambda r, n: gru(r, n)], n_in=2, steps=2))[0].startswith(
        "the first layer's W_rᵀ·dL/dz_r + W_uᵀ·dL/dz_u + W_nᵀ·dL/dz_n; x_2 = [")
    both = {"type": "bidirectional", "forward": elman(rng, 2), "backward": indrnn(rng, 2)}
    assert said(network(rng, [lambda r, n: both], n_in=2, steps=2))[0].startswith(
        "the first layer's Wᵀ·dL/dz (→) + Wᵀ·dL/dz (←); x_2 = [")
