"""The output formats of ``rnntrace run``, declared once: each format's name, what it is
for, whether it streams the trace a step at a time, whether it takes ``--explain``,
whether it is always the whole exact trace (no view options), and its writer. The
command line's ``--format`` choice, its checks and its dispatch read this table.

A writer takes a :class:`Output` (what the run computed and what the view asked for) and
returns the text to write; a streaming writer writes its lines itself.
"""
from __future__ import annotations

import sys
from collections import namedtuple
from typing import Dict

# Both records are plain namedtuples: a dataclass compiles its methods when its module is
# imported, and typing.NamedTuple costs twice what namedtuple does; this module is on
# every run's start-up path.


class Output(namedtuple("Output", "spec trace steps records layers precision explain indent",
                        defaults=(None, None, None, None, 4, False, None))):
    """What a writer needs: the spec, the run (``trace`` for a whole run, ``steps`` an
    iterator of steps for a streaming one), the chosen steps' ``records`` and ``layers``
    (None: all), and the view's options (``precision``, ``explain``, ``indent``)."""

    __slots__ = ()


class Format(namedtuple("Format", "name help write streams explain exact", defaults=(False, False, False))):
    """An output format: its ``name`` and ``help``; ``write`` (an Output → the text, or
    None for the table view, which the command line draws); whether it ``streams`` the
    trace a step at a time in constant memory, takes ``explain``, and is always the whole
    ``exact`` trace (no --steps, --layer, --explain, …)."""

    __slots__ = ()


def _jsonl(out: Output) -> None:
    from .json import write_jsonl
    write_jsonl(out.spec, out.steps, sys.stdout)


def _json(out: Output) -> str:
    from .json import trace_json
    return trace_json(out.trace, indent=out.indent)


def _csv(out: Output) -> str:
    from .csv import trace_csv
    return trace_csv(out.trace, out.records, out.layers)


def _markdown(out: Output) -> str:
    from .markdown import trace_markdown
    return trace_markdown(out.trace, out.records, out.layers, out.precision, explain=out.explain)


def _latex(out: Output) -> str:
    from .latex import trace_latex
    return trace_latex(out.trace, out.records, out.layers, out.precision)


FORMATS: Dict[str, Format] = {f.name: f for f in (
    Format("table", "panels for reading", None, explain=True),
    Format("json", "the exact trace", _json, exact=True),
    Format("jsonl", "the exact trace", _jsonl, streams=True, exact=True),
    Format("csv", "one row per step", _csv),
    Format("markdown", "answer-key tables", _markdown, explain=True),
    Format("latex", "answer-key tables", _latex),
)}


def help_text() -> str:
    """``--format``'s help: each format and what it is for, from the table."""
    parts, seen = [], {}
    for f in FORMATS.values():
        seen.setdefault(f.help, []).append(f.name)
    for text, names in seen.items():
        parts.append(f"{'/'.join(names)}: {text}")
    return "; ".join(parts) + "."


def explaining() -> str:
    """The formats that take --explain, in words: ``the table view and in --format markdown``."""
    names = [f.name for f in FORMATS.values() if f.explain]
    return " and in ".join(("the table view" if n == "table" else f"--format {n}") for n in names)
