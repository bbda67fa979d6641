"""The command line: the ``rnntrace`` group, the table of its subcommands, and how every
command ends (an error as one line on stderr, exit codes). Nothing is computed here.

Each subcommand lives in a module of rnntrace/commands/, imported only when that
command is called (or its help or completion is asked for): ``rnntrace run`` does not
build ``grad``, ``check`` or ``page``, and ``rnntrace --help`` lists every command from
:data:`COMMANDS` without importing one. Imports of numpy, rich and the engine happen
inside the commands that need them, so that ``--help`` and ``--format json`` start
quickly.
"""
from __future__ import annotations

import errno
import os
import sys
import warnings
from collections.abc import MutableMapping
from importlib import import_module

import click

from . import __version__
from .errors import RnntraceError

# An RNN step multiplies a few thousand numbers: BLAS threads gain nothing there, and
# between products they spin, CPU time that a shared machine pays (a third of a short
# run's). The command line runs numpy's BLAS on one thread unless the environment says
# otherwise (set before numpy is imported, which happens in the commands); the library
# leaves its caller's settings alone. docs/speed.md.
for _threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

EXIT_WRONG = 1   # check: at least one answer is wrong
EXIT_USAGE = 2   # bad input or usage
EXIT_INTERRUPTED = 130   # Ctrl-C


class _UsageLine(click.UsageError):
    """A usage error (unknown option, bad value, missing argument) in one line, with
    where to read more, instead of click's usage block of four lines."""

    def show(self, file=None):
        more = f" (see '{self.ctx.command_path} --help')" if self.ctx is not None else ""
        text = shown(self.format_message())
        click.echo(f"Error: {text[:-1] if text.endswith('.') else text}{more}", file=file, err=True)


def _usage_line(exc: click.UsageError) -> click.UsageError:
    if isinstance(exc, (_UsageLine, click.exceptions.NoArgsIsHelpError)):
        return exc
    line = _UsageLine(exc.format_message(), exc.ctx)
    line.exit_code = exc.exit_code
    return line


# --help and --version are made here as click makes them, with their texts given: click
# looks its own texts up among gettext's translations, and the first lookup imports
# ``locale`` (about 4 million instructions, near 1 ms of every run's start-up) for texts
# that have no translation here.

def _show_help(ctx, param, value):
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def _show_version(ctx, param, value):
    if value and not ctx.resilient_parsing:
        click.echo(f"rnntrace, version {__version__}", color=ctx.color)
        ctx.exit()


class _HelpText:
    """A command whose ``--help`` (``-h``) is click's, its text given (above)."""

    def get_help_option(self, ctx):
        names = self.get_help_option_names(ctx)
        if not names or not self.add_help_option:
            return None
        if self._help_option is None:   # made once: click orders eager options by identity
            self._help_option = click.Option(names, is_flag=True, expose_value=False, is_eager=True,
                                             callback=_show_help, help="Show this message and exit.")
        return self._help_option


class Command(_HelpText, click.Command):
    """A subcommand of rnntrace (each command in rnntrace/commands/ is made with this class)."""


class _Group(_HelpText, click.Group):
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
            click.echo(f"Error: {shown(str(exc))}", err=True)
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

    def format_commands(self, ctx, formatter):
        # As click's, with each line from COMMANDS: --help imports no command's module.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        with formatter.section("Commands"):
            formatter.write_dl([(name, _short_help(name, limit)) for name in names])

    def shell_complete(self, ctx, incomplete):
        # `rnntrace <Tab>`: the command names from COMMANDS, then the group's options.
        from click.shell_completion import CompletionItem
        return [CompletionItem(name, help=_short_help(name)) for name in self.list_commands(ctx)
                if name.startswith(incomplete)] + click.Command.shell_complete(self, ctx, incomplete)


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


def one_line(text: str) -> str:
    return " ".join(text.split()) if "\n" in text or "\r" in text else text


def shown(text: str) -> str:
    """A message for standard error on one line, whatever the names in it hold: file names,
    keys and words written by others are shown as text (safetext.visible), so that they
    cannot send escape sequences to the terminal."""
    from .safetext import visible
    return visible(one_line(text))


def _silence_stdout() -> None:
    # Python flushes stdout at exit; pointing it at /dev/null keeps that flush quiet.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


