"""The example specs that ship with rnntrace, found by name from any folder.

They are installed as the package data ``rnntrace.examples`` (in a checkout they sit
beside the package, in ``examples/``). Nothing here imports numpy: the command line
resolves a spec's name before it loads anything heavy.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, List, Optional

from .errors import RnntraceError, close_name

if TYPE_CHECKING:   # pathlib is not imported on the way to a run (it imports urllib and ipaddress)
    from pathlib import Path


def _examples_folder() -> str:
    """The bundled examples' folder: installed as rnntrace.examples, or beside the package."""
    here = os.path.dirname(os.path.realpath(__file__))
    for candidate in (os.path.join(here, "examples"), os.path.join(os.path.dirname(here), "examples")):
        if os.path.isdir(candidate) and any(n.endswith(".yaml") for n in os.listdir(candidate)):
            return candidate
    return os.path.join(here, "examples")


def examples_dir() -> "Path":
    """The bundled examples' folder as a Path."""
    from pathlib import Path
    return Path(_examples_folder())


def find_example(name: str) -> Optional[str]:
    """The file of the bundled example called ``name`` (with or without .yaml), or None."""
    if os.sep in name or "/" in name:
        return None
    folder = _examples_folder()
    for candidate in (os.path.join(folder, name), os.path.join(folder, f"{name}.yaml")):
        if candidate.endswith(".yaml") and os.path.isfile(candidate):
            return candidate
    return None


def resolve_spec(name: str) -> str:
    """A path, ``-``, or the name of a bundled example (with or without .yaml)."""
    if name == "-" or os.path.exists(name):
        return name
    found = find_example(name)
    return name if found is None else found   # the loader reports a missing file


def _close_example(name: str) -> Optional[str]:
    """The bundled example a mistyped ``name`` most likely meant, or None."""
    # compared without ".yaml", which would make every name look close
    names = {p.stem: p.name for p in examples_dir().glob("*.yaml")}
    stem = close_name(os.path.splitext(os.path.basename(name))[0], names)
    return None if stem is None else names[stem]


def missing_hint(name: str) -> str:
    """What to add to "no such file" for a spec that is neither a file nor an example:
    the bundled example a typo most likely meant, or where to find their names."""
    meant = _close_example(name)
    if meant is not None:
        return f" (did you mean the bundled example '{meant}'?)"
    return " (`rnntrace examples` lists the bundled ones)"


def example_text(name: str) -> str:
    """The text of the bundled example ``name`` (with or without .yaml), to copy and edit."""
    found = find_example(name)
    if found is not None:
        with open(found, encoding="utf-8") as file:
            return file.read()
    meant = _close_example(name)
    hint = f" (did you mean '{meant}'?)" if meant is not None else " (`rnntrace examples` lists them)"
    raise RnntraceError(f"{name}: no bundled example of that name{hint}")


def summary(path: Path) -> str:
    """The first comment line of an example file: what it shows."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""


def listing() -> List[str]:
    """One line per bundled example: its name, then what it shows."""
    paths = sorted(examples_dir().glob("*.yaml"))
    width = max((len(p.name) for p in paths), default=0)
    return [f"{p.name:<{width}}  {summary(p)}" for p in paths]
