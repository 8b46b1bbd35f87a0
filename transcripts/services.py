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

    Every finished transcript is written here: a fresh one, or one reused from the content cache.
    (The job is named by id: transcripts/ imports nothing from jobs/.)
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
    _add_segments(transcript, record.segments, first=0, language=record.language)
    return transcript


def transcript_draft(*, job_id: object, segments: list[dict], first: int) -> None:
    """The segments decoded so far, shown while transcription runs; ``transcript_replace``
    replaces them with the checked transcript at the end.

    ``first`` is the index of ``segments[0]``: 0 starts the draft afresh (a new attempt, or a
    backend that took over from one that failed), dropping whatever an earlier one left.
    """
    with transaction.atomic():
        if first == 0:
            Transcript.objects.filter(job_id=job_id).delete()
        transcript, _ = Transcript.objects.get_or_create(job_id=job_id)
        # The draft's lines only: its text, rewritten a line at a time, would cost the square of
        # its length; transcript_replace writes the finished text once.
        _add_segments(transcript, segments, first=first, language="")


def _add_segments(
    transcript: Transcript, segments: list[dict], *, first: int, language: str
) -> None:
    Segment.objects.bulk_create(
        [
            Segment(
                transcript=transcript,
                index=index,
                start=segment["start"],
                end=segment["end"],
                text=segment["text"],
                avg_logprob=segment.get("avg_logprob"),
                language=segment.get("language") or language or "",
                speaker=segment.get("speaker") or "",
                words=segment["words"],
            )
            for index, segment in enumerate(segments, start=first)
        ],
        batch_size=500,
    )


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
