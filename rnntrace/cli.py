"""The command line: load → run → render → write. Nothing is computed here.

Imports of numpy, rich and the engine happen inside the commands that need them,
so that ``rnntrace --help`` and ``--format json`` start quickly.
"""
from __future__ import annotations

import errno
import os
import sys
import warnings

import click

from . import __version__
from .bundled import example_text, listing, missing_hint, resolve_spec
from .errors import BadValue, RnntraceError
from .render.formats import FORMATS as OUTPUT_FORMATS, help_text as output_formats_help

EXIT_WRONG = 1   # check: at least one answer is wrong
EXIT_USAGE = 2   # bad input or usage
EXIT_INTERRUPTED = 130   # Ctrl-C


class _UsageLine(click.UsageError):
    """A usage error (unknown option, bad value, missing argument) in one line, with
    where to read more, instead of click's usage block of four lines."""

    def show(self, file=None):
        more = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        text = _shown(self.format_message())
        click.echo(f"Error: {text[:-1] if text.endswith('.') else text}{more}", file=file, err=True)


def _usage_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, (_UsageLine, click.exceptions.NoArgsIsHelpError)):
        return exc
    line = _UsageLine(exc.format_message(), exc.ctx)
    line.exit_code = exc.exit_code
    return line


class _Group(click.Group):
    """Turns the tool's own errors and usage errors into one line on stderr and exit
    code 2, and ends quietly on a closed pipe (exit 0) or Ctrl-C (exit 130, as shells do)."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:   # rnntrace --no-such-option
            raise _usage_line(exc) from None
        except OSError as exc:   # --help or --version written to a full disk or a closed pipe
            raise click.exceptions.Exit(_write_failed(exc)) from None

    def invoke(self, ctx):
        if sys.stdout is None:   # started with standard output closed (`>&-`)
            sys.stdout = _ClosedOutput()
        try:
            with warnings.catch_warnings():
                # numpy's floating-point warnings take two lines each and name no step or
                # layer; commands report values that are not finite themselves (finite.Watch).
                warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"rnntrace\.")
                return super().invoke(ctx)
        except click.UsageError as exc:   # a command's options and arguments
            raise _usage_line(exc) from None
        except RnntraceError as exc:
            click.echo(f"Error: {_shown(str(exc))}", err=True)
            ctx.exit(EXIT_USAGE)
        except BrokenPipeError:
            _silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            _silence_stdout()
            click.echo("Interrupted.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except MemoryError:
            click.echo("Error: out of memory; the spec or its inputs are too large for this machine",
                       err=True)
            ctx.exit(EXIT_USAGE)
        except OSError as exc:
            # What is left here failed while writing the output (a full disk, a closed
            # terminal): reading errors were already turned into RnntraceErrors.
            ctx.exit(_write_failed(exc))


def _write_failed(exc: OSError) -> int:
    """The exit code when writing the output failed: 0 for a reader that went away
    (a closed pipe), else 2 with one line on standard error."""
    _silence_stdout()
    if exc.errno == errno.EPIPE:
        return 0
    try:
        click.echo(f"Error: cannot write the output: {exc.strerror or exc}", err=True)
    except OSError:   # standard error is gone too: the exit code is all that is left
        pass
    return EXIT_USAGE


class _ClosedOutput:
    """Standard output when there is none: writing fails like writing to a closed file."""

    def write(self, text):
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self):
        pass

    def isatty(self):
        return False

    def fileno(self):
        raise OSError(errno.EBADF, "standard output is closed")


def _one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def _shown(text: str) -> str:
    """A message for standard error on one line, whatever the names in it hold: file names,
    keys and words written by others are shown as text (safetext.visible), so that they
    cannot send escape sequences to the terminal."""
    from .safetext import visible
    return visible(_one_line(text))


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
      rnntrace run lstm_example.yaml                the lecture's LSTM unit
      rnntrace run lstm_example.yaml --format json | jq '.steps[3].y'
      rnntrace examples                             the bundled example specs
      rnntrace new lstm > my.yaml                   a starter spec to edit
      rnntrace check lstm_example.yaml mine.yaml    mark answers done by hand
      rnntrace grad many_to_one.yaml --explain      backpropagation in time
      rnntrace page lstm_example.yaml -o lstm.html  a page to click through
    """


# --------------------------------------------------------------------------- helpers

def load(spec_arg: str):
    """The spec SPEC names: a file, ``-`` (standard input) or a bundled example."""
    from .errors import MissingFileError
    from .spec import load_spec
    path = resolve_spec(spec_arg)
    allowed = click.get_current_context().meta.get("rnntrace.allow_file", ())
    try:
        return load_spec(path, name="<stdin>" if spec_arg == "-" else spec_arg, allow_files=allowed)
    except MissingFileError:
        raise RnntraceError(f"{spec_arg}: no such file{missing_hint(spec_arg)}") from None


def _load_regular(spec_arg: str):
    """As load(), reading the file as answer files are read (rnntrace/grading/files.py):
    a regular file only, never through a symlink, never a FIFO or a device (docs/check.md)."""
    if spec_arg == "-":
        return load(spec_arg)
    from .errors import MissingFileError
    from .grading.files import read_regular
    from .spec import spec_from_text
    path = resolve_spec(spec_arg)
    try:
        text = read_regular(path, spec_arg, "spec")
    except MissingFileError:
        raise RnntraceError(f"{spec_arg}: no such file{missing_hint(spec_arg)}") from None
    allowed = click.get_current_context().meta.get("rnntrace.allow_file", ())
    return spec_from_text(text, spec_arg, folder=os.path.dirname(os.fspath(path)) or ".", allow_files=allowed)


