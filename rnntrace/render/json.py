"""JSON and JSON-lines output of a trace (format ``rnntrace.trace/1``).

Floats are written with ``repr`` precision, so reading them back gives the exact
float64 values; ``allow_nan=False`` guarantees strict JSON.

JSON lines (``run --format jsonl``) are written at the speed of the loop a person would
write by hand (bench/run.py measures it): every step of a run has the same fields, so
the first step gives a *plan*, the line's text with a slot for every number, and each
step then costs one concatenation of its vectors, one conversion to Python floats and
one formatting of the whole line. A step with a value that is not finite (null in
JSON) is written field by field as before. With orjson installed (``pip install
rnntrace[fast]``) its numbers are written by orjson instead; the text differs from
json.dumps' only where JSON allows (``1e-05`` is ``0.00001``, no spaces after ``,``
and ``:``), and every number reads back as the same float64 (tests/test_jsonl.py).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Iterator, List, Optional

from ..trace import header_dict, step_to_dict


def dumps(data, indent=None) -> str:
    """Strict JSON (no NaN or Infinity tokens), text as it is (not \\u-escaped): every
    JSON output of rnntrace (traces, gradients, surfaces, check reports) goes through here."""
    from ..safetext import json_text
    return json_text(json.dumps(data, allow_nan=False, ensure_ascii=False, indent=indent))


def trace_json(trace, indent=None) -> str:
    return dumps(trace.to_dict(), indent)


def trace_jsonl(spec, steps: Iterable, fast: Optional[bool] = False) -> Iterator[str]:
    """A header line, then one line per step, produced as the steps are. ``fast``: with
    orjson (None: when it is installed); the lines are the same JSON either way."""
    writer = _writer(spec, fast)
    yield writer.header().decode() if writer.binary else writer.header()
    for step in steps:
        line = writer.line(step)
        yield line.decode() if writer.binary else line


def write_jsonl(spec, steps: Iterable, stream, fast: Optional[bool] = None) -> None:
    """``trace_jsonl`` written to ``stream`` (a text stream) as the steps come, a few
    hundred lines at a time: what ``run --format jsonl`` does."""
    writer = _writer(spec, fast)
    binary = writer.binary and hasattr(stream, "buffer")
    out = stream.buffer if binary else stream
    if binary:
        stream.flush()   # whatever the text layer holds goes first
    newline = b"\n" if binary else "\n"
    convert = (lambda line: line) if binary == writer.binary else bytes.decode
    batch: List[Any] = [convert(writer.header())]
    for step in steps:
        batch.append(convert(writer.line(step)))
        if len(batch) >= 256:
            batch.append(newline[:0])
            out.write(newline.join(batch))
            batch = []
    batch.append(newline[:0])
    out.write(newline.join(batch))
    out.flush()


def _orjson():
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def _writer(spec, fast: Optional[bool]):
    orjson = _orjson() if fast is None or fast else None
    if fast and orjson is None:
        raise ImportError("the fast JSON writer needs orjson (pip install rnntrace[fast])")
    return _FastLines(spec, orjson) if orjson is not None else _PlainLines(spec)


# --------------------------------------------------------------------------- the plan

class _Plan:
    """The text of a step's line with a slot for every value, and a function that
    gathers the step's vectors in the order of those slots.

    Built from one step's :func:`~rnntrace.trace.step_to_dict` (so the fields and their
    order are the trace format's, whatever layers the spec has); it holds for every
    step of the run because each layer's record has the same fields at every step (a
    dense layer's ``label`` is there for every step or for none). ``gather`` is made
    as Python source from the paths of the vectors (``s.layers['lstm'].gates['input_gate'].z``;
    names written with ``repr``), so that a step costs one call and no walk of its
    records."""

    def __init__(self, step, number_slot: str, separators=(", ", ": "), quote=None):
        self.count = 0                # numbers in a line
        self.strings: List[str] = []  # the sources of the text fields (token, labels)
        self.order: List[tuple] = []  # the slots after t: ("n", how many numbers) or ("s", 1)
        vectors: List[str] = []
        item, key = separators
        quote = quote or (lambda text: dumps(text))

        def text(value, source: str) -> str:
            if isinstance(value, dict):
                parts = []
                for name, item_value in value.items():
                    inner = f"{source}[{name!r}]" if source.endswith(("layers", "gates")) else \
                        f"{source}.{name}"
                    parts.append(quote(name).replace("%", "%%") + key + text(item_value, inner))
                return "{" + item.join(parts) + "}"
            if isinstance(value, list):
                vectors.append(source)
                self.count += len(value)
                if self.order and self.order[-1][0] == "n":
                    self.order[-1] = ("n", self.order[-1][1] + len(value))
                else:
                    self.order.append(("n", len(value)))
                return "[" + item.join([number_slot] * len(value)) + "]"
            if isinstance(value, str):
                self.strings.append(source)
                self.order.append(("s", 1))
                return "%s"
            if isinstance(value, int) and source == "s.t":
                return "%d"
            raise TypeError(f"a trace field that is not a number, a vector or a text: {source}")

        data = step_to_dict(step)
        parts = []
        for name, value in data.items():
            source = "s.layers" if name == "layers" else f"s.{name}"
            parts.append(quote(name) + key + text(value, source))
        self.template = "{" + item.join(parts) + "}"
        self.gather: Callable = eval(f"lambda s: ({''.join(v + ', ' for v in vectors)})", {})   # noqa: S307
        self.texts: Callable = eval(f"lambda s: ({''.join(v + ', ' for v in self.strings)})", {})   # noqa: S307


class _PlainLines:
    """json.dumps' own text: byte for byte what ``dumps(step_to_dict(step))`` writes."""

    binary = False

    def __init__(self, spec):
        import numpy as np
        self.spec = spec
        self.concatenate = np.concatenate
        self.plan: Optional[_Plan] = None
        self.planned = spec.dtype == "float64"   # a float32 run writes float32 texts field by field

    def header(self) -> str:
        return dumps(header_dict(self.spec))

    def line(self, step) -> str:
        plan = self.plan
        if plan is None:
            if not self.planned:
                return dumps(step_to_dict(step))
            plan = self.plan = _Plan(step, "%r")
        values = self.concatenate(plan.gather(step)).tolist()   # the one conversion to Python floats
        # A sum is finite only if every entry is (inf and NaN carry through addition); a sum
        # that overflows with finite entries only takes the field-by-field path.
        if len(values) != plan.count or not _finite(sum(values)):
            return dumps(step_to_dict(step))
        if plan.strings:
            texts = plan.texts(step)
            if None in texts:
                return dumps(step_to_dict(step))
            texts = [dumps(text) for text in texts]
            return plan.template % (step.t, *_interleave(plan, values, texts))
        return plan.template % (step.t, *values)


