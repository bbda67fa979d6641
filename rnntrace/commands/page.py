"""`rnntrace page`: the run as one interactive HTML page (render/page.py), or one step's
figure as SVG."""
from __future__ import annotations

import sys

import click

from ..cli import Command
from ..errors import RnntraceError
from .common import (load, allow_file_option, write, watch_finite, save, NOT_NEGATIVE, NAMES,
                     precision_option, checked, dtype_option, in_dtype)


@click.command(cls=Command)
@click.argument("spec")
@click.option("-o", "--output", default=None, metavar="FILE.html",
              help="Write the page to FILE.html instead of standard output.")
@click.option("--ask", type=NAMES, default=None, metavar="NAMES",
              help="Practice: turn these quantities into blanks to fill in (as worksheet --ask: "
                   "c,y, full paths such as lstm.gates.input_gate.a, or 'all').")
@click.option("--tolerance", type=NOT_NEGATIVE, default=None,
              help="Practice: right means |yours − exact| ≤ TOLERANCE·max(1, |exact|).  [default: 0.01]")
@click.option("--inputs", "inputs_text", metavar="YAML",
              help="Run on these inputs instead of the spec's: '[[1, 0], [0, 1]]', or words with a lexicon.")
@click.option("--figure", "figure_path", default=None, metavar="FILE.svg",
              help="Write the drawing of one step (every layer, then the steps unrolled) as a "
                   "standalone SVG for slides, instead of the page unless -o is given too.")
@click.option("--step", "figure_step", type=click.IntRange(min=1), default=None, metavar="T",
              help="The step --figure draws (from 1).  [default: 1]")
@precision_option("Decimals shown (display only; every number keeps its exact value).")
@dtype_option
@allow_file_option
def page(spec, output, ask, tolerance, inputs_text, precision, dtype, figure_path, figure_step):
    """Write SPEC's run as one interactive HTML page: step through time, click any
    number for its arithmetic, edit a weight or an input and see what changes.

    The page is one file with everything inline (no network access of any kind);
    it opens from disk in any current browser, offline. With --ask it becomes a
    practice sheet whose blanks are marked right or wrong as `check` marks them;
    the exact values are in the file, so it is for practice, not for exams.

    \b
    Examples:
      rnntrace page lstm_example.yaml -o lstm.html
      rnntrace page lstm_example.yaml --ask c,y -o practice.html
      rnntrace page slot_filling.yaml --inputs 'leave Taipei' -o leave.html
      rnntrace new gru --random --seed 7 | rnntrace page - --ask h > gru.html
      rnntrace page lstm_example.yaml --figure lstm.svg --step 4
    """
    if tolerance is not None and ask is None:
        raise RnntraceError("--tolerance marks the blanks of --ask; it needs --ask")
    if (output is None or output == "-") and sys.stdout.isatty():
        # a page is a file for a browser: on a terminal it is pages of markup
        raise click.UsageError("the page is HTML for a browser, not for the terminal: use -o FILE.html "
                               "(or redirect: > FILE.html)")
    spec_obj = load(spec)
    if inputs_text is not None:
        from ..yamlsource import parse
        spec_obj = spec_obj.with_inputs(parse(inputs_text, "--inputs", "--inputs"))
    from ..limits import check_page, numbers_per_step
    check_page(len(spec_obj.inputs), numbers_per_step(spec_obj))     # before the run
    trace = watch_finite().run(in_dtype(spec_obj, dtype))
    if figure_step is not None and figure_path is None:
        raise RnntraceError("--step chooses the step --figure draws; it needs --figure FILE.svg")
    if figure_path is not None:
        figure_step = figure_step or 1
        if figure_step > len(trace):
            raise click.BadParameter(f"{figure_step}: the run has steps 1 to {len(trace)}", param_hint="'--step'")
        from ..render.figure import figure_svg
        picture = figure_svg(trace, figure_step, precision, source=spec_obj.source)
        if figure_path == "-":
            write(picture)
        else:
            save(figure_path, picture, figure_path)
        if output is None:
            return
    from ..render.page import page_html
    names = None if ask is None else list(ask)
    text = checked("ask", lambda: page_html(trace, ask=names, tolerance=tolerance, precision=precision,
                                            source=spec_obj.source))
    if output is None or output == "-":
        write(text)
        return
    save(output, text, output)
