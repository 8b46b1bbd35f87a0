"""Bad input, table-driven: each ends with a clear message, no traceback, no stray files, and the
other users' jobs are unaffected."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from django.utils.html import escape

from jobs.models import Job
from jobs.tasks import run_job
from tests.factories import job_from_bytes, job_from_file
from tests.servers import FileServer
from tests.synth import tone_video, write_wav
from transcripts.media import ffmpeg_exe

pytestmark = pytest.mark.django_db(transaction=True)


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", *args], check=True)


def _mp4(tmp: Path) -> bytes:
    path = tone_video(tmp / "full.mp4", seconds=4)
    return path.read_bytes()


def _corrupt_mp4(tmp: Path) -> bytes:
    data = bytearray(_mp4(tmp))
    # Keep the header, scramble everything after it.
    rng = np.random.default_rng(1)
    data[64:] = rng.integers(0, 256, len(data) - 64, dtype=np.uint8).tobytes()
    return bytes(data)


def _truncated_mp4(tmp: Path) -> bytes:
    data = _mp4(tmp)
    return data[: len(data) // 3]


def _png(tmp: Path) -> bytes:
    from PIL import Image

    Image.new("RGB", (64, 64), "navy").save(tmp / "x.png")
    return (tmp / "x.png").read_bytes()


def _silence(tmp: Path) -> bytes:
    return write_wav(tmp / "s.wav", np.zeros(16000 * 6, dtype="<i2")).read_bytes()


def _noise(tmp: Path) -> bytes:
    rng = np.random.default_rng(2)
    samples = (rng.standard_normal(16000 * 6) * 3000).astype("<i2")
    return write_wav(tmp / "n.wav", samples).read_bytes()


def _two_hours(tmp: Path) -> bytes:
    # Two hours of silence, cheaply: one minute encoded, then stream-copied 120 times.
    _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "60", "-c:a", "libopus",
            "-b:a", "6k", str(tmp / "minute.ogg"))  # fmt: skip
    (tmp / "list.txt").write_text("".join(f"file '{tmp / 'minute.ogg'}'\n" for _ in range(120)))
    _ffmpeg("-f", "concat", "-safe", "0", "-i", str(tmp / "list.txt"), "-c", "copy",
            str(tmp / "long.ogg"))  # fmt: skip
    return (tmp / "long.ogg").read_bytes()


def _silent_video(tmp: Path) -> bytes:
    return tone_video(tmp / "mute.mp4", audio=False).read_bytes()


def _speech_ts(tmp: Path) -> Path:
    _ffmpeg("-i", str(Path(__file__).resolve().parents[3] / "shared" / "media" / "jfk.wav"),
            "-c:a", "aac", "-f", "mpegts", str(tmp / "speech.ts"))  # fmt: skip
    return tmp / "speech.ts"


def _local_playlist(tmp: Path) -> bytes:
    """An HLS playlist naming a file on the server by its path."""
    target = _speech_ts(tmp)
    return f"#EXTM3U\n#EXT-X-TARGETDURATION:11\n#EXTINF:11,\n{target}\n#EXT-X-ENDLIST\n".encode()


def _concat_list(tmp: Path) -> bytes:
    return f"ffconcat version 1.0\nfile '{_speech_ts(tmp)}'\n".encode()


def _jfk(tmp: Path) -> bytes:
    return (Path(__file__).resolve().parents[3] / "shared" / "media" / "jfk.wav").read_bytes()


@dataclass
class Upload:
    name: str
    make: Callable[[Path], bytes]
    # "refused": refused on the form with `message`, the worker's own words for that file (the
    # web side probes an upload before queueing it); "failed": the job fails with `message`;
    # "ok": transcribed (a strange name must not matter); "quiet": succeeds with `message` as note
    # or with text (noise).
    outcome: str
    message: str = ""


UPLOADS = [
    Upload("zero.wav", lambda tmp: b"", "form", "is empty (0 bytes)"),
    Upload("notes.mp4", lambda tmp: b"Lecture notes, week 3.\n" * 50, "refused",
           "not a recognised audio or video format"),
    Upload("picture.mp3", _png, "refused", "has no audio track"),
    Upload("corrupt.mp4", _corrupt_mp4, "refused", "corrupt"),
    Upload("truncated.mp4", _truncated_mp4, "refused", "corrupt"),
    Upload("mute.mp4", _silent_video, "refused", "has no audio track"),
    Upload("silence.wav", _silence, "quiet", "No speech was found"),
    Upload("noise.wav", _noise, "quiet", ""),
    Upload("two-hours.ogg", _two_hours, "refused", "the limit is 60 minutes"),
    Upload("../../etc/passwd.wav", _jfk, "ok"),
    Upload("nul\x00byte.wav", _jfk, "ok"),
    Upload(("very-long-" * 40) + ".wav", _jfk, "ok"),
    Upload("\u202egnp.wav", _jfk, "ok"),
    Upload("CON.wav", _jfk, "ok"),
    # Playlists and lists that name other files are not media (issue 16, point 3).
    Upload("lecture.m3u8", _local_playlist, "refused", "not a recognised audio or video format"),
    Upload("lecture.ffconcat", _concat_list, "refused", "not a recognised audio or video format"),
    Upload("lecture.mp4", _local_playlist, "refused", "not a recognised audio or video format"),
]  # fmt: skip


@pytest.fixture
def bystander(bob):
    """Bob's finished job (rows and file, no model run), which nothing here may touch."""
    from transcripts.models import Segment, Transcript

    job = job_from_file(bob, Path(__file__).resolve().parents[3] / "shared" / "media" / "jfk.wav")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.SUCCEEDED, stage=Job.Stage.DONE)
    transcript = Transcript.objects.create(job=job, language="en", duration=11, text="Ask not.")
    Segment.objects.create(transcript=transcript, index=0, start=0, end=11, text="Ask not.")
    return Job.objects.get(pk=job.pk)


