"""Backpropagation derived from the descriptions (rnntrace/layers/autodiff.py: each
compute operation's backward rule, chained through time) against the LSTM's, GRU's, Jordan's
and dense layer's backward written out by hand (tests/reference_backward.py) and against finite
differences, on every random network of every type."""
import zlib

import numpy as np
import pytest

from rnntrace.engine import run_layer
from rnntrace.layers import autodiff, composite

from reference_backward import dense_backward, gru_backward, jordan_backward, lstm_backward
from test_grad_fd import NETWORKS, numeric_gradients
from test_grad_networks import build, network

#: the hand-written backward passes, by layer type
BY_HAND = {"lstm": lstm_backward, "gru": gru_backward, "jordan": jordan_backward, "dense": dense_backward}


def one_direction_layers(spec):
    for layer in spec.layers:
        if composite(layer):
            yield layer.forward
            yield layer.backward
        else:
            yield layer


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_derived_backward_equals_the_hand_written_one(name):
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    spec = build(network(rng, NETWORKS[name], n_in=2, steps=4))
    for layer in one_direction_layers(spec):
        if layer.type not in BY_HAND:
            continue
        xs = [rng.standard_normal(layer.input_size) for _ in range(4)]
        records = run_layer(layer, xs)
        d_out = [rng.standard_normal(layer.output_size) for _ in range(4)]
        theirs = BY_HAND[layer.type](layer, records, d_out, xs)
        ours = autodiff.backward(layer, records, d_out, xs)
        for (mine, gates), (hand, hand_gates) in zip(ours[2], theirs[2]):   # what the views show
            assert list(mine) == list(hand) and list(gates or {}) == list(hand_gates or {})
            for k in hand:
                np.testing.assert_allclose(mine[k], hand[k], rtol=1e-12, atol=1e-13)
        assert set(ours[0]) == set(theirs[0])
        for k in theirs[0]:
            np.testing.assert_allclose(ours[0][k], theirs[0][k], rtol=1e-12, atol=1e-13, err_msg=(name, k))
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-13)
        for k in theirs[3]:
            np.testing.assert_allclose(ours[3][k], theirs[3][k], rtol=1e-12, atol=1e-13)


def test_derived_backward_equals_finite_differences_on_a_coupled_clipped_lstm():
    from functools import partial
    from test_grad_networks import lstm, indrnn, dense
    from rnntrace.engine.bptt import backprop
    rng = np.random.default_rng(5)
    spec = build(network(rng, [partial(lstm, size=2, coupled=True, clip=0.6, peephole=True),
                               partial(indrnn, size=2, clip=0.5), dense], n_in=2, steps=4))
    numeric = numeric_gradients(spec)
    analytic = backprop(spec).gradients
    for k in numeric:
        np.testing.assert_allclose(analytic[k], numeric[k], rtol=1e-6, atol=1e-8)


def test_every_registered_type_is_in_the_random_networks():
    """A new layer type gets finite differences, the descriptions' check and the derived
    backward by adding its maker to test_grad_fd.NETWORKS: this fails until it does."""
    from rnntrace.layers import LAYER_TYPES
    seen = set()

    def walk(layer):
        seen.add(layer["type"])
        for part in ("forward", "backward"):
            if isinstance(layer.get(part), dict):
                walk(layer[part])

    for name, makers in NETWORKS.items():
        for layer in network(np.random.default_rng(0), makers, n_in=2, steps=2)["layers"]:
            walk(layer)
    assert set(LAYER_TYPES) <= seen, set(LAYER_TYPES) - seen
