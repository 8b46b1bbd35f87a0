"""One runner: `manage.py transcribe` and a job give the same results on the same file and settings."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.utils.html import escape

from jobs.models import Job
from jobs.pipeline import runner
from jobs.pipeline.config import run_settings
from jobs.tasks import run_job
from tests.factories import job_from_file

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _rounded(*values: float) -> tuple[float, ...]:
    return tuple(round(float(value), 2) for value in values)


def test_the_cli_and_a_job_give_the_same_transcript_topics_slides_and_clips(
    alice, lecture_video, tmp_path, settings
):
    settings.LECTERN_MODEL = "tiny.en"
    settings.HIGHLIGHTS = {**settings.HIGHLIGHTS, "count": 2}
    job = job_from_file(alice, lecture_video.video, name="lecture.mp4")
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()

    out = tmp_path / "lecture.json"
    call_command(
        "transcribe", str(lecture_video.video), "--highlights", "--format", "json",
        "-o", str(out), "--clips-dir", str(tmp_path / "clips"), "--no-progress",
    )  # fmt: skip
    cli = json.loads(out.read_text())

    stored = list(job.transcript.segments.order_by("index"))
    assert [(s.text, *_rounded(s.start, s.end)) for s in stored] == [
        (s["text"], *_rounded(s["start"], s["end"])) for s in cli["segments"]
    ]
    assert stored  # something was said, so the comparison means something
    # The slides, read by both before transcription: the CLI used to skip them (and the glossary).
    slides = job.analysis["slides"]
    assert slides, "the lecture's slides were read"
    assert [(s["title"], s["time"]) for s in slides] == [
        (s["title"], s["time"]) for s in cli["slides"]
    ]
    topics = job.analysis["topics"]
    assert len(topics) >= 2
    assert [(t["title"], *_rounded(t["start"], t["end"])) for t in topics] == [
        (t["title"], *_rounded(t["start"], t["end"])) for t in cli["topics"]
    ]
    clips = list(job.clips.order_by("index"))
    assert clips
    assert [_rounded(c.start, c.end) for c in clips] == [
        _rounded(c["start"], c["end"]) for c in cli["clips"]
    ]
    assert all((tmp_path / "clips" / f"clip-{n:02d}.mp4").is_file() for n in (1, len(clips)))


def test_the_runner_runs_without_a_database(lecture_speech, tmp_path, settings):
    """The runner itself needs no ORM: a FileStore keeps nothing, the outcome carries it all."""
    settings.LECTERN_MODEL = "tiny.en"
    stages: list[str] = []

    class Recorder(runner.SilentProgress):
        def stage(self, stage: str) -> None:
            stages.append(stage)

    done = runner.run(
        runner.Request(source=lecture_speech.path, folder=tmp_path),
        run_settings(),
        runner.FileStore(),
        Recorder(),
    )
    assert stages == [runner.FETCH, runner.EXTRACT, runner.TRANSCRIBE, runner.STORE, runner.NOTES]
    assert done.record.segments and done.backend == "faster-whisper"
    # The study notes come with the outcome, every item at a moment of the lecture.
    assert done.study is not None and done.study.points
    assert all(
        0 <= start < end <= done.extracted.duration + 1 for start, end in done.study.moments()
    )
    assert (tmp_path / "audio.wav").is_file()
    assert done.note == ""


def test_it_stores_lines_as_they_are_decoded_and_shows_them_while_the_job_runs(
    client, alice, lecture_speech, settings
):
    from jobs.pipeline import store as stores
    from jobs.pipeline.worker import claim
    from transcripts.models import Segment

    settings.LECTERN_MODEL = "tiny.en"
    job = job_from_file(alice, lecture_speech.path, name="lecture.wav")
    seen: dict[str, object] = {}

    class Watching(stores.JobStore):
        def transcript(self, record):
            # Transcription is over but the checked transcript is not stored yet: the draft is
            # what the page shows now.
            seen["drafted"] = list(
                Segment.objects.filter(transcript__job=self.job)
                .order_by("index")
                .values_list("text", flat=True)
            )
            client.force_login(alice)
            seen["page"] = client.get(self.job.get_absolute_url()).content.decode()
            super().transcript(record)

    claimed = claim(str(job.pk))
    done = runner.run(
        runner.Request(source=claimed.media.path, folder=claimed.media_path()),
        run_settings(),
        Watching(claimed),
    )
    # The first line at once, then at most a write a second: some lines, in order, on the page.
    drafted = seen["drafted"]
    assert drafted and len(drafted) <= len(done.record.segments)
    assert "Transcribed so far" in seen["page"]
    assert escape(drafted[-1].strip()) in seen["page"]  # the page shows the latest lines
    # The checked transcript then replaces the draft.
    assert Segment.objects.filter(transcript__job=job).count() == len(done.record.segments)
