"""Text that others wrote, shown as text: the one place that decides how.

A spec's title, words, labels and layer names, and the names of answers files, come
from whoever wrote them, who may not be the person running rnntrace (a teacher grading
a class). Such a string must never act on the terminal or the reader's tools:

- :func:`visible`: control characters (C0, DEL, C1), which start escape sequences
  (``\\x1b[2J`` clears a screen, ``\\x1b]0;…\\x07`` retitles a window), and the invisible
  characters that reorder or hide text (bidirectional overrides, zero-width spaces) are
  written as their escapes, ``\\x1b``, ``\\u202e``; newline and tab as ``\\n`` and ``\\t``.
  Every other character is kept as it is.
- :func:`rich_text`: the same as a rich ``Text``, which rich never reads as markup (a
  layer named ``[/x]`` or a title ``[red]`` is shown as written).
- :func:`csv_cell`: a text cell of a CSV file that a spreadsheet would read as a formula
  (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading
  ``'``, as spreadsheet-safe writers do; numbers are not text cells and stay numbers.
- :func:`markdown`, :func:`markdown_code`: raw HTML (``<script>``), a ``|`` that would
  end a table cell and a newline that would end the row are escaped for Markdown.
"""
from __future__ import annotations

import re
from functools import lru_cache

# The characters written as escapes: C0 and C1 controls, DEL, and the invisible ones that
# reorder or hide text (bidirectional marks and isolates, zero-width characters, BOM).
_HIDDEN_CHARS = ("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
                 "\ufff9-\ufffb]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _escape(match) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@lru_cache(maxsize=None)
def _hidden(lines: bool, json: bool = False):
    """The pattern of the hidden characters (without newline for ``lines``, without C0 for
    JSON), compiled when first used: each is a few hundred µs of start-up, and a run
    needs one or two of the three."""
    if json:
        return re.compile(_HIDDEN_CHARS.replace("\x00-\x1f", ""))
    return re.compile(_HIDDEN_CHARS.replace("\x00-\x1f", "\x00-\x09\x0b-\x1f") if lines else _HIDDEN_CHARS)


def visible(text, lines: bool = False) -> str:
    """``text`` with every control or invisible character written as its escape; with
    ``lines``, newlines are kept (a whole output of several lines)."""
    text = str(text)
    if text.isprintable() or lines and text.replace("\n", "").isprintable():
        return text   # no control, format or separator character at all: the usual case
    hidden = _hidden(lines)
    return hidden.sub(_escape, text) if hidden.search(text) else text


def json_text(text: str) -> str:
    """JSON text whose strings hold no raw character that a terminal acts on: json.dumps
    already escapes C0 (``\\u001b``); DEL, C1 and the invisible ones get the same ``\\uXXXX``
    escape, which reads back as the same string."""
    if text.isascii() and "\x7f" not in text:   # the usual case, a line of numbers: no scan
        return text
    hidden = _hidden(False, json=True)
    return hidden.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if hidden.search(text) else text


def rich_text(text, style=None):
    """:func:`visible` text as a rich ``Text``: drawn as written, never read as markup."""
    from rich.text import Text
    return Text(visible(text), style=style or "")


def csv_cell(text) -> str:
    """A CSV text cell that no spreadsheet runs as a formula, control characters shown."""
    text = str(text)
    return ("'" if text.startswith(_FORMULA) else "") + visible(text)


_MARKDOWN = str.maketrans({"\\": "\\\\", "|": "\\|", "<": "&lt;", ">": "&gt;"})


def markdown(text) -> str:
    """Text for a Markdown line or table cell: never HTML, a new cell or a new row (a
    newline is already ``\\n`` from :func:`visible`)."""
    return visible(text).translate(_MARKDOWN)


def markdown_code(text) -> str:
    """Text as Markdown inline code (`` `name` ``) when it is safe there; otherwise as
    escaped text: a backtick would end the code early, a ``|`` the table cell."""
    text = visible(text)
    # inside code, < > & and \\ are shown as written
    return f"`{text}`" if "`" not in text and "|" not in text else markdown(text)