def _allow_file_option(f):
    """--allow-file PATH, on every command that loads a spec: where else than the spec's
    folder its ``inputs: {file: …}`` may be read (kept in the context for load())."""
    def keep(ctx, param, value):
        ctx.meta["rnntrace.allow_file"] = tuple(value)
    return click.option("--allow-file", "allow_file", multiple=True, metavar="PATH", expose_value=False,
                        callback=keep, type=click.Path(),
                        help="Let the spec read 'inputs: {file: …}' from PATH (a file or a folder) "
                             "as well as from its own folder (repeatable).")(f)


def write(text: str, drawn: bool = False) -> None:
    """Write a whole output at once, so that an error never leaves half of it. Text
    that others wrote is shown as text: a control character that reached a Markdown,
    LaTeX or CSV output is written in its visible form (safetext.visible); a ``drawn``
    output is rich's, already made safe as it was drawn (render.terminal), whose colours
    are escape sequences of its own."""
    if not drawn:
        from .safetext import visible
        text = visible(text, lines=True)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def watch_finite():
    """Notes values of the run that stop being finite (float64 overflow) and says
    where, one warning line per layer on stderr, when the command ends."""
    from .finite import Watch
    watch = Watch()

    def report():
        for problem in watch.found:
            click.echo(f"Warning: {_shown(problem.message())}", err=True)

    click.get_current_context().call_on_close(report)
    return watch


def write_rich(parts) -> None:
    """Draw rich renderables for the terminal (or for a pipe) and write them at once."""
    from .render.terminal import draw
    text, _ = draw(parts, highlight=True)
    write(text, drawn=True)


def save(path: str, text: str, label: str) -> None:
    """Write ``text`` to the file ``path``; ``label`` names it in an error."""
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        raise RnntraceError(f"{label}: cannot write: {exc.strerror or exc}") from None


class _OutputFile:
    """``-o FILE``: standard output goes to a new file beside FILE, which replaces FILE
    only when the command has finished, so an error never leaves half an output (and an
    old FILE stays as it was)."""

    def __init__(self, path: str):
        self.path = path

    def __enter__(self):
        import tempfile
        folder = os.path.dirname(self.path) or "."
        try:
            handle, self.temporary = tempfile.mkstemp(prefix=f".{os.path.basename(self.path)}.", dir=folder)
        except OSError as exc:
            raise RnntraceError(f"-o {self.path}: cannot write: {exc.strerror or exc}") from None
        self.file = os.fdopen(handle, "w", encoding="utf-8")
        self.stdout, sys.stdout = sys.stdout, self.file
        return self

    def __exit__(self, kind, value, traceback):
        sys.stdout = self.stdout
        self.file.close()
        if kind is None:
            try:
                os.chmod(self.temporary, 0o666 & ~_umask())
                os.replace(self.temporary, self.path)
                return False
            except OSError as exc:
                value = RnntraceError(f"-o {self.path}: cannot write: {exc.strerror or exc}")
        try:
            os.unlink(self.temporary)
        except OSError:
            pass
        if kind is None:
            raise value
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- the grammar of option values
#
# Each kind of value the command line takes is read by one click parameter type, shared
# by every option that takes it. Its text is checked while the command line is read; what
# can only be checked once the spec is read (a step the sequence has, a weight the network
# has) is checked by the library, whose BadValue `checked` turns into the same kind of
# usage error: "Invalid value for '--steps': …", exit code 2.

class _Number(click.ParamType):
    """A finite number, above 0 (``positive``) or at least 0."""

    name = "float"

    def __init__(self, positive: bool):
        self.positive = positive

    def convert(self, value, param, ctx):
        import math
        value = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(value) or value < 0 or (self.positive and value == 0):
            self.fail("expected a positive number" if self.positive else "expected a number of 0 or more",
                      param, ctx)
        return value


class _Parsed(click.ParamType):
    """An option value that library code parses (``parse``): its BadValue, which says only
    what is wrong with the value, becomes a usage error naming the option. A value that is
    not text has been converted already (a default) and passes as it is."""

    def parse(self, value: str):
        raise NotImplementedError

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except BadValue as exc:
            self.fail(str(exc), param, ctx)


class _Steps(_Parsed):
    """Time steps: ``3``, ``2:4``, ``2:``, ``:4`` or a list such as ``1,3:4``
    (a :class:`~rnntrace.render.selection.StepChoice`; which exist: ``.within(total)``)."""

    name = "steps"

    def parse(self, value):
        from .render.selection import StepChoice
        return StepChoice.parse(value)


class _Weight(_Parsed):
    """A weight of the network, ``NAME[i,j]`` (a :class:`~rnntrace.surface_options.WeightChoice`;
    checked against the spec by ``.resolve(spec)``)."""

    name = "weight"

    def parse(self, value):
        from .surface_options import WeightChoice
        return WeightChoice.parse(value)


class _Range(_Parsed):
    """``A:B:N``: N evenly spaced values from A to B, as a float64 array."""

    name = "range"

    def parse(self, value):
        from .surface_options import parse_range
        return parse_range(value)


class _Starter(_Parsed):
    """The type of a starter spec: ``lstm``, ``slot-filling`` (also ``slot_filling``), …"""

    name = "type"

    def parse(self, value):
        from .starters import starter_type
        return starter_type(value)


class _Names(click.ParamType):
    """Comma-separated names: ``c,y`` → ("c", "y")."""

    name = "names"

    def convert(self, value, param, ctx):
        return value if isinstance(value, tuple) else tuple(value.split(","))


