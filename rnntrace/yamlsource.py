"""Safe YAML reading that remembers where every value came from.

The document is read as PyYAML's stream of parse events (libyaml's parser where
available) and built here, without recursion, into plain lists, dicts, numbers and
strings. No Python object is ever constructed from a tag: a tag other than YAML's own
str, int, float, bool, null, seq and map is refused. Beside the data a light tree of
positions is kept, so that an error at a key path can be pointed at its file, line and
column afterwards, at no cost while nothing is wrong.

Hostile input is refused early, in bounded time and memory (the limits are stated in
the README under "Errors, limits and exit codes"):

- a file larger than :data:`MAX_BYTES` is not read further than that;
- collections nested deeper than :data:`MAX_DEPTH` (``[[[[…`` a hundred thousand times)
  are refused as soon as the parser reaches that depth;
- a document that expands to more than :data:`MAX_VALUES` values is refused while it is
  read. An alias (``*name``) counts the whole node it stands for each time it is used,
  so an "alias bomb" (a billion values written in a few lines) stops at the limit;
  aliased data is shared, never copied.

Scalars follow YAML 1.2's core schema: only ``true``/``false`` are booleans (so the
words "on", "no" and "yes" stay words), ``null``, ``~`` and nothing are null, and
numbers are written as numbers (``3``, ``-0.5``, ``1e-3``, ``.inf``, ``.nan``, ``0x1F``).
"""
from __future__ import annotations

import math
import re
from collections import namedtuple
from typing import Any, BinaryIO, Dict, List, Optional, Sequence, Tuple, Union

import yaml

from .errors import MissingFileError, PathPart, SpecError, describe_value

try:  # libyaml's parser is several times faster than the pure-Python one
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

#: Largest spec (or answers) file read, in bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Largest number of values (numbers, words, keys, lists, mappings) a document may hold,
#: aliases counted each time they are used.
MAX_VALUES = 2_000_000
#: Deepest nesting of lists and mappings. A spec needs about 6 levels.
MAX_DEPTH = 64

_TAG = "tag:yaml.org,2002:"
_STR, _INT_TAG, _FLOAT_TAG, _BOOL, _NULL = (_TAG + name for name in ("str", "int", "float", "bool", "null"))
_COLLECTION_TAGS = (None, "!", _TAG + "seq", _TAG + "map")

_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_OCT = re.compile(r"0o[0-7]+")
_SPECIAL = {".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
            "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
            "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
            ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
            "true": True, "True": True, "TRUE": True,
            "false": False, "False": False, "FALSE": False,
            "null": None, "Null": None, "NULL": None, "~": None, "": None}

Position = Tuple[int, int]          # 1-based line, column


class Place:
    """Where a list or mapping stands, and where each of its parts stands.

    ``parts`` is a list of the items' places (a list) or a dict from the key text to
    ``(place of the key, place of the value)`` (a mapping). A scalar's place is its
    ``(line, column)``.
    """

    __slots__ = ("line", "column", "parts")

    def __init__(self, line: int, column: int, parts: Union[list, dict]):
        self.line = line
        self.column = column
        self.parts = parts


class Document(namedtuple("Document", "data root file")):
    """A loaded YAML document: its plain ``data``, where each part of it stands (``root``,
    a Place or a (line, column) Position, or None) and its ``file``. (A namedtuple: a
    dataclass compiles its methods when the module is imported, on every run's start-up.)"""

    __slots__ = ()

    def error(self, message: str, path: Sequence[PathPart] = (), *, hint: Optional[str] = None,
              at_key: bool = False) -> SpecError:
        """A SpecError at ``path``, with the line and column of that place."""
        line, column = self.position(path, at_key=at_key)
        return SpecError(message, path, hint=hint, file=self.file, line=line, column=column)

    def nested(self, key: str) -> "Document":
        """This document as the value of ``key`` in a mapping, so that errors at paths
        that start with ``key`` point into it (``--inputs`` read as a spec's ``inputs``)."""
        root = None if self.root is None else Place(*_where(self.root), {key: (_where(self.root), self.root)})
        return Document({key: self.data}, root, self.file)

    def position(self, path: Sequence[PathPart], at_key: bool = False):
        """1-based (line, column) of the value at ``path`` (of its key, with ``at_key``),
        or of its nearest parent that exists."""
        place = self.root
        if place is None:
            return None, None
        where = _where(place)
        for i, part in enumerate(path):
            if not isinstance(place, Place):
                break
            last = i == len(path) - 1
            parts = place.parts
            if isinstance(parts, dict):
                if not isinstance(part, str) or part not in parts:
                    break
                key_place, place = parts[part]
                if last and at_key:
                    return key_place
            else:
                if not isinstance(part, int) or not 0 <= part < len(parts):
                    break
                place = parts[part]
            where = _where(place)
        return where


