"""A PyTorch file read without PyTorch: the zip archive ``torch.save`` writes, its pickle
read by an unpickler that builds nothing but containers and tensors' storages as numpy
arrays.

The archive holds ``<name>/data.pkl`` (the pickled object), ``<name>/byteorder`` and one
entry ``<name>/data/<key>`` of raw bytes per storage. In the pickle a tensor is
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, …)`` and a storage a
persistent id ``("storage", torch.FloatStorage, key, device, numel)``. The unpickler
here knows only those names (and ``collections.OrderedDict``, ``torch.Size``,
``_rebuild_parameter``, ``_rebuild_from_type_v2``); any other name, which could run
code, is refused, as are meta, quantised, sparse and complex tensors, each by name. A
tensor's numbers are counted from its size before any is copied (a view can be far
larger than its storage), its view checked to lie inside its storage, and only then
read from the archive.
"""
from __future__ import annotations

import pickle
from collections import OrderedDict
from typing import Any, List, Mapping, Tuple

import numpy as np

from .limits import MAX_CONFIG_BYTES
from .model_files import ConvertError

#: Storage classes whose numbers a spec can hold, as numpy types ("bfloat16": see _numbers).
STORAGES = {"DoubleStorage": "f8", "FloatStorage": "f4", "HalfStorage": "f2", "BFloat16Storage": "bfloat16",
            "LongStorage": "i8", "IntStorage": "i4", "ShortStorage": "i2", "CharStorage": "i1",
            "ByteStorage": "u1", "BoolStorage": "?"}
REFUSED = {
    "_rebuild_qtensor": "a quantised tensor (its integers mean numbers only through a scale and zero point); "
                        "save tensor.dequantize()",
    "_rebuild_sparse_tensor": "a sparse tensor; save tensor.to_dense()",
    "_rebuild_sparse_csr_tensor": "a sparse tensor; save tensor.to_dense()",
    "_rebuild_meta_tensor_no_storage": "a tensor on the meta device, which holds no numbers",
    "_rebuild_nested_tensor": "a nested tensor",
    "_rebuild_wrapper_subclass": "a tensor subclass",
}


class _Storage:
    def __init__(self, dtype: str, key: str, numel: int):
        self.dtype, self.key, self.numel = dtype, key, numel


class _Tensor:
    """A tensor as the pickle describes it; its numbers are read by TorchFile.array."""

    def __init__(self, storage: Any, offset: Any, size: Any, stride: Any):
        if not isinstance(storage, _Storage):
            raise ConvertError("a tensor without a storage of numbers")
        shape, steps = _ints(size, "size"), _ints(stride, "stride")
        if len(shape) != len(steps) or not isinstance(offset, int) or offset < 0:
            raise ConvertError("a tensor whose size, stride and offset do not fit together")
        self.storage, self.offset, self.shape, self.stride = storage, offset, shape, steps
        self.numel = int(np.prod(shape, dtype=np.float64)) if shape else 1


def _ints(value: Any, what: str) -> Tuple[int, ...]:
    if not isinstance(value, (tuple, list)) or len(value) > 8 or \
            not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
        raise ConvertError(f"a tensor's {what} is not a list of whole numbers ≥ 0")
    return tuple(value)


class _Marker:
    """A name the pickle may mention as data (a storage class, torch.Tensor, a dtype)."""

    def __init__(self, name: str):
        self.name = name


def _rebuild_tensor_v2(storage, offset, size, stride, *rest):
    return _Tensor(storage, offset, size, stride)


def _rebuild_parameter(data, *rest):
    return data


def _rebuild_from_type_v2(func, new_type, args, state):
    if func not in (_rebuild_tensor_v2, _rebuild_parameter) or not isinstance(args, tuple):
        raise ConvertError("a tensor of a kind import-torch does not read")
    return func(*args)


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, shown: str):
        import io
        super().__init__(io.BytesIO(data))
        self.shown = shown

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch._utils":
            if name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
                return _rebuild_tensor_v2
            if name in ("_rebuild_parameter", "_rebuild_parameter_with_state"):
                return _rebuild_parameter
            if name in REFUSED:
                raise ConvertError(f"{self.shown}: holds {REFUSED[name]}; a spec's weights are plain arrays of "
                                   "real numbers")
        if (module, name) == ("torch._tensor", "_rebuild_from_type_v2"):
            return _rebuild_from_type_v2
        if module == "torch" and name == "Size":
            return tuple
        if module == "torch" and name.endswith("Storage"):
            if "Complex" in name:
                raise ConvertError(f"{self.shown}: holds a complex tensor ({name}); a spec's weights are real, and "
                                   "dropping the imaginary part would change the model")
            if name.startswith(("QInt", "QUInt")):
                raise ConvertError(f"{self.shown}: holds {REFUSED['_rebuild_qtensor']}")
            if name in STORAGES:
                return _Marker(name)
        if (module, name) in (("torch", "Tensor"), ("torch.nn.parameter", "Parameter")):
            return _Marker(name)
        raise ConvertError(f"{self.shown}: holds more than tensors ({module}.{name}: a whole pickled model?), "
                           "which is not loaded because that could run code; save model.state_dict() instead")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _Marker) and pid[1].name in STORAGES and isinstance(pid[2], str)
                and isinstance(pid[4], int) and pid[4] >= 0):
            raise ConvertError(f"{self.shown}: a storage record that is not PyTorch's")
        return _Storage(STORAGES[pid[1].name], pid[2], pid[4])