POSITIVE, NOT_NEGATIVE = _Number(positive=True), _Number(positive=False)
STEPS, WEIGHT, RANGE, STARTER, NAMES = _Steps(), _Weight(), _Range(), _Starter(), _Names()
PRECISION = click.IntRange(0, 17)   # float64 has 17 significant digits


def precision_option(help: str):
    """``--precision N``: the decimals a command's tables show (display only)."""
    return click.option("--precision", type=PRECISION, default=4, show_default=True, help=help)


def steps_option(help: str):
    """``--steps``: which time steps a command shows."""
    return click.option("--steps", "steps", type=STEPS, default=None, metavar="T|A:B", help=help)


def checked(option: str, check):
    """``check()``, whose BadValue (a value the spec or the run does not have) becomes a
    usage error naming the option ``option`` (its parameter name in the command)."""
    try:
        return check()
    except BadValue as exc:
        ctx = click.get_current_context()
        param = next(p for p in ctx.command.params if p.name == option)
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


# --------------------------------------------------------------------------- shell completion
# After `eval "$(_RNNTRACE_COMPLETE=bash_source rnntrace)"` (zsh_source, fish_source for
# those shells), Tab completes file names, the bundled examples' names and new's types.

def _complete_files(ctx, param, incomplete):
    """A file: the shell completes it as it completes any file name."""
    from click.shell_completion import CompletionItem
    return [CompletionItem(incomplete, type="file")]


def _example_names(incomplete: str):
    from .bundled import examples_dir
    if "/" in incomplete or os.sep in incomplete:
        return []
    return sorted(p.name for p in examples_dir().glob("*.yaml") if p.name.startswith(incomplete))


def _complete_spec(ctx, param, incomplete):
    """SPEC: a file, or the name of a bundled example."""
    from click.shell_completion import CompletionItem
    items = [CompletionItem(incomplete, type="file")]
    names = _example_names(incomplete)
    if names and os.environ.get("_RNNTRACE_COMPLETE", "").startswith("bash"):
        # bash completes file names itself only when nothing else was offered: with
        # examples offered, the files of the folder that match are named here as well.
        folder, _, start = incomplete.rpartition("/")
        try:
            entries = sorted(os.scandir(folder or "."), key=lambda e: e.name)
        except OSError:
            entries = []
        names = list(dict.fromkeys(
            [e.name + ("/" if e.is_dir() else "") for e in entries
             if e.name.startswith(start) and (start.startswith(".") or not e.name.startswith("."))] + names))
    return items + [CompletionItem(name) for name in names]


def _complete_example(ctx, param, incomplete):
    from click.shell_completion import CompletionItem
    return [CompletionItem(name) for name in _example_names(incomplete)]


def _complete_type(ctx, param, incomplete):
    from click.shell_completion import CompletionItem
    from .starters import TYPES
    return [CompletionItem(name) for name in TYPES if name.startswith(incomplete)]


def _dtype_option(f):
    return click.option("--dtype", type=click.Choice(["float64", "float32"]), default="float64",
                        show_default=True,
                        help="Compute in float64 (an exact reference) or in float32, as PyTorch and Keras "
                             "do by default, to reproduce their rounding.")(f)


def _in_dtype(spec_obj, dtype: str):
    """The spec with its numbers in ``dtype`` (a float32 run computes in float32 throughout)."""
    if dtype == "float64":
        return spec_obj
    from .engine.precision import cast
    return cast(spec_obj, dtype)


# --------------------------------------------------------------------------- run

@main.command()
@click.argument("spec", shell_complete=_complete_spec)
@click.option("--format", "fmt", default="table", show_default=True,
              type=click.Choice(list(OUTPUT_FORMATS)), help=output_formats_help())
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
@click.option("--export", "export_path", metavar="FILE.svg|FILE.html", shell_complete=_complete_files,
              help="Also write what the table view shows to an SVG picture, or the interactive page "
                   "(as `rnntrace page` writes it) to an HTML file.")
@click.option("--width", type=click.IntRange(40, 1000), default=None,
              help="Draw the table view this many columns wide (default: the terminal's, 80 when piped).")
@click.option("--inputs", "inputs_text", metavar="YAML",
              help="Run on these inputs instead of the spec's: '[[1, 0], [0, 1]]', or words with a lexicon.")
@click.option("--indent", type=click.IntRange(0, 8), default=None,
              help="Indent JSON output by this many spaces.")
@click.option("-o", "--output", default=None, metavar="FILE", shell_complete=_complete_files,
              help="Write the output to FILE instead of standard output (the table view without colour).")
@_dtype_option
@_allow_file_option
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
        from .render.formats import explaining
        raise RnntraceError(f"--explain writes the arithmetic in {explaining()}, not in --format {fmt}")
    view_options = explain or steps is not None or layer_names or panels or width
    if OUTPUT_FORMATS[fmt].exact and view_options:
        raise RnntraceError(f"--format {fmt} is always the whole exact trace; --explain, --steps, "
                            "--layer, --panels, --chart and --width are for the other formats")
    spec_obj = load(spec)
    if inputs_text is not None:
        from .yamlsource import parse
        spec_obj = spec_obj.with_inputs(parse(inputs_text, "--inputs", "--inputs"))
    spec_obj = _in_dtype(spec_obj, dtype)
    if output is not None and output != "-":
        with _OutputFile(output):
            _run(spec_obj, spec, fmt, explain, steps, layer_names, precision, panels, export_path,
                 export_kind, width, indent, to_file=True)
    else:
        _run(spec_obj, spec, fmt, explain, steps, layer_names, precision, panels, export_path,
             export_kind, width, indent)


