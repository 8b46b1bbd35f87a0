"""A job never loses speech silently: what no line covers is shown on the page and in the API,
and a recording in two languages shows both, line by line."""

from __future__ import annotations

import json

import pytest

from jobs.models import Job
from jobs.tasks import run_job
from tests.conftest import JFK_TEXT
from tests.factories import job_from_file
from tests.servers import OpenAIServer
from transcripts.models import Segment, Transcript

pytestmark = pytest.mark.django_db(transaction=True)

# The first eleven words of JFK's sentence, about 5.5 s of the 11 s recording.
HEARD = JFK_TEXT.split()[:11]


def _half_transcript(received) -> dict:
    """A server that drops the second half of the speech, as a faulty backend might."""
    step = 0.5
    words = [
        {
            "word": w.strip(",."),
            "start": round(0.3 + i * step, 2),
            "end": round(0.3 + (i + 1) * step, 2),
        }
        for i, w in enumerate(HEARD)
    ]
    text = " ".join(HEARD)
    return {
        "task": "transcribe",
        "language": "english",
        "duration": 11.0,
        "text": text,
        "segments": [
            {"id": 0, "start": 0.3, "end": words[-1]["end"], "text": text, "avg_logprob": -0.2}
        ],
        "words": words,
    }


@pytest.fixture
def dropping_backend(settings):
    with OpenAIServer(transcriber=_half_transcript) as server:
        server.use_in(settings)
        yield server


def test_it_tells_the_owner_which_speech_has_no_transcript(
    client, alice, jfk_wav, dropping_backend
):
    job = job_from_file(alice, jfk_wav)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    transcript = Transcript.objects.get(job=job)
    assert transcript.speech_seconds > 8
    assert len(transcript.missing_speech) == 1
    start, end = transcript.missing_speech[0]
    assert 5.5 <= start <= 7.5 and end >= 9.5

    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'id="speech-check"' in page and "has no transcript" in page
    assert f'data-start="{start}"' in page  # a link that plays the stretch
    exported = json.loads(client.get(f"/jobs/{job.pk}/transcript.json").content)
    assert exported["missing_speech"] == [[start, end]]


def test_it_says_nothing_when_the_transcript_covers_the_speech(client, alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    transcript = Transcript.objects.get(job=job)
    assert transcript.missing_speech == [] and transcript.removed_segments == []
    assert transcript.languages == {"en": pytest.approx(transcript.duration, abs=1.5)}
    assert set(transcript.segments.values_list("language", flat=True)) == {"en"}
    client.force_login(alice)
    assert 'id="speech-check"' not in client.get(job.get_absolute_url()).content.decode()


def test_it_shows_each_language_of_a_bilingual_transcript(client, alice):
    job = Job.objects.create(
        owner=alice, original_name="licence.mp3", status=Job.Status.SUCCEEDED,
        stage=Job.Stage.DONE, progress=100, duration=60.0,
    )  # fmt: skip
    transcript = Transcript.objects.create(
        job=job, language="en", duration=60.0, languages={"en": 29.0, "de": 28.0}
    )
    Segment.objects.create(
        transcript=transcript, index=0, start=0, end=29, text="Permission is hereby granted.",
        language="en",
    )  # fmt: skip
    Segment.objects.create(
        transcript=transcript, index=1, start=30.6, end=59, text="Dies umfasst das Recht.",
        language="de",
    )  # fmt: skip
    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "English (0:29), German (0:28)" in page  # the transcript header's facts line
    # The German line says so, to the reader and to a screen reader's voice.
    assert 'lang="de">Dies umfasst das Recht.' in page
    assert page.count('class="segment-language"') == 1
    exported = json.loads(client.get(f"/jobs/{job.pk}/transcript.json").content)
    assert [s["language"] for s in exported["segments"]] == ["en", "de"]
    assert exported["languages"] == {"en": 29.0, "de": 28.0}
