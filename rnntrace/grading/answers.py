"""Hand-computed answers, checked against the exact trace (docs/check.md).

An answers file names, per time step, quantities of the trace and gives the value
computed by hand: a number for a size-1 vector, a list for a longer one.

    tolerance: 0.01            # optional
    steps:
      1: {lstm.c: 3, y: 0}
      4: {y: 7}
      2:
        hidden.h[2]: 6         # one unit, counted from 1 (a dense layer's: its label)
        out.label: destination # the winning label of a softmax layer

A quantity is named by its path in the trace (``lstm.c``, ``hidden.h``), by the end
of one when only one path ends so (``c``, ``h``), with ``[unit]`` for one
unit, or as ``….label`` for a dense layer's winning label.

An answer is right when every entry satisfies

    |yours − exact| ≤ tolerance · max(1, |exact|)

that is, an absolute tolerance for values up to 1 in size and a relative one above.
The default, 0.01, accepts the lecture's rounded answers (7 for 6.9995: off by 0.0005,
allowed 0.07; 0 for 0.000136: off by 0.000136, allowed 0.01) and any answer rounded to
two decimals (off by at most 0.005), and rejects a real mistake (8 for 7: off by 1,
allowed 0.07).

One answer that cannot be read (an unknown quantity, a step that is not a plain whole
number, a value that is not a number) is a row of its own with its error, counted as
not right; the rest of the file is still checked. A file that is not YAML, or not a
mapping with ``steps``, cannot be checked at all.

Graded against a key (the answers file ``rnntrace answers`` writes), the key's
questions are the ones scored: one the file does not answer is ``unanswered`` (not
right), and answers to other quantities are listed as ignored.

Everything here is plain data: the verdicts are dataclasses that ``rnntrace.render.check``
shapes into tables, JSON and CSV. Nothing is printed.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..errors import RnntraceError, SpecError, close_name, describe_value, quoted, shorten
from ..yamlsource import Document, as_number, parse

FORMAT = "rnntrace.check/1"
DEFAULT_TOLERANCE = 0.01
#: Fields of a flattened step that are not answerable numbers.
_NOT_QUANTITIES = ("t", "token")
#: A step key: a whole number from 1, as it is written plainly (no sign, space, 0 in front).
_STEP = re.compile(r"[1-9][0-9]{0,17}", re.ASCII)
#: ``hidden.h[2]``, ``out.y[destination]``: one unit of a quantity.
_UNIT = re.compile(r"(.+)\[([^\[\]]+)\]")

#: ``≈0``, ``≈ 1``, ``≈-3``, ``≈−3``: a whole number as the views write a value near it.
_APPROX = re.compile(r"≈ ?[-\u2212]?[0-9]{1,17}")
#: ``6,9995``, ``-0,5``: a decimal comma.
_COMMA = re.compile(r"[-\u2212]?[0-9]+,[0-9]+")

#: Names whose resolution a Reference remembers (a class's files share their names).
_MEMO_SIZE = 100_000

#: Where the tolerance a file was judged by came from.
TOLERANCE_SOURCES = ("option", "key", "file", "default")


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
    #: Per step, a label field's path (``out.label``) → the winning label(s): more than
    #: one when the largest outputs tie.
    labels: Tuple[Mapping[str, Tuple[str, ...]], ...] = ()
    #: A labelled quantity's path → its units' names (``out.y`` → the labels).
    unit_names: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    trace: Any = field(default=None, repr=False, compare=False)
    #: name → what resolve() gave (a path and unit, or the error): each distinct name,
    #: a misspelt one included, is looked up (and its "did you mean" searched) once.
    _memo: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _names: List[Any] = field(default_factory=list, repr=False, compare=False)   # [its Vocabulary]

    @classmethod
    def from_trace(cls, trace, source: str = "<spec>") -> "Reference":
        from ..trace import flatten, step_to_dict
        names: Dict[str, Tuple[str, ...]] = {}
        spec = getattr(trace, "spec", None)
        layers = list(getattr(spec, "layers", ()) or ())
        for layer in layers:
            labels = getattr(layer, "labels", None)
            if labels:
                names[f"{layer.name}.z"] = names[f"{layer.name}.y"] = tuple(labels)
                if layer is layers[-1]:
                    names["y"] = tuple(labels)
        steps, label_steps = [], []
        for step in trace:
            flat = flatten(step_to_dict(step))
            values = {path: tuple(value) for path, value in flat.items()
                      if path not in _NOT_QUANTITIES and isinstance(value, list)}
            steps.append(values)
            won: Dict[str, Tuple[str, ...]] = {}
            for path, value in flat.items():
                if path.endswith(".label") and isinstance(value, str):
                    won[path] = _winners(values.get(path[:-len("label")] + "y"),
                                         names.get(path[:-len("label")] + "y"), value)
            label_steps.append(won)
        quantities = tuple(steps[0]) if steps else ()
        return cls(source, tuple(steps), quantities, tuple(label_steps), names, trace)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def label_paths(self) -> Tuple[str, ...]:
        return tuple(self.labels[0]) if self.labels else ()

    def size(self, path: str) -> int:
        return len(self.steps[0][path]) if path in self.quantities else 1

    def unit_name(self, path: str, unit: int) -> str:
        """How unit ``unit`` (from 0) of ``path`` is named: its label, or its number from 1."""
        names = self.unit_names.get(path)
        return names[unit] if names else str(unit + 1)

    @property
    def vocabulary(self):
        """Every name of every quantity (rnntrace/grading/names.py), built once."""
        if not self._names:
            from .names import Vocabulary
            self._names.append(Vocabulary.of(self))
        return self._names[0]

    def canonical(self, path: str) -> str:
        """The one path of what ``path`` is by definition: ``y`` is the last layer's output."""
        return self.vocabulary.canonical(path)

    def suggest(self, name: str) -> Optional[str]:
        """The quantity a misspelt or shortened name most likely meant."""
        return self.vocabulary.suggest(name)

    def resolve(self, name: str) -> Tuple[str, Optional[int]]:
        """A quantity as an answers file names it → (its path, the unit from 0 or None
        for all). Raises ValueError with the message (and ``.hint``) to show."""
        found = self._memo.get(name)
        if found is None:
            try:
                found = self._resolve(name)
            except _Unknown as exc:
                found = exc
            if len(self._memo) < _MEMO_SIZE:
                self._memo[name] = found
        if isinstance(found, _Unknown):
            raise found
        return found

    def _resolve(self, name: str) -> Tuple[str, Optional[int]]:
        unit_text = None
        match = _UNIT.fullmatch(name)
        base = name
        if match is not None:
            base, unit_text = match.group(1), match.group(2)
        from .names import Unknown
        try:
            path = self.vocabulary.resolve(base)
        except Unknown as exc:
            message = str(exc) if base == name else str(exc).replace(quoted(base), quoted(name), 1)
            raise _Unknown(message, exc.hint) from None
        if unit_text is None:
            return path, None
        if path in self.label_paths:
            raise _Unknown(f"{path} is one label, not a list: write it without [{shorten(unit_text)}]")
        size = self.size(path)
        names = self.unit_names.get(path)
        if names and unit_text in names:
            return path, names.index(unit_text)
        if _STEP.fullmatch(unit_text) and int(unit_text) <= size:
            return path, int(unit_text) - 1
        choices = f"its labels {', '.join(names)} or " if names else ""
        raise _Unknown(f"{path} has no unit {quoted(unit_text)}: expected {choices}a unit number "
                       f"from 1 to {size}", close_name(unit_text, names) if names else None)