def _check_explain(spec_obj, steps, precision):
    """--explain's size, estimated from its first step before the run (rnntrace/limits.py)."""
    from . import engine
    from .limits import check_explain
    from .render.explain import as_text, step_lines
    first = next(engine.iter_steps(spec_obj, spec_obj.inputs[:1]))
    size = sum(len(as_text(lines).encode("utf-8")) + 1 for _, lines in step_lines(spec_obj, first, precision=precision))
    check_explain(steps, size)


def _run(spec_obj, spec, fmt, explain, steps, layer_names, precision, panels, export_path, export_kind,
         width, indent, to_file=False):
    from . import engine
    from .limits import check_held
    from .layers import composite
    whole = any(composite(layer) for layer in spec_obj.layers)   # read before the first step
    total = len(spec_obj.inputs)
    form = OUTPUT_FORMATS[fmt]
    from .render.formats import Output
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
    from .render.selection import check_layers
    chosen_layers = checked("layer_names", lambda: check_layers(spec_obj, layer_names))
    chosen_steps = None if steps is None else checked("steps", lambda: steps.within(total))
    kept = total if chosen_steps is None or whole else len(chosen_steps)
    check_held(spec_obj, kept, "--format jsonl streams the trace one step at a time; --steps A:B "
               "keeps only those steps" + (" (without a bidirectional layer)" if whole else "") + ".")
    if explain:
        _check_explain(spec_obj, total if chosen_steps is None else len(chosen_steps), precision)
    if export_kind == "html":     # the page holds every step
        from .limits import check_page, numbers_per_step
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
    from .render.terminal import draw, export_text
    from .render.view import View, terminal_view
    view = View(precision=precision, explain=explain, steps=chosen_steps, layers=chosen_layers,
                panels=True if panels == "panels" else None, chart_only=panels == "chart")
    text, drawn = draw(terminal_view(trace, view), width=width, stream=sys.stdout if to_file else None)
    if export_kind == "html":   # the interactive page, the one kind of HTML rnntrace writes
        from .render.page import page_html
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
    from . import engine
    from .trace import Trace
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


# --------------------------------------------------------------------------- validate

@main.command()
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True, shell_complete=_complete_spec)
@_allow_file_option
def validate(specs):
    """Load and check each SPEC without running it.

    Says, for each valid spec, what the network is; for each spec that is not, prints
    one line on standard error naming the file, line, column and key path. Exits 2
    if any spec is not valid.

    \b
    Examples:
      rnntrace validate my_lstm.yaml
      rnntrace validate class/*.yaml            # a class's specs, a line each
    """
    from .layers import composite
    from .spec import parameter_count
    if list(specs).count("-") > 1:
        raise RnntraceError("standard input (-) can be read only once")
    bad = 0
    for spec in specs:
        try:
            s = _load_regular(spec)
        except RnntraceError as exc:
            if len(specs) == 1:
                raise
            bad += 1
            click.echo(f"Error: {_one_line(str(exc))}", err=True)
            continue
        layers = ", ".join(f"{layer.name} ({layer.type}, {layer.output_size} out, "
                           f"{parameter_count(layer)} parameters)" for layer in s.layers)
        steps, inputs = len(s.inputs), s.input_size
        lines = [f"{s.source}: valid: {steps} step{'s' if steps != 1 else ''} of {inputs} "
                 f"input{'s' if inputs != 1 else ''}; {layers}"]   # s.source: <stdin> for -
        for layer in s.layers:   # where packed weights went: each gate's rows or columns
            for name, part in ((layer.name, layer),) if not composite(layer) else \
                    ((f"{layer.name}.forward", layer.forward), (f"{layer.name}.backward", layer.backward)):
                packing = getattr(part, "packed", None)
                if packing is not None:
                    first, *rest = packing.lines()
                    lines += [f"{name}: {first}"] + rest
        write("\n".join(lines))
    if bad:
        click.echo(f"Error: {bad} of {len(specs)} specs are not valid (see above)", err=True)
        click.get_current_context().exit(EXIT_USAGE)


# --------------------------------------------------------------------------- examples

@main.command()
@click.argument("name", required=False, shell_complete=_complete_example)
def examples(name):
    """List the bundled example specs, one line each with what it shows; with NAME,
    print that example's text, to copy and edit.

    Run any of them by name, from any folder.

    \b
    Examples:
      rnntrace examples
      rnntrace run basic_rnn.yaml
      rnntrace examples toy_w999.yaml > my_toy.yaml
    """
    write(example_text(name) if name is not None else "\n".join(listing()))


# --------------------------------------------------------------------------- check

@main.command()
@click.argument("spec", shell_complete=_complete_spec)
@click.argument("answer_files", metavar="ANSWERS...", nargs=-1, required=True, shell_complete=_complete_files)
@click.option("--key", "key_path", metavar="KEY.yaml", default=None, shell_complete=_complete_files,
              help="Grade against this answer key (what `rnntrace answers` writes): its questions are "
                   "the ones scored (each worth its 'points:', default 1), an unanswered one is wrong, "
                   "other answers are listed as not graded, and its tolerance is used.")
@click.option("--tolerance", type=NOT_NEGATIVE, default=None,
              help="Right means |yours − exact| ≤ TOLERANCE·max(1, |exact|). "
                   "Wins over the key's and a file's own 'tolerance'.  [default: 0.01]")
@click.option("--trust-file-tolerance", is_flag=True,
              help="With several files, use each file's own 'tolerance' (otherwise only one file "
                   "checked on its own, without --key, may set it).")
