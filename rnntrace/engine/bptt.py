"""Backpropagation through time: dL/dθ for every weight, from the forward records.

The network is unrolled over the T steps of the sequence; L is a sum over steps, so
the chain rule runs from the last step to the first, and each layer from the top
(the output) down. A layer gets dL/d(its output at t) for every t from the layer above
(or the loss), walks t = T … 1 carrying the gradient that flows through its memory,
and hands dL/d(its input at t) to the layer below.

Each layer type's backward pass sits beside its forward step, in its home
(rnntrace/layers/<type>.py), under the same equations; the shared pieces are in
rnntrace.layers.backward. Here: the loss at the output and the walk down the layers.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..gradients import Gradients, LayerGrad, StepGrad
from . import clipping, losses
from .parameters import parameters

Array = np.ndarray


def layer_backward(layer, records, d_out, xs, dz_loss=None):
    """(parameter gradients keyed like ``layer.parameters()``, dL/d(input_t) for every t,
    one LayerGrad per step), from the layer's records and dL/d(output_t), t = 1 … T.
    ``dz_loss`` (the output layer, cross-entropy) is the loss's dL/dz at its softmax."""
    home = layer.home
    if hasattr(home, "DIRECTIONS"):   # both directions' BPTT, under the merged dL/dh
        grads, dxs, d_merged, s_f, s_b = home.backward(layer, records, d_out, xs, layer_backward)
        steps = [LayerGrad(layer.type, {"dh": d}, parts={"forward": f, "backward": b})
                 for d, f, b in zip(d_merged, s_f, s_b)]
        return grads, dxs, steps
    extra = {} if dz_loss is None else {"dz_loss": dz_loss}
    grads, dxs, shown = home.backward(layer, records, d_out, xs, **extra)
    return grads, dxs, [LayerGrad(layer.type, values, gates) for values, gates in shown]


# --------------------------------------------------------------------------- the whole network

def output_gradients(spec, trace, train) -> Tuple[List[float], List[Array], Optional[List[Optional[Array]]]]:
    """Each step's loss and dL/dy_t of the network's output; for cross-entropy, also
    dL/dz_t at the output's softmax (None where a step has no target), which the
    output layer uses instead of dL/dy_t (see losses)."""
    out_layer = spec.layers[-1]
    step_losses: List[float] = []
    dys: List[Array] = []
    dz_loss: Optional[List[Optional[Array]]] = None
    if train.loss == "cross_entropy":
        dz_loss = [None] * len(trace)
    for t, (step, target) in enumerate(zip(trace, train.targets)):
        y = step.y
        if target is None:
            loss, dy = 0.0, np.zeros_like(y)
        elif dz_loss is None:
            loss, dy = losses.squared_error(y, target)
        else:
            record = step.layers[out_layer.name]
            z = out_layer.home.logits(record)   # the softmax's input
            loss, dy, dz_loss[t] = losses.cross_entropy(z, y, target)
        step_losses.append(loss)
        dys.append(dy)
    return step_losses, dys, dz_loss


def backprop(spec, trace=None, *, clip: Optional[Tuple[str, float]] = None,
             learning_rate: Optional[float] = None) -> Gradients:
    """Run the spec (unless ``trace`` is given), then BPTT over the whole sequence with
    the spec's ``train`` block; clip with ``clip`` and take one step of ``learning_rate``
    when given (the caller decides whether those come from the spec or elsewhere)."""
    train = spec.train
    if train is None:
        raise ValueError("the spec has no 'train' block")
    if trace is None:
        from . import run
        trace = run(spec)
    # a value past float64's range becomes inf or nan (null in JSON), without numpy warnings
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _backprop(spec, trace, train, clip, learning_rate)


def _backprop(spec, trace, train, clip, learning_rate) -> Gradients:
    T = len(trace)
    step_losses, dys, dz_loss = output_gradients(spec, trace, train)

    # layer inputs: x_t for the first layer, the layer below's output above it
    inputs: List[List[Array]] = []
    current = [step.x for step in trace]
    for layer in spec.layers:
        inputs.append(current)
        current = [step.layers[layer.name].output for step in trace]

    grads: Dict[str, Array] = {}
    per_layer_steps: Dict[str, List[LayerGrad]] = {}
    d_out: List[Array] = dys
    for index in range(len(spec.layers) - 1, -1, -1):
        layer = spec.layers[index]
        records = [step.layers[layer.name] for step in trace]
        given = dz_loss if index == len(spec.layers) - 1 else None
        layer_grads, d_out, layer_steps = layer_backward(layer, records, d_out, inputs[index], given)
        grads.update({f"{layer.name}.{k}": v for k, v in layer_grads.items()})
        per_layer_steps[layer.name] = layer_steps

    params = parameters(spec)
    grads = {k: grads[k] for k in params}   # layer order, as in the spec
    last = spec.layers[-1]
    labels = getattr(last.home.head(last) or last, "labels", None)
    steps = []
    for t in range(T - 1, -1, -1):
        target = train.targets[t]
        label = labels[target] if labels and train.loss == "cross_entropy" and target is not None else None
        steps.append(StepGrad(t + 1, step_losses[t], target, dys[t],
                              {layer.name: per_layer_steps[layer.name][t] for layer in spec.layers}, label))

    result = Gradients(spec=spec, loss_function=train.loss, loss=math.fsum(step_losses), steps=steps,
                       gradients=grads, parameters=params, norm=clipping.global_norm(grads))
    if clip is not None:
        kind, theta = clip
        clipped, scale = clipping.clip(grads, kind, theta)
        result.clip = (kind, float(theta))
        result.clipped = clipped
        result.clipped_norm = clipping.global_norm(clipped)
        result.clip_scale = scale
        result.clipped_entries = clipping.changed_entries(grads, clipped)
    if learning_rate is not None:
        result.learning_rate = float(learning_rate)
        result.updated = clipping.sgd_step(params, result.applied, learning_rate)
    return result
