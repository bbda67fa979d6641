"""Random exercises for ``rnntrace new TYPE --random --seed N``.

Every exercise keeps the hand arithmetic exact: weights, biases and inputs are
small integers, and every activation maps integers to integers:

- elman, jordan, bidirectional and slot filling use ReLU (or linear) units, so each
  z, h and y is a whole number;
- lstm and gru gates use ``hard_sigmoid`` (clip(0.2·z + 0.5, 0, 1)) with the lecture's
  kind of weights, ±10 on a control input and a bias of ±5: every gate input is ±5 or
  ±15, far enough from 0 that the gate is exactly 0 or exactly 1; the cell input and
  the GRU candidate are linear, so cells and outputs are whole numbers too.

So every number of the trace of a random exercise is a whole number. The same seed
gives the same exercise (numpy's ``default_rng(seed)``).
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np

from . import starter_type

STEPS = 4
SLOT_WORDS = ("arrive", "leave", "Taipei", "on", "November", "2nd")


def _row(values: Sequence[int]) -> str:
    return "[" + ", ".join(f"{int(v):d}" for v in values) + "]"


def _matrix(m: np.ndarray, indent: int) -> str:
    """A matrix as a flow list, one row per line, aligned under the first."""
    rows = [_row(r) for r in m]
    pad = " " * indent
    return "[" + (",\n" + pad).join(rows) + "]"


def _ints(rng: np.random.Generator, low: int, high: int, shape) -> np.ndarray:
    """Integers from low to high inclusive."""
    return rng.integers(low, high + 1, size=shape)


def _header(kind: str, seed: int, task: str) -> List[str]:
    return [f"# Exercise: rnntrace new {kind} --random --seed {seed}",
            "# Small integer weights and inputs; every number of the run is a whole number,",
            "# so it can all be done by hand.",
            f"# {task}",
            "# Then compare: rnntrace check this.yaml my_answers.yaml   (the key: rnntrace answers this.yaml)"]


def _inputs_block(xs: np.ndarray) -> List[str]:
    return ["inputs:"] + [f"  - {_row(x)}" for x in xs]


def _elman_lines(rng, size: int, size_in: int, indent: str = "    ") -> List[str]:
    """The keys of a ReLU Elman layer (its name is the caller's)."""
    W = _ints(rng, -2, 2, (size, size_in))
    U = _ints(rng, -1, 1, (size, size))
    b = _ints(rng, -1, 1, size)
    col = len(indent) + 4
    return [f"{indent}type: elman", f"{indent}size: {size}", f"{indent}activation: relu",
            f"{indent}W: {_matrix(W, col)}", f"{indent}U: {_matrix(U, col)}", f"{indent}b: {_row(b)}"]


def _gate(rng, control: int, size_in: int) -> str:
    """A saturated hard-sigmoid gate on one control input x_k ∈ {−1, 0, 1}:
    z = 10·x_k ± 5 is one of ±5, ±15, so the gate is exactly 0 or 1."""
    W = np.zeros(size_in, dtype=int)
    W[control] = 10
    sign = rng.choice([-1, 1])
    return f"{{W: {_row(W)}, b: {5 * int(sign)}}}"


def elman(rng) -> List[str]:
    xs = _ints(rng, -2, 3, (STEPS, 2))
    return (["title: Elman exercise"] + _inputs_block(xs) + ["layers:", "  - name: hidden"]
            + _elman_lines(rng, 2, 2)
            + ["  - name: output", "    type: dense", "    size: 1", "    activation: linear",
               f"    W: {_row(_ints(rng, -1, 2, 2))}", f"    b: {int(_ints(rng, -1, 1, 1)[0])}"])


def jordan(rng) -> List[str]:
    xs = _ints(rng, -2, 3, (STEPS, 2))
    W, U, b = _ints(rng, -2, 2, (2, 2)), _ints(rng, -1, 1, (2, 1)), _ints(rng, -1, 1, 2)
    return (["title: Jordan exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: jordan", "    type: jordan", "    size: 2", "    activation: relu",
        f"    W: {_matrix(W, 8)}", f"    U: {_matrix(U, 8)}", f"    b: {_row(b)}",
        "    output:", "      size: 1", "      activation: linear",
        f"      W: {_row(_ints(rng, -1, 2, 2))}", f"      b: {int(_ints(rng, -1, 1, 1)[0])}"])


def lstm(rng) -> List[str]:
    # x = [value, write, read]: write ∈ {−1, 0, 1}, read ∈ {0, 1}, as in the lecture.
    xs = np.column_stack([_ints(rng, -3, 5, STEPS), _ints(rng, -1, 1, STEPS), _ints(rng, 0, 1, STEPS)])
    xs[0, 1], xs[-1, 2] = 1, 1          # something is written at step 1 and read at the end
    w = int(rng.choice([1, 2, -1]))
    return (["title: LSTM exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: lstm", "    type: lstm", "    size: 1",
        "    activation: linear         # g", "    cell_activation: linear    # h",
        "    gate_activation: hard_sigmoid   # clip(0.2·z + 0.5, 0, 1): exactly 0 or 1 here",
        f"    cell_input:  {{W: {_row([w, 0, 0])}, b: 0}}",
        f"    input_gate:  {_gate(rng, 1, 3)}",
        f"    forget_gate: {_gate(rng, 1, 3)}",
        f"    output_gate: {_gate(rng, 2, 3)}"])


def gru(rng) -> List[str]:
    # x = [value, reset control, update control]; u = 1 keeps h, u = 0 takes the candidate.
    xs = np.column_stack([_ints(rng, -3, 4, STEPS), _ints(rng, -1, 1, STEPS), _ints(rng, -1, 1, STEPS)])
    wn, un = int(rng.choice([1, 2, -1])), int(rng.choice([1, -1, 2]))
    return (["title: GRU exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: gru", "    type: gru", "    size: 1",
        "    activation: linear         # on the candidate n",
        "    gate_activation: hard_sigmoid   # clip(0.2·z + 0.5, 0, 1): exactly 0 or 1 here",
        f"    reset_gate:  {_gate(rng, 1, 3)}",
        f"    update_gate: {_gate(rng, 2, 3)}",
        f"    candidate:   {{W: {_row([wn, 0, 0])}, U: {un}, b: {int(_ints(rng, -1, 1, 1)[0])}}}"])


def bidirectional(rng) -> List[str]:
    xs = _ints(rng, -2, 3, (STEPS, 2))
    return (["title: Bidirectional exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: bi", "    type: bidirectional", "    merge: concat", "    forward:"]
            + _elman_lines(rng, 1, 2, "      ") + ["    backward:"] + _elman_lines(rng, 1, 2, "      "))


def slot_filling(rng) -> List[str]:
    n = len(SLOT_WORDS) + 1
    sentence = " ".join(rng.choice(SLOT_WORDS, size=STEPS + 1))
    return (["title: Slot filling exercise", "lexicon:", f"  words: [{', '.join(SLOT_WORDS)}]",
             "  other: true", f"inputs: {sentence}", "layers:", "  - name: hidden"]
            + _elman_lines(rng, 2, n)
            + ["  - name: slot", "    type: dense", "    size: 3",
               "    activation: linear         # scores; the largest names the slot",
               "    labels: [destination, time, other]",
               f"    W: {_matrix(_ints(rng, -1, 2, (3, 2)), 8)}", f"    b: {_row(_ints(rng, -1, 1, 3))}"])


_MAKERS = {"elman": elman, "jordan": jordan, "lstm": lstm, "gru": gru, "bidirectional": bidirectional,
           "slot-filling": slot_filling}
_TASKS = {"lstm": "Compute, at each step, the gates, the cell c and the output h.",
          "gru": "Compute, at each step, the reset and update gates, the candidate and h.",
          "slot-filling": "Compute, for each word, the hidden values h and the slot scores y."}


def exercise(name: str, seed: int) -> str:
    """A random exercise of type ``name`` as a commented spec (YAML text)."""
    kind = starter_type(name)
    rng = np.random.default_rng(seed)
    task = _TASKS.get(kind, "Compute, at each step, every z, the hidden values and the output.")
    return "\n".join(_header(kind, seed, task) + _MAKERS[kind](rng)) + "\n"
