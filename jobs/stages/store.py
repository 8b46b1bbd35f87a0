"""Stage 4: save the transcript and its segments, replacing any from an earlier attempt."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from jobs.models import Job
from transcripts.backends.base import TranscriptionResult
from transcripts.models import Segment, Transcript
from transcripts.speech import SpeechCheck


@dataclass(frozen=True)
class Stored:
    transcript_id: int
    segments: int


def store(job: Job, result: TranscriptionResult, check: SpeechCheck | None = None) -> Stored:
    with transaction.atomic():
        Transcript.objects.filter(job=job).delete()
        transcript = Transcript.objects.create(
            job=job,
            language=result.language,
            language_probability=result.language_probability,
            duration=result.duration,
            text=result.text,
            languages=result.languages,
            speech_seconds=check.speech_seconds if check else None,
            missing_speech=[list(span) for span in check.missing] if check else [],
            removed_segments=[removed.to_dict() for removed in check.removed] if check else [],
        )
        Segment.objects.bulk_create(
            [
                Segment(
                    transcript=transcript,
                    index=index,
                    start=segment.start,
                    end=segment.end,
                    text=segment.text,
                    avg_logprob=segment.avg_logprob,
                    language=segment.language or result.language or "",
                    words=[
                        {
                            "start": w.start,
                            "end": w.end,
                            "word": w.word,
                            "probability": w.probability,
                        }
                        for w in segment.words
                    ],
                )
                for index, segment in enumerate(result.segments)
            ],
            batch_size=500,
        )
    return Stored(transcript_id=transcript.pk, segments=len(result.segments))
