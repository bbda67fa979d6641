"""The embedding layer: a word (1-of-N from a lexicon) or an id → one row of E,
checked against numpy's one-hot product, PyTorch's nn.Embedding (forward and
autograd, float64), finite differences and the description's own formula."""
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from rnntrace import engine
from rnntrace.cli import main
from rnntrace.engine.bptt import backprop
from rnntrace.errors import RnntraceError
from rnntrace.layers import describe
from rnntrace.layers.formula import run as run_formulas
from rnntrace.spec import spec_from_dict

RNG = np.random.default_rng(5)
WORDS = ["Taipei", "to", "arrive", "on", "November"]
E = RNG.normal(size=(5, 3))
W, b = RNG.normal(size=(2, 3)), RNG.normal(size=2)


def spec(inputs, lexicon=True, targets=None, words=None):
    data = {"inputs": inputs,
            "layers": [dict({"type": "embedding", "size": 3, "E": E.tolist()}, **({"words": words} if words else {})),
                       {"type": "dense", "size": 2, "activation": "tanh", "W": W.tolist(), "b": b.tolist()}]}
    if lexicon:
        data["lexicon"] = WORDS
    if targets is not None:
        data["train"] = {"targets": targets}
    return data


def test_a_word_reads_its_row_of_E_which_is_1_of_N_times_E():
    trace = engine.run(spec_from_dict(spec("arrive Taipei on")))
    for step, k in zip(trace, [2, 0, 3]):
        one_hot = np.eye(5)[k]
        np.testing.assert_array_equal(step.layers["embedding"].e, E[k])
        np.testing.assert_allclose(step.layers["embedding"].e, one_hot @ E, rtol=0, atol=0)
        assert step.layers["embedding"].id == k


def test_ids_read_the_same_rows_as_the_words():
    by_word = engine.run(spec_from_dict(spec("arrive Taipei on")))
    by_id = engine.run(spec_from_dict(spec([2, 0, 3], lexicon=False)))
    for a, b_ in zip(by_word, by_id):
        np.testing.assert_array_equal(a.y, b_.y)


@pytest.mark.parametrize("lexicon", [True, False])
def test_forward_and_gradients_match_pytorch(torch, lexicon):
    ids = [2, 0, 3, 2]
    targets = RNG.normal(size=(4, 2))
    data = spec(" ".join(WORDS[k] for k in ids) if lexicon else ids, lexicon, targets.tolist())
    s = spec_from_dict(data)
    grads = backprop(s)
    table = torch.nn.Embedding(5, 3).double()
    dense = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        table.weight.copy_(torch.tensor(E))
        dense.weight.copy_(torch.tensor(W))
        dense.bias.copy_(torch.tensor(b))
    y = torch.tanh(dense(table(torch.tensor(ids))))
    loss = 0.5 * ((y - torch.tensor(targets)) ** 2).sum()
    loss.backward()
    trace = engine.run(s)
    np.testing.assert_allclose(np.array([step.y for step in trace]), y.detach().numpy(), rtol=0, atol=1e-15)
    np.testing.assert_allclose(grads.gradients["embedding.E"], table.weight.grad.numpy(), rtol=0, atol=1e-14)
    np.testing.assert_allclose(grads.loss, loss.item(), rtol=1e-15)


def test_the_input_gradient_of_a_1_of_N_vector_is_E_times_de_by_finite_differences():
    data = spec([[0.0, 1.0, 0.0, 0.0, 0.0]], lexicon=False, targets=[[0.5, -0.5]])
    grads = backprop(spec_from_dict(data))
    eps = 1e-6
    for k in range(5):
        up, down = [[0.0, 1.0, 0.0, 0.0, 0.0]], [[0.0, 1.0, 0.0, 0.0, 0.0]]
        up[0][k] += eps
        down[0][k] -= eps
        numeric = (backprop(spec_from_dict(dict(data, inputs=up))).loss -
                   backprop(spec_from_dict(dict(data, inputs=down))).loss) / (2 * eps)
        assert abs(grads.steps[0].dx[k] - numeric) < 1e-8


def test_the_description_computes_what_the_engine_computes():
    for data in (spec("on to November"), spec([4, 1, 1], lexicon=False)):
        s = spec_from_dict(data)
        trace = engine.run(s)
        steps = run_formulas([describe(layer) for layer in s.layers], list(s.inputs))
        for step, values in zip(trace, steps[0]):
            np.testing.assert_array_equal(values["e"], step.layers["embedding"].e)
    assert describe(spec_from_dict(spec("on")).layers[0])["words"] == WORDS


def test_explain_says_x_is_the_1_of_N_vector_of_the_word_and_e_its_row():
    result = CliRunner().invoke(main, ["run", "-", "--explain", "--width", "120"],
                                input=yaml.safe_dump(spec("Taipei")))
    assert result.exit_code == 0, result.output
    assert "the 1-of-N vector of 'Taipei' (1 at position 1 of 5)" in result.output
    assert "the row of E for 'Taipei' = [" in result.output
    assert "1-of-N, then a linear layer without bias" in result.output
    named = CliRunner().invoke(main, ["run", "-", "--explain", "--width", "120"],
                               input=yaml.safe_dump(spec([1], lexicon=False, words=list("abcde"))))
    assert "the row of E for 'b'" in named.output, named.output


def test_bad_ids_and_tables_are_refused_with_a_message():
    with pytest.raises(RnntraceError, match="expected a word id, a whole number from 0 to 4, found 5"):
        engine.run(spec_from_dict(spec([5], lexicon=False)))
    with pytest.raises(RnntraceError, match="E has 5 rows, one per word, so the input is the 1-of-N vector of 5"):
        spec_from_dict(spec([[1, 0]], lexicon=False))
    result = CliRunner().invoke(main, ["run", "-"], input=yaml.safe_dump(spec([1.5], lexicon=False)))
    assert result.exit_code == 2 and "found 1.5" in result.output and "Traceback" not in result.output


def _same_bits(a, b):
    """Equal as float64 bit patterns: −0.0 is not 0.0, and nan is nan."""
    return np.asarray(a, dtype=np.float64).tobytes() == np.asarray(b, dtype=np.float64).tobytes()


@pytest.mark.parametrize("ids", [False, True])
def test_the_step_derived_from_the_lookup_reads_the_row_exactly_as_the_hand_written_one(ids):
    # The home's step is compiled from its description (layers/compiled.py); the step as
    # it was written by hand (tests/reference_backward.py) reads E[k]. A product with the
    # 1-of-N vector would add 0·E[j]: −0.0 would become 0.0 and 0·inf nan.
    from reference_backward import embedding_step
    table = E.copy()
    table[0, 1], table[2, 0], table[3, 2], table[4, 1] = -0.0, np.inf, np.nan, -np.inf
    import dataclasses
    built = spec_from_dict(spec([[k] for k in range(5)] if ids else np.eye(5).tolist(), lexicon=False)).layers[0]
    layer = dataclasses.replace(built, E=table)   # a spec refuses inf and nan: put them in afterwards
    assert layer.ids is ids and describe(layer)["quantities"][0]["compute"]["op"] == "lookup"
    for k in range(5):
        x = np.array([float(k)]) if ids else np.eye(5)[k]
        record, state = layer.home.step(layer, x, None)
        row, e = embedding_step(layer, x)
        assert state is None and record.id == row == k
        assert _same_bits(record.e, e) and _same_bits(record.e, table[k])
    assert np.signbit(layer.home.step(layer, np.eye(5)[0] if not ids else np.array([0.0]), None)[0].e[1])
    if not ids:   # not 1-of-N: the weighted sum of rows, Eᵀ·x, and no row
        x = np.array([0.5, 0.0, 0.0, 0.0, 0.25])
        with np.errstate(invalid="ignore"):   # 0·inf
            record, _ = layer.home.step(layer, x, None)
            assert record.id is None and _same_bits(record.e, table.T @ x)


