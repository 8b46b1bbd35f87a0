from __future__ import annotations

import subprocess

import pytest
from django.core import mail

from jobs.models import Job
from jobs.tasks import run_job
from tests.conftest import JFK_TEXT
from tests.factories import job_from_bytes, job_from_file
from tests.wer import wer
from transcripts.media import ffmpeg_exe

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_transcribes_jfk_with_the_bundled_model(alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    job.refresh_from_db()
    assert job.stage == Job.Stage.DONE and job.progress == 100
    assert job.backend == "faster-whisper" and job.model_name == "base"
    assert job.duration == pytest.approx(11.0, abs=0.1)
    assert job.realtime_factor and job.realtime_factor > 0
    assert job.attempts == 1 and job.started_at and job.finished_at
    transcript = job.transcript
    assert transcript.language == "en"
    assert wer(JFK_TEXT, transcript.text) <= 0.10
    segments = list(transcript.segments.all())
    assert segments and all(s.end > s.start for s in segments)
    assert all(seg.words for seg in segments)
    starts = [s.start for s in segments]
    assert starts == sorted(starts)


@pytest.mark.slow
def test_it_transcribes_a_synthetic_lecture_within_8_percent_wer(alice, lecture_speech):
    job = job_from_file(alice, lecture_speech.path, name="lecture.wav")

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED

    job.refresh_from_db()
    assert wer(lecture_speech.text, job.transcript.text) <= 0.08


def test_it_emails_the_owner_when_a_job_ends(alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    run_job(str(job.pk))

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "is ready" in message.subject
    assert f"/jobs/{job.pk}/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and f"/jobs/{job.pk}/" in html


def test_it_runs_a_job_only_once(alice, jfk_wav):
    job = job_from_file(alice, jfk_wav)
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    # A queue that delivers the task twice must not run the job twice.
    assert run_job(str(job.pk)) is None
    job.refresh_from_db()
    assert job.attempts == 1


def _truncated_mp4(tmp_path) -> bytes:
    full = tmp_path / "full.mp4"
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=4",
         "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=4",
         "-c:v", "libx264", "-c:a", "aac", "-shortest", str(full)],
        check=True,
    )  # fmt: skip
    data = full.read_bytes()
    return data[: len(data) // 3]


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("notes.mp4", lambda tmp: b"These are my lecture notes, not a video.\n" * 20,
         "not a recognised audio or video format"),
        ("empty.wav", lambda tmp: b"", "empty"),
        ("cut.mp4", _truncated_mp4, "corrupt"),
    ],
)  # fmt: skip
def test_it_fails_bad_media_with_a_readable_message(
    alice, bob, jfk_wav, tmp_path, name, make, message
):
    bad = job_from_bytes(alice, name, make(tmp_path))
    good = job_from_file(bob, jfk_wav)

    assert run_job(str(bad.pk)) == Job.Status.FAILED
    assert run_job(str(good.pk)) == Job.Status.SUCCEEDED

    bad.refresh_from_db()
    assert message in bad.error
    assert "Traceback" not in bad.error and bad.error_detail
    assert not hasattr(bad, "transcript") or bad.transcript is None
    assert "failed" in mail.outbox[0].subject


def test_it_fails_video_without_audio(alice, tmp_path):
    from tests.synth import tone_video

    silent_video = tone_video(tmp_path / "mute.mp4", audio=False)
    job = job_from_file(alice, silent_video)

    assert run_job(str(job.pk)) == Job.Status.FAILED
    job.refresh_from_db()
    assert job.error == "This file has no audio track to transcribe."


def test_it_succeeds_on_pure_silence_with_a_note(alice, tmp_path):
    import numpy as np

    from tests.synth import write_wav

    silence = write_wav(tmp_path / "silence.wav", np.zeros(16000 * 5, dtype="<i2"))
    job = job_from_file(alice, silence)

    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED
    job.refresh_from_db()
    assert job.note == "No speech was found in this recording."
    assert job.transcript.segments.count() == 0


def test_it_leaves_a_cancelled_job_cancelled(alice, jfk_wav):
    from jobs import services

    job = job_from_file(alice, jfk_wav)
    services.job_cancel(job=job)

    assert run_job(str(job.pk)) is None
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
