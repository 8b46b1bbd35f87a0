"""Stage: who speaks when. Every stored word gets its speaker ("S1", "S2"...), and a segment in
which the speaker changes is cut there, so that no line of the transcript holds two speakers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import F, Max

from jobs.media import read_wav
from jobs.models import Job
from transcripts.diarization import diarize
from transcripts.models import Segment
from transcripts.speakers import speaker_pieces


@dataclass(frozen=True)
class Diarized:
    speakers: list[str]
    segments: int
    # Seconds of speech too short for the diarizer to tell whose it is (Diarization.unassigned):
    # its words carry the nearest turn's speaker, a guess the page should own up to.
    unassigned_seconds: float = 0.0


def diarize_job(
    job: Job, audio: Path, *, on_progress: Callable[[float], None] | None = None
) -> Diarized:
    """Safe to run again: every word's speaker is recomputed from the audio.

    A second run cuts only where a change of speaker still falls inside a segment; pieces cut by an
    earlier run stay apart (each still holds one speaker). A piece keeps the row (and so the edit
    history) of the segment it came from when it is that segment's first.
    """
    result = diarize(read_wav(audio), speakers=job.speakers, on_progress=on_progress)
    rows = list(Segment.objects.filter(transcript__job=job).order_by("index"))
    pieces = speaker_pieces(rows, result)
    with transaction.atomic():
        if rows:
            # (transcript, index) is unique and checked row by row, so first move every index
            # past any the renumbering below can give.
            highest = Segment.objects.filter(transcript_id=rows[0].transcript_id).aggregate(
                top=Max("index")
            )["top"]
            offset = (highest or 0) + sum(len(p) for p in pieces) + 1
            Segment.objects.filter(transcript_id=rows[0].transcript_id).update(
                index=F("index") + offset
            )
        index = 0
        new: list[Segment] = []
        for row, parts in zip(rows, pieces, strict=True):
            for number, piece in enumerate(parts):
                target = row if number == 0 else Segment(transcript_id=row.transcript_id)
                target.index = index
                target.start = piece["start"]
                target.end = piece["end"]
                target.speaker = piece["speaker"]
                target.words = piece["words"]
                if number or len(parts) > 1:
                    target.text = piece["text"]
                    target.avg_logprob = row.avg_logprob
                    target.language = row.language
                if number:
                    new.append(target)
                index += 1
        Segment.objects.bulk_update(
            rows, ["index", "start", "end", "text", "speaker", "words"], batch_size=500
        )
        Segment.objects.bulk_create(new, batch_size=500)
    return Diarized(
        speakers=result.labels, segments=index, unassigned_seconds=result.unassigned_seconds
    )
