"""Stage: who speaks when. Labels each stored segment (and its words, when split) "S1", "S2"..."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from jobs.media import read_wav
from jobs.models import Job
from transcripts.diarization import assign, diarize
from transcripts.models import Segment


@dataclass(frozen=True)
class Diarized:
    speakers: list[str]
    segments: int


def diarize_job(
    job: Job, audio: Path, *, on_progress: Callable[[float], None] | None = None
) -> Diarized:
    """Safe to run again: every segment's speaker is recomputed from the audio."""
    result = diarize(read_wav(audio), speakers=job.speakers, on_progress=on_progress)
    segments = list(Segment.objects.filter(transcript__job=job).order_by("index"))
    for segment, assignment in zip(segments, assign(segments, result), strict=True):
        segment.speaker = assignment.speaker or ""
        words = [{k: v for k, v in word.items() if k != "speaker"} for word in segment.words]
        if assignment.words is not None:
            for word, speaker in zip(words, assignment.words, strict=True):
                word["speaker"] = speaker or ""
        segment.words = words
    with transaction.atomic():
        Segment.objects.bulk_update(segments, ["speaker", "words"], batch_size=500)
    return Diarized(speakers=result.labels, segments=len(segments))
