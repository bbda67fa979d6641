"""Grading hand-computed answers (docs/check.md): reading answer files
(:mod:`.files`), the vocabulary of names (:mod:`.names`), judging and the class
policy. The JSON and table shapes are in ``rnntrace.render.check``."""
