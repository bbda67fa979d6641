"""The lecture's basic RNN (LECTURE-EXAMPLES.md, example 3), worked by hand."""
import numpy as np

import rnntrace


def test_basic_rnn_matches_the_lecture_table(examples):
    trace = rnntrace.run(rnntrace.load_spec(examples / "basic_rnn.yaml"))
    # hidden_t = x1 + x2 + m1 + m2 for each unit; output = h1 + h2
    memory = 0.0
    for step, (x1, x2) in zip(trace, [(1, 1), (1, 1), (2, 2)]):
        hidden = x1 + x2 + 2 * memory
        assert np.array_equal(step.layers["hidden"].h, [hidden, hidden])
        assert np.array_equal(step.y, [2 * hidden, 2 * hidden])
        memory = hidden
    assert [s.y[0] for s in trace] == [4, 12, 32]
