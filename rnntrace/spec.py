"""The spec: a YAML description of a network and its input, turned into frozen,
validated dataclasses holding float64 arrays.

Weights use the PyTorch orientation: ``W`` has one row per unit of the layer and
one column per input, so a layer computes z = W·x + U·m + b.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import SpecError, close_name, describe, quoted
from .yamlsource import (MAX_BYTES, Document, as_number, is_number_text, parse, read_limited, read_named,
                         read_text)

ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "hard_sigmoid")
OUTPUT_ACTIVATIONS = ACTIVATIONS + ("softmax",)
LSTM_BLOCKS = ("cell_input", "input_gate", "forget_gate", "output_gate")
GRU_BLOCKS = ("reset_gate", "update_gate", "candidate")
#: packed weights (rnntrace.packing): the letters (or block names) an order may use,
#: the order of the layouts named after a framework, and the blocks that keep b_h apart.
PACKED_GATES = {
    "lstm": dict({"i": "input_gate", "f": "forget_gate", "g": "cell_input", "c": "cell_input",
                  "o": "output_gate"}, **{b: b for b in LSTM_BLOCKS}),
    "gru": dict({"r": "reset_gate", "z": "update_gate", "u": "update_gate", "n": "candidate",
                 "h": "candidate"}, **{b: b for b in GRU_BLOCKS}),
}
PACKED_ORDERS = {"lstm": {"pytorch": ("i", "f", "g", "o"), "keras": ("i", "f", "c", "o")},
                 "gru": {"pytorch": ("r", "z", "n"), "keras": ("z", "r", "h")}}
PACKED_SECOND_BIAS = {"lstm": (), "gru": GRU_BLOCKS}
RECURRENT_TYPES = ("elman", "jordan", "lstm", "gru")
LAYER_TYPES = RECURRENT_TYPES + ("dense", "bidirectional")
MERGES = ("concat", "sum", "mean")
LOSSES = ("squared_error", "cross_entropy")
LOSS_ALIASES = {"mse": "squared_error"}
#: Names a layer may not take: they are the fields of a step record.
RESERVED_NAMES = ("t", "x", "y", "token")
#: Most weights (and biases, peepholes, starting values) a spec may give, in all its
#: layers together: 10,000,000 float64 numbers are 80 MB. A scalar broadcasts, so a
#: few characters could otherwise ask for any amount of memory.
MAX_WEIGHTS = 10_000_000

Array = np.ndarray


# --------------------------------------------------------------------------- layers

# eq=False on the classes that hold arrays: an array has no single truth value, so a
# field-by-field == could only raise; these compare (and hash) by identity instead,
# and each class is quicker to create at start-up.

@dataclass(frozen=True, eq=False)
class Block:
    """One weight set of a gated cell: z = W·x + U·h_prev (+ P∘c_prev) + b (+ b_h)."""

    W: Array
    b: Array
    U: Optional[Array] = None
    P: Optional[Array] = None      # lstm peephole, one weight per unit
    b_h: Optional[Array] = None    # gru: PyTorch's second (recurrent) bias

    def parameters(self) -> Dict[str, Array]:
        return {k: v for k, v in (("W", self.W), ("U", self.U), ("P", self.P),
                                  ("b", self.b), ("b_h", self.b_h)) if v is not None}


@dataclass(frozen=True, eq=False)
class Dense:
    """A feed-forward layer: y = f(W·x + b), f linear, sigmoid, tanh, relu or softmax."""

    name: str
    size: int
    input_size: int
    W: Array
    b: Array
    activation: str = "linear"
    labels: Optional[Tuple[str, ...]] = None
    type = "dense"

    @property
    def output_size(self) -> int:
        return self.size

    def parameters(self) -> Dict[str, Array]:
        return {"W": self.W, "b": self.b}


@dataclass(frozen=True, eq=False)
class Elman:
    """A simple recurrent layer whose memory holds its own last output: h = f(W·x + U·h_prev + b)."""

    name: str
    size: int
    input_size: int
    W: Array
    U: Array
    b: Array
    activation: str = "tanh"
    initial: Optional[Array] = None   # h_0
    type = "elman"

    @property
    def output_size(self) -> int:
        return self.size

    def parameters(self) -> Dict[str, Array]:
        return {"W": self.W, "U": self.U, "b": self.b}


@dataclass(frozen=True, eq=False)
class Jordan:
    """A hidden layer fed back by the network's output of the last step."""

    name: str
    size: int
    input_size: int
    W: Array
    U: Array            # previous output → hidden: size × output.size
    b: Array
    output: Dense
    activation: str = "tanh"
    initial: Optional[Array] = None   # y_0
    type = "jordan"

    @property
    def output_size(self) -> int:
        return self.output.size

    def parameters(self) -> Dict[str, Array]:
        params = {"W": self.W, "U": self.U, "b": self.b}
        params.update({f"output.{k}": v for k, v in self.output.parameters().items()})
        return params


