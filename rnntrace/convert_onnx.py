"""An ONNX model as a spec: the ``LSTM``, ``GRU`` and ``RNN`` operators with every
attribute, and the plumbing ``torch.onnx.export`` and ``tf2onnx`` put around them
(docs/import.md).

ONNX stacks the gates of a layer by rows, per direction d (H = hidden_size):

    LSTM  W[d]: [W_i; W_o; W_f; W_c]  (4H × in)   R[d] the same on h   B[d]: [Wb_i … Wb_c, Rb_i … Rb_c]
          P[d]: [P_i; P_o; P_f]        the output gate's peephole reads the new cell c_t
    GRU   W[d]: [W_z; W_r; W_h]        (3H × in)   z is the update gate, h the candidate
    RNN   W[d]: W                      (H × in)

Both biases of a block add to the same z and become the spec's ``b``, except the GRU
candidate's recurrent bias when ``linear_before_reset=1``: h̃ = g(W_h·x + Wb_h +
r∘(R_h·h + Rb_h)), PyTorch's form (the spec's ``reset_after: true``, Rb_h its ``b_h``).
The default ``linear_before_reset=0`` is h̃ = g(W_h·x + R_h·(r∘h) + Wb_h + Rb_h), the
spec's ``reset_after: false``. The activations are f (the gates), g (the cell input or
candidate) and h (the LSTM's cell output), per direction.

The graph is walked once, in its (topological) order. A tensor is either a constant
(an initializer, a ``Constant``, or computed from them: shapes and the like, folded
here with numpy) or the *sequence*: the input and what the layers make of it, whose
axes are tracked by name — T (time), B (the batch, one sequence here), D (an RNN's
directions), F (features) and 1 (a unit axis). Reshapes, transposes, squeezes and
slices of the sequence are allowed when they keep its meaning; anything else is
refused naming the node, its op type and why.

Nothing is run here and onnxruntime is never used: the weights are read from the file
(``onnx.load``, without external data) and the spec computes the rest.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .convert import ConvertError, as_array, default_names
from .fields import MAX_WEIGHTS

#: Most bytes an .onnx file may have: its weights as float64 (a spec holds at most
#: MAX_WEIGHTS) and room for the graph. Checked before the file is read.
MAX_ONNX_BYTES = 8 * MAX_WEIGHTS + (16 << 20)

#: ONNX's row blocks, in the order they are stacked, and the spec block each becomes.
ONNX_GATES = {"LSTM": ("input_gate", "output_gate", "forget_gate", "cell_input"),    # i, o, f, c
              "GRU": ("update_gate", "reset_gate", "candidate"),                     # z, r, h
              "RNN": ("W",)}
SPEC_TYPE = {"LSTM": "lstm", "GRU": "gru", "RNN": "elman"}
LETTERS = {"LSTM": "i, o, f, c", "GRU": "z, r, h", "RNN": ""}
DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}
#: Ops that only pass the sequence on.
PASS = ("Identity", "Dropout")


class OnnxError(ConvertError):
    """A model that cannot be turned into a spec: the node, its op type and why."""


def refuse(node, reason: str) -> OnnxError:
    name = node.name or (node.output[0] if node.output else "?")
    return OnnxError(f"node '{name}' ({node.op_type}): {reason}")


# --------------------------------------------------------------------------- reading the file

def load_onnx(path: str):
    """The ModelProto of an .onnx file, read only when it is within MAX_ONNX_BYTES and
    refused when its weights live in external files (never opened)."""
    try:
        import onnx
    except ImportError:
        raise ConvertError("reading ONNX models needs the onnx package (pip install 'rnntrace[onnx]'), "
                           "which is not installed") from None
    from .convert import read_magic
    read_magic(path, 1, "an ONNX model")   # a missing file, a folder: one clear message
    size = os.path.getsize(path)
    if size > MAX_ONNX_BYTES:
        raise ConvertError(f"{path}: {size:,} bytes; an ONNX model is read up to {MAX_ONNX_BYTES:,} bytes "
                           f"(a spec holds at most {MAX_WEIGHTS:,} weights)")
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as exc:   # protobuf's DecodeError and friends
        raise ConvertError(f"{path}: not an ONNX model ({str(exc).strip()[:120] or type(exc).__name__})") from None
    if not model.graph.node and not model.graph.input:
        raise ConvertError(f"{path}: not an ONNX model (no graph)")
    return model


def _external(tensor) -> bool:
    from onnx import TensorProto
    return tensor.data_location == TensorProto.EXTERNAL or bool(tensor.external_data)


def check_model(model) -> None:
    """External data and oversized weights refused before any weight is converted."""
    graph = model.graph
    tensors = list(graph.initializer)
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                tensors.append(attr.t)
            if attr.g.node or attr.graphs:
                raise refuse(node, "holds a subgraph (control flow), which a spec cannot express")
    if len(graph.sparse_initializer):
        raise OnnxError(f"initializer '{graph.sparse_initializer[0].values.name}': sparse tensors are not read")
    for tensor in tensors:
        if _external(tensor):
            raise OnnxError(f"tensor '{tensor.name}' is stored in an external data file; rnntrace reads "
                            "the weights of one self-contained .onnx file only (onnx.save with "
                            "save_as_external_data=False)")
    total = sum(int(np.prod(t.dims, dtype=np.int64)) for t in tensors)
    if total > MAX_WEIGHTS:
        raise OnnxError(f"the model holds {total:,} numbers; a spec holds at most {MAX_WEIGHTS:,} weights")


# --------------------------------------------------------------------------- the sequence's axes

@dataclass
class Seq:
    """The sequence as it flows through the graph: its axes (label, size), the spec
    layer that made it and which of its quantities, and how it is read.

    ``final``: an RNN's final state (Y_h, Y_c): per direction, the state after the
    last step it read. ``last``: only the last step's value (the sequence sliced to
    t = T). ``fresh``: the raw W·x + b of the dense layer just made, which a following
    Add or activation may complete."""

    axes: List[Tuple[str, int]]
    layer: int = -1
    path: str = "output"
    final: bool = False
    last: bool = False
    fresh: bool = False

    @property
    def shape(self) -> Tuple[int, ...]:
        return tuple(size for _, size in self.axes)

    def labels(self) -> List[str]:
        return [label for label, _ in self.axes]

    def essentials(self) -> List[Tuple[str, int]]:
        """The axes that carry meaning: time, features and two directions."""
        return [(l, s) for l, s in self.axes if l in ("T", "F") or (l == "D" and s > 1)]


def _axis(node, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise refuse(node, f"axis {axis} is outside a tensor of {rank} axes")
    return axis % rank


# --------------------------------------------------------------------------- the result

@dataclass
class Output:
    """A graph output and where its values are in the trace."""

    name: str
    seq: Seq


@dataclass
class Imported:
    """The spec (plain data), the notes for its comment, the graph outputs it computes
    and the number of steps the model's sequence has (padding past sequence_lens)."""

    spec: Dict[str, Any]
    notes: List[str]
    outputs: Dict[str, Output] = field(default_factory=dict)
    steps: int = 0
    total_steps: int = 0


