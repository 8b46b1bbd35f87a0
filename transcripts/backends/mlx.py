"""mlx-whisper: Whisper on the GPU of Apple Silicon Macs (the ``mlx`` extra, macOS arm64 only).

mlx-whisper keeps the last loaded model in the process itself (``ModelHolder``), so a worker
loads it once. Its model is an MLX-format directory or a Hugging Face repository; the bundled
CTranslate2 models cannot be used, so unless ``MLX_WHISPER_MODEL`` names a local directory the
first job on a Mac fetches the weights from the hub (and ``availability`` says so).
"""

from __future__ import annotations

import importlib.util
import logging
import platform
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from transcripts.backends.base import (
    Availability,
    BackendError,
    SegmentCallback,
    SegmentResult,
    TranscribeOptions,
    TranscriptionResult,
    Word,
)
from transcripts.hardware import is_apple_silicon
from transcripts.media import MediaError, read_wav

logger = logging.getLogger(__name__)

# LECTERN_MODEL names to the mlx-community conversions of the same OpenAI checkpoints.
MLX_MODELS = {
    "tiny": "mlx-community/whisper-tiny-mlx",
    "tiny.en": "mlx-community/whisper-tiny.en-mlx",
    "base": "mlx-community/whisper-base-mlx",
    "base.en": "mlx-community/whisper-base.en-mlx",
    "small": "mlx-community/whisper-small-mlx",
    "medium": "mlx-community/whisper-medium-mlx",
    "large-v3": "mlx-community/whisper-large-v3-mlx",
    "large-v3-turbo": "mlx-community/whisper-large-v3-turbo",
}


def mlx_model_for(name: str) -> str:
    """The mlx-whisper model for a LECTERN_MODEL name (or the name itself: a repo or a path)."""
    return MLX_MODELS.get(name, name)


@dataclass
class MLXBackend:
    model: str = "mlx-community/whisper-base-mlx"  # a local MLX model directory or a hub repo
    name: str = "mlx"

    def availability(self) -> Availability:
        if not is_apple_silicon():
            return Availability(
                False, f"mlx-whisper runs only on Apple Silicon Macs, not {_platform()}"
            )
        if importlib.util.find_spec("mlx_whisper") is None:
            return Availability(
                False, "the mlx-whisper package is not installed (install the mlx extra)"
            )
        try:
            import mlx_whisper  # noqa: F401
        except Exception as exc:  # a broken Metal or MLX install: say so, let others run
            return Availability(False, f"mlx-whisper cannot be imported: {exc}")
        if Path(self.model).expanduser().is_dir():
            return Availability(True, f"model {self.model} on the Apple GPU")
        return Availability(
            True, f"model {self.model} on the Apple GPU (fetched from the hub on first use)"
        )

    def model_name(self, options: TranscribeOptions) -> str:
        return mlx_model_for(options.model) if options.model else self.model

    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        on_segment: SegmentCallback | None = None,
    ) -> TranscriptionResult:
        # optional: mlx-whisper is installed only on Apple Silicon
        import mlx_whisper

        try:
            samples = read_wav(Path(audio), mmap=False)
        except MediaError as exc:
            raise BackendError(str(exc)) from exc
        # A waveform, not a path: given a path mlx-whisper runs an `ffmpeg` from PATH, which a
        # Mac may not have; our WAV is already 16 kHz mono.
        pcm = samples.astype(np.float32) / 32768.0
        model = self.model_name(options)
        prompt = " ".join(p for p in (options.initial_prompt, options.hotwords) if p) or None
        decode: dict[str, Any] = {"task": options.task}
        if options.language:
            decode["language"] = options.language
        try:
            result = mlx_whisper.transcribe(
                pcm,
                path_or_hf_repo=model,
                verbose=None,  # None prints nothing; False would draw a progress bar
                word_timestamps=options.word_timestamps,
                initial_prompt=prompt,
                condition_on_previous_text=True,
                compression_ratio_threshold=2.4,
                no_speech_threshold=0.6,
                hallucination_silence_threshold=2.0 if options.word_timestamps else None,
                **decode,
            )
        except Exception as exc:
            logger.exception("mlx-whisper failed on %s", audio)
            raise BackendError(f"mlx-whisper failed on this audio: {exc}") from exc
        segments = segments_from_mlx(result)
        if on_segment is not None:
            # mlx-whisper returns everything at the end; report it in order all the same.
            for segment in segments:
                on_segment(segment)
        return TranscriptionResult(
            language=str(result.get("language") or options.language or "en"),
            duration=round(len(pcm) / 16_000, 3),
            segments=segments,
            backend=self.name,
            model=model,
        )


def segments_from_mlx(result: Mapping[str, Any]) -> list[SegmentResult]:
    """Our segments from the dict ``mlx_whisper.transcribe`` returns (openai-whisper's shape).

    Segments carry start, end, text, avg_logprob and no_speech_prob, and with word timestamps a
    ``words`` list of {word, start, end, probability}. Empty segments are dropped, times rounded
    to milliseconds, and NumPy or MLX scalars turned into plain floats.
    """
    segments: list[SegmentResult] = []
    for raw in result.get("segments") or []:
        text = str(raw.get("text") or "").strip()
        if not text:
            continue
        words: Sequence[Mapping[str, Any]] = raw.get("words") or []
        segments.append(
            SegmentResult(
                start=round(float(raw["start"]), 3),
                end=round(float(raw["end"]), 3),
                text=text,
                avg_logprob=_optional(raw.get("avg_logprob")),
                no_speech_prob=_optional(raw.get("no_speech_prob")),
                words=[
                    Word(
                        round(float(w["start"]), 3),
                        round(float(w["end"]), 3),
                        str(w["word"]),
                        _optional(w.get("probability")),
                    )
                    for w in words
                    if str(w.get("word", "")).strip()
                ],
            )
        )
    return segments


def _optional(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def _platform() -> str:
    return f"{sys.platform}/{platform.machine() or 'unknown'}"
