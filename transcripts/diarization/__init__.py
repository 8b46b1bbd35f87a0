"""Speaker diarization (who speaks when), offline and without torch. No Django here.

Speech is found by the Silero voice-activity model that faster-whisper ships (ONNX, no torch),
cut into overlapping windows of up to 1 s every 0.5 s, each window becomes a voice embedding
(resemblyzer's encoder, run in NumPy by ``encoder``), the embeddings are clustered by speaker
(``cluster``: agglomerative, with a calibrated threshold), and every 10 ms of speech takes the
speaker of the windows around it.

Speech too short for a window of its own (under 0.3 s, apart from other speech) is measured by no
window; it takes the speaker of the nearest measured speech (an unlabelled second of speech is
missed speech in every score) and is listed in ``Diarization.unassigned``, so that callers can say
how much of the labelling is that guess. With no window at all (only scraps of speech), all of it
is one speaker's. Overlapping speech gets one
label (the voice that dominates the window); a second speaker talking over is not detected.

    diarization = diarize(samples, speakers=None, speech=None)
    for assignment in assign(segments, diarization): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from transcripts.diarization.cluster import cluster, count_margin
from transcripts.diarization.encoder import (
    EncoderUnavailable,
    VoiceEncoder,
    default_encoder,
)
from transcripts.diarization.mel import HOP, INT16_MAX, SAMPLE_RATE, mel_spectrogram
from transcripts.speakers import speaker_pieces

__all__ = [
    "Diarization",
    "EncoderUnavailable",
    "SpeakerAssignment",
    "assign",
    "detect_speech",
    "diarize",
]

FRAME = HOP / SAMPLE_RATE  # 10 ms
# Windows of 1 s every 0.5 s: turns in meetings are often 1 s or less, and a 1.6 s window (the
# encoder's training length) straddles two of them. On the calibration mixtures (cluster.py) 1 s
# windows gave a DER of 6.2 % against 8.0 % for 1.6 s ones; a step of 0.5 s scores as well as
# 0.25 s there (5.5 % and 6.2 % clean, 20.8 % and 21.6 % through rooms) at half the cost.
WINDOW_FRAMES = 100
STEP_FRAMES = 50
# Speech shorter than this gets no window of its own, and no speaker (see ``unassigned``).
MIN_WINDOW_FRAMES = 30
BATCH = 64
# resemblyzer normalises every recording to -30 dBFS (raising quiet ones only) before embedding.
TARGET_DBFS = -30.0
# The speech detector (see ``detect_speech``).
VAD_THRESHOLD = 0.3
VAD_PAUSE_MS = 600
VAD_PAD_MS = 150


@dataclass(frozen=True)
class Diarization:
    turns: list[tuple[float, float, str]]  # (start, end, label) in seconds, in time order
    labels: list[str]  # "S1", "S2"... in order of first appearance
    # The speech found (or given), in seconds; turns cover all of it.
    speech: list[tuple[float, float]] = field(default_factory=list)
    # Speech no voice window measured (too short): its speaker in ``turns`` is the nearest one's.
    unassigned: list[tuple[float, float]] = field(default_factory=list)
    # With the count estimated: how near it came to one more or fewer (cluster.count_margin),
    # a cosine distance; under about 0.02 the count is a close call. None when given or unknown.
    count_margin: float | None = None

    @property
    def unassigned_seconds(self) -> float:
        return round(sum(end - start for start, end in self.unassigned), 2)

    def speaker_between(self, start: float, end: float) -> str | None:
        """The label speaking longest in [start, end]; the nearest turn's for a pause."""
        if not self.turns:
            return None
        overlap: dict[str, float] = {}
        for t_start, t_end, label in self.turns:
            shared = min(end, t_end) - max(start, t_start)
            if shared > 0:
                overlap[label] = overlap.get(label, 0.0) + shared
        if overlap:
            return max(overlap, key=lambda label: (overlap[label], -self.labels.index(label)))
        middle = (start + end) / 2
        nearest = min(self.turns, key=lambda turn: max(turn[0] - middle, middle - turn[1]))
        return nearest[2]


@dataclass(frozen=True)
class SpeakerAssignment:
    speaker: str | None
    # Each word's speaker, when the segment's words are not all one speaker's; otherwise None.
    words: list[str | None] | None


