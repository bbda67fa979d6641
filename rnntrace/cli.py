"""The command line: load → run → render → write. Nothing is computed here.

Imports of numpy, rich and the engine happen inside the commands that need them,
so that ``rnntrace --help`` and ``--format json`` start quickly.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click

from . import __version__
from .errors import RnntraceError

EXIT_WRONG = 1   # check: at least one answer is wrong
EXIT_USAGE = 2   # bad input or usage


class _Group(click.Group):
    """Turns the tool's own errors into one line on stderr and exit code 2, and ends
    quietly on a closed pipe or Ctrl-C."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except RnntraceError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_USAGE)
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


def _silence_stdout() -> None:
    # Python flushes stdout at exit; pointing it at /dev/null keeps that flush quiet.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="rnntrace")
def main():
    """Run a small recurrent neural network one time step at a time and show every
    number it computes.

    \b
    Examples:
      rnntrace run lstm_example.yaml            the lecture's LSTM unit, step by step
      rnntrace run lstm_example.yaml --format json | jq .steps[3].y
      rnntrace examples                         the bundled example specs
      rnntrace new lstm > my.yaml               a starter spec to edit
    """


# --------------------------------------------------------------------------- helpers

def examples_dir() -> Path:
    """The bundled examples: installed as rnntrace.examples, or beside the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "examples", here.parent / "examples"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    return here / "examples"


def resolve_spec(name: str) -> str:
    """A path, ``-``, or the name of a bundled example (with or without .yaml)."""
    if name == "-" or Path(name).exists():
        return name
    if os.sep not in name and "/" not in name:
        folder = examples_dir()
        for candidate in (folder / name, folder / f"{name}.yaml"):
            if candidate.is_file():
                return str(candidate)
    return name   # the loader reports the missing file


def load(spec_arg: str):
    from .spec import load_spec
    path = resolve_spec(spec_arg)
    if path != spec_arg or spec_arg == "-":
        label = "<stdin>" if spec_arg == "-" else spec_arg
    else:
        label = spec_arg
    try:
        return load_spec(path, name=label)
    except RnntraceError as exc:
        if "no such file" in str(exc) and path == spec_arg and spec_arg != "-":
            from .errors import close_name
            names = [p.name for p in examples_dir().glob("*.yaml")]
            hint = close_name(Path(spec_arg).name, names)
            extra = f" (did you mean the bundled example '{hint}'?)" if hint else \
                " (`rnntrace examples` lists the bundled ones)"
            raise RnntraceError(f"{spec_arg}: no such file{extra}") from None
        raise


def write(text: str) -> None:
    """Write a whole output at once, so that an error never leaves half of it."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def console(**kwargs):
    from rich.console import Console
    return Console(**kwargs)


# --------------------------------------------------------------------------- run

@main.command()
@click.argument("spec")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl"]), default="table",
              show_default=True, help="How to print the trace.")
@click.option("--precision", type=click.IntRange(0, 17), default=4, show_default=True,
              help="Decimals shown in tables (display only; JSON is always exact).")
@click.option("--indent", type=click.IntRange(0, 8), default=None,
              help="Indent JSON output by this many spaces.")
def run(spec, fmt, precision, indent):
    """Run SPEC step by step and show every gate, cell and output.

    SPEC is a YAML file, `-` for standard input, or the name of a bundled example.

    \b
    Examples:
      rnntrace run lstm_example.yaml
      rnntrace run my_rnn.yaml --format json > trace.json
      cat my_rnn.yaml | rnntrace run - --format jsonl | head -3
    """
    spec_obj = load(spec)
    from . import engine
    if fmt == "jsonl":
        from .render.json import trace_jsonl
        out = sys.stdout
        for line in trace_jsonl(spec_obj, engine.iter_steps(spec_obj)):
            out.write(line)
            out.write("\n")
        out.flush()
        return
    trace = engine.run(spec_obj)
    if fmt == "json":
        from .render.json import trace_json
        write(trace_json(trace, indent=indent))
        return
    from .render.table import render
    out = console()
    with out.capture() as captured:
        for part in render(trace, precision):
            out.print(part)
    sys.stdout.write(captured.get())
    sys.stdout.flush()


# --------------------------------------------------------------------------- validate

@main.command()
@click.argument("spec")
def validate(spec):
    """Load and check SPEC without running it.

    Exits 0 and says what the network is when the spec is valid; otherwise prints
    one line naming the file, line, column and key path, and exits 2.

    \b
    Example:
      rnntrace validate my_lstm.yaml
    """
    from .spec import parameter_count
    s = load(spec)
    layers = ", ".join(f"{layer.name} ({layer.type}, {layer.output_size} out, "
                       f"{parameter_count(layer)} parameters)" for layer in s.layers)
    write(f"{spec}: valid: {len(s.inputs)} steps of {s.input_size} inputs; {layers}")


