"""Writes to transcripts: editing a segment keeps its earlier text."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from transcripts.alignment import retime
from transcripts.models import Segment, SegmentRevision, Transcript


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