def diarize(
    samples: np.ndarray,
    *,
    speakers: int | None = None,
    speech: Sequence[tuple[float, float]] | None = None,
    encoder: VoiceEncoder | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Diarization:
    """Who speaks when in 16 kHz mono ``samples`` (int16, or float in [-1, 1]).

    ``speakers`` is the number of voices when known; ``speech`` the spans that hold speech, in
    seconds (found by the voice-activity model when omitted).
    """
    samples = np.asarray(samples) if not isinstance(samples, np.memmap) else samples
    scale = 1.0 / (INT16_MAX + 1) if samples.dtype == np.int16 else 1.0
    mel = mel_spectrogram(samples, scale=scale)
    energy = _frame_energy(samples, scale, len(mel))
    if speech is None:
        speech = detect_speech(samples, scale)
    regions = _speech_frames(energy, speech, len(mel))
    if not regions:
        return Diarization(turns=[], labels=[])
    mel *= _gain(energy, regions) ** 2  # a power spectrogram scales with the square

    windows = _windows(regions)
    encoder = encoder or default_encoder()
    embeddings = np.zeros((len(windows), 256), dtype=np.float32)
    by_length: dict[int, list[int]] = {}
    for number, (start, stop) in enumerate(windows):
        by_length.setdefault(stop - start, []).append(number)
    done = 0
    for _length, numbers in sorted(by_length.items()):
        for first in range(0, len(numbers), BATCH):
            chosen = numbers[first : first + BATCH]
            batch = np.stack([mel[windows[n][0] : windows[n][1]] for n in chosen])
            embeddings[chosen] = encoder.embed(batch)
            done += len(chosen)
            if on_progress is not None:
                on_progress(done / len(windows))

    labels = cluster(embeddings, speakers=speakers) if windows else np.zeros(0, dtype=int)
    result = _turns(regions, windows, labels, len(mel))
    margin = count_margin(embeddings) if speakers is None else None
    return Diarization(
        turns=result.turns,
        labels=result.labels,
        speech=[(round(a * FRAME, 2), round(b * FRAME, 2)) for a, b in regions],
        unassigned=result.unassigned,
        count_margin=None if margin is None else round(margin, 4),
    )


def detect_speech(samples: np.ndarray, scale: float = 1.0) -> list[tuple[float, float]]:
    """Speech spans in seconds, by the Silero VAD model faster-whisper ships (ONNX on CPU).

    A speech probability of 0.3 rather than Silero's default 0.5: in meetings the quieter, farther
    voices score between the two (AMI trn07 loses 4 s of a speaker's turns at 0.5). On the tuning
    excerpts (trn00-04) DER was 29.8 % at 0.5 and 28.1-28.6 % anywhere from 0.35 down to 0.25, so
    the middle of that flat stretch; the held-out five went from 36.2 % to 34.0 %. Pauses of 0.6 s
    or more split spans (faster-whisper's own 2 s would join two speakers' turns into one) and
    150 ms of padding each side (faster-whisper pads 400 ms for the recogniser; Silero's own
    default is 30 ms). Pause and padding were chosen on trn00-04 (DER 37.8 % with 0.3 s and 30 ms,
    29.6 % with these) and checked on the other five (40.0 % -> 35.0 %); see docs/benchmarks.md.
    Falls back to the audio's energy when faster-whisper is not installed.
    """
    try:
        # faster-whisper takes ~0.5 s to import: loaded when speech is decoded, not at start-up
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError:  # pragma: no cover - faster-whisper is a dependency
        mel_frames = 1 + len(samples) // HOP
        energy = _frame_energy(samples, scale, mel_frames)
        return [(a * FRAME, b * FRAME) for a, b in _speech_frames(energy, None, mel_frames)]
    options = VadOptions(
        threshold=VAD_THRESHOLD,
        min_speech_duration_ms=100,
        min_silence_duration_ms=VAD_PAUSE_MS,
        speech_pad_ms=VAD_PAD_MS,
    )
    audio = np.asarray(samples, dtype=np.float32) * np.float32(scale)
    chunks = get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)
    return [(c["start"] / SAMPLE_RATE, c["end"] / SAMPLE_RATE) for c in chunks]


def _frame_energy(samples: np.ndarray, scale: float, frames: int) -> np.ndarray:
    """Mean square of each 10 ms frame, read in blocks (``samples`` may be a memory map)."""
    energy = np.zeros(frames, dtype=np.float64)
    block = HOP * 6000
    for start in range(0, len(samples), block):
        piece = np.asarray(samples[start : start + block], dtype=np.float64) * scale
        count = len(piece) // HOP
        if count:
            squares = (piece[: count * HOP].reshape(count, HOP) ** 2).mean(axis=1)
            first = start // HOP
            energy[first : first + count] = squares[: frames - first]
    return energy


def _speech_frames(
    energy: np.ndarray, speech: Sequence[tuple[float, float]] | None, frames: int
) -> list[tuple[int, int]]:
    """Speech as [start, stop) frame ranges, from ``speech`` or else from the energy."""
    if speech is not None:
        regions = [(max(0, round(a / FRAME)), min(frames, round(b / FRAME))) for a, b in speech]
        return _merge([(a, b) for a, b in sorted(regions) if b > a], gap=0)
    if not frames:
        return []
    db = 10 * np.log10(energy + 1e-10)
    loud = np.percentile(db, 95)
    floor = np.percentile(db, 10)
    # Speech is what stands well above the noise floor and not too far below the loud parts.
    threshold = max(loud - 40.0, floor + 12.0, -70.0)
    voiced = np.convolve(db > threshold, np.ones(5) / 5, mode="same") > 0.4
    edges = np.flatnonzero(np.diff(np.r_[0, voiced.astype(np.int8), 0]))
    regions = list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))
    # Close pauses shorter than 0.3 s, then drop blips shorter than 0.2 s.
    return [(a, b) for a, b in _merge(regions, gap=30) if b - a >= 20]


