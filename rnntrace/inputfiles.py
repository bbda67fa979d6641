"""Inputs read from a file, ``inputs: {file: data.npy}`` or ``.csv`` (docs/spec.md,
"Inputs"): only inside the spec's folder or a place the reader allowed, without pickle
or eval, checked as inline inputs are; a float64 ``.npy`` is memory-mapped and its rows
read as the run reaches them. Imported only by a spec that names a file.
"""
from __future__ import annotations

import math
import os
from typing import List, Optional

import numpy as np

from .errors import describe_value, shorten
from .fields import MAX_INPUT_VALUES, Reader
from .yamlsource import plain_scalar, read_limited

Array = np.ndarray


def read_file(r: Reader, value: dict, path) -> Array:
    """``inputs: {file: data.npy}`` (or ``.csv``): one row per time step, one column
    per input; a 1-D array is one input per step. The name is relative to the spec's
    folder. Loaded without pickle (npy) or eval (csv), then checked like inline inputs.

    A spec may come from someone else (a class's submissions), so the file it names
    must resolve, symlinks followed, inside the spec's folder or inside a place the
    reader allowed (``--allow-file``); anywhere else is refused with one message,
    whether or not something is there. Only a regular file is opened (never a FIFO or
    a device, which could block or never end), and errors about what a file outside
    the spec's folder holds give its line and column, never its text."""
    import os
    r.keys(value, path, {"file"}, required=("file",))
    path = path + ("file",)
    name = value["file"]
    if not isinstance(name, str) or not name or "\0" in name:
        raise r.error(f"expected the name of a .npy or .csv file, found {describe_value(name)}", path)
    shown = shorten(name, 60)   # the name as written (a message shows it as text)
    folder = os.path.realpath(r.folder if r.folder is not None else os.getcwd())
    file = os.path.join(folder, name)   # an absolute name stays as it is
    suffix = os.path.splitext(name)[1].lower()
    if suffix not in (".npy", ".csv"):
        raise r.error(f"{shown}: expected a .npy or .csv file of numbers", path)
    real = os.path.realpath(file)
    inside = _within(real, folder)
    if not inside and not any(_within(real, os.path.realpath(allowed)) for allowed in r.allow_files):
        raise r.error(f"{shown}: outside the spec's folder; input files are read only there "
                      "(--allow-file PATH allows another file or folder)", path)
    try:
        # O_NONBLOCK: opening a FIFO for reading does not wait for a writer; it is then
        # refused below, like a device, before anything is read from it. O_NOFOLLOW: the
        # resolved name is opened, not a symlink put in its place since it was resolved.
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise r.error(f"{shown}: file not found (looked for {_relative(real, folder)})", path) from None
    except IsADirectoryError:
        raise r.error(f"{shown}: is a directory, not a file of inputs", path) from None
    except OSError as exc:
        raise r.error(f"{shown}: cannot open it ({exc.strerror or type(exc).__name__})", path) from None
    import stat
    with os.fdopen(fd, "rb") as stream:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            kind = "a directory" if stat.S_ISDIR(os.fstat(fd).st_mode) else "a FIFO, socket or device"
            raise r.error(f"{shown}: expected a regular file of inputs, found {kind}", path)
        try:
            array = _read_npy(r, stream, shown, path) if suffix == ".npy" else \
                _read_csv(r, stream, shown, path, inside)
        except UnicodeDecodeError as exc:
            raise r.error(f"{shown}: not a text file: byte {exc.start} is not UTF-8", path) from None
        except (OSError, ValueError, EOFError) as exc:
            what = str(exc).split("\n")[0].split(";")[0].rstrip(".") if inside else ""
            raise r.error(f"{shown}: cannot read it as {suffix[1:]} numbers"
                          + (f" ({what})" if what else ""), path) from None
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise r.error(f"{shown}: expected one row per time step (2 dimensions), found {array.ndim} "
                      f"dimensions {tuple(array.shape)}", path)
    if array.shape[0] == 0 or array.shape[1] == 0:
        raise r.error(f"{shown}: expected a non-empty list of time steps, found shape {tuple(array.shape)}", path)
    _check_finite(r, array, shown, path)
    return array