@dataclass(frozen=True, eq=False)
class LSTM:
    """A long short-term memory layer: a cell input and three gates, each a :class:`Block`."""

    name: str
    size: int
    input_size: int
    blocks: Mapping[str, Block]       # LSTM_BLOCKS
    activation: str = "tanh"          # g, on the cell input
    cell_activation: str = "tanh"     # h, on the cell value
    gate_activation: str = "sigmoid"
    initial_c: Optional[Array] = None
    initial_h: Optional[Array] = None
    packed: Optional[Any] = None      # rnntrace.packing.Packing, when the spec gave packed weights
    type = "lstm"

    @property
    def output_size(self) -> int:
        return self.size

    def parameters(self) -> Dict[str, Array]:
        return {f"{block}.{k}": v for block in LSTM_BLOCKS
                for k, v in self.blocks[block].parameters().items()}


@dataclass(frozen=True, eq=False)
class GRU:
    """A gated recurrent unit layer (PyTorch semantics): reset, update and candidate blocks."""

    name: str
    size: int
    input_size: int
    blocks: Mapping[str, Block]       # GRU_BLOCKS
    activation: str = "tanh"          # on the candidate
    gate_activation: str = "sigmoid"
    initial: Optional[Array] = None
    packed: Optional[Any] = None      # rnntrace.packing.Packing, when the spec gave packed weights
    type = "gru"

    @property
    def output_size(self) -> int:
        return self.size

    def parameters(self) -> Dict[str, Array]:
        return {f"{block}.{k}": v for block in GRU_BLOCKS
                for k, v in self.blocks[block].parameters().items()}


Recurrent = Union[Elman, Jordan, LSTM, GRU]


@dataclass(frozen=True, eq=False)
class Bidirectional:
    """Two recurrent layers, one reading forwards and one backwards, merged at each step."""

    name: str
    forward: Recurrent
    backward: Recurrent
    merge: str = "concat"
    type = "bidirectional"

    @property
    def size(self) -> int:
        return self.output_size

    @property
    def input_size(self) -> int:
        return self.forward.input_size

    @property
    def output_size(self) -> int:
        if self.merge == "concat":
            return self.forward.output_size + self.backward.output_size
        return self.forward.output_size

    def parameters(self) -> Dict[str, Array]:
        params = {f"forward.{k}": v for k, v in self.forward.parameters().items()}
        params.update({f"backward.{k}": v for k, v in self.backward.parameters().items()})
        return params


Layer = Union[Elman, Jordan, LSTM, GRU, Dense, Bidirectional]


def parameter_count(layer: Layer) -> int:
    return int(sum(v.size for v in layer.parameters().values()))


# --------------------------------------------------------------------------- spec

@dataclass(frozen=True)
class Lexicon:
    """Words for 1-of-N input, in the order of their dimensions, and the 'other' one."""

    words: Tuple[str, ...]
    other: bool = False

    @property
    def size(self) -> int:
        return len(self.words) + (1 if self.other else 0)

    def encode(self, words: Sequence[str]) -> Array:
        """1-of-N, one row per word: the word's own dimension is 1; unknown words go to 'other'."""
        index = {w: k for k, w in enumerate(self.words)}
        encoded = np.zeros((len(words), self.size))
        encoded[np.arange(len(words)), [index.get(w, len(self.words)) for w in words]] = 1.0
        return encoded


@dataclass(frozen=True, eq=False)
class Train:
    """The training block: targets per step, the loss, clipping and the learning rate."""

    targets: Tuple[Any, ...]          # per step: None, a float64 vector, or a unit index
    loss: str = "squared_error"
    clip: Optional[Tuple[str, float]] = None   # ("norm", θ) or ("value", θ)
    learning_rate: Optional[float] = None


