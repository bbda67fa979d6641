"""Hand-computed answers, checked against the exact trace (DESIGN §5).

An answers file names, per time step, quantities of the trace by their path
(``y``, ``lstm.c``, ``lstm.gates.<block>.a``, ``bi.forward.h``) and gives the
value computed by hand: a number for a size-1 vector, a list for a longer one.

    tolerance: 0.01            # optional
    steps:
      1: {lstm.c: 3, y: 0}
      4: {y: 7}

An answer is right when every entry satisfies

    |yours − exact| ≤ tolerance · max(1, |exact|)

that is, an absolute tolerance for values up to 1 in size and a relative one above.
The default, 0.01, accepts the lecture's rounded answers (7 for 6.9995: off by 0.0005,
allowed 0.07; 0 for 0.000136: off by 0.000136, allowed 0.01) and any answer rounded to
two decimals (off by at most 0.005), and rejects a real mistake (8 for 7: off by 1,
allowed 0.07).

Everything here is plain data: the verdicts are dataclasses that the renderers in
``rnntrace.render.check`` format. Nothing is printed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .errors import RnntraceError, SpecError, close_name, describe, quoted, shorten
from .yamlsource import Document, as_number, parse, read_named

FORMAT = "rnntrace.check/1"
DEFAULT_TOLERANCE = 0.01
#: Fields of a flattened step that are not answerable numbers.
_NOT_QUANTITIES = ("t", "token")


# --------------------------------------------------------------------------- the exact values

@dataclass(frozen=True)
class Reference:
    """The exact values every answer is compared with: per step, quantity path → vector.

    Built once from a trace; checking a file then only looks values up, so a whole
    class is checked without running the network again.
    """

    source: str
    steps: Tuple[Mapping[str, Tuple[Optional[float], ...]], ...]
    quantities: Tuple[str, ...]          # every answerable path, in trace order

    @classmethod
    def from_trace(cls, trace, source: str = "<spec>") -> "Reference":
        from .trace import flatten, step_to_dict
        steps = []
        for step in trace:
            flat = flatten(step_to_dict(step))
            steps.append({path: tuple(value) for path, value in flat.items()
                          if path not in _NOT_QUANTITIES and isinstance(value, list)})
        quantities = tuple(steps[0]) if steps else ()
        return cls(source, tuple(steps), quantities)

    def __len__(self) -> int:
        return len(self.steps)

    def suggest(self, name: str) -> Optional[str]:
        """The quantity a misspelt or shortened path most likely meant."""
        if not isinstance(name, str):
            return None
        # A bare field name ("c", "<block>.a") usually means the one path ending in it.
        ends = [q for q in self.quantities if q.endswith("." + name)]
        if len(ends) == 1:
            return ends[0]
        hint = close_name(name, self.quantities)
        if hint is None:
            # "lstm.cel" → compare the last part with the last parts of the paths.
            head, _, last = name.rpartition(".")
            same_head = [q for q in self.quantities if q.rpartition(".")[0] == head]
            tail = close_name(last, [q.rpartition(".")[2] for q in same_head])
            if tail is not None:
                hint = f"{head}.{tail}" if head else tail
        return hint


# --------------------------------------------------------------------------- an answers file

@dataclass(frozen=True)
class Answer:
    """One hand-computed value: the quantity at a step."""

    t: int
    quantity: str
    value: Tuple[float, ...]


@dataclass(frozen=True)
class Answers:
    source: str
    answers: Tuple[Answer, ...]
    tolerance: Optional[float] = None              # the file's own, if it gives one
    document: Optional[Document] = field(default=None, repr=False, compare=False)


def _error(doc: Document, message: str, where: Sequence[Any] = (), *, hint: Optional[str] = None,
           at_key: bool = False, shown: Optional[Sequence[Any]] = None) -> SpecError:
    """A SpecError at a place in the answers file. Step numbers are looked up as the
    key text they are in the file but shown as ``steps[4]``."""
    line, column = doc.position([str(p) for p in where], at_key=at_key)
    return SpecError(message, tuple(where if shown is None else shown), hint=hint, file=doc.file,
                     line=line, column=column)


def _number(doc: Document, value: Any, where: Sequence[Any]) -> float:
    """A hand-computed value, read as a spec's numbers are (``yamlsource.as_number``)."""
    if isinstance(value, float) and math.isnan(value):   # worded as infinity is
        raise _error(doc, "expected a finite number, found NaN", where)
    try:
        return as_number(value)
    except ValueError as exc:
        raise _error(doc, str(exc), where) from None