def _within(path: str, folder: str) -> bool:
    """Whether the resolved ``path`` is ``folder`` or lies inside it (both resolved)."""
    import os
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _relative(path: str, folder: str) -> str:
    import os
    return os.path.relpath(path, folder) if _within(path, folder) else path


def _read_npy(r: Reader, stream, name: str, path) -> Array:
    """The array of a .npy file, its header read first (shape and type before any data).

    An array of float64, the engine's own type, is memory-mapped rather than read whole:
    its rows are read from the file as the run reaches them (:class:`MappedInputs`), so
    that ``--format jsonl`` runs in constant memory whatever the file's length, and such
    a file may hold up to MAX_MAPPED_VALUES numbers. Any other type is read whole and
    converted, up to MAX_INPUT_VALUES numbers."""
    major, _ = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    shape, fortran, dtype = read_header(stream)
    count = int(np.prod(shape, dtype=object))   # exact: a header may claim any shape
    if dtype.kind not in "iuf":
        found = "Python objects (never loaded: no pickle)" if dtype.kind == "O" else f"the type {dtype}"
        raise r.error(f"{name}: expected an array of numbers, found {found}", path)
    mapped = dtype == np.float64 and dtype.isnative and not fortran and count > 0
    limit = MAX_MAPPED_VALUES if mapped else MAX_INPUT_VALUES
    if count > limit:
        raise r.error(f"{name}: {count:,} numbers; input files are limited to {MAX_INPUT_VALUES:,} "
                      f"({MAX_MAPPED_VALUES:,} in a .npy file of float64)", path)
    if mapped:
        offset = stream.tell()
        size = os.fstat(stream.fileno()).st_size
        if size < offset + count * 8:
            raise EOFError(f"the file ends before its {count:,} numbers")
        array = np.memmap(stream, dtype=np.float64, mode="r", offset=offset, shape=tuple(shape)).view(MappedInputs)
        array._source = _Source(os.dup(stream.fileno()), offset, name)
        return array
    stream.seek(0)
    return np.asarray(np.load(stream, allow_pickle=False), dtype=np.float64)


#: A .npy file of float64 is memory-mapped and may hold this many numbers (800 MB).
MAX_MAPPED_VALUES = 100_000_000
_CHUNK_BYTES = 1 << 22   # the rows of a mapped file are read 4 MB at a time


class _Source:
    """Where a mapped array's numbers are in its file: a descriptor of its own (the same
    file is read even if the name now points elsewhere; closed when the arrays that read
    it are gone), the byte where the numbers start, and the file's name as the spec wrote
    it, for messages."""

    def __init__(self, fd: int, offset: int, name: str):
        import weakref
        self.fd, self.offset, self.name = fd, offset, name
        weakref.finalize(self, os.close, fd)

    def read(self, first: int, count: int) -> bytes:
        """``count`` bytes from byte ``first`` of the numbers; a file shortened since it
        was opened is an error naming it, not a crash."""
        data = os.pread(self.fd, count, self.offset + first)
        if len(data) < count:
            from .errors import RnntraceError
            raise RnntraceError(f"{self.name}: the file became shorter while it was read (its numbers "
                                f"end {first + len(data):,} bytes in, where {first + count:,} were "
                                "expected); run again once nothing writes to it")
        return data


