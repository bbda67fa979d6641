"""Model files read as data, within bounds: what import-keras (and import-torch) open.

Nothing here deserialises a model through its framework. A file is checked before any
of its numbers is read (the README's limits table, model-file rows):

- its size, or what a zip archive's directory says each entry unpacks to, against
  ``MAX_MODEL_BYTES``; standard input is copied to a temporary file up to that size;
- JSON text against ``MAX_CONFIG_BYTES`` and, once parsed, its nesting against
  ``MAX_CONFIG_DEPTH`` (the parser's own recursion limit is caught as well);
- an HDF5 file's objects are reached through hard links only (a soft or external
  link is refused), and a dataset is read only when it is a plain array of floats
  (float16, bfloat16 as Keras marks it, float32, float64) stored in the file itself:
  external storage, virtual datasets, compound, string, integer and complex types are
  refused, as are filters other than deflate, shuffle, Fletcher-32 and LZF and chunks
  larger than the dataset;
- the numbers of every dataset to be kept are counted from the declared shapes
  against ``MAX_WEIGHTS`` before the first is read, so that reading takes at most the
  memory of the arrays kept (float64) and one stored copy of the largest.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import zipfile
import zlib
from typing import Any, Iterator, Sequence, Tuple

import numpy as np

from .errors import RnntraceError
from .fields import MAX_WEIGHTS
from .limits import MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH, MAX_MODEL_BYTES

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
#: Most entries of a zip archive, names of an attribute, objects of an HDF5 file looked at.
MAX_ENTRIES = 10_000
#: HDF5 filters a stored dataset may go through: deflate, shuffle, Fletcher-32, LZF.
SAFE_FILTERS = {1: "deflate", 2: "shuffle", 3: "fletcher32", 32000: "lzf"}
#: What a damaged zip archive raises while it is read.
ZIP_ERRORS = (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error, KeyError)


class ConvertError(RnntraceError, ValueError):
    """Weights that cannot be turned into a spec (unknown keys, shapes that do not fit)."""


def read_magic(path: str, count: int, what: str) -> bytes:
    """The first ``count`` bytes of a model file, which say what it is; a missing file, a
    folder or an unreadable one is a ConvertError naming it (``what``: "a PyTorch file").
    A FIFO, device or socket is refused before it is opened (opening a FIFO waits for a
    writer; /dev/zero never ends)."""
    import stat
    try:
        mode = os.stat(path).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise ConvertError(f"{path}: not a regular file (a FIFO, device or socket), not {what}")
        with open(path, "rb") as f:
            return f.read(count)
    except FileNotFoundError:
        raise ConvertError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ConvertError(f"{path}: is a directory, not {what}") from None
    except OSError as exc:
        raise ConvertError(f"{path}: cannot read: {exc.strerror or exc}") from None


# --------------------------------------------------------------------------- files and standard input

def stdin_to_file(folder: str, magics: Sequence[Tuple[bytes, str]], what: str) -> str:
    """Standard input copied into ``folder`` (up to MAX_MODEL_BYTES), as a file named for
    its format: ``magics`` pairs a file's first bytes with the suffix to give it."""
    stream = sys.stdin.buffer
    head = stream.read(8)
    suffix = next((s for magic, s in magics if head.startswith(magic)), None)
    if suffix is None:
        raise ConvertError(f"<stdin>: not {what}")
    path = os.path.join(folder, "model" + suffix)
    total = len(head)
    with open(path, "wb") as f:
        f.write(head)
        while True:
            block = stream.read(1 << 20)
            if not block:
                break
            total += len(block)
            if total > MAX_MODEL_BYTES:
                raise ConvertError(f"<stdin>: more than {MAX_MODEL_BYTES:,} bytes; a model file is read up to "
                                   f"{MAX_MODEL_BYTES:,} bytes")
            f.write(block)
    return path


def check_file_size(path: str, shown: str) -> None:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ConvertError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    if size > MAX_MODEL_BYTES:
        raise ConvertError(f"{shown}: {size:,} bytes; a model file is read up to {MAX_MODEL_BYTES:,} bytes "
                          )


