"""Writes to transcripts: the one place a transcript is stored, and edits that keep history."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from transcripts.alignment import retime
from transcripts.models import Segment, SegmentRevision, Transcript
from transcripts.record import TranscriptRecord


@transaction.atomic
def transcript_replace(*, job_id: object, record: TranscriptRecord) -> Transcript:
    """Store ``record`` as the job's transcript, replacing any from an earlier attempt.

    Every transcript is written here: a fresh one, one reused from the content cache, one the
    CLI would export. (The job is named by id: transcripts/ imports nothing from jobs/.)
    """
    Transcript.objects.filter(job_id=job_id).delete()
    transcript = Transcript.objects.create(
        job_id=job_id,
        language=record.language,
        language_probability=record.language_probability,
        duration=record.duration,
        text=record.text,
        languages=record.languages,
        speech_seconds=record.speech_seconds,
        missing_speech=record.missing_speech,
        removed_segments=record.removed_segments,
        prompt_sha256=record.prompt_sha256,
    )
    Segment.objects.bulk_create(
        [
            Segment(
                transcript=transcript,
                index=index,
                start=segment["start"],
                end=segment["end"],
                text=segment["text"],
                avg_logprob=segment.get("avg_logprob"),
                language=segment.get("language") or record.language or "",
                speaker=segment.get("speaker") or "",
                words=segment["words"],
            )
            for index, segment in enumerate(record.segments)
        ],
        batch_size=500,
    )
    return transcript


def transcript_refresh_text(*, transcript: Transcript) -> None:
    texts = transcript.segments.order_by("index").values_list("text", flat=True)
    transcript.text = " ".join(text.strip() for text in texts if text.strip())
    transcript.save(update_fields=["text", "updated_at"])


@transaction.atomic
def segment_edit(*, segment: Segment, text: str, user: AbstractBaseUser | None) -> bool:
    """Set a segment's text, keeping the old one as a revision. Returns whether it changed."""
    text = " ".join(text.split())
    if not text or text == segment.text:
        return False
    SegmentRevision.objects.create(segment=segment, text=segment.text, edited_by=user)
    segment.words = retime(segment.words, text, start=segment.start, end=segment.end)
    segment.text = text
    segment.edited = True
    segment.save(update_fields=["text", "words", "edited"])
    transcript_refresh_text(transcript=segment.transcript)
    return True


def segment_restore(
    *, segment: Segment, revision: SegmentRevision, user: AbstractBaseUser | None
) -> bool:
    if revision.segment_id != segment.pk:
        raise ValueError("That revision belongs to another segment.")
    return segment_edit(segment=segment, text=revision.text, user=user)