def _winners(y, names, label: str) -> Tuple[str, ...]:
    """The labels whose output is the largest: the engine's one, and any that tie with it."""
    if not y or not names or any(v is None for v in y):
        return (label,)
    top = max(y)
    tied = tuple(n for n, v in zip(names, y) if v == top)
    return tied if label in tied else (label,)


class _Unknown(ValueError):
    def __init__(self, message: str, hint: Optional[str] = None):
        super().__init__(message)
        self.hint = hint


# --------------------------------------------------------------------------- an answers file

@dataclass(frozen=True)
class Answer:
    """One hand-computed value: the quantity at a step.

    ``units`` says which units of the quantity ``value`` gives (from 0; None: all of
    them); ``label`` is set instead of ``value`` for a winning label. ``name`` is the
    quantity as the file wrote it, ``line`` where."""

    t: int
    quantity: str
    value: Tuple[float, ...] = ()
    units: Optional[Tuple[int, ...]] = None
    label: Optional[str] = None
    name: str = ""
    line: Optional[int] = None
    unit_name: Optional[str] = None      # the unit's label, or its number from 1

    @property
    def shown(self) -> str:
        """``hidden.h``, or ``hidden.h[2]`` (``slot.y[time]``) for one unit."""
        return self.quantity if self.units is None else f"{self.quantity}[{self.unit_name or self.units[0] + 1}]"


@dataclass(frozen=True)
class Problem:
    """An answer that could not be read: its step (None when the step key itself is
    bad), the quantity as written, and the error."""

    t: Optional[int]
    name: str
    error: SpecError
    quantity: Optional[str] = None       # the path the name stands for, when it stands for one


@dataclass(frozen=True)
class Answers:
    source: str
    answers: Tuple[Answer, ...]
    tolerance: Optional[float] = None              # the file's own, if it gives one
    document: Optional[Document] = field(default=None, repr=False, compare=False)
    problems: Tuple[Problem, ...] = ()
    #: A key's points: step → points, (quantity path, unit or None) → points.
    points: Mapping[Any, float] = field(default_factory=dict)


def _error(doc: Document, message: str, where: Sequence[Any] = (), *, hint: Optional[str] = None,
           at_key: bool = False, shown: Optional[Sequence[Any]] = None) -> SpecError:
    """A SpecError at a place in the answers file. Step numbers are looked up as the
    key text they are in the file but shown as ``steps[4]``."""
    line, column = doc.position([str(p) for p in where], at_key=at_key)
    return SpecError(message, tuple(where if shown is None else shown), hint=hint, file=doc.file,
                     line=line, column=column)