@dataclass(frozen=True, eq=False)
class Spec:
    """A whole validated spec: the input sequence and the layers it runs through."""

    inputs: Array                     # T × input_size, float64
    layers: Tuple[Layer, ...]
    title: Optional[str] = None
    tokens: Optional[Tuple[str, ...]] = None
    lexicon: Optional[Lexicon] = None
    train: Optional[Train] = None
    source: str = "<spec>"
    document: Optional[Document] = field(default=None, repr=False, compare=False)

    @property
    def input_size(self) -> int:
        return int(self.inputs.shape[1])

    @property
    def output_layer(self) -> Layer:
        return self.layers[-1]

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def with_inputs(self, inputs: Any, source: str = "--inputs") -> "Spec":
        """The same network on other inputs (numbers, or words with a lexicon): plain
        data, or a parsed Document, whose errors then point at their line and column."""
        doc = (inputs if isinstance(inputs, Document) else Document(inputs, None, source)).nested("inputs")
        encoded, tokens = _inputs(_Reader(doc), doc.data["inputs"], self.lexicon, ("inputs",))
        if encoded.shape[1] != self.input_size:
            raise doc.error(f"expected steps of {self.input_size} numbers, found {encoded.shape[1]}", ("inputs",))
        import dataclasses
        return dataclasses.replace(self, inputs=encoded, tokens=tokens)


# --------------------------------------------------------------------------- loading

def load_spec(source: Union[str, FilePath, io.IOBase], *, name: Optional[str] = None) -> Spec:
    """Read and validate a spec from a path, ``-`` (standard input) or a text stream."""
    # Reads stop at yamlsource.MAX_BYTES, so /dev/zero or an endless pipe is refused.
    if hasattr(source, "read"):
        label = name or getattr(source, "name", "<stream>")
        raw = source.read(MAX_BYTES + 1)
        text = raw if isinstance(raw, str) else read_text(label, raw)
    else:
        label = name or ("<stdin>" if str(source) == "-" else str(source))
        text = read_named(source, label, "spec")
    folder = FilePath(source).parent if isinstance(source, (str, FilePath)) and str(source) != "-" else None
    return spec_from_text(text, label, folder=folder)


def spec_from_text(text: str, source: str = "<spec>", *, folder: Optional[FilePath] = None) -> Spec:
    """``folder`` is where ``inputs: {file: …}`` paths start (default: the current folder)."""
    return build_spec(parse(text, source), folder)


def spec_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Spec:
    """Validate a spec given as plain Python data (as YAML would load it)."""
    return build_spec(Document(data, None, source))


def build_spec(doc: Document, folder: Optional[FilePath] = None) -> Spec:
    r = _Reader(doc, folder)
    data = doc.data
    if data is None:
        raise doc.error("the spec is empty; it needs at least 'inputs' and 'layers'")
    if not isinstance(data, dict):
        raise doc.error(f"expected a mapping with 'inputs' and 'layers', found {describe(data)}")
    r.keys(data, (), {"title", "inputs", "layers", "lexicon", "train"}, required=("inputs", "layers"))

    title = data.get("title")
    if title is not None and not isinstance(title, (str, int, float)):
        raise doc.error(f"expected a line of text, found {describe(title)}", ("title",))
    lexicon = _lexicon(r, data["lexicon"]) if data.get("lexicon") is not None else None
    inputs, tokens = _inputs(r, data["inputs"], lexicon, ("inputs",))

    layers_data = data["layers"]
    if not isinstance(layers_data, list) or not layers_data:
        raise doc.error(f"expected a list of at least one layer, found {describe(layers_data)}", ("layers",))
    names = _layer_names(r, layers_data)
    layers: List[Layer] = []
    size_in = inputs.shape[1]
    for i, (item, name) in enumerate(zip(layers_data, names)):
        why = f"; {size_in} = the number of inputs" if i == 0 else \
            f"; {size_in} = the output size of layers[{i - 1}]"
        layer = _layer(r, item, ("layers", i), name, size_in, LAYER_TYPES, why)
        layers.append(layer)
        size_in = layer.output_size

    train = _train(r, data["train"], layers[-1], len(inputs)) if data.get("train") is not None else None
    return Spec(inputs=inputs, layers=tuple(layers), title=None if title is None else str(title),
                tokens=tokens, lexicon=lexicon, train=train, source=doc.file, document=doc)


# --------------------------------------------------------------------------- pieces

