"""Stage: the pauses in the audio (NumPy over the 16 kHz PCM, read in blocks)."""

from __future__ import annotations

from pathlib import Path

from jobs.highlights.silences import SilenceResult, detect_silences
from jobs.media import read_wav


def find_silences(audio: Path, *, min_silence: float) -> SilenceResult:
    return detect_silences(read_wav(audio), min_silence=min_silence)
