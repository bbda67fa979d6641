"""The model a spec describes: its input sequence, its layers (each a frozen dataclass
of float64 arrays, defined in its home in rnntrace.layers) and its training block.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Tuple

import numpy as np

from .inputs import Lexicon, read_inputs
from .yamlsource import Document

LOSSES = ("squared_error", "cross_entropy")
LOSS_ALIASES = {"mse": "squared_error"}

Array = np.ndarray


def parameter_count(layer) -> int:
    return int(sum(v.size for v in layer.parameters().values()))


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
    layers: Tuple[Any, ...]
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
    def output_layer(self):
        return self.layers[-1]

    def layer(self, name: str):
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def with_inputs(self, inputs: Any, source: str = "--inputs") -> "Spec":
        """The same network on other inputs (numbers, or words with a lexicon): plain
        data, or a parsed Document, whose errors then point at their line and column."""
        doc = (inputs if isinstance(inputs, Document) else Document(inputs, None, source)).nested("inputs")
        from .fields import Reader
        encoded, tokens = read_inputs(Reader(doc), doc.data["inputs"], self.lexicon, ("inputs",))
        if encoded.shape[1] != self.input_size:
            raise doc.error(f"expected steps of {self.input_size} numbers, found {encoded.shape[1]}", ("inputs",))
        import dataclasses
        return dataclasses.replace(self, inputs=encoded, tokens=tokens)

