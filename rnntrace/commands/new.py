"""`rnntrace new`: a starter spec of a type, or a fresh exercise."""
from __future__ import annotations

import click

from ..cli import Command
from .common import write, STARTER, complete_type


@click.command(cls=Command)
@click.argument("kind", metavar="TYPE", type=STARTER, shell_complete=complete_type)
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
    from ..starters import starter
    if randomly or seed is not None:
        from ..starters.exercises import exercise
        if seed is None:
            import secrets
            seed = secrets.randbelow(100_000)
        write(exercise(kind, seed))
    else:
        write(starter(kind))
