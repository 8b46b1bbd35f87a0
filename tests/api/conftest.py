from __future__ import annotations

from collections.abc import Callable

import pytest

from jobs.api import keys
from jobs.models import Clip, Job
from transcripts.models import Segment, Transcript


@pytest.fixture
def alice_key(alice) -> str:
    return keys.api_key_create(user=alice, name="tests").token


@pytest.fixture
def bob_key(bob) -> str:
    return keys.api_key_create(user=bob, name="tests").token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def finished_job(owner, name: str = "talk.mp4", texts: tuple[str, ...] = ("Hello.",)) -> Job:
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
    from django.core.files.base import ContentFile

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


@pytest.fixture
def make_job() -> Callable[..., Job]:
    return finished_job