# --------------------------------------------------------------------------- the walk

class _Walk:
    def __init__(self, model, inputs, feeds, batch, lexicon, labels):
        from onnx import numpy_helper
        self.to_array = numpy_helper.to_array
        self.model = model
        self.graph = model.graph
        self.values: Dict[str, Any] = {}
        self.layers: List[Dict[str, Any]] = []
        self.notes: List[str] = []
        self.batch = batch
        self.lexicon = lexicon
        self.labels = labels
        self.feeds = {k: np.asarray(v) for k, v in (feeds or {}).items()}
        self.steps: Optional[int] = None       # T after sequence_lens
        self.total_steps = 0
        for tensor in self.graph.initializer:
            self.values[tensor.name] = self.to_array(tensor)
        self.values[""] = None
        self._sequence_input(inputs)

    # ---------------------------------------------------------------- the input
    def _sequence_input(self, inputs) -> None:
        known = set(self.values) | set(self.feeds)
        free = [i for i in self.graph.input if i.name not in known]
        for i in self.graph.input:
            if i.name in self.feeds and i.name not in self.values:
                self.values[i.name] = self.feeds[i.name]
        if len(free) != 1:
            names = ", ".join(i.name for i in free) or "none"
            raise OnnxError(f"expected one graph input without a value (the sequence), found {names}"
                            + ("; the others need values (initializers)" if free else ""))
        graph_input = free[0]
        self.input_name = graph_input.name
        tensor = graph_input.type.tensor_type
        from onnx import TensorProto
        self.ids = tensor.elem_type in (TensorProto.INT64, TensorProto.INT32)
        rank = len(tensor.shape.dim)
        labels = self._input_labels(graph_input.name, rank)
        self.input_labels = labels
        if inputs is None:
            steps = np.zeros((1,) if self.ids else (1, self._feature_size(tensor, labels)))
        else:
            steps = self._steps(inputs, labels, rank)
        if self.ids:
            if self.lexicon is None and not np.all(steps == np.floor(steps)):
                raise OnnxError(f"input '{graph_input.name}': expected whole-number ids")
            self.sequence = steps
        else:
            self.sequence = np.asarray(as_array(steps, "inputs"), dtype=np.float64)
        T = len(self.sequence)
        self.total_steps = T
        sizes = {"T": T, "B": 1, "F": 0 if self.ids else self.sequence.shape[1]}
        self.values[graph_input.name] = Seq([(l, sizes[l]) for l in labels])

    def _feature_size(self, tensor, labels) -> int:
        dim = tensor.shape.dim[labels.index("F")]
        if not dim.dim_value:
            raise OnnxError("the input's feature size is not fixed in the model: give --inputs")
        return dim.dim_value

    def _steps(self, inputs, labels, rank):
        """The steps of the sequence from ``inputs``: T × features (T ids), or the graph
        input's whole tensor, of which batch entry ``self.batch`` is taken."""
        if isinstance(inputs, (list, tuple)) and inputs and all(isinstance(w, str) for w in inputs):
            if self.lexicon is None:
                raise OnnxError("words as inputs need a lexicon (--lexicon FILE)")
            return np.asarray(inputs, dtype=object)
        array = np.asarray(inputs, dtype=np.float64)
        if array.ndim == rank and "B" in labels:
            array = np.take(array, self.batch, axis=labels.index("B"))
            labels = [l for l in labels if l != "B"]
        elif array.ndim == rank - 1 and "B" in labels:
            labels = [l for l in labels if l != "B"]
        elif array.ndim == 1 and not self.ids and labels.count("F") == 1:
            array = array[:, None]
            labels = [l for l in labels if l != "B"]
        if array.ndim != len(labels):
            raise OnnxError(f"inputs: expected {'T ids' if self.ids else 'T steps of features'}, found shape "
                            f"{array.shape}")
        order = [labels.index("T")] + ([labels.index("F")] if "F" in labels else [])
        return np.transpose(array, order)

    def _input_labels(self, name: str, rank: int) -> List[str]:
        """The input's axes, found from the layout of the first RNN it reaches (through
        Gather, Transpose, Cast, Identity); without one, (T, B, F) or (T, F)."""
        wanted = None
        perm_chain: List[Sequence[int]] = []
        current = name
        gathered = False
        for node in self.graph.node:
            if current not in node.input:
                continue
            if node.op_type == "Gather" and node.input[1] == current:
                gathered, current = True, node.output[0]
            elif node.op_type == "Transpose":
                perm_chain.append(list(_attrs(node).get("perm", [])))
                current = node.output[0]
            elif node.op_type in ("Cast",) + PASS:
                current = node.output[0]
            elif node.op_type in ONNX_GATES and node.input[0] == current:
                wanted = ["B", "T", "F"] if _attrs(node).get("layout", 0) else ["T", "B", "F"]
                break
            else:
                break
        data_rank = rank + (1 if gathered else 0)
        if wanted is None:
            wanted = {1: ["T"], 2: ["T", "F"], 3: ["T", "B", "F"]}.get(data_rank)
            if wanted is None:
                raise OnnxError(f"input '{name}': {rank} axes; expected (time, batch, features)")
        else:
            for perm in reversed(perm_chain):   # undo the transposes between the input and the RNN
                if sorted(perm) != list(range(len(wanted))):
                    raise OnnxError(f"input '{name}': a Transpose on its way to the RNN has perm {perm}")
                before = [None] * len(wanted)
                for out_axis, in_axis in enumerate(perm):
                    before[in_axis] = wanted[out_axis]
                wanted = before
        if gathered:
            if wanted[-1] != "F":
                raise OnnxError(f"input '{name}': the embedding's rows must be the last axis")
            wanted = wanted[:-1]
        if len(wanted) != rank:
            raise OnnxError(f"input '{name}': {rank} axes where the model reads {len(wanted)}")
        return wanted

    # ---------------------------------------------------------------- values
    def const(self, node, index: int, what: str, optional: bool = False):
        name = node.input[index] if index < len(node.input) else ""
        if name == "":
            if optional:
                return None
            raise refuse(node, f"needs {what}")
        if name not in self.values:
            raise refuse(node, f"input '{name}' ({what}) has no value")
        value = self.values[name]
        if isinstance(value, Seq):
            raise refuse(node, f"{what} depends on the input sequence; it must be a fixed tensor")
        return value

    def seq(self, node, index: int = 0) -> Seq:
        value = self.values.get(node.input[index])
        if not isinstance(value, Seq):
            raise refuse(node, "expected the sequence as its input")
        return value

    def walk(self) -> Imported:
        for node in self.graph.node:
            inputs = [self.values.get(name, _MISSING) for name in node.input]
            for name, value in zip(node.input, inputs):
                if value is _MISSING:
                    raise refuse(node, f"input '{name}' is not computed before this node (the graph is not "
                                       "in order, or reads a value no node makes)")
            dynamic = any(isinstance(v, Seq) for v in inputs)
            if node.op_type in ONNX_GATES:
                outs = self.recurrent(node)
            elif not dynamic:
                outs = self.fold(node, inputs)
            else:
                outs = self.plumbing(node, inputs)
            for name, value in zip(node.output, outs):
                if name:
                    self.values[name] = value
        return self.result()

    # ---------------------------------------------------------------- constants
    def fold(self, node, inputs) -> List[Any]:
        """A node whose inputs are all fixed: computed here (shapes, the zero states
        torch.onnx.export builds, casts)."""
        op, a = node.op_type, _attrs(node)
        x = inputs[0] if inputs else None
        if op == "Constant":
            if "value" in a:
                return [a["value"]]
            for key in ("value_float", "value_int"):
                if key in a:
                    return [np.array(a[key])]
            for key in ("value_floats", "value_ints"):
                if key in a:
                    return [np.array(a[key])]
            raise refuse(node, "a Constant of a kind not read (sparse or strings)")
        if op in ("Identity", "Cast", "Dropout"):
            if op == "Cast":
                from onnx import helper
                return [np.asarray(x).astype(helper.tensor_dtype_to_np_dtype(a["to"]))]
            return [x]
        if op == "Shape":
            return [np.array(np.shape(x), dtype=np.int64)[a.get("start", 0):a.get("end")]]
        if op == "ConstantOfShape":
            fill = a.get("value", np.zeros(1, dtype=np.float32))
            return [np.full(tuple(int(v) for v in x), fill.reshape(-1)[0], dtype=fill.dtype)]
        if op == "Gather":
            return [np.take(x, np.asarray(inputs[1]).astype(np.int64), axis=a.get("axis", 0))]
        if op in ("Unsqueeze", "Squeeze"):
            axes = a.get("axes", None if len(inputs) < 2 or inputs[1] is None else list(np.asarray(inputs[1])))
            if op == "Squeeze":
                return [np.squeeze(x, axis=None if axes is None else tuple(int(v) for v in axes))]
            out = np.asarray(x)
            rank = out.ndim + len(axes)
            for axis in sorted(int(v) % rank for v in axes):
                out = np.expand_dims(out, axis)
            return [out]
        if op == "Concat":
            return [np.concatenate([np.atleast_1d(v) for v in inputs], axis=a.get("axis", 0))]
        if op == "Expand":
            return [np.asarray(x) * np.ones(tuple(int(v) for v in inputs[1]), dtype=np.asarray(x).dtype)]
        if op == "Reshape":
            return [np.reshape(x, _reshape_target(node, np.shape(x), inputs[1], a.get("allowzero", 0)))]
        if op == "Transpose":
            return [np.transpose(x, a.get("perm"))]
        if op in ("Add", "Sub", "Mul", "Div"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op]
            if op == "Div" and np.asarray(x).dtype.kind in "iu":
                return [np.floor_divide(x, inputs[1])]
            return [f(x, inputs[1])]
        if op == "Slice":
            return [_slice_const(node, x, inputs, a)]
        raise refuse(node, "this operator has no spec equivalent")

    # ---------------------------------------------------------------- the sequence
    def plumbing(self, node, inputs) -> List[Any]:
        op, a = node.op_type, _attrs(node)
        if op in PASS or op == "Cast":
            return [self.seq(node)] + ([None] if op == "Dropout" and len(node.output) > 1 else [])
        if op == "Shape":
            shape = list(self.seq(node).shape)
            return [np.array(shape, dtype=np.int64)[a.get("start", 0):a.get("end")]]
        if op == "Gather":
            if not isinstance(inputs[0], Seq):
                return [self.embedding(node, inputs)]
            return [self.pick(node, inputs[0], np.asarray(self.const(node, 1, "the indices")), a.get("axis", 0))]
        if op == "Squeeze":
            s = self.seq(node)
            axes = a.get("axes") or (list(self.const(node, 1, "the axes", optional=True) or [])
                                     if len(node.input) > 1 else [])
            axes = [_axis(node, int(v), len(s.axes)) for v in axes] or \
                [i for i, (l, size) in enumerate(s.axes) if size == 1]
            for i in axes:
                label, size = s.axes[i]
                if size != 1:
                    raise refuse(node, f"axis {i} has {size} entries; Squeeze removes axes of one")
                if label in ("T", "F"):
                    raise refuse(node, f"would remove the {'time' if label == 'T' else 'feature'} axis "
                                       "(a sequence of one step or one feature: give the axes)")
            return [replace(s, axes=[ax for i, ax in enumerate(s.axes) if i not in axes])]
        if op == "Unsqueeze":
            s = self.seq(node)
            axes = a.get("axes") or list(self.const(node, 1, "the axes"))
            rank = len(s.axes) + len(axes)
            out = list(s.axes)
            for axis in sorted(_axis(node, int(v), rank) for v in axes):
                out.insert(axis, ("1", 1))
            return [replace(s, axes=out)]
        if op == "Transpose":
            s = self.seq(node)
            perm = a.get("perm") or list(range(len(s.axes)))[::-1]
            return [replace(s, axes=[s.axes[int(p)] for p in perm])]
        if op == "Reshape":
            s = self.seq(node)
            target = _reshape_target(node, s.shape, self.const(node, 1, "the shape"), a.get("allowzero", 0))
            return [replace(s, axes=_reshaped(node, s, target))]
        if op == "Flatten":
            s = self.seq(node)
            axis = _axis(node, a.get("axis", 1), len(s.axes) + 1) if a.get("axis", 1) != len(s.axes) else len(s.axes)
            target = [int(np.prod(s.shape[:axis], dtype=np.int64)), int(np.prod(s.shape[axis:], dtype=np.int64))]
            return [replace(s, axes=_reshaped(node, s, target))]
        if op == "Slice":
            return [self.slice(node, inputs, a)]
        if op in ("Gemm", "MatMul"):
            return [self.dense(node, inputs, a)]
        if op == "Add":
            return [self.add(node, inputs)]
        if op == "Softmax":
            s = self.seq(node)
            axis = _axis(node, a.get("axis", -1), len(s.axes))
            if s.axes[axis][0] != "F" or any(size > 1 for l, size in s.axes[axis + 1:]):
                raise refuse(node, "a softmax over an axis other than the features")
            return [self.activation(node, s, "softmax")]
        function = self.elementwise(node, a)
        if function is not None:
            return [self.activation(node, self.seq(node), function)]
        raise refuse(node, "this operator has no spec equivalent")

    def elementwise(self, node, a) -> Optional[Any]:
        """An activation node (Sigmoid, Tanh, LeakyRelu with its alpha, …) as the spec
        writes the function, or None for an op that is not one."""
        from .layers import activations as table
        mine = table.framework_names("onnx").get(node.op_type)
        if mine is None or mine not in table.ELEMENTWISE:
            return None
        params = {key: float(a[key]) for key, default in table.TABLE[mine].params
                  if key in a and np.float32(a[key]) != np.float32(default)}
        return table.spec_value(table.canonical(mine, params)) if params else mine

    def embedding(self, node, inputs) -> Seq:
        """Gather(E, ids): the rows of a table E picked by the input ids — an embedding layer."""
        table = np.asarray(inputs[0], dtype=np.float64)
        ids = inputs[1]
        if _attrs(node).get("axis", 0) != 0 or table.ndim != 2:
            raise refuse(node, "a Gather of the sequence from a table needs a 2-D table and axis 0")
        if self.layers or ids.layer != -1 or not self.ids:
            raise refuse(node, "an embedding (Gather from a table) reads the model's input ids; this one "
                               "comes after other layers")
        V, D = table.shape
        layer: Dict[str, Any] = {"type": "embedding", "size": int(D), "E": table.tolist()}
        if self.lexicon is not None:
            if len(self.lexicon) != V:
                raise OnnxError(f"the lexicon has {len(self.lexicon)} words; the embedding table "
                                f"'{node.input[0]}' has {V} rows, one per word")
        elif self.ids:
            bad = [int(k) for k in self.sequence if not 0 <= int(k) < V]
            if bad:
                raise OnnxError(f"inputs: id {bad[0]} is not a row of the embedding table '{node.input[0]}' "
                                f"(0 … {V - 1})")
        self.layers.append(layer)
        self.notes.append(f"{node.input[0]} ({V} × {D}): the embedding table E, one row per word")
        return Seq(ids.axes + [("F", int(D))], layer=len(self.layers) - 1)

    def pick(self, node, s: Seq, index, axis: int) -> Seq:
        axis = _axis(node, axis, len(s.axes))
        label, size = s.axes[axis]
        k = int(index.reshape(-1)[0]) % size if index.size == 1 else None
        if index.size != 1:
            raise refuse(node, "a Gather of several entries from the sequence")
        keep = index.ndim > 0
        rest = [ax for i, ax in enumerate(s.axes) if i != axis]
        if keep:
            rest.insert(axis, ("1", 1) if label != "T" else ("T", 1))
        return self._selected(node, s, label, size, k, rest)

    def _selected(self, node, s: Seq, label: str, size: int, k: int, rest) -> Seq:
        if size == 1 or label in ("B", "1"):
            return replace(s, axes=rest)
        if label == "T" and k == size - 1 and not s.final:
            previous = self.layers[s.layer] if s.layer >= 0 else None
            if previous is not None and _reads_backwards(previous):
                raise refuse(node, "the last step of a layer that reads backwards is not its final state")
            return replace(s, axes=[ax if ax != ("T", 1) else ("1", 1) for ax in rest], last=True)
        what = {"T": "one time step other than the last", "D": "one direction of a bidirectional layer",
                "F": "part of the features"}[label]
        raise refuse(node, f"selects {what}, which the spec's layers cannot pass on")

    def slice(self, node, inputs, a) -> Seq:
        s = self.seq(node)
        if "starts" in a:
            starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
        else:
            starts = list(self.const(node, 1, "the starts"))
            ends = list(self.const(node, 2, "the ends"))
            axes = self.const(node, 3, "the axes", optional=True)
            steps = self.const(node, 4, "the steps", optional=True)
        axes = list(range(len(starts))) if axes is None else [int(v) for v in axes]
        steps = [1] * len(starts) if steps is None else [int(v) for v in steps]
        out = replace(s)
        for start, end, axis, stride in zip(starts, ends, axes, steps):
            axis = _axis(node, axis, len(s.axes))
            label, size = s.axes[axis]
            chosen = list(range(size))[slice(int(max(min(start, 2**62), -2**62)), int(max(min(end, 2**62), -2**62)),
                                             stride)]
            if chosen == list(range(size)):
                continue
            if len(chosen) != 1:
                raise refuse(node, f"keeps {len(chosen)} of the {size} entries of an axis")
            rest = list(out.axes)
            rest[axis] = ("T", 1) if label == "T" else ("1", 1)
            out = self._selected(node, out, label, size, chosen[0], rest)
        return out

    # ---------------------------------------------------------------- layers on the sequence
    def _chained(self, node, s: Seq) -> None:
        """A new layer reads the output of the layer made last: a spec is one chain."""
        if s.layer != len(self.layers) - 1:
            raise refuse(node, "reads the output of an earlier layer, past the layer made after it: a spec "
                               "is one chain of layers, without branches")

    def _features(self, node, s: Seq) -> int:
        """The sequence as the input of a layer: time and features, in that order."""
        self._chained(node, s)
        essentials = s.essentials()
        if [l for l, _ in essentials] != ["T", "F"] and [l for l, _ in essentials] != ["F"]:
            raise refuse(node, f"expected the sequence as (time, features), found axes "
                               f"{', '.join(l for l, _ in s.axes)}")
        if s.final:
            layer = self.layers[s.layer]
            if s.path != "h" or layer["type"] == "bidirectional" or _reads_backwards(layer):
                raise refuse(node, "reads a final state (Y_c, or Y_h of a layer that reads backwards) that is "
                                   "not the output of a step, which a spec layer cannot read")
        return essentials[-1][1]

    def dense(self, node, inputs, a) -> Seq:
        s = self.seq(node)
        n_in = self._features(node, s)
        if s.axes[-1][0] != "F":
            raise refuse(node, "the features must be the last axis of a matrix product")
        if node.op_type == "MatMul":
            if isinstance(inputs[1], Seq):
                raise refuse(node, "a product of the sequence with itself")
            matrix = np.asarray(self.const(node, 1, "the weights"), dtype=np.float64)
            if matrix.ndim != 2 or matrix.shape[0] != n_in:
                raise refuse(node, f"expected weights of shape ({n_in}, outputs), found {matrix.shape}")
            W, b = matrix.T, np.zeros(matrix.shape[1])
        else:
            if a.get("transA", 0) or isinstance(inputs[1], Seq):
                raise refuse(node, "transA=1: the sequence must be the first operand")
            B = np.asarray(self.const(node, 1, "the weights"), dtype=np.float64)
            W = a.get("alpha", 1.0) * (B if a.get("transB", 0) else B.T)
            if W.ndim != 2 or W.shape[1] != n_in:
                raise refuse(node, f"weights of shape {B.shape} do not read {n_in} features")
            C = self.const(node, 2, "the bias", optional=True)
            b = np.zeros(W.shape[0]) if C is None else \
                a.get("beta", 1.0) * np.broadcast_to(np.asarray(C, dtype=np.float64).reshape(-1), (W.shape[0],))
        self.layers.append({"type": "dense", "size": int(W.shape[0]), "activation": "linear", "W": W.tolist(),
                            "b": np.asarray(b, dtype=np.float64).tolist()})
        self.notes.append(f"{node.name or node.output[0]} ({node.op_type}): a dense layer, "
                          f"W = the {'weights' if node.op_type == 'Gemm' else 'matrix'} transposed")
        axes = list(s.axes)
        axes[-1] = ("F", int(W.shape[0]))
        # Y_h of a forward layer is its output at step T: what follows reads the last step
        return Seq(axes, layer=len(self.layers) - 1, last=s.last or s.final, fresh=True)

    def add(self, node, inputs) -> Seq:
        dynamic = [i for i, v in enumerate(inputs) if isinstance(v, Seq)]
        if len(dynamic) != 1:
            raise refuse(node, "adds the sequence to itself or another sequence")
        s = inputs[dynamic[0]]
        other = np.asarray(inputs[1 - dynamic[0]], dtype=np.float64)
        layer = self.layers[s.layer] if s.layer >= 0 else None
        if not s.fresh or layer is None or layer["type"] != "dense":
            raise refuse(node, "adds a constant to a sequence that is not the W·x of a dense layer")
        size = layer["size"]
        if other.size not in (1, size) or (other.ndim and other.shape[-1] not in (1, size)):
            raise refuse(node, f"a bias of shape {other.shape} for {size} features")
        layer["b"] = (np.asarray(layer["b"]) + np.broadcast_to(other.reshape(-1), (size,))).tolist()
        return s

    def activation(self, node, s: Seq, function: str) -> Seq:
        layer = self.layers[s.layer] if s.layer >= 0 else None
        if s.fresh and layer is not None and layer["type"] == "dense" and layer["activation"] == "linear":
            layer["activation"] = function
            return replace(s, fresh=False)
        n = self._features(node, s)
        if s.layer >= 0 and self.layers[s.layer]["type"] == "bidirectional" and \
                any(l == "D" and size > 1 for l, size in s.axes):
            raise refuse(node, "an activation of a bidirectional layer's unmerged directions")
        s = replace(s, last=s.last or s.final, final=False)
        self.layers.append({"type": "dense", "size": n, "activation": function,
                            "W": np.eye(n).tolist(), "b": [0.0] * n})
        self.notes.append(f"{node.name or node.output[0]} ({node.op_type}): {function} of every feature, "
                          "written as a dense layer with W = I and b = 0")
        return replace(s, layer=len(self.layers) - 1, path="output", fresh=False)

    # ---------------------------------------------------------------- LSTM, GRU, RNN
    def recurrent(self, node) -> List[Any]:
        op, a = node.op_type, _attrs(node)
        s = self.seq(node)
        self._chained(node, s)
        layout = a.get("layout", 0)
        want = ["B", "T", "F"] if layout else ["T", "B", "F"]
        labels = [l if l != "1" else "B" for l in s.labels()]
        if labels != want or s.final or s.last:
            raise refuse(node, f"expected X as ({', '.join(want)}) (layout={layout}), found axes "
                               f"({', '.join(s.labels())})")
        n_in = s.axes[2][1]
        directions = {"forward": 1, "reverse": 1, "bidirectional": 2}.get(a.get("direction", "forward"))
        if directions is None:
            raise refuse(node, f"direction '{a.get('direction')}'; expected forward, reverse or bidirectional")
        H = a.get("hidden_size")
        gates = ONNX_GATES[op]
        G = len(gates)
        W = np.asarray(self.const(node, 1, "W"), dtype=np.float64)
        R = np.asarray(self.const(node, 2, "R"), dtype=np.float64)
        if H is None:
            H = R.shape[-1]
        for name, m, cols in (("W", W, n_in), ("R", R, H)):
            if m.shape != (directions, G * H, cols):
                raise refuse(node, f"{name}: expected shape ({directions}, {G * H}, {cols}), found {m.shape}")
        B = self.const(node, 3, "B", optional=True)
        B = np.zeros((directions, 2 * G * H)) if B is None else np.asarray(B, dtype=np.float64)
        if B.shape != (directions, 2 * G * H):
            raise refuse(node, f"B: expected shape ({directions}, {2 * G * H}), found {B.shape}")
        lens = self.const(node, 4, "sequence_lens", optional=True)
        T = s.axes[1 if layout else 0][1]
        if lens is not None:
            lens = np.asarray(lens).reshape(-1)
            n = int(lens[self.batch if lens.size > 1 else 0])
            if not 1 <= n <= T:
                raise refuse(node, f"sequence_lens {n} for a sequence of {T} steps")
            if n < T:
                if self.steps not in (None, n):
                    raise refuse(node, "a second, different sequence length")
                self.steps = n
                self.notes.append(f"{node.name or op}: sequence_lens = {n}: the spec runs the first {n} of "
                                  f"the {T} steps (the model's outputs after them are 0)")
        states = {}
        for index, key in ((5, "initial_h"), (6, "initial_c")):
            value = self.const(node, index, key, optional=True)
            if value is not None:
                value = np.asarray(value, dtype=np.float64)
                if value.ndim == 3:
                    value = np.take(value, min(self.batch, value.shape[1 - layout] - 1) if value.shape[1 - layout] > 1
                                    else 0, axis=0 if layout else 1)
                if value.shape != (directions, H):
                    raise refuse(node, f"{key}: expected ({directions}, batch, {H}), found shape {value.shape}")
                states[key] = value
        P = self.const(node, 7, "P", optional=True) if op == "LSTM" else None
        if P is not None:
            P = np.asarray(P, dtype=np.float64)
            if P.shape != (directions, 3 * H):
                raise refuse(node, f"P: expected shape ({directions}, {3 * H}), found {P.shape}")
        functions = self._activations(node, op, directions)
        clip = a.get("clip")
        if clip is not None and not clip > 0:
            raise refuse(node, f"clip={clip}: expected a positive threshold")
        coupled = bool(a.get("input_forget", 0)) and op == "LSTM"
        lbr = a.get("linear_before_reset", 0)
        parts = []
        for d in range(directions):
            part = self._direction(op, d, H, W[d], R[d], B[d], None if P is None else P[d], functions[d],
                                   lbr, {k: v[d] for k, v in states.items()})
            if clip is not None:   # every z cut to [−clip, clip] before its activation
                part["clip"] = float(clip)
            if coupled:   # f = 1 − i: the forget gate's rows and peephole are not read
                part.pop("forget_gate")
                part["coupled"] = True
            parts.append(part)
        if coupled:
            self.notes.append(f"{node.name or op}: input_forget=1, f = 1 − i (the spec's coupled: true): "
                              "the forget gate's weights, bias and peephole in the model are not used")
        direction = a.get("direction", "forward")
        if direction == "bidirectional":
            layer = {"type": "bidirectional", "merge": "concat", "forward": parts[0], "backward": parts[1]}
        else:
            layer = parts[0]
            if direction == "reverse":
                layer = dict(list(layer.items())[:2] + [("direction", "reverse")] + list(layer.items())[2:])
        self.layers.append(layer)
        index = len(self.layers) - 1
        name = node.name or node.output[0]
        self.notes.append(f"{name} ({op}, {direction}): W, R stacked by rows in ONNX's gate order "
                          + (f"{LETTERS[op]}; " if LETTERS[op] else "")
                          + "b = Wb + Rb" + ("; the candidate's Rb is b_h" if op == "GRU" and lbr else "")
                          + ("; P is [P_i; P_o; P_f]" if P is not None else ""))
        T_axis = ("T", T)
        y_axes = [("B", 1), T_axis, ("D", directions), ("F", H)] if layout else \
            [T_axis, ("D", directions), ("B", 1), ("F", H)]
        state_axes = [("B", 1), ("D", directions), ("F", H)] if layout else [("D", directions), ("B", 1), ("F", H)]
        outs = [Seq(y_axes, layer=index, path="h"), Seq(state_axes, layer=index, path="h", final=True)]
        if op == "LSTM":
            outs.append(Seq(state_axes, layer=index, path="c", final=True))
        return outs

    def _activations(self, node, op, directions) -> List[List[Any]]:
        """Each direction's functions (f, g, h for an LSTM) as the spec writes them,
        from the activation table (rnntrace/layers/activations.py) by their ONNX names.
        activation_alpha and activation_beta are taken in order by the functions that
        have such a parameter, as onnxruntime takes them; a function not given one keeps
        its default. The values are the model's float32 numbers."""
        from .layers import activations as table
        a = _attrs(node)
        names = a.get("activations")
        per = len(DEFAULT_ACTIVATIONS[op])
        if names is None:
            names = DEFAULT_ACTIVATIONS[op] * directions
        if len(names) != per * directions:
            raise refuse(node, f"{len(names)} activations; {op} takes {per} per direction ({per * directions})")
        alphas = list(a.get("activation_alpha", []))
        betas = list(a.get("activation_beta", []))
        ours = {k.lower(): v for k, v in table.framework_names("onnx").items()}
        out = []
        for name in names:
            mine = ours.get(str(name).lower())
            if mine is None or mine not in table.ELEMENTWISE:
                raise refuse(node, f"activation {name} is not in the spec's activation table")
            params = {}
            for key, default in table.TABLE[mine].params:
                given = alphas if key == "alpha" else betas
                if given:
                    value = float(given.pop(0))
                    if np.float32(value) != np.float32(default):   # 0.2 stored as float32 is still 0.2
                        params[key] = value
            out.append(table.spec_value(table.canonical(mine, params)) if params else mine)
        return [out[d * per:(d + 1) * per] for d in range(directions)]

    def _direction(self, op, d, H, W, R, B, P, functions, lbr, states) -> Dict[str, Any]:
        gates = ONNX_GATES[op]
        G = len(gates)
        Wb, Rb = B[:G * H], B[G * H:]
        rows = lambda m, k: m[k * H:(k + 1) * H]   # noqa: E731
        out: Dict[str, Any] = {"type": SPEC_TYPE[op], "size": int(H)}
        if op == "RNN":
            out.update({"activation": functions[0], "W": W.tolist(), "U": R.tolist(), "b": (Wb + Rb).tolist()})
            if "initial_h" in states:
                out["initial"] = states["initial_h"].tolist()
            return out
        if op == "LSTM":
            out.update({"activation": functions[1], "cell_activation": functions[2], "gate_activation": functions[0]})
        else:
            out.update({"activation": functions[1], "gate_activation": functions[0], "reset_after": bool(lbr)})
        blocks = {}
        for k, block in enumerate(gates):
            entry: Dict[str, Any] = {"W": rows(W, k).tolist(), "U": rows(R, k).tolist()}
            if op == "GRU" and block == "candidate" and lbr:
                entry["b"], entry["b_h"] = rows(Wb, k).tolist(), rows(Rb, k).tolist()
            else:
                entry["b"] = (rows(Wb, k) + rows(Rb, k)).tolist()
            blocks[block] = entry
        if P is not None:   # [P_i; P_o; P_f]; the output gate's reads the new cell
            for k, block in enumerate(("input_gate", "output_gate", "forget_gate")):
                blocks[block]["P"] = rows(P, k).tolist()
            blocks["output_gate"]["peephole"] = "c"
        from .layers.gru import BLOCKS as GRU_BLOCKS
        from .layers.lstm import BLOCKS as LSTM_BLOCKS
        for block in (LSTM_BLOCKS if op == "LSTM" else GRU_BLOCKS):    # the spec's (and lecture's) order
            out[block] = blocks[block]
        if op == "LSTM" and ("initial_h" in states or "initial_c" in states):
            out["initial"] = {"c": states.get("initial_c", np.zeros(H)).tolist(),
                              "h": states.get("initial_h", np.zeros(H)).tolist()}
        elif "initial_h" in states:
            out["initial"] = states["initial_h"].tolist()
        return out

    # ---------------------------------------------------------------- the spec
    def result(self) -> Imported:
        if not self.layers:
            raise OnnxError("the model has no LSTM, GRU, RNN, embedding or dense layer")
        outputs = {}
        for out in self.graph.output:
            value = self.values.get(out.name)
            if isinstance(value, Seq) and value.layer >= 0:
                outputs[out.name] = Output(out.name, value)
            elif isinstance(value, Seq):
                raise OnnxError(f"graph output '{out.name}' is the input itself")
            else:
                raise OnnxError(f"graph output '{out.name}' does not depend on the input; expected the "
                                "sequence the layers make")
        if not outputs:
            raise OnnxError("the model has no output")
        last = max(o.seq.layer for o in outputs.values())
        if last != len(self.layers) - 1:
            raise OnnxError("a layer's output is not used by any graph output (a layer that leads nowhere)")
        chain = len(self.layers)
        names = default_names(self.layers)
        layers = [dict([("name", n)] + list(l.items())) for n, l in zip(names, self.layers)]
        steps = self.sequence if self.steps is None else self.sequence[:self.steps]
        spec: Dict[str, Any] = {}
        if self.ids and self.lexicon is not None:
            spec["lexicon"] = list(self.lexicon)
            spec["inputs"] = [str(w) if isinstance(w, str) else self.lexicon[int(w)] for w in steps]
        elif self.ids:
            spec["inputs"] = [int(k) for k in steps]
        else:
            spec["inputs"] = np.asarray(steps, dtype=np.float64).tolist()
        spec["layers"] = layers
        if self.labels is not None:
            final = layers[-1]
            if final["type"] != "dense" or len(self.labels) != final["size"]:
                raise OnnxError(f"--labels: {len(self.labels)} labels for the last layer "
                                f"({final['type']}, {final.get('size', '?')} outputs); labels name a dense "
                                "layer's units")
            final["labels"] = list(self.labels)
        for name, o in outputs.items():
            if o.seq.layer != chain - 1:
                self.notes.append(f"output {name}: {_where(layers[o.seq.layer]['name'], o.seq)}")
            else:
                self.notes.append(f"output {name}: {_where(layers[-1]['name'], o.seq)}")
        return Imported(spec, self.notes, outputs, len(steps), self.total_steps)