def _number(doc: Document, value: Any, where: Sequence[Any], shown: Optional[Sequence[Any]] = None) -> float:
    """A hand-computed value, read as a spec's numbers are (``yamlsource.as_number``)."""
    if isinstance(value, float) and math.isnan(value):   # worded as infinity is
        raise _error(doc, "expected a finite number, found NaN", where, shown=shown)
    if isinstance(value, str) and _APPROX.fullmatch(value.strip()):
        # ≈0, ≈1, ≈7: as the tool writes a value that rounds to a whole number; read as
        # that number and judged as any answer (docs/check.md, "≈ values")
        return float(value.strip()[1:].strip().replace("\u2212", "-"))
    if isinstance(value, str) and _COMMA.fullmatch(value.strip()):
        raise _error(doc, f"{shorten(value)} looks like a number with a decimal comma: write "
                          f"{value.strip().replace(',', '.')}", where, shown=shown)
    try:
        return as_number(value)
    except ValueError as exc:
        raise _error(doc, str(exc), where, shown=shown) from None


def _kind_of(value: Any) -> str:
    """What a value is, without any of its text."""
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "a number"
    return describe_value(value) if not isinstance(value, (list, dict)) else \
        ("a list" if isinstance(value, list) else "a mapping")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _read_answer(doc: Document, reference: Reference, t: int, name: Any, value: Any,
                 key_text: str) -> Answer:
    at = ("steps", key_text, name)
    shown = ("steps", t, name)
    if not isinstance(name, str):
        raise _error(doc, f"expected a quantity name, found {describe_value(name)}", at, shown=shown)
    try:
        path, unit = reference.resolve(name)
    except _Unknown as exc:
        raise _error(doc, str(exc), at, hint=exc.hint, at_key=True, shown=shown) from None
    line = doc.position([str(p) for p in at], at_key=True)[0]
    if path in reference.label_paths:
        if not isinstance(value, str):
            labels = reference.unit_names.get(path[:-len("label")] + "y", ())
            raise _error(doc, f"{path} is a label ({', '.join(labels)}); found {describe_value(value)}", at,
                         shown=shown)
        return Answer(t, path, label=value, name=name, line=line)
    size = reference.size(path)
    if unit is not None:
        if isinstance(value, list):
            raise _error(doc, f"{name} is one unit: answer with one number, found {describe_value(value)}", at,
                         shown=shown)
        return Answer(t, path, (_number(doc, value, at, shown),), (unit,), name=name, line=line,
                      unit_name=reference.unit_name(path, unit))
    if isinstance(value, list):
        if len(value) != size:
            raise _error(doc, f"{path} has {_plural(size, 'value')}; found a list of {len(value)}", at,
                         shown=shown)
        numbers = tuple(_number(doc, v, at + (i,), shown + (i,)) for i, v in enumerate(value))
    elif size != 1:
        raise _error(doc, f"{path} has {size} values: answer with a list of {size} numbers "
                          f"(or one unit as {path}[1]), found {describe_value(value)}", at, shown=shown)
    else:
        numbers = (_number(doc, value, at, shown),)
    return Answer(t, path, numbers, name=name, line=line)


