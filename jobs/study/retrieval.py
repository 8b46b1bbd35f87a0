"""Passages for a question, from the lines the full-text index matched. No Django.

The index (FTS5's BM25 on SQLite, ``ts_rank`` on PostgreSQL) scores single lines, and a line is
one sentence: too little to answer from, and the words of a question are often spread over the
two or three sentences around the answer. So matched lines close together in one transcript are
joined into a passage with a line of context either side, and passages are ranked by their lines'
scores weighted by how many of the question's words the passage holds as a whole.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jobs.highlights.text import STOPWORDS, stem

MAX_WORDS = 12
# Words that make a sentence a question but say nothing about what it asks.
_QUESTION_TEXT = """what which who whom whose when where why how does did do is are was were can
    could would should will explain describe define tell give mean meaning means happen happens
    happened lecture lecturer recording talk said say example difference between"""
_QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
_WORD = re.compile(r"[^\W\d_][\w'-]*|\d+", re.UNICODE)


def query_words(question: str) -> list[str]:
    """The words of ``question`` worth looking up, in order, each once (by stem)."""
    words: list[str] = []
    seen: set[str] = set()
    for match in _WORD.finditer(question.lower()):
        word = match.group().strip("'-")
        if len(word) < 2 or word in STOPWORDS or word in _QUESTION_WORDS:
            continue
        key = stem(word)
        if key not in seen:
            seen.add(key)
            words.append(word)
    return words[:MAX_WORDS]


@dataclass(frozen=True)
class Line:
    """One stored line (segment) of a transcript."""

    transcript: int  # the transcript's id
    index: int
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Window:
    """Lines ``first``..``last`` of one transcript, around matched lines."""

    transcript: int
    first: int
    last: int
    score: float
    best: int  # the index of its best-scoring matched line


@dataclass(frozen=True)
class Passage:
    transcript: int
    first: int
    last: int
    start: float
    end: float
    text: str
    moment: float  # where to play from: the start of its best matched line
    score: float
    coverage: float  # the share of the question's words it holds

    def contains(self, seconds: float) -> bool:
        return self.start <= seconds <= self.end


def windows(
    hits: Iterable[tuple[Line, float]], *, context: int = 1, max_lines: int = 7, limit: int = 10
) -> list[Window]:
    """Matched lines (with their scores, higher better) joined into windows, best first.

    Lines of one transcript at most ``2 * context + 1`` apart join one window; a window keeps
    ``context`` lines either side and at most ``max_lines`` lines (a longer run of matches is
    cut into several windows).
    """
    by_transcript: dict[int, list[tuple[Line, float]]] = defaultdict(list)
    for line, score in hits:
        by_transcript[line.transcript].append((line, score))
    groups: list[list[tuple[Line, float]]] = []
    for matched in by_transcript.values():
        matched.sort(key=lambda pair: pair[0].index)
        group: list[tuple[Line, float]] = []
        for line, score in matched:
            apart = bool(group) and line.index - group[-1][0].index > 2 * context + 1
            too_long = bool(group) and line.index - group[0][0].index + 1 + 2 * context > max_lines
            if apart or too_long:
                groups.append(group)
                group = []
            group.append((line, score))
        groups.append(group)
    found = [
        Window(
            transcript=group[0][0].transcript,
            first=max(0, group[0][0].index - context),
            last=group[-1][0].index + context,
            score=sum(score for _, score in group),
            best=max(group, key=lambda pair: pair[1])[0].index,
        )
        for group in groups
        if group
    ]
    found.sort(key=lambda window: -window.score)
    return found[:limit]


def passages(
    question: str, found: Sequence[Window], lines: Iterable[Line], *, limit: int = 5
) -> list[Passage]:
    """The windows as passages of text, ranked by score times the question's words they hold."""
    by_key = {(line.transcript, line.index): line for line in lines}
    wanted = {stem(word) for word in query_words(question)}
    result = []
    for window in found:
        kept = [
            by_key[(window.transcript, index)]
            for index in range(window.first, window.last + 1)
            if (window.transcript, index) in by_key
        ]
        if not kept:
            continue  # not the asker's, or gone since the index was read
        text = " ".join(line.text.strip() for line in kept)
        present = {stem(w) for w in _WORD.findall(text.lower())}
        coverage = len(wanted & present) / len(wanted) if wanted else 0.0
        best = by_key.get((window.transcript, window.best), kept[0])
        result.append(
            Passage(
                transcript=window.transcript,
                first=kept[0].index,
                last=kept[-1].index,
                start=kept[0].start,
                end=max(line.end for line in kept),
                text=text,
                moment=best.start,
                score=window.score * (0.25 + coverage),
                coverage=coverage,
            )
        )
    result.sort(key=lambda passage: -passage.score)
    return result[:limit]