def _where(place) -> Position:
    return (place.line, place.column) if isinstance(place, Place) else place


# --------------------------------------------------------------------------- reading bytes

def read_text(source: str, raw: bytes) -> str:
    """Decode a file's bytes as UTF-8 (a byte-order mark is allowed)."""
    if len(raw) > MAX_BYTES:
        raise SpecError(f"the file is larger than {MAX_BYTES:,} bytes, the most rnntrace reads",
                        file=source)
    try:
        text = raw.decode("utf-8")   # not the utf-8-sig codec: its module is start-up time
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(f"expected UTF-8 text, found the byte 0x{raw[exc.start]:02x} "
                        f"(byte {exc.start:,} of the file is not text)",
                        file=source, line=line, column=column) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of a binary stream (one more than allowed tells that
    there is too much), read in pieces, so that memory follows what is there, not the
    limit, and a device or pipe that never ends (``/dev/zero``) cannot hang the reader."""
    pieces = []
    total = 0
    while total <= limit:
        piece = stream.read(min(1 << 20, limit + 1 - total))
        if not piece:
            break
        pieces.append(piece)
        total += len(piece)
    return b"".join(pieces)


def read_stream(stream: BinaryIO, source: str) -> str:
    """Read at most :data:`MAX_BYTES` (and one more, to tell) from a binary stream."""
    return read_text(source, read_limited(stream, MAX_BYTES))


def read_path(path, source: Optional[str] = None, what: str = "spec") -> str:
    """The text of a file, with one-line errors for what usually goes wrong."""
    label = source or str(path)
    try:
        with open(path, "rb") as stream:
            return read_stream(stream, label)
    except IsADirectoryError:
        article = "an" if what[:1] in "aeiou" else "a"
        raise SpecError(f"expected {article} {what} file, found a directory", file=label) from None
    except FileNotFoundError:
        raise MissingFileError(label) from None
    except PermissionError:
        raise SpecError("cannot read: permission denied", file=label) from None
    except OSError as exc:
        raise SpecError(f"cannot read: {exc.strerror or exc}", file=label) from None


def read_named(name, label: str, what: str = "spec") -> str:
    """The text of the file ``name``, or of standard input when it is ``-``."""
    if str(name) == "-":
        import sys
        return read_stream(sys.stdin.buffer, label)
    return read_path(name, label, what)


# --------------------------------------------------------------------------- parsing

def parse(text: str, source: str, within: str = "a spec", duplicates: Optional[list] = None) -> Document:
    """Read ``text`` safely into plain data and positions (see the module doc).
    ``within`` names what is read, for messages: "a spec", "an answers file", "--inputs".
    A key that appears twice in a mapping is an error, unless ``duplicates`` is a list:
    then the first value is kept and each later one is appended to it as (path of the
    mapping, key, (line, column) of the key, value), for the reader to judge (an answers
    file makes both copies errors, docs/check.md)."""
    if len(text) > MAX_BYTES:
        raise SpecError(f"the text is longer than {MAX_BYTES:,} characters, the most rnntrace reads",
                        file=source)
    try:
        loader = _Loader(text)
        try:
            return _Builder(source, within, duplicates).build(loader)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem and exc.context_mark is not None:
            problem = f"{problem} ({exc.context} at line {exc.context_mark.line + 1})"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        if mark is not None and text[mark.index:mark.index + 1] == "\t":
            problem = "a tab cannot indent YAML; use spaces"
        if "maximum nesting depth" in problem:   # newer libyaml scans ahead to its own limit (1000)
            raise SpecError(f"the document is nested more than {MAX_DEPTH} levels deep",
                            file=source, line=line, column=column) from None
        raise SpecError(f"YAML syntax error: {problem}", file=source, line=line, column=column) from None
    except yaml.reader.ReaderError as exc:
        line, column = _line_column(text, exc.position)
        raise SpecError(f"expected printable text, found the character #x{exc.character:04x} "
                        f"({exc.reason})", file=source, line=line, column=column) from None
    except yaml.YAMLError as exc:
        raise SpecError("YAML error: " + " ".join(str(exc).split()), file=source) from None
    except RecursionError:  # pragma: no cover - the builder does not recurse; belt and braces
        raise SpecError(f"the document is nested more than {MAX_DEPTH} levels deep", file=source) from None


def _line_column(text: str, position: int) -> Position:
    return text.count("\n", 0, position) + 1, position - (text.rfind("\n", 0, position) + 1) + 1


class _Frame:
    """A list or mapping being read."""

    __slots__ = ("data", "place", "anchor", "start", "key", "key_place")

    def __init__(self, data, place, anchor, start):
        self.data = data
        self.place = place
        self.anchor = anchor
        self.start = start          # the count once this collection itself was counted
        self.key = None             # a mapping's key waiting for its value
        self.key_place = None


class _Repeated:
    """A key met a second time in its mapping (kept aside when duplicates are collected)."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key


