from __future__ import annotations

from typing import Any

import pytest

from jobs.models import Job
from tests.study.corpus import LECTURES, lecture_segments
from transcripts.record import TranscriptRecord
from transcripts.services import transcript_replace


def store_lecture(owner: Any, title: str, topics: list[tuple[str, list[str]]]) -> tuple[Job, dict]:
    """A finished job whose transcript is ``topics`` (no model run), and each topic's span."""
    segments, spans = lecture_segments(topics)
    duration = segments[-1]["end"] + 1.0
    job = Job.objects.create(
        owner=owner, title=title, original_name=f"{title}.mp3", status=Job.Status.SUCCEEDED,
        stage=Job.Stage.DONE, progress=100, duration=duration, backend="faster-whisper",
    )  # fmt: skip
    transcript_replace(
        job_id=job.pk, record=TranscriptRecord(language="en", duration=duration, segments=segments)
    )
    return job, spans


@pytest.fixture
def library(alice) -> dict[str, tuple[Job, dict]]:
    """Alice's six stored lectures, by title."""
    return {title: store_lecture(alice, title, topics) for title, topics in LECTURES.items()}
