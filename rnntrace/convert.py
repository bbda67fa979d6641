"""PyTorch weights as a spec: a ``state_dict`` of ``nn.RNN``, ``nn.LSTM``, ``nn.GRU``
and ``nn.Linear`` modules becomes a spec: :func:`spec_from_state_dict` returns the
validated :class:`rnntrace.spec.Spec`, which ``rnntrace.run`` runs, and
:func:`spec_data_from_state_dict` the plain data it is read from (the v1 format, as
YAML would load it); :func:`spec_to_yaml` writes either as a file.

PyTorch keeps the weights of all gates of a layer in one matrix, stacked by rows
(H = hidden size; ``_l{k}`` is the k-th stacked layer, ``_reverse`` the backward
direction of a bidirectional module):

    nn.RNN   weight_ih_l{k}: W          (H × in)   h = act(W·x + b_ih + U·h_{t−1} + b_hh)
    nn.LSTM  weight_ih_l{k}: [W_i; W_f; W_g; W_o]  (4H × in)
             → input_gate, forget_gate, cell_input, output_gate
    nn.GRU   weight_ih_l{k}: [W_r; W_z; W_n]       (3H × in)
             → reset_gate, update_gate, candidate

``weight_hh_l{k}`` is stacked the same way (rows × H) and holds the recurrent ``U``.
The spec uses PyTorch's orientation (one row per unit), so each block is a plain
slice of rows. PyTorch adds two biases, ``b_ih`` and ``b_hh``:

- nn.RNN, nn.LSTM and the GRU's two gates: both biases are added to the same z, so
  the spec's ``b`` is their sum;
- the GRU's candidate: n = tanh(W_n·x + b_in + r∘(U_n·h + b_hn)); the reset gate
  multiplies ``b_hn``, so it stays apart as the block's ``b_h``.

A layer k > 0 reads the output of layer k − 1 (both directions concatenated when
bidirectional), which is what stacking spec layers does. ``nn.Linear`` (weight
out × in, bias) is a ``dense`` layer.

torch is never imported here: any value ``numpy.asarray`` understands will do, and
a tensor is detached and moved to the CPU first.
"""
from __future__ import annotations

import math
import re
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .errors import close_name
from .fields import MAX_WEIGHTS
from .layers import activations as activation_table
from .layers.gru import BLOCKS as GRU_BLOCKS
from .layers.lstm import BLOCKS as LSTM_BLOCKS
from .model_files import ConvertError, read_magic  # noqa: F401  (ConvertError: its home for callers)

#: PyTorch's row blocks, in the order they are stacked.
TORCH_GATES = {
    "lstm": ("input_gate", "forget_gate", "cell_input", "output_gate"),   # i, f, g, o
    "gru": ("reset_gate", "update_gate", "candidate"),                    # r, z, n
    "elman": ("W",),
}
SPEC_ORDER = {"lstm": LSTM_BLOCKS, "gru": GRU_BLOCKS}
#: How PyTorch's modules are called here, and the spec type each becomes.
KINDS = {"rnn": "elman", "elman": "elman", "lstm": "lstm", "gru": "gru"}
NONLINEARITIES = ("tanh", "relu")
#: What may follow the last nn.Linear: the table's functions that PyTorch has without
#: a parameter to choose (rnntrace/layers/activations.py).
DENSE_ACTIVATIONS = tuple(n for n, f in activation_table.TABLE.items() if f.torch and not f.params)

_RECURRENT_KEY = re.compile(r"^(?P<prefix>.*?)(?P<param>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                            r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$")
_LINEAR_KEY = re.compile(r"^(?P<prefix>.*?)(?P<param>weight|bias)$")


# --------------------------------------------------------------------------- values

def as_array(value: Any, what: str = "value") -> np.ndarray:
    """A float64 numpy array of ``value``: a tensor (detached, on the CPU), an array,
    a list or a number. Non-finite entries are refused (a spec cannot hold them)."""
    if hasattr(value, "detach"):
        value = value.detach()
    if hasattr(value, "cpu"):
        value = value.cpu()
    if hasattr(value, "double") and hasattr(value, "is_floating_point"):
        value = value.double()         # bfloat16 and float16 have no numpy twin; widening is exact
    if hasattr(value, "numpy"):
        value = value.numpy()
    if isinstance(value, np.ndarray) and np.iscomplexobj(value):
        raise ConvertError(f"{what}: complex numbers; a spec's weights are real, and dropping the imaginary "
                           "part would change the model")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        ragged = "inhomogeneous" in str(exc)
        raise ConvertError(f"{what}: expected numbers" + (", every row of one length" if ragged else
                                                          f", found {type(value).__name__}")) from None
    if not np.isfinite(array).all():
        raise ConvertError(f"{what}: holds NaN or infinity; a spec needs finite numbers")
    return array


