"""`rnntrace worksheet` and `rnntrace answers`: an exercise sheet and its answers file,
both made from one sheet (rnntrace/sheet.py)."""
from __future__ import annotations

import click

from ..cli import Command
from ..errors import RnntraceError
from .common import Choice, load, allow_file_option, write, STEPS, NAMES, precision_option, steps_option, checked, complete_spec


def _ask_option(f):
    return click.option("--ask", type=NAMES, default=None, metavar="NAMES",
                        help="Comma-separated quantities to ask for: full paths (lstm.gates.<block>.a) "
                             "or their last part (c, h, y, a); 'all' for everything. "
                             "Default: each layer's memory and output.")(f)


def _sheet(spec, ask, steps=None, worked=None):
    spec_obj = load(spec)
    from .. import engine
    from ..limits import check_held
    from ..sheet import build_sheet
    check_held(spec_obj, len(spec_obj.inputs), "A sheet is for a short sequence.")
    total = len(spec_obj.inputs)
    chosen = None if steps is None else checked("steps", lambda: steps.within(total))
    worked_steps = None if worked is None else checked("worked", lambda: worked.within(total))
    trace = engine.run(spec_obj)
    return checked("ask", lambda: build_sheet(spec_obj, trace, ask, source=spec_obj.source,   # <stdin> for -
                                              steps=chosen, worked=worked_steps))


_steps_option = steps_option("Ask for these steps only: 3, 2:4, or a list such as 1,3:4. The steps before "
                             "the last one asked are given; the ones after it are left out.")


@click.command(cls=Command)
@click.argument("spec", shell_complete=complete_spec)
@_ask_option
@click.option("--format", "fmt", type=Choice(["markdown", "latex"]), default="markdown",
              show_default=True, help="Markdown, or LaTeX: a fragment to paste into a document "
                                      "(--standalone: a whole one).")
@click.option("--key", is_flag=True, help="The answer key: the blanks filled with the exact values.")
@precision_option("Decimals shown in the key (display only).")
@_steps_option
@click.option("--worked", type=STEPS, default=None, metavar="T",
              help="Fill in these steps as worked examples, their arithmetic written out: 1, or 1:2.")
@click.option("--standalone", is_flag=True,
              help="With --format latex: a whole document (\\documentclass … \\end{document}) that "
                   "compiles alone, instead of a fragment to paste.")
@click.option("--check-hint", is_flag=True,
              help="Add a line telling how to check the answers with rnntrace check (which computes them: "
                   "leave it off sheets for a test).")
@allow_file_option
def worksheet(spec, ask, fmt, key, precision, steps, worked, standalone, check_hint):
    """Write an exercise sheet for SPEC: the network, its weights, the inputs and a
    blank cell per step for each quantity asked; with --key, its answer key.

    \b
    Examples:
      rnntrace worksheet lstm_example.yaml --ask c,y > sheet.md
      rnntrace worksheet lstm_example.yaml --ask c,y --key > key.md
      rnntrace worksheet my_gru.yaml --format latex --ask h > sheet.tex
      rnntrace worksheet lstm_example.yaml --ask all --worked 1 --steps 2:3
      rnntrace worksheet lstm_example.yaml --format latex --standalone > sheet.tex
      rnntrace worksheet lstm_example.yaml --ask c,y --check-hint > practice.md
    """
    if standalone and fmt != "latex":
        raise RnntraceError("--standalone makes a whole LaTeX document; it needs --format latex "
                            "(a Markdown sheet is whole already)")
    sheet = _sheet(spec, ask, steps, worked)
    from ..render import worksheet as show
    if fmt == "latex":
        write(show.latex(sheet, key=key, precision=precision, standalone=standalone, check_hint=check_hint))
    else:
        write(show.markdown(sheet, key=key, precision=precision, check_hint=check_hint))


@click.command(cls=Command)
@click.argument("spec", shell_complete=complete_spec)
@_ask_option
@_steps_option
@allow_file_option
def answers(spec, ask, steps):
    """Write the answers file of SPEC, filled with the exact values, in the format
    `rnntrace check` reads: an answer key that is itself checkable.

    \b
    Examples:
      rnntrace answers lstm_example.yaml --ask c,y > key.yaml
      rnntrace check lstm_example.yaml key.yaml      # every answer right
      rnntrace answers lstm_example.yaml --ask all --steps 2:3   # its sheet's key
    """
    sheet = _sheet(spec, ask, steps)
    from ..render.worksheet import answers_yaml
    write(answers_yaml(sheet))
