"""Study: question latency over 1,000 stored 30-minute transcripts, and what the notes stage costs.

One user owns 1,000 transcripts of 30 minutes each (the worst case for the owner filter: every
line is theirs). 994 are filler: sentences of 8 to 22 words drawn from the English Whisper
vocabulary with Zipf weights (so that common words such as "water", "light" or "energy" match
thousands of lines, as in real lectures); the other 6 are the six known lectures of
tests/study/corpus.py, each padded with filler to 30 minutes. The 36 questions of that corpus
(tuning and held-out) are asked of all the lectures and of their own lecture, five times each:
the figures are the retrieval (``question_passages``: the full-text query, the lines around the
matches, the ranking) and the whole ask without a model (``question_ask``: retrieval, the
extractive answer, the question's row). Hit rate: the right topic in the top three, at this scale.

The notes stage is timed on a 30-minute transcript of the corpus' lecture sentences (with
word timings, no topics given, so the local analyser runs too, as for an audio-only job) and
divided by what transcribing 30 minutes takes at the realtime factor the transcription section
measured (its model, tiny.en, is the bench's; the app's default, base, is slower, which makes
the share smaller).

The notes themselves are judged on the eight spoken lectures of bench/lectures.py (issue 26:
terms, flagged sentences and topics in the summary, time against their own transcription),
tuning and held-out halves apart; see bench/judge.py.
"""

from __future__ import annotations

import json
import random
import time
from itertools import accumulate
from typing import Any

from bench.env import REPO
from bench.stats import Series, percentile, timed

COMMAND = ".venv/bin/python -m bench.run --only study"
TRANSCRIPTS = 1000
MINUTES = 30
WORD_SECONDS = 0.4  # 150 words a minute
REPEATS = 5


def _vocabulary() -> tuple[list[str], list[float]]:
    from jobs.highlights.vocabulary import word_ranks

    ranks = word_ranks()
    words = sorted((rank, word.lower()) for word, rank in ranks.items() if word.isalpha())
    seen: set[str] = set()
    vocabulary = []
    for _, word in words:
        if word not in seen:
            seen.add(word)
            vocabulary.append(word)
    vocabulary = vocabulary[:20000]
    weights = [1.0 / (rank + 10) for rank in range(len(vocabulary))]  # Zipf, flattened at the top
    return vocabulary, list(accumulate(weights))  # cumulative: random.choices sums them otherwise


def _filler(rng: random.Random, vocabulary: list[str], weights: list[float], n: int) -> list[str]:
    sentences = []
    for _ in range(n):
        words = rng.choices(vocabulary, cum_weights=weights, k=rng.randint(8, 22))
        sentences.append(" ".join(words).capitalize() + ".")
    return sentences


def _segments(sentences: list[str], *, words_timed: bool) -> list[dict[str, Any]]:
    segments, position = [], 0.0
    for text in sentences:
        tokens = text.split()
        start = position
        words = []
        for token in tokens:
            if words_timed:
                words.append({"start": position, "end": position + WORD_SECONDS * 0.9,
                              "word": " " + token, "probability": 0.9})  # fmt: skip
            position += WORD_SECONDS
        segments.append({"start": start, "end": position - 0.04, "text": text, "words": words})
        position += 0.3
    return segments


def _lines_for(seconds: float) -> int:
    return int(seconds / (15 * WORD_SECONDS + 0.3))  # a line averages 15 words


def _store(owner: Any, title: str, sentences: list[str]) -> Any:
    from jobs.models import Job
    from transcripts.models import Segment, Transcript

    segments = _segments(sentences, words_timed=False)
    duration = segments[-1]["end"]
    job = Job.objects.create(
        owner=owner, title=title, status=Job.Status.SUCCEEDED, stage=Job.Stage.DONE,
        progress=100, duration=duration,
    )  # fmt: skip
    transcript = Transcript.objects.create(job=job, language="en", duration=duration)
    Segment.objects.bulk_create(
        [
            Segment(transcript=transcript, index=i, start=s["start"], end=s["end"], text=s["text"])
            for i, s in enumerate(segments)
        ],
        batch_size=1000,
    )
    return job