#: Every subcommand: its name → (its module in rnntrace/commands/, the first paragraph of
#: its help, which ``rnntrace --help`` shortens to a line as click does). The command is
#: the module's attribute of the same name (``import_torch`` for ``import-torch``).
#: tests/test_cli.py checks this table against the commands themselves.
COMMANDS = {
    "answers": ("worksheet", "Write the answers file of SPEC, filled with the exact values, in the format "
                             "`rnntrace check` reads: an answer key that is itself checkable."),
    "check": ("check", "Check hand-computed ANSWERS against the exact run of SPEC."),
    "examples": ("examples", "List the bundled example specs, one line each with what it shows; with NAME, "
                             "print that example's text, to copy and edit."),
    "grad": ("grad", "Backpropagation through time over SPEC's sequence, with its `train` block."),
    "import-keras": ("imports", "Turn a Keras model (Embedding, SimpleRNN, LSTM, GRU, RNN of a cell, "
                                "Bidirectional, Dense and TimeDistributed(Dense) layers; Masking, Dropout) into "
                                "a spec, with the activations, biases and layer names the file records "
                                "(docs/import.md)."),
    "import-onnx": ("imports", "Turn an ONNX model (LSTM, GRU and RNN nodes with every attribute, and the "
                               "Gather, Gemm, MatMul, Add, Softmax and reshaping around them that "
                               "torch.onnx.export and tf2onnx write) into a spec; anything else is refused, "
                               "naming the node."),
    "import-torch": ("imports", "Turn the weights of a PyTorch model (nn.RNN, nn.LSTM, nn.GRU, nn.Linear; "
                                "stacked and bidirectional too) into a spec, stacked in the order of the "
                                "state_dict."),
    "new": ("new", "Print a commented starter spec of TYPE, ready to run: elman, jordan, lstm, gru, indrnn, "
                   "bidirectional or slot-filling."),
    "page": ("page", "Write SPEC's run as one interactive HTML page: step through time, click any number for "
                     "its arithmetic, edit a weight or an input and see what changes."),
    "run": ("run", "Run SPEC step by step and show every gate, cell and output."),
    "surface": ("grad", "Sweep one weight of SPEC (or two, for a map) and draw the loss, with the gradient's "
                        "size beside it: the lecture's rough error surface."),
    "validate": ("validate", "Load and check each SPEC without running it."),
    "worksheet": ("worksheet", "Write an exercise sheet for SPEC: the network, its weights, the inputs and a "
                               "blank cell per step for each quantity asked; with --key, its answer key."),
}


class _Commands(MutableMapping):
    """The group's subcommands by name (click's ``Group.commands``, which its
    ``get_command``, ``list_commands`` and "did you mean" read): every name of
    :data:`COMMANDS`, each command built by importing its module when it is first
    looked up."""

    def __init__(self):
        self._built = {}

    def __getitem__(self, name):
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            module = import_module(f"{__package__}.commands.{COMMANDS[name][0]}")
            self._built[name] = getattr(module, name.replace("-", "_"))
        return self._built[name]

    def __setitem__(self, name, command):   # Group.add_command
        self._built[name] = command

    def __delitem__(self, name):
        del self._built[name]

    def __iter__(self):
        return iter(dict.fromkeys([*COMMANDS, *self._built]))

    def __len__(self):
        return len(set(COMMANDS) | set(self._built))


def _short_help(name: str, limit: int = 45) -> str:
    """A command's line in ``--help`` (and in zsh's and fish's completion): its help's
    first paragraph from the table, shortened to ``limit`` characters as click shortens a
    command's help (``Command.get_short_help_str``; its helper is private to click and
    leaves in click 9): whole words up to the first sentence's full stop, else as many
    words as fit with "..." after them. tests/test_cli.py holds the two equal."""
    words = COMMANDS[name][1].split()
    total = 0
    for i, word in enumerate(words):
        total += len(word) + (i > 0)
        if total > limit:
            break
        if word.endswith("."):
            return " ".join(words[:i + 1])
        if total == limit and i != len(words) - 1:
            break
    else:
        return " ".join(words)
    total += len("...")
    while i > 0:
        total -= len(words[i]) + 1
        if total <= limit:
            break
        i -= 1
    return " ".join(words[:i]) + "..."


@click.group(cls=_Group, commands=_Commands(), context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", "-V", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
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
      rnntrace grad many_to_one.yaml --explain      backpropagation through time
      rnntrace page lstm_example.yaml -o lstm.html  a page to click through
    """