class MappedInputs(np.memmap):
    """A memory-mapped array of inputs whose rows, read one after another (``for x in
    inputs``, as the engine reads them), are copied out of the file 4 MB at a time with
    ``pread``, never read through the mapping: memory stays flat (a block is let go once
    its rows are), and a file shortened while the run reads it is an error naming it
    (exit 2), where reading a mapped page past the file's new end would kill the process
    with SIGBUS. Each row is a plain ndarray. The mapping serves the rest (the shape, a
    slice, a whole copy)."""

    _source: Optional[_Source] = None

    def __array_finalize__(self, obj):
        super().__array_finalize__(obj)
        self._source = getattr(obj, "_source", None)

    def __iter__(self):
        for block in self.blocks():
            yield from block

    def blocks(self, rows_per_block: Optional[int] = None):
        """The rows in consecutive blocks of about 4 MB, each a new plain 2-D array."""
        rows = self.view(np.ndarray)
        source, mm = self._source, getattr(self, "_mmap", None)
        if source is None or mm is None or rows.ndim != 2 or not rows.flags.c_contiguous:
            yield rows
            return
        import mmap
        # where this array (perhaps a slice of the mapped one) starts among the numbers
        mapped_from = self.offset - self.offset % mmap.ALLOCATIONGRANULARITY
        first = rows.ctypes.data - np.frombuffer(mm, dtype=np.uint8, count=1).ctypes.data + mapped_from - source.offset
        width = rows.strides[0]
        every = rows_per_block or max(1, _CHUNK_BYTES // max(1, width))
        for start in range(0, len(rows), every):
            count = min(every, len(rows) - start)
            data = source.read(first + start * width, count * width)
            yield np.frombuffer(data, dtype=np.float64).reshape(count, rows.shape[1])


def _check_finite(r: Reader, array: Array, shown: str, path) -> None:
    """Every entry finite, checked a block of rows at a time (a mapped file is read as
    the run reads it, a block at a time)."""
    blocks = array.blocks() if isinstance(array, MappedInputs) else (array,)
    first = 0
    for chunk in blocks:
        bad = np.argwhere(~np.isfinite(chunk))
        if len(bad):
            t, j = bad[0]
            what = "NaN" if np.isnan(chunk[t, j]) else "infinity"
            raise r.error(f"{shown}: step {first + t + 1}, input {j + 1}: expected a finite number, found {what}",
                          path)
        first += len(chunk)


def _read_csv(r: Reader, stream, name: str, path, inside: bool = True) -> Array:
    """Comma-separated numbers, one row per step; ``#`` comments and blank lines are
    skipped, and so is one header line of column names before the first row. A field
    is a number as inline YAML writes one (yamlsource.as_number: ``-0.5``, ``1e-3``,
    not ``1_000``, ``١٢`` or ``nan``); at most MAX_INPUT_VALUES numbers are read."""
    limit = 32 * MAX_INPUT_VALUES
    raw = read_limited(stream, limit)   # at most the limit: bytes too are bounded
    if len(raw) > limit:
        raise r.error(f"{name}: the file is larger than {limit:,} bytes; input files are limited to "
                      f"{MAX_INPUT_VALUES:,} numbers", path)
    rows: List[List[float]] = []
    width = 0
    header = False
    count = 0
    text = raw.decode("utf-8")
    for number, line in enumerate((text[1:] if text.startswith("\ufeff") else text).splitlines(), start=1):
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        fields = line.split(",")
        row = [_csv_number(field) for field in fields]
        if None in row:   # not a row of numbers
            # A header is names; a field Python would read as a number ('1_000', '１２', 'nan')
            # is not a name but a number written otherwise than inline YAML writes one.
            names = all(value is None for value in row) and not any(_numeric(f) for f in fields)
            if names and not rows and not header:
                header = True   # the one header line of column names
                continue
            bad = row.index(None)
            column = sum(len(f) + 1 for f in fields[:bad]) + len(fields[bad]) - len(fields[bad].lstrip()) + 1
            found = fields[bad].strip()
            if names and not rows:
                message = "expected a row of numbers, found a second header line (one is allowed)"
            elif not found:
                message = "expected a number, found nothing"
            elif not inside:   # the text of a file outside the spec's folder is not shown
                message = "expected a number, found text"
            else:   # a few characters, not whole lines of any file
                message = f"expected a number, found {repr(found) if len(found) <= 20 else repr(found[:20]) + '…'}"
            raise r.error(f"{name}: line {number}, column {column}: {message}", path)
        if rows and len(row) != width:
            raise r.error(f"{name}: line {number}: expected {width} numbers (as in the first row), "
                          f"found {len(row)}", path)
        width = len(row)
        count += width
        if count > MAX_INPUT_VALUES:
            raise r.error(f"{name}: more than {MAX_INPUT_VALUES:,} numbers; input files are limited to "
                          f"{MAX_INPUT_VALUES:,}", path)
        rows.append(row)
    return np.array(rows, dtype=np.float64)


def _numeric(field: str) -> bool:
    """Whether Python's float() reads ``field`` (digits of any script, ``_`` between them)."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def _csv_number(field: str) -> Optional[float]:
    """A CSV field as a number by inline YAML's rules, or None. NaN and infinity are
    numbers here, refused with their step and input afterwards."""
    text = field.strip()
    if not text or not text[0] in "0123456789+-.":
        return None
    value = plain_scalar(text)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf
