"""The test suite's one set of factories for jobs, transcripts and clips.

- ``job_from_file`` / ``job_from_bytes``: a queued job made the way the web form makes one
  (``services.job_create`` with an upload), ready for ``run_job``;
- ``finished_job``: a succeeded job with known segments, made with the ORM (no model run);
- ``add_clip``: a highlight clip on a job, with files if given;
- ``laid_out_video_job``: a finished video job as the pipeline leaves it: detected layout, poster,
  transcript and one rendered clip.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs import services
from jobs.highlights.compiler import render_clip
from jobs.highlights.layout import detect_layout
from jobs.models import Clip, Job
from jobs.pipeline.stages.poster import make_poster
from transcripts.models import Segment, Transcript


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def job_from_file(owner, path: Path, *, name: str | None = None, **options) -> Job:
    return services.job_create(
        owner=owner, upload=upload(name or path.name, path.read_bytes()), **options
    )


def job_from_bytes(owner, name: str, data: bytes, **options) -> Job:
    return services.job_create(owner=owner, upload=upload(name, data), **options)


def finished_job(owner, name: str = "talk.mp4", texts: Sequence[str] = ("Hello.",)) -> Job:
    """A succeeded job with known segments, made with the ORM (no model needed)."""
    job = Job.objects.create(
        owner=owner, original_name=name, status=Job.Status.SUCCEEDED, stage=Job.Stage.DONE,
        progress=100, duration=30.0, backend="faster-whisper", model_name="base",
    )  # fmt: skip
    transcript = Transcript.objects.create(job=job, language="en", duration=30.0)
    for index, text in enumerate(texts):
        Segment.objects.create(
            transcript=transcript, index=index, start=index * 10.0, end=index * 10.0 + 9, text=text
        )
    transcript.text = " ".join(texts)
    transcript.save()
    return job


def add_clip(job: Job, index: int, data: bytes = b"", thumbnail: bytes = b"") -> Clip:
    clip = Clip.objects.create(
        job=job, index=index, start=index * 10.0, end=index * 10.0 + 8, duration=8.0,
        ranges=[[index * 10.0, index * 10.0 + 8]], title=f"Clip {index}", score=0.5 + index / 10,
    )  # fmt: skip
    if data:
        clip.file.save(f"clip-{index}.mp4", ContentFile(data), save=False)
    if thumbnail:
        clip.thumbnail.save(f"clip-{index}.jpg", ContentFile(thumbnail), save=False)
    clip.save()
    return clip


LAYOUT_WORDS = [
    "the",
    "key",
    "point",
    "is",
    "that",
    "light",
    "is",
    "captured",
    "by",
    "chlorophyll",
    "in",
    "the",
    "leaf",
]


def laid_out_video_job(owner, video: Path, *, confidence: float | None = None) -> Job:
    """A finished video job as the pipeline leaves it: layout, transcript, one rendered clip."""
    job = Job.objects.create(
        owner=owner, status=Job.Status.SUCCEEDED, stage=Job.Stage.DONE, has_video=True,
        original_name="lecture.mp4", duration=12.0,
    )  # fmt: skip
    folder = job.media_path()
    folder.mkdir(parents=True)
    shutil.copy(video, folder / "lecture.mp4")
    job.media.name = f"{job.media_dir()}/lecture.mp4"
    layout = detect_layout(folder / "lecture.mp4").to_dict()
    if confidence is not None:
        layout["confidence"] = confidence
    job.analysis = {"layout": layout}
    poster = make_poster(folder / "lecture.mp4", folder / "poster.jpg", duration=12.0)
    job.poster.name = f"{job.media_dir()}/poster.jpg" if poster else ""
    job.save()
    transcript = Transcript.objects.create(job=job, language="en", duration=12.0)
    words = LAYOUT_WORDS
    Segment.objects.create(
        transcript=transcript, index=0, start=0.3, end=7.5, text=" ".join(words),
        words=[{"start": 0.3 + 0.5 * i, "end": 0.7 + 0.5 * i, "word": w} for i, w in enumerate(words)],
    )  # fmt: skip
    output = folder / "clips" / "clip-01.mp4"
    rendered = render_clip(
        folder / "lecture.mp4", {"ranges": [(0.5, 4.5)]}, list(transcript.segments.all()),
        output, layout="vertical", regions=layout, size=(360, 640),
    )  # fmt: skip
    Clip.objects.create(
        job=job, index=0, start=0.5, end=4.5, duration=rendered.duration, ranges=[[0.5, 4.5]],
        title="Light", layout=rendered.arrangement,
        file=f"{job.media_dir()}/clips/clip-01.mp4", thumbnail=f"{job.media_dir()}/clips/clip-01.jpg",
    )  # fmt: skip
    return job