def _take(state: Mapping[str, np.ndarray], key: str, shape: Tuple[int, ...], missing: str = "") -> np.ndarray:
    """``state[key]``, which must be there and of ``shape``."""
    if key not in state:
        raise ConvertError(f"{key} is missing{missing}")
    if state[key].shape != shape:
        raise ConvertError(f"{key}: expected shape {shape}, found {state[key].shape}")
    return state[key]


def _state_dict(model: Any) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    """The state dict of ``model``, every value as a float64 array, and, when ``model``
    is a module, the nonlinearity of each of its nn.RNN submodules (a state_dict does
    not record it)."""
    if hasattr(model, "state_dict") and callable(model.state_dict):
        nonlinearities = {}
        if hasattr(model, "named_modules"):
            for name, module in model.named_modules():
                own = getattr(module, "parameters", None)
                if callable(own) and any(True for _ in own(recurse=False)) and \
                        type(module).__name__ not in ("RNN", "LSTM", "GRU", "Linear", "Embedding"):
                    raise ConvertError(f"{name or 'the model'} ({type(module).__name__}): no spec equivalent; "
                                       "only nn.Embedding, nn.RNN, nn.LSTM, nn.GRU and nn.Linear convert")
                if type(module).__name__ == "Embedding" and getattr(module, "max_norm", None) is not None:
                    raise ConvertError(f"{name or 'the embedding'}: max_norm rescales rows as they are read, "
                                       "which a spec's table does not")
                mode = getattr(module, "mode", None)
                if isinstance(mode, str) and mode.startswith("RNN_"):
                    nonlinearities[f"{name}." if name else ""] = mode[4:].lower()
        return _arrays(model.state_dict()), nonlinearities
    if not isinstance(model, Mapping):
        raise ConvertError(f"expected a state_dict (a mapping of names to tensors) or a module, "
                           f"found {type(model).__name__}")
    return _arrays(model), {}


def _module_facts(model: Any) -> Tuple[set, Optional[bool]]:
    """The prefixes of a module's nn.Embedding submodules, and whether its recurrent
    modules are batch_first (None: not a module, or none says)."""
    embeddings, batch_first = set(), None
    for name, module in (model.named_modules() if hasattr(model, "named_modules") else ()):
        if type(module).__name__ == "Embedding":
            embeddings.add(f"{name}." if name else "")
        if type(module).__name__ in ("RNN", "LSTM", "GRU"):
            batch_first = bool(getattr(module, "batch_first", False))
    return embeddings, batch_first


def _arrays(state: Mapping[Any, Any]) -> Dict[str, np.ndarray]:
    return {name: as_array(value, str(name)) for name, value in state.items()}


# --------------------------------------------------------------------------- one module

def _pick(option: Any, prefix: str, default: Any) -> Any:
    """An option given once for all modules, or per module as {prefix: value}."""
    if isinstance(option, Mapping):
        key = prefix.rstrip(".")
        return option.get(key, option.get(prefix, default))
    return default if option is None else option


