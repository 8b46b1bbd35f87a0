"""Segment selection: the best passages of a lecture as clips, with their long pauses cut out.

Candidates are runs of whole sentences (a sentence ends at a word ending in . ? or !) whose kept
length is between ``min_length`` and ``max_length``. Pauses inside a candidate longer than
``max_pause`` are shortened to ``keep_pause``, so a clip is a list of kept time ranges. Each
candidate is scored by the importance of the topic it belongs to and by its own teaching cues,
and marked down when it straddles two topics or opens on something said earlier; the best
non-overlapping ones are kept.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from typing import Any

from jobs.highlights.text import (
    Sentence,
    describe_cues,
    is_dangling,
    sentence_cue_scores,
    split_sentences,
    timed_words,
)


@dataclass
class Clip:
    start: float  # in the source, seconds; just before the first word
    end: float  # just after the last word
    ranges: list[tuple[float, float]]  # the source time kept, in order; pauses cut between
    duration: float  # seconds of kept time: the clip's length once rendered
    title: str
    reason: str
    score: float
    importance: float  # of the topic it comes from, 0..1
    topic: int | None  # index of that topic
    text: str
    rank: int = 0  # 1 is the best clip

    def to_dict(self) -> dict[str, object]:
        return {
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "ranges": [[round(a, 3), round(b, 3)] for a, b in self.ranges],
            "duration": round(self.duration, 3),
            "title": self.title,
            "reason": self.reason,
            "score": round(self.score, 4),
            "importance": round(self.importance, 3),
            "topic": self.topic,
            "text": self.text,
            "rank": self.rank,
        }


@dataclass
class SelectionResult:
    clips: list[Clip]  # best first
    candidates: int  # how many passages were considered
    settings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "clips": [clip.to_dict() for clip in self.clips],
            "candidates": self.candidates,
            "settings": self.settings,
        }


@dataclass(frozen=True)
class _TopicSpan:
    start: float
    end: float
    title: str
    importance: float


def _topic_spans(topics: Sequence[Any]) -> list[_TopicSpan]:
    spans = []
    for topic in topics:
        get = topic.get if isinstance(topic, Mapping) else lambda name, t=topic: getattr(t, name)
        spans.append(
            _TopicSpan(
                float(get("start")), float(get("end")), str(get("title")), float(get("importance"))
            )
        )
    return sorted(spans, key=lambda span: span.start)


def select_clips(
    segments: Sequence[Any],
    topics: Sequence[Any] = (),
    silences: Sequence[tuple[float, float]] = (),
    *,
    count: int = 5,
    min_length: float = 20.0,
    max_length: float = 120.0,
    max_pause: float = 0.8,
    keep_pause: float = 0.3,
    pad: float = 0.15,
) -> SelectionResult:
    """The ``count`` best clips, ranked, that do not overlap.

    ``segments`` are transcript segments with word timings (objects or dicts); ``topics`` come
    from an analyser (``Topic`` objects or their dicts); ``silences`` from ``detect_silences``.
    Without silences, the gaps between words stand in for them. ``pad`` seconds are kept before
    the first word and after the last, never reaching into a neighbouring word.
    """
    settings = {
        "count": count,
        "min_length": min_length,
        "max_length": max_length,
        "max_pause": max_pause,
        "keep_pause": keep_pause,
    }
    words = timed_words(segments)
    sentences = split_sentences(words)
    if not sentences or count <= 0:
        return SelectionResult([], 0, settings)
    spans = _topic_spans(topics)
    pauses = sorted(silences) if silences else _word_gaps(words)
    # A pause is cut when it is longer than ``max_pause`` and cutting it removes something.
    cuttable = [(a, b) for a, b in pauses if b - a > max(max_pause, keep_pause + 0.05)]
    cut_starts = [a for a, _ in cuttable]
    removed = [0.0, *accumulate(b - a - keep_pause for a, b in cuttable)]
    cue_scores = sentence_cue_scores(sentences)
    cue_prefix = [0.0, *accumulate(cue_scores)]

    def bounds(first: int, last: int) -> tuple[float, float]:
        before = words[sentences[first].first - 1].end if sentences[first].first > 0 else 0.0
        after = (
            words[sentences[last].last + 1].start
            if sentences[last].last + 1 < len(words)
            else sentences[last].end + pad
        )
        start = max(before, sentences[first].start - pad, 0.0)
        end = min(after, sentences[last].end + pad)
        return start, max(end, sentences[last].end)

    def kept(start: float, end: float) -> float:
        # Only pauses wholly inside the clip are cut; the pads at its ends are short anyway.
        low = bisect_left(cut_starts, start)
        high = bisect_right(cut_starts, end)
        while high > low and cuttable[high - 1][1] > end:
            high -= 1
        return end - start - (removed[high] - removed[low])

    candidates: list[tuple[float, int, int, float, float, int | None]] = []
    for first in range(len(sentences)):
        for last in range(first, len(sentences)):
            start, end = bounds(first, last)
            length = kept(start, end)
            if length > max_length:
                break  # longer runs from this first sentence only grow
            if length >= min_length:
                score, topic = _score(sentences, first, last, spans, cue_prefix, start, end, length)
                candidates.append((score, first, last, start, end, topic))

    chosen: list[tuple[float, int, int, float, float, int | None]] = []
    for candidate in sorted(candidates, key=lambda c: (-c[0], c[3])):
        _, _, _, start, end, _ = candidate
        if all(end <= other[3] or start >= other[4] for other in chosen):
            chosen.append(candidate)
            if len(chosen) == count:
                break

    clips = []
    parts: dict[int | None, int] = {}
    for rank, (score, first, last, start, end, topic) in enumerate(chosen, start=1):
        ranges = _ranges(start, end, cuttable, keep_pause)
        group = sentences[first : last + 1]
        span = spans[topic] if topic is not None else None
        parts[topic] = parts.get(topic, 0) + 1
        title = span.title if span else _fallback_title(group)
        if parts[topic] > 1:
            title = f"{title} (part {parts[topic]})"
        clips.append(
            Clip(
                start=round(start, 3),
                end=round(end, 3),
                ranges=ranges,
                duration=round(sum(b - a for a, b in ranges), 3),
                title=title,
                reason=_reason(group, span, spans, start, end),
                score=round(score, 4),
                importance=span.importance if span else 0.5,
                topic=topic,
                text=" ".join(sentence.text for sentence in group),
                rank=rank,
            )
        )
    return SelectionResult(clips, len(candidates), settings)


def _word_gaps(words: Sequence[Any]) -> list[tuple[float, float]]:
    return [(a.end, b.start) for a, b in pairwise(words) if b.start > a.end]


def _score(
    sentences: Sequence[Sentence],
    first: int,
    last: int,
    spans: Sequence[_TopicSpan],
    cue_prefix: Sequence[float],
    start: float,
    end: float,
    length: float,
) -> tuple[float, int | None]:
    """The score and the main topic's index of the passage from ``first`` to ``last``."""
    overlaps = [(max(0.0, min(end, s.end) - max(start, s.start)), i) for i, s in enumerate(spans)]
    overlaps = [(seconds, index) for seconds, index in overlaps if seconds > 0]
    if overlaps:
        covered = sum(seconds for seconds, _ in overlaps)
        importance = sum(spans[i].importance * seconds for seconds, i in overlaps) / covered
        _, topic = max(overlaps)
        main = spans[topic]
        # How much of its topic the clip tells: a whole explanation beats a fragment of one.
        coverage = min(1.0, (min(end, main.end) - max(start, main.start)) / (main.end - main.start))
        # Topic starts strictly inside the clip: it runs from one subject into the next.
        crossings = sum(1 for s in spans if start + 1.0 < s.start < end - 1.0)
    else:
        importance, topic, coverage, crossings = 0.5, None, 0.0, 0
    cues = cue_prefix[last + 1] - cue_prefix[first]
    cue_part = 1.0 - math.exp(-cues / 1.5)
    fit = 1.0 if 30.0 <= length <= 90.0 else max(0.0, 1.0 - abs(length - 60.0) / 60.0)
    score = 0.45 * importance + 0.35 * cue_part + 0.1 * coverage + 0.1 * fit
    score -= 0.25 * crossings
    if is_dangling(sentences[first].text):
        score -= 0.2
    return score, topic


