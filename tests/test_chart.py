"""The chart over time: its title names the steps drawn, its footnote the scales used."""
import io

from rich.console import Console

import rnntrace
from rnntrace.render.chart import step_list
from rnntrace.render.view import View, terminal_view

from conftest import EXAMPLES


def draw(name, **view):
    console = Console(width=80, file=io.StringIO(), color_system=None, highlight=False)
    for part in terminal_view(rnntrace.run(rnntrace.load_spec(EXAMPLES / name)), View(**view)):
        console.print(part)
    return console.file.getvalue()


def test_step_list_writes_runs_as_ranges():
    assert step_list([1, 2, 3]) == "1–3"
    assert step_list([1, 3]) == "1 and 3"
    assert step_list([4]) == "4"
    assert step_list([1, 3, 4, 5, 9]) == "1, 3–5 and 9"
    assert step_list([1, 2, 4, 5]) == "1–2 and 4–5"


def test_title_says_which_steps_are_drawn():
    # --steps 1,3 draws two marks, steps 1 and 3: not "steps 1–3"
    text = draw("gru.yaml", steps=[1, 3], chart_only=True)
    assert "Over time, steps 1 and 3\n" in text
    assert "1–3" not in text
    assert "Over time, steps 1–4\n" in draw("gru.yaml", chart_only=True)


def test_gate_scale_is_noted_only_when_a_gate_is_drawn():
    plain = draw("toy_w999.yaml")             # one linear neuron: no gates
    assert "gates drawn" not in plain
    assert "each row drawn from its lowest to its highest value" in plain
    gated = draw("gru.yaml", chart_only=True)
    assert "gates drawn on 0 … 1" in gated
