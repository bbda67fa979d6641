"""Starter specs for ``rnntrace new TYPE``: commented YAML templates, ready to run,
kept here as text (one file per type), and random exercises (:mod:`.exercises`).

Each template opens with a modeline for editors that run the YAML language server
(VS Code's YAML extension, Neovim, Helix, …): they complete and check the spec against
rnntrace/schemas/spec.json. In the template the schema is named relative to the
template's own file, which is where it is; the copy ``rnntrace new`` prints goes
elsewhere, so there the line names the installed schema by its absolute file URI.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import BadValue, close_name
from ..layers import LAYER_TYPES

_HERE = Path(__file__).resolve().parent
#: What ``rnntrace new`` makes: every registered layer type that has a starter here
#: (``<type>.yaml``), then the whole networks.
TYPES = tuple(t for t in LAYER_TYPES if (_HERE / f"{t}.yaml").is_file()) + ("slot-filling",)
#: The spec's JSON Schema, shipped in the package.
SCHEMA = _HERE.parent / "schemas" / "spec.json"
#: The first line of every template.
MODELINE = "# yaml-language-server: $schema=../schemas/spec.json"


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
    """The commented starter spec of a type, as YAML text, its modeline naming the
    installed schema."""
    kind = starter_type(name)
    text = (_HERE / f"{kind.replace('-', '_')}.yaml").read_text(encoding="utf-8")
    return text.replace(MODELINE, f"# yaml-language-server: $schema={SCHEMA.as_uri()}", 1)
