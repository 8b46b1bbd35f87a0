"""Clip selection: the lecture's stand-out moments, each as a clip of the thought around it.

Highlights are moments, not chapters. The moments come from the one analysis of the lecture that
the study notes read too (``moments.analyse_lecture``): a signposted sentence ("the most
important point", "remember this for the exam", "a common mistake"), a worked example, a question
to the audience and its answer, the definition of a key term. Each clip starts at the sentence
that sets its moment up (the one before, when the moment leans on it: "This process is called
subduction") and ends when the thought ends (at a long pause, a new topic, or once the next
sentence no longer carries it on), 20 to 60 seconds by default. Clips are ranked by their
moment's strength; the reason shown is the moment's own words. A lecture with no moment at all
gets the most central sentence of its most important topic.

Pauses inside a clip longer than ``max_pause`` are shortened to ``keep_pause``, so a clip is a
list of kept time ranges. Clips never overlap, never cross a topic change, and together take at
most ``share`` of the lecture.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from typing import Any

from jobs.highlights.emphasis import label
from jobs.highlights.keyterms import term_pattern
from jobs.highlights.moments import LectureAnalysis, Moment, analyse_lecture
from jobs.highlights.text import Sentence, split_sentences, timed_words


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
    count: int = 12,
    min_length: float = 20.0,
    max_length: float = 60.0,
    max_pause: float = 0.8,
    keep_pause: float = 0.3,
    pad: float = 0.15,
    share: float = 0.25,
    language: str = "en",
    slide_texts: Sequence[str] = (),
    analysis: LectureAnalysis | None = None,
) -> SelectionResult:
    """At most ``count`` clips of the lecture's stand-out moments, ranked, that do not overlap
    and together take at most ``share`` of the lecture.

    ``segments`` are transcript segments with word timings (objects or dicts); ``topics`` come
    from an analyser (``Topic`` objects or their dicts); ``silences`` from ``detect_silences``.
    Without silences, the gaps between words stand in for them. ``pad`` seconds are kept before
    the first word and after the last, never reaching into a neighbouring word. ``analysis`` is
    the lecture's analysis when the caller has it already (else made here from ``language`` and
    ``slide_texts``).
    """
    settings = {
        "count": count,
        "min_length": min_length,
        "max_length": max_length,
        "max_pause": max_pause,
        "keep_pause": keep_pause,
        "share": share,
    }
    words = timed_words(segments)
    sentences = split_sentences(words)
    if not sentences or count <= 0:
        return SelectionResult([], 0, settings)
    if analysis is None or len(analysis.sentences) != len(sentences):
        analysis = analyse_lecture(sentences, language=language, slide_texts=slide_texts)
    spans = _topic_spans(topics)
    pauses = sorted(silences) if silences else _word_gaps(words)
    # A pause is cut when it is longer than ``max_pause`` and cutting it removes something.
    cuttable = [(a, b) for a, b in pauses if b - a > max(max_pause, keep_pause + 0.05)]
    cut_starts = [a for a, _ in cuttable]
    removed = [0.0, *accumulate(b - a - keep_pause for a, b in cuttable)]

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

    def length(first: int, last: int) -> float:
        return kept(*bounds(first, last))

    def topic_of(index: int) -> int | None:
        middle = (sentences[index].start + sentences[index].end) / 2
        found = None
        for position, span in enumerate(spans):
            if span.start <= middle + 0.5:
                found = position
        return found

    topic_index = [topic_of(i) for i in range(len(sentences))]
    starts_topic = {i for i in range(1, len(sentences)) if topic_index[i] != topic_index[i - 1]}
    moments = list(analysis.moments) or _central_moments(analysis, topic_index, spans)
    thought = _Thought(sentences, starts_topic, length, min_length, max_length, language)
    budget = share * max(sentences[-1].end - sentences[0].start, 1.0)

    chosen: list[list[Any]] = []  # [first, last, score, moment, extra moments]
    used = 0.0
    for moment in moments:
        if len(chosen) >= count:
            break
        holder = next((c for c in chosen if c[0] <= moment.index <= c[1]), None)
        if holder is not None:
            holder[4].append(moment)  # already inside a clip: it adds to that clip's strength
            continue
        first, last = thought.around(moment)
        for other in chosen:  # stop short of the clips already chosen
            if other[1] < moment.index:
                first = max(first, other[1] + 1)
            elif other[0] > moment.last:
                last = min(last, other[0] - 1)
        last = max(last, moment.index)
        if first > moment.index:
            continue
        seconds = length(first, last)
        if seconds < min(min_length, 10.0) or (used + seconds > budget and chosen):
            continue
        chosen.append([first, last, moment.strength, moment, []])
        used += seconds

    for clip in chosen:
        clip[2] = clip[3].strength + 0.1 * sum(extra.strength for extra in clip[4][:3])
    chosen.sort(key=lambda c: (-c[2], c[0]))
    clips = []
    parts: dict[int | None, int] = {}
    for rank, (first, last, score, moment, _) in enumerate(chosen, start=1):
        start, end = bounds(first, last)
        ranges = _ranges(start, end, cuttable, keep_pause)
        group = sentences[first : last + 1]
        topic = topic_index[moment.index]
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
                reason=_reason(moment, sentences),
                score=round(score, 4),
                importance=span.importance if span else 0.5,
                topic=topic,
                text=" ".join(sentence.text for sentence in group),
                rank=rank,
            )
        )
    return SelectionResult(clips, len(moments), settings)


# Openings that carry on the sentence before (the thought goes on), per language.
_CARRIES_ON = {
    "en": r"^(?:and|but|so|because|which|or|also|then|that|this|these|those|it|they|its|their|"
    r"here|there|such|thus|hence|therefore|instead|otherwise|now|each|both|in other words|that "
    r"is|for (?:example|instance)|the answer|only|yes|no)\b",
    "de": r"^(?:und|aber|also|denn|das|dies|diese[rsnm]?|es|sie|dann|deshalb|daher|dabei|dafür|"
    r"zum beispiel|außerdem|zusätzlich)\b",
    "fr": r"^(?:et|mais|donc|car|ce|cela|ceci|cette|ces|il|elle|ils|elles|alors|ainsi|par "
    r"exemple|c'est|en effet)\b",
    "es": r"^(?:y|pero|así|porque|esto|esta|este|estos|eso|ella|ellos|entonces|por ejemplo)\b",
}
# Moments whose sentence announces what follows ("Let us work through an example.").
_ANNOUNCING = {"example", "question"}


class _Thought:
    """Where the thought around a moment begins and ends."""

    def __init__(
        self,
        sentences: Sequence[Sentence],
        starts_topic: set[int],
        length: Any,
        min_length: float,
        max_length: float,
        language: str,
    ) -> None:
        self.sentences = sentences
        self.starts_topic = starts_topic
        self.length = length
        self.min_length = min_length
        self.max_length = max_length
        self.ideal = min(max_length, max(min_length, 40.0))
        code = (language or "en")[:2]
        self.carries_on = re.compile(_CARRIES_ON.get(code, _CARRIES_ON["en"]), re.IGNORECASE)

    def gap(self, index: int) -> float:
        """The pause before sentence ``index``."""
        return self.sentences[index].start - self.sentences[index - 1].end

    def leans_back(self, index: int) -> bool:
        return bool(self.carries_on.match(self.sentences[index].text.lstrip(" \"'“")))

    def around(self, moment: Moment) -> tuple[int, int]:
        n = len(self.sentences)
        first, last = moment.index, moment.last
        # The set-up: the sentence before, while the first one leans on it (two at most).
        for _ in range(2):
            if first == 0 or first in self.starts_topic or not self.leans_back(first):
                break
            if self.length(first - 1, last) > self.max_length:
                break
            first -= 1
        # The thought goes on while the next sentence carries it on (or the moment announced
        # it), without a long pause or a new topic, up to the ideal length.
        announcing = moment.kind in _ANNOUNCING or len(self.sentences[moment.last].text.split()) < 8
        while last + 1 < n and last + 1 not in self.starts_topic and self.gap(last + 1) < 1.2:
            wanted = self.length(first, last) < self.min_length or self.leans_back(last + 1)
            wanted = wanted or (announcing and last - moment.last < 3)
            if not wanted or self.length(first, last + 1) > self.ideal:
                break
            last += 1
        # Still short: the sentences around it, forward then back, within the topic.
        while self.length(first, last) < self.min_length:
            if (
                last + 1 < n
                and last + 1 not in self.starts_topic
                and (self.length(first, last + 1) <= self.max_length)
            ):
                last += 1
            elif (
                first > 0
                and first not in self.starts_topic
                and (self.length(first - 1, last) <= self.max_length)
            ):
                first -= 1
            else:
                break
        # Too long (one very long sentence after another): cut the ends, never the moment.
        while self.length(first, last) > self.max_length and last > moment.last:
            last -= 1
        while self.length(first, last) > self.max_length and first < moment.index:
            first += 1
        return first, last


def _central_moments(
    analysis: LectureAnalysis, topic_index: list[int | None], spans: Sequence[_TopicSpan]
) -> list[Moment]:
    """No moment stands out: the sentence holding the most key terms in each topic, ranked by
    the topic's importance."""
    patterns = [term_pattern(term.term) for term in analysis.terms[:20]]
    best: dict[int | None, tuple[int, int]] = {}
    for index, sentence in enumerate(analysis.sentences):
        held = sum(1 for pattern in patterns if pattern.search(sentence.text))
        topic = topic_index[index]
        if topic not in best or held > best[topic][0]:
            best[topic] = (held, index)
    moments = []
    for topic, (_, index) in best.items():
        importance = spans[topic].importance if topic is not None else 0.5
        moments.append(Moment("central", 0.3 * importance, index))
    return sorted(moments, key=lambda m: (-m.strength, m.index))


def _word_gaps(words: Sequence[Any]) -> list[tuple[float, float]]:
    return [(a.end, b.start) for a, b in pairwise(words) if b.start > a.end]


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


def _reason(moment: Moment, sentences: Sequence[Sentence]) -> str:
    """The moment's own words, after what kind of moment it is."""
    said = " ".join(sentences[moment.index].text.split())
    if moment.answer is not None:
        said += " " + " ".join(sentences[moment.answer].text.split())
    if len(said) > 240:
        said = said[:239].rsplit(" ", 1)[0] + "…"
    kind = "A central sentence" if moment.kind == "central" else label(moment.kind)
    if moment.kind == "definition" and moment.term:
        kind = f"The definition of “{moment.term}”"
    return f"{kind}: “{said}”."


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _fallback_title(group: Sequence[Sentence]) -> str:
    words = group[0].text.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