def answers_from_document(doc: Document, reference: Reference, duplicates: Optional[list] = None) -> Answers:
    """Validate an answers document against the quantities of ``reference``.

    What makes the whole file unusable raises; an answer that cannot be read becomes
    a :class:`Problem` and the others are kept."""
    data = doc.data
    example = "steps: {1: {y: 4}}"
    if data is None:
        raise _error(doc, f"the answers file is empty; expected a mapping like '{example}'")
    # A file that is not an answers file at all (a symlink's target, a stray document)
    # is described by its kind and position, never quoted (docs/check.md).
    if not isinstance(data, dict):
        raise _error(doc, f"expected a mapping like '{example}', found {_kind_of(data)}")
    allowed = ("steps", "tolerance", "points")
    for key in data:
        if key not in allowed:
            hint = close_name(key, allowed)
            shown = f"unknown key {quoted(key)}" if hint is not None else "an unknown key"
            raise _error(doc, f"{shown}; expected steps (and optionally tolerance, and points in a key)", (key,),
                         hint=hint, at_key=True, shown=None if hint is not None else ())
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
                          f"found {describe_value(steps)}", ("steps",))
    count = len(reference)
    answers: List[Answer] = []
    problems: List[Problem] = []
    repeated_steps, repeated_names = _repeats(duplicates)
    for dup_path, key, (line, column), value in duplicates or ():
        if tuple(dup_path) != ("steps",) and not (len(dup_path) == 2 and dup_path[0] == "steps"):
            raise SpecError(f"the key {quoted(key)} appears twice", tuple(dup_path) + (key,), file=doc.file,
                            line=line, column=column)

    def add_problem(problem: Problem) -> None:
        problems.append(problem)
        if len(problems) > MAX_UNREADABLE:
            # A file this far from an answers file of this spec is one error, not thousands
            # of rows (and bounded work: docs/check.md, "Limits").
            raise _error(doc, f"more than {MAX_UNREADABLE} answers cannot be read (unknown names, values "
                              "that are not numbers, …): is it an answers file of this spec?")

    for key, entries in steps.items():
        # YAML keys are kept as their text: "1", but also " 1" or "01" when quoted. Only
        # the plain form is step 1, so that no two keys can name the same step.
        text = str(key)
        t = int(text) if _STEP.fullmatch(text) else None
        names = list(entries) if isinstance(entries, dict) and entries else [None]
        problem = None
        if t is None:
            problem = _error(doc, f"expected a step number from 1 to {count} written plainly (digits only), "
                                  f"found {quoted(key)}", ("steps", key), at_key=True, shown=("steps",))
        elif t > count:
            problem = _error(doc, f"there is no step {shorten(text)}: the sequence has "
                                  f"{_plural(count, 'step')} (1 to {count})", ("steps", key), at_key=True,
                             shown=("steps", t))
        elif text in repeated_steps:
            lines = [doc.position(["steps", text], at_key=True)[0]] + [ln for ln, _ in repeated_steps[text]]
            problem = _error(doc, f"step {t} appears {len(lines)} times (lines {_lines(lines)}): none of its "
                                  "answers is graded, so that no copy can be chosen", ("steps", key),
                             at_key=True, shown=("steps", t))
            for _, again in repeated_steps[text]:
                if isinstance(again, dict) and again:
                    names += list(again)
        elif not isinstance(entries, dict) or not entries:
            problem = _error(doc, f"expected the answers of step {t} as a mapping like '{{lstm.c: 3, y: 0}}', "
                                  f"found {describe_value(entries)}", ("steps", key), shown=("steps", t))
        if problem is not None:
            # One row for each answer the step holds: each is an answer that cannot be judged.
            for n in names:
                add_problem(Problem(t, shorten(n) if isinstance(n, str) else "", problem,
                                    _resolved(reference, n)))
            continue
        items = list(entries.items())
        for i, (name, value) in enumerate(items):
            if _fragment(name, value) and i > 0 and _whole(items[i - 1][1]):
                continue                      # the second half of a decimal comma: reported with the first
            twice = repeated_names.get((text, name))
            fragment = items[i + 1][0] if i + 1 < len(items) and _fragment(*items[i + 1]) and _whole(value) \
                else None
            try:
                if twice is not None:
                    lines = [doc.position(["steps", text, str(name)], at_key=True)[0]] + twice
                    raise _error(doc, f"{shorten(str(name))} appears {len(lines)} times at step {t} (lines "
                                      f"{_lines(lines)}): neither is graded, so that no copy can be chosen",
                                 ("steps", text, name), at_key=True, shown=("steps", t, name))
                if fragment is not None:
                    raise _error(doc, f"{value},{fragment} looks like a number with a decimal comma (read as "
                                      f"{value} and a quantity named {fragment}): write {value}.{fragment}",
                                 ("steps", text, name), at_key=True, shown=("steps", t, name))
                answer = _read_answer(doc, reference, t, name, value, text)
            except SpecError as exc:
                add_problem(Problem(t, shorten(str(name)), exc, _resolved(reference, name)))
                continue
            answers.append(answer)
    # The same quantity answered twice at a step under two names (c and lstm.c): both
    # are errors, so that no copy can be chosen to gain (docs/check.md).
    # The same value written twice (y and lstm.h, both 7) counts once.
    where: Dict[Tuple[int, str, int], List[Tuple[Answer, Any]]] = {}
    for answer in answers:
        units = answer.units if answer.units is not None else range(max(1, len(answer.value)))
        values = answer.value if answer.label is None else (answer.label,)
        for u, v in zip(units, values):
            where.setdefault((answer.t, reference.canonical(answer.quantity), u), []).append((answer, v))
    clash: Dict[int, List[Answer]] = {}
    again = set()
    for group in where.values():
        if len(group) < 2:
            continue
        if len({v for _, v in group}) == 1 and len({a.units for a, _ in group}) == 1:
            again.update(id(a) for a, _ in group[1:])
            continue
        for a, _ in group:
            clash[id(a)] = [b for b, _ in group]
    kept = []
    for answer in answers:
        group = clash.get(id(answer))
        if group is None:
            if id(answer) not in again:
                kept.append(answer)
            continue
        others = ", ".join(f"{quoted(o.name)}" + (f" on line {o.line}" if o.line else "")
                           for o in group if o is not answer)
        add_problem(Problem(answer.t, answer.name, _error(
            doc, f"answered twice at step {answer.t}: also as {others}; neither is graded",
            ("steps", _step_text(steps, answer.t), answer.name), at_key=True,
            shown=("steps", answer.t, answer.name)), answer.quantity))
    points = _points(doc, reference, data.get("points"), count) if "points" in data else {}
    return Answers(doc.file, tuple(kept), tolerance, doc, tuple(problems), points)


def _points(doc: Document, reference: "Reference", given: Any, count: int) -> Dict[Any, float]:
    """A key's ``points:``: step numbers and quantity names → the points of each question
    at that step or of that quantity (a quantity's wins over its step's; default 1)."""
    if not isinstance(given, dict) or not given:
        raise _error(doc, "expected points as a mapping of steps or quantities to numbers, like "
                          "'points: {lstm.c: 2, 5: 3}'", ("points",))
    points: Dict[Any, float] = {}
    for key, value in given.items():
        text = str(key)
        where = ("points", key)
        number = _number(doc, value, where)
        if number < 0:
            raise _error(doc, f"expected points of 0 or more, found {number:g}", where)
        if _STEP.fullmatch(text):
            if int(text) > count:
                raise _error(doc, f"there is no step {text}: the sequence has {_plural(count, 'step')}", where,
                             at_key=True)
            points[int(text)] = number
            continue
        try:
            path, unit = reference.resolve(text)
        except _Unknown as exc:
            raise _error(doc, str(exc), where, hint=exc.hint, at_key=True) from None
        points[(reference.canonical(path), unit)] = number
    return points