def _stray_files(media_root: Path) -> list[Path]:
    return [
        path for path in media_root.rglob("*")
        if path.is_file() and (".partial" in path.name or path.name.endswith((".tmp", ".part")))
    ]  # fmt: skip


@pytest.mark.parametrize(
    "case", UPLOADS, ids=[u.name.encode("unicode_escape").decode()[:30] for u in UPLOADS]
)
def test_it_handles_a_bad_upload(client, alice, bystander, media_root, settings, tmp_path, case):
    settings.MAX_DURATION_MINUTES = 60
    client.force_login(alice)
    data = case.make(tmp_path)
    path = tmp_path / "upload.bin"
    path.write_bytes(data)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("jobs:create"),
        {"media": SimpleUploadedFile(case.name, data), "language": "auto", "task": "transcribe",
         "highlights": "no", "clip_layout": "vertical"},
    )  # fmt: skip
    page = response.content.decode()
    assert "Traceback" not in page
    if case.outcome in ("form", "refused"):
        assert response.status_code == 400 and case.message in page
        assert not Job.objects.filter(owner=alice).exists()
    if case.outcome == "refused":
        # The same file reaching a worker another way (a bucket upload, a link) fails the same way.
        job = job_from_bytes(alice, case.name, data, highlights=False)
        run_job(str(job.pk))
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and case.message in job.error
        assert escape(job.error) in page  # the page said exactly what the worker says
        job.delete()
    elif case.outcome != "form":
        assert response.status_code == 302
        job = Job.objects.get(owner=alice)
        run_job(str(job.pk))
        job.refresh_from_db()
        shown = client.get(job.get_absolute_url()).content.decode()
        assert "Traceback" not in shown and "Traceback" not in job.error
        if case.outcome == "failed":
            assert job.status == Job.Status.FAILED
            assert case.message in job.error and job.error in shown
            assert "@ 0x" not in job.error  # ffmpeg's own words stay in the log
            assert not (job.media_path() / "audio.wav").exists()
        elif case.outcome == "quiet":
            assert job.status == Job.Status.SUCCEEDED
            if case.message:
                assert case.message in job.note and case.message in shown
        else:
            assert job.status == Job.Status.SUCCEEDED, job.error
            assert "/" not in job.original_name and "\x00" not in job.original_name
            assert "\u202e" not in job.original_name and len(job.original_name) <= 200
            assert Path(job.media.path).resolve().is_relative_to(media_root.resolve())
    assert _stray_files(media_root) == []
    bystander_now = Job.objects.get(pk=bystander.pk)
    assert bystander_now.status == Job.Status.SUCCEEDED
    assert bystander_now.transcript.text == bystander.transcript.text


def test_it_refuses_an_upload_over_the_size_limit_without_keeping_it(
    client, alice, bystander, media_root, settings
):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(alice)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        reverse("jobs:create"),
        {"media": SimpleUploadedFile("big.wav", b"\0" * (2 * 1024 * 1024))},
    )
    assert (
        response.status_code == 413
        and "larger than the 1 MB upload limit" in response.content.decode()
    )
    assert not Job.objects.filter(owner=alice).exists()
    assert not (media_root / "jobs").exists() or all(
        p.name == str(bystander.pk) for p in (media_root / "jobs").iterdir()
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/video.mp4", "private or internal network address"),
        ("http://10.0.0.1/video.mp4", "private or internal network address"),
        ("http://169.254.169.254/latest/meta-data/", "private or internal network address"),
        ("file:///etc/passwd", "Only http:// and https:// links"),
        ("javascript:alert(1)", "Only http:// and https:// links"),
        ("http://[::1]/video.mp4", "private or internal network address"),
        ("rtsp://127.0.0.1/live.sdp", "Only http:// and https:// links"),
        ("mms://127.0.0.1/talk.wmv", "Only http:// and https:// links"),
        ("http://127.0.0.2:8000/live.m3u8", "private or internal network address"),
    ],
)
def test_it_refuses_bad_links_on_the_form(client, alice, bystander, url, message):
    client.force_login(alice)
    response = client.post(reverse("jobs:create"), {"urls": url, "language": "auto",
                                                    "task": "transcribe", "highlights": "auto",
                                                    "clip_layout": "vertical"})  # fmt: skip
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Job.objects.filter(owner=alice).exists()


def test_it_explains_a_link_to_a_page_without_media(alice, bystander, settings, tmp_path):
    from jobs import services

    (tmp_path / "index.html").write_text("<html><body>Course page</body></html>")
    settings.URL_ALLOWLIST = ["127.0.0.1:*"]
    with FileServer(tmp_path) as server:
        job = services.job_create(owner=alice, url=server.url_for("/"))
        assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == "This page has no video or audio that Lectern can download."
