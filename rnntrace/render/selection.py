"""Which steps and layers a view shows: ``--steps 3``, ``--steps 2:4``, ``--layer NAME``."""
from __future__ import annotations

from typing import List, Optional, Sequence

from ..errors import RnntraceError, close_name


def parse_steps(text: Optional[str], total: int) -> Optional[List[int]]:
    """``"3"`` → [3]; ``"2:4"`` → [2, 3, 4]; ``"2:"`` → 2 … total; ``":4"`` → 1 … 4;
    ``"1,3:4"`` → [1, 3, 4]. Steps are 1-based, ranges include both ends."""
    if text is None:
        return None
    chosen: List[int] = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if ":" in part:
                first, _, last = part.partition(":")
                start = int(first) if first.strip() else 1
                stop = int(last) if last.strip() else total
            else:
                start = stop = int(part)
        except ValueError:
            raise RnntraceError(f"--steps {text}: expected a step such as 3, a range such as 2:4, "
                                "or a list such as 1,3:4") from None
        for t in (start, stop):
            if not 1 <= t <= total:
                raise RnntraceError(f"--steps {text}: there is no step {t}; the sequence has "
                                    f"{total} step{'s' if total != 1 else ''} (1 to {total})")
        if start > stop:
            raise RnntraceError(f"--steps {text}: the range {start}:{stop} runs backwards")
        chosen.extend(t for t in range(start, stop + 1) if t not in chosen)
    return sorted(chosen)


def check_layers(spec, names: Sequence[str]) -> Optional[List[str]]:
    """The chosen layer names, checked against the spec; None when none were chosen."""
    if not names:
        return None
    known = [layer.name for layer in spec.layers]
    for name in names:
        if name not in known:
            hint = close_name(name, known)
            raise RnntraceError(f"--layer {name}: there is no layer of that name; the layers are "
                                f"{', '.join(known)}" + (f" (did you mean '{hint}'?)" if hint else ""))
    return [name for name in known if name in names]