#: Answers of one file that cannot be read, past which the file is one error (docs/check.md).
MAX_UNREADABLE = 200


def _repeats(duplicates):
    """Step keys and (step, name) keys that appear more than once: key → [(line, value)]."""
    steps: Dict[str, List[Tuple[int, Any]]] = {}
    names: Dict[Tuple[str, Any], List[int]] = {}
    for path, key, (line, _), value in duplicates or ():
        path = tuple(path)
        if path == ("steps",):
            steps.setdefault(str(key), []).append((line, value))
        elif len(path) == 2 and path[0] == "steps":
            names.setdefault((str(path[1]), key), []).append(line)
    return steps, names


def _lines(lines) -> str:
    return ", ".join(str(n) for n in lines if n)


def _step_text(steps, t: int) -> str:
    return next((str(k) for k in steps if str(k) == str(t)), str(t))


def _fragment(name, value) -> bool:
    """``9995`` with no value: what ``{c: 6,9995}`` leaves of a decimal comma."""
    return value is None and isinstance(name, str) and name.isdigit()


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _resolved(reference: "Reference", name) -> Optional[str]:
    """The path a name stands for, when it stands for one (for matching to a question)."""
    if not isinstance(name, str):
        return None
    try:
        return reference.resolve(name)[0]
    except ValueError:
        return None


def answers_from_text(text: str, reference: Reference, source: str = "<answers>") -> Answers:
    duplicates: list = []
    return answers_from_document(parse(text, source, "an answers file", duplicates), reference, duplicates)


def load_answers(path: str, reference: Reference, *, name: Optional[str] = None) -> Answers:
    """Read and validate an answers file (``-`` reads standard input)."""
    label = name or ("<stdin>" if path == "-" else str(path))
    # A regular file, never through a symlink, never a FIFO or a device; reads stop at
    # yamlsource.MAX_BYTES (rnntrace/grading/files.py).
    from .files import read_named_regular
    return answers_from_text(read_named_regular(path, label, "answers"), reference, label)


# --------------------------------------------------------------------------- a key

@dataclass(frozen=True)
class Question:
    """What a key asks: a quantity at a step (one unit of it, or all)."""

    t: int
    quantity: str
    units: Optional[Tuple[int, ...]] = None
    label: bool = False
    unit_name: Optional[str] = None
    points: float = 1.0

    @property
    def shown(self) -> str:
        return self.quantity if self.units is None else f"{self.quantity}[{self.unit_name or self.units[0] + 1}]"


@dataclass(frozen=True)
class Key:
    source: str
    questions: Tuple[Question, ...]
    tolerance: Optional[float]


def load_key(path: str, reference: Reference) -> Key:
    """The teacher's key: an answers file whose answers are the questions. A key that
    cannot be read in full, or that disagrees with the spec's exact run, is an error."""
    answers = load_answers(path, reference)
    if answers.problems:
        raise answers.problems[0].error
    tol = answers.tolerance if answers.tolerance is not None else DEFAULT_TOLERANCE
    questions = []
    seen = set()
    for a in answers.answers:
        place = (a.t, reference.canonical(a.quantity), a.units, a.label is not None)
        if place in seen:                     # y and lstm.h: one quantity, asked once
            continue
        seen.add(place)
        if a.label is None:
            exact = _exact_of(reference, a.t, a.quantity, a.units)
            bad = next((i for i, (k, e) in enumerate(zip(a.value, exact))
                        if e is None or not within(k, e, tol)), None)
            if bad is not None:
                raise RnntraceError(
                    f"{answers.source}: step {a.t} {a.shown}: the key says {a.value[bad]!r}, but the spec's "
                    f"exact value is {exact[bad]!r}: is it the key of another spec?")
        unit = a.units[0] if a.units is not None and len(a.units) == 1 else None
        worth = answers.points.get((reference.canonical(a.quantity), unit),
                                   answers.points.get((reference.canonical(a.quantity), None),
                                                      answers.points.get(a.t, 1.0)))
        questions.append(Question(a.t, a.quantity, a.units, a.label is not None, a.unit_name, worth))
    return Key(answers.source, tuple(questions), answers.tolerance)


# --------------------------------------------------------------------------- verdicts

