"""A job's backend: the hardware-selected one, falling back when it fails, and the quota."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from jobs.accounts.models import Profile
from jobs.models import Job
from jobs.tasks import run_job
from tests.conftest import JFK_TEXT
from tests.factories import job_from_file
from tests.servers import OpenAIServer, server_error
from tests.wer import wer

pytestmark = pytest.mark.django_db(transaction=True)


def _jfk_transcript(received) -> dict:
    words = JFK_TEXT.split()
    step = 10.0 / len(words)
    return {
        "task": "transcribe",
        "language": "english",
        "duration": 11.0,
        "text": JFK_TEXT,
        "segments": [{"id": 0, "start": 0.3, "end": 10.3, "text": JFK_TEXT, "avg_logprob": -0.2}],
        "words": [
            {
                "word": w.strip(",."),
                "start": round(0.3 + i * step, 2),
                "end": round(0.3 + (i + 1) * step, 2),
            }
            for i, w in enumerate(words)
        ],
    }


@pytest.fixture
def openai(settings):
    with OpenAIServer(transcriber=_jfk_transcript) as server:
        server.use_in(settings)
        yield server


def test_it_uses_the_configured_api_and_counts_its_minutes(client, alice, jfk_wav, openai):
    job = job_from_file(alice, jfk_wav)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.backend == "openai" and job.fallbacks == []
    assert wer(JFK_TEXT, job.transcript.text) == 0
    assert len(openai.uploads) == 1
    client.force_login(alice)
    assert "0.2 of 600" in client.get("/accounts/profile/").content.decode()


def test_it_falls_back_when_the_api_fails_and_says_so(client, alice, jfk_wav, openai):
    openai.script(*[server_error(500)] * 10)
    job = job_from_file(alice, jfk_wav)

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    job.refresh_from_db()
    assert job.backend == "faster-whisper"
    assert len(job.fallbacks) == 1 and job.fallbacks[0].startswith("openai: ")
    assert wer(JFK_TEXT, job.transcript.text) <= 0.10
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Fell back to faster-whisper" in page and "openai:" in page


def test_it_refuses_over_quota_and_falls_back_locally(alice, jfk_wav, openai):
    Profile.objects.create(user=alice, metered_minutes_quota=0)
    job = job_from_file(alice, jfk_wav)

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    job.refresh_from_db()
    assert openai.uploads == []  # nothing was sent
    assert job.backend == "faster-whisper"
    assert job.fallbacks == ["openai: monthly quota reached"]


def test_it_tells_the_user_when_the_backend_they_chose_is_over_quota(alice, jfk_wav, openai):
    Profile.objects.create(user=alice, metered_minutes_quota=0)
    job = job_from_file(alice, jfk_wav, backend="openai")

    assert run_job(str(job.pk)) == Job.Status.FAILED

    job.refresh_from_db()
    assert "monthly minutes are left" in job.error
    assert openai.uploads == []


def test_it_lists_the_backends_and_the_choice(capsys, settings, openai):
    settings.OPENAI_API_KEY = ""
    call_command("backends")
    out = capsys.readouterr().out
    assert "* faster-whisper  available" in out
    assert "whispercpp      unavailable  WHISPER_CPP_MODEL is not set" in out
    assert "mlx             unavailable" in out and "Apple Silicon" in out
    assert "openai          unavailable  OPENAI_API_KEY is not set" in out


def test_it_shows_whisper_cpp_available_with_a_converted_model(capsys, settings):
    from tests.transcripts.conftest import convert_to_ggml

    settings.WHISPER_CPP_MODEL = str(convert_to_ggml("tiny.en"))
    call_command("backends")
    out = capsys.readouterr().out
    assert "* faster-whisper  available" in out
    assert "  whispercpp      available" in out


def test_it_transcribes_a_job_with_whisper_cpp_when_forced(alice, jfk_wav, settings):
    from tests.transcripts.conftest import convert_to_ggml

    settings.WHISPER_CPP_MODEL = str(convert_to_ggml("tiny.en"))
    job = job_from_file(alice, jfk_wav, backend="whispercpp")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.backend == "whispercpp"
    assert wer(JFK_TEXT, job.transcript.text) <= 0.10