def _kind_of(state: Mapping[str, Any], prefix: str, kind: Optional[str]) -> str:
    w_hh = state[f"{prefix}weight_hh_l0"]
    if f"{prefix}weight_hr_l0" in state:   # proj_size: only an LSTM projects (weight_hh is 4H × P)
        if kind is not None and KINDS.get(str(kind).lower()) not in (None, "lstm"):
            raise ConvertError(f"{prefix}weight_hr_l0: a projection (proj_size) is an LSTM's, not {kind}")
        return "lstm"
    if w_hh.ndim != 2 or w_hh.shape[1] == 0 or w_hh.shape[0] % w_hh.shape[1]:
        raise ConvertError(f"{prefix}weight_hh_l0: expected (gates·hidden) × hidden, found shape {w_hh.shape}")
    found = {1: "elman", 3: "gru", 4: "lstm"}.get(w_hh.shape[0] // w_hh.shape[1])
    if kind is not None:
        given = KINDS.get(str(kind).lower())
        if given is None:
            hint = close_name(str(kind).lower(), KINDS)
            raise ConvertError(f"unknown module kind {kind!r}; expected rnn, lstm or gru"
                               + (f" (did you mean {hint!r}?)" if hint else ""))
        if found is not None and found != given:
            raise ConvertError(f"{prefix}weight_hh_l0 has shape {w_hh.shape}, which is a "
                               f"{found} layer, not {kind}")
        return given
    if found is None:
        raise ConvertError(f"{prefix}weight_hh_l0 has shape {w_hh.shape}: {w_hh.shape[0] // w_hh.shape[1]} "
                           "blocks of rows is none of RNN (1), GRU (3), LSTM (4)")
    return found


def _initial_states(initial: Any, kind: str, count: int, hidden: int, prefix: str,
                    cells: Optional[int] = None) -> List[Any]:
    """PyTorch's h_0 (and c_0) of shape (layers·directions, hidden), or with a batch of
    one in the middle, split into the starting memory of each spec recurrent layer."""
    if initial is None:
        return [None] * count

    def stack(value, what, hidden=hidden):
        array = as_array(value, f"{prefix}initial {what}")
        if array.ndim == 3 and array.shape[1] == 1:
            array = array[:, 0, :]
        if array.ndim == 1 and count == 1:
            array = array[None, :]
        if array.shape != (count, hidden):
            raise ConvertError(f"{prefix}initial {what}: expected shape ({count}, {hidden}) "
                               f"(layers·directions, hidden), found {array.shape}")
        return array

    if kind == "lstm":
        if not (isinstance(initial, (tuple, list)) and len(initial) == 2):
            raise ConvertError(f"{prefix}initial: an LSTM starts from (h_0, c_0), as PyTorch takes them")
        h0, c0 = stack(initial[0], "h_0"), stack(initial[1], "c_0", cells or hidden)
        return [{"c": c0[k].tolist(), "h": h0[k].tolist()} for k in range(count)]
    return stack(initial, "h_0").tolist()


def recurrent_layers(state_dict: Any, kind: Optional[str] = None, *, prefix: str = "",
                     nonlinearity: str = "tanh", initial: Any = None) -> List[Dict[str, Any]]:
    """The spec layers (unnamed) of one nn.RNN / nn.LSTM / nn.GRU whose parameters are
    ``{prefix}weight_ih_l0`` etc.: one layer per ``num_layers``, each ``bidirectional``
    (merge: concat) when the module is. ``kind`` (rnn, lstm, gru) is found from the
    shapes when left out; ``nonlinearity`` is nn.RNN's (tanh or relu); ``initial`` is
    the h_0 (or the pair h_0, c_0 for an LSTM) one would pass to the module."""
    state, _ = _state_dict(state_dict)
    if f"{prefix}weight_ih_l0" not in state:
        raise ConvertError(f"no {prefix}weight_ih_l0: not an nn.RNN, nn.LSTM or nn.GRU"
                           + (f" at prefix {prefix!r}" if prefix else ""))
    if f"{prefix}weight_hh_l0" not in state:
        raise ConvertError(f"no {prefix}weight_hh_l0 beside {prefix}weight_ih_l0: an nn.RNN, nn.LSTM or "
                           "nn.GRU saves its recurrent weights too")
    kind = _kind_of(state, prefix, kind)
    if nonlinearity not in NONLINEARITIES:
        raise ConvertError(f"unknown nonlinearity {nonlinearity!r}; nn.RNN has tanh or relu")
    gates = TORCH_GATES[kind]
    # H units; the outputs h (what weight_hh reads) are H, or P with proj_size: h = W_hr·(o∘tanh(c))
    hidden = state[f"{prefix}weight_ih_l0"].shape[0] // len(gates)
    outputs = state[f"{prefix}weight_hh_l0"].shape[1]
    layers_n = 0
    while f"{prefix}weight_ih_l{layers_n}" in state:
        layers_n += 1
    directions = 2 if f"{prefix}weight_ih_l0_reverse" in state else 1
    starts = _initial_states(initial, kind, layers_n * directions, outputs, prefix, hidden)

    def direction(layer: int, suffix: str, size_in: int, start) -> Dict[str, Any]:
        key = lambda name: f"{prefix}{name}_l{layer}{suffix}"  # noqa: E731
        rows = len(gates) * hidden
        w_ih = _take(state, key("weight_ih"), (rows, size_in))
        w_hh = _take(state, key("weight_hh"), (rows, outputs))
        has_bias = key("bias_ih") in state or key("bias_hh") in state
        if has_bias:
            b_ih, b_hh = (_take(state, key(name), (rows,), " (the other bias is there)")
                          for name in ("bias_ih", "bias_hh"))

        out: Dict[str, Any] = {"type": kind, "size": int(hidden)}
        if kind == "elman":
            out["activation"] = nonlinearity
            out["W"], out["U"] = w_ih.tolist(), w_hh.tolist()
            if has_bias:
                out["b"] = (b_ih + b_hh).tolist()
        else:
            for k, block in enumerate(gates):
                part = slice(k * hidden, (k + 1) * hidden)
                entry: Dict[str, Any] = {"W": w_ih[part].tolist(), "U": w_hh[part].tolist()}
                if has_bias:
                    if block == "candidate":       # r multiplies U_n·h + b_hn: keep b_hn apart
                        entry["b"] = b_ih[part].tolist()
                        entry["b_h"] = b_hh[part].tolist()
                    else:
                        entry["b"] = (b_ih[part] + b_hh[part]).tolist()
                out[block] = entry
            for block in SPEC_ORDER[kind]:      # the spec's (and the lecture's) order
                out[block] = out.pop(block)
        if key("weight_hr") in state:   # proj_size: W_hr (P × H), the spec's projection
            out["projection"] = _take(state, key("weight_hr"), (outputs, hidden)).tolist()
        if start is not None:
            out["initial"] = start
        return out

    size_in = state[f"{prefix}weight_ih_l0"].shape[-1]
    result: List[Dict[str, Any]] = []
    for layer in range(layers_n):
        if directions == 1:
            result.append(direction(layer, "", size_in, starts[layer]))
        else:
            result.append({"type": "bidirectional", "merge": "concat",
                           "forward": direction(layer, "", size_in, starts[2 * layer]),
                           "backward": direction(layer, "_reverse", size_in, starts[2 * layer + 1])})
        size_in = outputs * directions
    known = {f"{prefix}{p}_l{k}{s}" for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")
             for k in range(layers_n) for s in ("", "_reverse")}
    for name in state:
        m = _RECURRENT_KEY.match(name)
        if m and m.group("prefix") == prefix and name not in known:
            raise ConvertError(f"{name}: does not fit a {layers_n}-layer "
                               f"{'bidirectional ' if directions == 2 else ''}module")
    return result


def linear_layer(state_dict: Any, *, prefix: str = "", activation: str = "linear",
                 labels: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """The dense spec layer (unnamed) of one nn.Linear: ``{prefix}weight`` (out × in)
    and ``{prefix}bias``; ``activation`` is what follows it (linear, sigmoid, tanh,
    relu, softmax) and ``labels`` optionally names its units."""
    state, _ = _state_dict(state_dict)
    if f"{prefix}weight" not in state:
        raise ConvertError(f"no {prefix}weight: not an nn.Linear")
    weight = state[f"{prefix}weight"]
    if weight.ndim != 2:
        raise ConvertError(f"{prefix}weight: expected out × in, found shape {weight.shape}")
    if activation not in DENSE_ACTIVATIONS:
        raise ConvertError(f"unknown activation {activation!r}; expected one of {', '.join(DENSE_ACTIVATIONS)}"
                           + (f" (did you mean {close_name(activation, DENSE_ACTIVATIONS)!r}?)"
                              if close_name(activation, DENSE_ACTIVATIONS) else ""))
    out: Dict[str, Any] = {"type": "dense", "size": int(weight.shape[0]), "activation": activation,
                           "W": weight.tolist()}
    if f"{prefix}bias" in state:
        out["b"] = _take(state, f"{prefix}bias", (weight.shape[0],)).tolist()
    if labels is not None:
        labels = [str(x) for x in labels]
        if len(labels) != weight.shape[0]:
            raise ConvertError(f"{prefix or 'linear '}labels: expected {weight.shape[0]}, found {len(labels)}")
        out["labels"] = labels
    return out


# --------------------------------------------------------------------------- a whole model

def modules_of(state_dict: Mapping[str, Any]) -> "OrderedDict[str, str]":
    """The modules in a state dict, in its order: prefix (``"rnn."``, ``""`` for a bare
    module) → ``"recurrent"`` or ``"linear"``, told apart by the parameter names. Keys
    of anything else are an error; a bare state dict cannot tell an nn.Embedding's
    ``weight`` from an nn.Linear's (a module passed whole can, and is refused)."""
    modules: "OrderedDict[str, str]" = OrderedDict()
    for name in state_dict:
        if not isinstance(name, str):
            raise ConvertError(f"expected parameter names as text, found {name!r}")
        m = _RECURRENT_KEY.match(name)
        if m:
            kind, prefix = "recurrent", m.group("prefix")
        else:
            m = _LINEAR_KEY.match(name)
            if not m:
                raise ConvertError(f"{name}: not a parameter of nn.RNN, nn.LSTM, nn.GRU or nn.Linear")
            kind, prefix = "linear", m.group("prefix")
        if modules.setdefault(prefix, kind) != kind:
            raise ConvertError(f"{name}: {prefix or 'the model'} mixes recurrent and linear parameters")
    if not modules:
        raise ConvertError("the state_dict is empty")
    return modules


def default_names(layers: Sequence[Mapping[str, Any]]) -> List[str]:
    """The default of docs/spec.md: the layer's type, numbered (from 1) if the type repeats."""
    types = [layer["type"] for layer in layers]
    counters: Dict[str, int] = {}
    names = []
    for kind in types:
        counters[kind] = counters.get(kind, 0) + 1
        names.append(f"{kind}{counters[kind]}" if types.count(kind) > 1 else kind)
    return names


def spec_from_state_dict(model: Any, *, source: str = "<state_dict>", **options: Any):
    """The :class:`rnntrace.spec.Spec` of a PyTorch ``state_dict`` (or module), ready
    for ``rnntrace.run``: :func:`spec_data_from_state_dict`'s data, validated as a spec
    read from ``source`` (the name its errors give). The options are that function's."""
    from .spec import spec_from_dict
    return spec_from_dict(spec_data_from_state_dict(model, **options), source=source)


def unrecorded_nonlinearity(spec) -> List[str]:
    """The names of the layers of an imported spec whose nonlinearity the state_dict does
    not record: those made from an nn.RNN (tanh or ReLU, imported as Elman layers, alone
    or as a bidirectional layer's directions), for import-torch's note."""
    from .layers import composite
    rnn = KINDS["rnn"]
    return [layer.name for layer in spec.layers
            if (any(getattr(layer, side).type == rnn for side, *_ in layer.home.DIRECTIONS)
                if composite(layer) else layer.type == rnn)]


def spec_data_from_state_dict(model: Any, *, inputs: Any = None, title: Optional[str] = None,
                              names: Optional[Sequence[str]] = None, kind: Any = None,
                              nonlinearity: Any = None, activation: Any = None,
                              labels: Optional[Sequence[str]] = None, initial: Any = None,
                              embedding: Any = None, lexicon: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """A spec as plain data (the v1 format) for the modules of a PyTorch ``state_dict``
    (or of a module, whose nn.RNN nonlinearities are then read off it), stacked in the
    order of the state dict.

    - ``inputs``: the sequence, T × input size (a 1-D sequence for input size 1). Left
      out, one step of zeros stands in, so that the spec runs; put the real inputs in.
    - ``names``: one name per spec layer; left out, the type, numbered if repeated.
    - ``kind``, ``nonlinearity`` (nn.RNN: tanh or relu), ``initial`` (h_0, or
      (h_0, c_0)): for the recurrent module, or per module as ``{prefix: value}``.
    - ``activation`` (default linear) and ``labels``: for the last nn.Linear, or as
      ``{prefix: value}``; an nn.Linear not named there stays linear.
    - ``embedding``: the prefix of an nn.Embedding (its ``weight``, V × D, is the table E
      of an embedding layer; the inputs are then ids, or words with ``lexicon``, the
      word of each row). A module passed whole says which of its modules are
      embeddings; in a bare state dict a first bias-less ``weight`` whose columns, not
      its rows, fit the next module's input is one.
    """
    state, found_nonlinearities = _state_dict(model)
    modules = modules_of(state)
    embeddings, batch_first = _module_facts(model)
    if embedding is not None:
        embeddings |= {p for p in modules if p.rstrip(".") in
                       ({str(e).rstrip(".") for e in embedding} if isinstance(embedding, (list, tuple, set))
                        else {str(embedding).rstrip(".")})}
    elif not embeddings:
        embeddings = _embedding_by_shape(state, modules)
    for prefix in embeddings:
        if modules.get(prefix) != "linear" or f"{prefix}bias" in state:
            raise ConvertError(f"{prefix.rstrip('.') or 'the model'}: an nn.Embedding has one 'weight' (V × D) and no bias")
        if prefix != next(iter(modules)):
            raise ConvertError(f"{prefix.rstrip('.')}: an embedding reads the model's input ids, so it comes first")
    prefixes = {p.rstrip(".") for p in modules} | set(modules)
    for option, value in (("kind", kind), ("nonlinearity", nonlinearity), ("initial", initial),
                          ("activation", activation), ("labels", labels)):
        for key in value if isinstance(value, Mapping) else ():
            if key not in prefixes and set(modules) == {""}:
                raise ConvertError(f"{option}: a mapping gives a value per module, but the state_dict "
                                   f"holds one bare module: give the value itself"
                                   + (" (for an LSTM, the pair (h_0, c_0))" if option == "initial" else ""))
            if key not in prefixes:
                hint = close_name(str(key), sorted(p for p in prefixes if p))
                raise ConvertError(f"{option}: {key!r} is not a module of this state_dict; expected one of "
                                   f"{', '.join(repr(p.rstrip('.')) for p in modules)}"
                                   + (f" (did you mean {hint!r}?)" if hint else ""))
    last_linear = [p for p, k in modules.items() if k == "linear" and p not in embeddings][-1:]
    layers: List[Dict[str, Any]] = []
    size_in: Optional[int] = None
    recurrent_count = sum(1 for k in modules.values() if k == "recurrent")
    for prefix, what in modules.items():
        if what == "recurrent":
            start = _pick(initial, prefix, None)
            if initial is not None and not isinstance(initial, Mapping) and recurrent_count > 1:
                raise ConvertError("the model has several recurrent modules: give initial as {prefix: value}")
            new = recurrent_layers(state, _pick(kind, prefix, None), prefix=prefix,
                                   nonlinearity=_pick(nonlinearity, prefix,
                                                      found_nonlinearities.get(prefix, "tanh")),
                                   initial=start)
            first_in = state[f"{prefix}weight_ih_l0"].shape[1]
        elif prefix in embeddings:   # ids (or words) → a row of E: the input is 1 id a step, or 1-of-N
            table = state[f"{prefix}weight"]
            new = [{"type": "embedding", "size": int(table.shape[1]), "E": table.tolist()}]
            if lexicon is not None and len(lexicon) != table.shape[0]:
                raise ConvertError(f"lexicon: {len(lexicon)} words for the {table.shape[0]} rows of "
                                   f"{prefix}weight")
            first_in = 1 if lexicon is None else table.shape[0]
        else:
            is_last = prefix in last_linear
            new = [linear_layer(state, prefix=prefix,
                                activation=_for_linear(activation, prefix, is_last) or "linear",
                                labels=_for_linear(labels, prefix, is_last))]
            first_in = state[f"{prefix}weight"].shape[1]
        if prefix in embeddings:
            size_in = int(state[f"{prefix}weight"].shape[1])
            input_size = first_in
            layers.extend(new)
            continue
        if size_in is not None and first_in != size_in:
            raise ConvertError(f"{prefix or 'the module'} reads {first_in} inputs, but the module "
                               f"before it gives {size_in}: the modules do not chain in this order")
        if size_in is None:
            input_size = first_in
        layers.extend(new)
        last = new[-1]
        if last["type"] == "bidirectional":
            size_in = _outputs(last["forward"]) + _outputs(last["backward"])
        else:
            size_in = _outputs(last)

    if names is None:
        names = default_names(layers)
    names = list(names)
    if len(names) != len(layers):
        raise ConvertError(f"expected {len(layers)} names, one per layer, found {len(names)}")
    named = [dict([("name", str(n))] + list(layer.items())) for n, layer in zip(names, layers)]

    spec: Dict[str, Any] = {}
    if title is not None:
        spec["title"] = str(title)
    if embeddings and lexicon is not None:
        words = [str(w) for w in lexicon]
        spec["lexicon"] = words
        given = [0] if inputs is None else (inputs.split() if isinstance(inputs, str) else list(inputs))
        spec["inputs"] = [w if isinstance(w, str) else words[int(as_array(w, "inputs").reshape(-1)[0])]
                          for w in given]
    elif embeddings:
        ids = _inputs(inputs, 1, batch_first, ids=True)
        table = layers[0]["E"]
        for t, (k,) in enumerate(ids):
            if k != int(k) or not 0 <= k < len(table):
                raise ConvertError(f"inputs: step {t + 1} is {k:g}, not an id of the table's rows 0 … {len(table) - 1}")
        spec["inputs"] = [int(k) for k, in ids]
    else:
        spec["inputs"] = _inputs(inputs, input_size, batch_first)
    spec["layers"] = named
    return spec


def _embedding_by_shape(state: Mapping[str, np.ndarray], modules: Mapping[str, str]) -> set:
    """A bare state dict's first module as an nn.Embedding: a bias-less ``weight`` (V × D)
    whose D columns, and not its V rows, are what the next module reads."""
    order = list(modules)
    if len(order) < 2 or modules[order[0]] != "linear" or f"{order[0]}bias" in state:
        return set()
    weight, nxt = state[f"{order[0]}weight"], order[1]
    reads = state[f"{nxt}weight_ih_l0"].shape[1] if modules[nxt] == "recurrent" else state[f"{nxt}weight"].shape[1]
    return {order[0]} if weight.ndim == 2 and weight.shape[1] == reads != weight.shape[0] else set()


def _outputs(layer: Mapping[str, Any]) -> int:
    """How many numbers a spec layer (as data) hands on: its units, or its projection's rows."""
    return len(layer["projection"]) if "projection" in layer else layer["size"]


def _for_linear(option: Any, prefix: str, is_last: bool) -> Any:
    """A dense option: given per module as {prefix: value}, or else for the last one."""
    if isinstance(option, Mapping):
        return _pick(option, prefix, None)
    return option if is_last else None


def _inputs(inputs: Any, size: int, batch_first: Optional[bool] = None, ids: bool = False) -> List[List[float]]:
    """T steps of ``size`` numbers (``ids``: T ids); a batch of one sequence, (T, 1, size)
    or with batch_first (1, T, size), is that sequence."""
    if inputs is None:
        return [[0.0] * size]
    array = as_array(inputs, "inputs")
    if ids and array.ndim == 2:
        array = array[..., None]             # ids as (T, 1) or (1, T)
    if array.ndim == 3:
        axis = 0 if batch_first or (batch_first is None and array.shape[0] == 1) else 1
        if array.shape[axis] != 1:
            raise ConvertError(f"inputs: a batch of {array.shape[axis]} sequences (shape {array.shape}"
                               f"{', batch_first' if axis == 0 else ''}); a spec runs one: give one sequence")
        array = array[0] if axis == 0 else array[:, 0]
    if array.ndim == 1 and size == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] != size or array.shape[0] == 0:
        raise ConvertError(f"inputs: expected steps × {size} (the model's input size), found shape {array.shape}")
    return array.tolist()


# --------------------------------------------------------------------------- writing

#: Stands for a row of numbers while PyYAML writes the rest (see spec_to_yaml).
ROW_MARK = "RNNTRACEROW"
#: A float's repr with an exponent but no point (1e+17), which YAML 1.1 reads as text.
_EXPONENT = re.compile(r"(?<![.\d])(-?\d+)e")


class _Row(str):
    """The mark of one row of numbers, written by spec_to_yaml itself."""


def spec_to_yaml(spec: Any, comment: Optional[str] = None) -> str:
    """The spec (a :class:`~rnntrace.spec.Spec` made from data, or the data itself) as
    YAML text that reads back to the same float64 numbers.

    PyYAML writes a float with ``repr``, the shortest text that reads back to the same
    double; weights go one matrix row per line. ``comment`` opens the file as ``#`` lines.
    """
    import yaml
    document = getattr(spec, "document", None)
    if not isinstance(spec, Mapping):
        if document is None or not isinstance(document.data, Mapping):
            raise ConvertError("spec_to_yaml writes a spec made from data (spec_from_state_dict) or that data")
        spec = document.data

    rows: List[str] = []

    def number(value: Any) -> Any:
        if isinstance(value, (int, np.integer)):
            return int(value)
        value = float(value)
        if not math.isfinite(value):
            raise ConvertError("a spec holds only finite numbers")
        return value

    def row(values: Sequence[Any]) -> str:
        # A row of numbers as PyYAML writes it in flow style ([a, b]; a float by repr, with
        # ".0" before an exponent that has no point, as YAML 1.1's float needs), made here as
        # text: PyYAML's emitter takes ~0.2 ms a number, which is minutes for a large layer.
        if all(type(item) is float for item in values):
            if not np.isfinite(np.fromiter(values, dtype=np.float64, count=len(values))).all():
                raise ConvertError("a spec holds only finite numbers")
            text = _EXPONENT.sub(r"\1.0e", ", ".join(map(float.__repr__, values)))
        else:
            parts = []
            for item in values:
                item = number(item)
                if isinstance(item, int):
                    parts.append(str(item))
                else:
                    part = repr(item).lower()
                    parts.append(part.replace("e", ".0e", 1) if "." not in part and "e" in part else part)
            text = ", ".join(parts)
        rows.append("[" + text + "]")
        return _Row(f"{ROW_MARK}{len(rows) - 1}Z")

    def plain(value):
        if isinstance(value, Mapping):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, np.ndarray):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            if value and all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                             for v in value):
                return row(value)
            return [plain(v) for v in value]
        if isinstance(value, (bool, str)) or value is None:
            if isinstance(value, str) and ROW_MARK in value:
                raise ConvertError(f"cannot write the text {value[:40]!r} in a spec")
            return value
        if isinstance(value, (int, float, np.integer, np.floating)):
            return number(value)
        raise ConvertError(f"cannot write {type(value).__name__} in a spec")

    class Dumper(yaml.SafeDumper):
        pass

    # A row stands as a one-item flow sequence [mark], so that PyYAML lays out what holds it
    # as it would the row itself (a list of rows in block style, one row a line).
    Dumper.add_representer(_Row, lambda dumper, mark: yaml.SequenceNode(
        "tag:yaml.org,2002:seq", [yaml.ScalarNode("tag:yaml.org,2002:str", str(mark))], flow_style=True))
    text = yaml.dump(plain(spec), Dumper=Dumper, sort_keys=False, default_flow_style=None,
                     allow_unicode=True, width=1 << 16)
    if rows:
        text = re.sub(r"\[" + ROW_MARK + r"(\d+)Z\]", lambda m: rows[int(m.group(1))], text)
    if comment:
        head = "".join(f"# {line}".rstrip() + "\n" for line in comment.splitlines())
        text = head + text
    return text


