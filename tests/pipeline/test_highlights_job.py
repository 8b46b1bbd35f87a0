"""A lecture video through the whole job: transcript, topics, clips, chapters and timeline."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jobs.models import Job
from jobs.tasks import run_job
from tests.factories import job_from_file
from transcripts.media import probe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def highlights_job(alice, lecture_video, settings):
    settings.LECTERN_MODEL = "tiny.en"  # the speed of tiny.en is enough for the structure
    settings.HIGHLIGHTS = {**settings.HIGHLIGHTS, "count": 2}
    job = job_from_file(alice, lecture_video.video, name="lecture.mp4", title="Three topics")
    assert job.highlights is None  # "for video"
    assert run_job(str(job.pk)) == Job.Status.SUCCEEDED, Job.objects.get(pk=job.pk).error_detail
    job.refresh_from_db()
    return job


def test_it_makes_clips_chapters_and_a_timeline(client, alice, bob, highlights_job, lecture_video):
    job = highlights_job
    analysis = job.analysis
    assert analysis["layout"]["kind"] == "split"
    assert len(analysis["slide_changes"]) == len(lecture_video.slide_changes)
    assert len(analysis["topics"]) >= 2 and analysis["analyser"] == "local"
    assert any(
        abs(pause_start - start) < 0.5
        for start, _ in lecture_video.topic_pauses
        for pause_start, _ in analysis["silences"]
    )

    clips = list(job.clips.all())
    assert 1 <= len(clips) <= 2
    for clip in clips:
        assert 20 <= clip.duration <= 120
        info = probe(clip.file.path)
        assert info.has_video and info.has_audio
        assert (info.width, info.height) == (1080, 1920) or info.height > info.width
        assert clip.thumbnail and clip.thumbnail.path.endswith(".jpg")

    client.force_login(alice)
    page = client.get(job.get_absolute_url()).content.decode()
    assert 'role="img"' in page and "<svg" in page  # the timeline
    assert page.count('class="clip"') == len(clips)
    assert "Chapters" in page
    chapters = client.get(reverse("jobs:chapters", args=[job.pk])).content.decode()
    assert chapters.startswith("0:00 ") or chapters.startswith("00:00 ")

    video = client.get(
        reverse("jobs:clip-file", args=[job.pk, 0, "mp4"]), headers={"Range": "bytes=0-99"}
    )
    assert video.status_code == 206 and video["Content-Type"] == "video/mp4"
    thumb = client.get(reverse("jobs:clip-file", args=[job.pk, 0, "jpg"]))
    assert thumb.status_code == 200 and b"".join(thumb.streaming_content)[:2] == b"\xff\xd8"

    # An edit to a segment inside a clip reaches the clip's burned-in captions.
    from pathlib import Path

    from jobs.pipeline.worker import rerender_clips

    first = clips[0]
    segment = job.transcript.segments.filter(start__gte=first.start, end__lte=first.end).first()
    edit = client.post(
        reverse("transcripts:segment-edit", args=[job.pk, segment.index]),
        {"text": "Zanzibar " + segment.text},
    )
    assert edit.status_code == 302
    before = Path(first.file.path).stat().st_mtime_ns
    assert rerender_clips(str(job.pk), [first.index]) == 1
    assert "Zanzibar" in Path(first.file.path).with_suffix(".ass").read_text()
    assert Path(first.file.path).stat().st_mtime_ns != before

    # Nobody else sees any of it.
    client.logout()
    client.force_login(bob)
    for url in (
        reverse("jobs:clip-file", args=[job.pk, 0, "mp4"]),
        reverse("jobs:clip-file", args=[job.pk, 0, "jpg"]),
        reverse("jobs:chapters", args=[job.pk]),
    ):
        assert client.get(url).status_code == 404