def _merge(regions: Iterable[tuple[int, int]], *, gap: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in regions:
        if merged and a - merged[-1][1] <= gap:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def _gain(energy: np.ndarray, regions: list[tuple[int, int]]) -> float:
    """resemblyzer's ``normalize_volume(wav, -30, increase_only=True)``, measured on speech."""
    speech = np.concatenate([energy[a:b] for a, b in regions])
    rms = np.sqrt(max(float(speech.mean()), 1e-20))  # of the float signal in [-1, 1]
    change = TARGET_DBFS - 20 * np.log10(rms)
    return float(10 ** (change / 20)) if change > 0 else 1.0


def _windows(regions: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """[start, stop) frames of each window: as long as the region allows, up to 1 s."""
    windows = []
    for a, b in regions:
        length = b - a
        if length < MIN_WINDOW_FRAMES:
            continue
        if length <= WINDOW_FRAMES:
            windows.append((a, b))
            continue
        starts = list(range(a, b - WINDOW_FRAMES + 1, STEP_FRAMES))
        if starts[-1] + WINDOW_FRAMES < b:
            starts.append(b - WINDOW_FRAMES)
        windows.extend((s, s + WINDOW_FRAMES) for s in starts)
    return windows


def _turns(
    regions: list[tuple[int, int]],
    windows: list[tuple[int, int]],
    labels: np.ndarray,
    frames: int,
) -> Diarization:
    count = int(labels.max()) + 1 if len(labels) else 1
    votes = np.zeros((count, frames), dtype=np.float32)
    for (a, b), label in zip(windows, labels.tolist(), strict=True):
        # A window speaks most for the frames at its centre (a triangle, never quite zero).
        votes[label, a:b] += 1.0 - np.abs(np.linspace(-1, 1, b - a, dtype=np.float32)) * 0.9
    decided = votes.max(axis=0) > 0
    frame_label = votes.argmax(axis=0)
    if not decided.any():
        frame_label[:] = 0
    else:
        # Frames no window covers take the label of the nearest frame one does.
        known = np.flatnonzero(decided)
        nearest = np.searchsorted(known, np.arange(frames)).clip(1, len(known) - 1)
        left, right = known[nearest - 1], known[nearest]
        pick = np.where(
            np.abs(np.arange(frames) - left) <= np.abs(right - np.arange(frames)), left, right
        )
        pick = np.where(decided, np.arange(frames), pick)
        frame_label = frame_label[pick]

    turns: list[tuple[float, float, int]] = []
    unassigned: list[tuple[float, float]] = []
    for a, b in regions:
        if b - a < MIN_WINDOW_FRAMES:
            # No window of its own (see _windows): it takes the nearest measured speech's speaker,
            # a guess that ``unassigned`` lists so that callers can say so.
            unassigned.append((round(a * FRAME, 2), round(b * FRAME, 2)))
        run_start = a
        for f in range(a + 1, b + 1):
            if f == b or frame_label[f] != frame_label[run_start]:
                label = int(frame_label[run_start])
                if turns and turns[-1][2] == label and run_start * FRAME - turns[-1][1] < 1e-9:
                    turns[-1] = (turns[-1][0], f * FRAME, label)
                else:
                    turns.append((run_start * FRAME, f * FRAME, label))
                run_start = f
    # Name the speakers in the order they first speak.
    order: dict[int, str] = {}
    for _, _, label in turns:
        order.setdefault(label, f"S{len(order) + 1}")
    return Diarization(
        turns=[(round(a, 2), round(b, 2), order[label]) for a, b, label in turns],
        labels=list(order.values()),
        unassigned=unassigned,
    )


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def assign(segments: Iterable[Any], diarization: Diarization) -> list[SpeakerAssignment]:
    """Each segment's speaker (who speaks most of its span), and its words' when they differ.

    Segments and words are objects or dicts with ``start`` and ``end``; nothing is changed.
    """
    result = []
    for segment in segments:
        start = float(_get(segment, "start", 0.0) or 0.0)
        end = max(float(_get(segment, "end", start) or start), start)
        speaker = diarization.speaker_between(start, end)
        words = []
        for word in _get(segment, "words", None) or []:
            w_start = _get(word, "start")
            w_end = _get(word, "end")
            w_start = start if w_start is None else float(w_start)
            w_end = max(w_start, end if w_end is None else float(w_end))
            words.append(diarization.speaker_between(w_start, w_end))
        split = len(set(words)) > 1
        if words and not split:
            speaker = words[0]  # the words' own speaker, not a voice heard in a pause between them
        result.append(SpeakerAssignment(speaker=speaker, words=words if split else None))
    return result


def with_speakers(segments: Iterable[dict[str, Any]], diarization: Diarization) -> list[dict]:
    """Copies of dict segments, cut where the speaker changes, each word with its ``speaker``.

    The same cut as the diarize stage stores (``transcripts.speakers``), so the CLI's exports show
    the same turns as the page's.
    """

    return [piece for pieces in speaker_pieces(list(segments), diarization) for piece in pieces]
