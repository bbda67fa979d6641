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


def trace_jsonl(spec, steps: Iterable, fast: Optional[bool] = None) -> Iterator[str]:
    """A header line, then one line per step, produced as the steps are. ``fast``: with
    orjson (None: when it is installed); the lines are the same JSON either way."""
    writer = _writer(spec, fast)
    yield writer.header().decode() if writer.binary else writer.header()
    for step in steps:
        line = writer.line(step)
        yield line.decode() if writer.binary else line


#: run --format jsonl writes its lines in batches of about this many characters: few
#: writes, and a batch (with its joined copy and its encoding) stays well under a MB
#: whatever a line's length (an LSTM of 64 units writes 17 kB a step).
BATCH_CHARS = 1 << 18


def write_jsonl(spec, steps: Iterable, stream, fast: Optional[bool] = None) -> None:
    """``trace_jsonl`` written to ``stream`` (a text stream) as the steps come, about
    BATCH_CHARS characters at a time: what ``run --format jsonl`` does."""
    writer = _writer(spec, fast)
    binary = writer.binary and hasattr(stream, "buffer")
    out = stream.buffer if binary else stream
    if binary:
        stream.flush()   # whatever the text layer holds goes first
    newline = b"\n" if binary else "\n"
    convert = (lambda line: line) if binary == writer.binary else bytes.decode
    batch: List[Any] = [convert(writer.header())]
    size = 0
    for step in steps:
        line = convert(writer.line(step))
        batch.append(line)
        size += len(line)
        if size >= BATCH_CHARS:
            batch.append(newline[:0])
            out.write(newline.join(batch))
            batch, size = [], 0
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
    """A step's line as a template with a slot for each vector and text, and functions
    that pick the step's vectors and texts in the order of those slots.

    Built from one step's :func:`~rnntrace.trace.step_to_dict` (so the fields and their
    order are the trace format's, whatever layers the spec has); it holds for every
    step of the run because each layer's record has the same fields at every step (a
    dense layer's ``label`` is there for every step or for none). The functions are
    made as Python source from the vectors' paths (``getattr(s.layers['lstm'].gates['input_gate'], 'z')``,
    every name written with ``repr``), so that a step costs one call and no walk of its
    records; ``build`` makes the step's whole dict with the vectors as they are (for orjson).
    """

    def __init__(self, step, separators=(", ", ": "), quote=None):
        self.sizes: List[int] = []    # the length of each vector
        self.kinds: List[str] = []    # each slot after t: "v" (a vector) or "s" (a text)
        vectors: List[str] = []
        strings: List[str] = []
        item, key = separators
        quote = quote or (lambda text: dumps(text))

        def walk(value, source: str):
            """(the template's text, the dict's source) of one field."""
            if isinstance(value, dict):
                parts, items = [], []
                for name, item_value in value.items():
                    # every name enters the source only through repr: a layer's name is the
                    # spec author's text, and a record's fields are read with getattr
                    inner = f"{source}[{name!r}]" if source.endswith(("'layers')", "'gates')")) else \
                        f"getattr({source}, {name!r})"
                    text, code = walk(item_value, inner)
                    parts.append(quote(name).replace("%", "%%") + key + text)
                    items.append(f"{name!r}: {code}")
                return "{" + item.join(parts) + "}", "{" + ", ".join(items) + "}"
            if isinstance(value, list):
                vectors.append(source)
                self.sizes.append(len(value))
                self.kinds.append("v")
                return "%s", source
            if isinstance(value, str):
                strings.append(source)
                self.kinds.append("s")
                return "%s", source
            if isinstance(value, int) and source == "getattr(s, 't')":
                return "%d", source
            raise TypeError(f"a trace field that is not a number, a vector or a text: {source}")

        self.template, code = walk(step_to_dict(step), "s")
        self.build: Callable = eval("lambda s: " + code, {})   # noqa: S307
        self.gather: Callable = eval(f"lambda s: ({''.join(v + ', ' for v in vectors)})", {})   # noqa: S307
        self.texts: Callable = eval(f"lambda s: ({''.join(v + ', ' for v in strings)})", {})   # noqa: S307
        self.strings = len(strings)


