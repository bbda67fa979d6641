"""Follow-through (error carried forward): a quantity recomputed from a student's own
answers for what it reads, as a human grader gives credit for a later answer worked
correctly from an earlier wrong one.

A quantity's ``compute`` formula in its layer's description (docs/layers.md) names what
it reads: quantities computed earlier in the same step (a gate's activation reads its
z; the cell reads the gates), the memory read from the step before (``read`` names a
memory; the student's value is their answer for it at step t, else their answer for
what was ``written`` at step t−1), and the layer's input x (the layer below's output).
Each operand is the student's own value where they gave one (unit by unit, the exact
value for units they left out) and the exact value otherwise; the formula is then
evaluated by ``rnntrace.layers.formula.evaluate``. Nothing here knows a layer type.

Which of the student's values may stand in a recomputation is decided by the caller
(``rnntrace.grading.answers``): only answers to asked quantities, each graded itself. Here, a
memory read is always what the student wrote at the step before (their answer for the
memory read itself is never used) and the network's input x is always the spec's.

    the lecture's LSTM cell, the student's c at step 2 being 8 instead of 7:
    c at step 3 = 2·0 + 8·1 = 8 follows from "your lstm.c at step 2".
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, Mapping, Optional, Sequence, Tuple

import numpy as np

Mine = Mapping[Tuple[int, str], Mapping[int, float]]   # (step, path) → {unit: value}


def _reads(node: Any) -> Iterator[str]:
    """Every path a ``compute`` formula (or operand) reads."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _reads(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("op", "how", "function", "weight", "bias", "elementwise"):
                continue
            if key == "apply" and isinstance(value, str):
                continue
            yield from _reads(value)


class _Part:
    """One layer, or one direction of a bidirectional layer: its description and how
    its paths are written in an answers file."""

    def __init__(self, description: Mapping[str, Any], prefix: str, backward: bool, index: int):
        self.description = description
        self.prefix = prefix          # "lstm." or "birnn.forward."
        self.backward = backward      # memory comes from step t+1
        self.index = index            # the layer's place in the network
        self.by_path = {q["path"]: q for q in description.get("quantities", ())}
        self.memory = {m["read"]: m for m in description.get("memory", ())}


