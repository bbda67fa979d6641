"""rnntrace new: starter specs for every type, and random exercises whose arithmetic
stays exact."""
import math

import numpy as np
import pytest
from click.testing import CliRunner

import rnntrace
from rnntrace.bundled import examples_dir
from rnntrace.cli import main
from rnntrace.spec import spec_from_text
from rnntrace.starters import TYPES
from rnntrace.trace import flatten, step_to_dict


def invoke(*args, **kwargs):
    return CliRunner().invoke(main, list(args), env={"NO_COLOR": "1"}, **kwargs)


def new(*args) -> str:
    result = invoke("new", *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def numbers_of(trace):
    """Every number of a trace: each step's flattened quantities, entry by entry."""
    for step in trace:
        for path, value in flatten(step_to_dict(step)).items():
            if isinstance(value, list):
                for v in value:
                    yield path, v


@pytest.mark.parametrize("kind", TYPES)
def test_every_starter_is_commented_valid_and_runs(kind):
    text = new(kind)
    assert text.lstrip().startswith("#") and text.count("#") >= 3
    spec = spec_from_text(text, f"new {kind}")
    trace = rnntrace.run(spec)
    assert len(trace) >= 3
    assert all(math.isfinite(v) for _, v in numbers_of(trace))
    # and through the command line, as the help says: rnntrace new lstm | rnntrace run -
    run = invoke("run", "-", "--format", "json", input=text)
    assert run.exit_code == 0, run.output


def test_starters_are_not_copies_of_the_examples():
    examples = {p.read_text(encoding="utf-8") for p in examples_dir().glob("*.yaml")}
    assert examples
    for kind in TYPES:
        assert new(kind) not in examples


def test_the_slot_filling_starter_does_what_its_comment_says():
    trace = rnntrace.run(spec_from_text(new("slot-filling")))
    slots = {step.token: step.layers["slot"].label for step in trace}
    assert slots == {"leave": "other", "Taipei": "origin", "arrive": "other", "Tokyo": "destination",
                     "on": "other", "November": "time", "2nd": "time"}
    # swapping the verbs swaps the cities' slots: the memory decides
    swapped = spec_from_text(new("slot-filling").replace(
        "inputs: leave Taipei arrive Tokyo", "inputs: arrive Taipei leave Tokyo"))
    slots = {step.token: step.layers["slot"].label for step in rnntrace.run(swapped)}
    assert slots["Taipei"] == "destination" and slots["Tokyo"] == "origin"


def test_type_names_are_forgiving_and_a_typo_names_the_close_one():
    assert new("slot_filling") == new("slot-filling") == new("Slot-Filling")
    result = invoke("new", "lsmt")
    assert result.exit_code == 2
    assert "unknown type 'lsmt'" in result.stderr and "did you mean 'lstm'" in result.stderr
    assert result.stdout == ""


# --------------------------------------------------------------------------- random exercises

@pytest.mark.parametrize("kind", TYPES)
def test_the_same_seed_gives_the_same_exercise_and_another_seed_another(kind):
    first = new(kind, "--random", "--seed", "11")
    assert new(kind, "--random", "--seed", "11") == first
    assert new(kind, "--seed", "11") == first                  # --seed implies --random
    others = {new(kind, "--random", "--seed", str(seed)) for seed in (12, 13, 14)}
    assert first not in others and len(others) == 3


@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("seed", range(25))
def test_random_exercises_are_integer_exact(kind, seed):
    text = new(kind, "--random", "--seed", str(seed))
    assert f"--seed {seed}" in text                            # the sheet says how to remake it
    spec = spec_from_text(text)
    for layer in spec.layers:                                  # small integer weights
        for name, value in layer.parameters().items():
            assert np.array_equal(value, np.round(value)) and np.abs(value).max() <= 10, name
    assert np.array_equal(spec.inputs, np.round(spec.inputs))
    trace = rnntrace.run(spec)
    for path, value in numbers_of(trace):
        assert float(value).is_integer(), (path, value)
        assert abs(value) < 1000, (path, value)               # small enough to do by hand
        if ".gates." in path and path.endswith(".a"):
            if "candidate" not in path and "cell_input" not in path:
                assert value in (0.0, 1.0), (path, value)       # saturated gates, exactly


def test_a_random_lstm_exercise_by_hand():
    """Redo one random LSTM exercise with the lecture's formulas, gate by gate."""
    spec = spec_from_text(new("lstm", "--seed", "5"))
    (layer,) = spec.layers
    assert layer.gate_activation == "hard_sigmoid"
    hard = lambda z: min(1.0, max(0.0, 0.2 * z + 0.5))  # noqa: E731
    c = 0.0
    for x, step in zip(spec.inputs, rnntrace.run(spec)):
        z = {name: float(block.W[0] @ x + block.b[0]) for name, block in layer.blocks.items()}
        assert all(abs(z[g]) in (5.0, 15.0, 25.0) for g in ("input_gate", "forget_gate", "output_gate"))
        c = z["cell_input"] * hard(z["input_gate"]) + c * hard(z["forget_gate"])
        h = c * hard(z["output_gate"])
        assert step.layers["lstm"].c[0] == c and step.y[0] == h


GATES = {"lstm": ("input_gate", "forget_gate", "output_gate"), "gru": ("reset_gate", "update_gate")}


def series(trace, path):
    """One unit's value of ``path`` (as the JSON names it) at every step."""
    return tuple(flatten(step_to_dict(step))[path][0] for step in trace)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_random_gate_exercises_vary_which_gate_opens_when(kind):
    """Over many seeds: in each exercise every gate is open at some step and shut at
    another, no two gates share their weights, and the patterns differ from seed to seed."""
    patterns = set()
    for seed in range(60):
        spec = spec_from_text(new(kind, "--seed", str(seed)))
        (layer,) = spec.layers
        trace = rnntrace.run(spec)
        opened = {g: series(trace, f"{kind}.gates.{g}.a") for g in GATES[kind]}
        for gate, pattern in opened.items():
            assert set(pattern) == {0.0, 1.0}, (seed, gate, pattern)        # exactly 0 or 1, both
        rows = [(tuple(layer.blocks[g].W[0]), float(layer.blocks[g].b[0])) for g in GATES[kind]]
        assert len({w for w, _ in rows}) == len(rows), (seed, rows)         # each gate its own W
        patterns.add(tuple(opened.values()))
        values = [float(v) for _, v in numbers_of(trace)]
        assert all(v.is_integer() for v in values)
        if kind == "lstm":                      # the cell is used: something shows in h
            assert any(series(trace, "lstm.h")), seed
        else:                                   # the memory is kept at a step where it holds something
            assert any(u == 1 and h for u, h in zip(opened["update_gate"], series(trace, "gru.h_prev"))), seed
    assert len(patterns) >= 40                  # of 60 seeds: the gates' timing varies


def test_the_output_gate_is_not_always_open():
    # the old generator kept o open at every step for some seeds (bias +5 on a control of 0 or 1)
    for seed in range(60):
        trace = rnntrace.run(spec_from_text(new("lstm", "--seed", str(seed))))
        assert 0.0 in series(trace, "lstm.gates.output_gate.a"), seed


def test_new_help_has_an_example():
    result = invoke("new", "--help")
    assert result.exit_code == 0 and "rnntrace new lstm" in result.stdout
