"""Backpropagation through time against central finite differences, every layer type.

For each parameter entry θ_k: (L(θ + ε e_k) − L(θ − ε e_k)) / 2ε with ε = 1e-6 has an
error of order ε² ≈ 1e-12 plus rounding ≈ 1e-16/ε ≈ 1e-10, so the analytic gradient
must agree to a relative error of about 1e-7.
"""
import zlib
from functools import partial

import numpy as np
import pytest

from rnntrace.engine.bptt import backprop
from rnntrace.engine.parameters import parameters, replace_parameters

from test_grad_networks import build, dense, elman, gru, indrnn, jordan, lstm, network

EPS = 1e-6


def numeric_gradients(spec, loss=lambda spec: backprop(spec).loss):
    """Central differences of ``loss(spec)`` for every parameter entry."""
    grads = {}
    for name, value in parameters(spec).items():
        g = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            losses = []
            for sign in (1.0, -1.0):
                changed = value.copy()
                changed[index] += sign * EPS
                losses.append(loss(replace_parameters(spec, {name: changed})))
            g[index] = (losses[0] - losses[1]) / (2 * EPS)
        grads[name] = g
    return grads


def assert_matches_finite_differences(spec):
    analytic = backprop(spec).gradients
    numeric = numeric_gradients(spec)
    assert list(analytic) == list(numeric)
    for name in numeric:
        a, n = analytic[name], numeric[name]
        assert a.shape == n.shape, name
        scale = max(1.0, float(np.max(np.abs(n))))
        assert np.max(np.abs(a - n)) / scale < 1e-7, (name, a, n)


def bidirectional(rng, n_in, make_f, make_b, merge="concat"):
    return {"type": "bidirectional", "merge": merge, "forward": make_f(rng, n_in), "backward": make_b(rng, n_in)}


