"""Random exercises for ``rnntrace new TYPE --random --seed N``.

Every exercise keeps the hand arithmetic exact: weights, biases and inputs are
small integers, and every activation maps integers to integers:

- elman, jordan, bidirectional and slot filling use ReLU (or linear) units, so each
  z, h and y is a whole number;
- lstm and gru gates use ``hard_sigmoid`` (clip(0.2·z + 0.5, 0, 1)) on two control
  inputs a, b ∈ {−1, 0, 1}, each gate with its own weights w_a, w_b ∈ {−10, 0, 10} and a
  bias of ±5: every gate input is ±5, ±15 or ±25, far enough from 0 that the gate is
  exactly 0 or exactly 1; the cell input and the GRU candidate are linear, so cells and
  outputs are whole numbers too.

Which gate opens when is drawn afresh for each exercise: the draw is repeated until
each gate is open at some step and shut at another, no two gates have the same
weights, and what the gates do shows in the numbers (an LSTM stores a value, ignores
one, forgets a stored one and shows one; a GRU keeps its memory at one step, takes the
candidate at another, and its reset gate cuts a memory that is not 0).

So every number of the trace of a random exercise is a whole number. The same seed
gives the same exercise (numpy's ``default_rng(seed)``).
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

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


#: How often a draw may be repeated before the exercise is taken as it is (never
#: reached in practice: a few draws suffice).
DRAWS = 10_000


def _gate_weights(rng) -> Tuple[Tuple[int, int], int]:
    """A saturated hard-sigmoid gate on the control inputs (a, b): weights from
    {−10, 0, 10}, not both 0, and a bias of ±5, so z = w_a·a + w_b·b ± 5 is one of ±5,
    ±15, ±25 and the gate is exactly 0 or 1."""
    while True:
        w = tuple(int(v) for v in rng.choice([-10, 0, 10], size=2))
        if any(w):
            return w, 5 * int(rng.choice([-1, 1]))


def _is_open(gate, controls: np.ndarray) -> np.ndarray:
    """Per step, 1 where the gate is open: z > 0 (then z ≥ 5 and hard_sigmoid(z) = 1)."""
    (wa, wb), b = gate
    return (controls @ np.array([wa, wb]) + b > 0).astype(int)


def _changes(pattern: np.ndarray) -> bool:
    return bool(pattern.any() and not pattern.all())


def _gate_text(gate) -> str:
    (wa, wb), b = gate
    return f"{{W: {_row([0, wa, wb])}, b: {b}}}"


def elman(rng) -> List[str]:
    xs = _ints(rng, -2, 3, (STEPS, 2))
    return (["title: Elman exercise"] + _inputs_block(xs) + ["layers:", "  - name: hidden"]
            + _elman_lines(rng, 2, 2)
            + ["  - name: output", "    type: dense", "    size: 1", "    activation: linear",
               f"    W: {_row(_ints(rng, -1, 2, 2))}", f"    b: {int(_ints(rng, -1, 1, 1)[0])}"])


def indrnn(rng) -> List[str]:
    """An IndRNN with ReLU: each unit reads only its own last value, h = relu(W·x + u∘h_prev + b)."""
    xs = _ints(rng, -2, 3, (STEPS, 2))
    W, u, b = _ints(rng, -2, 2, (2, 2)), _ints(rng, -1, 1, 2), _ints(rng, -1, 1, 2)
    return (["title: IndRNN exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: hidden", "    type: indrnn", "    size: 2", "    activation: relu",
        f"    W: {_matrix(W, 8)}", f"    u: {_row(u)}", f"    b: {_row(b)}"])


def jordan(rng) -> List[str]:
    xs = _ints(rng, -2, 3, (STEPS, 2))
    W, U, b = _ints(rng, -2, 2, (2, 2)), _ints(rng, -1, 1, (2, 1)), _ints(rng, -1, 1, 2)
    return (["title: Jordan exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: jordan", "    type: jordan", "    size: 2", "    activation: relu",
        f"    W: {_matrix(W, 8)}", f"    U: {_matrix(U, 8)}", f"    b: {_row(b)}",
        "    output:", "      size: 1", "      activation: linear",
        f"      W: {_row(_ints(rng, -1, 2, 2))}", f"      b: {int(_ints(rng, -1, 1, 1)[0])}"])


def lstm(rng) -> List[str]:
    # x = [value, a, b]: the value to store, and two controls the gates read.
    for _ in range(DRAWS):
        values = _ints(rng, -3, 5, STEPS)
        controls = _ints(rng, -1, 1, (STEPS, 2))
        w = int(rng.choice([1, 2, -1]))
        gates = [_gate_weights(rng) for _ in range(3)]           # input, forget, output
        i, f, o = (_is_open(gate, controls) for gate in gates)
        c, cells, outputs = 0, [], []
        for t in range(STEPS):                                   # c = g·i + c_prev·f, h = c·o
            c = w * int(values[t]) * i[t] + c * f[t]
            cells.append(c)
            outputs.append(c * o[t])
        before = [0] + cells[:-1]
        stores = any(i[t] and values[t] for t in range(STEPS))
        ignores = any(not i[t] and values[t] for t in range(STEPS))
        forgets = any(not f[t] and before[t] for t in range(STEPS))
        if (all(_changes(p) for p in (i, f, o)) and len({g[0] for g in gates}) == 3
                and stores and ignores and forgets and any(outputs) and all(values)):
            break
    xs = np.column_stack([values, controls])
    return (["title: LSTM exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: lstm", "    type: lstm", "    size: 1",
        "    activation: linear         # g", "    cell_activation: linear    # h",
        "    gate_activation: hard_sigmoid   # clip(0.2·z + 0.5, 0, 1): exactly 0 or 1 here",
        f"    cell_input:  {{W: {_row([w, 0, 0])}, b: 0}}",
        f"    input_gate:  {_gate_text(gates[0])}",
        f"    forget_gate: {_gate_text(gates[1])}",
        f"    output_gate: {_gate_text(gates[2])}"])


def gru(rng) -> List[str]:
    # x = [value, a, b]; u = 1 keeps h, u = 0 takes the candidate; r = 0 cuts U·h_prev.
    for _ in range(DRAWS):
        values = _ints(rng, -3, 4, STEPS)
        controls = _ints(rng, -1, 1, (STEPS, 2))
        wn, un, bn = int(rng.choice([1, 2, -1])), int(rng.choice([1, -1, 2])), int(_ints(rng, -1, 1, 1)[0])
        gates = [_gate_weights(rng) for _ in range(2)]           # reset, update
        r, u = (_is_open(gate, controls) for gate in gates)
        h, before = 0, []
        for t in range(STEPS):                                   # n = W_n·x + b + r·U·h_prev
            before.append(h)
            n = wn * int(values[t]) + bn + r[t] * un * h
            h = (1 - u[t]) * n + u[t] * h
        keeps = any(u[t] and before[t] for t in range(STEPS))
        cuts = any(not r[t] and not u[t] and before[t] for t in range(STEPS))
        if all(_changes(p) for p in (r, u)) and gates[0][0] != gates[1][0] and keeps and cuts and h:
            break
    xs = np.column_stack([values, controls])
    return (["title: GRU exercise"] + _inputs_block(xs) + [
        "layers:", "  - name: gru", "    type: gru", "    size: 1",
        "    activation: linear         # on the candidate n",
        "    gate_activation: hard_sigmoid   # clip(0.2·z + 0.5, 0, 1): exactly 0 or 1 here",
        f"    reset_gate:  {_gate_text(gates[0])}",
        f"    update_gate: {_gate_text(gates[1])}",
        f"    candidate:   {{W: {_row([wn, 0, 0])}, U: {un}, b: {bn}}}"])


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


_MAKERS = {"elman": elman, "jordan": jordan, "lstm": lstm, "gru": gru, "indrnn": indrnn, "bidirectional": bidirectional,
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
