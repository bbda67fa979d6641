"""`rnntrace run`: load → run → the chosen output format (render/formats.py) or the table view."""
from __future__ import annotations

import os
import sys

import click

from ..cli import Command
from ..errors import RnntraceError
from ..render.formats import FORMATS as OUTPUT_FORMATS, help_text as output_formats_help
from .common import (Choice, load, allow_file_option, write, watch_finite, save, OutputFile, precision_option,
                     steps_option, checked, complete_files, complete_spec, dtype_option, in_dtype)


@click.command(cls=Command)
@click.argument("spec", shell_complete=complete_spec)
@click.option("--format", "fmt", default="table", show_default=True,
              type=Choice(list(OUTPUT_FORMATS)), help=output_formats_help())
@click.option("--explain", is_flag=True,
              help="Write out each step's arithmetic the way the lecture does (in the table view, "
                   "where it implies --panels, and in --format markdown).")
@steps_option("Only these steps: 3, 2:4, 2:, or a list such as 1,3:4.")
@click.option("--layer", "layer_names", metavar="NAME", multiple=True,
              help="Only this layer (repeat for several).")
@precision_option("Decimals shown (display only; JSON and CSV are always exact).")
@click.option("--panels", "panels", flag_value="panels", default=None,
              help="One panel per step even for a long sequence (over 50 steps the chart is shown instead).")
@click.option("--chart", "panels", flag_value="chart",
              help="Only the chart over time, no panels.")
@click.option("--export", "export_path", metavar="FILE.svg|FILE.html", shell_complete=complete_files,
              help="Also write what the table view shows to an SVG picture, or the interactive page "
                   "(as `rnntrace page` writes it) to an HTML file.")
@click.option("--width", type=click.IntRange(40, 1000), default=None,
              help="Draw the table view this many columns wide (default: the terminal's, 80 when piped).")
@click.option("--inputs", "inputs_text", metavar="YAML",
              help="Run on these inputs instead of the spec's: '[[1, 0], [0, 1]]', or words with a lexicon.")
@click.option("--indent", type=click.IntRange(0, 8), default=None,
              help="Indent JSON output by this many spaces.")
@click.option("-o", "--output", default=None, metavar="FILE", shell_complete=complete_files,
              help="Write the output to FILE instead of standard output (the table view without colour).")
@dtype_option
@allow_file_option
def run(spec, fmt, explain, steps, layer_names, precision, panels, export_path, width, inputs_text,
        indent, dtype, output):
    """Run SPEC step by step and show every gate, cell and output.

    SPEC is a YAML file, `-` for standard input, or the name of a bundled example.

    \b
    Examples:
      rnntrace run lstm_example.yaml
      rnntrace run lstm_example.yaml --explain --steps 1:2
      rnntrace run slot_filling.yaml --layer slot --precision 2
      rnntrace run slot_filling.yaml --inputs 'leave Taipei on November 2nd'
      rnntrace run lstm_example.yaml --export lstm.svg
      rnntrace run lstm_example.yaml --format latex > key.tex
      rnntrace run my_rnn.yaml --format json -o trace.json
      rnntrace run my_rnn.yaml --dtype float32      # rounded as PyTorch rounds
      cat my_rnn.yaml | rnntrace run - --format jsonl | head -3
      rnntrace run class/spec.yaml --allow-file data/   # inputs from data/
    """
    export_kind = None
    if export_path is not None:
        suffix = os.path.splitext(export_path)[1].lower()
        export_kind = {".svg": "svg", ".html": "html", ".htm": "html"}.get(suffix)
        if export_kind is None:
            raise RnntraceError(f"--export {export_path}: expected a file ending in .svg or .html")
        if fmt != "table":
            raise RnntraceError(f"--export draws the table view; it does not go with --format {fmt}")
    if explain and not OUTPUT_FORMATS[fmt].explain and not OUTPUT_FORMATS[fmt].exact:
        from ..render.formats import explaining
        raise RnntraceError(f"--explain writes the arithmetic in {explaining()}, not in --format {fmt}")
    view_options = explain or steps is not None or layer_names or panels or width
    if OUTPUT_FORMATS[fmt].exact and view_options:
        raise RnntraceError(f"--format {fmt} is always the whole exact trace; --explain, --steps, "
                            "--layer, --panels, --chart and --width are for the other formats")
    spec_obj = load(spec)
    if inputs_text is not None:
        from ..yamlsource import parse
        spec_obj = spec_obj.with_inputs(parse(inputs_text, "--inputs", "--inputs"))
    spec_obj = in_dtype(spec_obj, dtype)
    if output is not None and output != "-":
        with OutputFile(output):
            _run(spec_obj, spec, fmt, explain, steps, layer_names, precision, panels, export_path,
                 export_kind, width, indent, to_file=True)
    else:
        _run(spec_obj, spec, fmt, explain, steps, layer_names, precision, panels, export_path,
             export_kind, width, indent)


