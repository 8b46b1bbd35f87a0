"""Read a PyTorch checkpoint into NumPy arrays without importing torch.

Since PyTorch 1.6 ``torch.save`` writes a zip archive: ``<name>/data.pkl`` is the pickled object,
whose tensors point at storages by a persistent id, and ``<name>/data/<key>`` holds each storage's
raw little-endian bytes. The pickle is read by a restricted unpickler that knows only what a
state dict needs (``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2``, the storage
types), plus, as inert records, the few names a checkpoint's metadata may carry (``allow``):
nothing in the file can make us import or run anything.

Before 1.6 it wrote the legacy format (``load_legacy``): a few small pickles (magic number, protocol
version, system info), the main pickle, a pickle listing the storage keys, and then each storage's
raw bytes, in that order, each preceded by its element count as a little-endian int64. Tensors are
rebuilt lazily, because their storages are only read after the main pickle.

``load_checked`` reads either, after checking the file's SHA-256 against the one expected.
"""

from __future__ import annotations

import collections
import hashlib
import pickle
import zipfile
from collections.abc import Collection
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


@dataclass
class Record:
    """An object of a class the checkpoint names but we do not import (its metadata): only the
    name, the arguments it was built with and its state are kept."""

    name: str
    args: tuple = ()
    state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _record_class(qualified: str) -> type:
    """A stand-in class for ``qualified``: NEWOBJ and REDUCE both give a ``Record``."""

    class Stand(Record):
        def __new__(cls, *args: Any) -> Record:
            return Record(qualified, args)

        def __init__(self, *args: Any) -> None:  # pragma: no cover - __new__ returns a Record
            pass

    Stand.__qualname__ = Stand.__name__ = qualified.rsplit(".", 1)[-1]
    return Stand


class _Unpickler(pickle.Unpickler):
    def __init__(
        self, handle: IO[bytes], storages: dict[str, _Storage], allow: Collection[str] = ()
    ) -> None:
        super().__init__(handle)
        self.storages = storages
        self.allow = frozenset(allow)

    def find_class(self, module: str, name: str) -> Any:
        # Only what a state dict needs: nothing in the file can make us import or run anything.
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
            return _rebuild_tensor
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        if f"{module}.{name}" in self.allow:
            return _record_class(f"{module}.{name}")
        raise CheckpointError(f"Unexpected object in checkpoint: {module}.{name}")

    def persistent_load(self, pid: Any) -> _Storage:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise CheckpointError(f"Unexpected persistent id {pid!r}")
        # Legacy files add a view (always None here) after the element count.
        _, kind, key, _location, size, *view = pid
        if view and view[0] is not None:
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


def load_zip(path: Path, *, allow: Collection[str] = ()) -> Any:
    """The object saved in ``path`` by ``torch.save`` (zip format), with tensors as NumPy arrays.

    ``allow`` names classes (``module.Name``) that may appear in the pickle besides a state
    dict's own; each is read as an inert ``Record``.
    """
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise CheckpointError(f"{path} is not a zip checkpoint.") from exc
    with archive:
        names = archive.namelist()
        pickles = [name for name in names if name.endswith("/data.pkl") and name.count("/") == 1]
        if len(pickles) != 1:
            raise CheckpointError(f"{path} holds no single data.pkl.")
        prefix = pickles[0][: -len("data.pkl")]
        storages: dict[str, _Storage] = {}
        with archive.open(pickles[0]) as handle:
            result = _Unpickler(handle, storages, allow).load()  # type: ignore[arg-type]
        for key, storage in storages.items():
            try:
                raw = archive.read(f"{prefix}data/{key}")
            except KeyError as exc:
                raise CheckpointError(f"{path} lacks storage {key}.") from exc
            if len(raw) < storage.size * storage.dtype.itemsize:
                raise CheckpointError(f"{path}: storage {key} is truncated.")
            storage.data = np.frombuffer(raw, dtype=storage.dtype, count=storage.size)
    return _resolve(result)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_checked(path: Path, expected_sha256: str, *, allow: Collection[str] = ()) -> Any:
    """``load_zip`` or ``load_legacy`` of ``path``, once its SHA-256 is the one expected: weights
    that are not the ones the code was proven against (golden tests) are refused."""
    actual = sha256(path)
    if actual != expected_sha256:
        raise CheckpointError(
            f"{path} is not the expected file (SHA-256 {actual}, expected {expected_sha256})."
        )
    with open(path, "rb") as handle:
        zipped = handle.read(2) == b"PK"
    return load_zip(path, allow=allow) if zipped else load_legacy(path)
