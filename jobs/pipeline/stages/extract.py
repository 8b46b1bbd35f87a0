"""Stage 2: decode the audio to 16 kHz mono PCM, the input every backend takes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transcripts.media import extract_audio, wav_duration


@dataclass(frozen=True)
class Extracted:
    audio: Path
    duration: float


def extract(source: Path, target: Path) -> Extracted:
    # Safe to run again after a crash: a finished WAV is kept, a partial one never has this name.
    if Path(target).exists():
        return Extracted(audio=Path(target), duration=wav_duration(target))
    duration = extract_audio(source, target)
    return Extracted(audio=Path(target), duration=duration)
