"""The page's engine (the descriptions' formulas evaluated in JavaScript) on the variants:
clip, the coupled LSTM, IndRNN, and activation functions with parameters, each agreeing
with Python's trace; and after an edit of the weights, with Python's run of the edited
network."""
import numpy as np
import pytest

import rnntrace
from rnntrace.render.page import page_html
from rnntrace.spec import spec_from_dict

from test_grad_fd import bidirectional
from test_grad_networks import dense, elman, gru, indrnn, lstm, network
from test_page import Page, assert_engine_agrees, browser, write_page  # noqa: F401 (browser: a fixture)

VARIANTS = {
    "elman clip, leaky_relu": [lambda rng, n: elman(rng, n, size=3, activation={"leaky_relu": {"alpha": 0.2}},
                                                    clip=0.5)],
    "lstm coupled, clip": [lambda rng, n: lstm(rng, n, size=2, coupled=True, clip=0.6, peephole=True,
                                               gate_activation={"hard_sigmoid": {"alpha": 0.3, "beta": 0.4}})],
    "gru clip, reset before U": [lambda rng, n: gru(rng, n, size=2, clip=0.5, reset_after=False), dense],
    "indrnn softplus + dense softmax": [lambda rng, n: indrnn(rng, n, size=3, activation="softplus"),
                                       lambda rng, n: dense(rng, n, size=2, activation="softmax")],
    "bidirectional indrnn / coupled lstm": [lambda rng, n: bidirectional(
        rng, n, lambda r, m: indrnn(r, m, size=2, activation="selu"),
        lambda r, m: lstm(r, m, size=2, coupled=True, activation="softsign", cell_activation="hard_sigmoid_v3"))],
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_page_engine_agrees_with_python_on_the_variants(browser, tmp_path, name):  # noqa: F811
    rng = np.random.default_rng(len(name))
    data = network(rng, VARIANTS[name], n_in=2, steps=4)
    spec = spec_from_dict(data)
    trace = rnntrace.run(spec)
    path = write_page(tmp_path, "v.html", page_html(trace, source=name))
    p = Page(browser, path)
    assert_engine_agrees(p.page, trace.to_dict()["steps"])
    p.close()
