"""whisper.cpp through pywhispercpp, with the bundled models converted to ggml, run for real."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import JFK_TEXT
from tests.wer import wer
from transcripts.backends import whispercpp
from transcripts.backends.base import BackendError, SegmentResult, TranscribeOptions
from transcripts.backends.whispercpp import (
    TokenTiming,
    WhisperCppBackend,
    alignment_heads,
    read_ggml_header,
    resolve_model,
    words_from_tokens,
)
from transcripts.media import extract_audio, ffmpeg_exe


@pytest.fixture
def jfk_16k(jfk_wav: Path, tmp_path: Path) -> Path:
    """JFK through the pipeline's own audio extraction (it is 16 kHz mono already)."""
    target = tmp_path / "jfk-16k.wav"
    extract_audio(jfk_wav, target)
    return target


def _check_words(segments: list[SegmentResult]) -> None:
    previous = 0.0
    for segment in segments:
        assert segment.words, segment
        assert "".join(w.word for w in segment.words).strip() == segment.text
        for word in segment.words:
            assert segment.start <= word.start <= word.end <= segment.end
            assert word.start >= previous
            previous = word.start


def test_it_transcribes_jfk_with_the_converted_tiny_en_model(ggml_tiny_en, jfk_16k):
    backend = WhisperCppBackend(model=str(ggml_tiny_en), threads=2)
    assert backend.availability().ok
    seen: list[SegmentResult] = []

    result = backend.transcribe(jfk_16k, TranscribeOptions(), on_segment=seen.append)

    assert wer(JFK_TEXT, result.text) <= 0.10, result.text
    assert result.language == "en"
    assert result.backend == "whispercpp"
    assert result.duration == pytest.approx(11.0, abs=0.01)
    assert seen == result.segments
    _check_words(result.segments)
    # DTW timings: "Americans" ends around 2.2 s and "country." near the end, as in the audio.
    words = [w for s in result.segments for w in s.words]
    americans = next(w for w in words if "Americans" in w.word)
    assert 1.8 <= americans.end <= 2.6
    assert words[-1].end == pytest.approx(10.6, abs=0.4)


def test_it_reads_every_segment_of_audio_longer_than_one_window_once(
    ggml_tiny_en, jfk_wav, tmp_path
):
    # Over 30 s whisper.cpp decodes in several windows, and pywhispercpp then calls the segment
    # callback more often than there are new segments: reading by the callback's count ran past
    # the last segment and crashed the process (SIGSEGV), found by `make bench` on a 2-minute clip.
    jfk = tmp_path / "jfk-x4.wav"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-stream_loop",
            "3",
            "-i",
            str(jfk_wav),
            "-ar",
            "16000",
            "-ac",
            "1",
            str(jfk),
        ],
        check=True,
    )
    backend = WhisperCppBackend(model=str(ggml_tiny_en), threads=2)
    seen: list[SegmentResult] = []

    result = backend.transcribe(jfk, TranscribeOptions(), on_segment=seen.append)

    assert result.duration == pytest.approx(44.0, abs=0.1)
    assert seen == result.segments
    assert result.text.lower().count("ask not") == 4, result.text
    starts = [segment.start for segment in result.segments]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    assert result.segments[-1].end > 40
    _check_words(result.segments)


def test_it_detects_the_language_with_the_multilingual_base_model(ggml_base, jfk_16k):
    backend = WhisperCppBackend(model=str(ggml_base), threads=2)

    result = backend.transcribe(jfk_16k, TranscribeOptions(language=None))

    assert result.language == "en"
    assert wer(JFK_TEXT, result.text) <= 0.10, result.text
    _check_words(result.segments)


def test_it_can_skip_word_timings(ggml_tiny_en, jfk_16k):
    backend = WhisperCppBackend(model=str(ggml_tiny_en), threads=2)

    result = backend.transcribe(jfk_16k, TranscribeOptions(word_timestamps=False))

    assert wer(JFK_TEXT, result.text) <= 0.10
    assert all(segment.words == [] for segment in result.segments)


def test_it_loads_a_model_once_per_process(ggml_tiny_en):
    first = WhisperCppBackend(model=str(ggml_tiny_en), threads=2).load()
    second = WhisperCppBackend(model=str(ggml_tiny_en), threads=2).load()

    assert first is second
    assert first.dtw and not first.multilingual