_MISSING = object()


def _reads_backwards(layer: Mapping[str, Any]) -> bool:
    return layer.get("direction") == "reverse"


def _where(name: str, s: Seq) -> str:
    what = "c" if s.path == "c" else name if s.path == "output" else f"{name}.{s.path}"
    if s.final:
        return f"{what} after the last step each direction reads (t = T forwards, t = 1 backwards)"
    if s.last:
        return f"{what} at the last step"
    return f"{what} at every step"


def _attrs(node) -> Dict[str, Any]:
    from onnx import helper
    return {attr.name: _attr_value(helper.get_attribute_value(attr)) for attr in node.attribute}


def _attr_value(value):
    if hasattr(value, "dims") and hasattr(value, "data_type"):
        from onnx import numpy_helper
        return numpy_helper.to_array(value)
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [v.decode() if isinstance(v, bytes) else v for v in value]
    return value


def _reshape_target(node, shape, target, allowzero) -> List[int]:
    target = [int(v) for v in np.asarray(target).reshape(-1)]
    out = [shape[i] if v == 0 and not allowzero and i < len(shape) else v for i, v in enumerate(target)]
    if out.count(-1) > 1:
        raise refuse(node, "more than one -1 in the shape")
    total = int(np.prod(shape, dtype=np.int64))
    if -1 in out:
        known = int(np.prod([v for v in out if v != -1], dtype=np.int64))
        out[out.index(-1)] = total // known if known else 0
    if int(np.prod(out, dtype=np.int64)) != total:
        raise refuse(node, f"cannot reshape {tuple(shape)} to {tuple(target)}")
    return out