NETWORKS = {
    "elman tanh": [partial(elman, size=3)],
    "elman relu + dense": [partial(elman, size=3, activation="relu"), partial(dense, size=2)],
    "elman sigmoid + dense tanh": [partial(elman, size=2, activation="sigmoid"),
                                   partial(dense, size=2, activation="tanh")],
    "jordan": [partial(jordan, size=3, out=2)],
    "jordan sigmoid output + dense": [partial(jordan, size=2, out=2, out_activation="sigmoid"), dense],
    "lstm with U": [partial(lstm, size=3)],
    "lstm without U (the lecture's unit)": [partial(lstm, size=2, recurrent=False)],
    "lstm with peepholes": [partial(lstm, size=3, peephole=True)],
    "lstm peepholes, no U, linear g and h": [partial(lstm, size=2, recurrent=False, peephole=True,
                                                     activation="linear", cell_activation="linear")],
    "lstm, output peephole on the new cell": [partial(lstm, size=3, peephole=True, output_peephole="c")],
    "lstm, only the output peephole, on c, no U": [partial(lstm, size=2, recurrent=False, output_peephole="c")],
    "gru with b_h": [partial(gru, size=3)],
    "gru reset before U, with b_h": [partial(gru, size=3, reset_after=False)],
    "gru reset before U, without b_h": [partial(gru, size=2, b_h=False, reset_after=False)],
    "gru reset before U, without U": [partial(gru, size=2, recurrent=False, reset_after=False)],
    "gru without b_h": [partial(gru, size=2, b_h=False)],
    "gru without U": [partial(gru, size=2, recurrent=False)],
    "dense only": [partial(dense, size=3, activation="sigmoid")],
    "bidirectional elman concat": [partial(bidirectional, make_f=partial(elman, size=2),
                                           make_b=partial(elman, size=3))],
    "bidirectional lstm/gru sum": [partial(bidirectional, make_f=partial(lstm, size=2, peephole=True),
                                           make_b=partial(gru, size=2), merge="sum"), dense],
    "bidirectional jordan mean": [partial(bidirectional, make_f=partial(jordan, size=2, out=2),
                                          make_b=partial(elman, size=2), merge="mean")],
    "bidirectional elman/gru ave": [partial(bidirectional, make_f=partial(elman, size=2),
                                            make_b=partial(gru, size=2, reset_after=False), merge="ave")],
    "bidirectional lstm/elman mul": [partial(bidirectional, make_f=partial(lstm, size=2, output_peephole="c"),
                                             make_b=partial(elman, size=2), merge="mul"), dense],
    "stacked lstm → gru → elman → dense": [partial(lstm, size=2), partial(gru, size=2),
                                           partial(elman, size=2), partial(dense, size=2)],
    "stacked dense → lstm (dense first)": [partial(dense, size=3, activation="tanh"), partial(lstm, size=2)],
    "softmax inside: dense softmax → elman → dense": [partial(dense, size=3, activation="softmax"),
                                                      partial(elman, size=2), partial(dense, size=2)],
    "gru → bidirectional gru/lstm concat → jordan": [
        partial(gru, size=2),
        partial(bidirectional, make_f=partial(gru, size=2, b_h=False), make_b=partial(lstm, size=2, recurrent=False)),
        partial(jordan, size=2, out=1)],
    # the variants: clip (ONNX), the coupled input-forget LSTM, IndRNN
    "elman clip 0.4": [partial(elman, size=3, clip=0.4)],
    "lstm clip 0.5 with peepholes": [partial(lstm, size=3, peephole=True, clip=0.5)],
    "lstm coupled": [partial(lstm, size=3, coupled=True)],
    "lstm coupled, clip, peephole on the new cell": [partial(lstm, size=2, coupled=True, clip=0.6,
                                                             output_peephole="c")],
    "gru clip 0.5": [partial(gru, size=3, clip=0.5)],
    "gru reset before U, clip 0.5": [partial(gru, size=2, reset_after=False, clip=0.5)],
    "indrnn tanh": [partial(indrnn, size=3)],
    "indrnn relu, clip 0.7 + dense": [partial(indrnn, size=3, activation="relu", clip=0.7), dense],
    "bidirectional indrnn/lstm coupled": [partial(bidirectional, make_f=partial(indrnn, size=2),
                                                  make_b=partial(lstm, size=2, coupled=True)), dense],
}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_squared_error_gradients_match_finite_differences(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    spec = build(network(rng, NETWORKS[name], n_in=2, steps=4))
    assert_matches_finite_differences(spec)


@pytest.mark.parametrize("name", ["elman tanh", "lstm with peepholes", "gru with b_h", "bidirectional elman concat",
                                  "gru reset before U, with b_h", "bidirectional lstm/elman mul"])
def test_cross_entropy_through_a_softmax_layer_matches_finite_differences(name):
    rng = np.random.default_rng(7)
    makers = NETWORKS[name] + [partial(dense, size=3, activation="softmax", labels=["a", "b", "c"])]
    spec = build(network(rng, makers, n_in=2, steps=4, loss="cross_entropy"))
    assert_matches_finite_differences(spec)


def test_many_to_one_with_null_targets_matches_finite_differences():
    rng = np.random.default_rng(3)
    spec = build(network(rng, [partial(lstm, size=2), partial(dense, size=1)], n_in=2, steps=5, sparse=True))
    assert spec.train.targets[0] is None and spec.train.targets[-1] is not None
    assert_matches_finite_differences(spec)


def test_hard_sigmoid_gates_match_finite_differences_away_from_the_kinks():
    rng = np.random.default_rng(11)
    spec = build(network(rng, [partial(lstm, size=2, gate_activation="hard_sigmoid")], n_in=2, steps=3))
    # every gate input must lie off the kinks at ±2.5 by more than ε for the difference to be exact
    from rnntrace.engine import run
    zs = np.concatenate([g.z for s in run(spec) for g in s.layers["lstm"].gates.values()])
    assert np.min(np.abs(np.abs(zs) - 2.5)) > 1e-3
    assert_matches_finite_differences(spec)


def test_cross_entropy_on_a_jordan_softmax_output_matches_finite_differences():
    """A Jordan layer ends in its output layer: a softmax there takes cross-entropy, and its
    gradient goes through the softmax Jacobian and back into the memory (y_{t−1})."""
    rng = np.random.default_rng(13)
    data = network(rng, [partial(jordan, size=3, out=3, out_activation="softmax")], n_in=2, steps=4,
                   loss="cross_entropy")
    data["layers"][0]["output"]["labels"] = ["a", "b", "c"]
    data["train"]["targets"] = ["a", None, "c", "b"]
    spec = build(data)
    assert_matches_finite_differences(spec)
    assert [s.label for s in backprop(spec).steps] == ["b", "c", None, "a"]   # last step first