class _Reader:
    """Validation helpers that raise SpecErrors pointing into the document."""

    weights = 0   # weights read so far, held to MAX_WEIGHTS

    def __init__(self, doc: Document, folder: Optional[FilePath] = None):
        self.doc = doc
        self.folder = folder   # where relative file names in the spec start

    def error(self, message, path, **kw):
        return self.doc.error(message, path, **kw)

    def keys(self, data: dict, path: tuple, allowed, required=()) -> None:
        for key in data:
            if key not in allowed:
                hint = close_name(key, sorted(allowed))
                raise self.error(f"unknown key {quoted(key)}; expected one of {', '.join(sorted(allowed))}",
                                 path + (key,), hint=hint, at_key=True)
        for key in required:
            if key not in data:
                raise self.error(f"missing the required key {key!r}", path)

    def mapping(self, value, path, what="a mapping", keys=None, required=()) -> dict:
        """``value`` as a mapping; with ``keys``, only those keys, and the ``required`` ones."""
        if not isinstance(value, dict):
            raise self.error(f"expected {what}, found {describe(value)}", path)
        if keys is not None:
            self.keys(value, path, keys, required)
        return value

    def number(self, value, path) -> float:
        try:
            return as_number(value)
        except ValueError as exc:
            raise self.error(str(exc), path) from None

    def positive(self, value, path, what) -> float:
        number = self.number(value, path)
        if number <= 0:
            raise self.error(f"expected a positive {what}, found {number:g}", path)
        return number

    def count(self, value, path, what="size") -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
            raise self.error(f"expected the {what} as a whole number of at least 1, found {describe(value)}", path)
        return int(value)

    def choice(self, value, path, choices, what) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.error(f"unknown {what} {quoted(value)}; expected one of {', '.join(choices)}", path,
                             hint=close_name(value, choices))
        return value

    def take(self, count: int, path) -> None:
        """Count ``count`` more weights; refuse a network larger than MAX_WEIGHTS
        before its arrays are made (``size: 100000`` with ``W: 1`` broadcasts)."""
        self.weights += count
        if self.weights > MAX_WEIGHTS:
            raise self.error(f"the network has more than {MAX_WEIGHTS:,} weights, the limit for a spec "
                             f"(this one alone needs {count:,})", path)

    def vector(self, value, path, size: int, what="vector") -> Array:
        """A length-``size`` vector; a single number broadcasts."""
        self.take(size, path)
        if isinstance(value, list):
            if len(value) != size or any(isinstance(v, list) for v in value):
                raise self.error(f"expected a {what} of {size} number{'s' if size != 1 else ''} "
                                 f"(or one number for all), found {_shape_text(value)}", path)
            return np.array([self.number(v, path + (i,)) for i, v in enumerate(value)], dtype=np.float64)
        return np.full(size, self.number(value, path), dtype=np.float64)

    def matrix(self, value, path, rows: int, cols: int, why: str = "") -> Array:
        """A rows × cols matrix; a number broadcasts; a flat list is the row of a 1-row matrix."""
        expected = (f"expected a {rows}×{cols} matrix ({rows} row{'s' if rows != 1 else ''} "
                    f"of {cols} number{'s' if cols != 1 else ''}{why}), or one number for every weight")
        self.take(rows * cols, path)
        if not isinstance(value, list):
            return np.full((rows, cols), self.number(value, path), dtype=np.float64)
        if value and not any(isinstance(v, list) for v in value):
            if rows == 1 and len(value) == cols:
                return np.array([[self.number(v, path + (i,)) for i, v in enumerate(value)]])
            raise self.error(f"{expected}; found {_shape_text(value)}", path)
        if len(value) != rows or not all(isinstance(row, list) and len(row) == cols for row in value):
            raise self.error(f"{expected}; found {_shape_text(value)}", path)
        return np.array([[self.number(v, path + (i, j)) for j, v in enumerate(row)]
                         for i, row in enumerate(value)], dtype=np.float64)


def _shape_text(value) -> str:
    if not isinstance(value, list):
        return describe(value)
    if value and all(isinstance(row, list) for row in value):
        lengths = sorted({len(row) for row in value})
        rows = f"{len(value)} row{'s' if len(value) != 1 else ''}"
        if len(lengths) == 1:
            return f"{rows} of {lengths[0]}"
        return f"{rows} of {'/'.join(map(str, lengths))} numbers (ragged)"
    if not value:
        return "an empty list"
    if any(isinstance(v, list) for v in value):
        return "a mix of numbers and lists"
    return f"a list of {len(value)} number{'s' if len(value) != 1 else ''}"


def _lexicon(r: _Reader, value) -> Lexicon:
    path = ("lexicon",)
    if isinstance(value, list):
        value = {"words": value}
    data = r.mapping(value, path, "a mapping with 'words' (and optionally 'other')", {"words", "other"}, ("words",))
    words = data["words"]
    if isinstance(words, str):
        words = words.split()
    if not isinstance(words, list) or not words:
        raise r.error(f"expected a list of words, found {describe(words)}", path + ("words",))
    seen = set()
    for i, word in enumerate(words):
        if not isinstance(word, (str, int, float)) or isinstance(word, bool):
            raise r.error(f"expected a word, found {describe(word)}", path + ("words", i))
        if str(word) in seen:
            raise r.error(f"the word {str(word)!r} is listed twice", path + ("words", i))
        seen.add(str(word))
    other = data.get("other", False)
    if not isinstance(other, bool):
        raise r.error(f"expected true or false, found {describe(other)}", path + ("other",))
    return Lexicon(tuple(str(w) for w in words), other)


