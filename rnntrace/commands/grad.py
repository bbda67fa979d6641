"""`rnntrace grad` and `rnntrace surface`: backpropagation through time and the loss
surface, which share the train block's options (clipping, the learning rate)."""
from __future__ import annotations

import click

from ..cli import Command
from ..errors import RnntraceError
from .common import (Choice, load, allow_file_option, write, watch_finite, write_rich, POSITIVE, WEIGHT, RANGE,
                     precision_option, steps_option, checked, complete_spec, dtype_option, in_dtype)


def _training(spec_obj, spec_arg, clip_norm, clip_value, no_clip, learning_rate, command):
    """The spec's train block, with the clip and learning rate the options ask for."""
    if spec_obj.train is None:
        raise RnntraceError(f"{spec_arg}: no 'train' block; `rnntrace {command}` needs targets, e.g. "
                            "train: {targets: [null, null, [1.0]], loss: squared_error}, or upstream "
                            "gradients, train: {upstream: {LAYER: {h: [...]}}}")
    chosen = [name for name, v in (("--clip-norm", clip_norm), ("--clip-value", clip_value),
                                   ("--no-clip", no_clip or None)) if v is not None]
    if len(chosen) > 1:
        raise RnntraceError(f"{' and '.join(chosen)}: choose one")
    clip = spec_obj.train.clip
    if clip_norm is not None:
        clip = ("norm", clip_norm)
    elif clip_value is not None:
        clip = ("value", clip_value)
    elif no_clip:
        clip = None
    rate = learning_rate if learning_rate is not None else spec_obj.train.learning_rate
    return clip, rate


def _clip_options(f):
    f = click.option("--no-clip", is_flag=True, help="Ignore the spec's clip: the plain gradient.")(f)
    f = click.option("--clip-value", type=POSITIVE, default=None, metavar="θ",
                     help="Clip every gradient entry to [−θ, θ] (instead of the spec's clip).")(f)
    f = click.option("--clip-norm", type=POSITIVE, default=None, metavar="θ",
                     help="Rescale the gradient to length θ when its global L2 norm is above θ.")(f)
    f = click.option("--learning-rate", type=POSITIVE, default=None, metavar="η",
                     help="Take one step w − η·g for every weight w (instead of the spec's learning_rate).")(f)
    return f


@click.command(cls=Command)
@click.argument("spec", shell_complete=complete_spec)
@click.option("--format", "fmt", type=Choice(["table", "json"]), default="table", show_default=True,
              help="table for people; json (rnntrace.grad/1) for other tools.")
@click.option("--explain", is_flag=True, help="Write out the chain rule for every quantity shown.")
@_clip_options
@steps_option("Show the backward tables of these steps only: 5, 995:1000, or a list such as 1,3:4.  "
              "[default: all, or the last 3 of a long sequence]")
@precision_option("Decimals shown in tables (display only; JSON is always exact).")
@click.option("--indent", type=click.IntRange(0, 8), default=None, help="Indent JSON output by this many spaces.")
@dtype_option
@allow_file_option
def grad(spec, fmt, explain, learning_rate, clip_norm, clip_value, no_clip, steps, precision, indent, dtype):
    """Backpropagation through time over SPEC's sequence, with its `train` block.

    Shows, from the last step to the first, dL/dy, dL/dh, dL/dc, each gate's dL/dz
    and dL/dx of the network's input; then dL/d(initial state) of every recurrent
    layer, every weight's gradient in its full shape, the global norm, what clipping
    changed, and the weights after one gradient step. Instead of targets and a loss,
    the train block may give upstream gradients (train: {upstream: {LAYER: {h: …}}}).

    \b
    Examples:
      rnntrace grad many_to_one.yaml --explain
      rnntrace grad clip_norm.yaml --no-clip          # the step that jumps far
      rnntrace grad clip_norm.yaml                    # the same step, clipped
      rnntrace grad slot_filling_train.yaml --format json | jq '.norm'
      rnntrace grad many_to_one.yaml --dtype float32  # PyTorch's rounding
      rnntrace grad lstm_upstream.yaml                # upstream given, no loss
    """
    spec_obj = in_dtype(load(spec), dtype)
    clip, rate = _training(spec_obj, spec, clip_norm, clip_value, no_clip, learning_rate, "grad")
    chosen_steps = None if steps is None else checked("steps", lambda: steps.within(len(spec_obj.inputs)))
    from ..engine.bptt import backprop
    from ..limits import check_held
    check_held(spec_obj, len(spec_obj.inputs), "A shorter sequence keeps it within the limit.", factor=2)
    trace = watch_finite().run(spec_obj)   # the forward pass, saying where it overflowed
    result = backprop(spec_obj, trace, clip=clip, learning_rate=rate)
    import math
    if not math.isfinite(result.norm):   # said after the output, like the forward pass's warnings
        click.get_current_context().call_on_close(lambda: click.echo(
            f"Warning: a gradient went past {spec_obj.dtype}'s range (shown as inf or nan; null in JSON); "
            "smaller weights or a shorter sequence keep it finite", err=True))
    from ..render import grad as show
    if fmt == "json":
        write(show.gradients_json(result, indent))
        return
    write_rich(show.render(result, trace, precision, explain, chosen_steps))