class TorchFile:
    """A PyTorch zip archive: its pickled object (tensors not yet read) and the bytes of
    its storages on demand."""

    def __init__(self, path: str, shown: str):
        from .model_files import open_zip, read_entry
        self.shown = shown
        self.archive = open_zip(path, shown)
        pickles = [n for n in self.archive.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            self.archive.close()
            raise ConvertError(f"{shown}: not a PyTorch file (no data.pkl in its zip archive)")
        self.prefix = pickles[0][:-len("data.pkl")]
        order = b"little"
        if self.prefix + "byteorder" in self.archive.namelist():
            order = read_entry(self.archive, self.prefix + "byteorder", shown, 16).strip()
        if order not in (b"little", b"big"):
            raise ConvertError(f"{shown}: byteorder {order[:16]!r}; expected little or big")
        self.order = "<" if order == b"little" else ">"
        # The pickle holds the names and shapes, not the numbers: a few KB a tensor. Bounded so
        # that its objects (a few times its bytes) stay small too.
        data = read_entry(self.archive, pickles[0], shown, MAX_CONFIG_BYTES)
        try:
            self.loaded = _Unpickler(data, shown).load()
        except ConvertError:
            raise
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
                KeyError, MemoryError, RecursionError) as exc:
            raise ConvertError(f"{shown}: cannot be read as PyTorch weights ({str(exc)[:100] or type(exc).__name__})") \
                from None

    def close(self) -> None:
        self.archive.close()

    def array(self, tensor: _Tensor, name: str) -> Tuple[np.ndarray, str]:
        """The tensor's numbers (float64 for floating storages) and its storage's type."""
        from .model_files import read_entry
        storage = tensor.storage
        entry = f"{self.prefix}data/{storage.key}"
        if entry not in self.archive.namelist():
            raise ConvertError(f"{self.shown}: {name}: its storage {storage.key!r} is not in the archive")
        itemsize = 2 if storage.dtype == "bfloat16" else np.dtype(storage.dtype).itemsize
        if tensor.numel and (tensor.offset + sum((n - 1) * s for n, s in zip(tensor.shape, tensor.stride))
                             >= storage.numel):
            raise ConvertError(f"{self.shown}: {name}: its view reaches past its storage of {storage.numel:,} numbers")
        raw = read_entry(self.archive, entry, self.shown, storage.numel * itemsize)
        if len(raw) != storage.numel * itemsize:
            raise ConvertError(f"{self.shown}: {name}: its storage holds {len(raw):,} bytes, not the "
                               f"{storage.numel * itemsize:,} it declares")
        if storage.dtype == "bfloat16":
            # bfloat16 is the upper half of a float32: the same sign, exponent and 7 bits of fraction.
            flat = (np.frombuffer(raw, dtype=self.order + "u2").astype(np.uint32) << 16).view(np.float32)
        else:
            flat = np.frombuffer(raw, dtype=np.dtype(storage.dtype).newbyteorder(self.order))
        if not tensor.numel:
            return np.zeros(tensor.shape), storage.dtype
        view = np.lib.stride_tricks.as_strided(flat[tensor.offset:], shape=tensor.shape,
                                               strides=[s * flat.itemsize for s in tensor.stride], writeable=False)
        return np.array(view, dtype=np.float64), storage.dtype


#: What each storage type is called in a note.
PRECISION = {"f2": "float16", "bfloat16": "bfloat16", "f4": "float32", "f8": "float64"}


def read_state_dict(path: str, shown: str) -> Tuple["OrderedDict[str, np.ndarray]", List[str]]:
    """The state dict saved in a PyTorch zip file (or under ``state_dict``,
    ``model_state_dict`` or ``model`` in a checkpoint), every tensor as a float64
    array, and the precisions of its floating storages below float32."""
    from .fields import MAX_WEIGHTS
    source = TorchFile(path, shown)
    try:
        loaded = source.loaded

        def is_state(value) -> bool:
            return isinstance(value, Mapping) and bool(value) and \
                all(isinstance(k, str) and isinstance(v, _Tensor) for k, v in value.items())

        state = None
        if is_state(loaded):
            state = loaded
        elif isinstance(loaded, Mapping):
            state = next((loaded[k] for k in ("state_dict", "model_state_dict", "model")
                          if is_state(loaded.get(k))), None)
        if state is None:
            raise ConvertError(f"{shown}: expected a state_dict (names → tensors), or a checkpoint with one under "
                               f"'state_dict', 'model_state_dict' or 'model'; found {type(loaded).__name__}")
        # A tensor can be a view far larger than what the file stores (an expanded one has
        # stride 0); its numbers are counted before any is copied out.
        total = sum(t.numel for t in state.values())
        if total > MAX_WEIGHTS:
            raise ConvertError(f"{shown}: {total:,} numbers; a spec holds at most {MAX_WEIGHTS:,} weights")
        out: "OrderedDict[str, np.ndarray]" = OrderedDict()
        kinds = set()
        for name, tensor in state.items():
            out[name], kind = source.array(tensor, name)
            kinds.add(kind)
        low = sorted(PRECISION[k] for k in kinds if k in ("f2", "bfloat16"))
        return out, low
    finally:
        source.close()