class _FastLines:
    """orjson's text: each step's numbers serialised by orjson in one call from the
    float64 vector, split at the commas (a number's text holds none) into the plan's
    slots. orjson writes a value that is not finite as null, as the trace format does."""

    binary = True

    def __init__(self, spec, orjson):
        import numpy as np
        self.spec = spec
        self.orjson = orjson
        self.concatenate = np.concatenate
        self.plan: Optional[_Plan] = None
        self.planned = spec.dtype == "float64"

    def _dumps(self, data) -> bytes:
        line = self.orjson.dumps(data)
        if line.isascii() and b"\x7f" not in line:
            return line
        from ..safetext import json_text
        return json_text(line.decode()).encode()

    def header(self) -> bytes:
        return self._dumps(header_dict(self.spec))

    def line(self, step) -> bytes:
        plan = self.plan
        if plan is None:
            if not self.planned:   # float32: the shortest float32 texts, as Python floats
                return self._dumps(step_to_dict(step))
            plan = self.plan = _Plan(step, "%s", (",", ":"), quote=lambda text: self._dumps(text).decode())
            plan.bytes_template = plan.template.encode()
        vector = self.concatenate(plan.gather(step))
        if len(vector) != plan.count:
            return self._dumps(step_to_dict(step))
        numbers = self.orjson.dumps(vector, option=self.orjson.OPT_SERIALIZE_NUMPY)[1:-1].split(b",")
        if plan.strings:
            texts = plan.texts(step)
            if None in texts:
                return self._dumps(step_to_dict(step))
            texts = [self._dumps(text) for text in texts]
            return plan.bytes_template % (step.t, *_interleave(plan, numbers, texts))
        return plan.bytes_template % (step.t, *numbers)


def _finite(total: float) -> bool:
    return total - total == 0.0   # inf − inf and NaN − NaN are NaN


def _interleave(plan: _Plan, numbers: list, texts) -> list:
    """The values in the order of the template's slots after t, when some are texts."""
    out: list = []
    n = t = 0
    for kind, length in plan.order:
        if kind == "n":
            out.extend(numbers[n:n + length])
            n += length
        else:
            out.append(texts[t])
            t += 1
    return out