def measure(repeats: int = REPEATS) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from jobs.study.notes import make_notes
    from jobs.study.selectors import question_passages
    from jobs.study.services import question_ask
    from tests.study.corpus import HELD_OUT, LECTURES, TUNING, lecture_segments

    rng = random.Random(19)
    vocabulary, weights = _vocabulary()
    user = get_user_model().objects.create_user("bench-study", "study@example.com", "x")
    lines = _lines_for(MINUTES * 60)

    began = time.perf_counter()
    known: dict[str, tuple[Any, dict[str, tuple[float, float]]]] = {}
    with transaction.atomic():
        for number in range(TRANSCRIPTS - len(LECTURES)):
            _store(user, f"Filler lecture {number}", _filler(rng, vocabulary, weights, lines))
        for title, topics in LECTURES.items():
            own, spans = lecture_segments(topics)
            own_sentences = [s["text"] for s in own]
            # The known lecture first, then filler to 30 minutes: spans stay where they were
            # (lecture_segments leaves pauses between topics; _store times lines evenly, so the
            # spans are taken from the stored lines below).
            sentences = own_sentences + _filler(rng, vocabulary, weights, lines - len(own))
            job = _store(user, title, sentences)
            known[title] = (job, _spans(job, topics))
    stored_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM transcripts_segment")
        (segment_count,) = cursor.fetchone()

    questions = [*TUNING, *HELD_OUT]
    retrieval: dict[str, list[float]] = {"all": [], "one": []}
    asking: list[float] = []
    hits = {"all": 0, "one": 0}
    for attempt in range(repeats):
        for question, lecture, topic in questions:
            job, spans = known[lecture]
            start, end = spans[topic]
            for scope in ("all", "one"):
                began = time.perf_counter()
                found = question_passages(
                    user, question, job=job if scope == "one" else None, limit=5
                )
                seconds = time.perf_counter() - began
                retrieval[scope].append(seconds)
                if attempt == 0 and any(
                    f.job.pk == job.pk and start <= f.passage.moment <= end for f in found[:3]
                ):
                    hits[scope] += 1
            began = time.perf_counter()
            question_ask(user=user, question=question)
            seconds = time.perf_counter() - began
            asking.append(seconds)

    # The notes stage on 30 minutes of the corpus' sentences, word-timed, no topics given.
    pool = [s for topics in LECTURES.values() for _, sentences in topics for s in sentences]
    thirty = [pool[i % len(pool)] for i in range(lines)]
    rng.shuffle(thirty)
    segments = _segments(thirty, words_timed=True)
    notes_times = []
    notes = None
    for _ in range(repeats):
        seconds, notes = timed(lambda: make_notes(segments, title="Thirty minutes"))
        notes_times.append(seconds)
    realtime = _transcription_realtime()
    transcription_seconds = MINUTES * 60 / realtime if realtime else None
    notes_median = Series(notes_times).median

    def latency(values: list[float]) -> dict[str, float]:
        return {
            "p50_ms": 1000 * percentile(values, 50),
            "p95_ms": 1000 * percentile(values, 95),
            "max_ms": 1000 * max(values),
            "n": len(values),
        }

    from bench import judge

    lectures = judge.measure("notes")
    return {
        "command": COMMAND,
        "lectures": lectures,
        "transcripts": TRANSCRIPTS,
        "minutes_each": MINUTES,
        "segments": segment_count,
        "store_seconds": stored_seconds,
        "questions": len(questions),
        "repeats": repeats,
        "retrieval_all": latency(retrieval["all"]),
        "retrieval_one": latency(retrieval["one"]),
        "ask_all": latency(asking),
        "hit_rate_all": hits["all"] / len(questions),
        "hit_rate_one": hits["one"] / len(questions),
        "notes_seconds": Series(notes_times).to_dict(),
        "notes_lines": len(segments),
        "notes_items": _counts(notes),
        "transcription_realtime": realtime,
        "transcription_seconds": transcription_seconds,
        "notes_share": notes_median / transcription_seconds if transcription_seconds else None,
    }


def _counts(notes: Any) -> dict[str, int]:
    if notes is None:
        return {}
    return {
        "summary": len(notes.summary),
        "points": len(notes.points),
        "glossary": len(notes.glossary),
        "questions": len(notes.questions),
    }


def _spans(job: Any, topics: list[tuple[str, list[str]]]) -> dict[str, tuple[float, float]]:
    lines = list(job.transcript.segments.order_by("index").values_list("start", "end"))
    spans, first = {}, 0
    for name, sentences in topics:
        last = first + len(sentences) - 1
        spans[name] = (lines[first][0], lines[last][1])
        first = last + 1
    return spans


def _transcription_realtime() -> float | None:
    """The job's realtime factor the transcription section last measured (bench/results.json)."""
    try:
        results = json.loads((REPO / "bench" / "results.json").read_text())
        return float(results["sections"]["transcription"]["job_realtime"])
    except (OSError, KeyError, TypeError, ValueError):
        return None
