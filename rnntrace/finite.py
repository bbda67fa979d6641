"""Where a run stops being finite.

float64 holds numbers up to about 1.8e308. A linear layer with large weights can go
past that: W·x overflows to ±inf, and inf − inf (in a softmax, or a later step) gives
NaN. The engine computes on regardless; the trace keeps the values as they are, the
JSON trace writes each non-finite entry as ``null`` (strict JSON has no inf or NaN),
and the tables show ``inf``, ``-inf`` or ``nan``. :class:`Watch` finds, for every layer,
the first step and quantity that is not finite, so the command line can say so.

Checking every value of every step would cost time on long sequences, so the watch
lets numpy tell it instead: while it is active, numpy's floating-point error handler
("overflow", "invalid value", "divide by zero") only raises a flag, and a step is
searched value by value only when the flag was raised while it was computed. Finite
inputs can only become non-finite through one of those three events; once any value
has gone non-finite, every later step is searched (an inf can travel on without
raising a new flag).
"""
from __future__ import annotations

import math
from collections import namedtuple
from typing import Dict, Iterable, Iterator, List, Mapping, Tuple

import numpy as np

from .records import is_record, names


RANGES = {"float64": "1.8e308", "float32": "3.4e38"}


class NonFinite(namedtuple("NonFinite", "t layer quantity value dtype", defaults=("float64",))):
    """The first value of a layer that is not finite: step ``t`` (from 1), the ``layer``,
    the ``quantity`` path as answers files write it ("big.z", "lstm.gates.<block>.a"), the
    ``value`` (inf, -inf or nan) and the ``dtype`` the run computed in (float32 ends at
    about ±3.4e38). (A namedtuple: a frozen dataclass compiles six methods when the module
    is imported, on every run's start-up.)"""

    __slots__ = ()

    @property
    def value_text(self) -> str:
        return "NaN" if math.isnan(self.value) else ("+inf" if self.value > 0 else "-inf")

    def message(self) -> str:
        why = ("undefined, such as inf − inf or 0·inf" if math.isnan(self.value)
               else f"beyond the {self.dtype} range of ±{RANGES.get(self.dtype, '1.8e308')}")
        return (f"step {self.t}, layer '{self.layer}': {self.quantity} = {self.value_text} ({why}); "
                "values that are not finite are null in JSON")


def scan_record(prefix: str, record) -> Iterator[Tuple[str, float]]:
    """(quantity path, first non-finite entry) for each non-finite array of a record;
    a float32 entry stays a float32."""
    for name in names(record):
        value = getattr(record, name)
        path = f"{prefix}.{name}"
        if isinstance(value, np.ndarray):
            if value.dtype.kind == "f" and not np.isfinite(value).all():
                yield path, value[~np.isfinite(value)].flat[0]
        elif isinstance(value, Mapping):      # gates: name → Gate(z, a)
            for gate, item in value.items():
                yield from scan_record(f"{path}.{gate}", item)
        elif is_record(value):   # a bidirectional layer's directions
            yield from scan_record(path, value)


def scan_step(step) -> List[NonFinite]:
    """Every layer of ``step`` holding a value that is not finite, with the first such value."""
    found = []
    for layer, record in step.layers.items():
        for quantity, value in scan_record(layer, record):
            found.append(NonFinite(step.t, layer, quantity, float(value), np.asarray(value).dtype.name))
            break
    return found


class Watch:
    """Passes steps through and notes each layer's first value that is not finite.

        watch = Watch()
        for step in watch.steps(engine.iter_steps(spec)):
            ...
        for problem in watch.found: ...

    While the steps are being read, numpy's floating-point warnings are replaced by the
    flag described in the module doc, so they never reach the terminal.
    """

    def __init__(self):
        self.first: Dict[str, NonFinite] = {}
        self._flag = False

    @property
    def found(self) -> List[NonFinite]:
        return sorted(self.first.values(), key=lambda p: p.t)

    def _raise_flag(self, kind, flag) -> None:
        self._flag = True

    def check(self, step) -> None:
        """Search ``step`` if a flag was raised while it was computed (or ever before)."""
        if self._flag or self.first:
            self._flag = False
            for problem in scan_step(step):
                self.first.setdefault(problem.layer, problem)

    def steps(self, steps: Iterable) -> Iterator:
        saved = np.seterrcall(self._raise_flag)
        try:
            with np.errstate(over="call", invalid="call", divide="call", under="ignore"):
                for step in steps:
                    self.check(step)
                    yield step
        finally:
            np.seterrcall(saved)

    def run(self, spec):
        """Like ``engine.run(spec)``, watched."""
        from . import engine
        from .trace import Trace
        return Trace(spec, list(self.steps(engine.iter_steps(spec))))
