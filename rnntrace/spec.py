"""Building a spec from YAML: the whole document checked, each layer by its type's home
(rnntrace.layers), into the model of rnntrace.model. docs/spec.md describes the format.

Weights use the PyTorch orientation: ``W`` has one row per unit of the layer and
one column per input, so a layer computes z = W·x + U·m + b.
"""
from __future__ import annotations

import io
import os
from typing import TYPE_CHECKING, Any, List, Mapping, Optional, Sequence, Union

from .errors import close_name, describe_value, quoted
from .fields import ACTIVATIONS, MAX_INPUT_VALUES, MAX_WEIGHTS, OUTPUT_ACTIVATIONS, Fields, Reader, whole
from .inputs import Lexicon, read_inputs, read_lexicon
from .layers import LAYER_TYPES, RECURRENT_TYPES, TYPES
from .model import LOSS_ALIASES, LOSSES, Spec, Train, parameter_count
from .records import replace
from .yamlsource import MAX_BYTES, Document, parse, read_named, read_text

if TYPE_CHECKING:   # for annotations only: pathlib is not imported on the way to a run
    from pathlib import Path as FilePath

__all__ = ["load_spec", "spec_from_text", "spec_from_dict", "build_spec", "Spec", "Lexicon", "Train",
           "parameter_count", "ACTIVATIONS", "OUTPUT_ACTIVATIONS", "LAYER_TYPES", "RECURRENT_TYPES",
           "LOSSES", "MAX_WEIGHTS", "MAX_INPUT_VALUES"]

#: Names a layer may not take: they are the fields of a step record.
RESERVED_NAMES = ("t", "x", "y", "token")
#: A recurrent layer's ``direction``: reverse reads x_T … x_1 (docs/spec.md).
DIRECTIONS = ("forward", "reverse")


def load_spec(source: Union[str, FilePath, io.IOBase], *, name: Optional[str] = None,
              allow_files: Sequence[Union[str, FilePath]] = ()) -> Spec:
    """Read and validate a spec from a path, ``-`` (standard input) or a text stream.
    ``inputs: {file: …}`` is read only inside the spec's folder (the current folder for
    a stream or ``-``) and in ``allow_files`` (files or folders), symlinks resolved."""
    # Reads stop at yamlsource.MAX_BYTES, so /dev/zero or an endless pipe is refused.
    if hasattr(source, "read"):
        label = name or getattr(source, "name", "<stream>")
        raw = source.read(MAX_BYTES + 1)
        text = raw if isinstance(raw, str) else read_text(label, raw)
    else:
        label = name or ("<stdin>" if str(source) == "-" else str(source))
        text = read_named(source, label, "spec")
    folder = (os.path.dirname(os.fspath(source)) or ".") \
        if isinstance(source, (str, os.PathLike)) and str(source) != "-" else None
    return spec_from_text(text, label, folder=folder, allow_files=allow_files)


def spec_from_text(text: str, source: str = "<spec>", *, folder: Optional[FilePath] = None,
                   allow_files: Sequence[Union[str, FilePath]] = ()) -> Spec:
    """``folder`` is where ``inputs: {file: …}`` paths start (default: the current folder)
    and the only place input files are read from, with ``allow_files``."""
    return build_spec(parse(text, source), folder, allow_files)


def spec_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Spec:
    """Validate a spec given as plain Python data (as YAML would load it)."""
    return build_spec(Document(data, None, source))


