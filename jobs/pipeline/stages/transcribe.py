"""Stage 3: speech to text with the best available backend, falling back when one fails."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from transcripts import backends, speech
from transcripts.backends.base import SegmentResult, TranscribeOptions, TranscriptionResult


@dataclass
class Transcribed:
    result: TranscriptionResult
    check: speech.SpeechCheck
    fallbacks: list[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the successful backend call and any failed ones

    @property
    def realtime_factor(self) -> float | None:
        if self.seconds <= 0 or self.result.duration <= 0:
            return None
        return self.result.duration / self.seconds


def transcribe(
    audio: Path,
    options: TranscribeOptions,
    *,
    duration: float,
    backend: str | None = None,
    on_progress: Callable[[float], None] | None = None,
    on_segment: Callable[[SegmentResult], None] | None = None,
    on_fallback: Callable[[str, str], None] | None = None,
) -> Transcribed:
    """Transcribe ``audio``; ``on_progress`` gets the fraction done (last segment end / duration).

    Whatever the backend, the result is checked against the audio: lines Whisper invented or
    repeated in a loop are taken out (and listed in ``check.removed``), and the speech no line
    covers is listed in ``check.missing``, so that nothing is lost without the user being told.
    """

    def decoded(segment: SegmentResult) -> None:
        if on_segment is not None:
            on_segment(segment)
        if on_progress is not None and duration > 0:
            on_progress(min(1.0, segment.end / duration))

    started = time.perf_counter()
    outcome = backends.transcribe(
        audio, options, forced=backend, on_segment=decoded, on_fallback=on_fallback
    )
    result = outcome.result
    result.segments, check = speech.check(audio, result.segments)
    return Transcribed(
        result=result,
        check=check,
        fallbacks=outcome.fallbacks,
        seconds=time.perf_counter() - started,
    )