class _Builder:
    def __init__(self, source: str, within: str = "a spec", duplicates: Optional[list] = None):
        self.source = source
        self.within = within
        self.duplicates = duplicates
        self.stack: List[_Frame] = []
        self.anchors: Dict[str, Tuple[Any, Any, int]] = {}
        self.count = 0
        self.documents = 0
        self.root: Any = None
        self.root_place: Any = None

    # ---------------------------------------------------------------- errors

    def path(self) -> Tuple[PathPart, ...]:
        """The key path of the innermost collection being read."""
        parts: List[PathPart] = []
        for parent in self.stack[:-1]:
            if isinstance(parent.data, list):
                parts.append(len(parent.data))
            else:
                parts.append(parent.key)
        return tuple(parts)

    def error(self, message: str, mark, extra: Tuple[PathPart, ...] = ()) -> SpecError:
        return SpecError(message, self.path() + extra, file=self.source,
                         line=mark.line + 1, column=mark.column + 1)

    def here(self) -> Tuple[PathPart, ...]:
        """The path of the value about to be added to the innermost collection."""
        if not self.stack:
            return ()
        top = self.stack[-1]
        return (len(top.data),) if isinstance(top.data, list) else ((top.key,) if top.key is not None else ())

    # ---------------------------------------------------------------- building

    def build(self, loader) -> Document:
        Scalar, Alias = yaml.ScalarEvent, yaml.AliasEvent
        SeqStart, MapStart = yaml.SequenceStartEvent, yaml.MappingStartEvent
        SeqEnd, MapEnd = yaml.SequenceEndEvent, yaml.MappingEndEvent
        StreamEnd = yaml.StreamEndEvent
        special, plain = _SPECIAL, plain_scalar
        next_event = loader.get_event
        stack = self.stack
        while True:
            event = next_event()
            kind = event.__class__
            if kind is Scalar:
                mark = event.start_mark
                place = (mark.line + 1, mark.column + 1)
                if event.tag is None and event.anchor is None:
                    # the common case: a plain number or word, in a list
                    value = event.value
                    if event.implicit[0]:
                        value = special[value] if value in special else plain(value)
                    top = stack[-1] if stack else None
                    if top is not None and top.data.__class__ is list:
                        self.count += 1
                        if self.count > MAX_VALUES:
                            self.check_count(mark)
                        top.data.append(value)
                        top.place.parts.append(place)
                        continue
                else:
                    value = self.scalar(event)
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (value, place, 1)
                if value.__class__ is str and " " in value:
                    top = stack[-1] if stack else None
                    if top is None or top.data.__class__ is list or top.key is not None:   # not a key
                        place = _word_places(event, value, place)
                self.add(value, place, 1, event)
            elif kind is SeqStart or kind is MapStart:
                self.open(event, [] if kind is SeqStart else {})
            elif kind is SeqEnd or kind is MapEnd:
                frame = stack.pop()
                size = self.count - frame.start + 1
                if frame.anchor is not None:
                    self.anchors[frame.anchor] = (frame.data, frame.place, size)
                self.add(frame.data, frame.place, 0, event)
            elif kind is Alias:
                if event.anchor not in self.anchors:
                    raise self.error(f"the alias *{event.anchor} does not refer to a finished node "
                                     f"(no &{event.anchor} before it, or it is inside that node)",
                                     event.start_mark, self.here())
                value, place, size = self.anchors[event.anchor]
                self.add(value, place, size, event)
            elif kind is yaml.DocumentStartEvent:
                self.documents += 1
                if self.documents > 1:
                    raise SpecError("expected one YAML document, found a second one (---)",
                                    file=self.source, line=event.start_mark.line + 1,
                                    column=event.start_mark.column + 1)
            elif kind is StreamEnd:
                return Document(self.root, self.root_place, self.source)

    def open(self, event, data) -> None:
        mark = event.start_mark
        if event.tag not in _COLLECTION_TAGS:
            raise self.error(f"the tag {event.tag!r} is not allowed in {self.within}", mark, self.here())
        if len(self.stack) >= MAX_DEPTH:
            raise SpecError(f"the document is nested more than {MAX_DEPTH} levels deep",
                            file=self.source, line=mark.line + 1, column=mark.column + 1)
        self.count += 1
        self.check_count(mark)
        parts: Union[list, dict] = [] if isinstance(data, list) else {}
        place = Place(mark.line + 1, mark.column + 1, parts)
        self.stack.append(_Frame(data, place, event.anchor, self.count))

    def check_count(self, mark) -> None:
        if self.count > MAX_VALUES:
            raise self.error(f"the document holds more than {MAX_VALUES:,} values "
                             "(an alias counts its whole node each time it is used)", mark)

    def add(self, value, place, size: int, event) -> None:
        """Put a finished value into the innermost collection (or make it the root)."""
        self.count += size
        if size:
            self.check_count(event.start_mark)
        if not self.stack:
            self.root, self.root_place = value, place
            return
        top = self.stack[-1]
        data = top.data
        if data.__class__ is list:
            data.append(value)
            top.place.parts.append(place)
            return
        if top.key is None:                       # this value is a key
            if event.__class__ is not yaml.ScalarEvent:
                raise self.error("expected a plain key (a name), found a list, mapping or alias",
                                 event.start_mark)
            key = event.value
            if key == "<<":
                raise self.error("merge keys (<<) are not supported; write the keys out", event.start_mark)
            if key in data:
                if self.duplicates is None:
                    raise self.error(f"the key {key!r} appears twice", event.start_mark, (key,))
                key = _Repeated(key)
            top.key, top.key_place = key, place
            return
        if top.key.__class__ is _Repeated:
            self.duplicates.append((self.path(), top.key.key, top.key_place, value))
            top.key = top.key_place = None
            return
        data[top.key] = value
        top.place.parts[top.key] = (top.key_place, place)
        top.key = top.key_place = None

    def scalar(self, event) -> Any:
        value, tag = event.value, event.tag
        if tag is None:
            if event.implicit[0]:                 # a plain (unquoted) scalar
                return plain_scalar(value)
            return value
        if tag == "!" or tag == _STR:
            return value
        if tag == _INT_TAG or tag == _FLOAT_TAG:
            number = plain_scalar(value)
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise self.error(f"the tag {tag!r} needs a number, found {value!r}", event.start_mark,
                                 self.here())
            return float(number) if tag == _FLOAT_TAG else number
        if tag == _BOOL or tag == _NULL:
            result = plain_scalar(value)
            if (tag == _BOOL and not isinstance(result, bool)) or (tag == _NULL and result is not None):
                raise self.error(f"the tag {tag!r} does not fit {value!r}", event.start_mark, self.here())
            return result
        raise self.error(f"the tag {tag!r} is not allowed in {self.within}", event.start_mark, self.here())