def build_spec(doc: Document, folder: Optional[FilePath] = None,
               allow_files: Sequence[Union[str, FilePath]] = ()) -> Spec:
    r = Reader(doc, folder, allow_files)
    data = doc.data
    if data is None:
        raise doc.error("the spec is empty; it needs at least 'inputs' and 'layers'")
    if not isinstance(data, dict):
        raise doc.error(f"expected a mapping with 'inputs' and 'layers', found {describe_value(data)}")
    r.keys(data, (), {"title", "inputs", "layers", "lexicon", "train"}, required=("inputs", "layers"))

    title = data.get("title")
    if title is not None and not isinstance(title, (str, int, float)):
        raise doc.error(f"expected a line of text, found {describe_value(title)}", ("title",))
    lexicon = read_lexicon(r, data["lexicon"]) if data.get("lexicon") is not None else None
    inputs, tokens = read_inputs(r, data["inputs"], lexicon, ("inputs",))

    layers_data = data["layers"]
    if not isinstance(layers_data, list) or not layers_data:
        raise doc.error(f"expected a list of at least one layer, found {describe_value(layers_data)}", ("layers",))
    names = _layer_names(r, layers_data)
    layers: List[Any] = []
    size_in = inputs.shape[1]
    for i, (item, name) in enumerate(zip(layers_data, names)):
        why = f"; {size_in} = the number of inputs" if i == 0 else \
            f"; {size_in} = the output size of layers[{i - 1}]"
        layer = _layer(r, item, ("layers", i), name, size_in, LAYER_TYPES, why)
        if i == 0 and lexicon is not None:   # an embedding's rows named by the words (layers.OPTIONAL)
            layer = layer.home.with_lexicon(layer, lexicon)
        layers.append(layer)
        size_in = layer.output_size

    train = _train(r, data["train"], layers, len(inputs)) if data.get("train") is not None else None
    return Spec(inputs=inputs, layers=tuple(layers), title=None if title is None else str(title),
                tokens=tokens, lexicon=lexicon, train=train, source=doc.file, document=doc)



def _layer_names(r: Reader, items: list) -> List[str]:
    types = [str(item.get("type")) if isinstance(item, dict) else "None" for item in items]
    totals: Dict[str, int] = {}          # counted once: a spec may have many layers
    for kind in types:
        totals[kind] = totals.get(kind, 0) + 1
    names = []
    counters: Dict[str, int] = {}
    for i, item in enumerate(items):
        given = item.get("name") if isinstance(item, dict) else None
        if given is not None:
            if not isinstance(given, str) or not given or "." in given or given in RESERVED_NAMES:
                raise r.error(f"expected a name without dots, other than {', '.join(RESERVED_NAMES)}; "
                              f"found {describe_value(given)}", ("layers", i, "name"))
            names.append(r.name(given, ("layers", i, "name"), "layer name"))
            continue
        kind = types[i]
        counters[kind] = counters.get(kind, 0) + 1
        names.append(f"{kind}{counters[kind]}" if totals[kind] > 1 else kind)
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            raise r.error(f"the layer name {quoted(name)} is used twice", ("layers", i))
        seen.add(name)
    return names



def _layer(r: Reader, item, path, name: str, size_in: int, allow, why: str = ""):
    data = r.mapping(item, path, "a layer (a mapping with 'type' and 'size')")
    if "type" not in data:
        raise r.error(f"missing 'type'; expected one of {', '.join(allow)}", path)
    kind = r.choice(data["type"], path + ("type",), allow, "layer type")
    home = TYPES[kind]
    r.keys(data, path, home.KEYS, required=("size",) if "size" in home.KEYS else ())
    if "size" not in home.KEYS:   # a layer made of layers: each part reads its own
        def read_layer(item, path, name, size_in, allow, why):
            return _layer(r, item, path, name, size_in, allow, why)
        return home.build(r, data, path, name, size_in, why, read_layer, RECURRENT_TYPES)
    layer = home.build(Fields(r, data, path, r.count(data["size"], path + ("size",)), size_in, why), name)
    if data.get("direction") is not None:   # every recurrent home has the key (layers.REVERSE_NOTE)
        dpath = path + ("direction",)
        if allow != LAYER_TYPES:
            raise r.error("a direction of a bidirectional layer has no 'direction' of its own: 'forward' "
                          "reads x_1 … x_T and 'backward' x_T … x_1", dpath, at_key=True)
        layer = replace(layer, direction=r.choice(data["direction"], dpath, DIRECTIONS, "direction"))
    return layer


