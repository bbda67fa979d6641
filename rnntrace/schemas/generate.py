"""The parts of the JSON Schemas that come from the registry of layer types and the
table of activation functions (rnntrace/layers/__init__.py, rnntrace/layers/activations.py):
written into the checked-in files by ``python -m rnntrace.schemas.generate``, and
tests/test_activations.py checks that the files hold what is generated.

Only the values named in :func:`parts` are rewritten, in place: every layer type's block
of spec.json (from its home's ``KEYS`` and ``SCHEMA``) and its record in trace.json
(from its ``Record``), the lists of types and activation functions. Everything else in
the files (what no home owns: inputs, the lexicon, train, shared definitions) is written
by hand and left as it is.
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


# --------------------------------------------------------------------------- a type's spec block
#: The schemas of the keys several types share, by key; a home's ``SCHEMA["keys"]`` gives
#: those of its own keys (and overrides one of these to say more, e.g. its default).
COMMON_KEYS: Dict[str, Any] = {
    "name": {"$ref": "#/$defs/name"},
    "direction": {"$ref": "#/$defs/direction"},
    "size": {"$ref": "#/$defs/size"},
    "W": {"$ref": "#/$defs/matrix"},
    "U": {"$ref": "#/$defs/matrix"},
    "b": {"$ref": "#/$defs/b"},
    "activation": {"$ref": "#/$defs/activation"},
    "initial": {"$ref": "#/$defs/optional_vector"},
    "clip": {"$ref": "#/$defs/clip"},
    "labels": {"$ref": "#/$defs/labels"},
}
#: The keys every block lists first, in this order; then the home's own, then the shared.
FIRST_KEYS = ("name", "type", "direction", "size")


def spec_block(kind: str, home) -> Dict[str, Any]:
    """A layer type's block of spec.json: one property per key of its ``KEYS``, each from
    the home's ``SCHEMA["keys"]`` or :data:`COMMON_KEYS`, with the home's description,
    required keys and any constraint across keys (``anyOf``)."""
    own = home.SCHEMA
    keys = own.get("keys", {})
    stray = sorted(set(keys) - set(home.KEYS))
    if stray:
        raise ValueError(f"layer type '{kind}': SCHEMA describes {', '.join(stray)}, which KEYS does not have")
    properties: Dict[str, Any] = {}
    for key in FIRST_KEYS + tuple(keys) + tuple(COMMON_KEYS):
        if key in home.KEYS and key not in properties:
            properties[key] = {"const": kind} if key == "type" else keys.get(key, COMMON_KEYS.get(key))
    missing = sorted(set(home.KEYS) - set(properties))
    if missing:
        raise ValueError(f"layer type '{kind}': no schema for the keys {', '.join(missing)} "
                         "(add them to its home's SCHEMA['keys'])")
    block: Dict[str, Any] = {"type": "object", "description": own["description"], "required": own["required"]}
    if "anyOf" in own:
        block["anyOf"] = own["anyOf"]
    block["additionalProperties"] = False
    block["properties"] = properties
    return block


# --------------------------------------------------------------------------- a type's record in trace.json

def record_block(kind: str, home) -> Dict[str, Any]:
    """A layer type's record in trace.json, from its ``Record`` dataclass (and the
    subclasses its home defines, whose extra fields are optional): an array field is a
    vector, ``gates`` one gate (z, a) per block of the home's ``BLOCKS`` (those in
    ``SCHEMA["optional_blocks"]`` may be missing), a composite layer's directions their
    own records, an optional whole number or text (an embedding's row, a dense layer's
    label) itself when there is one (trace.record_to_dict). ``SCHEMA["fields"]`` describes
    a field in words."""
    import dataclasses
    from ..layers import composite
    record = home.Record
    directions = {side for side, *_ in home.DIRECTIONS} if composite(kind) else set()
    subclasses = [c for c in vars(home).values()
                  if isinstance(c, type) and issubclass(c, record) and c is not record]

    def field_schema(field) -> Dict[str, Any]:
        kind_of = str(field.type)
        if field.name in directions:
            return {"$ref": "#/$defs/recurrent"}
        if kind_of in ("Array", "Optional[Array]"):
            return {"$ref": "#/$defs/vector"}
        if "Gate" in kind_of:
            optional = home.SCHEMA.get("optional_blocks", [])
            return {"type": "object", "additionalProperties": False,
                    "required": [b for b in home.BLOCKS if b not in optional],
                    "properties": {b: {"$ref": "#/$defs/gate"} for b in home.BLOCKS}}
        if kind_of == "Optional[int]":
            return {"type": "integer", "minimum": 0}
        if kind_of == "Optional[str]":
            return {"type": "string"}
        raise ValueError(f"layer type '{kind}': no schema for a record field of type {kind_of} ({field.name})")

    properties: Dict[str, Any] = {}
    required = []
    said = home.SCHEMA.get("fields", {})
    for field in dataclasses.fields(record):
        properties[field.name] = field_schema(field)
        if field.name in said:
            properties[field.name] = dict(properties[field.name], description=said[field.name])
        if field.default is dataclasses.MISSING and not str(field.type).startswith("Optional"):
            required.append(field.name)
    for sub in subclasses:
        for field in dataclasses.fields(sub):
            if field.name not in properties:   # a variant's own field: said by its docstring
                properties[field.name] = dict(field_schema(field), description=_first_line(sub.__doc__))
    doc = _first_line(record.__doc__)
    return {"type": "object", "title": f"{kind}: {doc[:1].lower()}{doc[1:]}", "required": required,
            "additionalProperties": False, "properties": properties}


def _first_line(text: Any) -> str:
    return " ".join((text or "").strip().split("\n\n")[0].split())


def upstream_names(homes) -> List[str]:
    """What train.upstream may name in a layer (spec.upstream_keys): its output, and each
    memory it writes, which its Record keeps beside the value read (c beside c_prev)."""
    import dataclasses
    names: List[str] = []
    for _, home in homes:
        fields = [f.name for f in dataclasses.fields(home.Record)]
        for name in [home.OUTPUT] + [f for f in fields if f"{f}_prev" in fields]:
            if name not in names:
                names.append(name)
    return names


def _refs(types) -> List[Dict[str, str]]:
    return [{"$ref": f"#/$defs/{t}"} for t in types]


def parts() -> List[Tuple[str, Tuple[str, ...], Any]]:
    """(file, key path, value) of every generated part: the activation functions, the
    layer types, each type's block of spec.json and the blocks its keys refer to, and
    each type's record in trace.json."""
    from ..layers import LAYER_TYPES, RECURRENT_TYPES, TYPES, composite
    homes = [(t, TYPES[t]) for t in LAYER_TYPES]
    blocks = [("spec.json", ("$defs", t), spec_block(t, home)) for t, home in homes]
    blocks += [("spec.json", ("$defs", name), value) for _, home in homes
               for name, value in home.SCHEMA.get("defs", {}).items()]
    records = [("trace.json", ("$defs", t), record_block(t, home)) for t, home in homes]
    composites = [t for t in LAYER_TYPES if composite(t)]
    return blocks + records + [
        ("spec.json", ("$defs", "layer", "allOf"), _dispatch(LAYER_TYPES)),
        ("spec.json", ("$defs", "recurrent", "allOf"), _dispatch(RECURRENT_TYPES)),
        ("spec.json", ("$defs", "activation"), _activation(True)),
        ("spec.json", ("$defs", "output_activation"), _activation(False)),
        ("spec.json", ("$defs", "layer", "properties", "type", "description"),
         f"The layer's type; its keys are those of its block (docs/spec.md): {', '.join(LAYER_TYPES)}."),
        ("spec.json", ("$defs", "layer", "properties", "type", "enum"), list(LAYER_TYPES)),
        ("spec.json", ("$defs", "upstream_layer", "propertyNames", "enum"), upstream_names(homes)),
        ("spec.json", ("$defs", "recurrent", "properties", "type", "enum"), list(RECURRENT_TYPES)),
        ("trace.json", ("$defs", "layer", "properties", "type", "enum"), list(LAYER_TYPES)),
        ("trace.json", ("$defs", "layer", "if"), {"properties": {"type": {"enum": composites}}}),
        ("trace.json", ("$defs", "direction", "properties", "type", "enum"), list(RECURRENT_TYPES)),
        ("trace.json", ("$defs", "record", "anyOf"), _refs(LAYER_TYPES)),
        ("trace.json", ("$defs", "recurrent", "anyOf"), _refs(RECURRENT_TYPES)),
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


def layer_types_table() -> str:
    """The registry as docs/layers.md shows it: each type, its home, its keys."""
    from ..layers import LAYER_TYPES, RECURRENT_TYPES, TYPES
    rows = ["| type | home | in headings | may be a direction | keys |", "|---|---|---|---|---|"]
    for t in LAYER_TYPES:
        home = TYPES[t]
        keys = ", ".join(f"`{k}`" for k in sorted(home.KEYS - {"name", "type"}))
        rows.append(f"| `{t}` | `rnntrace/layers/{t}.py` | {home.TITLE} | {'yes' if t in RECURRENT_TYPES else 'no'} "
                    f"| {keys} |")
    return "\n".join(rows)


#: Generated blocks of the docs: between these two lines, the block named by the first.
DOC_BLOCKS = {"activations": ("docs/spec.md", lambda: __import__("rnntrace.layers.activations",
                                                                  fromlist=["x"]).markdown_table()),
              "layer-types": ("docs/layers.md", layer_types_table)}
_BLOCK = re.compile(r"(<!-- generated: ([\w-]+) .*?-->\n)(.*?)(<!-- end of generated -->)", re.S)


def generated_doc(text: str) -> str:
    """A docs page with every generated block rewritten."""
    return _BLOCK.sub(lambda m: m.group(1) + DOC_BLOCKS[m.group(2)][1]() + "\n" + m.group(4), text)


def _pretty(value: Any, indent: int, width: int = 120) -> str:
    """JSON of a block as a person would write it: on one line when it fits, else one
    member (or item) a line, each written the same way."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + len(flat) <= width or not isinstance(value, (dict, list)) or not value:
        return flat
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_pretty(v, indent + 2, width)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [f"{pad}{_pretty(v, indent + 2, width)}" for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def generated(name: str, text: str) -> str:
    """The file's text with every generated part rewritten; a home's new block is added
    at the end of ``$defs``."""
    if name.startswith("docs/"):
        return generated_doc(text)
    for file, path, value in parts():
        if file != name:
            continue
        new = json.dumps(value, ensure_ascii=False)
        block = len(path) == 2 and isinstance(value, dict) and path[1] not in ("activation", "output_activation")
        try:
            start, end = span(text, path)
            line = text[text.rindex("\n", 0, start) + 1:start]
            indent = " " * (len(line) - len(line.lstrip()))
            if isinstance(value, list) and value and isinstance(value[0], dict):   # one item a line
                new = "[\n" + ",\n".join(f"{indent}  {json.dumps(item, ensure_ascii=False)}" for item in value) + \
                    f"\n{indent}]"
            elif block:   # a type's block: laid out to be read
                new = _pretty(value, len(indent))
        except KeyError:   # a new home's block
            start, end = span(text, path[:-1])
            close = text.rindex("}", start, end)
            before = text[:close].rstrip()
            new = _pretty(value, 4) if block else new
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
