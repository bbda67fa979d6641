"""The model a spec describes: its input sequence, its layers (each a frozen record
of float64 arrays, defined in its home in rnntrace.layers; rnntrace/records.py) and its training block.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

import numpy as np

from .inputs import Lexicon, read_inputs
from .records import record, replace
from .yamlsource import Document

LOSSES = ("squared_error", "cross_entropy")
LOSS_ALIASES = {"mse": "squared_error"}

Array = np.ndarray


def parameter_count(layer) -> int:
    return int(sum(v.size for v in layer.parameters().values()))


@record
class Train:
    """The training block: targets per step and the loss (or upstream gradients given
    directly), clipping and the learning rate."""

    targets: Tuple[Any, ...]          # per step: None, a float64 vector, or a unit index
    loss: str = "squared_error"       # or "upstream" (then every target is None)
    clip: Optional[Tuple[str, float]] = None   # ("norm", θ) or ("value", θ)
    learning_rate: Optional[float] = None
    #: layer name → {"h" | "c" | "y" → one gradient per step (None for none)}
    upstream: Optional[Mapping[str, Mapping[str, Tuple[Optional[Array], ...]]]] = None


@record
class Spec:
    """A whole validated spec: the input sequence and the layers it runs through."""

    inputs: Array                     # T × input_size, float64
    layers: Tuple[Any, ...]
    title: Optional[str] = None
    tokens: Optional[Tuple[str, ...]] = None
    lexicon: Optional[Lexicon] = None
    train: Optional[Train] = None
    source: str = "<spec>"
    document: Optional[Document] = None

    __record_hidden__ = ("document",)   # not in its repr: the YAML's data and places

    @property
    def input_size(self) -> int:
        return int(self.inputs.shape[1])

    @property
    def dtype(self) -> str:
        """What the spec's numbers are and its run computes in: "float64", or "float32"
        after ``engine.precision.cast``."""
        return self.inputs.dtype.name

    @property
    def output_layer(self):
        return self.layers[-1]

    def layer(self, name: str):
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def with_inputs(self, inputs: Any, source: str = "<inputs>") -> "Spec":
        """The same network on other inputs (numbers, or words with a lexicon): plain
        data, or a parsed Document, whose errors then point at their line and column;
        ``source`` names plain data in errors (the command line passes a Document named
        after its option)."""
        doc = (inputs if isinstance(inputs, Document) else Document(inputs, None, source)).nested("inputs")
        from .fields import Reader
        encoded, tokens = read_inputs(Reader(doc), doc.data["inputs"], self.lexicon, ("inputs",))
        if encoded.shape[1] != self.input_size:
            raise doc.error(f"expected steps of {self.input_size} numbers, found {encoded.shape[1]}", ("inputs",))
        return replace(self, inputs=encoded.astype(self.inputs.dtype, copy=False), tokens=tokens)

