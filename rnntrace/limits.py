"""Bounds on the work a command takes on, checked before the work starts.

The spec's own limits (yamlsource, spec.MAX_WEIGHTS) cap what a file may hold; a few
lines can still ask for hours or gigabytes: 200 steps of a 5,000,000-unit layer, five
million steps from a small ``.npy`` kept whole for a table, a 10,000 × 10,000 surface.
Each bound below is refused with one message naming it and the way around it. The
numbers are stated in the README's limits table.
"""
from __future__ import annotations

from .errors import RnntraceError

#: Most numbers a command keeps for a whole run (steps × numbers a step): the table
#: view, json, csv, markdown, latex, check, worksheet, answers, grad. 20,000,000
#: float64 numbers are 160 MB of arrays (about twice that with the records around
#: them). ``--format jsonl`` keeps one step at a time and is not bounded by it.
MAX_HELD_NUMBERS = 20_000_000

#: Most points of a surface (N, or N × N2 for a map).
MAX_SURFACE_POINTS = 10_000

#: Most time steps a surface computes in all: its points × the sequence's steps, each
#: a forward and a backward pass.
MAX_SURFACE_STEPS = 2_000_000


def numbers_per_step(spec) -> int:
    """How many numbers one step of the run records (its input, every quantity of every
    layer, the output): counted on a run of the first input alone, which costs one step
    and has the shape of every other."""
    from . import engine
    first = next(engine.iter_steps(spec, spec.inputs[:1]))
    return _count(first.x) + _count(first.y) + sum(_count(record) for record in first.layers.values())


def _count(value) -> int:
    """The numbers in a record: its arrays, and those of the records and gates inside it."""
    import numpy as np
    if isinstance(value, np.ndarray):
        return int(value.size)
    if isinstance(value, dict) or hasattr(value, "values") and not hasattr(value, "__dataclass_fields__"):
        return sum(_count(item) for item in value.values())
    if hasattr(value, "__dataclass_fields__"):
        return sum(_count(getattr(value, name)) for name in value.__dataclass_fields__)
    return 0


def check_held(spec, steps: int, around: str, per_step: int = 0, factor: int = 1) -> None:
    """Refuse a run that would keep more than MAX_HELD_NUMBERS numbers: ``steps`` steps
    of ``per_step`` numbers (counted when 0), ``factor`` times (a backward pass keeps as
    many again). ``around`` says how to do without."""
    per_step = per_step or numbers_per_step(spec)
    total = steps * per_step * factor
    if total > MAX_HELD_NUMBERS:
        twice = " (twice: forward and backward)" if factor == 2 else ""
        raise RnntraceError(f"{steps:,} steps of {per_step:,} numbers{twice} are {total:,} numbers to keep; "
                            f"the limit is {MAX_HELD_NUMBERS:,}. {around}")


def check_surface(points: int, steps: int) -> None:
    """Refuse a surface of more than MAX_SURFACE_POINTS points, or of more than
    MAX_SURFACE_STEPS time steps in all (each point runs the whole sequence)."""
    if points > MAX_SURFACE_POINTS:
        raise RnntraceError(f"a surface of {points:,} points; the limit is {MAX_SURFACE_POINTS:,} "
                            "(fewer points in --range A:B:N and --range2)")
    if points * steps > MAX_SURFACE_STEPS:
        raise RnntraceError(f"{points:,} points × {steps:,} steps are {points * steps:,} steps to run forward "
                            f"and backward; the limit is {MAX_SURFACE_STEPS:,} (fewer points in --range, "
                            "or a shorter sequence)")


# --------------------------------------------------------------------------- model files (import-keras, import-torch)

#: Most bytes of a model file, of standard input given as one, or of what a zip archive
#: unpacks to (its directory is read first): the weights a spec may hold (MAX_WEIGHTS
#: float64 numbers) three times over (an optimizer's state saved beside them), and room
#: for the records around them.
MAX_MODEL_BYTES = 3 * 8 * 10_000_000 + (16 << 20)

#: Most bytes of a model's configuration (Keras' config.json, metadata.json, an .h5
#: file's model_config), and how deep its lists and mappings may nest.
MAX_CONFIG_BYTES = 16 << 20
MAX_CONFIG_DEPTH = 100