@click.option("--follow-through", "follow", is_flag=True,
              help="Also count an answer right when it follows from your own earlier answers "
                   "(memory from step t−1, a gate from your z, the cell from your gates, …).")
@click.option("--explain", is_flag=True,
              help="Under each answer that is not right, the exact arithmetic of that quantity at "
                   "that step, as `run --explain` writes it.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="table for people; json (rnntrace.check/1) for an autograder; "
                                      "csv (one row per file) for a gradebook.")
@precision_option("Decimals shown in the table (display only; a wrong answer gets as many as it "
                  "takes to differ from the exact value).")
@_allow_file_option
@click.pass_context
def check(ctx, spec, answer_files, key_path, tolerance, trust_file_tolerance, follow, explain, fmt, precision):
    """Check hand-computed ANSWERS against the exact run of SPEC.

    An answers file gives, per time step, quantities of the trace and your values:

    \b
      tolerance: 0.01        # optional
      steps:
        1: {lstm.c: 3, y: 0}
        4: {y: 7, c: 7}
        5:
          lstm.h[1]: 0       # one unit of a list, counted from 1

    With one file, each answer gets a row; with several (a whole class) each file gets
    a row with its score and first answer that is not right, and a file that cannot be
    read is reported in its row (scoring 0) without stopping the others. Any name the
    views print is an answer name (lstm.c, c, cell, z_f, σ(z_f), f, forget gate, y).
    Exit code 0 when every answer is right, 1 when one is not (or a file of a class could
    not be read), 2 when grading could not happen (a bad spec, key or option).

    \b
    Examples:
      rnntrace check lstm_example.yaml my_answers.yaml
      rnntrace check lstm_example.yaml my_answers.yaml --explain --follow-through
      rnntrace answers homework.yaml --ask c,y > key.yaml
      rnntrace check homework.yaml --key key.yaml answers/*.yaml \\
          --format csv > grades.csv
    """
    if [spec, key_path, *answer_files].count("-") > 1:   # a second read would find it empty
        raise RnntraceError("only one of SPEC, --key and ANSWERS can be read from standard input (-)")
    if explain and fmt == "csv":
        raise RnntraceError("--explain writes hints in the table and in --format json, not in --format csv")
    if explain and fmt == "table" and len(answer_files) > 1:
        raise RnntraceError("--explain writes the hints of one file; with several, use --format json "
                            "(each answer that is not right gets its hint)")
    spec_obj = load(spec)
    from .grading.answers import Policy, Reference, check_file, check_files, exit_code, load_key
    from .render import check as show
    from .limits import check_held
    check_held(spec_obj, len(spec_obj.inputs), "A shorter sequence keeps it within the limit.")
    trace = watch_finite().run(spec_obj)   # says where it overflowed
    reference = Reference.from_trace(trace, spec)
    key = load_key(key_path, reference) if key_path is not None else None
    one = len(answer_files) == 1
    follower = None
    if follow:
        from .grading.followthrough import FollowThrough
        follower = FollowThrough(spec_obj, reference)
    policy = Policy(tolerance, key, trust_file_tolerance=(one and key is None) or trust_file_tolerance,
                    follow=follower)
    if one:
        results = [check_file(answer_files[0], reference, policy=policy)]   # unreadable: the usual exit 2
    else:
        results = check_files(answer_files, reference, policy=policy)
    hints = None
    if explain:
        from .render.explain import quantity_text

        def hints(v):
            return quantity_text(spec_obj, trace, v.t, v.quantity, precision) if v.t is not None else None
    if fmt == "json":
        write(show.check_json(show.report_to_dict(results, spec, key=key_path, hints=hints)))
    elif fmt == "csv":
        write(show.check_csv(results))
    else:
        parts = show.answers_table(results[0], precision, hints) if one else \
            show.class_table(results, show.summary(results), precision)
        write_rich(parts)
    if not one and key is None:   # nothing decides what was asked: a skipped question costs nothing
        click.echo(f"Warning: without --key only the answers each file gives are graded, so a file that "
                   f"skips a question loses nothing; make a key with: rnntrace answers {spec} --ask NAMES "
                   f"> key.yaml, then add --key key.yaml", err=True)
    if not one and not trust_file_tolerance and key is None and tolerance is None:
        own = sum(r.own_tolerance is not None for r in results)
        if own:
            click.echo(f"Note: {own} file{'s set their' if own != 1 else ' sets its'} own tolerance, not used "
                       "(--trust-file-tolerance to use it; --tolerance to choose one)", err=True)
    code = exit_code(results)
    bad = sum(not r.readable for r in results)
    if bad:
        click.echo(f"Note: {bad} of {len(results)} answer files could not be read, each scoring 0 "
                   "(see their rows)", err=True)
    ctx.exit(code)


# --------------------------------------------------------------------------- new

@main.command()
@click.argument("kind", metavar="TYPE", type=STARTER, shell_complete=_complete_type)
@click.option("--random", "randomly", is_flag=True,
              help="A fresh exercise: small integer weights and inputs that keep the hand "
                   "arithmetic exact.")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="The same seed gives the same exercise (implies --random).")
def new(kind, randomly, seed):
    """Print a commented starter spec of TYPE, ready to run: elman, jordan, lstm, gru,
    indrnn, bidirectional or slot-filling.

    \b
    Examples:
      rnntrace new lstm > my_lstm.yaml
      rnntrace new lstm | rnntrace run -
      rnntrace new gru --random --seed 7 > exercise.yaml
    """
    from .starters import starter
    if randomly or seed is not None:
        from .starters.exercises import exercise
        if seed is None:
            import secrets
            seed = secrets.randbelow(100_000)
        write(exercise(kind, seed))
    else:
        write(starter(kind))


