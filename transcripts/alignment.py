"""Keeping word timings after a person edits a segment's text. No Django.

Words the edit left alone keep their times; replaced or inserted words share the time of what
they replaced (or the gap they were put in), so subtitles and clip captions follow the edit.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PUNCTUATION = re.compile(r"[^\w']+", re.UNICODE)


def _key(token: str) -> str:
    return _PUNCTUATION.sub("", token.lower())


def _spread(tokens: list[str], start: float, end: float) -> list[dict[str, Any]]:
    """Tokens over [start, end], each getting time in proportion to its length."""
    if end <= start:
        end = start + 0.01 * len(tokens)
    weights = [max(1, len(token)) for token in tokens]
    total = sum(weights)
    words, position = [], start
    for token, weight in zip(tokens, weights, strict=True):
        length = (end - start) * weight / total
        words.append(
            {"start": round(position, 3), "end": round(position + length, 3), "word": f" {token}"}
        )
        position += length
    return words


def retime(
    words: Sequence[Mapping[str, Any]], text: str, *, start: float, end: float
) -> list[dict[str, Any]]:
    """Word timings for ``text``, reusing those of ``words`` (the segment's old words)."""
    tokens = text.split()
    if not tokens:
        return []
    if not words:
        return _spread(tokens, start, end)
    old = [str(w["word"]).strip() for w in words]
    matcher = difflib.SequenceMatcher(
        a=[_key(t) for t in old], b=[_key(t) for t in tokens], autojunk=False
    )
    result: list[dict[str, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if j1 == j2:  # words deleted by the edit
            continue
        if tag == "equal":
            for offset in range(j2 - j1):
                source = words[i1 + offset]
                result.append(
                    {
                        "start": source["start"],
                        "end": source["end"],
                        "word": f" {tokens[j1 + offset]}",
                    }
                )
            continue
        if i1 < i2:  # replaced: the new words share the old words' time
            span_start, span_end = float(words[i1]["start"]), float(words[i2 - 1]["end"])
        else:  # inserted: the gap between the neighbours
            span_start = float(words[i1 - 1]["end"]) if i1 > 0 else start
            span_end = float(words[i1]["start"]) if i1 < len(words) else end
        result.extend(_spread(tokens[j1:j2], span_start, span_end))
    return result