@click.command(cls=Command)
@click.argument("spec", shell_complete=complete_spec)
@click.option("--param", type=WEIGHT, required=True, metavar="NAME[i,j]",
              help="The weight to sweep, e.g. hidden.U[0,0] (0-based; no index for a single weight).")
@click.option("--range", "values", type=RANGE, required=True, metavar="A:B:N",
              help="N values from A to B, e.g. 0.9:1.1:41.")
@click.option("--param2", type=WEIGHT, default=None, metavar="NAME[i,j]", help="A second weight: a 2-D map.")
@click.option("--range2", "values2", type=RANGE, default=None, metavar="A:B:N", help="The second weight's values.")
@click.option("--format", "fmt", type=Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="table draws the surface; json (rnntrace.surface/1) and csv give the numbers.")
@click.option("--scale", type=Choice(["auto", "linear", "log"]), default="auto", show_default=True,
              help="How the loss is drawn; auto takes log when it spans more than 1000×.")
@_clip_options
@precision_option("Decimals shown in tables (display only).")
@allow_file_option
def surface(spec, param, values, param2, values2, fmt, scale, learning_rate, clip_norm,
            clip_value, no_clip, precision):
    """Sweep one weight of SPEC (or two, for a map) and draw the loss, with the
    gradient's size beside it: the lecture's rough error surface.

    With a learning rate (the spec's, or --learning-rate) each point also shows how
    far one gradient step moves the weight (Δw), and with clipping how far the
    clipped step moves it.

    \b
    Examples:
      rnntrace surface toy_w999.yaml --param hidden.U --range 0.98:1.02:41
      rnntrace surface clip_norm.yaml --param hidden.U --range 0.8:1.25:19
      rnntrace surface many_to_one.yaml --param lstm.cell_input.W[0,0] \\
          --range 0:2:11 --param2 lstm.forget_gate.b --range2 -10:20:41
      rnntrace surface toy_w999.yaml --param hidden.U --range 0.9:1.1:201 \\
          --format csv
    """
    spec_obj = load(spec)
    clip, rate = _training(spec_obj, spec, clip_norm, clip_value, no_clip, learning_rate, "surface")
    if (param2 is None) != (values2 is None):
        raise RnntraceError("--param2 and --range2 go together")
    weight = checked("param", lambda: param.resolve(spec_obj))
    weight2 = None if param2 is None else checked("param2", lambda: param2.resolve(spec_obj))
    if weight2 is not None and weight2 == weight:
        raise RnntraceError("--param2 names the same weight as --param")
    from ..limits import check_held, check_surface
    check_surface(len(values) * (1 if values2 is None else len(values2)), len(spec_obj.inputs))
    check_held(spec_obj, len(spec_obj.inputs), "A shorter sequence keeps it within the limit.", factor=2)
    from ..engine.surface import sweep
    result = sweep(spec_obj, weight, values, weight2, values2, clip=clip, learning_rate=rate)
    from ..render import surface as show
    if fmt == "json":
        write(show.surface_json(result))
    elif fmt == "csv":
        write(show.surface_csv(result))
    else:
        write_rich(show.render(result, precision, scale))