def answers_from_document(doc: Document, reference: Reference) -> Answers:
    """Validate an answers document against the quantities of ``reference``."""
    data = doc.data
    example = "steps: {1: {y: 4}}"
    if data is None:
        raise _error(doc, f"the answers file is empty; expected a mapping like '{example}'")
    if not isinstance(data, dict):
        raise _error(doc, f"expected a mapping like '{example}', found {describe(data)}")
    allowed = ("steps", "tolerance")
    for key in data:
        if key not in allowed:
            raise _error(doc, f"unknown key {quoted(key)}; expected steps (and optionally tolerance)", (key,),
                         hint=close_name(key, allowed), at_key=True)
    if "steps" not in data:
        raise _error(doc, f"missing the key 'steps' (the answers, like '{example}')")

    tolerance = None
    if data.get("tolerance") is not None:
        tolerance = _number(doc, data["tolerance"], ("tolerance",))
        if tolerance < 0:
            raise _error(doc, f"expected a tolerance of 0 or more, found {tolerance:g}", ("tolerance",))

    steps = data["steps"]
    if not isinstance(steps, dict) or not steps:
        raise _error(doc, f"expected a mapping from step numbers to answers, like '{example}'; "
                          f"found {describe(steps)}", ("steps",))
    count = len(reference)
    answers: List[Answer] = []
    for key, entries in steps.items():
        try:
            t = int(str(key), 10)
        except ValueError:
            t = 0
        if t < 1 or str(t) != str(key).strip():
            raise _error(doc, f"expected a step number from 1 to {count}, found {quoted(key)}", ("steps", key),
                         at_key=True, shown=("steps",))
        if t > count:
            raise _error(doc, f"there is no step {shorten(str(t))}: the sequence has "
                              f"{count} step{'s' if count != 1 else ''} (1 to {count})", ("steps", t), at_key=True)
        where = ("steps", t)
        if not isinstance(entries, dict) or not entries:
            raise _error(doc, f"expected the answers of step {t} as a mapping like '{{lstm.c: 3, y: 0}}', "
                              f"found {describe(entries)}", where)
        exact_step = reference.steps[t - 1]
        for quantity, value in entries.items():
            at = where + (quantity,)
            if quantity not in exact_step:
                raise _error(doc, f"unknown quantity {quoted(quantity)}", at, hint=reference.suggest(quantity),
                             at_key=True)
            size = len(exact_step[quantity])
            if isinstance(value, list):
                if len(value) != size:
                    raise _error(doc, f"{quantity} has {size} value{'s' if size != 1 else ''}; "
                                      f"found a list of {len(value)}", at)
                numbers = tuple(_number(doc, v, at + (i,)) for i, v in enumerate(value))
            elif size != 1:
                raise _error(doc, f"{quantity} has {size} values: answer with a list of {size} numbers, "
                                  f"found {describe(value)}", at)
            else:
                numbers = (_number(doc, value, at),)
            answers.append(Answer(t, quantity, numbers))
    return Answers(doc.file, tuple(answers), tolerance, doc)


def answers_from_text(text: str, reference: Reference, source: str = "<answers>") -> Answers:
    return answers_from_document(parse(text, source, "an answers file"), reference)


def load_answers(path: str, reference: Reference, *, name: Optional[str] = None) -> Answers:
    """Read and validate an answers file (``-`` reads standard input)."""
    label = name or ("<stdin>" if path == "-" else str(path))
    # Reads stop at yamlsource.MAX_BYTES, so /dev/zero or an endless pipe is refused.
    return answers_from_text(read_named(path, label, "answers"), reference, label)


# --------------------------------------------------------------------------- verdicts

@dataclass(frozen=True)
class Verdict:
    """One answer beside the exact value."""

    t: int
    quantity: str
    yours: Tuple[float, ...]
    exact: Tuple[Optional[float], ...]   # None where the exact value is not finite
    difference: Optional[float]          # the largest |yours − exact| over the entries
    allowed: Optional[float]             # tolerance·max(1, |exact|) at that entry
    right: bool


#: An answer exactly on the boundary (0.51 for 0.5 at tolerance 0.01) is right, though
#: 0.51 − 0.5 comes out a few units in the last place above 0.01 in binary.
_ROUNDING = 1 + 1e-9


def within(yours: float, exact: float, tolerance: float) -> bool:
    """|yours − exact| ≤ tolerance·max(1, |exact|)."""
    return abs(yours - exact) <= tolerance * max(1.0, abs(exact)) * _ROUNDING


