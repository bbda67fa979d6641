"""The input sequence of a spec: numbers given inline, words encoded 1-of-N with a
lexicon, or a NumPy or CSV file of numbers (rnntrace/inputfiles.py; see docs/spec.md,
"Inputs").
"""
from __future__ import annotations

from collections import namedtuple
from typing import Optional, Sequence, Tuple

import numpy as np

from .errors import close_name, describe_value, quoted
from .fields import MAX_WEIGHTS, Reader
from .yamlsource import is_number_text

Array = np.ndarray


class Lexicon(namedtuple("Lexicon", "words other", defaults=(False,))):
    """Words for 1-of-N input, in the order of their dimensions (a tuple), and whether
    there is an 'other' one. (A namedtuple: a frozen dataclass compiles six methods when
    the module is imported, start-up time of every run.)"""

    __slots__ = ()

    @property
    def size(self) -> int:
        return len(self.words) + (1 if self.other else 0)

    def encode(self, words: Sequence[str]) -> Array:
        """1-of-N, one row per word: the word's own dimension is 1; unknown words go to 'other'."""
        index = {w: k for k, w in enumerate(self.words)}
        encoded = np.zeros((len(words), self.size))
        encoded[np.arange(len(words)), [index.get(w, len(self.words)) for w in words]] = 1.0
        return encoded


def read_lexicon(r: Reader, value) -> Lexicon:
    path = ("lexicon",)
    if isinstance(value, list):
        value = {"words": value}
    data = r.mapping(value, path, "a mapping with 'words' (and optionally 'other')", {"words", "other"}, ("words",))
    words = data["words"]
    if isinstance(words, str):
        words = words.split()
    if not isinstance(words, list) or not words:
        raise r.error(f"expected a list of words, found {describe_value(words)}", path + ("words",))
    seen = set()
    for i, word in enumerate(words):
        if not isinstance(word, (str, int, float)) or isinstance(word, bool):
            raise r.error(f"expected a word, found {describe_value(word)}", path + ("words", i))
        r.name(str(word), path + ("words", i), "word")
        if str(word) in seen:
            raise r.error(f"the word {str(word)!r} is listed twice", path + ("words", i))
        seen.add(str(word))
    other = data.get("other", False)
    if not isinstance(other, bool):
        raise r.error(f"expected true or false, found {describe_value(other)}", path + ("other",))
    return Lexicon(tuple(str(w) for w in words), other)


def read_inputs(r: Reader, value, lexicon: Optional[Lexicon], path) -> Tuple[Array, Optional[Tuple[str, ...]]]:
    if lexicon is not None:
        words = value.split() if isinstance(value, str) else value
        if not isinstance(words, list) or not words:
            raise r.error(f"expected a list of words or a sentence, found {describe_value(value)}", path)
        tokens = []
        known = set(lexicon.words)
        for i, word in enumerate(words):
            if isinstance(word, bool) or not isinstance(word, (str, int, float)):
                raise r.error(f"expected a word, found {describe_value(word)}", path + (i,))
            word = r.name(str(word), path + (i,), "word")
            if word not in known and not lexicon.other:
                shown = ", ".join(lexicon.words[:12]) + (f", … {len(lexicon.words):,} words in all"
                                                         if len(lexicon.words) > 12 else "")
                raise r.error(f"the word {quoted(word)} is not in the lexicon ({shown}) "
                              "and the lexicon has no 'other' dimension", path + (i,),
                              hint=close_name(word, lexicon.words))
            tokens.append(word)
        if len(tokens) * lexicon.size > MAX_WEIGHTS:
            raise r.error(f"{len(tokens):,} words, each {lexicon.size:,} numbers long (1-of-N), make "
                          f"{len(tokens) * lexicon.size:,} input numbers; the limit is {MAX_WEIGHTS:,}", path)
        return lexicon.encode(tokens), tuple(tokens)
    if isinstance(value, dict):   # inputs: {file: …}, read by rnntrace/inputfiles.py
        from .inputfiles import read_file
        return read_file(r, value, path), None
    if isinstance(value, str):
        raise r.error("expected a list of time steps (numbers or lists of numbers); "
                      "words need a 'lexicon'", path)
    if not isinstance(value, list) or not value:
        raise r.error(f"expected a non-empty list of time steps, found {describe_value(value)}", path)
    if all(not isinstance(v, list) for v in value):
        for i, v in enumerate(value):
            if isinstance(v, str) and not is_number_text(v):
                raise r.error(f"expected a number, found the word {v!r}; words need a 'lexicon' "
                              "(lexicon: {words: [...], other: true})", path + (i,))
        return np.array([[r.number(v, path + (i,))] for i, v in enumerate(value)]), None
    width = None
    rows = []
    for i, step in enumerate(value):
        if not isinstance(step, list):
            raise r.error(f"expected a list of numbers for this step (like the others), found {describe_value(step)}",
                          path + (i,))
        if not step:
            raise r.error("a time step has no numbers", path + (i,))
        if width is None:
            width = len(step)
        elif len(step) != width:
            raise r.error(f"expected {width} numbers (as in step 1), found {len(step)}", path + (i,))
        if all(v.__class__ is float or v.__class__ is int for v in step):
            rows.append(step)   # plain numbers: NaN, infinity and overflow are looked for below, all at once
        else:
            rows.append([r.number(v, path + (i, j)) for j, v in enumerate(step)])
    try:
        array = np.array(rows, dtype=np.float64)
    except OverflowError:
        array = np.array([[r.number(v, path + (i, j)) for j, v in enumerate(row)] for i, row in enumerate(rows)])
    if not np.isfinite(array).all():
        i, j = (int(k) for k in np.argwhere(~np.isfinite(array))[0])
        r.number(rows[i][j], path + (i, j))   # raises, naming the place
    return array, None
