"""What the commands of rnntrace/commands/ share: reading a spec (a file, ``-`` or a
bundled example), writing an output whole, the grammar of option values and shell
completion. Nothing is computed here."""
from __future__ import annotations

import os
import sys

import click

from ..bundled import missing_hint, resolve_spec
from ..cli import shown
from ..errors import BadValue, RnntraceError


def load(spec_arg: str):
    """The spec SPEC names: a file, ``-`` (standard input) or a bundled example."""
    from ..errors import MissingFileError
    from ..spec import load_spec
    path = resolve_spec(spec_arg)
    try:
        return load_spec(path, name="<stdin>" if spec_arg == "-" else spec_arg, allow_files=_allowed_files())
    except MissingFileError:
        raise _no_such_spec(spec_arg) from None


def load_regular(spec_arg: str):
    """As load(), reading the file as answer files are read (rnntrace/grading/files.py):
    a regular file only, never through a symlink, never a FIFO or a device (docs/check.md)."""
    if spec_arg == "-":
        return load(spec_arg)
    from ..errors import MissingFileError
    from ..grading.files import read_regular
    from ..spec import spec_from_text
    path = resolve_spec(spec_arg)
    try:
        text = read_regular(path, spec_arg, "spec")
    except MissingFileError:
        raise _no_such_spec(spec_arg) from None
    return spec_from_text(text, spec_arg, folder=os.path.dirname(os.fspath(path)) or ".",
                          allow_files=_allowed_files())


def _no_such_spec(spec_arg: str) -> RnntraceError:
    return RnntraceError(f"{spec_arg}: no such file{missing_hint(spec_arg)}")


#: Where --allow-file keeps its paths in the command's context, for load().
_ALLOW_FILE = "rnntrace.allow_file"


def _allowed_files():
    return click.get_current_context().meta.get(_ALLOW_FILE, ())


def allow_file_option(f):
    """--allow-file PATH, on every command that loads a spec: where else than the spec's
    folder its ``inputs: {file: …}`` may be read (kept in the context for load())."""
    def keep(ctx, param, value):
        ctx.meta[_ALLOW_FILE] = tuple(value)
    return click.option("--allow-file", "allow_file", multiple=True, metavar="PATH", expose_value=False,
                        callback=keep, shell_complete=complete_files,
                        help="Let the spec read 'inputs: {file: …}' from PATH (a file or a folder) "
                             "as well as from its own folder (repeatable).")(f)


def write(text: str, drawn: bool = False) -> None:
    """Write a whole output at once, so that an error never leaves half of it. Text
    that others wrote is shown as text: a control character that reached a Markdown,
    LaTeX or CSV output is written in its visible form (safetext.visible); a ``drawn``
    output is rich's, already made safe as it was drawn (render.terminal), whose colours
    are escape sequences of its own."""
    if not drawn:
        from ..safetext import visible
        text = visible(text, lines=True)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()


def watch_finite():
    """Notes values of the run that stop being finite (float64 overflow) and says
    where, one warning line per layer on stderr, when the command ends."""
    from ..finite import Watch
    watch = Watch()

    def report():
        for problem in watch.found:
            click.echo(f"Warning: {shown(problem.message())}", err=True)

    click.get_current_context().call_on_close(report)
    return watch


def write_rich(parts) -> None:
    """Draw rich renderables for the terminal (or for a pipe) and write them at once."""
    from ..render.terminal import draw
    text, _ = draw(parts, highlight=True)
    write(text, drawn=True)


def save(path: str, text: str, label: str) -> None:
    """Write ``text`` to the file ``path``; ``label`` names it in an error."""
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as exc:
        raise RnntraceError(f"{label}: cannot write: {exc.strerror or exc}") from None


class OutputFile:
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

class Choice(click.Choice):
    """click's Choice, with the close name for a typo, as everywhere else: "'jsonn' is not
    one of …; did you mean 'json'?"."""

    def convert(self, value, param, ctx):
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as error:
            from ..errors import close_name
            close = close_name(value, self.choices)
            if close is not None:
                error.message = f"{error.message.rstrip('.')}; did you mean {close!r}?"
            raise


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
        from ..render.selection import StepChoice
        return StepChoice.parse(value)


class _Weight(_Parsed):
    """A weight of the network, ``NAME[i,j]`` (a :class:`~rnntrace.surface_options.WeightChoice`;
    checked against the spec by ``.resolve(spec)``)."""

    name = "weight"

    def parse(self, value):
        from ..surface_options import WeightChoice
        return WeightChoice.parse(value)


class _Range(_Parsed):
    """``A:B:N``: N evenly spaced values from A to B, as a float64 array."""

    name = "range"

    def parse(self, value):
        from ..surface_options import parse_range
        return parse_range(value)


class _Starter(_Parsed):
    """The type of a starter spec: ``lstm``, ``slot-filling`` (also ``slot_filling``), …"""

    name = "type"

    def parse(self, value):
        from ..starters import starter_type
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

def complete_files(ctx, param, incomplete):
    """A file: the shell completes it as it completes any file name."""
    from click.shell_completion import CompletionItem
    return [CompletionItem(incomplete, type="file")]


def _example_names(incomplete: str):
    from ..bundled import examples_dir
    if "/" in incomplete or os.sep in incomplete:
        return []
    return sorted(p.name for p in examples_dir().glob("*.yaml") if p.name.startswith(incomplete))


def complete_spec(ctx, param, incomplete):
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


def complete_example(ctx, param, incomplete):
    from click.shell_completion import CompletionItem
    return [CompletionItem(name) for name in _example_names(incomplete)]


def complete_type(ctx, param, incomplete):
    from click.shell_completion import CompletionItem
    from ..starters import TYPES
    return [CompletionItem(name) for name in TYPES if name.startswith(incomplete)]


def dtype_option(f):
    return click.option("--dtype", type=Choice(["float64", "float32"]), default="float64",
                        show_default=True,
                        help="Compute in float64 (an exact reference) or in float32, as PyTorch and Keras "
                             "do by default, to reproduce their rounding.")(f)


def in_dtype(spec_obj, dtype: str):
    """The spec with its numbers in ``dtype`` (a float32 run computes in float32 throughout)."""
    if dtype == "float64":
        return spec_obj
    from ..engine.precision import cast
    return cast(spec_obj, dtype)
