"""Kept for the modules outside grading that read a run's exact values
(``rnntrace.render.page``, its practice blanks): ``Reference`` and the default
tolerance. Grading itself lives in :mod:`rnntrace.grading` (docs/check.md)."""
from .grading.answers import DEFAULT_TOLERANCE, Reference, within  # noqa: F401