@dataclass(frozen=True)
class Verdict:
    """One answer beside the exact value.

    ``status`` is ``right``, ``wrong``, ``error`` (the answer could not be read:
    ``error`` says why) or ``unanswered`` (a question of the key the file leaves out).
    ``wrong_units`` names the units outside the tolerance in a vector answer;
    ``follows`` says whose values a wrong-but-consistent answer follows from."""

    t: Optional[int]
    quantity: str
    yours: Tuple[Any, ...]
    exact: Tuple[Any, ...]               # None where the exact value is not finite
    difference: Optional[float]          # the largest |yours − exact| over the entries
    allowed: Optional[float]             # tolerance·max(1, |exact|) at that entry
    right: bool
    status: str = ""
    error: Optional[str] = None
    wrong_units: Tuple[str, ...] = ()
    follows: Optional[str] = None
    recomputed: Optional[Tuple[Optional[float], ...]] = None
    units: Optional[Tuple[int, ...]] = None   # the units answered (None: all of them)
    line: Optional[int] = None
    #: False for a row shown but not scored: under a key, an answer whose name is unknown.
    graded: bool = True
    #: What the answer is worth (a key's points; 1 otherwise); earned when right.
    points: float = 1.0

    def __post_init__(self):
        if not self.status:
            object.__setattr__(self, "status", "right" if self.right else "wrong")


#: An answer exactly on the boundary (0.51 for 0.5 at tolerance 0.01) is right, though
#: 0.51 − 0.5 comes out a few units in the last place above 0.01 in binary.
_ROUNDING = 1 + 1e-9


def within(yours: float, exact: float, tolerance: float) -> bool:
    """|yours − exact| ≤ tolerance·max(1, |exact|)."""
    return abs(yours - exact) <= tolerance * max(1.0, abs(exact)) * _ROUNDING


def _follows(yours: float, recomputed: float, exact: float, tolerance: float) -> bool:
    """|yours − recomputed| ≤ tolerance·max(1, min(|recomputed|, |exact|)): a value
    carried forward is allowed no more than the exact one would be, so that making a
    value large (999 everywhere) cannot widen its own relative tolerance."""
    return abs(yours - recomputed) <= tolerance * max(1.0, min(abs(recomputed), abs(exact))) * _ROUNDING


def _finite_or_none(value: float) -> Optional[float]:
    # 1e308·max(1, |exact|) is inf: such an allowance is "any finite difference", and a
    # JSON report stays strict (null, as for every value past float64's range).
    return value if math.isfinite(value) else None


def judge(answer: Answer, exact: Sequence[Optional[float]], tolerance: float,
          names: Optional[Sequence[str]] = None) -> Verdict:
    """``exact`` holds the exact values of the units ``answer`` gives; ``names`` how
    those units are called (``2``, ``destination``), for saying which are wrong."""
    worst_gap: Optional[float] = None
    worst_allowed: Optional[float] = None
    worst_ratio = -1.0
    wrong: List[str] = []
    for i, (mine, true) in enumerate(zip(answer.value, exact)):
        if true is None:               # an overflowed exact value: nothing can match it
            return Verdict(answer.t, answer.shown, answer.value, tuple(exact), None, None, False,
                           units=answer.units, line=answer.line)
        gap = abs(mine - true)
        allowed = tolerance * max(1.0, abs(true))
        if not within(mine, true, tolerance):
            wrong.append(names[i] if names is not None else str(i + 1))
        ratio = gap / allowed if allowed > 0 else (0.0 if gap == 0 else math.inf)
        if ratio > worst_ratio:
            worst_ratio, worst_gap, worst_allowed = ratio, gap, allowed
    right = not wrong
    if len(answer.value) == 1:
        wrong = []                     # one number: the row says it all
    return Verdict(answer.t, answer.shown, answer.value, tuple(exact),
                   None if worst_gap is None else _finite_or_none(worst_gap),
                   None if worst_allowed is None else _finite_or_none(worst_allowed),
                   right, wrong_units=tuple(wrong), units=answer.units, line=answer.line)


def _judge_label(answer: Answer, winners: Sequence[str]) -> Verdict:
    right = answer.label in winners
    return Verdict(answer.t, answer.quantity, (answer.label,), tuple(winners), None, None, right,
                   line=answer.line)


def _exact_of(reference: Reference, t: int, path: str, units: Optional[Sequence[int]]):
    values = reference.steps[t - 1][path]
    return values if units is None else tuple(values[u] for u in units)


def _names_of(reference: Reference, path: str, units: Optional[Sequence[int]]) -> Tuple[str, ...]:
    count = reference.size(path)
    return tuple(reference.unit_name(path, u) for u in (range(count) if units is None else units))


def _problem_verdict(problem: Problem) -> Verdict:
    return Verdict(problem.t, problem.name, (), (), None, None, False, status="error",
                   error=str(problem.error), line=problem.error.line)


