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
