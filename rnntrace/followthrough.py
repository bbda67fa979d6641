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

    c = g·i + c_prev·f, the student's c at step 2 being 8 instead of 7:
    c at step 3 = 2·0 + 8·1 = 8 follows from "your lstm.c at step 2".
"""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

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
    not computed from anything the student answered differently."""

    def __init__(self, spec, reference, descriptions: Optional[Sequence[Mapping[str, Any]]] = None):
        if descriptions is None:
            from .layers import describe
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

    # ------------------------------------------------------------------ values

    def _same(self, path: str) -> Tuple[str, ...]:
        if path == "y":
            return ("y", self.output)
        return (path, "y") if path == self.output else (path,)

    def _exact(self, t: int, path: str) -> Optional[np.ndarray]:
        values = self.reference.steps[t - 1].get("y" if path == self.output else path)
        if values is None or any(v is None for v in values):
            return None
        return np.asarray(values, dtype=np.float64)

    def _value(self, mine: Mine, t: int, path: str, used: List[str],
               written: Optional[Tuple[int, str]] = None) -> Optional[np.ndarray]:
        """The student's value of ``path`` at step ``t`` where given, unit by unit over
        the exact one; for a memory read, their value of what was written the step
        before (``written``) when they did not answer the read itself."""
        exact = self._exact(t, path)
        if exact is None:
            return None
        places = [(t, p) for p in self._same(path)]
        if written is not None and written[0] >= 1 and written[0] <= len(self.reference):
            places += [(written[0], p) for p in self._same(written[1])]
        for step, p in places:
            given = mine.get((step, p))
            if not given:
                continue
            value = exact.copy()
            for u, v in given.items():
                if 0 <= u < len(value):
                    value[u] = v
            if not np.array_equal(value, exact):
                used.append(f"your {p} at step {step}")
            return value
        return exact

    # ------------------------------------------------------------------ the recomputation

    def _locate(self, path: str) -> Optional[Tuple[_Part, str]]:
        if path == "y":
            path = self.output
        best = None
        for prefix, part in self.parts.items():
            if path.startswith(prefix) and (best is None or len(prefix) > len(best[0].prefix)):
                best = (part, path[len(prefix):])
        return best

    def _input(self, part: _Part, mine: Mine, t: int, used: List[str]) -> Optional[np.ndarray]:
        if part.index == 0:
            return self._value(mine, t, "x", used)
        below = self.names[part.index - 1]
        return self._value(mine, t, f"{below}.{self.descriptions[part.index - 1]['output']}", used)

    def __call__(self, mine: Mine, t: int, path: str):
        found = self._locate(path)
        if found is None:
            return None
        part, rest = found
        before = t + 1 if part.backward else t - 1
        if rest in part.memory:
            # A memory read is what the student wrote at the step before.
            if not 1 <= before <= len(self.reference):
                return None
            used: List[str] = []
            value = self._value(mine, before, part.prefix + part.memory[rest]["written"], used)
            return None if value is None or not used else (tuple(value.tolist()), used)
        quantity = part.by_path.get(rest)
        if quantity is None or "compute" not in quantity:
            return None
        used = []
        values: Dict[str, np.ndarray] = {}
        for name in dict.fromkeys(_reads(quantity["compute"])):
            if name == "x":
                continue
            if name in part.memory:
                value = self._value(mine, t, part.prefix + name, used,
                                    written=(before, part.prefix + part.memory[name]["written"]))
            else:
                value = self._value(mine, t, part.prefix + name, used)
            if value is None:
                return None
            values[name] = value
        x = self._input(part, mine, t, used)
        if x is None or not used:
            return None
        from .layers.formula import evaluate
        description = part.description
        if "parameters" not in description:
            description = dict(description, parameters={})
        with np.errstate(all="ignore"):
            result = evaluate(description, rest, values, x)
        result = np.asarray(result, dtype=np.float64)
        return tuple(v if np.isfinite(v) else None for v in result.tolist()), list(dict.fromkeys(used))