def _imported_inputs(text):
    """The ``--inputs`` of an imported model, as plain data for the spec, or None."""
    if text is None:
        return None
    from .yamlsource import parse
    inputs = parse(text, "--inputs", "--inputs").data
    if inputs is None:
        raise RnntraceError("--inputs: expected a list of steps, found nothing")
    return inputs


def _label_list(text):
    """``dest, time,other`` → ["dest", "time", "other"]; None stays None."""
    return None if text is None else [x.strip() for x in text.split(",")]


# --------------------------------------------------------------------------- import-torch

class _TableChoice(click.Choice):
    """A Choice whose names come from a table, read when first needed (not at start-up)."""

    def __init__(self, load):
        self._load, self.case_sensitive = load, True

    @property
    def choices(self):
        return self._load()


def _dense_activations():
    from .convert import DENSE_ACTIVATIONS   # the activation table's functions PyTorch has
    return DENSE_ACTIVATIONS


@main.command("import-torch")
@click.argument("weights", metavar="FILE.pt", shell_complete=_complete_files)
@click.option("--inputs", "inputs_text", default=None, metavar="SEQUENCE",
              help="The input sequence in YAML or JSON, one list per step: '[[1, 0], [0, 1]]'. "
                   "Default: one step of zeros, to be replaced.")
@click.option("--nonlinearity", type=click.Choice(["tanh", "relu"]), default=None,
              help="nn.RNN's nonlinearity (a state_dict does not record it).  [default: tanh, said on stderr]")
@click.option("--activation", type=_TableChoice(_dense_activations),
              default="linear", show_default=True, help="What follows the last nn.Linear.")
@click.option("--labels", default=None, metavar="A,B,…", help="Names of the last nn.Linear's units.")
@click.option("--title", default=None, help="The spec's title.")
@click.option("-o", "--output", default=None, metavar="FILE", shell_complete=_complete_files,
              help="Write the spec to FILE instead of standard output.")
def import_torch(weights, inputs_text, nonlinearity, activation, labels, title, output):
    """Turn the weights of a PyTorch model (nn.RNN, nn.LSTM, nn.GRU, nn.Linear; stacked
    and bidirectional too) into a spec, stacked in the order of the state_dict.

    FILE.pt is what `torch.save(model.state_dict(), "FILE.pt")` writes. rnntrace
    reads its zip archive itself, without PyTorch: the pickle inside builds tensors
    and plain containers only, never code from the file (meta, quantised, sparse
    and complex tensors are refused). A file of PyTorch before 1.6 needs PyTorch.

    \b
    Examples:
      rnntrace import-torch model.pt --inputs '[[1, 0], [0, 1]]' -o model.yaml
      rnntrace import-torch tagger.pt --activation softmax \\
          --labels dest,time,other | rnntrace run -
    """
    from .convert import load_torch_file, spec_from_state_dict, spec_to_yaml
    from .safetext import visible
    inputs = _imported_inputs(inputs_text)
    state, low = load_torch_file(weights)
    spec = spec_from_state_dict(state, source=weights, inputs=inputs, title=title,   # valid, or an error
                                nonlinearity=nonlinearity or "tanh", activation=activation,
                                labels=_label_list(labels))
    rnns = [layer.name for layer in spec.layers
            if "elman" in (layer.type, getattr(getattr(layer, "forward", None), "type", None))]
    if rnns and nonlinearity is None:
        # A state_dict holds tensors only: nothing in it says whether nn.RNN used tanh or ReLU.
        click.echo(f"Note: {', '.join(rnns)}: an nn.RNN's state_dict does not record its nonlinearity; "
                   "assumed tanh (--nonlinearity relu if the model uses ReLU)", err=True)
    comment = f"Imported from {visible(os.path.basename(weights))}: weights as the model holds them."
    if low:
        comment += (f"\nThe file stores weights in {' and '.join(low)}; each is widened to float64 exactly, "
                    "and the spec computes in float64.")
    if inputs is None:
        comment += "\nThe inputs are one step of zeros: put the sequence to run in their place."
    text = spec_to_yaml(spec, comment=comment)
    if output is None:
        write(text)
        return
    save(output, text, output)


# --------------------------------------------------------------------------- import-keras

@main.command("import-keras")
@click.argument("model", metavar="MODEL.keras|MODEL.h5")
@click.option("--inputs", "inputs_text", default=None, metavar="SEQUENCE",
              help="The input sequence in YAML or JSON, one list per step: '[[1, 0], [0, 1]]'. "
                   "Default: one step of zeros, to be replaced.")
@click.option("--labels", default=None, metavar="A,B,…", help="Names of the last Dense layer's units.")
@click.option("--output-number", "output_number", type=click.IntRange(min=1), default=None, metavar="N",
              help="Which output of the model the spec's y is, when its last layer gives several "
                   "(merge_mode=None: 1 forward, 2 backward; return_state=True: 1 the sequence); "
                   "the written spec's comments name them.")
