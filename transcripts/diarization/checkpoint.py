"""Read a PyTorch checkpoint into NumPy arrays without importing torch.

resemblyzer's ``pretrained.pt`` was written by ``torch.save`` before PyTorch 1.6, in the legacy
format: a few small pickles (magic number, protocol version, system info), the main pickle whose
tensors point at storages by a persistent id, a pickle listing the storage keys, and then each
storage's raw bytes, in that order, each preceded by its element count as a little-endian int64.
Tensors are rebuilt lazily, because their storages are only read after the main pickle.
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
    "LongStorage": np.dtype("<i8"),
    "IntStorage": np.dtype("<i4"),
    "ShortStorage": np.dtype("<i2"),
    "CharStorage": np.dtype("i1"),
    "ByteStorage": np.dtype("u1"),
    "BoolStorage": np.dtype("?"),
}


class CheckpointError(Exception):
    """The file is not a checkpoint this reader understands."""


@dataclass(frozen=True)
class _StorageType:
    name: str


@dataclass
class _Storage:
    key: str
    dtype: np.dtype
    size: int
    data: np.ndarray | None = None


@dataclass(frozen=True)
class _LazyTensor:
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def array(self) -> np.ndarray:
        if self.storage.data is None:
            raise CheckpointError(f"Storage {self.storage.key} was never read.")
        base = self.storage.data
        itemsize = base.dtype.itemsize
        return np.lib.stride_tricks.as_strided(
            base[self.offset :],
            shape=self.shape,
            strides=tuple(step * itemsize for step in self.stride),
        ).copy()


def _rebuild_tensor(
    storage: _Storage, offset: int, shape: tuple[int, ...], stride: tuple[int, ...], *_: Any
) -> _LazyTensor:
    return _LazyTensor(storage, int(offset), tuple(shape), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, handle: IO[bytes], storages: dict[str, _Storage]) -> None:
        super().__init__(handle)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        # Only what a state dict needs: nothing in the file can make us import or run anything.
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        raise CheckpointError(f"Unexpected object in checkpoint: {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise CheckpointError(f"Unexpected persistent id {pid!r}")
        _, kind, key, _location, size, view = pid
        if view is not None:
            raise CheckpointError("Storage views are not supported.")
        if key not in self.storages:
            self.storages[key] = _Storage(key, _DTYPES[kind.name], int(size))
        return self.storages[key]


def _resolve(value: Any) -> Any:
    if isinstance(value, _LazyTensor):
        return value.array()
    if isinstance(value, dict):
        return {key: _resolve(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_resolve(item) for item in value)
    return value


def load_legacy(path: Path) -> Any:
    """The object saved in ``path`` by a pre-1.6 ``torch.save``, with tensors as NumPy arrays."""
    with open(path, "rb") as handle:
        if handle.read(2) == b"PK":
            raise CheckpointError(f"{path} is a zip checkpoint; only the legacy format is read.")
        handle.seek(0)
        if pickle.load(handle) != LEGACY_MAGIC:
            raise CheckpointError(f"{path} is not a PyTorch checkpoint.")
        pickle.load(handle)  # protocol version
        info = pickle.load(handle)
        if not info.get("little_endian", True):
            raise CheckpointError("Big-endian checkpoints are not supported.")
        storages: dict[str, _Storage] = {}
        result = _Unpickler(handle, storages).load()
        keys = _Unpickler(handle, storages).load()
        for key in keys:
            storage = storages[key]
            count = int(np.frombuffer(handle.read(8), dtype="<i8")[0])
            raw = handle.read(count * storage.dtype.itemsize)
            if len(raw) != count * storage.dtype.itemsize:
                raise CheckpointError(f"{path} is truncated.")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return _resolve(result)