class FollowThrough:
    """Called as ``follow(mine, t, path)``: the quantity ``path`` at step ``t``
    recomputed from the student's values ``mine``, with the answers it used that differ
    from the exact values (``["your lstm.c at step 2"]``); None when the quantity is
    not computed from anything the student answered differently.

    What the formula reads is the student's value: their answer where they gave one
    (unit by unit); where they did not, it is itself recomputed from their values (an
    activation answered without its z still follows from their memory), down to the
    exact values where nothing of theirs is involved."""

    def __init__(self, spec, reference, descriptions: Optional[Sequence[Mapping[str, Any]]] = None):
        if descriptions is None:
            from ..layers import describe
            descriptions = [describe(layer) for layer in spec.layers]
        self.reference = reference
        self.names = [layer.name for layer in spec.layers]
        self.descriptions = list(descriptions)
        self.parts: Dict[str, _Part] = {}
        for i, (name, d) in enumerate(zip(self.names, self.descriptions)):
            self.parts[f"{name}."] = _Part(d, f"{name}.", False, i)
            for side in ("forward", "backward"):
                if isinstance(d.get(side), dict) and "quantities" in d[side]:
                    self.parts[f"{name}.{side}."] = _Part(d[side], f"{name}.{side}.", side == "backward", i)
        last = self.descriptions[-1]
        #: The step's output ``y`` is the last layer's output, under either name.
        self.output = f"{self.names[-1]}.{last['output']}"
        self._memo: Dict[Tuple[int, str], Any] = {}
        self._for: Any = None

    def canonical(self, path: str) -> str:
        """The one path of what ``path`` is by definition (``y`` is the last layer's output)."""
        return self.reference.canonical(path)

    def source(self, path: str) -> bool:
        """Whether the student's answer for ``path`` may stand in a recomputation: not
        an input x (the spec's own) and not a memory read (that is their earlier answer
        to what was written to it; docs/check.md, "Follow-through")."""
        if path == "x":
            return False
        found = self._locate(path)
        return found is None or found[1] not in found[0].memory

    # ------------------------------------------------------------------ values

    def _exact(self, t: int, path: str) -> Optional[np.ndarray]:
        values = self.reference.steps[t - 1].get("y" if path == self.output else path)
        if values is None or any(v is None for v in values):
            return None
        return np.asarray(values, dtype=np.float64)

    def _given(self, mine: Mine, t: int, path: str):
        """The student's answer for ``path`` at ``t`` (also as ``y`` for the output)."""
        given = mine.get((t, path))
        if not given and path == self.output:
            given = mine.get((t, "y"))
        return given

    def _locate(self, path: str) -> Optional[Tuple[_Part, str]]:
        best = None
        for prefix, part in self.parts.items():
            if path.startswith(prefix) and (best is None or len(prefix) > len(best[0].prefix)):
                best = (part, path[len(prefix):])
        return best

    def _value(self, mine: Mine, t: int, path: str):
        """(the student's value of ``path`` at step ``t``, the answers of theirs it rests
        on that differ from the exact values), or None where it cannot be known."""
        key = (t, path)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None                  # a formula never reads itself; be safe
        exact = self._exact(t, path)
        if exact is None:
            return None
        base = self._recompute(mine, t, path)
        value, used = (exact, frozenset()) if base is None else base
        given = self._given(mine, t, path) if self.source(path) else None
        if given:
            value = value.copy()
            for u, v in given.items():
                if 0 <= u < len(value):
                    value[u] = v
            if len(given) >= len(value):
                used = frozenset()              # wholly theirs: what it rested on no longer counts
            if any(0 <= u < len(exact) and v != exact[u] for u, v in given.items()):
                used = used | {f"your {'y' if (t, path) not in mine else path} at step {t}"}
        self._memo[key] = (value, used)
        return self._memo[key]

    def _recompute(self, mine: Mine, t: int, path: str):
        """``path`` at step ``t`` from the student's values of what it reads, or None
        when it reads nothing (an input x) or cannot be recomputed."""
        if path == "x":
            return None
        found = self._locate(path)
        if found is None:
            return None
        part, rest = found
        before = t + 1 if part.backward else t - 1
        if rest in part.memory:
            # A memory read is what was written at the step before (the start: exact).
            if not 1 <= before <= len(self.reference):
                return None
            return self._value(mine, before, part.prefix + part.memory[rest]["written"])
        quantity = part.by_path.get(rest)
        if quantity is None or "compute" not in quantity:
            return None
        values: Dict[str, np.ndarray] = {}
        used: frozenset = frozenset()
        for name in dict.fromkeys(_reads(quantity["compute"])):
            if name == "x":
                continue
            got = self._value(mine, t, part.prefix + name)
            if got is None:
                return None
            values[name], used = got[0], used | got[1]
        if part.index == 0:
            x = self._value(mine, t, "x")
        else:
            x = self._value(mine, t, f"{self.names[part.index - 1]}.{self.descriptions[part.index - 1]['output']}")
        if x is None:
            return None
        used = used | x[1]
        if not used:
            return None                         # nothing of theirs: the exact value
        from ..layers.formula import evaluate
        description = part.description
        if "parameters" not in description:
            description = dict(description, parameters={})
        with np.errstate(all="ignore"):
            result = np.asarray(evaluate(description, rest, values, x[0]), dtype=np.float64)
        if not np.all(np.isfinite(result)):
            return None
        return result, used

    def _warm(self, mine: Mine, t: int) -> None:
        """Works out the memories step by step up to ``t`` (down to it, for a backward
        direction), so that a memory read at step 1000 does not recurse through 999
        steps at once."""
        steps = [s for s, _ in mine]
        if not steps:
            return
        first, last = min(steps), max(steps)
        for part in self.parts.values():
            if not part.memory:
                continue
            order = range(last, t, -1) if part.backward else range(first, t)
            for s in order:
                for m in part.memory.values():
                    self._value(mine, s, part.prefix + m["written"])

    def __call__(self, mine: Mine, t: int, path: str):
        if self._for is not mine:               # a new file: forget the last one's values
            self._memo, self._for = {}, mine
        if path == "y":
            path = self.output
        try:
            self._warm(mine, t)
            found = self._recompute(mine, t, path)
        except RecursionError:                  # a network deeper than any exercise
            return None
        if found is None:
            return None
        value, used = found
        return tuple(value.tolist()), sorted(used, key=_step_order)


def _step_order(source: str):
    """"your lstm.c at step 2" sorts by its step, then by name."""
    name, _, step = source.rpartition(" at step ")
    return (int(step) if step.isdigit() else 0, name)
