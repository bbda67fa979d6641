"""Backpropagation through time as plain data: what ``rnntrace grad`` and
``rnntrace surface`` computed.

The engine (``rnntrace.engine.bptt``) fills these dataclasses with float64 arrays;
:meth:`Gradients.to_dict` and :meth:`Surface.to_dict` are the one place they become
JSON-ready lists, in the field names of the ``rnntrace.grad/1`` format (DESIGN §4).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

FORMAT = "rnntrace.grad/1"
SURFACE_FORMAT = "rnntrace.surface/1"
Array = np.ndarray


def to_json(value) -> Any:
    """A float64 array (any shape) or number as nested lists; non-finite → null. A
    float32 one as its float32 numbers (trace.float32_values: 0.1, not 0.10000000149011612)."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return to_json(value[()])
        if value.dtype == np.float32:
            from .trace import float32_values
            return to_json(np.array(float32_values(value)).reshape(value.shape))
        if np.isfinite(value).all():
            return value.tolist()
        return [to_json(v) for v in value]
    if isinstance(value, np.float32):
        value = float(str(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


@dataclass(frozen=True, eq=False)
class LayerGrad:
    """One layer's backward record at one step.

    ``values`` holds dL/d(quantity) vectors in the order they are computed going
    backwards (e.g. ``dh_out``, ``dh_next``, ``dh``, ``dc``); ``gates`` maps each gate
    to ``{"da": dL/da, "dz": dL/dz}``; a bidirectional layer has ``parts`` (its
    ``forward`` and ``backward`` records) and its merged ``dh`` in ``values``.
    """

    type: str
    values: Mapping[str, Array]
    gates: Optional[Mapping[str, Mapping[str, Array]]] = None
    parts: Optional[Mapping[str, "LayerGrad"]] = None

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {}
        if self.parts is not None:
            for name, part in self.parts.items():
                data[name] = part.to_dict()
        for name, value in self.values.items():
            data[name] = to_json(value)
        if self.gates is not None:
            data["gates"] = {g: {k: to_json(v) for k, v in parts.items()} for g, parts in self.gates.items()}
        return data


@dataclass(frozen=True, eq=False)
class StepGrad:
    """The backward pass at step t: the loss there and every layer's record."""

    t: int                         # 1-based
    loss: float                    # this step's share of L (0 without a target)
    target: Any                    # None, a float64 vector, or a unit index
    dy: Array                      # dL/dy_t of the network's output, from this step's loss
    layers: Mapping[str, LayerGrad]
    label: Optional[str] = None    # the target's label (cross_entropy with labels)
    dx: Optional[Array] = None     # dL/dx_t: the gradient of the network's input at this step
    upstream: Optional[Mapping[str, Mapping[str, Array]]] = None   # given: layer → {h, c, y} → g

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"t": self.t, "loss": to_json(self.loss)}
        if isinstance(self.target, np.ndarray):
            data["target"] = to_json(self.target)
        else:
            data["target"] = self.target
        if self.label is not None:
            data["label"] = self.label
        data["dy"] = to_json(self.dy)
        if self.upstream is not None:
            data["upstream"] = {name: {k: to_json(v) for k, v in given.items()}
                                for name, given in self.upstream.items()}
        data["layers"] = {name: record.to_dict() for name, record in self.layers.items()}
        if self.dx is not None:
            data["dx"] = to_json(self.dx)
        return data


@dataclass(eq=False)
class Gradients:
    """dL/dθ for every parameter θ of a spec, the global norm, clipping and one step."""

    spec: Any
    loss_function: str                      # squared_error | cross_entropy | upstream
    loss: float                              # L, summed over steps
    steps: List[StepGrad]                    # from the last step to the first
    gradients: Dict[str, Array]              # name → dL/dθ, θ's full shape
    parameters: Dict[str, Array]             # name → θ
    norm: float                              # global L2 norm of every gradient
    clip: Optional[Tuple[str, float]] = None  # ("norm", θ) or ("value", θ)
    clipped: Optional[Dict[str, Array]] = None
    clipped_norm: Optional[float] = None     # the norm after clipping
    clip_scale: Optional[float] = None       # by norm: the factor applied (1 when ‖g‖ ≤ θ)
    clipped_entries: Optional[int] = None    # how many entries clipping changed
    learning_rate: Optional[float] = None
    updated: Optional[Dict[str, Array]] = None
    #: dL/d(initial value) of each memory of each recurrent layer: {layer: {"h": …, "c": …}},
    #: {layer: {"forward": {…}, "backward": {…}}} for a bidirectional one
    initial: Dict[str, Dict[str, Any]] = field(default_factory=dict)

    @property
    def dtype(self) -> str:
        return getattr(self.spec, "dtype", "float64")

    @property
    def applied(self) -> Dict[str, Array]:
        """The gradient the update uses: the clipped one when clipping is on."""
        return self.clipped if self.clipped is not None else self.gradients

    @property
    def entries(self) -> int:
        """How many numbers the gradient has: the length of the vector whose norm is ``norm``."""
        return sum(int(g.size) for g in self.gradients.values())

    @property
    def steps_with_target(self) -> int:
        """How many steps the loss sums over (a step whose target is null adds nothing)."""
        return sum(1 for step in self.steps if step.target is not None)

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"format": FORMAT}
        if getattr(self.spec, "title", None) is not None:
            data["title"] = self.spec.title
        if self.dtype != "float64":   # the default is not written
            data["dtype"] = self.dtype
        data["loss_function"] = self.loss_function
        data["loss"] = to_json(self.loss)
        data["steps"] = [step.to_dict() for step in self.steps]
        if self.initial:
            data["initial"] = _nested_json(self.initial)
        data["gradients"] = {k: to_json(v) for k, v in self.gradients.items()}
        data["norm"] = to_json(self.norm)
        if self.clip is not None:
            kind, theta = self.clip
            data["clip"] = {kind: theta}
            data["clipped"] = {k: to_json(v) for k, v in self.clipped.items()}
            data["clipped_norm"] = to_json(self.clipped_norm)
            data["clipped_entries"] = self.clipped_entries
            if self.clip_scale is not None:
                data["clip_scale"] = to_json(self.clip_scale)
        if self.updated is not None:
            data["learning_rate"] = self.learning_rate
            data["parameters"] = {k: to_json(v) for k, v in self.parameters.items()}
            data["updated"] = {k: to_json(v) for k, v in self.updated.items()}
        return data


