"""Session fixtures for the transcription tests: ggml models and real transcripts, made once.

Both are slow to make and never change for the same inputs, so they are kept in ``var/test-cache``
(git-ignored) between runs, under names that change when their inputs do.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SHARED_MEDIA, shared_media

REPO = Path(__file__).resolve().parents[2]
TEST_CACHE = REPO / "var" / "test-cache"
CONVERTER = SHARED_MEDIA.parent / "tools" / "ct2_to_ggml.py"


def _model_dir(name: str) -> Path:
    from transcripts import modelstore

    if name == "tiny.en":
        return modelstore.tiny_en_dir()
    if name == "base":
        return modelstore.base_dir(TEST_CACHE)
    raise ValueError(name)


def _cached(target: Path, make: Callable[[Path], None]) -> Path:
    """``target``, made by ``make(partial_path)`` unless it exists; safe for parallel workers."""
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
            make(partial)
            os.replace(partial, target)
    return target


def convert_to_ggml(name: str) -> Path:
    """The bundled CTranslate2 model ``name`` as a whisper.cpp ggml file (converted once)."""
    if not CONVERTER.exists():
        pytest.fail(f"{CONVERTER} is missing: tests expect ../shared/tools beside the checkout.")
    model_dir = _model_dir(name)
    key = hashlib.sha256(CONVERTER.read_bytes())
    key.update(str((model_dir / "model.bin").stat().st_size).encode())
    target = TEST_CACHE / "ggml" / f"{name}-{key.hexdigest()[:12]}.bin"

    def make(partial: Path) -> None:
        subprocess.run(
            [sys.executable, str(CONVERTER), str(model_dir), str(partial)],
            check=True,
            capture_output=True,
        )

    return _cached(target, make)


@pytest.fixture(scope="session")
def ggml_tiny_en() -> Path:
    return convert_to_ggml("tiny.en")


@pytest.fixture(scope="session")
def ggml_base() -> Path:
    return convert_to_ggml("base")


def faster_whisper_transcript(
    media: str, *, language: str | None = None, start: float = 0.0, length: float | None = None
) -> list[dict]:
    """faster-whisper base's segments (with words) for a stretch of a shared media file.

    Greedy decoding without VAD keeps it quick; the result is cached as JSON.
    """
    import faster_whisper

    from transcripts.backends.base import TranscribeOptions
    from transcripts.backends.faster_whisper import FasterWhisperBackend
    from transcripts.media import ffmpeg_exe

    source = shared_media(media)
    name = f"{media}-{start:g}-{length}-{language}-base-fw{faster_whisper.__version__}.json"
    target = TEST_CACHE / "transcripts" / name

    def make(partial: Path) -> None:
        wav = partial.with_suffix(".wav")
        window = ["-t", str(length)] if length else []
        subprocess.run(
            [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-ss", str(start),
             "-i", str(source), *window, "-ac", "1", "-ar", "16000", str(wav)],
            check=True,
        )  # fmt: skip
        backend = FasterWhisperBackend(
            model="base", cache_dir=TEST_CACHE, threads=2, beam_size=1, vad=False
        )
        result = backend.transcribe(wav, TranscribeOptions(language=language))
        wav.unlink()
        partial.write_text(json.dumps([segment.to_dict() for segment in result.segments]))

    return json.loads(_cached(target, make).read_text())


@pytest.fixture(scope="session")
def real_transcripts() -> dict[str, list[dict]]:
    """Real segments with word timings: JFK, and the MIT licence read in English and German."""
    return {
        "jfk": faster_whisper_transcript("jfk.wav"),
        "licence-en": faster_whisper_transcript("multilingual.mp3", language="en", length=29),
        "licence-de": faster_whisper_transcript("multilingual.mp3", language="de", start=29),
    }
