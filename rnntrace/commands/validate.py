"""`rnntrace validate`: load and check specs without running them."""
from __future__ import annotations

import click

from ..cli import Command, EXIT_USAGE, one_line
from ..errors import RnntraceError
from .common import load_regular, allow_file_option, write, complete_spec


@click.command(cls=Command)
@click.argument("specs", metavar="SPEC...", nargs=-1, required=True, shell_complete=complete_spec)
@allow_file_option
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
    from ..layers import composite
    from ..spec import parameter_count
    if list(specs).count("-") > 1:
        raise RnntraceError("standard input (-) can be read only once")
    bad = 0
    for spec in specs:
        try:
            s = load_regular(spec)
        except RnntraceError as exc:
            if len(specs) == 1:
                raise
            bad += 1
            click.echo(f"Error: {one_line(str(exc))}", err=True)
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