def _check_explain(spec_obj, steps, precision):
    """--explain's size, estimated from its first step before the run (rnntrace/limits.py)."""
    from .. import engine
    from ..limits import check_explain
    from ..render.explain import as_text, step_lines
    first = next(engine.iter_steps(spec_obj, spec_obj.inputs[:1]))
    size = sum(len(as_text(lines).encode("utf-8")) + 1 for _, lines in step_lines(spec_obj, first, precision=precision))
    check_explain(steps, size)


def _run(spec_obj, spec, fmt, explain, steps, layer_names, precision, panels, export_path, export_kind,
         width, indent, to_file=False):
    from .. import engine
    from ..limits import check_held
    from ..layers import composite
    whole = any(composite(layer) for layer in spec_obj.layers)   # read before the first step
    total = len(spec_obj.inputs)
    form = OUTPUT_FORMATS[fmt]
    from ..render.formats import Output
    if form.exact:
        if not form.streams or whole:
            check_held(spec_obj, total, "--format jsonl streams the trace one step at a time"
                       if not whole else "A bidirectional layer reads the whole sequence first: "
                       "a shorter sequence (--inputs) keeps it within the limit.")
    watch = watch_finite()
    if form.streams:
        form.write(Output(spec_obj, steps=watch.steps(engine.iter_steps(spec_obj))))
        return
    if form.exact:
        write(form.write(Output(spec_obj, trace=watch.run(spec_obj), indent=indent)))
        return
    chosen_layers = None
    if layer_names:
        from ..render.selection import check_layers
        chosen_layers = checked("layer_names", lambda: check_layers(spec_obj, layer_names))
    chosen_steps = None if steps is None else checked("steps", lambda: steps.within(total))
    kept = total if chosen_steps is None or whole else len(chosen_steps)
    check_held(spec_obj, kept, "--format jsonl streams the trace one step at a time; --steps A:B "
               "keeps only those steps" + (" (without a bidirectional layer)" if whole else "") + ".")
    if explain:
        _check_explain(spec_obj, total if chosen_steps is None else len(chosen_steps), precision)
    if export_kind == "html":     # the page holds every step
        from ..limits import check_page, numbers_per_step
        check_page(total, numbers_per_step(spec_obj))
    if kept < total:   # only the chosen steps are kept; each is computed as in the whole run
        trace = _chosen_run(spec_obj, chosen_steps, watch)
    else:
        trace = watch.run(spec_obj)
    records = None if chosen_steps is None else [trace[t - 1] for t in chosen_steps]
    if form.write is not None:
        write(form.write(Output(spec_obj, trace=trace, records=records, layers=chosen_layers,
                                precision=precision, explain=explain)))
        return
    from ..render.terminal import draw, export_text
    from ..render.view import View, terminal_view
    view = View(precision=precision, explain=explain, steps=chosen_steps, layers=chosen_layers,
                panels=True if panels == "panels" else None, chart_only=panels == "chart")
    text, drawn = draw(terminal_view(trace, view), width=width, stream=sys.stdout if to_file else None)
    if export_kind == "html":   # the interactive page, the one kind of HTML rnntrace writes
        from ..render.page import page_html
        whole_run = trace if kept == total else watch.run(spec_obj)   # the page has every step
        save(export_path, page_html(whole_run, precision=precision, source=spec_obj.source),
             f"--export {export_path}")
    elif export_kind is not None:
        content = export_text(drawn, export_kind, title=trace.spec.title or os.path.basename(spec))
        save(export_path, content, f"--export {export_path}")
    sys.stdout.write(text)
    sys.stdout.flush()


def _chosen_run(spec_obj, chosen, watch):
    """The run with only the ``chosen`` steps kept (the others are None), computed up to
    the last of them: a step depends only on the ones before it (no bidirectional layer)."""
    from .. import engine
    from ..trace import Trace
    wanted = set(chosen)
    kept = [None] * len(spec_obj.inputs)
    from contextlib import closing
    with closing(watch.steps(engine.iter_steps(spec_obj))) as steps:   # closed: the watch ends
        for step in steps:
            if step.t in wanted:
                kept[step.t - 1] = step
            if step.t == chosen[-1]:
                break
    return Trace(spec_obj, kept)