@pytest.mark.parametrize("lexicon", [True, False])
def test_the_derived_backward_equals_the_hand_written_one(lexicon):
    from reference_backward import embedding_backward
    ids = [2, 0, 3, 2, 2]
    data = spec(" ".join(WORDS[k] for k in ids) if lexicon else ids, lexicon, RNG.normal(size=(5, 2)).tolist())
    s = spec_from_dict(data)
    layer = s.layers[0]
    trace = engine.run(s)
    records = [step.layers["embedding"] for step in trace]
    xs = list(s.inputs)
    d_out = [RNG.normal(size=3) for _ in ids]
    grads, dxs, shown, initial = layer.home.backward(layer, records, d_out, xs)
    want, want_dxs, want_shown, want_initial = embedding_backward(layer, records, d_out, xs)
    # row 2 is read three times: its gradient is a sum, added in another order than X.T @ DE's
    np.testing.assert_allclose(grads["E"], want["E"], rtol=1e-15, atol=0)
    for k in (0, 3):
        assert _same_bits(grads["E"][k], d_out[ids.index(k)])
    assert not grads["E"][[1, 4]].any() and initial == want_initial == {}
    for dx, want_dx, (rows, gates), (want_rows, _) in zip(dxs, want_dxs, shown, want_shown):
        assert _same_bits(dx, want_dx) and gates is None and list(rows) == ["de"]
        assert _same_bits(rows["de"], want_rows["de"])
    assert [len(dx) for dx in dxs] == [1 if not lexicon else 5] * len(ids)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0, 2.5])
def test_an_id_that_is_no_row_is_an_error_not_a_traceback(bad):
    # int(nan) and int(inf) would raise a ValueError and an OverflowError of their own
    layer = spec_from_dict(spec([0], lexicon=False)).layers[0]
    with pytest.raises(RnntraceError, match=f"layer 'embedding': expected a word id, a whole number from 0 to 4, "
                                            f"found {bad:g}"):
        layer.home.step(layer, np.array([bad]), None)


def test_the_legend_and_arithmetic_of_ids_say_E_of_x():
    result = CliRunner().invoke(main, ["run", "-", "--explain", "--width", "120"],
                                input=yaml.safe_dump(spec([3], lexicon=False)))
    assert result.exit_code == 0, result.output
    assert "e = E[x]: x is a word's id, so e is the row of E for that word (a linear layer without bias)" \
        in result.output
    assert "x = id 3: the 1-of-N vector of id 3 has its 1 at position 4 of 5" in result.output
    assert f"e = E[x] = the row of E for id 3 = [{', '.join(f'{v:.4f}'.replace('-', '−') for v in E[3])}]" \
        in result.output
    mixed = CliRunner().invoke(main, ["run", "-", "--explain", "--width", "120"],
                               input=yaml.safe_dump(spec([[0.5, 0, 0, 0, 0.5]], lexicon=False)))
    assert "(x is not 1-of-N: a weighted sum of rows of E)" in mixed.output
    assert "e = Eᵀ·x: x is 1-of-N, so e is the row of E for x's word (a linear layer without bias)" in mixed.output


def test_the_table_views_row_is_read_from_the_lookup():
    """render/panels.derived_rows: the row of E this step read, named by its word (or id),
    and its numbers; Eᵀ·x when x picks no single row."""
    from rnntrace.render.panels import layer_rows
    cases = [(spec("arrive Taipei"), ["e = E['arrive']", "e = E['Taipei']"], [2, 0]),
             (spec([4, 1], lexicon=False), ["e = E[id 4]", "e = E[id 1]"], [4, 1]),
             (spec([[0.5, 0, 0, 0, 0.25]], lexicon=False), ["e = Eᵀ·x"], None)]
    for data, labels, rows in cases:
        trace = engine.run(spec_from_dict(data))
        for t, step in enumerate(trace):
            layer = spec_from_dict(data).layers[0]
            [(what, label, cells)] = layer_rows(layer, step.layers["embedding"], 4)
            assert (what, label) == ("row of E", labels[t])
            want = E[rows[t]] if rows else E.T @ np.array([0.5, 0, 0, 0, 0.25])
            assert cells == [f"{v:.4f}".rstrip("0").rstrip(".").replace("-", "−") for v in want]
