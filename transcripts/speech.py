"""Checks on a finished transcript against the audio: what speech it missed, what it invented.

No Django here: the worker's transcribe stage and the CLI both call these on any backend's result.

- ``speech_spans``: where the recording holds speech, by faster-whisper's voice-activity detector
  (Silero, whose weights ship in the faster-whisper wheel), read in windows so that a long
  lecture costs no more memory than a short one.
- ``missing_speech``: the stretches of that speech no transcript word covers, so that a passage
  the model skipped (another language, crosstalk, a backend that dropped a chunk) is shown to the
  user instead of vanishing.
- ``suppress_hallucinations``: segments Whisper made up (its word-anomaly score, from
  openai/whisper's ``hallucination_silence_threshold`` logic, on a segment that is also
  impossibly fast or marked as no speech) and loops of the same line, removed and returned, so
  that they can still be shown as removed.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transcripts.backends.base import SegmentResult
from transcripts.backends.faster_whisper import SAMPLE_RATE, read_window, wav_samples

# Speech is read in windows of this many seconds (the VAD's state restarts at each; a pause
# split by a window edge is still found on both sides).
WINDOW_SECONDS = 600
# A word covers its own span and this much either side: word timestamps are approximate, and the
# detector pads speech by a few hundred milliseconds.
COVER_MARGIN = 0.5
# A word covers at most this long: where Whisper skips words, the word before them is stretched
# over the gap (openai/whisper scores words over 2 s as anomalous for the same reason).
MAX_WORD_SECONDS = 2.0
# Uncovered speech shorter than this is a breath, a cough or a timestamp's error, not a passage.
MIN_MISSING_SECONDS = 1.5
# Faster than any person speaks, sustained over a segment (fast speech is about 20 characters a
# second; subtitles aim for at most 17-20).
IMPOSSIBLE_CPS = 30.0
# A line repeated more often than this in a row is a decoding loop (Whisper's best-known failure).
MAX_REPEATS = 2


@dataclass(frozen=True)
class Removed:
    start: float
    end: float
    text: str
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "text": self.text, "reason": self.reason}


@dataclass(frozen=True)
class SpeechCheck:
    """How much of the recording's speech the transcript holds, and what was taken out of it."""

    speech_seconds: float
    missing: list[tuple[float, float]]
    removed: list[Removed]

    @property
    def missing_seconds(self) -> float:
        return round(sum(end - start for start, end in self.missing), 2)

    def warnings(self) -> list[str]:
        """What the user should know, in sentences; empty when the transcript holds it all."""
        lines = []
        if self.missing:
            where = ", ".join(f"{clock(start)}–{clock(end)}" for start, end in self.missing)
            lines.append(
                f"About {self.missing_seconds:.0f} s of the {self.speech_seconds:.0f} s of "
                f"speech has no transcript ({where}): the model could not make out words "
                "there. Listen to those stretches, or try another model or language."
            )
        if self.removed:
            lines.append(
                f"{len(self.removed)} line(s) the model produced were taken out as not heard "
                "in the audio or repeated in a loop."
            )
        return lines


