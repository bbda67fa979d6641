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
    from .records import is_record, names
    if is_record(value):
        return sum(_count(getattr(value, name)) for name in names(value))
    if isinstance(value, dict) or hasattr(value, "values"):
        return sum(_count(item) for item in value.values())
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


# --------------------------------------------------------------------------- what the views write

#: Most bytes of the interactive page's data. Its reader is a browser: one script
#: string of about 500 million characters is as much as Chromium holds at all, and long
#: before that the page takes minutes to open. 100 MB is about 110,000 steps of an
#: 8-unit LSTM (docs/page.md: about 0.9 KB a step).
MAX_PAGE_BYTES = 100_000_000

#: Bytes a stored number takes in the page (float64, base64 and gzip: 10.7 at most).
PAGE_BYTES_PER_NUMBER = 11

#: Most bytes of the arithmetic ``--explain`` writes (the table view, Markdown): past
#: this it is nothing a person reads, and a terminal or an editor stalls on it.
MAX_EXPLAIN_BYTES = 50_000_000


def check_page(steps: int, per_step: int) -> None:
    """Refuse a page whose data would pass MAX_PAGE_BYTES: ``steps`` steps of
    ``per_step`` numbers, estimated before the data is made."""
    size = steps * per_step * PAGE_BYTES_PER_NUMBER
    if size > MAX_PAGE_BYTES:
        raise RnntraceError(f"a page of {steps:,} steps of {per_step:,} numbers is about {size / 1e6:,.0f} MB; "
                            f"the limit is {MAX_PAGE_BYTES / 1e6:,.0f} MB, past which a browser cannot open it "
                            "(a shorter sequence with --inputs; run --format jsonl streams every number)")


def check_explain(steps: int, first_step_bytes: int) -> None:
    """Refuse an ``--explain`` of ``steps`` steps whose first step's arithmetic takes
    ``first_step_bytes``, when the whole would pass MAX_EXPLAIN_BYTES."""
    size = steps * first_step_bytes
    if size > MAX_EXPLAIN_BYTES:
        raise RnntraceError(f"--explain of {steps:,} steps writes about {size / 1e6:,.0f} MB of arithmetic; "
                            f"the limit is {MAX_EXPLAIN_BYTES / 1e6:,.0f} MB (--steps A:B explains only those steps)")