# --------------------------------------------------------------------------- examples

def example_summary(path: Path) -> str:
    """The first comment line of an example file: what it shows."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
        if line.strip():
            break
    return ""


@main.command()
def examples():
    """List the bundled example specs, one line each with what it shows.

    Run any of them by name, from any folder.

    \b
    Example:
      rnntrace examples
      rnntrace run basic_rnn.yaml
    """
    paths = sorted(examples_dir().glob("*.yaml"))
    width = max((len(p.name) for p in paths), default=0)
    write("\n".join(f"{p.name:<{width}}  {example_summary(p)}" for p in paths))


# --------------------------------------------------------------------------- check

def _tolerance(ctx, param, value):
    import math
    if value is not None and (not math.isfinite(value) or value < 0):
        raise click.BadParameter("expected a number of 0 or more")
    return value


@main.command()
@click.argument("spec")
@click.argument("answer_files", metavar="ANSWERS...", nargs=-1, required=True)
@click.option("--tolerance", type=float, default=None, callback=_tolerance,
              help="Right means |yours − exact| ≤ TOLERANCE·max(1, |exact|). "
                   "Wins over a file's own 'tolerance'.  [default: 0.01]")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table for people; json (rnntrace.check/1) for an autograder; "
                                      "csv (one row per file) for a gradebook.")
@click.option("--precision", type=click.IntRange(0, 17), default=4, show_default=True,
              help="Decimals shown in the table (display only).")
@click.pass_context
def check(ctx, spec, answer_files, tolerance, fmt, precision):
    """Check hand-computed ANSWERS against the exact run of SPEC.

    An answers file gives, per time step, quantities of the trace and your values:

    \b
      tolerance: 0.01        # optional
      steps:
        1: {lstm.c: 3, y: 0}
        4: {y: 7, lstm.gates.output_gate.a: 1}

    With one file, each answer gets a row; with several (a whole class) each file gets
    a row with its score and first wrong answer, and a file that cannot be read is
    reported in its row without stopping the others. Exit code 0 when every answer is
    right, 1 when one is wrong, 2 when a file could not be read.

    \b
    Examples:
      rnntrace check lstm_example.yaml my_answers.yaml
      rnntrace check homework.yaml answers/*.yaml --format csv > grades.csv
    """
    if spec == "-" and "-" in answer_files:
        raise RnntraceError("only one of SPEC and ANSWERS can be read from standard input (-)")
    spec_obj = load(spec)
    from . import engine
    from .answers import Reference, check_file, check_files, exit_code, report_to_dict, summary
    from .render import check as show
    reference = Reference.from_trace(engine.run(spec_obj), spec)
    if len(answer_files) == 1:
        results = [check_file(answer_files[0], reference, tolerance)]   # unreadable: the usual exit 2
    else:
        results = check_files(answer_files, reference, tolerance)
    if fmt == "json":
        write(show.check_json(report_to_dict(results, spec)))
    elif fmt == "csv":
        write(show.check_csv(results))
    else:
        parts = show.answers_table(results[0], precision) if len(results) == 1 else \
            show.class_table(results, summary(results), precision)
        out = console()
        with out.capture() as captured:
            for part in parts:
                out.print(part)
        write(captured.get())
    code = exit_code(results)
    if code == 2:
        bad = sum(not r.readable for r in results)
        click.echo(f"Error: {bad} of {len(results)} answer files could not be read (see their rows)", err=True)
    ctx.exit(code)


# --------------------------------------------------------------------------- new

@main.command()
@click.argument("type_name", metavar="TYPE")
@click.option("--random", "randomly", is_flag=True,
              help="A fresh exercise: small integer weights and inputs that keep the hand "
                   "arithmetic exact.")
@click.option("--seed", type=int, default=None,
              help="The same seed gives the same exercise (implies --random).")
def new(type_name, randomly, seed):
    """Print a commented starter spec of TYPE, ready to run: elman, jordan, lstm, gru,
    bidirectional or slot-filling.

    \b
    Examples:
      rnntrace new lstm > my_lstm.yaml
      rnntrace new lstm | rnntrace run -
      rnntrace new gru --random --seed 7 > exercise.yaml
    """
    from .starters import starter, starter_type
    kind = starter_type(type_name)
    if randomly or seed is not None:
        from .starters.exercises import exercise
        if seed is None:
            import secrets
            seed = secrets.randbelow(100_000)
        write(exercise(kind, seed))
    else:
        write(starter(kind))


# --------------------------------------------------------------------------- import-torch

@main.command("import-torch")
@click.argument("weights", metavar="FILE.pt")
@click.option("--inputs", "inputs_text", default=None, metavar="SEQUENCE",
              help="The input sequence in YAML or JSON, one list per step: '[[1, 0], [0, 1]]'. "
                   "Default: one step of zeros, to be replaced.")
@click.option("--nonlinearity", type=click.Choice(["tanh", "relu"]), default="tanh", show_default=True,
              help="nn.RNN's nonlinearity (a state_dict does not record it).")
@click.option("--activation", type=click.Choice(["linear", "sigmoid", "tanh", "relu", "softmax"]),
              default="linear", show_default=True, help="What follows the last nn.Linear.")
@click.option("--labels", default=None, metavar="A,B,…", help="Names of the last nn.Linear's units.")
@click.option("--title", default=None, help="The spec's title.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the spec to FILE instead of standard output.")
def import_torch(weights, inputs_text, nonlinearity, activation, labels, title, output):
    """Turn the weights of a PyTorch model (nn.RNN, nn.LSTM, nn.GRU, nn.Linear; stacked
    and bidirectional too) into a spec, stacked in the order of the state_dict.

    FILE.pt is what `torch.save(model.state_dict(), "FILE.pt")` writes. It is read
    with `torch.load(weights_only=True)`, which loads tensors only and never runs
    code from the file. Needs PyTorch installed.

    \b
    Examples:
      rnntrace import-torch model.pt --inputs '[[1, 0], [0, 1]]' -o model.yaml
      rnntrace import-torch tagger.pt --activation softmax --labels dest,time,other | rnntrace run -
    """
    from .convert import load_torch_weights, spec_from_state_dict, spec_to_yaml
    from .spec import spec_from_dict
    inputs = None
    if inputs_text is not None:
        from .yamlsource import parse
        inputs = parse(inputs_text, "--inputs").data
        if inputs is None:
            raise RnntraceError("--inputs: expected a list of steps, found nothing")
    state = load_torch_weights(weights)
    spec = spec_from_state_dict(state, inputs=inputs, title=title, nonlinearity=nonlinearity,
                                activation=activation,
                                labels=None if labels is None else [x.strip() for x in labels.split(",")])
    spec_from_dict(spec, source=weights)     # what is written is a valid spec
    comment = f"Imported from {Path(weights).name}: weights as the model holds them."
    if inputs is None:
        comment += "\nThe inputs are one step of zeros: put the sequence to run in their place."
    text = spec_to_yaml(spec, comment=comment)
    if output is None:
        write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RnntraceError(f"{output}: cannot write: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------- worksheet, answers

def _ask_option(f):
    return click.option("--ask", default=None, metavar="NAMES",
                        help="Comma-separated quantities to ask for: full paths (lstm.gates.input_gate.a) "
                             "or their last part (c, h, y, a); 'all' for everything. "
                             "Default: each layer's memory and output.")(f)


def _sheet(spec, ask):
    spec_obj = load(spec)
    from . import engine
    from .worksheet import build_sheet
    names = ask.split(",") if ask is not None else None
    return build_sheet(spec_obj, engine.run(spec_obj), names, source=spec)


@main.command()
@click.argument("spec")
@_ask_option
@click.option("--format", "fmt", type=click.Choice(["markdown", "latex"]), default="markdown",
              show_default=True, help="Markdown, or a LaTeX fragment to paste into a document.")
@click.option("--key", is_flag=True, help="The answer key: the blanks filled with the exact values.")
@click.option("--precision", type=click.IntRange(0, 17), default=4, show_default=True,
              help="Decimals shown in the key (display only).")
def worksheet(spec, ask, fmt, key, precision):
    """Write an exercise sheet for SPEC: the network, its weights, the inputs and a
    blank cell per step for each quantity asked; with --key, its answer key.

    \b
    Examples:
      rnntrace worksheet lstm_example.yaml --ask c,y > sheet.md
      rnntrace worksheet lstm_example.yaml --ask c,y --key > key.md
      rnntrace worksheet my_gru.yaml --format latex --ask h > sheet.tex
    """
    sheet = _sheet(spec, ask)
    from .render import worksheet as show
    write((show.latex if fmt == "latex" else show.markdown)(sheet, key=key, precision=precision))


@main.command()
@click.argument("spec")
@_ask_option
def answers(spec, ask):
    """Write the answers file of SPEC, filled with the exact values, in the format
    `rnntrace check` reads: an answer key that is itself checkable.

    \b
    Examples:
      rnntrace answers lstm_example.yaml --ask c,y > key.yaml
      rnntrace check lstm_example.yaml key.yaml      # every answer right
    """
    sheet = _sheet(spec, ask)
    from .render.worksheet import answers_yaml
    write(answers_yaml(sheet))