@click.option("--title", default=None, help="The spec's title.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the spec to FILE instead of standard output.")
def import_keras(model, inputs_text, labels, output_number, title, output):
    """Turn a Keras model (Embedding, SimpleRNN, LSTM, GRU, RNN of a cell,
    Bidirectional, Dense and TimeDistributed(Dense) layers; Masking, Dropout) into a
    spec, with the activations, biases and layer names the file records
    (docs/import.md).

    MODEL is what `model.save("MODEL.keras")` writes, or a legacy `.h5` file (`-`:
    standard input). rnntrace reads it as data (zip, JSON and HDF5 through h5py),
    every size and type checked before a number is read: Keras is not needed, and
    no code from the file is run (a Lambda layer is refused). Needs h5py (pip
    install 'rnntrace[keras]').

    \b
    Examples:
      rnntrace import-keras model.keras --inputs '[[1, 0], [0, 1]]' -o model.yaml
      rnntrace import-keras tagger.h5 --labels dest,time,other | rnntrace run -
      rnntrace import-keras bi.keras --output-number 2 -o backward.yaml
    """
    from .convert import spec_to_yaml
    from .convert_keras import load_keras_model, spec_from_keras
    from .safetext import visible
    from .spec import spec_from_dict
    inputs = _imported_inputs(inputs_text)
    source = load_keras_model(model)
    spec, notes = spec_from_keras(source, inputs=inputs, title=title,
                                  labels=_label_list(labels), output=output_number)
    spec_from_dict(spec, source=source.path)     # what is written is a valid spec
    made = f" (Keras {source.version})" if source.version else ""
    comment = "\n".join([f"Imported from {visible(os.path.basename(source.path))}{visible(made)}: weights as the "
                          "model holds them."]
                        + notes)
    if inputs is None:
        comment += "\nThe inputs are one step of zeros: put the sequence to run in their place."
    text = spec_to_yaml(spec, comment=comment)
    if output is None:
        write(text)
        return
    save(output, text, output)


# --------------------------------------------------------------------------- import-onnx

@main.command("import-onnx")
@click.argument("model", metavar="MODEL.onnx", shell_complete=_complete_files)
@click.option("--inputs", "inputs_text", default=None, metavar="SEQUENCE",
              help="The input sequence in YAML or JSON: one list per step '[[1, 0], [0, 1]]', ids "
                   "'[3, 0, 2]', or words with --lexicon. Default: one step of zeros, to be replaced.")
@click.option("--lexicon", "lexicon_file", default=None, metavar="FILE", shell_complete=_complete_files,
              help="The words of an embedding table's rows, in order, one per line (- for stdin).")
@click.option("--labels", default=None, metavar="A,B,…", help="Names of the last dense layer's units.")
@click.option("--title", default=None, help="The spec's title.")
@click.option("-o", "--output", default=None, metavar="FILE", shell_complete=_complete_files,
              help="Write the spec to FILE instead of standard output.")
def import_onnx(model, inputs_text, lexicon_file, labels, title, output):
    """Turn an ONNX model (LSTM, GRU and RNN nodes with every attribute, and the
    Gather, Gemm, MatMul, Add, Softmax and reshaping around them that torch.onnx.export
    and tf2onnx write) into a spec; anything else is refused, naming the node.

    MODEL.onnx is read with the onnx package (pip install 'rnntrace[onnx]'), without
    external data files; nothing in it is run. docs/import.md lists what is read.

    \b
    Examples:
      rnntrace import-onnx lstm.onnx --inputs '[[1, 0], [0, 1]]' -o lstm.yaml
      rnntrace import-onnx tagger.onnx --lexicon words.txt \\
          --inputs 'arrive Taipei on November' --labels dest,time,other | rnntrace run -
    """
    from .convert import spec_to_yaml
    from .safetext import visible
    from .convert_onnx import import_onnx as read_onnx
    from .spec import spec_from_dict
    from .yamlsource import read_named
    inputs = _imported_inputs(inputs_text)
    if isinstance(inputs, str):
        inputs = inputs.split()
    lexicon = None
    if lexicon_file is not None:
        lexicon = read_named(lexicon_file, "--lexicon" if lexicon_file == "-" else lexicon_file, "lexicon").split()
        if not lexicon:
            raise RnntraceError(f"{lexicon_file}: no words (expected one word per line)")
    imported = read_onnx(model, inputs=inputs, lexicon=lexicon, labels=_label_list(labels), title=title)
    spec_from_dict(imported.spec, source=model)     # what is written is a valid spec
    comment = "\n".join([f"Imported from {visible(os.path.basename(model))}: weights as the model holds them."]
                        + imported.notes)
    if inputs is None:
        comment += "\nThe inputs are one step of zeros: put the sequence to run in their place."
    text = spec_to_yaml(imported.spec, comment=comment)
    if output is None:
        write(text)
        return
    save(output, text, output)


# --------------------------------------------------------------------------- worksheet, answers

def _ask_option(f):
    return click.option("--ask", type=NAMES, default=None, metavar="NAMES",
                        help="Comma-separated quantities to ask for: full paths (lstm.gates.<block>.a) "
                             "or their last part (c, h, y, a); 'all' for everything. "
                             "Default: each layer's memory and output.")(f)


def _sheet(spec, ask, steps=None, worked=None):
    spec_obj = load(spec)
    from . import engine
    from .limits import check_held
    from .sheet import build_sheet
    check_held(spec_obj, len(spec_obj.inputs), "A sheet is for a short sequence.")
    total = len(spec_obj.inputs)
    chosen = None if steps is None else checked("steps", lambda: steps.within(total))
    worked_steps = None if worked is None else checked("worked", lambda: worked.within(total))
    trace = engine.run(spec_obj)
    return checked("ask", lambda: build_sheet(spec_obj, trace, ask, source=spec_obj.source,   # <stdin> for -
                                              steps=chosen, worked=worked_steps))