def clock(seconds: float) -> str:
    """``seconds`` as m:ss (h:mm:ss from an hour)."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def check(
    audio: Path, segments: Sequence[SegmentResult]
) -> tuple[list[SegmentResult], SpeechCheck]:
    """``segments`` cleaned of hallucinations, and how they cover the speech in ``audio``."""
    kept, removed = suppress_hallucinations(segments)
    speech = speech_spans(audio)
    return kept, SpeechCheck(
        speech_seconds=round(sum(end - start for start, end in speech), 2),
        missing=missing_speech(speech, kept),
        removed=removed,
    )


def _windows(audio: Path) -> Iterator[tuple[float, np.ndarray]]:
    samples = wav_samples(audio)
    if samples is None:
        # faster-whisper takes ~0.5 s to import: loaded when speech is decoded, not at start-up
        from faster_whisper.audio import decode_audio

        yield 0.0, decode_audio(str(audio), sampling_rate=SAMPLE_RATE)
        return
    size = WINDOW_SECONDS * SAMPLE_RATE
    for first in range(0, len(samples), size):
        yield (
            first / SAMPLE_RATE,
            read_window(audio, samples, first, min(first + size, len(samples))),
        )


def speech_spans(audio: Path) -> list[tuple[float, float]]:
    """(start, end) seconds of the speech in ``audio`` (a 16 kHz WAV, or anything ffmpeg reads)."""
    # faster-whisper takes ~0.5 s to import: loaded when speech is decoded, not at start-up
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans: list[tuple[float, float]] = []
    options = VadOptions(min_silence_duration_ms=500)
    for offset, window in _windows(audio):
        for chunk in get_speech_timestamps(window, options):
            start = offset + chunk["start"] / SAMPLE_RATE
            end = offset + chunk["end"] / SAMPLE_RATE
            if spans and start - spans[-1][1] < 0.01:
                spans[-1] = (spans[-1][0], end)  # joined across a window edge
            else:
                spans.append((start, end))
    return [(round(start, 3), round(end, 3)) for start, end in spans]


def _covered(segments: Sequence[SegmentResult]) -> list[tuple[float, float]]:
    """Merged spans the transcript accounts for: its words, or whole segments without words."""
    spans = []
    for segment in segments:
        if segment.words:
            spans.extend(
                (word.start, min(word.end, word.start + MAX_WORD_SECONDS)) for word in segment.words
            )
        else:
            spans.append((segment.start, segment.end))
    merged: list[list[float]] = []
    for start, end in sorted(spans):
        start, end = start - COVER_MARGIN, end + COVER_MARGIN
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def missing_speech(
    speech: Sequence[tuple[float, float]], segments: Sequence[SegmentResult]
) -> list[tuple[float, float]]:
    """The pieces of ``speech`` that no segment covers, each at least ``MIN_MISSING_SECONDS``."""
    covered = _covered(segments)
    missing: list[tuple[float, float]] = []
    for start, end in speech:
        cursor = start
        for c_start, c_end in covered:
            if c_end <= cursor or c_start >= end:
                continue
            if c_start > cursor:
                missing.append((cursor, c_start))
            cursor = max(cursor, c_end)
        if cursor < end:
            missing.append((cursor, end))
    # Pieces split only by a short pause are one passage to the reader.
    joined: list[tuple[float, float]] = []
    for start, end in missing:
        if joined and start - joined[-1][1] < 1.0:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return [
        (round(start, 2), round(end, 2))
        for start, end in joined
        if end - start >= MIN_MISSING_SECONDS
    ]


def _word_anomaly(probability: float | None, duration: float) -> float:
    """openai/whisper's ``word_anomaly_score``: improbable, too short or too long words."""
    score = 1.0 if (probability if probability is not None else 1.0) < 0.15 else 0.0
    if duration < 0.133:
        score += (0.133 - duration) * 15
    if duration > 2.0:
        score += duration - 2.0
    return score


def _anomalous(segment: SegmentResult) -> bool:
    """openai/whisper's ``is_segment_anomaly`` over the segment's first eight words."""
    words = [w for w in segment.words if w.word.strip() not in string.punctuation][:8]
    if not words:
        return False
    score = sum(_word_anomaly(w.probability, w.end - w.start) for w in words)
    return score >= 3 or score + 0.01 >= len(words)


def _impossible(segment: SegmentResult) -> bool:
    """Spoken faster than a person can, or scored by the model itself as no speech."""
    span = max(segment.end - segment.start, 0.1)
    no_speech = segment.no_speech_prob is not None and segment.no_speech_prob > 0.6
    return len(segment.text) / span > IMPOSSIBLE_CPS or no_speech


def _normal(text: str) -> str:
    return " ".join(text.lower().translate(str.maketrans("", "", string.punctuation)).split())


def suppress_hallucinations(
    segments: Sequence[SegmentResult],
) -> tuple[list[SegmentResult], list[Removed]]:
    """``segments`` without invented lines and decoding loops, and what was removed and why."""
    kept: list[SegmentResult] = []
    removed: list[Removed] = []
    run = 0  # how many times in a row the last kept text has come
    for segment in segments:
        if _anomalous(segment) and _impossible(segment):
            removed.append(
                Removed(segment.start, segment.end, segment.text, "not heard in the audio")
            )
            continue
        same = bool(kept) and _normal(segment.text) == _normal(kept[-1].text)
        run = run + 1 if same else 1
        if same and run > MAX_REPEATS:
            removed.append(Removed(segment.start, segment.end, segment.text, "repeated line"))
            continue
        kept.append(segment)
    return kept, removed
