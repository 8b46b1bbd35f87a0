from __future__ import annotations

import json
import re

import pysubs2
import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.tasks import run_job
from tests.conftest import JFK_TEXT
from tests.factories import job_from_file
from tests.wer import wer

pytestmark = pytest.mark.django_db(transaction=True)

# What htmx sends when the progress fragment polls itself.
POLL = {"HX-Request": "true", "HX-Target": "job-progress"}


@pytest.fixture
def finished_job(alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    return job


def _login(client, user, password):
    response = client.post(reverse("login"), {"username": user.username, "password": password})
    assert response.status_code == 302


def test_it_asks_for_login_first(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_uploads_polls_and_shows_the_transcript(client, alice, password, jfk_wav):
    _login(client, alice, password)
    dashboard = client.get("/")
    assert b'type="file"' in dashboard.content

    with open(jfk_wav, "rb") as media:
        response = client.post(reverse("jobs:create"), {"media": media, "language": "auto",
                                                        "task": "transcribe", "title": ""})  # fmt: skip
    assert response.status_code == 302
    job = Job.objects.get(owner=alice)
    assert response["Location"] == job.get_absolute_url()
    assert job.original_name == "jfk.wav" and job.status == Job.Status.QUEUED

    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    assert b'id="job-progress"' in page.content and b'hx-trigger="every 2s"' in page.content

    fragment = client.get(job.get_absolute_url(), headers=POLL)
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert body.lstrip().startswith('<section id="job-progress"') and "<html" not in body

    run_job(str(job.pk))

    done = client.get(job.get_absolute_url(), headers=POLL)
    assert done.status_code == 286  # tells htmx to stop polling
    text = done.content.decode()
    assert "hx-trigger" not in text.split('id="job-result"')[0]
    assert 'id="job-result" hx-swap-oob="true"' in text
    assert "ask not what your country" in text.lower()

    page = client.get(job.get_absolute_url()).content.decode()
    assert "Succeeded" in page and 'src="/jobs/' in page


def test_it_exports_every_format(client, alice, password, finished_job):
    _login(client, alice, password)
    base = f"/jobs/{finished_job.pk}/transcript"

    txt = client.get(f"{base}.txt")
    assert txt["Content-Disposition"].startswith("attachment;")
    assert wer(JFK_TEXT, txt.content.decode()) <= 0.10

    for fmt in ("srt", "vtt"):
        response = client.get(f"{base}.{fmt}")
        assert response.status_code == 200
        content = response.content.decode()
        if fmt == "vtt":
            assert content.startswith("WEBVTT")
        subs = pysubs2.SSAFile.from_string(content, format_=fmt)
        assert len(subs) >= 1
        starts = [event.start for event in subs]
        assert starts == sorted(starts) and all(e.end > e.start for e in subs)
        joined = " ".join(event.plaintext.replace("\n", " ") for event in subs)
        assert wer(JFK_TEXT, joined) <= 0.10

    document = json.loads(client.get(f"{base}.json").content)
    assert set(document) >= {"language", "duration", "backend", "model", "segments"}
    assert document["backend"] == "faster-whisper" and document["language"] == "en"
    assert all({"start", "end", "text", "words"} <= set(s) for s in document["segments"])
    assert client.get(f"{base}.docx").status_code == 404


def test_it_serves_media_with_ranges(client, alice, password, finished_job, jfk_wav):
    _login(client, alice, password)
    url = reverse("jobs:media", args=[finished_job.pk])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert whole["Content-Type"] == "audio/wav"  # probed from the contents, not the name
    assert whole["Content-Disposition"] == 'inline; filename="jfk.wav"'
    assert b"".join(whole.streaming_content) == jfk_wav.read_bytes()

    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-199/{jfk_wav.stat().st_size}"
    assert b"".join(part.streaming_content) == jfk_wav.read_bytes()[100:200]

    beyond = client.get(url, headers={"Range": f"bytes={jfk_wav.stat().st_size + 10}-"})
    assert beyond.status_code == 416


def test_it_hides_every_url_of_alices_job_from_bob(client, bob, password, finished_job):
    _login(client, bob, password)
    job_id = finished_job.pk
    gets = [
        reverse("jobs:detail", args=[job_id]),
        reverse("jobs:media", args=[job_id]),
        *[reverse("jobs:export", args=[job_id, fmt]) for fmt in ("txt", "srt", "vtt", "json")],
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"ask not" not in response.content
        htmx = client.get(url, headers=POLL)
        assert htmx.status_code == 404
    for name in ("cancel", "retry", "delete"):
        assert client.post(reverse(f"jobs:{name}", args=[job_id])).status_code == 404
    dashboard = client.get("/").content.decode()
    assert str(job_id) not in dashboard and "jfk.wav" not in dashboard
    assert Job.objects.filter(pk=job_id, status=Job.Status.SUCCEEDED).exists()


def test_it_cancels_and_retries_a_job(client, alice, password, jfk_wav):
    _login(client, alice, password)
    job = job_from_file(alice, jfk_wav)

    response = client.post(reverse("jobs:cancel", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED

    client.post(reverse("jobs:retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED


def test_it_rejects_an_upload_over_the_limit(client, alice, password, settings, tmp_path):
    settings.MAX_UPLOAD_MB = 1
    _login(client, alice, password)
    big = tmp_path / "big.wav"
    big.write_bytes(b"\0" * (1024 * 1024 + 10))
    with open(big, "rb") as media:
        response = client.post(reverse("jobs:create"), {"media": media, "language": "auto",
                                                        "task": "transcribe"})  # fmt: skip
    assert response.status_code == 413
    assert "larger than the 1 MB upload limit" in response.content.decode()
    assert not Job.objects.exists()


def test_it_deletes_a_job_with_its_files(client, alice, password, finished_job, media_root):
    _login(client, alice, password)
    folder = media_root / "jobs" / str(finished_job.pk)
    assert folder.exists()
    response = client.post(reverse("jobs:delete", args=[finished_job.pk]))
    assert response.status_code == 302
    assert not Job.objects.filter(pk=finished_job.pk).exists()
    assert not folder.exists()


def test_it_shows_job_names_safely(client, alice, password, jfk_wav):
    _login(client, alice, password)
    job = job_from_file(alice, jfk_wav, name="../../<script>alert(1)</script>\u202egnp.wav")
    assert "/" not in job.original_name and "\u202e" not in job.original_name
    page = client.get(job.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert re.search(r"jobs/[0-9a-f-]+/source\.wav$", job.media.name)
