"""The input sequence of a spec: numbers given inline, words encoded 1-of-N with a
lexicon, or a NumPy or CSV file of numbers (see docs/spec.md, "Inputs").
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .errors import close_name, describe, quoted
from .fields import MAX_WEIGHTS, Reader, shape_text
from .yamlsource import is_number_text, read_limited

Array = np.ndarray


@dataclass(frozen=True)
class Lexicon:
    """Words for 1-of-N input, in the order of their dimensions, and the 'other' one."""

    words: Tuple[str, ...]
    other: bool = False

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
        raise r.error(f"expected a list of words, found {describe(words)}", path + ("words",))
    seen = set()
    for i, word in enumerate(words):
        if not isinstance(word, (str, int, float)) or isinstance(word, bool):
            raise r.error(f"expected a word, found {describe(word)}", path + ("words", i))
        if str(word) in seen:
            raise r.error(f"the word {str(word)!r} is listed twice", path + ("words", i))
        seen.add(str(word))
    other = data.get("other", False)
    if not isinstance(other, bool):
        raise r.error(f"expected true or false, found {describe(other)}", path + ("other",))
    return Lexicon(tuple(str(w) for w in words), other)


def read_inputs(r: Reader, value, lexicon: Optional[Lexicon], path) -> Tuple[Array, Optional[Tuple[str, ...]]]:
    if lexicon is not None:
        words = value.split() if isinstance(value, str) else value
        if not isinstance(words, list) or not words:
            raise r.error(f"expected a list of words or a sentence, found {describe(value)}", path)
        tokens = []
        known = set(lexicon.words)
        for i, word in enumerate(words):
            if isinstance(word, bool) or not isinstance(word, (str, int, float)):
                raise r.error(f"expected a word, found {describe(word)}", path + (i,))
            word = str(word)
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
    if isinstance(value, dict):
        return read_file(r, value, path), None
    if isinstance(value, str):
        raise r.error("expected a list of time steps (numbers or lists of numbers); "
                      "words need a 'lexicon'", path)
    if not isinstance(value, list) or not value:
        raise r.error(f"expected a non-empty list of time steps, found {describe(value)}", path)
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
            raise r.error(f"expected a list of numbers for this step (like the others), found {describe(step)}",
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


#: Input files hold at most this many numbers (as many as a YAML spec may).
MAX_INPUT_VALUES = 5_000_000


def read_file(r: Reader, value: dict, path) -> Array:
    """``inputs: {file: data.npy}`` (or ``.csv``): one row per time step, one column
    per input; a 1-D array is one input per step. The name is relative to the spec's
    folder. Loaded without pickle (npy) or eval (csv), then checked like inline inputs."""
    r.keys(value, path, {"file"}, required=("file",))
    path = path + ("file",)
    name = value["file"]
    if not isinstance(name, str) or not name:
        raise r.error(f"expected the name of a .npy or .csv file, found {describe(name)}", path)
    file = FilePath(name)
    if not file.is_absolute() and r.folder is not None:
        file = r.folder / file
    suffix = file.suffix.lower()
    if suffix not in (".npy", ".csv"):
        raise r.error(f"{name}: expected a .npy or .csv file of numbers", path)
    try:
        array = _read_npy(r, file, name, path) if suffix == ".npy" else _read_csv(r, file, name, path)
    except FileNotFoundError:
        raise r.error(f"{name}: file not found (looked for {file})", path) from None
    except IsADirectoryError:
        raise r.error(f"{name}: is a directory, not a file of inputs", path) from None
    except UnicodeDecodeError as exc:
        raise r.error(f"{name}: not a text file: byte {exc.start} is not UTF-8", path) from None
    except (OSError, ValueError) as exc:
        what = str(exc).split("\n")[0].split(";")[0].rstrip(".") or type(exc).__name__
        raise r.error(f"{name}: cannot read it as {suffix[1:]} numbers ({what})", path) from None
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise r.error(f"{name}: expected one row per time step (2 dimensions), found {array.ndim} "
                      f"dimensions {tuple(array.shape)}", path)
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise r.error(f"{name}: expected a non-empty list of time steps, found shape {tuple(array.shape)}", path)
    bad = np.argwhere(~np.isfinite(array))
    if len(bad):
        t, j = bad[0]
        what = "NaN" if np.isnan(array[t, j]) else "infinity"
        raise r.error(f"{name}: step {t + 1}, input {j + 1}: expected a finite number, found {what}", path)
    return array


def _read_npy(r: Reader, file: FilePath, name: str, path) -> Array:
    with open(file, "rb") as stream:
        major, _ = np.lib.format.read_magic(stream)
        read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(stream)   # only the header: shape and type before any data
        count = int(np.prod(shape))
        if dtype.kind not in "iuf":
            found = "Python objects (never loaded: no pickle)" if dtype.kind == "O" else f"the type {dtype}"
            raise r.error(f"{name}: expected an array of numbers, found {found}", path)
        if count > MAX_INPUT_VALUES:
            raise r.error(f"{name}: {count:,} numbers; input files are limited to {MAX_INPUT_VALUES:,}", path)
    return np.asarray(np.load(file, allow_pickle=False), dtype=np.float64)


def _read_csv(r: Reader, file: FilePath, name: str, path) -> Array:
    """Comma-separated numbers, one row per step; ``#`` comments, blank lines and one
    header line of column names are skipped. Each field goes through float(), nothing else."""
    limit = 32 * MAX_INPUT_VALUES
    with open(file, "rb") as stream:   # at most the limit: a device or pipe may never end
        raw = read_limited(stream, limit)
    if len(raw) > limit:
        raise r.error(f"{name}: the file is too large; input files are limited to {MAX_INPUT_VALUES:,} numbers",
                      path)
    rows: List[List[float]] = []
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        fields = [field.strip() for field in line.split(",")]
        try:
            row = [float(field) for field in fields]
        except ValueError:
            if not rows and not any(_is_number(field) for field in fields):
                continue   # a header line of column names
            field = next(f for f in fields if not _is_number(f))
            shown = repr(field) if len(field) <= 20 else repr(field[:20]) + "…"   # not whole lines of any file
            raise r.error(f"{name}: line {number}: expected a number, found {shown}", path) from None
        if rows and len(row) != len(rows[0]):
            raise r.error(f"{name}: line {number}: expected {len(rows[0])} numbers (as in the first row), "
                          f"found {len(row)}", path)
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False