def open_zip(path: str, shown: str) -> zipfile.ZipFile:
    """The archive, its directory checked: at most MAX_ENTRIES entries, none unpacking
    past MAX_MODEL_BYTES, all of them together neither."""
    try:
        archive = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise ConvertError(f"{shown}: a damaged zip archive ({str(exc)[:100]})") from None
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        archive.close()
        raise ConvertError(f"{shown}: {len(infos):,} entries in the zip archive; at most {MAX_ENTRIES:,}")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_MODEL_BYTES:
        archive.close()
        raise ConvertError(f"{shown}: unpacks to {unpacked:,} bytes; a model file is read up to "
                           f"{MAX_MODEL_BYTES:,} bytes")
    return archive


def read_entry(archive: zipfile.ZipFile, name: str, shown: str, limit: int) -> bytes:
    """One entry's bytes, at most ``limit`` of them whatever the entry says."""
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise ConvertError(f"{shown}: {name} unpacks to {info.file_size:,} bytes; at most {limit:,}")
    try:
        with archive.open(info) as f:
            data = f.read(limit + 1)
    except ZIP_ERRORS as exc:
        raise ConvertError(f"{shown}: {name}: a damaged zip entry ({str(exc)[:100]})") from None
    if len(data) > limit:
        raise ConvertError(f"{shown}: {name} unpacks to more than {limit:,} bytes")
    return data


def extract_entry(archive: zipfile.ZipFile, name: str, folder: str, shown: str) -> str:
    """One entry unpacked into ``folder`` (its size was checked by open_zip), streamed."""
    target = os.path.join(folder, os.path.basename(name) or "entry")
    info = archive.getinfo(name)
    try:
        with archive.open(info) as source, open(target, "wb") as out:
            copied = 0
            while True:
                block = source.read(1 << 20)
                if not block:
                    break
                copied += len(block)
                if copied > info.file_size:
                    raise ConvertError(f"{shown}: {name} unpacks to more than its directory says")
                out.write(block)
    except ZIP_ERRORS as exc:
        raise ConvertError(f"{shown}: {name}: a damaged zip entry ({str(exc)[:100]})") from None
    return target


# --------------------------------------------------------------------------- JSON

