"""Which steps and layers a view shows.

Steps are written ``3``, ``2:4``, ``2:`` (to the end), ``:4`` (from the first) or a list
such as ``1,3:4``; they count from 1 and a range includes both ends. Reading that text
(:meth:`StepChoice.parse`) needs nothing else; which steps exist is known only once the
spec is read (:meth:`StepChoice.within`). A problem is a :class:`~rnntrace.errors.BadValue`
about the value alone: the caller names where it came from.
"""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence, Tuple

from ..errors import BadValue, close_name

_FORMS = "a step such as 3, a range such as 2:4, or a list such as 1,3:4"


class StepChoice(NamedTuple):
    """Steps as written: (first, last) ranges, both ends included, None for an open end."""

    ranges: Tuple[Tuple[Optional[int], Optional[int]], ...]

    @classmethod
    def parse(cls, text: str) -> "StepChoice":
        """``"3"`` → ((3, 3),); ``"2:"`` → ((2, None),); ``"1,3:4"`` → ((1, 1), (3, 4))."""
        ranges = []
        for part in str(text).split(","):
            part = part.strip()
            try:
                if ":" in part:
                    first, _, last = part.partition(":")
                    ranges.append((int(first) if first.strip() else None, int(last) if last.strip() else None))
                else:
                    ranges.append((int(part), int(part)))
            except ValueError:
                raise BadValue(f"expected {_FORMS}; found {part!r}") from None
        return cls(tuple(ranges))

    def within(self, total: int) -> List[int]:
        """The steps chosen of a sequence of ``total`` steps, in order, each once."""
        chosen = set()
        for first, last in self.ranges:
            start = 1 if first is None else first
            stop = total if last is None else last
            for t in (start, stop):
                if not 1 <= t <= total:
                    raise BadValue(f"there is no step {t}; the sequence has "
                                   f"{total} step{'s' if total != 1 else ''} (1 to {total})")
            if start > stop:
                raise BadValue(f"the range {start}:{stop} runs backwards")
            chosen.update(range(start, stop + 1))
        return sorted(chosen)


def parse_steps(text: Optional[str], total: int) -> Optional[List[int]]:
    """``"3"`` → [3]; ``"2:4"`` → [2, 3, 4]; ``"2:"`` → 2 … total; ``":4"`` → 1 … 4;
    ``"1,3:4"`` → [1, 3, 4]; None (no choice) → None."""
    return None if text is None else StepChoice.parse(text).within(total)


def check_layers(spec, names: Sequence[str]) -> Optional[List[str]]:
    """The chosen layer names, checked against the spec, in the spec's order; None
    when none were chosen."""
    if not names:
        return None
    known = [layer.name for layer in spec.layers]
    for name in names:
        if name not in known:
            hint = close_name(name, known)
            raise BadValue(f"there is no layer {name!r}; the layers are {', '.join(known)}"
                           + (f" (did you mean '{hint}'?)" if hint else ""))
    return [name for name in known if name in names]
