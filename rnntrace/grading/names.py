"""The one vocabulary of names (docs/check.md, "Names"): every name a view prints for a
quantity, resolved to its path in the trace.

Built from the layers' descriptions (``rnntrace.layers.describe``), so that a layer
type's names come from its home alone. A quantity is called, besides its path
(``lstm.gates.<block>.a``):

- any end of its path (``<block>.a``, ``a``);
- its symbol as the views print it (``σ(z_f)``, ``z_f``, ``g(z)``; both
  sides of ``h = relu(z)``; ``h`` of ``h (concat)``);
- its short names (``f``, ``g``) and the lecture's words (``forget gate``, ``cell``,
  ``output``, ``memory read``) from the description;
- each of these after the layer's name (``lstm.f``, ``lstm.forget gate``) and, in a
  bidirectional layer, after the direction (``forward.h``, ``→ h``, ``h→``);
- ``y`` and ``out``: the network's output, which is the last layer's output by
  definition (``lstm.h`` in a one-layer LSTM).

A name that stands for quantities that are not the same value by definition is
ambiguous: the error lists them. Words are compared without regard to case.
"""
from __future__ import annotations

import re
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import close_name

#: The network's output, whatever its last layer is called.
OUTPUT_ALIASES = ("y", "out")
_ARROWS = {"forward": "→", "backward": "←"}
_SUFFIX = re.compile(r"\s+\([^()]*\)$")          # "h (concat)" → "h"


class Unknown(ValueError):
    """A name that stands for no quantity, or for several: the message to show, and
    the close name (``hint``) or the candidates."""

    def __init__(self, message: str, hint: Optional[str] = None, candidates: Sequence[str] = ()):
        super().__init__(message)
        self.hint = hint
        self.candidates = tuple(candidates)


def _label_names(label: str) -> List[str]:
    """``h = relu(z)`` → ``h = relu(z)``, ``h``, ``relu(z)``; ``h (concat)`` → also ``h``."""
    names = [label]
    bare = _SUFFIX.sub("", label)
    names.append(bare)
    names += [side.strip() for side in bare.split(" = ")]
    return [n for n in dict.fromkeys(names) if n]


def _ends(path: str) -> List[str]:
    parts = path.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


class Vocabulary:
    """name → the paths it stands for, and each path's printed names."""

    def __init__(self, quantities: Sequence[str], layers: Sequence[Tuple[str, Mapping]],
                 label_paths: Sequence[str] = ()):
        self.quantities = tuple(quantities)
        known = set(quantities) | set(label_paths)
        self._exact = known
        # Two tiers: the names views print (labels, short names, words, aliases) first,
        # then any end of a path (``z`` is the LSTM's cell input z as printed, not any
        # gate's ….z; in a GRU, where no z is printed, it is each gate's z: ambiguous).
        self._printed_names: Dict[str, List[str]] = {}
        self._ends: Dict[str, List[str]] = {}
        self.printed: Dict[str, List[str]] = {}      # path → the names views print for it
        self.same: Dict[str, str] = {}               # path → the path it equals by definition
        for path in list(quantities) + list(label_paths):
            for end in _ends(path):
                self._add(end, path, self._ends)
        for layer, description in layers:
            parts = [("", description)] + [(side + ".", description[side]) for side in _ARROWS
                                           if isinstance(description.get(side), Mapping)
                                           and "quantities" in description[side]]
            for prefix, part in parts:
                for row in part.get("quantities", ()):
                    path = f"{layer}.{prefix}{row['path']}"
                    if path not in known:
                        continue
                    own = _label_names(row.get("label", ""))
                    printed = list(own) + list(row.get("short", ())) + list(row.get("words", ()))
                    self.printed[path] = [path, *printed]
                    names = printed
                    if prefix:
                        # a direction's names are said with the direction (forward.h, → h);
                        # alone, they are of both directions (ambiguous) unless nothing
                        # else is called so
                        for name in printed:
                            self._add(name, path, self._ends)
                        arrow = _ARROWS[prefix[:-1]]
                        names = [f"{prefix}{n}" for n in printed] + [f"{arrow} {n}" for n in own] + \
                            [f"{n}{arrow}" for n in own]
                    for name in names:
                        self._add(name, path, self._printed_names)
                        self._add(f"{layer}.{name}", path, self._printed_names)
        if layers:
            last, description = layers[-1]
            output = f"{last}.{description.get('output', '')}"
            if "y" in known and output in known:
                self.same["y"] = output
                self.same[output] = output
                for alias in OUTPUT_ALIASES:
                    self._add(alias, "y", self._printed_names)
                self.printed.setdefault("y", ["y"]).extend(a for a in OUTPUT_ALIASES if a != "y")
        self._folded: Dict[str, List[str]] = {}
        for name, paths in self._printed_names.items():
            slot = self._folded.setdefault(_fold(name), [])
            slot.extend(p for p in paths if p not in slot)
        self._names = dict(self._ends)
        self._names.update(self._printed_names)

    @staticmethod
    def _add(name: str, path: str, table: Dict[str, List[str]]) -> None:
        slot = table.setdefault(name, [])
        if path not in slot:
            slot.append(path)

    @classmethod
    def of(cls, reference) -> "Vocabulary":
        """The vocabulary of a :class:`rnntrace.grading.answers.Reference` (its trace's spec)."""
        spec = getattr(getattr(reference, "trace", None), "spec", None)
        layers = []
        if spec is not None:
            from ..layers import describe
            layers = [(layer.name, describe(layer)) for layer in spec.layers]
        return cls(reference.quantities, layers, reference.label_paths)

    def canonical(self, path: str) -> str:
        """The one path of the values ``path`` is by definition (``y`` → ``lstm.h``)."""
        return self.same.get(path, path)

    @property
    def names(self) -> Tuple[str, ...]:
        return tuple(self._names)

    def candidates(self, name: str) -> List[str]:
        """Every path ``name`` stands for (for ``--ask``, where ``h`` asks every ``h``)."""
        found = self._printed_names.get(name) or self._ends.get(name) or self._folded.get(_fold(name), [])
        return list(found)

    def resolve(self, name: str) -> str:
        """The path ``name`` stands for; :class:`Unknown` when none or several."""
        if name in self._exact:
            return name                       # a path is itself, whatever else ends so
        found = self.candidates(name)
        if not found:
            raise Unknown(f"unknown quantity {_quoted(name)}", self.suggest(name))
        distinct = list(dict.fromkeys(self.canonical(p) for p in found))
        if len(distinct) > 1:
            shown = [p for p in found if p != "y" or self.canonical(p) == p]
            raise Unknown(f"the quantity {_quoted(name)} could be any of {', '.join(shown)}: "
                          "write the one you mean", candidates=shown)
        if name.strip() in OUTPUT_ALIASES and "y" in found:
            return "y"
        return next((p for p in found if p != "y"), found[0])

    def suggest(self, name: str) -> Optional[str]:
        """The name a misspelt one most likely meant, as its path when it stands for one."""
        if not isinstance(name, str):
            return None
        hint = close_name(name, self._names)
        if hint is None and "." in name:
            head, _, last = name.rpartition(".")
            tail = close_name(last, [n.rpartition(".")[2] for n in self._names if n.rpartition(".")[0] == head])
            hint = f"{head}.{tail}" if tail is not None else None
        if hint is None:
            return None
        paths = self.candidates(hint)
        distinct = {self.canonical(p) for p in paths}
        return paths[0] if len(distinct) == 1 and paths[0] != "y" else hint


def _quoted(name: str) -> str:
    from ..errors import quoted
    return quoted(name)