def _inputs(r: _Reader, value, lexicon: Optional[Lexicon], path) -> Tuple[Array, Optional[Tuple[str, ...]]]:
    if lexicon is not None:
        words = value.split() if isinstance(value, str) else value
        if not isinstance(words, list) or not words:
            raise r.error(f"expected a list of words or a sentence, found {describe(value)}", path)
        tokens = []
        known = set(lexicon.words)
        for i, word in enumerate(words):
            if isinstance(word, bool) or not isinstance(word, (str, int, float)):
                raise r.error(f"expected a word, found {describe(word)}", path + (i,))
            word = str(word)
            if word not in known and not lexicon.other:
                shown = ", ".join(lexicon.words[:12]) + (f", … {len(lexicon.words):,} words in all"
                                                         if len(lexicon.words) > 12 else "")
                raise r.error(f"the word {quoted(word)} is not in the lexicon ({shown}) "
                              "and the lexicon has no 'other' dimension", path + (i,),
                              hint=close_name(word, lexicon.words))
            tokens.append(word)
        if len(tokens) * lexicon.size > MAX_WEIGHTS:
            raise r.error(f"{len(tokens):,} words, each {lexicon.size:,} numbers long (1-of-N), make "
                          f"{len(tokens) * lexicon.size:,} input numbers; the limit is {MAX_WEIGHTS:,}", path)
        return lexicon.encode(tokens), tuple(tokens)
    if isinstance(value, dict):
        return _inputs_file(r, value, path), None
    if isinstance(value, str):
        raise r.error("expected a list of time steps (numbers or lists of numbers); "
                      "words need a 'lexicon'", path)
    if not isinstance(value, list) or not value:
        raise r.error(f"expected a non-empty list of time steps, found {describe(value)}", path)
    if all(not isinstance(v, list) for v in value):
        for i, v in enumerate(value):
            if isinstance(v, str) and not is_number_text(v):
                raise r.error(f"expected a number, found the word {v!r}; words need a 'lexicon' "
                              "(lexicon: {words: [...], other: true})", path + (i,))
        return np.array([[r.number(v, path + (i,))] for i, v in enumerate(value)]), None
    width = None
    rows = []
    for i, step in enumerate(value):
        if not isinstance(step, list):
            raise r.error(f"expected a list of numbers for this step (like the others), found {describe(step)}",
                          path + (i,))
        if not step:
            raise r.error("a time step has no numbers", path + (i,))
        if width is None:
            width = len(step)
        elif len(step) != width:
            raise r.error(f"expected {width} numbers (as in step 1), found {len(step)}", path + (i,))
        if all(v.__class__ is float or v.__class__ is int for v in step):
            rows.append(step)   # plain numbers: NaN, infinity and overflow are looked for below, all at once
        else:
            rows.append([r.number(v, path + (i, j)) for j, v in enumerate(step)])
    try:
        array = np.array(rows, dtype=np.float64)
    except OverflowError:
        array = np.array([[r.number(v, path + (i, j)) for j, v in enumerate(row)] for i, row in enumerate(rows)])
    if not np.isfinite(array).all():
        i, j = (int(k) for k in np.argwhere(~np.isfinite(array))[0])
        r.number(rows[i][j], path + (i, j))   # raises, naming the place
    return array, None


#: Input files hold at most this many numbers (as many as a YAML spec may).
MAX_INPUT_VALUES = 5_000_000


