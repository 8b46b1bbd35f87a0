"""The OpenAI-compatible API (/v1/), spoken to by the official ``openai`` SDK over real HTTP.

pytest-django's live server answers on 127.0.0.1; jobs run in worker threads (``JobThreads``)
through the real runner with the ``tiny.en`` model, on real speech (jfk.wav).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from django.utils import timezone
from openai.types.audio import (
    Transcription,
    TranscriptionTextDeltaEvent,
    TranscriptionTextDoneEvent,
    TranscriptionVerbose,
    TranslationVerbose,
)

from jobs.models import Job
from tests.conftest import JFK_TEXT, shared_media
from tests.wer import normalise
from tests.workers import JobThreads
from transcripts.media import ffmpeg_exe

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def tiny_model(settings) -> None:
    settings.LECTERN_MODEL = "tiny.en"
    settings.LECTERN_BACKEND = ""
    settings.OPENAI_API_KEY = ""  # the local backend, never a loop back to ourselves


@pytest.fixture
def workers(live_server) -> Iterator[JobThreads]:
    threads = JobThreads()
    yield threads
    threads.stop()


@pytest.fixture
def client(live_server, alice_key) -> Iterator[openai.OpenAI]:
    # No retries: each test sees exactly what the server answered.
    with openai.OpenAI(
        api_key=alice_key, base_url=f"{live_server.url}/v1", max_retries=0, timeout=120
    ) as sdk:
        yield sdk


def _words(text: str) -> list[str]:
    return normalise(text).split()


def test_it_answers_every_response_format_from_one_job_reused_from_the_cache(
    client, workers, alice, jfk_wav
):
    audio = jfk_wav.read_bytes()

    first = client.audio.transcriptions.create(model="whisper-1", file=("jfk.wav", audio))
    text = client.audio.transcriptions.create(
        model="whisper-1", file=("jfk.wav", audio), response_format="text"
    )
    srt = client.audio.transcriptions.create(
        model="whisper-1", file=("jfk.wav", audio), response_format="srt"
    )
    vtt = client.audio.transcriptions.create(
        model="whisper-1", file=("jfk.wav", audio), response_format="vtt"
    )
    verbose = client.audio.transcriptions.create(
        model="whisper-1", file=("jfk.wav", audio), response_format="verbose_json"
    )

    assert isinstance(first, Transcription)
    assert _words(first.text) == _words(JFK_TEXT)
    assert first.usage is not None and first.usage.seconds == 11  # type: ignore[union-attr]
    assert text == first.text + "\n"
    assert srt.startswith("1\n00:00:00,") and "what your country can do" in srt
    assert vtt.startswith("WEBVTT") and "what your country can do" in vtt
    assert isinstance(verbose, TranscriptionVerbose)
    assert verbose.language == "english" and verbose.duration == pytest.approx(11.0, abs=0.1)
    assert verbose.text == first.text and verbose.words is None
    assert verbose.segments and verbose.segments[0].id == 0
    assert " ".join(s.text.strip() for s in verbose.segments) == first.text
    # One job ran; the other four came from the owner's content cache, each a job of its own.
    jobs = Job.objects.filter(owner=alice).order_by("created_at")
    assert [job.status for job in jobs] == [Job.Status.SUCCEEDED] * 5
    assert [job.cached_from_hash for job in jobs] == [False, True, True, True, True]
    assert workers.ran == [str(jobs[0].pk)]
    assert jobs[0].backend == "faster-whisper" and jobs[0].model_name == "tiny.en"
    assert jobs[0].original_name == "jfk.wav" and jobs[0].transcript.text == first.text


def test_it_gives_words_segments_or_both_as_asked_with_the_model_asked_for(
    client, workers, alice, jfk_wav
):
    audio = jfk_wav.read_bytes()

    words = client.audio.transcriptions.create(
        model="base", file=("jfk.wav", audio), language="en",
        response_format="verbose_json", timestamp_granularities=["word"],
    )  # fmt: skip
    both = client.audio.transcriptions.create(
        model="base", file=("jfk.wav", audio), language="en",
        response_format="verbose_json", timestamp_granularities=["word", "segment"],
    )  # fmt: skip

    assert words.words and words.segments is None
    assert both.words == words.words and both.segments
    assert [w.word for w in words.words] == words.text.split()
    assert _words(words.text) == _words(JFK_TEXT)
    starts = [w.start for w in words.words]
    assert starts == sorted(starts) and words.words[-1].end <= words.duration + 0.01
    assert all(s.start <= w.start for s in both.segments[:1] for w in both.words)
    job = Job.objects.filter(owner=alice).order_by("created_at").first()
    assert job.model == "base" and job.model_name == "base" and job.language == "en"


def test_it_gives_the_prompt_to_the_model_and_reuses_only_a_transcript_of_the_same_prompt(
    client, workers, alice, jfk_wav
):
    audio = jfk_wav.read_bytes()
    prompt = "President Kennedy's inaugural address, January 1961."

    client.audio.transcriptions.create(model="whisper-1", file=("jfk.wav", audio))
    prompted = client.audio.transcriptions.create(
        model="whisper-1", file=("jfk.wav", audio), prompt=prompt
    )
    again = client.audio.transcriptions.create(
        model="whisper-1", file=("jfk.wav", audio), prompt=prompt
    )

    plain_job, prompted_job, again_job = Job.objects.filter(owner=alice).order_by("created_at")
    assert not plain_job.cached_from_hash and not prompted_job.cached_from_hash
    assert again_job.cached_from_hash and again.text == prompted.text
    assert prompted_job.prompt == prompt
    assert prompted_job.transcript.prompt_sha256 == hashlib.sha256(prompt.encode()).hexdigest()
    assert plain_job.transcript.prompt_sha256 == ""


# The SDK marks the translations endpoint deprecated (whisper-1 only); it is still OpenAI's API.
@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")
def test_it_translates_into_english(client, workers, alice):
    # The MIT licence read in English, then in German; base is multilingual (tiny.en is not).
    audio = shared_media("multilingual.mp3").read_bytes()

    translated = client.audio.translations.create(
        model="base", file=("licence.mp3", audio), response_format="verbose_json"
    )

    assert isinstance(translated, TranslationVerbose)
    assert translated.language == "english" and translated.segments
    words = _words(translated.text)
    assert "permission" in words and "software" in words
    german = [word for word in words if word in {"und", "der", "die", "das", "zu", "ist", "mit"}]
    assert len(german) <= 2, german
    job = Job.objects.get(owner=alice)
    assert job.task == Job.Task.TRANSLATE and job.status == Job.Status.SUCCEEDED
    assert job.model_name == "base"


@pytest.fixture(scope="module")
def three_sentences(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """jfk.wav, ls_test.flac and jfk.wav again, one after the other (~33 s, several lines)."""
    target = tmp_path_factory.mktemp("long") / "three.wav"
    inputs = [shared_media("jfk.wav"), shared_media("ls_test.flac"), shared_media("jfk.wav")]
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y",
         *[arg for path in inputs for arg in ("-i", str(path))],
         "-filter_complex", "concat=n=3:v=0:a=1", "-ar", "16000", "-ac", "1", str(target)],
        check=True,
    )  # fmt: skip
    return target


def test_it_streams_the_text_as_lines_are_decoded(client, workers, alice, three_sentences):
    stream = client.audio.transcriptions.create(
        model="whisper-1", file=("three.wav", three_sentences.read_bytes()), stream=True
    )
    events, arrived = [], []
    for event in stream:
        events.append(event)
        arrived.append(timezone.now())

    deltas = [e for e in events if isinstance(e, TranscriptionTextDeltaEvent)]
    done = events[-1]
    assert isinstance(done, TranscriptionTextDoneEvent) and len(deltas) >= 2
    assert "".join(d.delta for d in deltas) == done.text
    assert _words(done.text)[:4] == ["and", "so", "my", "fellow"]
    job = Job.objects.get(owner=alice)
    assert done.text == job.transcript.text
    # The first line came while the job was still running, not after it.
    assert arrived[0] < job.finished_at


def test_it_lists_the_models_it_can_run(client, settings):
    listed = client.models.list()

    assert [model.id for model in listed.data] == ["whisper-1", "base", "tiny.en"]
    assert client.models.retrieve("tiny.en").id == "tiny.en"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-4o-transcribe")
    assert missing.value.code == "model_not_found"
    assert missing.value.body["param"] == "model"  # type: ignore[index]

    settings.LECTERN_MODEL = "/models/whisper-large-v3-ct2"
    assert [m.id for m in client.models.list().data][-1] == "/models/whisper-large-v3-ct2"


def test_it_refuses_a_bad_key_and_an_unknown_model_the_sdk_way(live_server, client, jfk_wav):
    stranger = openai.OpenAI(api_key="lec_nope", base_url=f"{live_server.url}/v1", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        stranger.models.list()
    assert refused.value.status_code == 401 and refused.value.code == "invalid_api_key"

    with pytest.raises(openai.NotFoundError) as unknown:
        client.audio.transcriptions.create(model="whisper-9", file=jfk_wav.open("rb"))
    assert "GET /v1/models" in unknown.value.message
    assert Job.objects.count() == 0


def test_it_answers_a_route_it_does_not_have_in_openais_shape(client):
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(
            model="whisper-1", messages=[{"role": "user", "content": "?"}]
        )

    assert missing.value.code == "unknown_url" and "/v1/chat/completions" in missing.value.message


def test_it_rate_limits_with_retry_after(client, settings):
    settings.LECTERN_API_RATE_PER_MINUTE = 2

    client.models.list()
    client.models.list()
    with pytest.raises(openai.RateLimitError) as limited:
        client.models.list()

    assert 1 <= int(limited.value.response.headers["Retry-After"]) <= 60
    assert limited.value.code == "rate_limit_exceeded"


@pytest.mark.parametrize(
    "name, data, options, error, status, param",
    [
        ("notes.txt", b"These are my lecture notes, not audio.\n" * 20, {},
         openai.APIStatusError, 415, "file"),
        ("empty.wav", b"", {}, openai.BadRequestError, 400, "file"),
        ("jfk.wav", None, {"response_format": "docx"}, openai.BadRequestError, 400,
         "response_format"),
        ("jfk.wav", None, {"language": "xx"}, openai.BadRequestError, 400, "language"),
        ("jfk.wav", None, {"language": "de"}, openai.BadRequestError, 400, "language"),
        ("jfk.wav", None, {"response_format": "srt", "stream": True}, openai.BadRequestError,
         400, "stream"),
    ],
)  # fmt: skip
def test_it_refuses_bad_input_with_a_clear_error_and_no_job(
    client, jfk_wav, name, data, options, error, status, param
):
    data = jfk_wav.read_bytes() if data is None else data

    with pytest.raises(error) as refused:
        client.audio.transcriptions.create(model="tiny.en", file=(name, data), **options)

    assert refused.value.status_code == status
    body = refused.value.body
    assert body["param"] == param and body["type"] == "invalid_request_error"  # type: ignore[index]
    assert len(refused.value.message) > 20
    assert Job.objects.count() == 0


def test_it_refuses_an_oversized_file_with_413(client, settings, jfk_wav):
    settings.MAX_UPLOAD_MB = 1
    settings.MAX_REQUEST_MB = 4
    big = jfk_wav.read_bytes() * 4  # 1.4 MB

    with pytest.raises(openai.APIStatusError) as refused:
        client.audio.transcriptions.create(model="whisper-1", file=("big.wav", big))

    assert refused.value.status_code == 413 and refused.value.code == "file_too_large"
    assert "1 MB" in refused.value.message
    assert Job.objects.count() == 0


def _post(url: str, key: str, body: bytes, content_type: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, body, {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_it_explains_a_missing_file_field_and_a_body_that_is_not_a_form(live_server, alice_key):
    url = f"{live_server.url}/v1/audio/transcriptions"
    form = b'--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--b--\r\n'

    missing = _post(url, alice_key, form, "multipart/form-data; boundary=b")
    not_a_form = _post(url, alice_key, b'{"model": "whisper-1"}', "application/json")

    assert missing[0] == 400
    assert missing[1]["error"]["param"] == "file" and "'file'" in missing[1]["error"]["message"]
    assert not_a_form[0] == 415
    assert set(not_a_form[1]["error"]) == {"message", "type", "param", "code"}
    assert Job.objects.count() == 0


def test_it_names_the_job_page_when_the_job_outlasts_the_wait(client, settings, jfk_wav):
    settings.LECTERN_OPENAI_WAIT_SECONDS = 1  # and no worker: the job stays queued

    started = time.monotonic()
    with pytest.raises(openai.InternalServerError) as waited:
        client.audio.transcriptions.create(model="whisper-1", file=jfk_wav.open("rb"))

    job = Job.objects.get()
    assert waited.value.status_code == 504 and waited.value.code == "timeout"
    assert f"/jobs/{job.pk}/" in waited.value.message and str(job.pk) in waited.value.message
    assert waited.value.response.headers["x-should-retry"] == "false"
    assert time.monotonic() - started < 10  # the SDK did not send it again
    assert job.status == Job.Status.QUEUED  # it goes on; the page and the API will have it


def test_it_reports_a_failed_job_as_a_server_error_naming_its_page(
    client, workers, settings, jfk_wav
):
    settings.LECTERN_BACKEND = "whispercpp"
    settings.WHISPER_CPP_MODEL = "/nonexistent/ggml-model.bin"

    with pytest.raises(openai.InternalServerError) as failed:
        client.audio.transcriptions.create(model="whisper-1", file=jfk_wav.open("rb"))

    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert failed.value.status_code == 500 and failed.value.code == "job_failed"
    assert job.error in failed.value.message and f"/jobs/{job.pk}/" in failed.value.message


def test_it_describes_the_new_routes_in_an_openapi_document(live_server):
    with urllib.request.urlopen(f"{live_server.url}/v1/openapi.json") as response:
        document = json.load(response)

    assert set(document["paths"]) == {
        "/v1/audio/transcriptions", "/v1/audio/translations", "/v1/models",
        "/v1/models/{model_id}",
    }  # fmt: skip
    create = document["paths"]["/v1/audio/transcriptions"]["post"]
    form = create["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and "timestamp_granularities[]" in form["properties"]
    answers = create["responses"]["200"]["content"]
    assert {"application/json", "text/plain", "text/vtt", "text/event-stream"} <= set(answers)
    assert {"401", "404", "413", "415", "429"} <= set(create["responses"])
