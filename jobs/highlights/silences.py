"""Silence detection on 16 kHz PCM: frame energy against a threshold that adapts to the room.

A lecture's noise floor drifts (the lecturer walks away from the microphone, a projector fan
starts), so the threshold is computed per window from the local noise floor, relative to the
speech level of the whole recording. Samples are read in blocks: a memory-mapped WAV of several
hours is never converted to floating point all at once, only one block at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from transcripts.media import SAMPLE_RATE

_FLOOR_DB = -120.0  # the level given to digital silence, so that log10 never sees zero


@dataclass
class SilenceResult:
    silences: list[tuple[float, float]]  # (start, end) in seconds, sorted, non-overlapping
    duration: float  # seconds of audio analysed
    threshold_db: float  # the median of the adaptive threshold, in dBFS, for the record
    min_silence: float
    speech_level_db: float
    noise_floor_db: float
    frame_seconds: float = 0.02
    settings: dict[str, float] = field(default_factory=dict)

    @property
    def speech(self) -> list[tuple[float, float]]:
        """The complement of the silences: where someone is (probably) talking."""
        spans = []
        position = 0.0
        for start, end in self.silences:
            if start > position:
                spans.append((position, start))
            position = end
        if position < self.duration:
            spans.append((position, self.duration))
        return spans

    def to_dict(self) -> dict[str, object]:
        return {
            "silences": [[round(start, 3), round(end, 3)] for start, end in self.silences],
            "duration": round(self.duration, 3),
            "threshold_db": round(self.threshold_db, 2),
            "min_silence": self.min_silence,
            "speech_level_db": round(self.speech_level_db, 2),
            "noise_floor_db": round(self.noise_floor_db, 2),
            "frame_seconds": self.frame_seconds,
        }


def detect_silences(
    samples: np.ndarray,
    *,
    sample_rate: int = SAMPLE_RATE,
    min_silence: float = 0.5,
    frame: float = 0.02,
    window: float = 30.0,
    ratio: float = 0.3,
    min_margin_db: float = 6.0,
    block: float = 60.0,
) -> SilenceResult:
    """Intervals of at least ``min_silence`` seconds whose frame energy stays under the threshold.

    ``samples`` is 16-bit PCM (a ``numpy.memmap`` from ``transcripts.media.read_wav`` is fine). The
    threshold for each ``window`` seconds is the local noise floor (5th percentile of frame
    energy over that window and its neighbours) plus ``ratio`` of the distance to the speech level
    (95th percentile over the whole recording), and at least ``min_margin_db`` above the floor.
    """
    frame_length = max(1, round(frame * sample_rate))
    energy = _frame_energy_db(samples, frame_length, max(1, round(block / frame)))
    frame_seconds = frame_length / sample_rate
    duration = len(samples) / sample_rate
    if energy.size == 0:
        return SilenceResult([], duration, _FLOOR_DB, min_silence, _FLOOR_DB, _FLOOR_DB)

    speech_level = float(np.percentile(energy, 95))
    threshold = _adaptive_threshold(
        energy, max(1, round(window / frame_seconds)), speech_level, ratio, min_margin_db
    )
    silent = energy < threshold
    # A click or a cough of a frame or two inside a pause should not split the pause in two.
    _fill_short_runs(silent, value=False, max_length=2)

    silences = []
    min_frames = max(1, round(min_silence / frame_seconds))
    for start, end in _runs(silent):
        if end - start >= min_frames:
            silences.append((start * frame_seconds, min(end * frame_seconds, duration)))
    return SilenceResult(
        silences=silences,
        duration=duration,
        threshold_db=float(np.median(threshold)),
        min_silence=min_silence,
        speech_level_db=speech_level,
        noise_floor_db=float(np.percentile(energy, 10)),
        frame_seconds=frame_seconds,
        settings={"frame": frame, "window": window, "ratio": ratio, "min_margin_db": min_margin_db},
    )


def _frame_energy_db(samples: np.ndarray, frame_length: int, frames_per_block: int) -> np.ndarray:
    """Mean power of each frame in dBFS, computed one block at a time."""
    total = len(samples) // frame_length + (1 if len(samples) % frame_length else 0)
    energy = np.empty(total, dtype=np.float32)
    block_length = frames_per_block * frame_length
    for first in range(0, len(samples), block_length):
        chunk = np.asarray(samples[first : first + block_length], dtype=np.float32)
        whole = len(chunk) // frame_length
        index = first // frame_length
        if whole:
            framed = chunk[: whole * frame_length].reshape(whole, frame_length)
            energy[index : index + whole] = np.einsum("ij,ij->i", framed, framed) / frame_length
        if len(chunk) % frame_length:
            tail = chunk[whole * frame_length :]
            energy[index + whole] = float(np.dot(tail, tail)) / len(tail)
    full_scale = 32768.0**2
    return (10.0 * np.log10(energy / full_scale + 10 ** (_FLOOR_DB / 10))).astype(np.float32)


def _adaptive_threshold(
    energy: np.ndarray, window: int, speech_level: float, ratio: float, min_margin: float
) -> np.ndarray:
    """One threshold per frame, linearly interpolated between per-window values."""
    count = -(-len(energy) // window)
    centres = np.empty(count)
    values = np.empty(count)
    for index in range(count):
        # Each window looks at its neighbours too, so that a window that happens to be all
        # speech still sees some pauses to measure the floor from.
        neighbourhood = energy[max(0, (index - 1) * window) : (index + 2) * window]
        floor = float(np.percentile(neighbourhood, 5))
        values[index] = floor + max(ratio * (speech_level - floor), min_margin)
        centres[index] = (index + 0.5) * window
    return np.interp(np.arange(len(energy)), centres, values).astype(np.float32)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the runs of True in ``mask``."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _fill_short_runs(mask: np.ndarray, *, value: bool, max_length: int) -> None:
    """Flip runs of ``value`` no longer than ``max_length`` that sit between two opposite runs."""
    target = mask if value else ~mask
    for start, end in _runs(target):
        if end - start <= max_length and start > 0 and end < len(mask):
            mask[start:end] = not value
