"""`rnntrace examples`: the bundled example specs."""
from __future__ import annotations

import click

from ..bundled import example_text, listing
from ..cli import Command
from .common import write, complete_example


@click.command(cls=Command)
@click.argument("name", required=False, shell_complete=complete_example)
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
