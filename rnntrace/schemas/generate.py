"""The parts of the JSON Schemas that come from the registry of layer types and the
table of activation functions (rnntrace/layers/__init__.py, rnntrace/layers/activations.py):
written into the checked-in files by ``python -m rnntrace.schemas.generate``, and
tests/test_schema_generated.py checks that the files hold what is generated.

Only the values named in :func:`parts` are rewritten, in place and on one line each;
everything else in the files is written by hand and left as it is.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

HERE = Path(__file__).resolve().parent
_decoder = json.JSONDecoder()
_space = re.compile(r"[ \t\n\r]*")


def _activation(elementwise: bool) -> Dict[str, Any]:
    from ..layers.activations import TABLE
    functions = [f for f in TABLE.values() if f.elementwise or not elementwise]
    listed = ", ".join(f.name if f.symbol == f.name else f"{f.name} ({f.symbol})" for f in functions)
    with_params = {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
                   "properties": {f.name: {"type": ["object", "null"], "additionalProperties": False,
                                           "properties": {k: {"type": "number", "description": f"default {v:g}"}
                                                          for k, v in f.params}}
                                  for f in functions}}
    return {"description": f"An activation function (docs/spec.md): {listed}. One with parameters is "
                           "written {leaky_relu: {alpha: 0.1}}.",
            "anyOf": [{"enum": [f.name for f in functions]}, with_params]}


def _dispatch(types) -> List[Dict[str, Any]]:
    """A layer's keys by its type: one if/then per registered type."""
    return [{"if": {"required": ["type"], "properties": {"type": {"const": t}}}, "then": {"$ref": f"#/$defs/{t}"}}
            for t in types]


def parts() -> List[Tuple[str, Tuple[str, ...], Any]]:
    """(file, key path, value) of every generated part: the activation functions, the
    layer types, and the block of each home that declares its own (``SCHEMA``)."""
    from ..layers import LAYER_TYPES, RECURRENT_TYPES, TYPES
    own = [("spec.json", ("$defs", t), TYPES[t].SCHEMA) for t in LAYER_TYPES if hasattr(TYPES[t], "SCHEMA")]
    return own + [
        ("spec.json", ("$defs", "layer", "allOf"), _dispatch(LAYER_TYPES)),
        ("spec.json", ("$defs", "recurrent", "allOf"), _dispatch(RECURRENT_TYPES)),
        ("spec.json", ("$defs", "activation"), _activation(True)),
        ("spec.json", ("$defs", "output_activation"), _activation(False)),
        ("spec.json", ("$defs", "layer", "properties", "type", "enum"), list(LAYER_TYPES)),
        ("spec.json", ("$defs", "recurrent", "properties", "type", "enum"), list(RECURRENT_TYPES)),
        ("trace.json", ("$defs", "layer", "properties", "type", "enum"), list(LAYER_TYPES)),
        ("trace.json", ("$defs", "direction", "properties", "type", "enum"), list(RECURRENT_TYPES)),
    ]


def _members(text: str, pos: int) -> Dict[str, Tuple[int, int]]:
    """The members of the JSON object starting at ``pos``: key → (start, end) of its value."""
    out: Dict[str, Tuple[int, int]] = {}
    pos = _space.match(text, pos + 1).end()
    if text[pos] == "}":
        return out
    while True:
        key, pos = _decoder.raw_decode(text, pos)
        pos = _space.match(text, pos).end() + 1          # past ":"
        pos = _space.match(text, pos).end()
        _, end = _decoder.raw_decode(text, pos)
        out[key] = (pos, end)
        pos = _space.match(text, end).end()
        if text[pos] == "}":
            return out
        pos = _space.match(text, pos + 1).end()          # past ","


def span(text: str, path: Tuple[str, ...]) -> Tuple[int, int]:
    """Where the value at ``path`` stands in the JSON text."""
    start, end = _space.match(text, 0).end(), len(text)
    for key in path:
        start, end = _members(text, start)[key]
    return start, end


#: Generated blocks of the docs: between these two lines, the block named by the first.
DOC_BLOCKS = {"activations": ("docs/spec.md", lambda: __import__("rnntrace.layers.activations",
                                                                  fromlist=["x"]).markdown_table())}
_BLOCK = re.compile(r"(<!-- generated: (\w+) .*?-->\n)(.*?)(<!-- end of generated -->)", re.S)


def generated_doc(text: str) -> str:
    """A docs page with every generated block rewritten."""
    return _BLOCK.sub(lambda m: m.group(1) + DOC_BLOCKS[m.group(2)][1]() + "\n" + m.group(4), text)


def generated(name: str, text: str) -> str:
    """The file's text with every generated part rewritten; a home's new block is added
    at the end of ``$defs``."""
    if name.startswith("docs/"):
        return generated_doc(text)
    for file, path, value in parts():
        if file != name:
            continue
        new = json.dumps(value, ensure_ascii=False)
        try:
            start, end = span(text, path)
            if isinstance(value, list) and value and isinstance(value[0], dict):   # one item a line
                line = text[text.rindex("\n", 0, start) + 1:start]
                indent = " " * (len(line) - len(line.lstrip()))
                new = "[\n" + ",\n".join(f"{indent}  {json.dumps(item, ensure_ascii=False)}" for item in value) + \
                    f"\n{indent}]"
        except KeyError:   # a new home's block
            start, end = span(text, path[:-1])
            close = text.rindex("}", start, end)
            before = text[:close].rstrip()
            text = f"{before},\n    {json.dumps(path[-1])}: {new}\n  " + text[close:]
            continue
        text = text[:start] + new + text[end:]
    return text


def main(argv=None) -> int:
    check = "--check" in (argv if argv is not None else sys.argv[1:])
    stale = []
    files = sorted({file for file, _, _ in parts()}) + sorted({doc for doc, _ in DOC_BLOCKS.values()})
    for name in files:
        path = HERE.parent.parent / name if name.startswith("docs/") else HERE / name
        text = path.read_text("utf-8")
        new = generated(name, text)
        if new != text:
            stale.append(name)
            if not check:
                path.write_text(new, "utf-8")
    if check and stale:
        print(f"not as generated: {', '.join(stale)} (run python -m rnntrace.schemas.generate)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