def _inputs_file(r: _Reader, value: dict, path) -> Array:
    """``inputs: {file: data.npy}`` (or ``.csv``): one row per time step, one column
    per input; a 1-D array is one input per step. The name is relative to the spec's
    folder. Loaded without pickle (npy) or eval (csv), then checked like inline inputs."""
    r.keys(value, path, {"file"}, required=("file",))
    path = path + ("file",)
    name = value["file"]
    if not isinstance(name, str) or not name:
        raise r.error(f"expected the name of a .npy or .csv file, found {describe(name)}", path)
    file = FilePath(name)
    if not file.is_absolute() and r.folder is not None:
        file = r.folder / file
    suffix = file.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise r.error(f"{name}: expected a .npy or .csv file of numbers", path)
    try:
        array = _read_npy(r, file, name, path) if suffix == ".npy" else _read_csv(r, file, name, path)
    except FileNotFoundError:
        raise r.error(f"{name}: file not found (looked for {file})", path) from None
    except IsADirectoryError:
        raise r.error(f"{name}: is a directory, not a file of inputs", path) from None
    except UnicodeDecodeError as exc:
        raise r.error(f"{name}: not a text file: byte {exc.start} is not UTF-8", path) from None
    except (OSError, ValueError) as exc:
        what = str(exc).split("\n")[0].split(";")[0].rstrip(".") or type(exc).__name__
        raise r.error(f"{name}: cannot read it as {suffix[1:]} numbers ({what})", path) from None
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise r.error(f"{name}: expected one row per time step (2 dimensions), found {array.ndim} "
                      f"dimensions {tuple(array.shape)}", path)
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise r.error(f"{name}: expected a non-empty list of time steps, found shape {tuple(array.shape)}", path)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        t, j = bad[0]
        what = "NaN" if np.isnan(array[t, j]) else "infinity"
        raise r.error(f"{name}: step {t + 1}, input {j + 1}: expected a finite number, found {what}", path)
    return array


def _read_npy(r: _Reader, file: FilePath, name: str, path) -> Array:
    with open(file, "rb") as stream:
        major, _ = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(stream)   # only the header: shape and type before any data
        count = int(np.prod(shape))
        if dtype.kind not in "iuf":
            found = "Python objects (never loaded: no pickle)" if dtype.kind == "O" else f"the type {dtype}"
            raise r.error(f"{name}: expected an array of numbers, found {found}", path)
        if count > MAX_INPUT_VALUES:
            raise r.error(f"{name}: {count:,} numbers; input files are limited to {MAX_INPUT_VALUES:,}", path)
    return np.asarray(np.load(file, allow_pickle=False), dtype=np.float64)


def _read_csv(r: _Reader, file: FilePath, name: str, path) -> Array:
    """Comma-separated numbers, one row per step; ``#`` comments, blank lines and one
    header line of column names are skipped. Each field goes through float(), nothing else."""
    limit = 32 * MAX_INPUT_VALUES
    with open(file, "rb") as stream:   # at most the limit: a device or pipe may never end
        raw = read_limited(stream, limit)
    if len(raw) > limit:
        raise r.error(f"{name}: the file is too large; input files are limited to {MAX_INPUT_VALUES:,} numbers",
                      path)
    rows: List[List[float]] = []
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [field.strip() for field in line.split(",")]
        try:
            row = [float(field) for field in fields]
        except ValueError:
            if not rows and not any(_is_number(field) for field in fields):
                continue   # a header line of column names
            field = next(f for f in fields if not _is_number(f))
            shown = repr(field) if len(field) <= 20 else repr(field[:20]) + "…"   # not whole lines of any file
            raise r.error(f"{name}: line {number}: expected a number, found {shown}", path) from None
        if rows and len(row) != len(rows[0]):
            raise r.error(f"{name}: line {number}: expected {len(rows[0])} numbers (as in the first row), "
                          f"found {len(row)}", path)
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _layer_names(r: _Reader, items: list) -> List[str]:
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
                              f"found {describe(given)}", ("layers", i, "name"))
            names.append(given)
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


_COMMON = {"name", "type", "size"}
_ALLOWED = {
    "elman": _COMMON | {"W", "U", "b", "activation", "initial"},
    "jordan": _COMMON | {"W", "U", "b", "activation", "initial", "output"},
    "lstm": _COMMON | set(LSTM_BLOCKS) | {"activation", "cell_activation", "gate_activation", "initial", "packed"},
    "gru": _COMMON | set(GRU_BLOCKS) | {"activation", "gate_activation", "initial", "packed"},
    "dense": _COMMON | {"W", "b", "activation", "labels"},
    "bidirectional": {"name", "type", "forward", "backward", "merge"},
}

_NEEDED = {
    "W": "the input weights 'W' (one row per unit, one column per input, or one number for all)",
    "U": "the memory weights 'U' (one row per unit, one column per value in memory, or one number for all)",
    "output": "'output', the output layer (a mapping with size, W, b, activation)",
}