@dataclass(frozen=True)
class FileResult:
    """The verdicts for one answers file, or why it could not be read."""

    source: str
    tolerance: float
    verdicts: Tuple[Verdict, ...] = ()
    error: Optional[str] = None
    tolerance_from: str = "default"      # option, key, file or default
    ignored: Tuple[Tuple[int, str], ...] = ()   # answers the key does not ask for
    own_tolerance: Optional[float] = None       # the file's own tolerance, when not used

    @property
    def readable(self) -> bool:
        return self.error is None

    @property
    def right(self) -> int:
        return sum(v.right for v in self.verdicts if v.graded)

    @property
    def total(self) -> int:
        return sum(v.graded for v in self.verdicts)

    @property
    def not_graded(self) -> Tuple[Tuple[Optional[int], str, str], ...]:
        """(step, name, why) of each answer given but not scored: unknown names, and
        answers to quantities the key does not ask for."""
        rows = [(v.t, v.quantity, "unknown") for v in self.verdicts if not v.graded]
        return tuple(rows) + tuple((t, q, "not asked") for t, q in self.ignored)

    @property
    def points(self) -> float:
        """The points earned: each right answer's worth (1 unless a key says otherwise)."""
        return sum(v.points for v in self.verdicts if v.graded and v.right) if self.readable else 0.0

    @property
    def max_points(self) -> float:
        return sum(v.points for v in self.verdicts if v.graded)

    @property
    def score(self) -> float:
        """points/max_points (right/total when every answer is worth 1); a file that
        cannot be read scores 0, as in a gradebook."""
        return self.points / self.max_points if self.readable and self.max_points else 0.0

    @property
    def first_wrong(self) -> Optional[Verdict]:
        return next((v for v in self.verdicts if not v.right and v.graded), None)

    @property
    def status(self) -> str:
        if not self.readable:
            return "error"
        return "right" if self.right == self.total else "wrong"


@dataclass(frozen=True)
class Policy:
    """How files are judged: the command line's tolerance, the key, and whether a
    file's own tolerance counts (it does for one file checked on its own)."""

    tolerance: Optional[float] = None
    key: Optional[Key] = None
    trust_file_tolerance: bool = True
    #: Recomputes a quantity from the student's own answers: (answers by (t, path) →
    #: {unit: value}, t, path) → values or None, with what they came from.
    follow: Optional[Callable] = None

    def tolerance_for(self, answers: Optional[Answers]) -> Tuple[float, str]:
        if self.tolerance is not None:
            return self.tolerance, "option"
        if self.key is not None:
            return (self.key.tolerance, "key") if self.key.tolerance is not None else (DEFAULT_TOLERANCE, "default")
        if self.trust_file_tolerance and answers is not None and answers.tolerance is not None:
            return answers.tolerance, "file"
        return DEFAULT_TOLERANCE, "default"


def _own_values(answers: Answers, key: Optional[Key], follow) -> Dict[Tuple[int, str], Dict[int, float]]:
    """The student's numbers that follow-through may recompute from, by (step, path),
    unit by unit (docs/check.md, "Follow-through"): only answers to what is asked (the
    key's questions, unit by unit; without a key, every answer the file gives, each of
    them graded), and never an input ``x`` or a memory read: those are the spec's own
    inputs and the student's earlier answer to the quantity written to the memory."""
    asked: Optional[Dict[Tuple[int, str], Optional[set]]] = None
    if key is not None:
        asked = {}
        for q in key.questions:
            if q.label:
                continue
            place = (q.t, follow.canonical(q.quantity))
            if q.units is None:
                asked[place] = None
            elif place not in asked or asked[place] is not None:
                asked.setdefault(place, set()).update(q.units)
    mine: Dict[Tuple[int, str], Dict[int, float]] = {}
    for a in answers.answers:
        if a.label is not None or not follow.source(a.quantity):
            continue
        place = (a.t, follow.canonical(a.quantity))
        if asked is not None and place not in asked:
            continue
        units = asked.get(place) if asked is not None else None
        for u, v in zip(a.units if a.units is not None else range(len(a.value)), a.value):
            if units is None or u in units:
                mine.setdefault((a.t, a.quantity), {})[u] = v
    return mine


def _follow_through(verdict: Verdict, answer_units, reference: Reference, tolerance: float, policy: Policy,
                    mine, t: int, path: str) -> Verdict:
    """A wrong answer that is right for the student's own values of what it reads is
    marked right, saying which of their values it follows from."""
    found = policy.follow(mine, t, path)
    if found is None:
        return verdict
    values, sources = found
    units = range(len(values)) if answer_units is None else answer_units
    recomputed = tuple(values[u] for u in units)
    exact = verdict.exact
    if any(r is None or not _follows(y, r, e, tolerance) for y, r, e in zip(verdict.yours, recomputed, exact)):
        return verdict
    from dataclasses import replace
    return replace(verdict, right=True, status="right", follows=", ".join(sources), recomputed=recomputed)


