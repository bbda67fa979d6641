"""The errors rnntrace reports to its users.

A :class:`SpecError` knows where in the spec it happened (file, line, column and
the key path such as ``layers[0].output.W``), so the command line can print one
short, precise message instead of a traceback.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence, Tuple, Union

PathPart = Union[str, int]
KeyPath = Tuple[PathPart, ...]   # ("layers", 0, "W")


class RnntraceError(Exception):
    """A problem the user can fix: bad input, a bad option, an unreadable file."""


def format_path(path: Sequence[PathPart]) -> str:
    """``('layers', 0, 'output', 'W')`` → ``layers[0].output.W``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{shorten(str(part))}]"
        else:
            text += ("." if text else "") + shorten(str(part))
    return text


def shorten(text: str, limit: int = 40) -> str:
    """Text for a one-line message: a very long name keeps its start and ends in '…'."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quoted(value: object, limit: int = 40) -> str:
    """``repr`` of a name or word, shortened for a one-line message."""
    return repr(shorten(value, limit)) if isinstance(value, str) else shorten(repr(value), limit)


def describe(value: object) -> str:
    """What was found, for a message "expected …, found …": a value as YAML reads it."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) < 40 else "text"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


#: Most names compared with a typo for "did you mean": difflib compares each, and a
#: lexicon of a million words would take minutes. Past this, only names of about the
#: typo's length and with its first letter are compared, and none when still too many.
MAX_SUGGESTION_CHOICES = 10_000


def close_name(name: object, choices: Iterable[str]) -> Optional[str]:
    """The choice a typo most likely meant, or None."""
    if not isinstance(name, str):
        return None
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if name.lower() in lowered:
        return lowered[name.lower()]
    if len(choices) > MAX_SUGGESTION_CHOICES:   # a typo changes a few characters, rarely the first
        size, first = len(name), name[:1].lower()
        choices = [c for c in choices if abs(len(c) - size) <= 2 and c[:1].lower() == first]
        if len(choices) > MAX_SUGGESTION_CHOICES:
            return None
    import difflib   # only when there is a typo to explain: it costs start-up time
    match = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return match[0] if match else None


class SpecError(RnntraceError):
    """A spec that cannot be used, with the place that is wrong.

    ``path`` is the key path inside the document; ``file``, ``line`` and ``column``
    (1-based) are filled in by the loader, which knows where each key came from.
    """

    def __init__(
        self,
        message: str,
        path: Sequence[PathPart] = (),
        *,
        hint: Optional[str] = None,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ):
        super().__init__(message)
        self.message = message
        self.path: KeyPath = tuple(path)
        self.hint = hint
        self.file = file
        self.line = line
        self.column = column

    @property
    def location(self) -> str:
        where = self.file or "<spec>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        text = self.location + ": "
        if self.path:
            text += format_path(self.path) + ": "
        text += self.message
        if self.hint:
            text += f" (did you mean '{self.hint}'?)"
        return text


class MissingFileError(SpecError):
    """The file named is not there. A type of its own, so that a caller who knows
    other places to look (the command line's bundled examples) can say so."""

    def __init__(self, file: str):
        super().__init__("no such file", file=file)
