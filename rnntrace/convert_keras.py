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

The file is read without running any code from it: the model's configuration is read
as JSON first and every layer class checked against the ones above (a ``Lambda``
layer, which holds Python code, is refused there), then Keras builds the model in its
safe mode (``safe_mode=True``), which refuses to deserialise code in any case. Keras
is imported only here.
"""
from __future__ import annotations

import json
import os
import zipfile
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .layers import activations as activation_table

from .convert import ConvertError, as_array, read_magic
from .packing import split_columns

#: Layer classes that become spec layers, and those that do nothing at inference.
CONVERTED = ("InputLayer", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Dense")
SKIPPED = ("Dropout",)
MODELS = ("Sequential", "Functional", "Model")
RECURRENT = {"SimpleRNN": "elman", "LSTM": "lstm", "GRU": "gru"}
#: Keras' activation names that rnntrace computes the same way (hard_sigmoid: see _activation).
SAME_ACTIVATIONS = tuple(n for n, f in activation_table.TABLE.items()
                         if f.elementwise and f.keras == n and f.keras2 == n)
#: Keras' packed gate order (columns of the kernel), and the spec block of each.
KERAS_GATES = {
    "lstm": (("i", "input_gate"), ("f", "forget_gate"), ("c", "cell_input"), ("o", "output_gate")),
    "gru": (("z", "update_gate"), ("r", "reset_gate"), ("h", "candidate")),
}
SPEC_BLOCKS = {"lstm": ("cell_input", "input_gate", "forget_gate", "output_gate"),
               "gru": ("reset_gate", "update_gate", "candidate")}
MERGES = {"concat": "concat", "sum": "sum", "ave": "ave", "mul": "mul"}
MAX_CONFIG_BYTES = 64 << 20
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
RESERVED_NAMES = ("t", "x", "y", "token")


class KerasModel:
    """What a Keras file holds, as read for a spec: the version of Keras that wrote
    it, its configuration (plain JSON data) and the model Keras built from it."""

    def __init__(self, path: str, version: Optional[str], config: Mapping[str, Any], model: Any):
        self.path, self.version, self.config, self.model = path, version, config, model

    @property
    def major(self) -> Optional[int]:
        try:
            return int(str(self.version).split(".")[0])
        except ValueError:
            return None


# --------------------------------------------------------------------------- reading the file

def read_keras_file(path: str) -> Tuple[Optional[str], Dict[str, Any]]:
    """The Keras version recorded in the file and its model configuration, read as
    data only (zipfile and json for ``.keras``, h5py's attributes for ``.h5``)."""
    magic = read_magic(path, 8, "a Keras model file")
    lower = path.lower()
    if magic.startswith(b"PK\x03\x04"):
        if not lower.endswith(".keras"):
            raise ConvertError(f"{path}: a zip archive; a Keras 3 model file is named *.keras")
        return _read_zip(path)
    if magic == HDF5_MAGIC:
        if lower.endswith(".weights.h5"):
            raise ConvertError(f"{path}: holds weights only (model.save_weights); import-keras needs "
                               "the whole model, as model.save('model.keras') writes it")
        if not lower.endswith((".h5", ".hdf5")):
            raise ConvertError(f"{path}: an HDF5 file; a legacy Keras model file is named *.h5")
        return _read_h5(path)
    raise ConvertError(f"{path}: not a Keras model file (model.save writes a .keras zip archive "
                       "or a legacy .h5 HDF5 file)")


def _read_zip(path: str) -> Tuple[Optional[str], Dict[str, Any]]:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "config.json" not in names:
                raise ConvertError(f"{path}: no config.json inside; not a Keras 3 model file")
            if "model.weights.h5" not in names:
                raise ConvertError(f"{path}: no model.weights.h5 inside; the file holds no weights")
            config = _json(archive, "config.json", path)
            metadata = _json(archive, "metadata.json", path) if "metadata.json" in names else {}
    except zipfile.BadZipFile as exc:
        raise ConvertError(f"{path}: a damaged zip archive ({exc})") from None
    version = metadata.get("keras_version") if isinstance(metadata, dict) else None
    return (None if version is None else str(version)), config


def _json(archive: zipfile.ZipFile, name: str, path: str) -> Any:
    if archive.getinfo(name).file_size > MAX_CONFIG_BYTES:
        raise ConvertError(f"{path}: {name} is larger than {MAX_CONFIG_BYTES >> 20} MiB")
    try:
        return json.loads(archive.read(name).decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConvertError(f"{path}: {name} is not JSON ({str(exc)[:100]})") from None


def _read_h5(path: str) -> Tuple[Optional[str], Dict[str, Any]]:
    try:
        import h5py
    except ImportError:
        raise ConvertError(_missing("h5py")) from None
    try:
        with h5py.File(path, "r") as f:
            attrs = dict(f.attrs)
    except OSError as exc:
        raise ConvertError(f"{path}: cannot be read as HDF5 ({str(exc)[:100]})") from None

    def text(value):
        return value.decode("utf-8") if isinstance(value, bytes) else value

    if "model_config" not in attrs:
        raise ConvertError(f"{path}: no model configuration (a file of weights only?); import-keras "
                           "needs the whole model, as model.save writes it")
    try:
        config = json.loads(text(attrs["model_config"]))
    except ValueError:
        raise ConvertError(f"{path}: the model configuration is not JSON") from None
    version = attrs.get("keras_version")
    return (None if version is None else str(text(version))), config


def _missing(what: str) -> str:
    return (f"import-keras needs {what}, which is not installed: pip install 'rnntrace[keras]' "
            "(Keras 3 and h5py; Keras runs on any of its backends, e.g. torch)")


def check_config(config: Any, path: str) -> None:
    """Every layer of the configuration is one that converts (or does nothing at
    inference); anything else is refused by name before Keras builds a thing."""
    if not isinstance(config, dict) or not isinstance(config.get("config"), dict):
        raise ConvertError(f"{path}: the model configuration is not a Keras model's")
    kind = config.get("class_name")
    if kind not in MODELS or not isinstance(config["config"].get("layers"), list):
        raise ConvertError(f"{path}: a {kind} model; import-keras reads Sequential and functional "
                           "models (a subclassed model's layers are not recorded in its file)")
    for item in config["config"]["layers"]:
        _check_layer(item, path)


def _check_layer(item: Any, path: str, inside: str = "") -> None:
    if not isinstance(item, dict):
        raise ConvertError(f"{path}: a layer of the configuration is not a mapping")
    kind = item.get("class_name")
    conf = item.get("config") if isinstance(item.get("config"), dict) else {}
    name = conf.get("name", "?")
    where = f"layer {name!r}" + (f" (in {inside!r})" if inside else "")
    module = item.get("module")
    if module is not None and not str(module).startswith("keras"):
        raise ConvertError(f"{path}: {where} is a {kind} from {module}, not one of Keras' own layers; "
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
                _check_layer(inner, path, name)
                if isinstance(inner, dict) and inner.get("class_name") not in RECURRENT:
                    raise ConvertError(f"{path}: {where} wraps a {inner.get('class_name')}; a bidirectional "
                                       "spec layer holds SimpleRNN, LSTM or GRU layers")


def _pick_backend() -> None:
    """Keras needs one of its backends to build the model; the weights are only read,
    so any will do. Unless KERAS_BACKEND is set, keep the one Keras is configured
    with (~/.keras/keras.json) when it is installed, or else take one that is."""
    if os.environ.get("KERAS_BACKEND"):
        return
    from importlib.util import find_spec
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    configured = "tensorflow"
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as f:
            configured = json.load(f).get("backend", configured)
    except (OSError, ValueError, AttributeError):
        pass
    if find_spec(configured) is not None:
        return
    for backend in ("torch", "jax", "tensorflow"):
        if find_spec(backend) is not None:
            os.environ["KERAS_BACKEND"] = backend
            return


def load_keras_model(path: str) -> KerasModel:
    """The model in a Keras file (``-``: standard input), built by Keras in safe mode
    once its configuration has been checked (see the module's description)."""
    path = str(path)
    if path == "-":
        return _from_stdin()
    version, config = read_keras_file(path)
    check_config(config, path)
    _pick_backend()
    try:
        import keras
    except ImportError:
        raise ConvertError(_missing("Keras 3")) from None
    if not hasattr(keras, "saving") or int(str(keras.__version__).split(".")[0]) < 3:
        raise ConvertError(_missing("Keras 3") + f"; found Keras {keras.__version__}")
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:   # Keras raises ValueError, TypeError, OSError, … while loading
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConvertError(f"{path}: Keras cannot load the model ({first[:200]})") from None
    return KerasModel(path, version, config, model)


def _from_stdin() -> KerasModel:
    """Standard input, kept in a temporary file named for its format (Keras tells the
    formats apart by the name); messages name it <stdin>."""
    import sys
    import tempfile
    data = sys.stdin.buffer.read()
    suffix = ".keras" if data.startswith(b"PK\x03\x04") else ".h5" if data.startswith(HDF5_MAGIC) else None
    if suffix is None:
        raise ConvertError("<stdin>: not a Keras model file (model.save writes a .keras zip archive "
                           "or a legacy .h5 HDF5 file)")
    with tempfile.TemporaryDirectory() as folder:
        file = os.path.join(folder, "model" + suffix)
        with open(file, "wb") as f:
            f.write(data)
        try:
            source = load_keras_model(file)
        except ConvertError as exc:
            raise ConvertError(str(exc).replace(file, "<stdin>")) from None
    source.path = "<stdin>"
    return source


# --------------------------------------------------------------------------- layers

def _numpy(variable: Any, what: str) -> np.ndarray:
    import keras
    return as_array(keras.ops.convert_to_numpy(variable), what)


def _activation(source: KerasModel, layer_name: str, key: str, value: Any, allowed=SAME_ACTIVATIONS) -> str:
    """A Keras activation as the spec names it. hard_sigmoid is Keras 2's
    clip(0.2·z + 0.5, 0, 1), rnntrace's; Keras 3 changed it to relu6(z + 3)/6 =
    clip(z/6 + 0.5, 0, 1), which the spec does not have."""
    if value is None:
        return "linear"
    name = value if isinstance(value, str) else None
    if name == "hard_sigmoid":
        if source.major is not None and source.major <= 2:
            return "hard_sigmoid"
        if source.major is None:
            raise ConvertError(f"{source.path}: layer {layer_name!r}: {key} hard_sigmoid: the file does not say "
                               "which Keras wrote it, and hard_sigmoid is clip(0.2·z + 0.5, 0, 1) in Keras 2 but "
                               "relu6(z + 3)/6 = clip(z/6 + 0.5, 0, 1) in Keras 3; refused rather than guessed")
        raise ConvertError(f"{source.path}: layer {layer_name!r}: {key} hard_sigmoid: the file was written by "
                           f"Keras {source.version}, whose hard_sigmoid is relu6(z + 3)/6 = clip(z/6 + 0.5, 0, 1); "
                           "rnntrace's is Keras 2's clip(0.2·z + 0.5, 0, 1), so importing it would change the numbers")
    if name in allowed:
        return name
    shown = name if name is not None else json.dumps(value)[:60]
    raise ConvertError(f"{source.path}: layer {layer_name!r}: {key} {shown} has no spec equivalent; "
                       f"expected one of {', '.join(allowed + ('hard_sigmoid',))}")


def _spec_name(name: str) -> str:
    """A Keras layer name as a spec layer name (no dots, none of t, x, y, token)."""
    name = str(name).replace(".", "_") or "layer"
    return f"{name}_layer" if name in RESERVED_NAMES else name


def _recurrent(source: KerasModel, layer: Any, label: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """The spec layer (unnamed) of one SimpleRNN / LSTM / GRU, and its Keras settings
    that decide how it may be used (return_sequences, go_backwards)."""
    conf = layer.get_config()
    kind = RECURRENT[type(layer).__name__]
    if conf.get("return_state"):
        raise ConvertError(f"{source.path}: layer {label!r}: return_state=True gives the states as more "
                           "outputs; a spec layer has one output")
    cell = layer.cell
    units = int(conf["units"])
    kernel = _numpy(cell.kernel, f"{label} kernel")
    recurrent = _numpy(cell.recurrent_kernel, f"{label} recurrent_kernel")
    bias = _numpy(cell.bias, f"{label} bias") if conf.get("use_bias", True) and cell.bias is not None else None
    act = _activation(source, label, "activation", conf.get("activation"))
    out: Dict[str, Any] = {"type": kind, "size": units}
    if kind == "elman":
        out["activation"] = act
        out["W"], out["U"] = kernel.T.tolist(), recurrent.T.tolist()
        if bias is not None:
            out["b"] = bias.tolist()
        return out, conf
    gate_act = _activation(source, label, "recurrent_activation", conf.get("recurrent_activation"))
    letters = [letter for letter, _ in KERAS_GATES[kind]]
    W = split_columns(kernel, letters, units)
    U = split_columns(recurrent, letters, units)
    reset_after = kind == "gru" and bool(conf.get("reset_after", True))
    if bias is not None and reset_after:
        if bias.shape != (2, len(letters) * units):
            raise ConvertError(f"{label} bias: expected shape (2, {len(letters) * units}) with "
                               f"reset_after=True, found {bias.shape}")
        b, b_rec = (split_columns(row[None, :], letters, units) for row in bias)
    elif bias is not None:
        b, b_rec = split_columns(bias[None, :], letters, units), None
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
        if bias is not None:
            entry["b"] = b[letter][0].tolist()
            if b_rec is not None:          # the recurrent row, as Keras adds it (r multiplies the candidate's)
                entry["b_h"] = b_rec[letter][0].tolist()
        blocks[block] = entry
    for block in SPEC_BLOCKS[kind]:        # the spec's (and the lecture's) order
        out[block] = blocks[block]
    return out, conf


def _dense(source: KerasModel, layer: Any, label: str) -> Dict[str, Any]:
    conf = layer.get_config()
    kernel = _numpy(layer.kernel, f"{label} kernel")
    out: Dict[str, Any] = {"type": "dense", "size": int(kernel.shape[1]),
                           "activation": _activation(source, label, "activation", conf.get("activation"),
                                                     SAME_ACTIVATIONS + ("softmax",)),
                           "W": kernel.T.tolist()}
    if conf.get("use_bias", True) and layer.bias is not None:
        out["b"] = _numpy(layer.bias, f"{label} bias").tolist()
    return out


def _chain(source: KerasModel) -> List[Any]:
    """The model's layers in order, each reading the one before (InputLayer left out).
    A functional model must be such a chain: one input, one output, no branches."""
    model = source.model
    layers = list(model.layers)
    kind = type(model).__name__
    if kind != "Sequential":
        if len(model.inputs) != 1 or len(model.outputs) != 1:
            raise ConvertError(f"{source.path}: the model has {len(model.inputs)} inputs and "
                               f"{len(model.outputs)} outputs; a spec has one of each")
        previous = model.inputs[0]
        body = [layer for layer in layers if type(layer).__name__ != "InputLayer"]
        for layer in body:
            nodes = getattr(layer, "_inbound_nodes", None) or []
            tensors = list(getattr(nodes[0], "input_tensors", ())) if len(nodes) == 1 else None
            outputs = len(getattr(nodes[0], "output_tensors", ())) if nodes else 0
            if outputs > 1:
                why = "return_state=True gives the states as more outputs" if getattr(layer, "return_state", False) \
                    else f"it gives {outputs} outputs"
                raise ConvertError(f"{source.path}: layer {layer.name!r}: {why}; a spec layer has one output")
            if not tensors or len(tensors) != 1 or tensors[0] is not previous or outputs != 1:
                raise ConvertError(f"{source.path}: layer {layer.name!r} does not read the output of the "
                                   "layer before it; import-keras reads a plain stack of layers")
            previous = nodes[0].output_tensors[0]
        if previous is not model.outputs[0]:
            raise ConvertError(f"{source.path}: the model's output is not its last layer's")
        layers = body
    layers = [layer for layer in layers if type(layer).__name__ != "InputLayer"]
    for layer in layers:
        if not layer.built or (type(layer).__name__ in CONVERTED and not layer.weights):
            raise ConvertError(f"{source.path}: layer {layer.name!r} holds no weights: the model was saved "
                               "before it was built; give it an Input (or call it once) before saving")
    return layers


def spec_from_keras(source: KerasModel, *, inputs: Any = None, title: Optional[str] = None,
                    labels: Optional[Sequence[str]] = None) -> Tuple[Dict[str, Any], List[str]]:
    """A spec dict for the model, and notes for the file's opening comment.

    ``inputs`` is the sequence (T × input size; a 1-D sequence for input size 1); left
    out, one step of zeros stands in. ``labels`` names the last Dense layer's units.
    """
    from .convert import _inputs
    notes: List[str] = []
    layers: List[Dict[str, Any]] = []
    last_step_only: Optional[str] = None     # a layer whose Keras output is its last step only
    recurrent_before: Optional[str] = None   # the first recurrent layer, if one was read
    backwards: Optional[str] = None          # a go_backwards layer: the whole sequence is reversed
    input_size: Optional[int] = None
    size_in: Optional[int] = None
    for layer in _chain(source):
        kind = type(layer).__name__
        label = layer.name
        if kind in SKIPPED:
            notes.append(f"Layer {label!r} ({kind}) does nothing at inference and is left out.")
            continue
        if kind == "Dense":
            new = _dense(source, layer, label)
            first_in = _input_size(new)
        else:
            if last_step_only is not None:
                raise ConvertError(f"{source.path}: layer {label!r} follows {last_step_only!r}, which returns "
                                   "its last step only (return_sequences=False)")
            if kind == "Bidirectional":
                new, conf = _bidirectional(source, layer, label)
            else:
                new, conf = _recurrent(source, layer, label)
                if conf.get("go_backwards"):
                    # It reads x_T … x_1 and returns its outputs in that order, which the layers after
                    # it read in turn: the model on x_1 … x_T is, from here on, a forward model on
                    # x_T … x_1. The layers before it work step by step (Dense), so reversing the
                    # spec's inputs is exact, unless a recurrent layer came first.
                    if recurrent_before is not None:
                        raise ConvertError(
                            f"{source.path}: layer {label!r}: go_backwards=True reads the outputs of "
                            f"{recurrent_before!r} from the last step to the first; a spec layer reads forwards "
                            "(only a bidirectional layer has a backward direction)")
                    backwards = label
            recurrent_before = recurrent_before or label
            if conf.get("stateful"):
                notes.append(f"Layer {label!r} is stateful: the spec starts from zero state, as Keras does "
                             "after loading or reset_states(); the state carried between batches is not in "
                             "the file.")
            if not conf.get("return_sequences", False):
                last_step_only = label
            first_in = _input_size(new)
        if size_in is not None and first_in != size_in:
            raise ConvertError(f"{source.path}: layer {label!r} reads {first_in} inputs, but the layer "
                               f"before it gives {size_in}")
        if input_size is None:
            input_size = first_in
        layers.append(dict([("name", _spec_name(label))] + list(new.items())))
        size_in = _output_size(new)
    if not layers:
        raise ConvertError(f"{source.path}: the model has no layers to convert")
    if last_step_only is not None:
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
    spec["inputs"] = _inputs(inputs, input_size)
    if backwards is not None:
        spec["inputs"] = spec["inputs"][::-1]
        notes.append(f"Layer {backwards!r} reads the sequence backwards (go_backwards=True), and the layers after "
                     "it read its outputs in that order: the inputs here are written last step first, "
                     "x_T … x_1, so that step t of the run is Keras' output t.")
    spec["layers"] = layers
    return spec, notes


def _bidirectional(source: KerasModel, layer: Any, label: str) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    conf = layer.get_config()
    mode = conf.get("merge_mode")
    if mode is None:
        raise ConvertError(f"{source.path}: layer {label!r}: merge_mode=None returns both directions as two "
                           "outputs; a spec's bidirectional layer merges them (concat, sum, ave or mul)")
    if mode not in MERGES:
        raise ConvertError(f"{source.path}: layer {label!r}: merge_mode {mode!r} has no spec equivalent")
    forward, fconf = _recurrent(source, layer.forward_layer, f"{label} forward")
    backward, bconf = _recurrent(source, layer.backward_layer, f"{label} backward")
    if fconf.get("go_backwards") or not bconf.get("go_backwards"):
        raise ConvertError(f"{source.path}: layer {label!r}: its forward layer reads backwards; a spec's "
                           "forward direction reads x_1 … x_T")
    if not fconf.get("return_sequences", False):
        raise ConvertError(
            f"{source.path}: layer {label!r}: return_sequences=False returns the forward direction at step T "
            "merged with the backward direction at step 1 (after reading x_T … x_1); a spec's bidirectional "
            "layer merges both at the same step. Save the model with return_sequences=True to trace it")
    out = {"type": "bidirectional", "merge": MERGES[mode], "forward": forward, "backward": backward}
    return out, fconf


def _input_size(layer: Mapping[str, Any]) -> int:
    """How many inputs a spec layer (as a dict) reads: the columns of its W."""
    if layer["type"] == "bidirectional":
        return _input_size(layer["forward"])
    W = layer["W"] if "W" in layer else layer[SPEC_BLOCKS[layer["type"]][0]]["W"]
    return len(W[0])


def _output_size(layer: Mapping[str, Any]) -> int:
    if layer["type"] == "bidirectional":
        f, b = layer["forward"]["size"], layer["backward"]["size"]
        return f + b if layer["merge"] == "concat" else f
    return int(layer["size"])