def _word_places(event, value: str, place: Position) -> Union[Place, Position]:
    """A one-line text of several words (``inputs: arrive Taipei on November 2nd``) gets
    a place per word, as a list's items have, so that an error about its third word
    points at that word's column. Only where each character of the value stands at its
    own column (plain, or quoted without escapes); otherwise the text's own place."""
    start, end = event.start_mark, event.end_mark
    quote = 1 if event.style in ("'", '"') else 0
    if start.line != end.line or end.column - start.column != len(value) + 2 * quote:
        return place
    line, column = place
    return Place(line, column, [(line, column + quote + m.start()) for m in re.finditer(r"\S+", value)])


def plain_scalar(value: str) -> Any:
    """An unquoted scalar as YAML 1.2's core schema reads it (and ``1e3`` as a number)."""
    if value in _SPECIAL:
        return _SPECIAL[value]
    first = value[0]
    if first in "0123456789+-.":
        if _INT.fullmatch(value):
            try:
                return int(value)
            except ValueError:   # more digits than Python converts (4,300): far beyond float64
                return float(value)
        if _FLOAT.fullmatch(value):
            return float(value)
        if _HEX.fullmatch(value):
            return int(value[2:], 16)
        if _OCT.fullmatch(value):
            return int(value[2:], 8)
    return value


def is_number_text(text: str) -> bool:
    """Whether ``text`` would be a number if it were written without quotes."""
    value = plain_scalar(text)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_number(value: Any) -> float:
    """A value read from YAML as a finite float64. Anything else raises a ValueError
    whose text is the message to show: what was expected and what was found."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        quoted = isinstance(value, str) and is_number_text(value)
        raise ValueError(f"expected a number, found {describe_value(value)}"
                         + (" (in quotes: write numbers without them)" if quoted else ""))
    try:
        number = float(value)
    except OverflowError:   # an integer too long for float64
        raise ValueError(f"expected a number within ±1.8e308, found an integer of {len(str(value))} digits") \
            from None
    if math.isnan(number):
        raise ValueError("expected a number, found NaN")
    if math.isinf(number):
        raise ValueError("expected a finite number, found infinity")
    return number
