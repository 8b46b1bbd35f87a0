"""Stage 2: decode the audio to 16 kHz mono PCM, the input every backend takes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transcripts.media import MediaError, extract_audio, too_long_message, wav_duration


@dataclass(frozen=True)
class Extracted:
    audio: Path
    duration: float  # of the decoded audio: what the job is counted by, whatever the header said


def extract(source: Path, target: Path, *, max_seconds: float | None = None) -> Extracted:
    """``max_seconds``: the length limit, checked on the decoded audio (``extract_audio``)."""
    # Safe to run again after a crash: a finished WAV is kept, a partial one never has this name.
    if Path(target).exists():
        duration = wav_duration(target)
        if max_seconds is not None and duration > max_seconds:  # kept by a run with a higher limit
            Path(target).unlink()
            raise MediaError(too_long_message(duration, max_seconds, decoded=True))
        return Extracted(audio=Path(target), duration=duration)
    duration = extract_audio(source, target, max_seconds=max_seconds)
    return Extracted(audio=Path(target), duration=duration)
