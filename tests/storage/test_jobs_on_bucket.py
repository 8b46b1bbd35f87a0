"""Jobs on object storage: a real S3-protocol server on 127.0.0.1, real boto3, real jobs.

Nothing may be left under the media folder; the worker's scratch folder is emptied when a run
ends; every download is a short-lived signed URL, signed only after the owner check; deleting a
job deletes its objects.
"""

from __future__ import annotations

import urllib.request
from email.message import Message
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from jobs import services
from jobs.api import keys
from jobs.models import Job
from jobs.tasks import rerender_clips, run_job
from tests.conftest import JFK_TEXT
from tests.factories import finished_job, job_from_file
from tests.storage.conftest import files_under
from tests.wer import wer

pytestmark = pytest.mark.django_db(transaction=True)


def _signed(response, bucket) -> str:
    """The signed URL a download redirected to, checked to be one of ``bucket``'s."""
    assert response.status_code == 302, response.content[:200]
    url = response["Location"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert url.startswith(f"{bucket.endpoint}/{bucket.name}/")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Signature"]
    assert int(query["X-Amz-Expires"][0]) <= 600  # short-lived
    assert "no-store" in response["Cache-Control"]
    return url


def _get(url: str, **headers: str) -> tuple[int, Message, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as reply:
        return reply.status, reply.headers, reply.read()


def test_it_runs_an_audio_job_on_the_bucket_and_leaves_no_file_behind(
    client, alice, bob, bucket, media_root, settings, jfk_wav
):
    settings.LECTERN_MODEL = "tiny.en"
    job = job_from_file(alice, jfk_wav, name="jfk.wav")
    assert job.media.name == f"jobs/{job.pk}/source.wav"
    assert bucket.keys() == [f"jobs/{job.pk}/source.wav"]
    assert bucket.read(job.media.name) == jfk_wav.read_bytes()

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    assert wer(JFK_TEXT, job.transcript.text) <= 0.15
    assert job.media_sha256 and job.media_size == jfk_wav.stat().st_size
    assert files_under(media_root) == []  # no shared folder was used
    assert files_under(settings.LECTERN_SCRATCH_DIR) == []  # the worker cleaned up

    # The owner gets a signed URL that seeks (Range) in the bucket; anyone else a plain 404.
    client.force_login(bob)
    assert client.get(reverse("jobs:media", args=[job.pk])).status_code == 404
    client.force_login(alice)
    url = _signed(client.get(reverse("jobs:media", args=[job.pk])), bucket)
    status, headers, body = _get(url, Range="bytes=0-99")
    assert status == 206 and body == jfk_wav.read_bytes()[:100]
    assert headers["Content-Type"] == "audio/wav"

    health = client.get("/healthz").json()["checks"]
    assert health["storage"]["ok"] is True

    services.job_delete(job=job)
    assert bucket.keys() == []


@pytest.mark.slow
def test_it_keeps_posters_slides_and_clips_in_the_bucket(
    client, alice, bob, bucket, media_root, settings, lecture_video
):
    settings.LECTERN_MODEL = "tiny.en"
    settings.HIGHLIGHTS = {**settings.HIGHLIGHTS, "count": 1}
    job = job_from_file(alice, lecture_video.video, name="lecture.mp4", title="Three topics")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    clip = job.clips.get()
    slides = job.analysis["slides"]
    stored = set(bucket.keys())
    assert {job.media.name, job.poster.name, clip.file.name, clip.thumbnail.name} <= stored
    assert slides and {slide["image"] for slide in slides} <= stored
    assert all(key.startswith(f"jobs/{job.pk}/") for key in stored)
    assert files_under(media_root) == []
    assert files_under(settings.LECTERN_SCRATCH_DIR) == []

    client.force_login(alice)
    for name, kind in [
        ("poster", reverse("jobs:poster", args=[job.pk])),
        ("slide", reverse("jobs:slide-image", args=[job.pk, 0])),
        ("thumbnail", reverse("jobs:clip-file", args=[job.pk, 0, "jpg"])),
    ]:
        status, headers, body = _get(_signed(client.get(kind), bucket))
        assert status == 200 and headers["Content-Type"] == "image/jpeg", name
        assert body[:2] == b"\xff\xd8", name
    video = _signed(client.get(reverse("jobs:clip-file", args=[job.pk, 0, "mp4"])), bucket)
    status, headers, body = _get(video, Range="bytes=0-99")
    assert status == 206 and headers["Content-Type"] == "video/mp4" and len(body) == 100
    media = _signed(client.get(reverse("jobs:media", args=[job.pk])), bucket)
    assert _get(media, Range="bytes=0-9")[1]["Content-Type"] == "video/mp4"

    # The API signs too, after its own owner check.
    api = f"/api/v1/jobs/{job.pk}/clips/0/video"
    bob_key = keys.api_key_create(user=bob, name="t").token
    assert client.get(api, headers={"Authorization": f"Bearer {bob_key}"}).status_code == 404
    alice_key = keys.api_key_create(user=alice, name="t").token
    signed = _signed(client.get(api, headers={"Authorization": f"Bearer {alice_key}"}), bucket)
    assert "attachment" in _get(signed)[1]["Content-Disposition"]

    # A caption edit renders the clip again: fetched into scratch, uploaded back, scratch emptied.
    bucket.client.delete_object(Bucket=bucket.name, Key=clip.file.name)
    assert rerender_clips(str(job.pk), [0]) == 1
    assert bucket.read(clip.file.name)[4:8] == b"ftyp"  # made again and uploaded
    assert files_under(settings.LECTERN_SCRATCH_DIR) == []

    services.job_delete(job=job)
    assert bucket.keys() == []


def test_it_moves_the_files_of_jobs_made_before_the_bucket(
    client, alice, bucket, media_root, jfk_wav
):
    job = finished_job(alice, name="jfk.wav")
    folder = media_root / "jobs" / str(job.pk)
    folder.mkdir(parents=True)
    (folder / "source.wav").write_bytes(jfk_wav.read_bytes())
    (folder / "poster.jpg").write_bytes(b"\xff\xd8 a picture")
    Job.objects.filter(pk=job.pk).update(
        media=f"jobs/{job.pk}/source.wav", poster=f"jobs/{job.pk}/poster.jpg"
    )

    out = StringIO()
    call_command("upload_media", "--delete", stdout=out)
    assert "Uploaded 2 files" in out.getvalue()
    assert files_under(media_root) == []
    call_command("upload_media", stdout=StringIO())  # again: nothing to do, nothing lost

    client.force_login(alice)
    url = _signed(client.get(reverse("jobs:media", args=[job.pk])), bucket)
    assert _get(url)[2] == jfk_wav.read_bytes()
    assert _get(_signed(client.get(reverse("jobs:poster", args=[job.pk])), bucket))[2][:2] == (
        b"\xff\xd8"
    )