def _nested_json(value):
    if isinstance(value, Mapping):
        return {k: _nested_json(v) for k, v in value.items()}
    return to_json(value)


@dataclass(eq=False)
class Surface:
    """The loss over a sweep of one weight (``values``) or two (a grid).

    ``loss[i]`` (``loss[i][j]`` for two weights, i along the first) and the gradient
    of the loss with respect to the swept weight(s) at each point; ``norm`` is the
    global gradient norm there. With a learning rate, ``step`` is how far one plain
    gradient step moves the swept weight (Δw = −η·dL/dw), and ``clipped_step`` how far
    it moves with the gradient clipped.
    """

    spec: Any
    param: str
    values: Array
    loss: Array
    gradient: Array
    norm: Array
    param2: Optional[str] = None
    values2: Optional[Array] = None
    gradient2: Optional[Array] = None
    learning_rate: Optional[float] = None
    clip: Optional[Tuple[str, float]] = None
    step: Optional[Array] = None
    clipped_step: Optional[Array] = None
    step2: Optional[Array] = None
    clipped_step2: Optional[Array] = None
    loss_function: str = "squared_error"

    @property
    def two_d(self) -> bool:
        return self.param2 is not None

    @property
    def lowest(self) -> Tuple[int, ...]:
        """The index of the smallest finite loss."""
        finite = np.where(np.isfinite(self.loss), self.loss, np.inf)
        return tuple(int(i) for i in np.unravel_index(int(np.argmin(finite)), finite.shape))

    def to_dict(self) -> Dict[str, Any]:
        data: Dict[str, Any] = {"format": SURFACE_FORMAT}
        if getattr(self.spec, "title", None) is not None:
            data["title"] = self.spec.title
        data["loss_function"] = self.loss_function
        data["param"] = self.param
        data["values"] = to_json(self.values)
        if self.two_d:
            data["param2"] = self.param2
            data["values2"] = to_json(self.values2)
        data["loss"] = to_json(self.loss)
        data["gradient"] = to_json(self.gradient)
        if self.two_d:
            data["gradient2"] = to_json(self.gradient2)
        data["norm"] = to_json(self.norm)
        if self.learning_rate is not None:
            data["learning_rate"] = self.learning_rate
            data["step"] = to_json(self.step)
            if self.two_d:
                data["step2"] = to_json(self.step2)
            if self.clip is not None:
                kind, theta = self.clip
                data["clip"] = {kind: theta}
                data["clipped_step"] = to_json(self.clipped_step)
                if self.two_d:
                    data["clipped_step2"] = to_json(self.clipped_step2)
        return data

    def rows(self) -> List[Dict[str, Optional[float]]]:
        """One flat row per point (for CSV): the weight(s), loss, gradient(s), norm and,
        with a learning rate, the steps (the same names as in :meth:`to_dict`)."""
        columns = [("loss", self.loss), (f"dL/d{self.param}", self.gradient)]
        if self.two_d:
            columns.append((f"dL/d{self.param2}", self.gradient2))
        columns += [("norm", self.norm), ("step", self.step), ("step2", self.step2),
                    ("clipped_step", self.clipped_step), ("clipped_step2", self.clipped_step2)]
        columns = [(name, values) for name, values in columns if values is not None]
        out = []
        for at in np.ndindex(self.loss.shape):
            row = {self.param: float(self.values[at[0]])}
            if self.two_d:
                row[self.param2] = float(self.values2[at[1]])
            row.update((name, float(values[at])) for name, values in columns)
            out.append(row)
        return out
