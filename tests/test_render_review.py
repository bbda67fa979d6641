"""The table view where it meets values that are not finite, huge values and the
80-column panels. Views are drawn at a fixed width into a string, as in test_render."""
import io

import numpy as np
from rich.console import Console

from rnntrace import run
from rnntrace.render.view import View, terminal_view
from rnntrace.spec import spec_from_text


def draw(trace, width=80, **view):
    console = Console(width=width, file=io.StringIO(), color_system=None, highlight=False)
    for part in terminal_view(trace, View(**view)):
        console.print(part)
    return console.file.getvalue()


# split.y = [1e200, −1e200]; grow.y = 1e200·split.y = [+inf, −inf] (beyond ±1.8e308);
# mix.y = inf + (−inf) = nan. Each step reads the same input 1.
OVERFLOW = """\
inputs: [1, 1, 1]
layers:
  - {name: split, type: dense, size: 2, W: [[1e200], [-1e200]]}
  - {name: grow, type: dense, size: 2, W: [[1e200, 0], [0, 1e200]]}
  - {name: mix, type: dense, size: 1, W: [[1, 1]]}
"""


def overflowing(text):
    with np.errstate(over="ignore", invalid="ignore"):     # the overflow is the point
        return run(spec_from_text(text))


def test_chart_marks_values_that_are_not_finite_and_says_what_the_mark_means():
    text = draw(overflowing(OVERFLOW), chart_only=True)
    rows = {line.split()[0] + " " + line.split()[1]: line for line in text.splitlines()
            if line.startswith(("split", "grow", "mix"))}
    assert "×××" in rows["grow y[1]"] and "×××" in rows["mix y"]
    assert "?" not in text
    # a row without a finite value has no lowest or highest value to print (not "0 … 0")
    assert rows["mix y"].split() == ["mix", "y", "—", "×××", "—"]
    assert "×: no finite value" in text
    # the finite row keeps its ends: 1e200 at every step
    assert "1e+200" in rows["split y[1]"]


def test_chart_of_finite_values_has_no_note_about_them():
    trace = overflowing(OVERFLOW.replace("1e200, 0], [0, 1e200", "1, 0], [0, 1"))
    assert "no finite value" not in draw(trace, chart_only=True)


def test_panels_keep_each_column_in_place_from_step_to_step():
    # The lecture's LSTM: the cell grows from 0 → 3 to 6.9998 → 6.9995, yet every
    # step's rows put their arrows and their last digits in the same columns.
    from rnntrace.spec import load_spec
    from conftest import EXAMPLES
    text = draw(run(load_spec(EXAMPLES / "lstm_example.yaml")), width=80)
    for what in ("cell input", "forget gate", "cell  ", "output gate"):
        rows = [line for line in text.splitlines() if line.startswith("│ " + what)]
        assert len(rows) == 5, what
        assert len({row.index(" → ", len(what) + 2 + 18) for row in rows}) == 1, rows
        assert len({len(row.rstrip(" │")) for row in rows}) == 1, rows
    # a layer of one unit has no header row: its heading already says "1 unit"
    assert "1 unit" in text
    assert not [line for line in text.splitlines() if line.strip("│ ") == "value"]


def test_a_narrow_screen_keeps_every_number_of_a_panel():
    # At 40 columns a two-unit LSTM does not fit beside its row names: the table drops
    # the names (the formulas say the same) and takes one unit at a time, but shows
    # every value. lower's cell input at step 1: tanh(1) and tanh(0.5).
    import math
    from rnntrace.spec import load_spec
    from conftest import EXAMPLES
    text = draw(run(load_spec(EXAMPLES / "lstm_two_layer.yaml")), width=40, steps=[1])
    assert all(len(line) <= 40 for line in text.splitlines())
    flat = " ".join(text.split())
    assert f"z → g(z) 1 → {math.tanh(1):.4f}" in flat
    assert f"z → g(z) 0.5 → {math.tanh(0.5):.4f}" in flat
    assert "(unit 1)" in text and "(unit 2)" in text


def test_outputs_over_time_wrap_a_long_input_on_a_narrow_screen():
    # twelve inputs, every weight 1: y = 1.25 + 2.5 + … + 12.125 = 83.875
    xs = [1.25, 2.5, 3.75, 4.125, 5.5, 6.75, 7.875, 8.5, 9.25, 10.5, 11.75, 12.125]
    spec = spec_from_text(f"inputs: [{xs}]\nlayers:\n  - {{type: dense, size: 1, W: 1}}\n")
    text = draw(run(spec), width=40)
    summary = text[text.index("Outputs over time"):]
    assert all(len(line) <= 40 for line in summary.splitlines())
    row = next(line for line in summary.splitlines() if line.startswith("1 "))
    assert row.split()[-2:] == [repr(sum(xs)), "83.875"]          # exact, then shown
    # every input, wrapped under itself: the first line's other cells taken out
    flat = "".join(summary.split()).replace("y83.87583.875", "")
    assert "[" + ",".join(repr(x) for x in xs) + "]" in flat


def test_outputs_over_time_on_a_screen_too_narrow_for_the_table_are_lines():
    # At 40 columns the exact value 5.735399660523715e-39 leaves the input column no room:
    # each step's input gets a line, then each quantity one line with exact and shown.
    from rnntrace.spec import load_spec
    from conftest import EXAMPLES
    text = draw(run(load_spec(EXAMPLES / "lstm_example.yaml")), width=40)
    summary = text[text.index("Outputs over time"):text.index("Over time, steps")]
    assert all(len(line) <= 40 for line in summary.splitlines())
    assert "t = 1   x = [3, 1, 0]" in summary
    assert "  lstm.c = 6.999500633749107 (6.9995)" in summary      # step 4, the lecture's 7
    assert "  y = 2.6037492074444242e-43 (≈0)" in summary
