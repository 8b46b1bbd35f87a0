"""Reads for study: the passages of the user's own transcripts that answer a question."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from jobs.highlights.vocabulary import distinctive_terms
from jobs.models import Job, StudyNotes
from jobs.study.notes import StudyNotes as Notes
from jobs.study.notes import make_notes
from jobs.study.retrieval import Line, Passage, passages, query_words, windows
from transcripts.models import Segment
from transcripts.selectors import match_lines, transcript_record

CANDIDATE_LINES = 60


@dataclass(frozen=True)
class Found:
    """A passage and the job it comes from."""

    job: Job
    passage: Passage


def question_passages(
    user: AbstractBaseUser, question: str, *, job: Job | None = None, limit: int = 5
) -> list[Found]:
    """The passages of ``user``'s transcripts (or of ``job``'s alone) that best match ``question``.

    Two queries: the full-text index for the matching lines (owner filtered in its SQL), then the
    lines around them through the ORM, filtered by owner again so that a mistake in the SQL
    cannot leak another user's words.
    """
    words = query_words(question)
    if not words:
        return []
    transcript_id = None
    if job is not None:
        transcript_id = (
            job.transcript.pk if hasattr(job, "transcript") and job.owner_id == user.pk else -1
        )
    matched = match_lines(user, words, transcript_id=transcript_id, limit=CANDIDATE_LINES)
    hits = [(Line(m.transcript_id, m.index, m.start, m.end, m.text), m.score) for m in matched]
    found = windows(hits, limit=2 * limit)
    if not found:
        return []
    wanted = Q()
    for window in found:
        wanted |= Q(transcript_id=window.transcript, index__range=(window.first, window.last))
    # The transcripts first (their index), then the ranges: OR-ed ranges alone can make SQLite
    # scan every line (100 ms over 1,000 lectures, against 2 ms this way).
    rows = (
        Segment.objects.filter(transcript_id__in={window.transcript for window in found})
        .filter(wanted, transcript__job__owner=user)
        .values_list("transcript_id", "index", "start", "end", "text", "transcript__job_id")
        .order_by()
    )
    lines, job_ids = [], {}
    for transcript, index, start, end, text, job_id in rows:
        lines.append(Line(transcript, index, start, end, text))
        job_ids[transcript] = job_id
    ranked = passages(question, found, lines, limit=limit)
    jobs = Job.objects.filter(owner=user).in_bulk(set(job_ids.values()))
    return [
        Found(jobs[job_ids[passage.transcript]], passage)
        for passage in ranked
        if job_ids.get(passage.transcript) in jobs
    ]


def study_notes_current(*, job: Job) -> Notes | None:
    """The job's notes, as current as the transcript, without writing anything (a page's GET
    must not write): the stored ones, or, after an edit that the queued task has not yet
    turned into stored notes, extractive notes made here in memory. None for a job without a
    finished transcript."""
    kept = study_notes_kept(job=job)
    if kept is None:
        return None
    if kept.notes is not None and kept.current:
        return kept.notes
    if kept.notes is not None and kept.notes.maker != "extractive":
        # A model's notes are not thrown away for an edit: the owner makes them again.
        kept.notes.note = (
            "Written before your last edit of the transcript: make them again to include it."
        )
        return kept.notes
    return study_notes_build(job=job)


@dataclass(frozen=True)
class KeptNotes:
    notes: Notes | None  # the stored notes, if any
    current: bool  # made from the transcript as it is stored now


def study_notes_kept(*, job: Job) -> KeptNotes | None:
    """The job's stored notes and whether they follow its transcript's last edit; None for a job
    without a finished transcript."""
    transcript = getattr(job, "transcript", None) if job.status == Job.Status.SUCCEEDED else None
    if transcript is None:
        return None
    row = StudyNotes.objects.filter(job=job).first()
    if row is None:
        return KeptNotes(notes=None, current=False)
    return KeptNotes(
        notes=Notes.from_dict(row.notes), current=row.made_from == transcript.updated_at
    )


def study_notes_build(*, job: Job) -> Notes:
    """Extractive notes of the job's stored transcript (edits included), not kept."""
    transcript = job.transcript
    record = transcript_record(transcript)
    analysis = job.analysis or {}
    slide_texts = [
        str(s.get("text") or "") for s in analysis.get("slides") or [] if isinstance(s, dict)
    ]
    return make_notes(
        record.segments,
        topics=[t for t in analysis.get("topics") or [] if isinstance(t, dict)],
        duration=transcript.duration or job.duration or 0.0,
        title=job.display_name,
        slide_terms=[term.word for term in distinctive_terms([*slide_texts, job.title])]
        if slide_texts
        else [],
        language=transcript.language,
    )