# --------------------------------------------------------------------------- reading .pt files

def load_torch_weights(path: str) -> Mapping[str, Any]:
    """The state dict saved in a PyTorch file (``torch.save(model.state_dict(), path)``,
    or a checkpoint holding it under ``state_dict`` / ``model_state_dict`` / ``model``),
    as float64 arrays: :func:`load_torch_file` without its notes."""
    return load_torch_file(path)[0]


def load_torch_file(path: str) -> Tuple[Mapping[str, Any], List[str]]:
    """The state dict of a PyTorch file and the precisions below float32 it was stored in.

    The zip archive torch.save writes is read without PyTorch (rnntrace.torch_file: a
    restricted unpickler that builds only containers and tensors' storages as numpy
    arrays, and refuses any other name, and meta, quantised, sparse and complex
    tensors). A file of PyTorch before 1.6 (a bare pickle) needs PyTorch, and is read
    with ``torch.load(weights_only=True)``, its restricted loader.
    """
    magic = read_magic(path, 4, "a PyTorch file")
    # torch.save writes a zip archive; files of PyTorch before 1.6 begin with a pickle's protocol byte.
    if not (magic.startswith(b"PK\x03\x04") or magic[:1] == b"\x80"):
        raise ConvertError(f"{path}: not a PyTorch file (torch.save writes a zip archive)")
    _check_unpacked_size(path, magic)
    if magic.startswith(b"PK"):
        from .torch_file import read_state_dict
        return read_state_dict(path, path)
    return _load_with_torch(path), []