def _train(r: Reader, value, layers, steps: int) -> Train:
    path = ("train",)
    output = layers[-1]
    data = r.mapping(value, path, "a mapping with 'targets' and 'loss'",
                     {"targets", "loss", "clip", "learning_rate", "upstream"})
    clip, rate = _train_step(r, data, path)
    if data.get("upstream") is not None:
        for key in ("targets", "loss"):
            if key in data:
                raise r.error(f"'{key}' and 'upstream' do not go together: upstream gradients take the "
                              "place of targets and a loss", path + (key,), at_key=True)
        return Train((None,) * steps, "upstream", clip, rate, _upstream(r, data["upstream"], layers, steps))
    if "targets" not in data:
        raise r.error("missing 'targets' (one per step), or 'upstream' (gradients given per layer and step)",
                      path)
    loss = data.get("loss", "squared_error")
    loss = LOSS_ALIASES.get(loss, loss) if isinstance(loss, str) else loss
    loss = r.choice(loss, path + ("loss",), LOSSES, "loss")
    head = output.home.head(output) or output   # the layer that makes the output (a Jordan layer's own)
    labels = getattr(head, "labels", None)
    if loss == "cross_entropy" and getattr(head, "activation", None) != "softmax":
        raise r.error("cross_entropy needs a softmax output layer (a dense layer with activation: softmax)",
                      path + ("loss",))

    raw = data["targets"]
    tpath = path + ("targets",)
    if not isinstance(raw, list) or len(raw) != steps:
        raise r.error(f"expected {steps} targets, one per step (null for a step without one), "
                      f"found {describe_value(raw)}", tpath)
    targets: List[Any] = []
    size = output.output_size
    for i, target in enumerate(raw):
        if target is None:
            targets.append(None)
        elif loss == "cross_entropy":
            if isinstance(target, str):
                if not labels or target not in labels:
                    raise r.error(f"unknown label {target!r}" + (f"; expected one of {', '.join(labels)}"
                                                                 if labels else "; the output layer has no labels"),
                                  tpath + (i,), hint=close_name(target, labels or ()))
                targets.append(labels.index(target))
            elif whole(target) and 0 <= target < size:
                targets.append(int(target))
            else:
                raise r.error(f"expected a label or a unit index from 0 to {size - 1}, found {describe_value(target)}",
                              tpath + (i,))
        else:
            targets.append(r.vector(target, tpath + (i,), size, "target"))
    if all(t is None for t in targets):
        raise r.error("every target is null: at least one step needs a target", tpath)
    return Train(tuple(targets), loss, clip, rate)


def _train_step(r: Reader, data: dict, path):
    """The train block's clip and learning rate."""
    clip = None
    if data.get("clip") is not None:
        cpath = path + ("clip",)
        cdata = r.mapping(data["clip"], cpath, "{norm: θ} or {value: θ}", {"norm", "value"})
        if len(cdata) != 1:
            raise r.error("expected exactly one of norm or value", cpath)
        (kind, theta), = cdata.items()
        clip = (kind, r.positive(theta, cpath + (kind,), "threshold"))
    rate = None
    if data.get("learning_rate") is not None:
        rate = r.positive(data["learning_rate"], path + ("learning_rate",), "learning rate")
    return clip, rate


def upstream_keys(layer) -> List[str]:
    """What train.upstream may give a gradient for in a layer: its output (h or y) and
    each memory it writes (an LSTM's c too), as its description names them."""
    from .layers import describe as layer_description
    about = layer_description(layer)
    keys = [about["output"]]
    keys += [m["written"] for m in about["memory"] if m["written"] not in keys]
    return keys


def _upstream(r: Reader, value, layers, steps: int):
    """``upstream: {LAYER: {h: [g_1, …, g_T], c: …}}``: for each layer named, a gradient
    per step (null for none) for its output and the memories it writes."""
    path = ("train", "upstream")
    by_name = {layer.name: layer for layer in layers}
    data = r.mapping(value, path, "a mapping from layer names to {h: […], …}", set(by_name))
    if not data:
        raise r.error(f"expected at least one layer ({', '.join(by_name)})", path)
    out = {}
    given = False
    for name, per_key in data.items():
        layer = by_name[name]
        keys = upstream_keys(layer)
        lpath = path + (name,)
        per_key = r.mapping(per_key, lpath, f"a mapping {{{': […], '.join(keys)}: […]}}", set(keys))
        out[name] = {}
        for key, per_step in per_key.items():
            kpath = lpath + (key,)
            size = layer.output_size if key == keys[0] else layer.size
            if not isinstance(per_step, list) or len(per_step) != steps:
                raise r.error(f"expected {steps} gradients, one per step (null for a step without one), "
                              f"found {describe_value(per_step)}", kpath)
            out[name][key] = tuple(None if g is None else r.vector(g, kpath + (t,), size, "gradient")
                                   for t, g in enumerate(per_step))
            given = given or any(g is not None for g in per_step)
    if not given:
        raise r.error("every gradient is null: at least one step needs one", path)
    return out