def test_it_prints_nothing_from_whisper_cpp(ggml_tiny_en, jfk_16k, capfd):
    # One thread: a context this process has not loaded yet, so loading is checked as well.
    backend = WhisperCppBackend(model=str(ggml_tiny_en), threads=1)
    capfd.readouterr()

    backend.load(words=False)
    backend.transcribe(jfk_16k, TranscribeOptions(word_timestamps=False))

    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_it_refuses_another_language_on_an_english_only_model(ggml_tiny_en, jfk_16k):
    backend = WhisperCppBackend(model=str(ggml_tiny_en), threads=2)

    with pytest.raises(BackendError, match="only understands English"):
        backend.transcribe(jfk_16k, TranscribeOptions(language="de"))


def test_it_is_unavailable_without_a_model(tmp_path, monkeypatch):
    monkeypatch.setattr(whispercpp, "models_dir", lambda: tmp_path)

    assert "WHISPER_CPP_MODEL is not set" in WhisperCppBackend(model="").availability().reason
    missing = WhisperCppBackend(model=str(tmp_path / "nope.bin")).availability()
    assert not missing.ok and "does not exist" in missing.reason
    unnamed = WhisperCppBackend(model="base.en").availability()
    assert not unnamed.ok and "never downloads" in unnamed.reason


def test_it_finds_a_model_by_name_in_the_models_directory(ggml_tiny_en, tmp_path, monkeypatch):
    monkeypatch.setattr(whispercpp, "models_dir", lambda: tmp_path)
    (tmp_path / "ggml-tiny.en.bin").symlink_to(ggml_tiny_en)

    assert resolve_model("tiny.en") == ggml_tiny_en.resolve()
    backend = WhisperCppBackend(model="tiny.en")
    assert backend.availability().ok
    assert backend.model_name(TranscribeOptions()) == "tiny.en"


def test_it_rejects_a_file_that_is_not_a_ggml_model(tmp_path):
    fake = tmp_path / "model.bin"
    fake.write_bytes(b"not a model" * 10)

    availability = WhisperCppBackend(model=str(fake)).availability()

    assert not availability.ok and "not a whisper.cpp ggml model" in availability.reason


def test_it_picks_alignment_heads_from_the_model_shape(ggml_tiny_en, ggml_base):
    assert alignment_heads(read_ggml_header(ggml_tiny_en)) == "WHISPER_AHEADS_TINY_EN"
    assert alignment_heads(read_ggml_header(ggml_base)) == "WHISPER_AHEADS_BASE"


def test_it_builds_words_from_tokens():
    tokens = [
        TokenTiming(b" Caf", 0, 0, 40, 0.9),
        TokenTiming(b"\xc3", 0, 0, 50, 0.8),  # "é" split over two tokens
        TokenTiming(b"\xa9", 0, 0, 60, 0.7),
        TokenTiming(b" ouvert", 0, 0, 120, 0.9),
        TokenTiming(b".", 0, 0, 125, 0.6),
    ]

    words = words_from_tokens(tokens, 0.2, 1.5)

    assert [w.word for w in words] == [" Café", " ouvert."]
    assert [(w.start, w.end) for w in words] == [(0.2, 0.6), (0.6, 1.25)]
    assert words[0].probability == pytest.approx(0.8)


def test_it_splits_unspaced_languages_into_characters():
    tokens = [
        TokenTiming("你".encode(), 0, 0, 30, 0.9),
        TokenTiming("好".encode()[:2], 0, 0, 40, 0.9),
        TokenTiming("好".encode()[2:], 0, 0, 50, 0.9),
    ]

    words = words_from_tokens(tokens, 0.0, 1.0, spaced=False)

    assert [w.word for w in words] == ["你", "好"]


def test_it_falls_back_to_heuristic_timings_without_dtw():
    tokens = [TokenTiming(b" Hello", 10, 40, -1, 0.9), TokenTiming(b" there", 45, 90, -1, 0.9)]

    words = words_from_tokens(tokens, 0.0, 1.0)

    assert [(w.start, w.end) for w in words] == [(0.1, 0.4), (0.45, 0.9)]


def test_an_opening_quote_starts_a_word():
    tokens = [
        TokenTiming(b" said", 0, 0, 30, 0.9),
        TokenTiming(b' "', 0, 0, 35, 0.9),
        TokenTiming(b"Hello", 0, 0, 60, 0.9),
        TokenTiming(b'."', 0, 0, 65, 0.9),
        TokenTiming(b" ...", 0, 0, 70, 0.9),
    ]

    words = words_from_tokens(tokens, 0.0, 1.0)

    # The ellipsis joins the word before, keeping the space the text has.
    assert [w.word for w in words] == [" said", ' "Hello." ...']
