"""Keras models as a spec: a Keras 3 model file (``.keras``) or a legacy HDF5 file
(``.h5``) of ``SimpleRNN``, ``LSTM``, ``GRU``, ``Bidirectional``, ``Dense`` (and
``InputLayer``, ``Dropout``) layers becomes a spec dict, which
:func:`rnntrace.spec.spec_from_dict` accepts and :func:`rnntrace.convert.spec_to_yaml`
writes as a file.

Keras keeps a layer's weights with one column per unit, one row per input (x·K), and
the gates of a cell side by side in one matrix (H = units):

    SimpleRNN  kernel K (in × H), recurrent_kernel R (H × H), bias b (H)
               h = act(x·K + h_{t−1}·R + b)                      → elman, W = Kᵀ, U = Rᵀ
    LSTM       K = [K_i K_f K_c K_o] (in × 4H), R likewise, b = [b_i b_f b_c b_o]
               i, f, o = rec_act(·),  c = f·c_{t−1} + i·act(x·K_c + h·R_c + b_c),  h = o·act(c)
               → input_gate, forget_gate, cell_input, output_gate; activation and
                 cell_activation = act, gate_activation = rec_act
    GRU        K = [K_z K_r K_h] (in × 3H); z is the update gate, h the candidate:
               h_t = z·h_{t−1} + (1 − z)·hh, as rnntrace's (1 − u)·n + u·h_{t−1}
               reset_after=True (Keras' default): bias (2 × 3H), an input row b and a
               recurrent row b_r, and hh = act(x·K_h + b_h + r∘(h·R_h + b_rh)): each
               block keeps both, b and b_h, as rnntrace's GRU (and PyTorch) add them
               reset_after=False: bias (3H) and hh = act(x·K_h + (r∘h)·R_h + b_h):
               the spec's ``reset_after: false``
    Dense      kernel (in × units), bias: y = act(x·K + b), applied at every step

``unit_forget_bias`` only initialises the forget gate's bias to 1: the bias the file
holds is what the layer uses, and what is imported. ``Bidirectional`` runs its backward
layer over x_T … x_1 and, with ``return_sequences=True``, lines its outputs up with the
steps they end at, as a spec's bidirectional layer does; ``merge_mode`` concat, sum,
ave and mul have spec twins.

The file is read as data by rnntrace itself (rnntrace.model_files: zipfile, json and
h5py, each size and type checked before anything is read); Keras is never imported
and no code from the file is ever run. The model's configuration is JSON: every layer
class is checked against the ones above (a ``Lambda`` layer, which holds Python code,
is refused by name). Where each layer's weights are:

- ``.keras``: ``model.weights.h5`` holds a group per layer under ``layers/``, named
  after the layer's class in snake case, numbered from ``_1`` when the class repeats
  (in the order of the model's layers: a Sequential model's without its InputLayer, a
  functional model's with it); the group's ``vars`` records the layer's name, which is
  used when present. The arrays are ``vars/0, 1, …`` in the order of the layer's
  weights: a recurrent layer's in ``cell/vars`` (kernel, recurrent_kernel, bias), a
  Bidirectional's in ``forward_layer/cell/vars`` and ``backward_layer/cell/vars``.
- ``.h5``: ``model_weights/<layer name>`` lists the paths of its arrays, in the same
  order, in its ``weight_names`` attribute (a Bidirectional's forward layer first).
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .layers import activations as activation_table
from .model_files import ConvertError, read_magic
from .packing import split_columns

#: Layer classes that become spec layers, and those that do nothing at inference.
CONVERTED = ("InputLayer", "SimpleRNN", "LSTM", "GRU", "RNN", "Bidirectional", "Dense", "TimeDistributed",
             "Embedding", "Masking")
SKIPPED = ("Dropout",)
#: keras.layers.RNN(cell): the cell's class, and the layer it is the cell of.
CELLS = {"SimpleRNNCell": "SimpleRNN", "LSTMCell": "LSTM", "GRUCell": "GRU"}
MODELS = ("Sequential", "Functional", "Model")
RECURRENT = {"SimpleRNN": "elman", "LSTM": "lstm", "GRU": "gru"}
GATES = {"elman": 1, "lstm": 4, "gru": 3}
#: Keras' packed gate order (columns of the kernel), and the spec block of each.
KERAS_GATES = {
    "lstm": (("i", "input_gate"), ("f", "forget_gate"), ("c", "cell_input"), ("o", "output_gate")),
    "gru": (("z", "update_gate"), ("r", "reset_gate"), ("h", "candidate")),
}
SPEC_BLOCKS = {"lstm": ("cell_input", "input_gate", "forget_gate", "output_gate"),
               "gru": ("reset_gate", "update_gate", "candidate")}
MERGES = {"concat": "concat", "sum": "sum", "ave": "ave", "mul": "mul"}
RESERVED_NAMES = ("t", "x", "y", "token")
#: Keras' dtype policies that compute in less than float32, and what each computes in.
LOW_PRECISION = {"float16": "float16", "bfloat16": "bfloat16", "mixed_float16": "float16",
                 "mixed_bfloat16": "bfloat16"}


class KerasLayer:
    """One layer of the model's chain as the file holds it: its class, its configuration
    (plain JSON data) and its arrays (float64, in the order of the layer's weights).
    A wrapper is read as what it wraps: ``RNN(LSTMCell(…))`` as an LSTM (the cell's
    configuration with the RNN's return_sequences, go_backwards, …), and
    ``TimeDistributed(Dense(…))`` as the Dense layer, applied at every step; ``wrapper``
    keeps the class the file names."""

    def __init__(self, kind: str, name: str, conf: Dict[str, Any]):
        self.kind, self.name, self.conf, self.wrapper = kind, name, conf, kind
        if kind == "RNN":
            cell = conf["cell"]
            self.kind = CELLS[cell["class_name"]]
            self.conf = dict(cell["config"], **{k: v for k, v in conf.items() if k not in ("cell", "name")})
        elif kind == "TimeDistributed":
            self.kind, self.conf = "Dense", dict(conf["layer"]["config"])
        self.stored: List[Any] = []
        self.weights: List[np.ndarray] = []


class KerasModel:
    """What a Keras file holds, as read for a spec: the version of Keras that wrote
    it, its configuration (plain JSON data), its layers in order, and notes on what
    the spec cannot show (precision)."""

    def __init__(self, path: str, version: Optional[str], config: Mapping[str, Any],
                 layers: List[KerasLayer], notes: List[str]):
        self.path, self.version, self.config, self.layers, self.notes = path, version, config, layers, notes

    @property
    def major(self) -> Optional[int]:
        try:
            return int(str(self.version).split(".")[0])
        except ValueError:
            return None


# --------------------------------------------------------------------------- configuration values

def _flag(conf: Mapping[str, Any], key: str, where: str, default: bool = False) -> bool:
    value = conf.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConvertError(f"{where}: {key}: expected true or false, found {_shown(value)}")
    return value


def _count(conf: Mapping[str, Any], key: str, where: str) -> int:
    value = conf.get(key)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConvertError(f"{where}: {key}: expected a whole number ≥ 1, found {_shown(value)}")
    from .fields import MAX_WEIGHTS
    if value > MAX_WEIGHTS:
        raise ConvertError(f"{where}: {key} {value:,}: a spec holds at most {MAX_WEIGHTS:,} weights")
    return value


def _shown(value: Any) -> str:
    import json
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = type(value).__name__
    return text if len(text) <= 60 else text[:59] + "…"


def _mapping(value: Any, where: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise ConvertError(f"{where}: expected a mapping, found {_shown(value)}")
    return value


def _policy(conf: Mapping[str, Any]) -> Optional[str]:
    """A layer's dtype policy by name: "float64", "mixed_bfloat16", …"""
    value = conf.get("dtype")
    if isinstance(value, dict):
        inner = value.get("config")
        value = inner.get("name") if isinstance(inner, dict) else inner
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- reading the file

def read_keras_file(path: str) -> KerasModel:
    """The model in a Keras file (``-``: standard input), read as data: its version,
    configuration and the arrays of its layers (see the module's description)."""
    from .model_files import HDF5_MAGIC, ZIP_MAGIC, scratch, stdin_to_file
    path = str(path)
    with scratch() as folder:
        if path == "-":
            file = stdin_to_file(folder, ((ZIP_MAGIC, ".keras"), (HDF5_MAGIC, ".h5")),
                                 "a Keras model file (model.save writes a .keras zip archive or a "
                                 "legacy .h5 HDF5 file)")
            return _read(file, "<stdin>", folder)
        return _read(path, path, folder)


def _read(path: str, shown: str, folder: str) -> KerasModel:
    from .model_files import HDF5_MAGIC, ZIP_MAGIC, check_file_size
    magic = read_magic(path, 8, "a Keras model file")
    lower = path.lower()
    if magic.startswith(ZIP_MAGIC):
        if not lower.endswith(".keras"):
            raise ConvertError(f"{shown}: a zip archive; a Keras 3 model file is named *.keras")
        return _read_zip(path, shown, folder)
    if magic == HDF5_MAGIC:
        if lower.endswith(".weights.h5"):
            raise ConvertError(f"{shown}: holds weights only (model.save_weights); import-keras needs "
                               "the whole model, as model.save('model.keras') writes it")
        if not lower.endswith((".h5", ".hdf5")):
            raise ConvertError(f"{shown}: an HDF5 file; a legacy Keras model file is named *.h5")
        check_file_size(path, shown)
        return _read_h5(path, shown)
    raise ConvertError(f"{shown}: not a Keras model file (model.save writes a .keras zip archive "
                       "or a legacy .h5 HDF5 file)")


def _read_zip(path: str, shown: str, folder: str) -> KerasModel:
    from .limits import MAX_CONFIG_BYTES
    from .model_files import H5, extract_entry, open_h5, open_zip, parse_json, read_entry
    with open_zip(path, shown) as archive:
        names = set(archive.namelist())
        if "config.json" not in names:
            raise ConvertError(f"{shown}: no config.json inside; not a Keras 3 model file")
        if "model.weights.h5" not in names:
            raise ConvertError(f"{shown}: no model.weights.h5 inside; the file holds no weights")
        config = parse_json(read_entry(archive, "config.json", shown, MAX_CONFIG_BYTES), shown, "config.json")
        metadata = parse_json(read_entry(archive, "metadata.json", shown, MAX_CONFIG_BYTES), shown,
                              "metadata.json") if "metadata.json" in names else {}
        weights = extract_entry(archive, "model.weights.h5", folder, shown)
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    layers = check_config(config, shown)
    with open_h5(weights, f"{shown}: model.weights.h5") as f:
        h5 = H5(f, f"{shown}: model.weights.h5")
        h5.check_links()
        _find_zip_weights(h5, config, layers)
        return _finish(shown, None if version is None else str(version), config, layers)


def _read_h5(path: str, shown: str) -> KerasModel:
    from .model_files import H5, open_h5, parse_json
    with open_h5(path, shown) as f:
        h5 = H5(f, shown)
        h5.check_links()
        text = h5.attribute(f, "model_config", "the model configuration (model_config)")
        if text is None:
            raise ConvertError(f"{shown}: no model configuration (a file of weights only?); import-keras "
                               "needs the whole model, as model.save writes it")
        config = parse_json(text, shown, "the model configuration (model_config)")
        version = h5.attribute(f, "keras_version", "keras_version")
        layers = check_config(config, shown)
        root = h5.child(f, "model_weights", "model_weights")
        for layer in layers:
            if not _weight_count(layer):
                continue
            group = h5.child(root, layer.name, f"model_weights/{layer.name}") if root is not None else None
            if group is None:
                raise _unbuilt(shown, layer)
            names = h5.attribute(group, "weight_names", f"model_weights/{layer.name} weight_names",
                                 text=False) or []
            for name in names:
                node = h5.child(group, name, f"model_weights/{layer.name}/{name}")
                if node is None:
                    raise ConvertError(f"{shown}: model_weights/{layer.name}: {name!r} is listed but not there")
                layer.stored.append(h5.dataset(node, f"model_weights/{layer.name}/{name}"))
        return _finish(shown, version, config, layers)


def _snake(name: str) -> str:
    """A class name as Keras names its group in a .keras file: SimpleRNN → simple_rnn."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


#: Where a layer's arrays are, under its group in a .keras file, by class.
ZIP_PARTS = {"Bidirectional": ("forward_layer/cell/vars", "backward_layer/cell/vars"),
             "SimpleRNN": ("cell/vars",), "LSTM": ("cell/vars",), "GRU": ("cell/vars",), "RNN": ("cell/vars",),
             "TimeDistributed": ("layer/vars",)}


def _find_zip_weights(h5: Any, config: Mapping[str, Any], layers: List[KerasLayer]) -> None:
    root = h5.child(h5.file, "layers", "layers")
    if root is None:
        if any(_weight_count(layer) for layer in layers):
            raise _unbuilt(h5.shown, next(layer for layer in layers if _weight_count(layer)))
        return
    # The groups by the layer name their vars record (Keras ≥ 3.x), and by Keras' own naming.
    by_name: Dict[str, str] = {}
    for key in list(root.keys())[:10_000]:
        group = h5.child(root, f"{key}/vars", f"layers/{key}/vars")
        if group is not None:
            recorded = h5.attribute(group, "name", f"layers/{key}/vars name")
            if recorded is not None:
                by_name.setdefault(recorded, key)
    listed = _all_layers(config)
    if config.get("class_name") == "Sequential":
        listed = [item for item in listed if item.get("class_name") != "InputLayer"]
    used: Dict[str, int] = {}
    by_order: Dict[str, str] = {}
    for item in listed:
        base = _snake(str(item.get("class_name")))
        used[base] = used.get(base, -1) + 1
        name = (item.get("config") or {}).get("name") if isinstance(item.get("config"), dict) else None
        by_order[str(name)] = base if used[base] == 0 else f"{base}_{used[base]}"
    for layer in layers:
        if not _weight_count(layer):
            continue
        key = by_name.get(layer.name, by_order.get(layer.name))
        group = h5.child(root, key, f"layers/{key}") if key is not None else None
        if group is None:
            raise _unbuilt(h5.shown, layer)
        for part in ZIP_PARTS.get(layer.wrapper, ("vars",)):
            vars_ = h5.child(group, part, f"layers/{key}/{part}")
            count = len(vars_) if vars_ is not None else 0
            for k in range(min(count, 16)):
                node = h5.child(vars_, str(k), f"layers/{key}/{part}/{k}")
                if node is None:
                    raise ConvertError(f"{h5.shown}: layers/{key}/{part}: expected arrays 0 … {count - 1}, "
                                       f"{k} is not there")
                layer.stored.append(h5.dataset(node, f"layers/{key}/{part}/{k} (layer {layer.name!r})"))


def _unbuilt(shown: str, layer: KerasLayer) -> ConvertError:
    return ConvertError(f"{shown}: layer {layer.name!r} holds no weights: the model was saved before it was "
                        "built; give it an Input (or call it once) before saving")


def _all_layers(config: Mapping[str, Any]) -> List[Dict[str, Any]]:
    inner = config.get("config")
    items = inner.get("layers") if isinstance(inner, dict) else inner
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


# --------------------------------------------------------------------------- the configuration

def check_config(config: Any, path: str) -> List[KerasLayer]:
    """The model's layers in order, each reading the one before (InputLayer and the
    layers that do nothing at inference kept, to be noted): every layer is one that
    converts, checked by name before anything else is read; a functional model must be
    a chain, one input, one output, no branches."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), (dict, list)):
        raise ConvertError(f"{path}: the model configuration is not a Keras model's")
    kind = config.get("class_name")
    items = config["config"].get("layers") if isinstance(config["config"], dict) else config["config"]
    if kind not in MODELS or not isinstance(items, list):
        raise ConvertError(f"{path}: a {_shown(kind)} model; import-keras reads Sequential and functional "
                           "models (a subclassed model's layers are not recorded in its file)")
    layers: List[KerasLayer] = []
    for index, item in enumerate(items):
        _check_layer(item, path)
        conf = item["config"]
        name = conf.get("name", item.get("name", f"layer {index}"))
        if not isinstance(name, str):
            raise ConvertError(f"{path}: layer {index}: name: expected text, found {_shown(name)}")
        layers.append(KerasLayer(item["class_name"], name, conf))
    if kind != "Sequential":
        _check_chain(config["config"], items, path)
    return [layer for layer in layers if layer.kind != "InputLayer"]


def _check_layer(item: Any, path: str, inside: str = "") -> None:
    if not isinstance(item, dict):
        raise ConvertError(f"{path}: a layer of the configuration is not a mapping")
    kind = item.get("class_name")
    conf = item.get("config")
    name = conf.get("name", "?") if isinstance(conf, dict) else "?"
    where = f"layer {_shown(name)}" + (f" (in {inside!r})" if inside else "")
    if not isinstance(kind, str):
        raise ConvertError(f"{path}: {where}: class_name: expected text, found {_shown(kind)}")
    if not isinstance(conf, dict):
        raise ConvertError(f"{path}: {where}: config: expected a mapping, found {_shown(conf)}")
    module = item.get("module")
    if module is not None and not (isinstance(module, str) and module.startswith("keras")):
        raise ConvertError(f"{path}: {where} is a {kind} from {_shown(module)}, not one of Keras' own layers; "
                           f"import-keras converts {', '.join(CONVERTED)}")
    if kind == "Lambda":
        raise ConvertError(f"{path}: {where} is a Lambda layer: it holds Python code, which import-keras "
                           f"never runs; import-keras converts {', '.join(CONVERTED)} (and skips Dropout)")
    if kind in MODELS:
        raise ConvertError(f"{path}: {where} is a nested model ({kind}); import-keras reads one flat "
                           "stack of layers")
    if kind not in CONVERTED + SKIPPED:
        raise ConvertError(f"{path}: {where} is a {kind} layer, which has no spec equivalent; "
                           f"import-keras converts {', '.join(CONVERTED)} (and skips Dropout)")
    if kind == "Bidirectional":
        for key in ("layer", "backward_layer"):
            if conf.get(key) is not None:
                inner = conf[key]
                _check_layer(inner, path, str(name))
                if inner.get("class_name") not in RECURRENT:
                    raise ConvertError(f"{path}: {where} wraps a {inner.get('class_name')}; a bidirectional "
                                       "spec layer holds SimpleRNN, LSTM or GRU layers")
        if not isinstance(conf.get("layer"), dict):
            raise ConvertError(f"{path}: {where}: layer: expected the wrapped layer's configuration")
    if kind == "TimeDistributed":
        inner = conf.get("layer")
        if not isinstance(inner, dict) or inner.get("class_name") != "Dense":
            raise ConvertError(f"{path}: {where} wraps a {_shown(inner.get('class_name') if isinstance(inner, dict) else inner)}; "
                               "import-keras converts TimeDistributed(Dense(…)), a dense layer at every step")
        _check_layer(inner, path, str(name))
    if kind == "RNN":
        cell = conf.get("cell")
        if not isinstance(cell, dict) or cell.get("class_name") not in CELLS:
            found = cell.get("class_name") if isinstance(cell, dict) else "list of cells" if isinstance(cell, list) \
                else cell
            raise ConvertError(f"{path}: {where} is an RNN of a {_shown(found)}; import-keras converts "
                               f"RNN({' | '.join(CELLS)}(…)) (one cell)")
        if not isinstance(cell.get("config"), dict):
            raise ConvertError(f"{path}: {where}: cell config: expected a mapping, found {_shown(cell.get('config'))}")


def _history(value: Any) -> List[Tuple[Any, Any, Any]]:
    """The tensors a node reads, as (layer name, node, tensor index): Keras 3 writes
    ``{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}``, Keras 2
    ``[name, node, tensor, kwargs]``."""
    from .model_files import walk_values
    found = []
    for item in walk_values(value):
        if isinstance(item, dict) and item.get("class_name") == "__keras_tensor__":
            history = (item.get("config") or {}).get("keras_history") if isinstance(item.get("config"), dict) \
                else None
            if isinstance(history, list) and len(history) >= 3:
                found.append(tuple(history[:3]))
    return found


def _node_inputs(node: Any) -> List[Tuple[Any, Any, Any]]:
    if isinstance(node, dict):                       # Keras 3
        return _history(node)
    if isinstance(node, list):                       # Keras 2: [[name, node, tensor, kwargs], ...]
        return [tuple(t[:3]) for t in node if isinstance(t, list) and len(t) >= 3 and isinstance(t[0], str)]
    return []


def _ends(value: Any) -> List[Tuple[Any, Any, Any]]:
    """input_layers / output_layers: one [name, node, tensor] or a list of them."""
    if isinstance(value, list) and len(value) >= 3 and isinstance(value[0], str):
        return [tuple(value[:3])]
    if isinstance(value, list):
        return [tuple(v[:3]) for v in value if isinstance(v, list) and len(v) >= 3]
    return []


def _check_chain(conf: Any, items: List[Dict[str, Any]], path: str) -> None:
    inputs, outputs = _ends(conf.get("input_layers")), _ends(conf.get("output_layers"))
    last = items[-1] if items else {}
    last_conf = last.get("config") or {}
    if len(outputs) > 1 and (last_conf.get("return_state") is True or last.get("class_name") == "Bidirectional"
                             and "merge_mode" in last_conf and last_conf["merge_mode"] is None):
        # return_state=True, or merge_mode=None: the last layer's further outputs (named in the notes)
        name = last.get("name", last_conf.get("name"))
        if all(end[0] == name for end in outputs) and outputs[0][2] in (0, None):
            outputs = outputs[:1]
    if len(inputs) != 1 or len(outputs) != 1:
        raise ConvertError(f"{path}: the model has {len(inputs)} inputs and {len(outputs)} outputs; a spec has "
                           "one of each")
    previous = inputs[0][0]
    for item in items:
        conf_ = item["config"]
        name = item.get("name", conf_.get("name"))
        if item["class_name"] == "InputLayer":
            continue
        nodes = item.get("inbound_nodes")
        reads = _node_inputs(nodes[0]) if isinstance(nodes, list) and len(nodes) == 1 else None
        if not reads or len(reads) != 1 or reads[0][0] != previous or reads[0][2] not in (0, None):
            raise ConvertError(f"{path}: layer {_shown(name)} does not read the output of the layer before it; "
                               "import-keras reads a plain stack of layers")
        previous = name
    if outputs[0][0] != previous or outputs[0][2] not in (0, None):
        raise ConvertError(f"{path}: the model's output is not its last layer's")


# --------------------------------------------------------------------------- arrays: planned, counted, read

def _weight_count(layer: KerasLayer, conf: Optional[Mapping[str, Any]] = None) -> int:
    """How many arrays a layer holds, from its configuration."""
    conf = layer.conf if conf is None else conf
    if layer.kind in RECURRENT:
        return 2 + _flag(conf, "use_bias", layer.name, True)
    if layer.kind == "Dense":
        return 1 + _flag(conf, "use_bias", layer.name, True)
    if layer.kind == "Embedding":
        return 1
    if layer.kind == "Bidirectional":
        forward, backward = _directions(layer)
        return sum(2 + _flag(c, "use_bias", layer.name, True) for c in (forward, backward))
    return 0


def _directions(layer: KerasLayer) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """A Bidirectional's forward and backward layer configurations (the backward one
    made from the forward one, reading backwards, when the file has none)."""
    forward = layer.conf["layer"]
    back = layer.conf.get("backward_layer")
    if back is None:
        conf = dict(_mapping(forward["config"], f"layer {layer.name!r}"))
        conf["go_backwards"] = not _flag(conf, "go_backwards", layer.name)
        back = {"class_name": forward["class_name"], "config": conf}
    return forward, back


def _plan(source_path: str, layers: List[KerasLayer]) -> None:
    """Every array's declared shape checked against the configuration, and their
    numbers counted, before any is read."""
    from .model_files import count_numbers
    size_in: Optional[int] = None
    everything = []
    for layer in layers:
        where = f"{source_path}: layer {layer.name!r}"
        expected = _weight_count(layer)
        if expected and not layer.stored:
            raise _unbuilt(source_path, layer)
        if len(layer.stored) != expected:
            raise ConvertError(f"{where}: expected {expected} arrays in the file, found {len(layer.stored)}")
        if not expected:
            continue
        if size_in is None:
            size_in = layer.stored[0].shape[0] if layer.stored[0].shape else 0
        shapes, size_out = _shapes(layer, size_in, where)
        for stored, shape in zip(layer.stored, shapes):
            if stored.shape != shape:
                raise ConvertError(f"{stored.what}: expected shape {shape} (from the configuration and the "
                                   f"layer before), found {stored.shape}")
        everything.extend(layer.stored)
        size_in = size_out
    count_numbers(everything, source_path)


def _recurrent_shapes(kind: str, conf: Mapping[str, Any], size_in: int, where: str) -> List[Tuple[int, ...]]:
    from .fields import MAX_WEIGHTS
    units = _count(conf, "units", where)
    gates = GATES[RECURRENT[kind]]
    if gates * units * (units + size_in) > MAX_WEIGHTS:
        raise ConvertError(f"{where}: {units:,} units of {kind} are {gates * units * (units + size_in):,} "
                           f"weights; a spec holds at most {MAX_WEIGHTS:,}")
    shapes = [(size_in, gates * units), (units, gates * units)]
    if _flag(conf, "use_bias", where, True):
        reset_after = kind == "GRU" and _flag(conf, "reset_after", where, True)
        shapes.append((2, gates * units) if reset_after else (gates * units,))
    return shapes


def _shapes(layer: KerasLayer, size_in: int, where: str) -> Tuple[List[Tuple[int, ...]], int]:
    conf = layer.conf
    if layer.kind in RECURRENT:
        return _recurrent_shapes(layer.kind, conf, size_in, where), _count(conf, "units", where)
    if layer.kind == "Embedding":
        if size_in != _count(conf, "input_dim", where):
            raise ConvertError(f"{where}: an Embedding reads word ids, so it comes first")
        return [(size_in, _count(conf, "output_dim", where))], _count(conf, "output_dim", where)
    if layer.kind == "Dense":
        units = _count(conf, "units", where)
        return [(size_in, units)] + ([(units,)] if _flag(conf, "use_bias", where, True) else []), units
    forward, backward = _directions(layer)
    shapes = []
    sizes = []
    for part, item in (("forward", forward), ("backward", backward)):
        shapes += _recurrent_shapes(item["class_name"], _mapping(item["config"], where), size_in,
                                    f"{where} ({part})")
        sizes.append(_count(item["config"], "units", f"{where} ({part})"))
    return shapes, (sum(sizes) if conf.get("merge_mode", "concat") in ("concat", None) else sizes[0])


def _finish(shown: str, version: Optional[str], config: Mapping[str, Any], layers: List[KerasLayer]) -> KerasModel:
    _plan(shown, layers)
    notes: List[str] = []
    precisions = sorted({s.precision for layer in layers for s in layer.stored} - {"float64", "float32"})
    if precisions:
        notes.append(f"The file stores weights in {' and '.join(precisions)}; each is widened to float64 "
                     "exactly, and the spec computes in float64.")
    for layer in layers:
        policy = _policy(layer.conf) or _policy(config.get("config") if isinstance(config.get("config"), dict)
                                                else {})
        if policy in LOW_PRECISION:
            notes.append(f"Layer {layer.name!r} computes in {LOW_PRECISION[policy]} in Keras (dtype policy "
                         f"{policy}); the spec computes in float64, so Keras' numbers differ from these by "
                         f"{LOW_PRECISION[policy]}'s rounding.")
        layer.weights = [stored.read() for stored in layer.stored]
        layer.stored = []
    return KerasModel(shown, version, config, layers, notes)


def load_keras_model(path: str) -> KerasModel:
    """The model in a Keras file (``-``: standard input), read as data (see the
    module's description)."""
    return read_keras_file(path)


# --------------------------------------------------------------------------- layers

#: Parameters Keras gives a function of the table by default where the table's default
#: differs: Keras 3's leaky_relu has negative_slope 0.2 (PyTorch's, the table's, 0.01).
KERAS_DEFAULTS = {"leaky_relu": {"alpha": 0.2}}


def _activation(source: KerasModel, layer_name: str, key: str, value: Any, softmax: bool = False) -> Any:
    """A Keras activation as the spec writes it, through the activation table's Keras
    names (rnntrace/layers/activations.py). hard_sigmoid is Keras 2's clip(0.2·z + 0.5,
    0, 1) (the table's hard_sigmoid) but Keras 3's relu6(z + 3)/6 (hard_sigmoid_v3):
    the file's Keras version decides, and a file that does not say is refused."""
    if value is None:
        return "linear"
    if isinstance(value, dict) and isinstance(value.get("config"), str) and \
            value.get("class_name") in ("function", "builtin_function"):
        value = value["config"]
    name = value if isinstance(value, str) else None
    keras3 = activation_table.framework_names("keras")
    keras2 = activation_table.framework_names("keras2")
    allowed = sorted(n for n in set(keras3) | set(keras2) if softmax or keras3.get(n) != "softmax")
    where = f"{source.path}: layer {layer_name!r}: {key} {name if name is not None else _shown(value)}"
    if name not in allowed:
        raise ConvertError(f"{where} has no spec equivalent; expected one of {', '.join(allowed)}")
    if source.major is None and keras2.get(name) != keras3.get(name):
        raise ConvertError(f"{where}: the file does not say which Keras wrote it, and hard_sigmoid is "
                           "clip(0.2·z + 0.5, 0, 1) in Keras 2 but relu6(z + 3)/6 = clip(z/6 + 0.5, 0, 1) in "
                           "Keras 3; refused rather than guessed")
    ours = (keras2 if source.major is not None and source.major <= 2 else keras3).get(name)
    if ours is None:
        raise ConvertError(f"{where}: Keras {source.version} has no such activation")
    params = KERAS_DEFAULTS.get(ours) if source.major is None or source.major >= 3 else None
    return activation_table.spec_value(activation_table.canonical(ours, params))


def _spec_name(name: str) -> str:
    """A Keras layer name as a spec layer name (no dots, none of t, x, y, token)."""
    name = str(name).replace(".", "_") or "layer"
    return f"{name}_layer" if name in RESERVED_NAMES else name


def _recurrent(source: KerasModel, kind_name: str, conf: Mapping[str, Any], weights: Sequence[np.ndarray],
               label: str) -> Dict[str, Any]:
    """The spec layer (unnamed) of one SimpleRNN / LSTM / GRU from its configuration and
    arrays (kernel, recurrent_kernel, bias), their shapes already checked."""
    kind = RECURRENT[kind_name]
    units = _count(conf, "units", label)
    kernel, recurrent = weights[0], weights[1]
    bias = weights[2] if len(weights) > 2 else None
    act = _activation(source, label, "activation", conf.get("activation", "tanh"))
    out: Dict[str, Any] = {"type": kind, "size": units}
    if kind == "elman":
        out["activation"] = act
        out["W"], out["U"] = kernel.T.tolist(), recurrent.T.tolist()
        if bias is not None:
            out["b"] = bias.tolist()
        return out
    gate_act = _activation(source, label, "recurrent_activation", conf.get("recurrent_activation", "sigmoid"))
    letters = [letter for letter, _ in KERAS_GATES[kind]]
    W = split_columns(kernel, letters, units)
    U = split_columns(recurrent, letters, units)
    reset_after = kind == "gru" and _flag(conf, "reset_after", label, True)
    b = b_rec = None
    if bias is not None and reset_after:
        b, b_rec = (split_columns(row[None, :], letters, units) for row in bias)
    elif bias is not None:
        b = split_columns(bias[None, :], letters, units)
    if kind == "lstm":
        out["activation"] = act            # g, on the cell input
        out["cell_activation"] = act       # h, on the cell: Keras uses one activation for both
        out["gate_activation"] = gate_act
    else:
        out["activation"] = act
        out["gate_activation"] = gate_act
        if not reset_after:
            out["reset_after"] = False
    blocks: Dict[str, Dict[str, Any]] = {}
    for letter, block in KERAS_GATES[kind]:
        entry: Dict[str, Any] = {"W": W[letter].T.tolist(), "U": U[letter].T.tolist()}
        if b is not None:
            entry["b"] = b[letter][0].tolist()
            if b_rec is not None:          # the recurrent row, as Keras adds it (r multiplies the candidate's)
                entry["b_h"] = b_rec[letter][0].tolist()
        blocks[block] = entry
    for block in SPEC_BLOCKS[kind]:        # the spec's (and the lecture's) order
        out[block] = blocks[block]
    return out


def _dense(source: KerasModel, layer: KerasLayer) -> Dict[str, Any]:
    kernel = layer.weights[0]
    out: Dict[str, Any] = {"type": "dense", "size": int(kernel.shape[1]),
                           "activation": _activation(source, layer.name, "activation",
                                                     layer.conf.get("activation"), softmax=True),
                           "W": kernel.T.tolist()}
    if len(layer.weights) > 1:
        out["b"] = layer.weights[1].tolist()
    return out


def spec_from_keras(source: KerasModel, *, inputs: Any = None, title: Optional[str] = None,
                    labels: Optional[Sequence[str]] = None,
                    output: Optional[int] = None) -> Tuple[Dict[str, Any], List[str]]:
    """A spec dict for the model, and notes for the file's opening comment.

    ``inputs`` is the sequence (T × input size; a 1-D sequence for input size 1); left
    out, one step of zeros stands in. ``labels`` names the last Dense layer's units.
    ``output`` picks one of the model's outputs (from 1) when its last layer gives
    several (see _select).
    """
    from .convert import _inputs
    notes: List[str] = list(source.notes)
    layers: List[Dict[str, Any]] = []
    last_step_only: Optional[str] = None     # a layer whose Keras output is its last step only
    recurrent_before: Optional[str] = None   # the first recurrent layer, if one was read
    backwards: Optional[str] = None          # a go_backwards layer: the whole sequence is reversed
    reverse: Optional[str] = None            # a go_backwards layer after a recurrent one: direction reverse
    input_size: Optional[int] = None
    masks: List[Tuple[str, float]] = []      # (layer, the value whose steps Keras skips)
    count = len(source.layers)
    for index, layer in enumerate(source.layers):
        kind, label, conf = layer.kind, layer.name, layer.conf
        if kind in SKIPPED:
            notes.append(f"Layer {label!r} ({kind}) does nothing at inference and is left out.")
            continue
        if kind == "Masking":
            # Keras skips a step whose every input is mask_value (the recurrent layers keep their
            # state through it): with no such step among the inputs, the layer changes nothing.
            if layers:
                raise ConvertError(f"{source.path}: layer {label!r}: a Masking layer after other layers masks "
                                   "steps of their outputs; import-keras reads Masking as the first layer")
            value = conf.get("mask_value", 0.0)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ConvertError(f"{source.path}: layer {label!r}: mask_value: expected a number, found "
                                   f"{_shown(value)}")
            masks.append((label, float(value)))
            continue
        if kind == "Embedding":
            if layers:
                raise ConvertError(f"{source.path}: layer {label!r}: an Embedding reads word ids, so it comes first")
            new = {"type": "embedding", "size": int(layer.weights[0].shape[1]), "E": layer.weights[0].tolist()}
            if _flag(conf, "mask_zero", label):
                masks.append((label, 0.0))
        elif kind == "Dense":
            new = _dense(source, layer)
        else:
            if last_step_only is not None:
                raise ConvertError(f"{source.path}: layer {label!r} follows {last_step_only!r}, which returns "
                                   "its last step only (return_sequences=False)")
            if _flag(conf, "return_state", label):
                states = "h and c" if kind == "LSTM" or kind == "Bidirectional" and \
                    _directions(layer)[0]["class_name"] == "LSTM" else "h"
                later = "" if index == count - 1 else " (the layers after it read the sequence)"
                notes.append(f"Layer {label!r} also returns its final state (return_state=True){later}: Keras' "
                             f"further outputs are {states} of {_spec_name(label)!r} at its last step, which the "
                             "trace shows (a backward direction's last step is step 1).")
            if kind == "Bidirectional":
                new, conf = _bidirectional(source, layer)
                if layer.conf.get("merge_mode", "concat") is None:
                    notes.append(f"Layer {label!r} returns its two directions as two outputs (merge_mode=None): "
                                 "the spec concatenates them, the forward direction's numbers first, then the "
                                 "backward's (the trace shows each direction as well).")
            else:
                new = _recurrent(source, kind, conf, layer.weights, label)
                if _flag(conf, "go_backwards", label):
                    # It reads x_T … x_1 and returns its outputs in that order, which the layers after
                    # it read in turn: the model on x_1 … x_T is, from here on, a forward model on
                    # x_T … x_1. The layers before it work step by step (Dense), so reversing the
                    # spec's inputs is exact, unless a recurrent layer came first.
                    if recurrent_before is None:
                        backwards = label
                    elif any(later.kind in RECURRENT or later.kind == "Bidirectional"
                             for later in source.layers[index + 1:]):
                        raise ConvertError(
                            f"{source.path}: layer {label!r}: go_backwards=True returns its outputs last step "
                            f"first, and a recurrent layer after it reads them in that order; a spec layer reads "
                            "its input from step 1 on (direction: reverse keeps each output at its own step)")
                    else:
                        # After a recurrent layer the inputs cannot be reversed: the layer reads x_T … x_1
                        # itself (direction: reverse, its output at t having read x_T … x_t), and Keras'
                        # output k, in the order it read them, is the trace's step T − k + 1.
                        new["direction"] = "reverse"
                        reverse = label
            recurrent_before = recurrent_before or label
            if _flag(conf, "stateful", label):
                notes.append(f"Layer {label!r} is stateful: the spec starts from zero state, as Keras does "
                             "after loading or reset_states(); the state carried between batches is not in "
                             "the file.")
            if not _flag(conf, "return_sequences", label):
                last_step_only = label
        if input_size is None:
            input_size = 1 if new["type"] == "embedding" else _input_size(new)
        layers.append(dict([("name", _spec_name(label))] + list(new.items())))
    if not layers:
        raise ConvertError(f"{source.path}: the model has no layers to convert")
    if output is not None:
        _select(source, layers, output, notes)
    if reverse is not None:
        notes.append(f"Layer {reverse!r} reads its inputs backwards (go_backwards=True; here direction: reverse) "
                     "and Keras returns its outputs in the order it read them: Keras' output k (k = 1 … T) from "
                     "it on is step T − k + 1 here.")
    if last_step_only is not None and last_step_only == reverse:
        notes.append(f"Keras returns only the last output of layer {reverse!r} (return_sequences=False), after "
                     "reading x_T … x_1: the model's output is y at step 1 here.")
    elif last_step_only is not None:
        notes.append(f"Keras returns only the last step of layer {last_step_only!r} (return_sequences=False): "
                     "the model's output is y at the last step; the earlier steps are shown as well.")
    if labels is not None:
        labels = [str(x) for x in labels]
        head = layers[-1]
        if head["type"] != "dense" or len(labels) != head["size"]:
            what = f"{head['size']} labels, one per unit of the last Dense layer" if head["type"] == "dense" \
                else "a Dense layer last"
            raise ConvertError(f"--labels: expected {what}, found {len(labels)}")
        head["labels"] = labels
    spec: Dict[str, Any] = {}
    if title is not None:
        spec["title"] = str(title)
    if layers[0]["type"] == "embedding":
        _check_ids(inputs, len(layers[0]["E"]), layers[0]["name"])
    spec["inputs"] = _inputs(inputs, input_size)
    for label, value in masks:
        cut = [t + 1 for t, step in enumerate(spec["inputs"]) if all(v == value for v in step)]
        if cut:
            what = "every input is" if layers[0]["type"] != "embedding" else "the id is"
            raise ConvertError(f"{source.path}: layer {label!r} masks step {cut[0]} of the inputs ({what} "
                               f"{value:g}): Keras skips it, keeping the state, where a spec runs every step"
                               + ("; give --inputs without such a step" if inputs is not None else
                                  "; give --inputs (the default is one step of zeros)"))
        what = "whose every input is" if layers[0]["type"] != "embedding" else "whose id is"
        notes.append(f"Layer {label!r} masks steps {what} {value:g}; none of these inputs is one, "
                     "so it changes nothing here (inputs with such a step are refused).")
    if backwards is not None:
        spec["inputs"] = spec["inputs"][::-1]
        notes.append(f"Layer {backwards!r} reads the sequence backwards (go_backwards=True), and the layers after "
                     "it read its outputs in that order: the inputs here are written last step first, "
                     "x_T … x_1, so that step t of the run is Keras' output t.")
    spec["layers"] = layers
    return spec, notes


def _check_ids(inputs: Any, vocabulary: int, name: str) -> None:
    """An Embedding's inputs are word ids: one whole number 0 … V − 1 a step (or a list of one)."""
    given = np.asarray([0] if inputs is None else inputs, dtype=object)
    if given.ndim == 2 and given.shape[1] == 1:
        given = given[:, 0]
    if given.ndim != 1 or not all(isinstance(k, (int, float)) and not isinstance(k, bool)
                                  and float(k).is_integer() and 0 <= k < vocabulary for k in given):
        raise ConvertError(f"inputs: expected one word id per step, a whole number 0 … {vocabulary - 1} "
                           f"(layer {name!r} is an Embedding of {vocabulary} words)")


def _bidirectional(source: KerasModel, layer: KerasLayer) -> Tuple[Dict[str, Any], Mapping[str, Any]]:
    label, conf = layer.name, layer.conf
    mode = conf.get("merge_mode", "concat")
    if mode is None:
        if layer is not source.layers[-1]:
            raise ConvertError(f"{source.path}: layer {label!r}: merge_mode=None returns both directions as two "
                               "outputs, which a layer after it cannot read as one; a spec's bidirectional layer "
                               "merges them (concat, sum, ave or mul)")
        mode = "concat"
    if not isinstance(mode, str) or mode not in MERGES:
        raise ConvertError(f"{source.path}: layer {label!r}: merge_mode {_shown(mode)} has no spec equivalent")
    forward, backward = _directions(layer)
    fconf, bconf = forward["config"], backward["config"]
    nf = 2 + _flag(fconf, "use_bias", label, True)
    f_spec = _recurrent(source, forward["class_name"], fconf, layer.weights[:nf], f"{label} forward")
    b_spec = _recurrent(source, backward["class_name"], bconf, layer.weights[nf:], f"{label} backward")
    if _flag(fconf, "go_backwards", label) or not _flag(bconf, "go_backwards", label):
        raise ConvertError(f"{source.path}: layer {label!r}: its forward layer reads backwards; a spec's "
                           "forward direction reads x_1 … x_T")
    if not _flag(fconf, "return_sequences", label):
        raise ConvertError(
            f"{source.path}: layer {label!r}: return_sequences=False returns the forward direction at step T "
            "merged with the backward direction at step 1 (after reading x_T … x_1); a spec's bidirectional "
            "layer merges both at the same step. Save the model with return_sequences=True to trace it")
    out = {"type": "bidirectional", "merge": MERGES[mode], "forward": f_spec, "backward": b_spec}
    return out, fconf


def _input_size(layer: Mapping[str, Any]) -> int:
    """How many inputs a spec layer (as a dict) reads: the columns of its W."""
    if layer["type"] == "bidirectional":
        return _input_size(layer["forward"])
    W = layer["W"] if "W" in layer else layer[SPEC_BLOCKS[layer["type"]][0]]["W"]
    return len(W[0])


def _select(source: KerasModel, layers: List[Dict[str, Any]], output: int, notes: List[str]) -> None:
    """The spec's y made Keras' output number ``output`` of a last layer that gives several:

    - Bidirectional(merge_mode=None): 1 is the forward direction's sequence (the spec
      keeps that layer alone), 2 the backward's, which Keras lines up with the steps,
      as a layer of direction: reverse does (its output at t has read x_T … x_t);
    - return_state=True: 1 is the sequence; 2 is h at the last step, which is the
      sequence's last step (y at step T); c (an LSTM's 3) is a memory, no layer's output.
    """
    last = source.layers[-1]
    label = last.name
    split = last.kind == "Bidirectional" and last.conf.get("merge_mode", "concat") is None
    state = _flag(last.conf, "return_state", label)
    count = 2 if split else (3 if last.kind == "LSTM" else 2) if state and last.kind != "Bidirectional" else 1
    if not 1 <= output <= count:
        raise ConvertError(f"--output-number {output}: the model gives {count} output{'s' if count > 1 else ''}"
                           + (f" (layer {label!r})" if count > 1 else ""))
    if split:
        head = layers[-1]
        chosen = dict(head["forward"] if output == 1 else head["backward"])
        if output == 2:
            chosen["direction"] = "reverse"
        layers[-1] = dict([("name", head["name"])] + list(chosen.items()))
        notes[:] = [n for n in notes if "merge_mode=None" not in n]
        notes.append(f"Layer {label!r} returns its two directions as two outputs (merge_mode=None); the spec is "
                     + ("output 1, the forward direction." if output == 1 else
                        "output 2, the backward direction: it reads x_T … x_1 (direction: reverse), and its "
                        "output at step t has read x_T … x_t, as Keras lines it up."))
    elif output == 2:
        notes.append(f"The spec's y is the sequence; Keras' output 2, h of {label!r} at its last step, is y at the "
                     "last step.")
    elif output == 3:
        raise ConvertError(f"--output-number 3: Keras' output 3 is c of LSTM {label!r} at its last step, a memory "
                           "and not a layer's output; the trace shows it as its c at the last step")