def _reshaped(node, s: Seq, target: Sequence[int]) -> List[Tuple[str, int]]:
    """The axes after a Reshape to ``target``: the essential axes (time, features, two
    directions) must come out whole and in order, except that two directions followed
    by the features merge into the features, concatenated — a bidirectional layer's
    output as [h→; h←]. Axes of one may come and go."""
    essentials = s.essentials()
    out: List[Tuple[str, int]] = []
    p = 0
    for size in target:
        if p < len(essentials):
            label, n = essentials[p]
            if label == "D" and p + 1 < len(essentials) and essentials[p + 1][0] == "F" and \
                    size == n * essentials[p + 1][1]:
                out.append(("F", size))
                p += 2
                continue
            if size == n:
                out.append((label, size))
                p += 1
                continue
        if size == 1:
            out.append(("1", 1))
            continue
        raise refuse(node, f"reshapes axes ({', '.join(f'{l}={n}' for l, n in s.axes)}) to {tuple(target)}, "
                           "which mixes time, directions or features")
    if p != len(essentials):
        raise refuse(node, f"reshapes axes ({', '.join(f'{l}={n}' for l, n in s.axes)}) to {tuple(target)}")
    return out


def _slice_const(node, x, inputs, a):
    x = np.asarray(x)
    if "starts" in a:
        starts, ends, axes, steps = a["starts"], a["ends"], a.get("axes"), None
    else:
        starts, ends = inputs[1], inputs[2]
        axes = inputs[3] if len(inputs) > 3 else None
        steps = inputs[4] if len(inputs) > 4 else None
    axes = list(range(len(starts))) if axes is None else [int(v) for v in np.asarray(axes).reshape(-1)]
    steps = [1] * len(starts) if steps is None else [int(v) for v in np.asarray(steps).reshape(-1)]
    index = [slice(None)] * x.ndim
    for start, end, axis, step in zip(np.asarray(starts).reshape(-1), np.asarray(ends).reshape(-1), axes, steps):
        index[axis] = slice(int(max(min(start, 2**62), -2**62)), int(max(min(end, 2**62), -2**62)), step)
    return x[tuple(index)]