_steps_option = steps_option("Ask for these steps only: 3, 2:4, or a list such as 1,3:4. The steps before "
                             "the last one asked are given; the ones after it are left out.")


@main.command()
@click.argument("spec", shell_complete=_complete_spec)
@_ask_option
@click.option("--format", "fmt", type=click.Choice(["markdown", "latex"]), default="markdown",
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
@_allow_file_option
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
    from .render import worksheet as show
    if fmt == "latex":
        write(show.latex(sheet, key=key, precision=precision, standalone=standalone, check_hint=check_hint))
    else:
        write(show.markdown(sheet, key=key, precision=precision, check_hint=check_hint))


@main.command()
@click.argument("spec", shell_complete=_complete_spec)
@_ask_option
@_steps_option
@_allow_file_option
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
    from .render.worksheet import answers_yaml
    write(answers_yaml(sheet))


# --------------------------------------------------------------------------- page

@main.command()
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
@_dtype_option
@_allow_file_option
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
        from .yamlsource import parse
        spec_obj = spec_obj.with_inputs(parse(inputs_text, "--inputs", "--inputs"))
    from .limits import check_page, numbers_per_step
    check_page(len(spec_obj.inputs), numbers_per_step(spec_obj))     # before the run
    trace = watch_finite().run(_in_dtype(spec_obj, dtype))
    if figure_step is not None and figure_path is None:
        raise RnntraceError("--step chooses the step --figure draws; it needs --figure FILE.svg")
    if figure_path is not None:
        figure_step = figure_step or 1
        if figure_step > len(trace):
            raise click.BadParameter(f"{figure_step}: the run has steps 1 to {len(trace)}", param_hint="'--step'")
        from .render.figure import figure_svg
        picture = figure_svg(trace, figure_step, precision, source=spec_obj.source)
        if figure_path == "-":
            write(picture)
        else:
            save(figure_path, picture, figure_path)
        if output is None:
            return
    from .render.page import page_html
    names = None if ask is None else list(ask)
    text = checked("ask", lambda: page_html(trace, ask=names, tolerance=tolerance, precision=precision,
                                            source=spec_obj.source))
    if output is None or output == "-":
        write(text)
        return
    save(output, text, output)


# --------------------------------------------------------------------------- grad and surface

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


@main.command()
@click.argument("spec", shell_complete=_complete_spec)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="table for people; json (rnntrace.grad/1) for other tools.")
@click.option("--explain", is_flag=True, help="Write out the chain rule for every quantity shown.")
@_clip_options
@steps_option("Show the backward tables of these steps only: 5, 995:1000, or a list such as 1,3:4.  "
              "[default: all, or the last 3 of a long sequence]")
@precision_option("Decimals shown in tables (display only; JSON is always exact).")
@click.option("--indent", type=click.IntRange(0, 8), default=None, help="Indent JSON output by this many spaces.")
@_dtype_option
@_allow_file_option
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
    spec_obj = _in_dtype(load(spec), dtype)
    clip, rate = _training(spec_obj, spec, clip_norm, clip_value, no_clip, learning_rate, "grad")
    chosen_steps = None if steps is None else checked("steps", lambda: steps.within(len(spec_obj.inputs)))
    from .engine.bptt import backprop
    from .limits import check_held
    check_held(spec_obj, len(spec_obj.inputs), "A shorter sequence keeps it within the limit.", factor=2)
    trace = watch_finite().run(spec_obj)   # the forward pass, saying where it overflowed
    result = backprop(spec_obj, trace, clip=clip, learning_rate=rate)
    import math
    if not math.isfinite(result.norm):   # said after the output, like the forward pass's warnings
        click.get_current_context().call_on_close(lambda: click.echo(
            f"Warning: a gradient went past {spec_obj.dtype}'s range (shown as inf or nan; null in JSON); "
            "smaller weights or a shorter sequence keep it finite", err=True))
    from .render import grad as show
    if fmt == "json":
        write(show.gradients_json(result, indent))
        return
    write_rich(show.render(result, trace, precision, explain, chosen_steps))


@main.command()
@click.argument("spec", shell_complete=_complete_spec)
@click.option("--param", type=WEIGHT, required=True, metavar="NAME[i,j]",
              help="The weight to sweep, e.g. hidden.U[0,0] (0-based; no index for a single weight).")
@click.option("--range", "values", type=RANGE, required=True, metavar="A:B:N",
              help="N values from A to B, e.g. 0.9:1.1:41.")
@click.option("--param2", type=WEIGHT, default=None, metavar="NAME[i,j]", help="A second weight: a 2-D map.")
@click.option("--range2", "values2", type=RANGE, default=None, metavar="A:B:N", help="The second weight's values.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True,
              help="table draws the surface; json (rnntrace.surface/1) and csv give the numbers.")
@click.option("--scale", type=click.Choice(["auto", "linear", "log"]), default="auto", show_default=True,
              help="How the loss is drawn; auto takes log when it spans more than 1000×.")
@_clip_options
@precision_option("Decimals shown in tables (display only).")
@_allow_file_option
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
    from .limits import check_held, check_surface
    check_surface(len(values) * (1 if values2 is None else len(values2)), len(spec_obj.inputs))
    check_held(spec_obj, len(spec_obj.inputs), "A shorter sequence keeps it within the limit.", factor=2)
    from .engine.surface import sweep
    result = sweep(spec_obj, weight, values, weight2, values2, clip=clip, learning_rate=rate)
    from .render import surface as show
    if fmt == "json":
        write(show.surface_json(result))
    elif fmt == "csv":
        write(show.surface_csv(result))
    else:
        write_rich(show.render(result, precision, scale))