def judge(answer: Answer, exact: Sequence[Optional[float]], tolerance: float) -> Verdict:
    worst_gap: Optional[float] = None
    worst_allowed: Optional[float] = None
    worst_ratio = -1.0
    right = True
    for mine, true in zip(answer.value, exact):
        if true is None:               # an overflowed exact value: nothing can match it
            return Verdict(answer.t, answer.quantity, answer.value, tuple(exact), None, None, False)
        gap = abs(mine - true)
        allowed = tolerance * max(1.0, abs(true))
        right = right and within(mine, true, tolerance)
        ratio = gap / allowed if allowed > 0 else (0.0 if gap == 0 else math.inf)
        if ratio > worst_ratio:
            worst_ratio, worst_gap, worst_allowed = ratio, gap, allowed
    return Verdict(answer.t, answer.quantity, answer.value, tuple(exact), worst_gap, worst_allowed, right)


@dataclass(frozen=True)
class FileResult:
    """The verdicts for one answers file, or why it could not be read."""

    source: str
    tolerance: float
    verdicts: Tuple[Verdict, ...] = ()
    error: Optional[str] = None

    @property
    def readable(self) -> bool:
        return self.error is None

    @property
    def right(self) -> int:
        return sum(v.right for v in self.verdicts)

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def score(self) -> Optional[float]:
        return self.right / self.total if self.readable and self.total else None

    @property
    def first_wrong(self) -> Optional[Verdict]:
        return next((v for v in self.verdicts if not v.right), None)

    @property
    def status(self) -> str:
        if not self.readable:
            return "error"
        return "right" if self.right == self.total else "wrong"


def check(answers: Answers, reference: Reference, tolerance: Optional[float] = None) -> FileResult:
    """Judge every answer. ``tolerance`` (the command line's) wins over the file's own,
    which wins over the default."""
    tol = tolerance if tolerance is not None else (
        answers.tolerance if answers.tolerance is not None else DEFAULT_TOLERANCE)
    verdicts = tuple(judge(a, reference.steps[a.t - 1][a.quantity], tol) for a in answers.answers)
    return FileResult(answers.source, tol, verdicts)


def check_file(path: str, reference: Reference, tolerance: Optional[float] = None) -> FileResult:
    """One file; a problem with it raises (an error for the user to fix)."""
    return check(load_answers(path, reference), reference, tolerance)


def check_files(paths: Iterable[str], reference: Reference,
                tolerance: Optional[float] = None) -> List[FileResult]:
    """A whole class: a file that cannot be read becomes a result with its error,
    and the others are still checked."""
    results = []
    for path in paths:
        try:
            results.append(check_file(path, reference, tolerance))
        except RnntraceError as exc:
            results.append(FileResult(str(path), tolerance if tolerance is not None else DEFAULT_TOLERANCE,
                                      error=str(exc)))
    return results


def exit_code(results: Sequence[FileResult]) -> int:
    """2 if any file could not be read, else 1 if any answer is wrong, else 0."""
    if any(not r.readable for r in results):
        return 2
    return 1 if any(r.status == "wrong" for r in results) else 0


# --------------------------------------------------------------------------- plain data

def verdict_to_dict(v: Verdict) -> Dict[str, Any]:
    return {"t": v.t, "quantity": v.quantity, "yours": list(v.yours), "exact": list(v.exact),
            "difference": v.difference, "allowed": v.allowed, "right": v.right}


def result_to_dict(r: FileResult) -> Dict[str, Any]:
    first = r.first_wrong
    return {"file": r.source, "status": r.status, "error": r.error, "tolerance": r.tolerance,
            "right": r.right, "total": r.total, "score": r.score,
            "first_wrong": None if first is None else verdict_to_dict(first),
            "answers": [verdict_to_dict(v) for v in r.verdicts]}


def summary(results: Sequence[FileResult]) -> Dict[str, Any]:
    readable = [r for r in results if r.readable]
    scores = [r.score for r in readable if r.score is not None]
    return {"files": len(results), "all_right": sum(r.status == "right" for r in results),
            "with_wrong": sum(r.status == "wrong" for r in results),
            "unreadable": len(results) - len(readable),
            "answers": sum(r.total for r in readable), "right": sum(r.right for r in readable),
            "mean_score": sum(scores) / len(scores) if scores else None}


def report_to_dict(results: Sequence[FileResult], spec_source: str) -> Dict[str, Any]:
    """The ``rnntrace.check/1`` object that ``check --format json`` prints."""
    return {"format": FORMAT, "spec": spec_source, "files": [result_to_dict(r) for r in results],
            "summary": summary(results)}