def check(answers: Answers, reference: Reference, tolerance: Optional[float] = None, *,
          policy: Optional[Policy] = None) -> FileResult:
    """Judge every answer. ``tolerance`` (the command line's) wins over the file's own,
    which wins over the default; a :class:`Policy` says more (a key, follow-through)."""
    if policy is None:
        policy = Policy(tolerance)
    tol, source = policy.tolerance_for(answers)
    own = answers.tolerance if source != "file" else None
    mine = _own_values(answers, policy.key, policy.follow) if policy.follow is not None else None

    def judged(a: Answer, exact, names) -> Verdict:
        v = judge(a, exact, tol, names)
        if not v.right and mine is not None and None not in exact:
            v = _follow_through(v, a.units, reference, tol, policy, mine, a.t, a.quantity)
        return v

    if policy.key is None:
        verdicts: List[Verdict] = []
        for a in answers.answers:
            if a.label is not None:
                verdicts.append(_judge_label(a, reference.labels[a.t - 1][a.quantity]))
            else:
                verdicts.append(judged(a, _exact_of(reference, a.t, a.quantity, a.units),
                                       _names_of(reference, a.quantity, a.units)))
        verdicts.extend(_problem_verdict(p) for p in answers.problems)
        verdicts.sort(key=lambda v: (v.t is None, v.t or 0, v.line or 0))
        return FileResult(answers.source, tol, tuple(verdicts), tolerance_from=source, own_tolerance=own)

    # Against a key: each question is scored once, from the answers that cover it.
    # A question is answered under any of its names: ``y`` answers ``lstm.h`` (the same
    # value by definition) and the other way round.
    canon = reference.canonical
    by_place: Dict[Tuple[int, str], List[Answer]] = {}
    for a in answers.answers:
        by_place.setdefault((a.t, canon(a.quantity)), []).append(a)
    problems: Dict[Tuple[Optional[int], Optional[str]], Problem] = {}
    for p in answers.problems:                  # the first problem with each question
        problems.setdefault((p.t, canon(p.quantity) if p.quantity else None), p)
    used = set()
    verdicts = []
    for q in policy.key.questions:
        before = len(verdicts)
        _ask(q, by_place.get((q.t, canon(q.quantity)), []), verdicts, used, reference, problems, judged)
        verdicts[before:] = [replace(v, points=q.points) for v in verdicts[before:]]
    ignored = tuple((a.t, a.shown) for a in answers.answers if id(a) not in used)
    asked = {(q.t, canon(q.quantity)) for q in policy.key.questions}
    ignored += tuple((p.t, p.name) for p in answers.problems
                     if p.quantity is not None and (p.t, canon(p.quantity)) not in asked)
    # A name that stands for nothing is an error row of its own (it may be a question's
    # answer misspelt), shown but not counted: the question it meant is unanswered.
    verdicts += [replace(_problem_verdict(p), graded=False) for p in answers.problems if p.quantity is None]
    return FileResult(answers.source, tol, tuple(verdicts), tolerance_from=source, ignored=ignored,
                      own_tolerance=answers.tolerance)


def _ask(q: "Question", found: List[Answer], verdicts: List[Verdict], used: set, reference: Reference,
         problems, judged) -> None:
    """The verdict of one question of a key, from the answers that cover it."""
    if q.label:
        if found:
            used.add(id(found[0]))
            verdicts.append(_judge_label(found[0], reference.labels[q.t - 1][q.quantity]))
        else:
            verdicts.append(_unanswered(q, reference, problems))
        return
    units = tuple(range(reference.size(q.quantity))) if q.units is None else q.units
    values: Dict[int, float] = {}
    lines = []
    for a in found:
        for u, v in zip(a.units if a.units is not None else range(len(a.value)), a.value):
            if u in units:
                values[u] = v
                used.add(id(a))
                lines.append(a.line)
    if len(values) < len(units):
        verdicts.append(_unanswered(q, reference, problems, missing=[u for u in units if u not in values]))
        return
    answer = Answer(q.t, q.quantity, tuple(values[u] for u in units), q.units, line=min(l or 0 for l in lines),
                    unit_name=q.unit_name)
    verdicts.append(judged(answer, _exact_of(reference, q.t, q.quantity, q.units),
                           _names_of(reference, q.quantity, q.units)))


def _unanswered(q: Question, reference: Reference, problems, missing=None) -> Verdict:
    """A question of the key the file does not answer (or answers with an error)."""
    p = problems.get((q.t, reference.canonical(q.quantity)))
    why = None if p is None else str(p.error)
    exact = () if q.label else tuple(_exact_of(reference, q.t, q.quantity, q.units))
    if q.label:
        exact = tuple(reference.labels[q.t - 1][q.quantity])
    if why is None and missing and q.units is None and len(missing) < reference.size(q.quantity):
        why = "no answer for unit " + ", ".join(reference.unit_name(q.quantity, u) for u in missing)
    return Verdict(q.t, q.shown, (), exact, None, None, False, status="error" if why else "unanswered",
                   error=why, units=q.units)


def check_file(path: str, reference: Reference, tolerance: Optional[float] = None, *,
               policy: Optional[Policy] = None) -> FileResult:
    """One file; a problem with it raises (an error for the user to fix)."""
    return check(load_answers(path, reference), reference, tolerance, policy=policy)


def check_files(paths: Iterable[str], reference: Reference,
                tolerance: Optional[float] = None, *, policy: Optional[Policy] = None) -> List[FileResult]:
    """A whole class: a file that cannot be read becomes a result with its error,
    and the others are still checked."""
    if policy is None:
        policy = Policy(tolerance, trust_file_tolerance=False)
    results = []
    for path in paths:
        try:
            results.append(check_file(path, reference, policy=policy))
        except RnntraceError as exc:
            tol, source = policy.tolerance_for(None)
            results.append(FileResult(str(path), tol, error=str(exc), tolerance_from=source))
    return results


def exit_code(results: Sequence[FileResult]) -> int:
    """0 when every answer of every file is right, else 1: a file of a class that could
    not be read is a row of its own, scoring 0, and the class was graded. (2, "grading
    could not happen", is for a bad spec, key or option, or one file checked alone that
    cannot be read; those raise before there are results.)"""
    return 0 if results and all(r.status == "right" for r in results) else 1