class _Fields:
    """The weights and settings of one layer (or one block of a gated layer), read
    from its mapping ``data`` at ``path``: ``size`` units fed by ``size_in`` inputs.
    ``why`` says where ``size_in`` comes from, for a W of the wrong shape."""

    def __init__(self, r: _Reader, data: dict, path: tuple, size: int, size_in: int, why: str):
        self.r, self.data, self.path = r, data, path
        self.size, self.size_in, self.why = size, size_in, why

    def given(self, key: str) -> bool:
        return self.data.get(key) is not None

    def need(self, key: str):
        if not self.given(key):
            raise self.r.error(f"missing {_NEEDED.get(key, repr(key))}", self.path)
        return self.data[key]

    def W(self) -> Array:
        """The input weights: one row per unit, one column per input."""
        return self.r.matrix(self.need("W"), self.path + ("W",), self.size, self.size_in, self.why)

    def U(self, memory: int, why: str) -> Array:
        """The memory weights: one row per unit, one column per value held in memory."""
        return self.r.matrix(self.need("U"), self.path + ("U",), self.size, memory, why)

    def vector(self, key: str, what: str, size: Optional[int] = None) -> Optional[Array]:
        """A vector of ``size`` (the layer's units by default), None when not given."""
        if not self.given(key):
            return None
        return self.r.vector(self.data[key], self.path + (key,), self.size if size is None else size, what)

    def b(self) -> Array:
        return self.r.vector(self.data.get("b", 0), self.path + ("b",), self.size, "bias")

    def activation(self, key: str, default: str, choices=ACTIVATIONS) -> str:
        return self.r.choice(self.data.get(key, default), self.path + (key,), choices, "activation")


def _layer(r: _Reader, item, path, name: str, size_in: int, allow, why: str = "") -> Layer:
    data = r.mapping(item, path, "a layer (a mapping with 'type' and 'size')")
    if "type" not in data:
        raise r.error(f"missing 'type'; expected one of {', '.join(allow)}", path)
    kind = r.choice(data["type"], path + ("type",), allow, "layer type")
    r.keys(data, path, _ALLOWED[kind], required=() if kind == "bidirectional" else ("size",))
    if kind == "bidirectional":
        return _bidirectional(r, data, path, name, size_in, why)
    fields = _Fields(r, data, path, r.count(data["size"], path + ("size",)), size_in, why)
    if kind in ("lstm", "gru"):
        return _gated(fields, name, kind)
    return {"dense": _dense, "elman": _elman, "jordan": _jordan}[kind](fields, name)


def _bidirectional(r: _Reader, data: dict, path, name: str, size_in: int, why: str) -> Bidirectional:
    merge = r.choice(data.get("merge", "concat"), path + ("merge",), MERGES, "merge")
    for key in ("forward", "backward"):
        if key not in data:
            raise r.error(f"missing '{key}': a recurrent layer ({', '.join(RECURRENT_TYPES)})", path)
    fwd = _layer(r, data["forward"], path + ("forward",), "forward", size_in, RECURRENT_TYPES, why)
    bwd = _layer(r, data["backward"], path + ("backward",), "backward", size_in, RECURRENT_TYPES, why)
    if merge != "concat" and fwd.output_size != bwd.output_size:
        raise r.error(f"merge '{merge}' needs both directions of one size; "
                      f"found {fwd.output_size} and {bwd.output_size}", path + ("merge",))
    return Bidirectional(name, fwd, bwd, merge)


def _dense(f: _Fields, name: str) -> Dense:
    labels = None
    if f.given("labels"):
        labels = f.data["labels"]
        if not isinstance(labels, list) or len(labels) != f.size or \
                not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in labels):
            raise f.r.error(f"expected {f.size} labels, one per unit, found {describe(labels)}",
                            f.path + ("labels",))
        labels = tuple(str(x) for x in labels)
    return Dense(name, f.size, f.size_in, W=f.W(), b=f.b(),
                 activation=f.activation("activation", "linear", OUTPUT_ACTIVATIONS), labels=labels)


def _elman(f: _Fields, name: str) -> Elman:
    return Elman(name, f.size, f.size_in, W=f.W(), U=f.U(f.size, f"; memory holds the {f.size} hidden values"),
                 b=f.b(), activation=f.activation("activation", "tanh"),
                 initial=f.vector("initial", "starting memory"))


def _jordan(f: _Fields, name: str) -> Jordan:
    r, out_path = f.r, f.path + ("output",)
    out = r.mapping(f.need("output"), out_path, "the output layer: a mapping with size, W, b, activation",
                    {"size", "W", "b", "activation", "labels"}, ("size",))
    output = _layer(r, dict(out, type="dense"), out_path, "output", f.size, ("dense",),
                    f"; {f.size} = the hidden size")
    return Jordan(name, f.size, f.size_in, W=f.W(),
                  U=f.U(output.size, f"; memory holds the {output.size} outputs of the last step"),
                  b=f.b(), output=output, activation=f.activation("activation", "tanh"),
                  initial=f.vector("initial", "starting memory", output.size))


