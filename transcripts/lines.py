"""Transcript lines a reader can work with: one sentence each, long sentences cut at a clause.

Whisper's segments run up to 30 s (a paragraph); on the page such a segment is a wall of text that
is slow to seek in and clumsy to correct. Each segment is cut, by its word timings, after every
sentence end, and a sentence longer than ``MAX_CHARS`` is cut again at the clause mark (or the
longest pause) nearest its middle. No word is lost, doubled or moved: the lines' words are the
segment's, in order. No Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SENTENCE_END = re.compile(r"[.!?…。！？]['\"’”)\]»]*$")
CLAUSE_END = re.compile(r"[,;:–—、，；：]['\"’”)\]»]*$")
# Two subtitle cues' worth of text: longer, and a line is no longer quick to read and correct.
MAX_CHARS = 120
# Words whose full stop ends no sentence.
_ABBREVIATIONS = frozenset(
    [
        "mr.",
        "mrs.",
        "ms.",
        "dr.",
        "prof.",
        "st.",
        "vs.",
        "etc.",
        "e.g.",
        "i.e.",
        "cf.",
        "no.",
        "fig.",
        "approx.",
        "ca.",
        "jr.",
        "sr.",
    ]
)


def _text(words: Sequence[Mapping[str, Any]]) -> str:
    return "".join(str(word.get("word", "")) for word in words).strip()


def _ends_sentence(words: Sequence[Mapping[str, Any]], index: int) -> bool:
    word = str(words[index].get("word", "")).strip()
    if not SENTENCE_END.search(word) or word.lower() in _ABBREVIATIONS:
        return False
    if index + 1 == len(words):
        return True
    following = str(words[index + 1].get("word", "")).strip()
    # "3.5" or "e.g." never end here; a sentence is followed by a capital, a digit or a quote.
    return bool(following) and not following[0].islower()


def _sentences(words: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    pieces: list[list[Mapping[str, Any]]] = [[]]
    for index, word in enumerate(words):
        pieces[-1].append(word)
        if _ends_sentence(words, index) and index + 1 < len(words):
            pieces.append([])
    return [piece for piece in pieces if piece]


def _halves(words: list[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """A too-long sentence cut in two at the best place near its middle, recursively."""
    if len(_text(words)) <= MAX_CHARS or len(words) < 4:
        return [words]
    lengths = [len(str(word.get("word", ""))) for word in words]
    total = sum(lengths)
    best, best_score, done = 1, float("inf"), lengths[0]
    for index in range(1, len(words) - 2):  # a cut after words[index]: 2 words or more a side
        done += lengths[index]
        word = str(words[index].get("word", "")).strip()
        pause = float(words[index + 1].get("start") or 0) - float(words[index].get("end") or 0)
        score = (
            abs(done / total - 0.5)  # 0 in the middle
            - (0.3 if CLAUSE_END.search(word) else 0.0)
            - 0.3 * min(max(pause, 0.0), 1.0)
        )
        if score < best_score:
            best, best_score = index, score
    return _halves(words[: best + 1]) + _halves(words[best + 1 :])


def _piece(
    segment: Mapping[str, Any], words: list[Mapping[str, Any]], first: bool, last: bool
) -> dict:
    start = segment.get("start") if first else words[0].get("start")
    end = segment.get("end") if last else words[-1].get("end")
    return {
        **segment,
        "start": float(start if start is not None else segment.get("start") or 0.0),
        "end": float(end if end is not None else segment.get("end") or 0.0),
        "text": _text(words),
        "words": [dict(word) for word in words],
    }


def in_lines(segments: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The segments (dicts with their ``words``) cut into sentence lines; a segment without word
    timings stays whole, since it cannot be cut in time."""
    out: list[dict[str, Any]] = []
    for segment in segments:
        words = list(segment.get("words") or [])
        if len(words) < 2:
            out.append(dict(segment))
            continue
        parts = [half for sentence in _sentences(words) for half in _halves(sentence)]
        if len(parts) == 1:
            out.append(dict(segment))
            continue
        out.extend(
            _piece(segment, part, index == 0, index == len(parts) - 1)
            for index, part in enumerate(parts)
        )
    return out
