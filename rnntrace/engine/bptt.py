"""Backpropagation through time: dL/dθ for every weight, from the forward records.

The network is unrolled over the T steps of the sequence; L is a sum over steps, so
the chain rule runs from the last step to the first, and each layer from the top
(the output) down. A layer gets dL/d(its output at t) for every t from the layer above
(or the loss), walks t = T … 1 carrying the gradient that flows through its memory,
and hands dL/d(its input at t) to the layer below.

Each layer type's backward pass sits beside its forward step, in its home
(rnntrace/layers/<type>.py), under the same equations, derived by
rnntrace.layers.autodiff. Here: the loss at the output and the walk down the layers.

Besides the weights' gradients the walk gives dL/dx_t (what the first layer hands
down: the gradient of the network's input at every step) and, for every recurrent
layer, dL/d(each memory's initial value) (what its walk hands back from step 1).

Instead of a loss, ``train.upstream`` may give gradients directly: for a layer's
output (h, or y) at step t, added to what comes from above, and for an LSTM's cell
c_t, added to what flows back into it. They are the gradients of the scalar

    L = Σ_t Σ_(layer, q) g_q,t · q_t     (g: the given gradient, q_t the quantity it is for)

which is the loss reported (CS231n's gradient checks use the same sum).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..gradients import Gradients, LayerGrad, StepGrad
from ..layers import composite, reads_backwards
from . import clipping, losses
from .parameters import parameters

Array = np.ndarray


def layer_backward(layer, records, d_out, xs, dz_loss=None, upstream=None):
    """(parameter gradients keyed like ``layer.parameters()``, dL/d(input_t) for every t,
    one LayerGrad per step, dL/d(initial value) of each memory), from the layer's
    records and dL/d(output_t), t = 1 … T. ``dz_loss`` (the output layer,
    cross-entropy) is the loss's dL/dz at its softmax; ``upstream`` the gradients
    given for the layer's memories that are not its output (an LSTM's c), per step."""
    home = layer.home
    if reads_backwards(layer):   # it ran on x_T … x_1: its BPTT walks t = 1 … T, on the reversed lists
        flip = lambda values: None if values is None else list(values)[::-1]  # noqa: E731
        grads, dxs, steps, initial = layer_backward(
            dataclasses.replace(layer, direction="forward"), flip(records), flip(d_out), flip(xs),
            flip(dz_loss), upstream and {key: flip(v) for key, v in upstream.items()})
        return grads, dxs[::-1], steps[::-1], initial
    if composite(layer):   # both directions' BPTT, under the merged dL/dh
        grads, dxs, d_merged, s_f, s_b, initial = home.backward(layer, records, d_out, xs, layer_backward)
        steps = [LayerGrad(layer.type, {"dh": d}, parts={"forward": f, "backward": b})
                 for d, f, b in zip(d_merged, s_f, s_b)]
        return grads, dxs, steps, initial
    extra = {} if dz_loss is None else {"dz_loss": dz_loss}
    if upstream:
        extra["upstream"] = upstream
    grads, dxs, shown, initial = home.backward(layer, records, d_out, xs, **extra)
    return grads, dxs, [LayerGrad(layer.type, values, gates) for values, gates in shown], initial


def add_upstream(records, d_out, given):
    """``d_out`` with the upstream gradients given for the layer's output added, and
    the others (for memories that are not the output: an LSTM's c), per key."""
    if not given:
        return d_out, None
    d_out = list(d_out)
    inner = {}
    for key, per_step in given.items():
        if getattr(records[0], key) is records[0].output:
            d_out = [d if g is None else d + g for d, g in zip(d_out, per_step)]
        else:
            inner[key] = per_step
    return d_out, inner


# --------------------------------------------------------------------------- the whole network

def output_gradients(spec, trace, train) -> Tuple[List[float], List[Array], Optional[List[Optional[Array]]]]:
    """Each step's loss and dL/dy_t of the network's output; for cross-entropy, also
    dL/dz_t at the output's softmax (None where a step has no target), which the
    output layer uses instead of dL/dy_t (see losses)."""
    out_layer = spec.layers[-1]
    step_losses: List[float] = []
    dys: List[Array] = []
    dz_loss: Optional[List[Optional[Array]]] = None
    if train.loss == "upstream":
        return upstream_losses(spec, trace, train.upstream), [np.zeros_like(step.y) for step in trace], None
    if train.loss == "cross_entropy":
        dz_loss = [None] * len(trace)
    for t, (step, target) in enumerate(zip(trace, train.targets)):
        y = step.y
        if target is None:
            loss, dy = y.dtype.type(0.0), np.zeros_like(y)
        elif dz_loss is None:
            loss, dy = losses.squared_error(y, target)
        else:
            record = step.layers[out_layer.name]
            z = out_layer.home.logits(record)   # the softmax's input
            loss, dy, dz_loss[t] = losses.cross_entropy(z, y, target)
        step_losses.append(loss)
        dys.append(dy)
    return step_losses, dys, dz_loss


def upstream_losses(spec, trace, upstream) -> List[float]:
    """Each step's share of L = Σ_t Σ g_q,t · q_t (see the module doc)."""
    losses = []
    for step in trace:
        total = step.y.dtype.type(0.0)
        for name, given in upstream.items():
            record = step.layers[name]
            for key, per_step in given.items():
                if per_step[step.t - 1] is not None:
                    total = total + per_step[step.t - 1] @ getattr(record, key)
        losses.append(total)
    return losses


def total_loss(step_losses) -> float:
    """L = Σ_t L_t: in float64 exactly rounded (math.fsum); in a float32 run added in
    float32 from t = 1 to T, as a training loop adds them."""
    if step_losses and all(isinstance(v, np.float32) for v in step_losses):
        total = np.float32(0.0)
        for value in step_losses:
            total = total + value
        return total
    try:
        return math.fsum(step_losses)
    except OverflowError:   # finite per-step losses whose sum passes float64's range
        return math.inf
    except ValueError:   # inf − inf inside the sum
        return math.nan


def backprop(spec, trace=None, *, clip: Optional[Tuple[str, float]] = None,
             learning_rate: Optional[float] = None, dtype: Optional[str] = None) -> Gradients:
    """Run the spec (unless ``trace`` is given), then BPTT over the whole sequence with
    the spec's ``train`` block; clip with ``clip`` and take one step of ``learning_rate``
    when given (the caller decides whether those come from the spec or elsewhere).
    ``dtype`` "float32" computes everything in float32 (precision.cast), forward and
    backward; by default the spec's own type, float64."""
    train = spec.train
    if train is None:
        raise ValueError("the spec has no 'train' block")
    if dtype is not None:
        from .precision import cast
        spec = cast(spec, dtype)
        train = spec.train
        if trace is not None and trace.spec.dtype != spec.dtype:
            raise ValueError(f"the trace was computed in {trace.spec.dtype}, not {spec.dtype}")
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
    initial: Dict[str, Dict] = {}
    upstream = train.upstream or {}
    d_out: List[Array] = dys
    for index in range(len(spec.layers) - 1, -1, -1):
        layer = spec.layers[index]
        records = [step.layers[layer.name] for step in trace]
        given = dz_loss if index == len(spec.layers) - 1 else None
        d_out, inner = add_upstream(records, d_out, upstream.get(layer.name))
        layer_grads, d_out, layer_steps, layer_initial = layer_backward(layer, records, d_out, inputs[index],
                                                                        given, inner)
        grads.update({f"{layer.name}.{k}": v for k, v in layer_grads.items()})
        per_layer_steps[layer.name] = layer_steps
        if layer_initial:
            initial[layer.name] = layer_initial
    initial = {layer.name: initial[layer.name] for layer in spec.layers if layer.name in initial}
    dxs = d_out   # what the first layer handed down: dL/dx_t

    params = parameters(spec)
    grads = {k: grads[k] for k in params}   # layer order, as in the spec
    last = spec.layers[-1]
    labels = getattr(last.home.head(last) or last, "labels", None)
    steps = []
    for t in range(T - 1, -1, -1):
        target = train.targets[t]
        label = labels[target] if labels and train.loss == "cross_entropy" and target is not None else None
        given = {name: {key: values[t] for key, values in per_key.items() if values[t] is not None}
                 for name, per_key in upstream.items()}
        given = {name: values for name, values in given.items() if values}
        steps.append(StepGrad(t + 1, step_losses[t], target, dys[t],
                              {layer.name: per_layer_steps[layer.name][t] for layer in spec.layers}, label,
                              dx=dxs[t], upstream=given or None))

    result = Gradients(spec=spec, loss_function=train.loss, loss=total_loss(step_losses), steps=steps,
                       gradients=grads, parameters=params, norm=clipping.global_norm(grads), initial=initial)
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