def _gated(f: _Fields, name: str, kind: str) -> Union[LSTM, GRU]:
    r, size = f.r, f.size
    names = LSTM_BLOCKS if kind == "lstm" else GRU_BLOCKS
    blocks = {}
    packing = None
    if f.given("packed"):
        given = [block for block in names if block in f.data]
        if given:
            raise r.error(f"the weights are given twice: in 'packed' and as the block '{given[0]}'; "
                          "give one of them", f.path + (given[0],), at_key=True)
        from .packing import read_packed
        parts, packing = read_packed(r, f.data["packed"], f.path + ("packed",), size, f.size_in, f.why,
                                     PACKED_GATES[kind], PACKED_ORDERS[kind], PACKED_SECOND_BIAS[kind])
        blocks = {block: Block(W=parts[block]["W"], b=parts[block]["b"], U=parts[block].get("U"),
                               b_h=parts[block].get("b_h")) for block in names}
    for block in names if packing is None else ():
        if block not in f.data:
            raise r.error(f"missing the block '{block}' ({kind} needs {', '.join(names)})", f.path,
                          hint=close_name(block, [k for k in f.data if k not in _ALLOWED[kind]]))
        bpath = f.path + (block,)
        bdata = r.mapping(f.data[block], bpath, "a mapping of weights {W, U, b}")
        peephole = kind == "lstm" and block != "cell_input"
        if kind == "lstm" and not peephole and "P" in bdata:
            raise r.error("a peephole P belongs to the gates (input_gate, forget_gate, output_gate), "
                          "not to cell_input", bpath + ("P",), at_key=True)
        allowed = {"W", "U", "b"} | ({"P"} if peephole else set()) | ({"b_h"} if kind == "gru" else set())
        r.keys(bdata, bpath, allowed, required=("W",))
        weights = _Fields(r, bdata, bpath, size, f.size_in, f.why)
        blocks[block] = Block(
            W=weights.W(),
            U=weights.U(size, f"; the recurrent input is the {size} outputs h") if weights.given("U") else None,
            b=weights.b(), P=weights.vector("P", "peephole"), b_h=weights.vector("b_h", "bias"))
    if kind == "gru":
        return GRU(name, size, f.size_in, blocks, activation=f.activation("activation", "tanh"),
                   gate_activation=f.activation("gate_activation", "sigmoid"),
                   initial=f.vector("initial", "starting memory"), packed=packing)
    c0 = h0 = None
    if f.given("initial"):
        ipath = f.path + ("initial",)
        init = _Fields(r, r.mapping(f.data["initial"], ipath, "a mapping {c: …, h: …}", {"c", "h"}),
                       ipath, size, 0, "")
        c0, h0 = init.vector("c", "cell"), init.vector("h", "output")
    return LSTM(name, size, f.size_in, blocks, activation=f.activation("activation", "tanh"),
                cell_activation=f.activation("cell_activation", "tanh"),
                gate_activation=f.activation("gate_activation", "sigmoid"), initial_c=c0, initial_h=h0,
                packed=packing)


def _train(r: _Reader, value, output: Layer, steps: int) -> Train:
    path = ("train",)
    data = r.mapping(value, path, "a mapping with 'targets' and 'loss'",
                     {"targets", "loss", "clip", "learning_rate"}, ("targets",))
    loss = data.get("loss", "squared_error")
    loss = LOSS_ALIASES.get(loss, loss) if isinstance(loss, str) else loss
    loss = r.choice(loss, path + ("loss",), LOSSES, "loss")
    head = output.output if output.type == "jordan" else output   # a Jordan layer ends in its output
    labels = getattr(head, "labels", None)
    if loss == "cross_entropy" and getattr(head, "activation", None) != "softmax":
        raise r.error("cross_entropy needs a softmax output layer (a dense layer with activation: softmax)",
                      path + ("loss",))

    raw = data["targets"]
    tpath = path + ("targets",)
    if not isinstance(raw, list) or len(raw) != steps:
        raise r.error(f"expected {steps} targets, one per step (null for a step without one), "
                      f"found {describe(raw)}", tpath)
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
            elif isinstance(target, (int, float)) and not isinstance(target, bool) \
                    and target == int(target) and 0 <= target < size:
                targets.append(int(target))
            else:
                raise r.error(f"expected a label or a unit index from 0 to {size - 1}, found {describe(target)}",
                              tpath + (i,))
        else:
            targets.append(r.vector(target, tpath + (i,), size, "target"))
    if all(t is None for t in targets):
        raise r.error("every target is null: at least one step needs a target", tpath)

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
    return Train(tuple(targets), loss, clip, rate)
