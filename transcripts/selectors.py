"""Reads over transcripts: full-text search (FTS5 on SQLite, PostgreSQL's own search), and what
each edit of a line changed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Max, Min, Q
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from transcripts.models import Segment, SegmentRevision, Transcript
from transcripts.record import TranscriptRecord
from transcripts.textdiff import Change, word_diff

_OPEN, _CLOSE = "\x02", "\x03"  # snippet markers no transcript contains
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SearchHit:
    segment: Segment
    snippet: SafeString  # the matching line with the matches in <mark>


def _fts5_query(text: str) -> str:
    """User words as an FTS5 query: every word must match, the last one as a prefix."""
    words = _WORD.findall(text)[:12]
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _tsquery(text: str) -> str:
    """The same words as a PostgreSQL tsquery: all must match, the last one as a prefix (as
    FTS5 does here), so that typing "photosynth" finds "photosynthesis" on either database. Only
    word characters reach the query, so none of tsquery's operators can."""
    words = _WORD.findall(text)[:12]
    if not words:
        return ""
    return " & ".join([*words[:-1], f"{words[-1]}:*"])


def _highlight(snippet: str) -> SafeString:
    # Safe: the text is escaped first, then only our own markers become tags.
    return mark_safe(escape(snippet).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>"))


def search_segments(user: AbstractBaseUser, text: str, *, limit: int = 50) -> list[SearchHit]:
    """The user's own segments that match ``text``, best first."""
    text = text.strip()
    if not text:
        return []
    # The SQL below is built only from constants; every value goes in as a parameter.
    if connection.vendor == "sqlite":
        query = _fts5_query(text)
        if not query:
            return []
        sql = f"""
            SELECT s.id, snippet(transcripts_segment_fts, 0, '{_OPEN}', '{_CLOSE}', '…', 16)
            FROM transcripts_segment_fts
            JOIN transcripts_segment s ON s.id = transcripts_segment_fts.rowid
            JOIN transcripts_transcript t ON t.id = s.transcript_id
            JOIN jobs_job j ON j.id = t.job_id
            WHERE transcripts_segment_fts MATCH %s AND j.owner_id = %s
            ORDER BY rank LIMIT %s
        """
        params: list[object] = [query, user.pk, limit]
    elif connection.vendor == "postgresql":
        query = _tsquery(text)
        if not query:
            return []
        sql = f"""
            SELECT s.id, ts_headline('simple', s.text, q,
                'StartSel={_OPEN}, StopSel={_CLOSE}, MaxWords=30, MinWords=10')
            FROM transcripts_segment s
            JOIN transcripts_transcript t ON t.id = s.transcript_id
            JOIN jobs_job j ON j.id = t.job_id,
            to_tsquery('simple', %s) q
            WHERE to_tsvector('simple', s.text) @@ q AND j.owner_id = %s
            ORDER BY ts_rank(to_tsvector('simple', s.text), q) DESC LIMIT %s
        """
        params = [query, user.pk, limit]
    else:  # any other database: a plain substring match
        segments = Segment.objects.filter(
            transcript__job__owner=user, text__icontains=text
        ).select_related("transcript__job")[:limit]
        return [SearchHit(s, _highlight(s.text)) for s in segments]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    snippets = dict(rows)
    # The ownership filter again, through the ORM, so that a mistake in the SQL cannot leak.
    segments = Segment.objects.filter(pk__in=snippets, transcript__job__owner=user).select_related(
        "transcript__job"
    )
    by_id = {segment.pk: segment for segment in segments}
    return [SearchHit(by_id[pk], _highlight(snippets[pk])) for pk, _ in rows if pk in by_id]


@dataclass(frozen=True)
class MatchedLine:
    transcript_id: int
    index: int
    start: float
    end: float
    text: str
    score: float  # higher is better


def match_lines(
    user: AbstractBaseUser, words: list[str], *, transcript_id: int | None = None, limit: int = 60
) -> list[MatchedLine]:
    """The user's lines that hold any of ``words``, best first (BM25 on SQLite, ``ts_rank`` on
    PostgreSQL): the candidates for a question's passages. ``transcript_id``: only that one."""
    words = [w for word in words for w in _WORD.findall(word)][:12]
    if not words:
        return []
    one = "AND s.transcript_id = %s" if transcript_id is not None else ""
    bounds: list[object] = []
    # The SQL below is built only from constants; every value goes in as a parameter.
    if connection.vendor == "sqlite":
        if transcript_id is not None:
            # One transcript's lines are stored together (transcript_replace writes them at once),
            # so their ids form a short range: FTS5 then reads only the matches inside it, where
            # the transcript filter alone would score every match of every transcript first
            # (1 ms against 20-40 ms over 1,000 lectures).
            low, high = (
                Segment.objects.filter(transcript_id=transcript_id)
                .aggregate(low=Min("id"), high=Max("id"))
                .values()
            )
            if low is None:
                return []
            one += " AND transcripts_segment_fts.rowid BETWEEN %s AND %s"
            bounds = [low, high]
        sql = f"""
            SELECT s.transcript_id, s."index", s.start, s."end", s.text, -rank
            FROM transcripts_segment_fts
            JOIN transcripts_segment s ON s.id = transcripts_segment_fts.rowid
            JOIN transcripts_transcript t ON t.id = s.transcript_id
            JOIN jobs_job j ON j.id = t.job_id
            WHERE transcripts_segment_fts MATCH %s AND j.owner_id = %s {one}
            ORDER BY rank LIMIT %s
        """
        query: str = " OR ".join(f'"{word}"' for word in words)
    elif connection.vendor == "postgresql":
        sql = f"""
            SELECT s.transcript_id, s."index", s.start, s."end", s.text,
                ts_rank(to_tsvector('simple', s.text), q)
            FROM transcripts_segment s
            JOIN transcripts_transcript t ON t.id = s.transcript_id
            JOIN jobs_job j ON j.id = t.job_id,
            to_tsquery('simple', %s) q
            WHERE to_tsvector('simple', s.text) @@ q AND j.owner_id = %s {one}
            ORDER BY 6 DESC LIMIT %s
        """
        query = " | ".join(words)
    else:  # any other database: lines with any of the words, unranked
        lines = Segment.objects.filter(transcript__job__owner=user)
        if transcript_id is not None:
            lines = lines.filter(transcript_id=transcript_id)
        matched = Q()
        for word in words:
            matched |= Q(text__icontains=word)
        return [
            MatchedLine(s.transcript_id, s.index, s.start, s.end, s.text, 1.0)
            for s in lines.filter(matched)[:limit]
        ]
    params: list[object] = [query, user.pk]
    if transcript_id is not None:
        params += [transcript_id, *bounds]
    params.append(limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [MatchedLine(*row) for row in cursor.fetchall()]


def transcript_record(transcript: Transcript) -> TranscriptRecord:
    """A stored transcript as plain data (for reuse by another job, or to export)."""
    return TranscriptRecord(
        language=transcript.language,
        duration=transcript.duration,
        language_probability=transcript.language_probability,
        languages=dict(transcript.languages or {}),
        speech_seconds=transcript.speech_seconds,
        missing_speech=list(transcript.missing_speech or []),
        removed_segments=list(transcript.removed_segments or []),
        prompt_sha256=transcript.prompt_sha256,
        segments=[
            {
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "avg_logprob": s.avg_logprob,
                "language": s.language,
                "speaker": s.speaker,
                "words": list(s.words or []),
            }
            for s in transcript.segments.order_by("index")
        ],
    )


@dataclass(frozen=True)
class Edit:
    revision: SegmentRevision  # the text as it was before this edit, and who replaced it when
    changes: list[Change]  # from that text to the one that replaced it, word by word


def segment_edits(segment: Segment) -> list[Edit]:
    """The segment's edits, newest first, each with what it changed.

    A revision keeps the text an edit replaced; the text that replaced it is the next newer
    revision's, or, for the newest, the segment's own.
    """
    revisions = list(segment.revisions.select_related("edited_by"))
    if not revisions:  # never edited (its history page says so)
        return []
    newer = [segment.text] + [revision.text for revision in revisions[:-1]]
    return [
        Edit(revision, word_diff(revision.text, replaced_by))
        for revision, replaced_by in zip(revisions, newer, strict=True)
    ]