def parse_json(data: Any, shown: str, what: str) -> Any:
    """JSON text (bytes or str, at most MAX_CONFIG_BYTES) as data nested at most
    MAX_CONFIG_DEPTH deep."""
    if len(data) > MAX_CONFIG_BYTES:
        raise ConvertError(f"{shown}: {what} is larger than {MAX_CONFIG_BYTES:,} bytes")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        value = json.loads(text)
    except RecursionError:
        raise ConvertError(f"{shown}: {what} is nested more than {MAX_CONFIG_DEPTH} levels deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConvertError(f"{shown}: {what} is not JSON ({str(exc)[:100]})") from None
    if _depth(value) > MAX_CONFIG_DEPTH:
        raise ConvertError(f"{shown}: {what} is nested more than {MAX_CONFIG_DEPTH} levels deep")
    return value


def _depth(value: Any) -> int:
    """How deep lists and mappings nest in ``value``, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_CONFIG_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in items)
    return deepest


# --------------------------------------------------------------------------- HDF5

def h5py_module():
    try:
        import h5py
    except ImportError:
        raise ConvertError("reading this model file needs h5py, which is not installed: "
                           "pip install 'rnntrace[keras]'") from None
    return h5py


def open_h5(path: str, shown: str):
    h5py = h5py_module()
    try:
        return h5py.File(path, "r")
    except (OSError, ValueError) as exc:
        raise ConvertError(f"{shown}: cannot be read as HDF5 ({str(exc)[:100]})") from None


class Stored:
    """One dataset of an HDF5 file, checked but not yet read: its declared shape, and
    ``read()`` for its numbers as float64."""

    def __init__(self, dataset: Any, what: str, bfloat16: bool):
        self.dataset, self.what, self.bfloat16 = dataset, what, bfloat16
        self.shape: Tuple[int, ...] = tuple(int(n) for n in dataset.shape)
        self.size = int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def precision(self) -> str:
        return "bfloat16" if self.bfloat16 else str(self.dataset.dtype.name)

    def read(self) -> np.ndarray:
        try:
            raw = self.dataset[()]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ConvertError(f"{self.what}: cannot be read ({str(exc)[:100]})") from None
        if self.bfloat16:
            # bfloat16 is the upper half of a float32: the same sign, exponent and 7 bits of fraction.
            bits = np.frombuffer(raw.tobytes(), dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32).astype(np.float64).reshape(self.shape)
        else:
            array = np.asarray(raw, dtype=np.float64)
        if not np.isfinite(array).all():
            raise ConvertError(f"{self.what}: holds NaN or infinity; a spec needs finite numbers")
        return array


class H5:
    """An HDF5 file walked through hard links only, its datasets checked before use."""

    def __init__(self, file: Any, shown: str):
        self.file, self.shown = file, shown
        self.h5py = h5py_module()

    def child(self, group: Any, path: str, what: str) -> Any:
        """The object at ``path`` (parts split by /) under ``group``, or None; a soft or
        external link on the way is refused."""
        h5py = self.h5py
        node = group
        for part in [p for p in str(path).split("/") if p]:
            if not isinstance(node, h5py.Group):
                return None
            try:
                link = node.get(part, getlink=True)
            except (OSError, ValueError, KeyError, TypeError):
                return None
            if link is None:
                return None
            self._refuse_link(link, f"{what}: {part!r}")
            try:
                node = node[part]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ConvertError(f"{self.shown}: {what}: cannot be read ({str(exc)[:100]})") from None
        return node

    def _refuse_link(self, link: Any, where: str) -> None:
        """A soft or external link is refused: a model file is read through its own
        objects only (an external link could point at any file on the machine)."""
        h5py = self.h5py
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            kind = "an external link" if isinstance(link, h5py.ExternalLink) else "a soft link"
            raise ConvertError(f"{self.shown}: {where} is {kind}; a model file is read through its own "
                               "objects only")

    def attribute(self, obj: Any, name: str, what: str, text: bool = True) -> Any:
        """An attribute read after its declared shape and type are checked: one string
        (``text``) or a list of at most MAX_ENTRIES strings; None when absent."""
        try:
            if name not in obj.attrs:
                return None
            aid = obj.attrs.get_id(name)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        kind = aid.dtype.kind
        shape = tuple(aid.shape or ())
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        stringish = kind in "SUO" or self.h5py.check_string_dtype(aid.dtype) is not None
        if count > MAX_ENTRIES or not stringish and not (count == 0 and kind == "f"):
            raise ConvertError(f"{self.shown}: {what}: expected text, found {count:,} values of {aid.dtype}")
        if aid.get_storage_size() > MAX_CONFIG_BYTES:
            raise ConvertError(f"{self.shown}: {what} is larger than {MAX_CONFIG_BYTES:,} bytes")
        try:
            value = obj.attrs[name]
        except (OSError, ValueError, TypeError) as exc:
            raise ConvertError(f"{self.shown}: {what}: cannot be read ({str(exc)[:100]})") from None

        def plain(item):
            if isinstance(item, bytes):
                try:
                    return item.decode("utf-8")
                except UnicodeDecodeError:
                    raise ConvertError(f"{self.shown}: {what}: not UTF-8 text") from None
            if isinstance(item, str):
                return item
            raise ConvertError(f"{self.shown}: {what}: expected text, found {type(item).__name__}")

        if text:
            if isinstance(value, np.ndarray):
                if value.size != 1:
                    raise ConvertError(f"{self.shown}: {what}: expected one text, found {value.size}")
                value = value.reshape(-1)[0]
            return plain(value)
        return [plain(item) for item in np.asarray(value, dtype=object).reshape(-1)]

    def dataset(self, node: Any, what: str) -> Stored:
        """``node`` as a dataset that may be read (see the module's description)."""
        h5py = self.h5py
        where = f"{self.shown}: {what}"
        if not isinstance(node, h5py.Dataset):
            raise ConvertError(f"{where}: expected an array of weights, found a {type(node).__name__}")
        try:
            plist = node.id.get_create_plist()
            layout = plist.get_layout()
            external = plist.get_external_count()
            filters = [plist.get_filter(k)[0] for k in range(plist.get_nfilters())]
        except (OSError, ValueError, TypeError) as exc:
            raise ConvertError(f"{where}: cannot be read ({str(exc)[:100]})") from None
        if layout == getattr(h5py.h5d, "VIRTUAL", -1):
            raise ConvertError(f"{where}: a virtual dataset (its numbers live in other files); refused")
        if external:
            raise ConvertError(f"{where}: stored in an external file, outside the model file; refused")
        for code in filters:
            if code not in SAFE_FILTERS:
                raise ConvertError(f"{where}: stored through HDF5 filter {code}, which is not read here "
                                   f"(expected one of {', '.join(SAFE_FILTERS.values())})")
        dtype = node.dtype
        bfloat16 = False
        if dtype.kind == "V" and dtype.itemsize == 2 and dtype.fields is None:
            marked = self.attribute(node, "dtype", what + " dtype")
            bfloat16 = marked == "bfloat16"
        if not bfloat16 and (dtype.kind != "f" or dtype.itemsize not in (2, 4, 8) or dtype.fields is not None):
            kinds = {"c": "complex numbers", "S": "text", "U": "text", "O": "objects", "i": "integers",
                     "u": "integers", "b": "booleans", "V": "records"}
            found = kinds.get(dtype.kind, str(dtype))
            raise ConvertError(f"{where}: holds {found} ({dtype}); a spec's weights are real numbers "
                               "(float16, bfloat16, float32 or float64)")
        stored = Stored(node, f"{self.shown}: {what}", bfloat16)
        if len(stored.shape) > 4 or stored.size > MAX_WEIGHTS:
            raise ConvertError(f"{where}: declares shape {stored.shape} ({stored.size:,} numbers); a spec holds "
                               f"at most {MAX_WEIGHTS:,} weights")
        chunks = node.chunks
        if chunks is not None and int(np.prod(chunks, dtype=np.int64)) > max(stored.size, 1 << 16):
            raise ConvertError(f"{where}: stored in chunks of {tuple(chunks)}, larger than the dataset; refused")
        return stored

    def check_links(self, limit: int = MAX_ENTRIES) -> None:
        """Every link of the file is a hard link (no soft or external link anywhere),
        looked at without following any, over at most ``limit`` objects."""
        h5py = self.h5py
        seen, stack = 0, [("", self.file)]
        while stack:
            where, group = stack.pop()
            try:
                names = list(group.keys())
            except (OSError, ValueError, TypeError):
                continue
            for name in names:
                seen += 1
                if seen > limit:
                    raise ConvertError(f"{self.shown}: more than {limit:,} objects in the HDF5 file")
                try:
                    link = group.get(name, getlink=True)
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                path = f"{where}/{name}"
                self._refuse_link(link, path)
                try:
                    child = group[name]
                except (OSError, ValueError, KeyError, TypeError):
                    continue
                if isinstance(child, h5py.Group):
                    stack.append((path, child))


def count_numbers(stored: Sequence[Stored], shown: str) -> int:
    """The numbers of the datasets to be kept, refused past MAX_WEIGHTS before any is read."""
    total = sum(item.size for item in stored)
    if total > MAX_WEIGHTS:
        raise ConvertError(f"{shown}: {total:,} weights; a spec holds at most {MAX_WEIGHTS:,}")
    return total


def scratch() -> "tempfile.TemporaryDirectory[str]":
    return tempfile.TemporaryDirectory(prefix="rnntrace-")


def walk_values(value: Any) -> Iterator[Any]:
    """Every list and mapping inside ``value`` (itself included), without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            yield item
            stack.extend(item)

