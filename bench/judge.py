"""The bench lectures' notes and clips judged against what was written down before the first run
(bench/lectures.py: the terms a student should find, the sentences the lecturer flags; the
matching rules are in its docstring). Used by the study section (notes) and the highlights
section (clips); the transcripts come from bench/spoken.py's cache.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from bench.lectures import LECTURES, Lecture
from bench.spoken import spoken

_ARTICLES = {"a", "an", "the", "der", "die", "das", "le", "la", "les", "l", "un", "une"}


def _norm(text: str) -> list[str]:
    from jobs.highlights.keyterms import _singular
    from jobs.highlights.text import stem

    words = re.findall(r"[^\W\d_]+", text.lower().replace("’", "'"))
    while words and words[0] in _ARTICLES:
        words = words[1:]
    # A plural "s" first, then the light stem: stem() alone makes "cytokines" "cytokin" but
    # leaves "cytokine" whole.
    return [stem(_singular(w)) for w in words]


def _contains(longer: list[str], shorter: list[str]) -> bool:
    size = len(shorter)
    return any(longer[i : i + size] == shorter for i in range(len(longer) - size + 1))


def term_matches(entry: str, term: str) -> bool:
    found = _norm(entry)
    for alternative in term.split("|"):
        wanted = _norm(alternative)
        if not wanted or not found:
            continue
        if found == wanted or _contains(found, wanted):
            return True
        if len(found) >= 2 and _contains(wanted, found):
            return True
    return False


def _content(text: str, language: str) -> set[str]:
    from jobs.highlights.keyterms import stop_words
    from jobs.highlights.text import stem

    stops = stop_words(language)
    return {stem(w) for w in re.findall(r"[^\W\d_]+", text.lower()) if w not in stops}


def _overlap(reference: str, said: str, language: str) -> float:
    wanted = _content(reference, language)
    return len(wanted & _content(said, language)) / len(wanted) if wanted else 0.0


def flagged_moments(lecture: Lecture, sentences: Sequence[Any]) -> list[float | None]:
    """Each flagged sentence's middle in the transcript: the transcribed sentence holding most
    of its content words (at least half), else None (the transcript lost it)."""
    moments: list[float | None] = []
    for flagged in lecture.flagged:
        best = max(sentences, key=lambda s: _overlap(flagged, s.text, lecture.language))
        if _overlap(flagged, best.text, lecture.language) >= 0.5:
            moments.append((best.start + best.end) / 2)
        else:
            moments.append(None)
    return moments


def _junk(term: str, language: str) -> bool:
    """A possessive, a stop word, a fragment opening or closing on a stop word."""
    from jobs.highlights.keyterms import stop_words

    words = term.lower().split()
    stops = stop_words(language)
    return not words or "'" in term or "’" in term or words[0] in stops or words[-1] in stops


def _analysis(lecture: Lecture) -> tuple[dict[str, Any], Any, Any, Any, float]:
    from jobs.highlights.analysers.base import AnalysisRequest
    from jobs.highlights.analysers.local import LocalAnalyser
    from jobs.study.notes import make_notes

    made = spoken(lecture)
    request = AnalysisRequest(
        segments=made["segments"], duration=made["duration"], language=lecture.language
    )
    began = time.perf_counter()
    topics = LocalAnalyser().analyse(request).topics
    notes = make_notes(
        made["segments"],
        topics=topics,
        duration=made["duration"],
        title=lecture.title,
        slide_terms=lecture.slides,
        language=lecture.language,
    )
    seconds = time.perf_counter() - began
    return made, request, topics, notes, seconds


def judge_notes(lecture: Lecture) -> dict[str, Any]:
    from jobs.study.notes import make_notes

    made, request, topics, notes, whole = _analysis(lecture)
    # The notes stage alone, as the runner calls it (the topics given by the highlights).
    times = []
    for _ in range(3):
        began = time.perf_counter()
        make_notes(made["segments"], topics=topics, duration=made["duration"],
                   slide_terms=lecture.slides, language=lecture.language)  # fmt: skip
        times.append(time.perf_counter() - began)
    entries = [entry.term for entry in notes.glossary]
    found = [t for t in lecture.terms if any(term_matches(e, t) for e in entries)]
    right = [e for e in entries if any(term_matches(e, t) for t in lecture.terms)]
    moments = flagged_moments(lecture, request.sentences)
    in_summary = 0
    for flagged in lecture.flagged:
        if any(_overlap(flagged, item.text, lecture.language) >= 0.6 for item in notes.summary):
            in_summary += 1
    spans = _topic_spans(lecture, made)
    topics_covered = sum(
        1 for a, b in spans if any(a - 0.5 <= item.start <= b for item in notes.summary)
    )
    transcription = made["transcription_seconds"]
    return {
        "name": lecture.name,
        "split": lecture.split,
        "language": lecture.language,
        "minutes": made["duration"] / 60,
        "model": made["model"],
        "terms": len(lecture.terms),
        "entries": len(entries),
        "term_recall": len(found) / len(lecture.terms),
        "term_precision": len(right) / len(entries) if entries else 0.0,
        "junk_entries": [e for e in entries if _junk(e, lecture.language)],
        "missed_terms": [t for t in lecture.terms if t not in found],
        "wrong_entries": [e for e in entries if e not in right],
        "flagged": len(lecture.flagged),
        "flagged_transcribed": sum(m is not None for m in moments),
        "flagged_in_summary": in_summary,
        "topics": len(spans),
        "topics_in_summary": topics_covered,
        "summary_items": len(notes.summary),
        "questions": len(notes.questions),
        "question_kinds": sorted({q.kind for q in notes.questions}),
        "topic_titles": [t.title for t in topics],
        "notes_seconds": min(times),
        "analysis_seconds": whole,
        "transcription_seconds": transcription,
        "notes_share": min(times) / transcription,
        "analysis_share": whole / transcription,
    }


def judge_clips(lecture: Lecture) -> dict[str, Any]:
    from jobs.highlights.selection import select_clips
    from jobs.highlights.silences import detect_silences
    from transcripts.media import read_wav

    made, request, topics, _, _ = _analysis(lecture)
    silences = detect_silences(read_wav(made["audio"]), min_silence=0.5).silences
    began = time.perf_counter()
    selection = select_clips(
        made["segments"],
        topics,
        [(float(a), float(b)) for a, b in silences],
        language=lecture.language,
        slide_texts=lecture.slides,
    )
    seconds = time.perf_counter() - began
    moments = flagged_moments(lecture, request.sentences)
    clips = selection.clips
    covered = sum(1 for m in moments if m is not None and any(c.start <= m <= c.end for c in clips))
    total = sum(c.duration for c in clips)
    return {
        "name": lecture.name,
        "split": lecture.split,
        "long": lecture.long,
        "minutes": made["duration"] / 60,
        "clips": len(clips),
        "flagged": len(lecture.flagged),
        "flagged_transcribed": sum(m is not None for m in moments),
        "flagged_in_clips": covered,
        "clip_share": total / made["duration"],
        "longest_clip": max((c.duration for c in clips), default=0.0),
        "shortest_clip": min((c.duration for c in clips), default=0.0),
        "selection_seconds": seconds,
        "reasons": [c.reason for c in clips[:3]],
    }


def _topic_spans(lecture: Lecture, made: dict[str, Any]) -> list[tuple[float, float]]:
    spans = made["paragraph_spans"]
    result, index = [], 0
    for _, paragraphs in lecture.topics:
        first, last = spans[index], spans[index + len(paragraphs) - 1]
        result.append((first[0], last[1]))
        index += len(paragraphs)
    return result


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarise(rows: list[dict[str, Any]], split: str) -> dict[str, Any]:
    chosen = [row for row in rows if row["split"] == split]
    out: dict[str, Any] = {"lectures": [row["name"] for row in chosen]}
    if chosen and "term_recall" in chosen[0]:
        out.update(
            term_recall=_mean([r["term_recall"] for r in chosen]),
            term_precision=_mean([r["term_precision"] for r in chosen]),
            junk_entries=sum(len(r["junk_entries"]) for r in chosen),
            flagged_in_summary=sum(r["flagged_in_summary"] for r in chosen),
            flagged=sum(r["flagged"] for r in chosen),
            topics_in_summary=sum(r["topics_in_summary"] for r in chosen),
            topics=sum(r["topics"] for r in chosen),
            notes_share_max=max(r["notes_share"] for r in chosen),
            analysis_share_max=max(r["analysis_share"] for r in chosen),
        )
    if chosen and "clip_share" in chosen[0]:
        out.update(
            flagged_in_clips=sum(r["flagged_in_clips"] for r in chosen),
            flagged=sum(r["flagged"] for r in chosen),
            flagged_transcribed=sum(r["flagged_transcribed"] for r in chosen),
            clip_share_max=max(r["clip_share"] for r in chosen),
            clip_share_long=max((r["clip_share"] for r in chosen if r["long"]), default=0.0),
            flagged_in_clips_long=sum(r["flagged_in_clips"] for r in chosen if r["long"]),
            flagged_long=sum(r["flagged"] for r in chosen if r["long"]),
            longest_clip=max(r["longest_clip"] for r in chosen),
        )
    return out


def measure(kind: str) -> dict[str, Any]:
    # The first use in a process imports YAKE (and networkx) and loads wordfreq's tables: once
    # per worker, not per job, so it is timed apart and the lectures are timed warm.
    import subprocess
    import sys

    from bench.env import REPO
    from jobs.highlights.analysers.base import AnalysisRequest
    from jobs.highlights.moments import analyse_lecture

    code = (
        "import time; began = time.perf_counter(); "
        "from jobs.highlights.analysers.base import AnalysisRequest; "
        "from jobs.highlights.moments import analyse_lecture; "
        "r = AnalysisRequest(segments=[{'start': 0, 'end': 3, 'text': 'Warm up the analysis.'}]); "
        "analyse_lecture(r.sentences); print(time.perf_counter() - began)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    first_use = float(done.stdout.strip() or "nan")
    warm = AnalysisRequest(segments=[{"start": 0, "end": 3, "text": "Warm up the analysis."}])
    analyse_lecture(warm.sentences)
    judge = judge_notes if kind == "notes" else judge_clips
    rows = [judge(lecture) for lecture in LECTURES]
    return {
        "first_use_seconds": first_use,
        "rows": rows,
        "tuning": summarise(rows, "tuning"),
        "held_out": summarise(rows, "held-out"),
    }
