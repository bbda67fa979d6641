"""The page's engine (the descriptions' formulas in JavaScript) on the layers import
brings: an embedding (words and ids) and recurrent layers with direction: reverse,
agreeing with Python's trace at every step."""
import numpy as np
import pytest

import rnntrace
from rnntrace.render.page import page_html
from rnntrace.spec import spec_from_dict

from test_page import Page, assert_engine_agrees, browser, write_page  # noqa: F401 (browser: a fixture)

RNG = np.random.default_rng(9)
E = RNG.normal(size=(4, 3)).tolist()


def recurrent(kind):
    if kind == "elman":
        return {"type": "elman", "size": 2, "W": RNG.normal(size=(2, 3)).tolist(), "U": RNG.normal(size=(2, 2)).tolist()}
    blocks = {"lstm": ("cell_input", "input_gate", "forget_gate", "output_gate"),
              "gru": ("reset_gate", "update_gate", "candidate")}[kind]
    return dict({"type": kind, "size": 2},
                **{b: {"W": RNG.normal(size=(2, 3)).tolist(), "U": RNG.normal(size=(2, 2)).tolist()} for b in blocks})


SPECS = {
    "words, reverse lstm": {"lexicon": ["a", "b", "c", "d"], "inputs": "d a c c b",
                            "layers": [{"type": "embedding", "size": 3, "E": E},
                                       dict(recurrent("lstm"), direction="reverse")]},
    "ids, reverse gru, dense": {"inputs": [3, 0, 1, 1], "layers": [
        {"type": "embedding", "size": 3, "E": E}, dict(recurrent("gru"), direction="reverse"),
        {"type": "dense", "size": 2, "activation": "softmax", "W": RNG.normal(size=(2, 2)).tolist()}]},
    "reverse elman": {"inputs": RNG.normal(size=(4, 3)).tolist(), "layers": [dict(recurrent("elman"),
                                                                                  direction="reverse")]},
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_page_engine_agrees_with_python(browser, tmp_path, name):  # noqa: F811
    trace = rnntrace.run(spec_from_dict(SPECS[name]))
    path = write_page(tmp_path, "p.html", page_html(trace, source=name))
    p = Page(browser, path)
    assert_engine_agrees(p.page, trace.to_dict()["steps"])
    p.close()
