"""Starter specs for ``rnntrace new TYPE``: commented YAML templates, ready to run,
kept here as text (one file per type), and random exercises (:mod:`.exercises`)."""
from __future__ import annotations

from pathlib import Path

from ..errors import BadValue, close_name

TYPES = ("elman", "jordan", "lstm", "gru", "bidirectional", "slot-filling")
_HERE = Path(__file__).resolve().parent


def starter_type(name: str) -> str:
    """The starter type ``name`` means (``slot_filling`` is ``slot-filling``); an
    unknown name is an error that suggests the close one."""
    key = name.strip().lower().replace("_", "-")
    if key in TYPES:
        return key
    hint = close_name(key, TYPES)
    message = f"unknown type {name!r}; expected one of {', '.join(TYPES)}"
    raise BadValue(message + (f" (did you mean '{hint}'?)" if hint else ""))


def starter(name: str) -> str:
    """The commented starter spec of a type, as YAML text."""
    kind = starter_type(name)
    return (_HERE / f"{kind.replace('-', '_')}.yaml").read_text(encoding="utf-8")
