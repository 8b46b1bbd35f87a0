"""The OpenAI backend, through the real ``openai`` client, against a real server on 127.0.0.1."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from tests.servers import OpenAIServer, Reply, rate_limited, server_error, slow, sound_spans
from tests.synth import write_wav
from transcripts import backends
from transcripts.backends.base import (
    BackendError,
    QuotaExceeded,
    TranscribeOptions,
)
from transcripts.backends.faster_whisper import FasterWhisperBackend
from transcripts.backends.openai_api import (
    OpenAIBackend,
    language_code,
    parse_response,
    plan_chunks,
)

RATE = 16_000


@pytest.fixture
def server():
    with OpenAIServer() as running:
        yield running


def _backend(server: OpenAIServer, **kwargs) -> OpenAIBackend:
    kwargs.setdefault("timeout", 10)
    kwargs.setdefault("max_retries", 2)
    return OpenAIBackend(api_key=server.api_key, base_url=server.base_url, **kwargs)


def bursts(count: int, *, seed: int = 7) -> tuple[np.ndarray, list[float]]:
    """Tone bursts (0.25 to 0.5 s) separated by 0.5 to 1 s of quiet noise, and their starts."""
    rng = np.random.default_rng(seed)
    pieces: list[np.ndarray] = []
    starts: list[float] = []
    position = 0
    for _ in range(count):
        gap = int(rng.uniform(0.5, 1.0) * RATE)
        pieces.append(rng.normal(0, 30, gap))  # room tone, far below the server's threshold
        position += gap
        length = int(rng.uniform(0.25, 0.5) * RATE)
        t = np.arange(length) / RATE
        pieces.append(8000 * np.sin(2 * np.pi * rng.uniform(200, 800) * t))
        starts.append(position / RATE)
        position += length
    pieces.append(rng.normal(0, 30, RATE // 2))
    return np.concatenate(pieces).astype("<i2"), starts


def test_it_transcribes_through_the_api(server, jfk_wav):
    backend = _backend(server)
    seen = []

    result = backend.transcribe(
        jfk_wav, TranscribeOptions(hotwords="Kennedy", user_id=3), on_segment=seen.append
    )

    assert result.backend == "openai" and result.model == "whisper-1"
    assert result.language == "en"  # verbose_json says "english"
    assert result.duration == pytest.approx(11.0, abs=0.01)
    assert seen == result.segments and result.segments
    (upload,) = server.uploads
    assert upload.path == "/v1/audio/transcriptions"
    assert upload.fields["response_format"] == ["verbose_json"]
    assert upload.fields["timestamp_granularities[]"] == ["segment", "word"]
    assert upload.fields["prompt"] == ["Kennedy"]
    assert upload.files["file"][1] == "audio/mpeg"
    # Words take their punctuation from the segment text, and a leading space like faster-whisper.
    assert result.segments[0].words[-1].word == " sound."
    assert result.segments[0].words[0].word == " Sound"


def test_it_retries_a_rate_limit_after_the_time_the_server_asks(server, jfk_wav):
    server.script(rate_limited(retry_after=0.4))

    result = _backend(server).transcribe(jfk_wav, TranscribeOptions())

    assert result.segments
    first, second = server.uploads
    assert second.at - first.at >= 0.4


def test_it_retries_a_server_error(server, jfk_wav):
    server.script(server_error(500))

    result = _backend(server).transcribe(jfk_wav, TranscribeOptions())

    assert result.segments
    assert len(server.uploads) == 2


def test_it_gives_up_after_repeated_server_errors(server, jfk_wav):
    server.script(server_error(503), server_error(503))

    with pytest.raises(BackendError, match=r"server error \(HTTP 503\) after 2 attempts"):
        _backend(server, max_retries=1).transcribe(jfk_wav, TranscribeOptions())
    assert len(server.uploads) == 2


def test_it_fails_readably_when_the_server_is_too_slow(server, jfk_wav):
    server.script(slow(5))
    started = time.monotonic()

    with pytest.raises(BackendError, match=r"did not answer within 0\.5 seconds"):
        _backend(server, timeout=0.5, max_retries=0).transcribe(jfk_wav, TranscribeOptions())
    assert time.monotonic() - started < 3


def test_the_registry_falls_back_to_local_when_the_api_times_out(server, jfk_wav, settings):
    settings.LECTERN_BACKEND = ""
    server.script(slow(5))
    local = FasterWhisperBackend(model="tiny.en", threads=2, beam_size=1, vad=False)
    backends._registry = {
        "faster-whisper": local,
        "openai": _backend(server, timeout=0.5, max_retries=0),
    }
    # A configured key puts the API first; the local model is the fallback.
    assert [b.name for b in backends.chain()] == ["openai", "faster-whisper"]

    outcome = backends.transcribe(jfk_wav, TranscribeOptions())

    assert outcome.result.backend == "faster-whisper"
    assert "ask not what your country" in outcome.result.text
    assert len(outcome.fallbacks) == 1
    assert outcome.fallbacks[0].startswith("openai: ")
    assert "did not answer within 0.5 seconds" in outcome.fallbacks[0]


def test_it_checks_the_quota_before_sending_anything(server, jfk_wav):
    asked = []

    def quota_check(user_id: int | None, seconds: float) -> None:
        asked.append((user_id, seconds))
        raise QuotaExceeded("You have used your 60 minutes of cloud transcription this month.")

    backend = _backend(server, quota_check=quota_check)

    with pytest.raises(QuotaExceeded, match="60 minutes"):
        backend.transcribe(jfk_wav, TranscribeOptions(user_id=42))
    assert asked == [(42, pytest.approx(11.0, abs=0.01))]
    assert server.requests == []


def test_it_sends_when_the_quota_allows(server, jfk_wav):
    asked = []
    backend = _backend(server, quota_check=lambda user, seconds: asked.append((user, seconds)))

    backend.transcribe(jfk_wav, TranscribeOptions(user_id=42))

    assert len(asked) == 1 and len(server.uploads) == 1


def test_it_splits_long_audio_at_silences_and_rejoins_with_offsets(server, tmp_path):
    samples, starts = bursts(40)
    audio = write_wav(tmp_path / "bursts.wav", samples)
    # 72 kB at 64 kbit/s: chunks of about 8 s instead of 20 minutes.
    backend = _backend(server, max_request_bytes=72_000)

    result = backend.transcribe(audio, TranscribeOptions(language="en"))

    uploads = server.uploads
    assert len(uploads) >= 4
    assert all(len(upload.audio) <= 72_000 for upload in uploads)
    assert all(upload.fields["language"] == ["en"] for upload in uploads)
    # Every burst comes back once (none was cut in two), where it is in the whole file.
    words = [w for segment in result.segments for w in segment.words]
    assert len(words) == len(starts)
    for word, start in zip(words, starts, strict=True):
        assert word.start == pytest.approx(start, abs=0.05)
    assert all(a.end <= b.start for a, b in itertools.pairwise(words))
    # Later chunks are prompted with the text before them, to keep the transcript continuous.
    assert "prompt" not in uploads[0].fields
    assert uploads[1].fields["prompt"][0].endswith("sound.")


def test_it_translates_through_the_translation_endpoint(server, jfk_wav):
    result = _backend(server).transcribe(jfk_wav, TranscribeOptions(task="translate"))

    (upload,) = server.uploads
    assert upload.path == "/v1/audio/translations"
    assert result.segments


def test_it_explains_a_refused_key(server, jfk_wav):
    backend = OpenAIBackend(api_key="sk-wrong", base_url=server.base_url, max_retries=0)

    with pytest.raises(BackendError, match="refused the API key"):
        backend.transcribe(jfk_wav, TranscribeOptions())


def test_it_explains_a_refused_request(server, jfk_wav):
    error = {"error": {"message": "Invalid file format.", "code": "invalid_value"}}
    server.script(Reply(400, error))

    with pytest.raises(BackendError, match=r"refused the request \(HTTP 400\): Invalid file"):
        _backend(server).transcribe(jfk_wav, TranscribeOptions())


def test_it_is_unavailable_without_a_key():
    availability = OpenAIBackend(api_key="").availability()

    assert not availability.ok
    assert availability.reason == "OPENAI_API_KEY is not set"


def test_it_plans_chunks_that_end_in_silence():
    samples, _starts = bursts(30, seed=3)
    spans = sound_spans(samples)

    plan = plan_chunks(samples, max_seconds=5)

    assert plan[0][0] == 0 and plan[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(plan))
    assert all(end - start <= 5 * RATE for start, end in plan)
    for _, cut in plan[:-1]:
        seconds = cut / RATE
        assert not any(a - 0.1 < seconds < b + 0.1 for a, b in spans), seconds


def test_it_parses_verbose_json_with_offsets():
    payload = {
        "language": "german",
        "duration": 6.0,
        "segments": [
            {"start": 0.0, "end": 2.5, "text": " Guten Morgen, Welt.", "avg_logprob": -0.3},
            {"start": 3.0, "end": 6.0, "text": " Wie geht's?", "no_speech_prob": 0.1},
        ],
        "words": [
            {"word": "Guten", "start": 0.0, "end": 0.8},
            {"word": "Morgen", "start": 0.8, "end": 1.5},
            {"word": "Welt", "start": 1.6, "end": 2.4},
            {"word": "Wie", "start": 3.0, "end": 3.5},
            {"word": "geht's", "start": 3.5, "end": 6.5},
        ],
    }

    segments, language = parse_response(payload, offset=100.0, limit=106.0)

    assert language == "de"
    assert [s.text for s in segments] == ["Guten Morgen, Welt.", "Wie geht's?"]
    assert [w.word for w in segments[0].words] == [" Guten", " Morgen,", " Welt."]
    assert [w.word for w in segments[1].words] == [" Wie", " geht's?"]
    assert segments[0].start == 100.0 and segments[1].words[0].start == 103.0
    assert segments[1].words[-1].end == 106.0  # clamped to the chunk's end
    assert segments[0].avg_logprob == -0.3 and segments[1].no_speech_prob == 0.1


def test_it_maps_language_names_to_codes():
    assert language_code("english") == "en"
    assert language_code("Haitian Creole") == "ht"
    assert language_code("en") == "en"
    assert language_code("") == ""
