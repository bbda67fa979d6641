"""Safe YAML reading that remembers where every value came from.

The document is composed into PyYAML's node graph (no Python objects are ever
constructed from tags), turned into plain lists, dicts, numbers and strings, and
the node graph is kept so that an error at a key path can be pointed at its file,
line and column afterwards, at no cost while nothing is wrong.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import yaml

from .errors import PathPart, SpecError

try:  # libyaml's composer is several times faster on long input sequences
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader

#: Largest spec file read, in bytes.
MAX_BYTES = 64 * 1024 * 1024
#: Largest number of values a document may expand to (aliases counted each time).
MAX_VALUES = 5_000_000

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")}
# YAML 1.1 leaves 1e-3 (no dot) a string; a plain scalar like that is meant as a number.
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


@dataclass
class Document:
    """A loaded YAML document: its plain data and where each part of it stands."""

    data: Any
    root: Optional[yaml.Node]
    file: str

    def error(self, message: str, path: Sequence[PathPart] = (), *, hint: Optional[str] = None,
              at_key: bool = False) -> SpecError:
        """A SpecError at ``path``, with the line and column of that place."""
        line, column = self.position(path, at_key=at_key)
        return SpecError(message, path, hint=hint, file=self.file, line=line, column=column)

    def position(self, path: Sequence[PathPart], at_key: bool = False):
        """1-based (line, column) of the value at ``path``, or of its nearest parent."""
        node = self.root
        if node is None:
            return None, None
        mark = node.start_mark
        for i, part in enumerate(path):
            last = i == len(path) - 1
            child = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == part:
                        child = key_node if (last and at_key) else value_node
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if 0 <= part < len(node.value):
                    child = node.value[part]
            if child is None:
                break
            node = child
            mark = node.start_mark
        return mark.line + 1, mark.column + 1


def read_text(source: str, raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise SpecError(f"the file is {len(raw):,} bytes; specs are limited to {MAX_BYTES:,} bytes",
                        file=source)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(f"not a text file: byte {exc.start} is not UTF-8", file=source) from None


def parse(text: str, source: str) -> Document:
    """Compose ``text`` safely and convert it to plain data (see module doc)."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        raise SpecError(f"YAML syntax error: {problem}", file=source, line=line, column=column) from None
    except yaml.YAMLError as exc:
        raise SpecError(f"YAML error: {exc}", file=source) from None
    doc = Document(None, root, source)
    if root is None:
        return doc
    _check_size(root, doc)
    doc.data = _convert(root, (), doc)
    return doc


def _check_size(root: yaml.Node, doc: Document) -> None:
    """Refuse alias bombs before expanding them: count values with memoised sizes."""
    sizes: dict = {}
    active: set = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise doc.error("a recursive alias refers to itself")
        active.add(key)
        if isinstance(node, yaml.ScalarNode):
            total = 1
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        else:
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        active.discard(key)
        sizes[key] = min(total, MAX_VALUES + 1)
        return sizes[key]

    # Iterative deepening is not needed: PyYAML itself bounds nesting depth poorly,
    # so guard recursion explicitly.
    try:
        total = size(root)
    except RecursionError:
        raise doc.error("the document is nested too deeply") from None
    if total > MAX_VALUES:
        raise doc.error(f"the document expands to more than {MAX_VALUES:,} values "
                        "(aliases count each time they are used)")


def _convert(node: yaml.Node, path: tuple, doc: Document) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node, path, doc)
    if node.tag not in (_TAG + "seq", _TAG + "map", _TAG + "omap", _TAG + "set"):
        raise doc.error(f"the tag {node.tag!r} is not allowed in a spec", path)
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, path + (i,), doc) for i, child in enumerate(node.value)]
    result = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise doc.error("a key must be a plain name, not a list or mapping", path)
        key = key_node.value
        if key == "<<":
            raise doc.error("merge keys (<<) are not supported; write the keys out", path)
        if key in result:
            raise doc.error(f"the key {key!r} appears twice", path + (key,), at_key=True)
        result[key] = _convert(value_node, path + (key,), doc)
    return result


def _scalar(node: yaml.ScalarNode, path: tuple, doc: Document) -> Any:
    tag, value = node.tag, node.value
    if tag not in _SCALAR_TAGS:
        raise doc.error(f"the tag {tag!r} is not allowed in a spec", path)
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        # YAML 1.2: only true and false are booleans. YAML 1.1 also reads yes/no/on/off
        # as booleans, which would turn the word "on" in a sentence or lexicon into true.
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        return value
    if tag == _TAG + "int":
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return value
    if tag == _TAG + "float":
        text = value.replace("_", "").lower()
        if text in (".nan",):
            return math.nan
        if text in (".inf", "+.inf"):
            return math.inf
        if text == "-.inf":
            return -math.inf
        try:
            return float(text)
        except ValueError:
            return value
    if node.style is None and _NUMBER.fullmatch(value):
        return float(value)
    return value