# --------------------------------------------------------------------------- the API

def import_onnx(model: Any, *, inputs: Any = None, feeds: Optional[Mapping[str, Any]] = None, batch: int = 0,
                lexicon: Optional[Sequence[str]] = None, labels: Optional[Sequence[str]] = None,
                title: Optional[str] = None) -> Imported:
    """The spec (plain data) of an ONNX model (a path or a ModelProto) and notes on how
    it was read.

    - ``inputs``: the sequence: T steps of features (T ids, or T words with a
      ``lexicon``), or the graph input's whole tensor, of which batch entry ``batch``
      is taken. Left out, one step of zeros (id 0) stands in.
    - ``feeds``: values of the other graph inputs (initial_h, …) that have no initializer.
    - ``lexicon``: the word of each row of an embedding table; ``labels``: names of the
      last dense layer's units.
    """
    if isinstance(model, (str, os.PathLike)):
        model = load_onnx(str(model))
    check_model(model)
    walk = _Walk(model, inputs, feeds, batch, None if lexicon is None else [str(w) for w in lexicon],
                 None if labels is None else [str(x) for x in labels])
    result = walk.walk()
    if title is not None:
        result.spec = dict([("title", str(title))] + list(result.spec.items()))
    return result


def output_value(trace, imported: Imported, name: str) -> np.ndarray:
    """The graph output ``name`` rebuilt from a trace of the imported spec, in the
    model's own shape for one sequence: what an ONNX runtime would give for it.
    Steps past a shorter sequence_lens are 0, as ONNX has them."""
    s = imported.outputs[name].seq
    layer_name = imported.spec["layers"][s.layer]["name"]
    records = [step.layers[layer_name] for step in trace]
    spec_layer = trace.spec.layers[s.layer]
    T = imported.total_steps

    def value(record, d: Optional[int]):
        part = record if d is None else getattr(record, ("forward", "backward")[d])
        return np.asarray(part.output if s.path == "output" else getattr(part, s.path))

    sides = getattr(spec_layer, "merge", None)
    directions = [0, 1] if sides and any(l == "D" and n == 2 for l, n in s.axes) else [None]

    def at(d):
        if s.final:   # the state after the last step read: T forwards, 1 backwards
            backwards = d == 1 or getattr(spec_layer, "direction", "forward") == "reverse"
            return value(records[0 if backwards else -1], d)
        if s.last:
            return value(records[-1], d)
        steps = [value(r, d) for r in records]
        steps += [np.zeros_like(steps[0])] * (T - len(steps))
        return np.stack(steps)

    parts = [at(d) for d in directions]
    data = np.stack(parts, axis=-2)   # (T?, D, F)
    labels = (["T"] if not (s.final or s.last) else []) + ["D", "F"]
    order = []
    shape = []
    for label, size in s.axes:
        if label in ("T", "D", "F") and not (label == "T" and size == 1 and "T" not in labels):
            order.append(labels.index(label))
    present = [labels[i] for i in order]
    for label in labels:
        if label not in present:
            if data.shape[labels.index(label)] != 1:
                raise ValueError(f"output {name}: axis {label} missing")
    data = np.transpose(data, order + [i for i in range(len(labels)) if i not in order])
    data = data.reshape(data.shape[:len(order)])
    for label, size in s.axes:
        shape.append(size if label != "T" else (T if not s.last else 1))
    return data.reshape(shape)