def _load_with_torch(path: str) -> Mapping[str, Any]:
    """A file of PyTorch before 1.6, read by torch.load(weights_only=True)."""
    try:
        import torch
    except ImportError:
        raise ConvertError(f"{path}: a file of PyTorch before 1.6 (a bare pickle), which needs PyTorch "
                           "(pip install torch); torch.save writes a zip archive, read without it") from None
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:   # torch raises UnpicklingError, RuntimeError, ValueError, … here
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "weights only load failed" in first.lower() or "weights_only" in first:
            raise ConvertError(f"{path}: holds more than tensors (a whole pickled model?), which is "
                               "not loaded because that could run code; save model.state_dict() "
                               "instead") from None
        raise ConvertError(f"{path}: cannot be read as PyTorch weights ({first[:200]})") from None

    def is_state(value) -> bool:
        return isinstance(value, Mapping) and bool(value) and \
            all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in value.items())

    def bounded(state):
        # A tensor can be a view far larger than what the file stores (an expanded one
        # has stride 0); its numbers are counted before any is copied out.
        total = sum(int(t.numel()) for t in state.values())
        if total > MAX_WEIGHTS:
            raise ConvertError(f"{path}: {total:,} numbers; a spec holds at most {MAX_WEIGHTS:,} weights")
        return state

    if is_state(loaded):
        return bounded(loaded)
    if isinstance(loaded, Mapping):
        for key in ("state_dict", "model_state_dict", "model"):
            if is_state(loaded.get(key)):
                return bounded(loaded[key])
    raise ConvertError(f"{path}: expected a state_dict (names → tensors), or a checkpoint with one under "
                       f"'state_dict', 'model_state_dict' or 'model'; found {type(loaded).__name__}")


