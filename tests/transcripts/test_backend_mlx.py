"""mlx-whisper: the result mapping everywhere, a real run only on an Apple Silicon Mac."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from tests.conftest import JFK_TEXT
from tests.wer import wer
from transcripts import hardware
from transcripts.backends import mlx
from transcripts.backends.base import TranscribeOptions
from transcripts.backends.mlx import MLXBackend, mlx_model_for, segments_from_mlx

# What mlx_whisper.transcribe(..., word_timestamps=True) returns for the start of jfk.wav: the
# openai-whisper shape, with NumPy scalars where mlx-whisper leaves them.
MLX_RESULT = {
    "text": " And so my fellow Americans, ask not what your country can do for you.",
    "language": "en",
    "segments": [
        {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": 4.2,
            "text": " And so my fellow Americans,",
            "tokens": [50364, 400, 370, 452, 7177, 6280, 11],
            "temperature": 0.0,
            "avg_logprob": np.float32(-0.2513),
            "compression_ratio": 1.17,
            "no_speech_prob": 0.0123,
            "words": [
                {"word": " And", "start": 0.0, "end": 0.52, "probability": np.float32(0.83)},
                {"word": " so", "start": 0.52, "end": 0.84, "probability": 0.99},
                {"word": " my", "start": 0.84, "end": 1.2, "probability": 0.97},
                {"word": " fellow", "start": 1.2, "end": 1.58, "probability": 0.99},
                {"word": " Americans,", "start": np.float64(1.58), "end": 2.1, "probability": 0.9},
            ],
        },
        {
            "id": 1,
            "seek": 0,
            "start": 4.2,
            "end": 4.2,
            "text": " ",
            "tokens": [],
            "temperature": 0.0,
            "avg_logprob": -1.2,
            "compression_ratio": 0.5,
            "no_speech_prob": 0.9,
            "words": [],
        },
        {
            "id": 2,
            "seek": 0,
            "start": 4.2,
            "end": 7.42,
            "text": " ask not what your country can do for you.",
            "tokens": [],
            "temperature": 0.2,
            "avg_logprob": -0.31,
            "compression_ratio": 1.1,
            "no_speech_prob": 0.02,
            "words": [
                {"word": " ask", "start": 2.1, "end": 3.72, "probability": 0.8},
                {"word": " not", "start": 3.72, "end": 4.24, "probability": 0.95},
                {"word": "", "start": 4.24, "end": 4.24, "probability": 0.1},
                {"word": " what", "start": 4.24, "end": 5.52, "probability": 0.9},
                {"word": " your", "start": 5.52, "end": 5.76, "probability": 0.99},
                {"word": " country", "start": 5.76, "end": 6.24, "probability": 0.99},
                {"word": " can", "start": 6.24, "end": 6.62, "probability": 0.99},
                {"word": " do", "start": 6.62, "end": 6.82, "probability": 0.99},
                {"word": " for", "start": 6.82, "end": 7.08, "probability": 0.99},
                {"word": " you.", "start": 7.08, "end": 7.4234567, "probability": 0.9},
            ],
        },
    ],
}


def test_it_maps_an_mlx_whisper_result():
    segments = segments_from_mlx(MLX_RESULT)

    assert [s.text for s in segments] == [
        "And so my fellow Americans,",
        "ask not what your country can do for you.",
    ]
    first, second = segments
    assert (first.start, first.end) == (0.0, 4.2)
    assert first.avg_logprob == pytest.approx(-0.2513)
    assert type(first.avg_logprob) is float and type(first.words[0].probability) is float
    assert first.no_speech_prob == 0.0123
    assert [w.word for w in first.words] == [" And", " so", " my", " fellow", " Americans,"]
    assert first.words[0].probability == pytest.approx(0.83)
    assert len(second.words) == 9  # the empty word is dropped
    assert second.words[-1].end == 7.423


def test_it_maps_a_result_without_word_timings():
    result = {"text": "Hi.", "segments": [{"start": 0.0, "end": 1.0, "text": " Hi."}]}

    (segment,) = segments_from_mlx(result)

    assert segment.words == [] and segment.avg_logprob is None


def test_it_is_unavailable_off_apple_silicon(monkeypatch):
    monkeypatch.setattr(mlx, "is_apple_silicon", lambda: False)

    availability = MLXBackend().availability()

    assert not availability.ok
    assert "only on Apple Silicon" in availability.reason


def test_it_says_when_the_package_is_missing(monkeypatch):
    monkeypatch.setattr(mlx, "is_apple_silicon", lambda: True)
    monkeypatch.setattr(mlx.importlib.util, "find_spec", lambda name: None)

    availability = MLXBackend().availability()

    assert not availability.ok
    assert "not installed" in availability.reason


def test_it_maps_lectern_model_names_to_mlx_models():
    assert mlx_model_for("base") == "mlx-community/whisper-base-mlx"
    assert mlx_model_for("/models/whisper-mlx") == "/models/whisper-mlx"
    backend = MLXBackend(model="mlx-community/whisper-base-mlx")
    assert backend.model_name(TranscribeOptions(model="tiny.en")).endswith("whisper-tiny.en-mlx")


@pytest.mark.skipif(
    not hardware.is_apple_silicon() or importlib.util.find_spec("mlx_whisper") is None,
    reason="mlx-whisper runs only on Apple Silicon with the mlx extra installed",
)
def test_it_transcribes_jfk_on_apple_silicon(jfk_wav):
    backend = MLXBackend(model=mlx_model_for("tiny.en"))

    result = backend.transcribe(jfk_wav, TranscribeOptions(language="en"))

    assert wer(JFK_TEXT, result.text) <= 0.10
    assert all(segment.words for segment in result.segments)
