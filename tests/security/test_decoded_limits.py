"""Limits on what is decoded, not on what a header says (issue 28, findings 1 and 4).

A FLAC streamed through a pipe has no length in its header: a probe reads 0 seconds whatever it
holds, so a few kilobytes can decode to hours of audio. A video's frames are checked on their
probed size. Each file is made by ffmpeg here, and goes through the page or the API and then the
real worker path (``run_job``).
"""

from __future__ import annotations

import html
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobs.accounts.usage import usage_this_month
from jobs.api.keys import api_key_create
from jobs.models import Job
from jobs.tasks import run_job
from tests.api.conftest import bearer
from tests.servers import FileServer
from transcripts.media import ffmpeg_exe, probe

pytestmark = pytest.mark.django_db(transaction=True)


def _flac_without_length(pcm: bytes, target: Path) -> Path:
    """16 kHz mono PCM as a FLAC written to a pipe: ffmpeg cannot seek back to write its length."""
    done = subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-f", "s16le", "-ar", "16000", "-ac", "1",
         "-i", "pipe:", "-c:a", "flac", "-f", "flac", "pipe:"],
        input=pcm, capture_output=True, check=True,
    )  # fmt: skip
    target.write_bytes(done.stdout)
    return target


def _huge_frame_video(target: Path, size: str = "4000x4000") -> Path:
    """One second of a black picture far past 4K, with sound: 16 megapixels a frame, ~50 kB."""
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"color=c=black:s={size}:r=2",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000", "-t", "1",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(target)],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


def _wav_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and ".wav" in path.name]


def test_it_stops_a_decompression_bomb_at_the_duration_limit(
    client, alice, media_root, settings, tmp_path
):
    settings.MAX_DURATION_MINUTES = 2
    bomb = _flac_without_length(b"\0\0" * 16000 * 60 * 5, tmp_path / "bomb.flac")  # 5 minutes
    assert probe(bomb).duration == 0  # the header says nothing: only decoding can tell
    client.force_login(alice)

    response = client.post(
        reverse("jobs:create"),
        {"media": SimpleUploadedFile("lecture.flac", bomb.read_bytes()), "language": "auto",
         "task": "transcribe", "highlights": "no", "clip_layout": "vertical"},
    )  # fmt: skip
    assert response.status_code == 302
    job = Job.objects.get(owner=alice)
    assert job.status == Job.Status.QUEUED  # nothing to refuse it by at upload

    assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == "This recording is longer than 2 minutes; the limit is 2 minutes."
    assert html.escape(job.error) in client.get(job.get_absolute_url()).content.decode()
    assert _wav_files(media_root) == []  # nothing decoded outlives the job
    assert usage_this_month(alice.pk).minutes == 0


def test_it_stores_and_counts_the_decoded_length(client, alice, jfk_wav, media_root, settings):
    """A recording under the limit whose header declares no length: the decoded length is the
    job's, on its page and in the owner's minutes, and its decoded audio goes when it ends."""
    settings.LECTERN_MODEL = "tiny.en"
    flac = _flac_without_length(jfk_wav.read_bytes()[44:], media_root / "jfk.flac")
    assert probe(flac).duration == 0
    token = api_key_create(user=alice, name="t").token

    response = client.post(
        "/api/v1/jobs", {"file": SimpleUploadedFile("jfk.flac", flac.read_bytes())},
        headers=bearer(token),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    job = Job.objects.get(pk=response.json()["id"])
    flac.unlink()

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, job.error
    job.refresh_from_db()
    assert job.duration == pytest.approx(11.0, abs=0.1)
    assert usage_this_month(alice.pk).minutes == pytest.approx(11.0 / 60, abs=0.01)
    assert _wav_files(media_root) == []


def test_it_refuses_a_huge_frame_from_a_link_in_the_worker(alice, media_root, settings, tmp_path):
    served = tmp_path / "site"
    served.mkdir()
    _huge_frame_video(served / "talk.mp4")
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    from jobs import services

    with FileServer(served) as server:
        job = services.job_create(owner=alice, url=server.url_for("/talk.mp4"), highlights=True)
        assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == (
        "This video's picture is 4000×4000 pixels (16.0 megapixels); "
        "the limit is 8.8 megapixels a frame (4K is 8.3)."
    )
    assert job.clips.count() == 0 and not job.poster
    assert _wav_files(media_root) == []


def test_it_refuses_a_huge_frame_at_upload(client, alice, settings, tmp_path):
    """On the page and through the API the upload's probe refuses the file at once, in the
    worker's words, before any job is queued or any worker decodes a frame; the limit is a
    setting."""
    video = _huge_frame_video(tmp_path / "talk.mp4", size="1280x720")
    settings.MAX_VIDEO_PIXELS = 640 * 360
    client.force_login(alice)

    response = client.post(
        reverse("jobs:create"),
        {"media": SimpleUploadedFile("talk.mp4", video.read_bytes()), "language": "auto",
         "task": "transcribe", "highlights": "auto", "clip_layout": "vertical"},
    )  # fmt: skip
    token = api_key_create(user=alice, name="t").token
    answer = client.post(
        "/api/v1/jobs", {"file": SimpleUploadedFile("talk.mp4", video.read_bytes())},
        headers=bearer(token),
    )  # fmt: skip

    assert not Job.objects.filter(owner=alice).exists()
    message = (
        "This video's picture is 1280×720 pixels (0.9 megapixels); "
        "the limit is 0.2 megapixels a frame (4K is 8.3)."
    )
    assert response.status_code == 400
    assert html.escape(message) in response.content.decode()
    assert answer.status_code == 415
    assert message in answer.json()["detail"]