class _PlainLines:
    """json.dumps' own text: byte for byte what ``dumps(step_to_dict(step))`` writes.

    A vector's text is ``repr`` of its list of floats, which is json.dumps' text of it
    ("[0.5, -1.25]"). A vector that is another vector of the same step (an LSTM's
    output h is the network's y) or of the step before (c_prev is the last step's c)
    is the same array object; its text is made once and written again. Which slots
    are which is learnt from the first two steps and checked at every step with
    ``is`` (a step where it does not hold has every vector written afresh)."""

    binary = False

    def __init__(self, spec):
        import numpy as np
        self.spec = spec
        self.concatenate = np.concatenate
        self.plan: Optional[_Plan] = None
        self.planned = spec.dtype == "float64"   # a float32 run writes float32 texts field by field
        self.previous = None    # the last step's (vectors, texts), when it was planned
        self.same: List[tuple] = []    # (k, j): vector k of a step is its vector j (j < k)
        self.carried: Optional[List[tuple]] = None   # (k, j): vector k is the last step's vector j
        self.fresh: List[int] = []     # the vectors that are neither

    def header(self) -> str:
        return dumps(header_dict(self.spec))

    def _learn(self, vectors, previous) -> None:
        count = len(vectors)
        self.same = [(k, j) for k in range(count) for j in range(k) if vectors[k] is vectors[j]]
        self.same = [(k, j) for k, j in self.same if j == min(i for m, i in self.same if m == k)]
        linked = {k for k, _ in self.same}
        if previous is None:   # the first step: what repeats from step to step is learnt at the second
            return
        self.carried = [(k, next(j for j in range(count) if vectors[k] is previous[j])) for k in range(count)
                        if k not in linked and any(vectors[k] is old for old in previous)]
        linked |= {k for k, _ in self.carried}
        self.fresh = [k for k in range(count) if k not in linked]

    def line(self, step) -> str:
        plan = self.plan
        if plan is None:
            if not self.planned:
                return dumps(step_to_dict(step))
            plan = self.plan = _Plan(step)
        vectors = plan.gather(step)
        previous = self.previous
        if self.carried is None or previous is None or \
                not all(vectors[k] is previous[0][j] for k, j in self.carried) or \
                not all(vectors[k] is vectors[j] for k, j in self.same):
            if previous is not None and self.carried is None:
                self._learn(vectors, previous[0])   # the second step: what repeats
            fresh = range(len(vectors))
            carried: List[tuple] = []
            same: List[tuple] = []
        else:
            fresh, carried, same = self.fresh, self.carried, self.same
        # The one conversion to Python floats of the step's new numbers.
        values = self.concatenate([vectors[k] for k in fresh]).tolist()
        # A sum is finite only if every entry is (inf and NaN carry through addition); a sum
        # that overflows with finite entries only takes the field-by-field path.
        total = sum(values)
        if total - total != 0.0:   # inf − inf and NaN − NaN are NaN
            self.previous = None
            return dumps(step_to_dict(step))
        texts: List[Any] = [None] * len(vectors)
        sizes = plan.sizes
        start = 0
        for k in fresh:
            end = start + sizes[k]
            texts[k] = repr(values[start:end])
            start = end
        for k, j in carried:
            texts[k] = previous[1][j]
        for k, j in same:
            texts[k] = texts[j]
        if self.carried is None and previous is None:
            self._learn(vectors, None)
        self.previous = (vectors, texts)
        if plan.strings:
            words = plan.texts(step)
            if None in words:
                self.previous = None
                return dumps(step_to_dict(step))
            texts = _interleave(plan, texts, [dumps(word) for word in words])
        return plan.template % (step.t, *texts)


class _FastLines:
    """orjson's text: the step's dict made in one call with its vectors as numpy arrays,
    which orjson writes itself (a value that is not finite as null, as the trace
    format does)."""

    binary = True

    def __init__(self, spec, orjson):
        self.spec = spec
        self.orjson = orjson
        self.option = orjson.OPT_SERIALIZE_NUMPY
        self.plan: Optional[_Plan] = None
        self.planned = spec.dtype == "float64"

    def _dumps(self, data) -> bytes:
        line = self.orjson.dumps(data, option=self.option)
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
            plan = self.plan = _Plan(step)
        if plan.strings and None in plan.texts(step):
            return self._dumps(step_to_dict(step))
        try:
            return self._dumps(plan.build(step))
        except TypeError:   # a vector orjson does not take as it is (not contiguous)
            return self._dumps(step_to_dict(step))


def _interleave(plan: _Plan, vectors: list, texts: list) -> list:
    """The slots' values in the template's order when some are texts."""
    out: list = []
    v = t = 0
    for kind in plan.kinds:
        if kind == "v":
            out.append(vectors[v])
            v += 1
        else:
            out.append(texts[t])
            t += 1
    return out