#: Most bytes a PyTorch file may unpack to: the weights a spec may hold (MAX_WEIGHTS
#: float64 numbers) and room for the archive's own records. A zip archive can compress
#: a few MB into gigabytes; its directory says how much each entry unpacks to, and that
#: is checked before anything is unpacked.
MAX_UNPACKED_BYTES = 8 * MAX_WEIGHTS + (16 << 20)


def _check_unpacked_size(path: str, magic: bytes) -> None:
    import os
    import zipfile
    if not magic.startswith(b"PK"):   # an old pickle file: stored as it is, its size is what it holds
        size = os.path.getsize(path)
        if size > MAX_UNPACKED_BYTES:
            raise ConvertError(f"{path}: {size:,} bytes; a PyTorch file is read up to {MAX_UNPACKED_BYTES:,} "
                               f"bytes (a spec holds at most {MAX_WEIGHTS:,} weights)")
        return
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ConvertError(f"{path}: cannot be read as PyTorch weights (a damaged zip archive: "
                           f"{str(exc)[:100]})") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ConvertError(f"{path}: unpacks to {unpacked:,} bytes; a PyTorch file is read up to "
                           f"{MAX_UNPACKED_BYTES:,} bytes (a spec holds at most {MAX_WEIGHTS:,} weights)")