def _ranges(
    start: float, end: float, cuttable: Sequence[tuple[float, float]], keep: float
) -> list[tuple[float, float]]:
    """[start, end] minus the middle of each long pause inside it (``keep`` seconds remain)."""
    ranges = []
    position = start
    for a, b in cuttable:
        if a < start or b > end:
            continue
        cut_from, cut_to = a + keep / 2, b - keep / 2
        ranges.append((round(position, 3), round(cut_from, 3)))
        position = cut_to
    ranges.append((round(position, 3), round(end, 3)))
    return ranges


def _reason(
    group: Sequence[Sentence],
    span: _TopicSpan | None,
    spans: Sequence[_TopicSpan],
    start: float,
    end: float,
) -> str:
    found = describe_cues(sentence.text for sentence in group)
    parts = []
    if found:
        parts.append(_sentence_case(", ".join(found)))
    if span is not None:
        parts.append(f"from “{span.title}” (importance {span.importance:.2f})")
    if any(start + 1.0 < s.start < end - 1.0 for s in spans):
        parts.append("runs across a topic change")
    elif is_dangling(group[0].text):
        parts.append("opens on something said earlier")
    else:
        parts.append("stands on its own")
    text = "; ".join(parts)
    return _sentence_case(text) + "."


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _fallback_title(group: Sequence[Sentence]) -> str:
    words = group[0].text.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
