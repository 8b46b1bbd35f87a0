"""The offline analyser: lexical-cohesion topic segmentation and cue-phrase importance.

Topic boundaries follow TextTiling (Hearst, 1997) over sentences: where the vocabulary of the
sentences before a gap and after it stops overlapping, the lecture has moved on. Lectures give two
more clues that text alone lacks, and both are added to the score of a gap: a long pause (the
lecturer stops to change subject) and a slide change next to it.

Importance is teaching value, read from cue phrases ("is called", "for example", "the key point",
"remember that", "in summary"), from how focused the passage's vocabulary is, and lowered for
passages that lean on what came before ("as I said before").
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import pairwise
from statistics import median

from jobs.highlights.analysers.base import AnalysisRequest, AnalysisResult, Availability, Topic
from jobs.highlights.keyterms import KeyTerm, key_terms, term_pattern
from jobs.highlights.text import (
    STOPWORDS,
    Sentence,
    content_tokens,
    cosine,
    describe_cues,
    is_dangling,
    sentence_cue_scores,
    stem,
)


class LocalAnalyser:
    name = "local"

    def __init__(
        self,
        *,
        min_topic: float = 30.0,
        window: float = 20.0,
        long_pause: float = 2.0,
        pause_weight: float = 0.35,
        slide_weight: float = 0.35,
        slide_tolerance: float = 3.0,
        terms: Sequence[KeyTerm] | None = None,
    ) -> None:
        self.min_topic = min_topic  # seconds: no topic shorter than this is split off
        self.window = window  # seconds of speech compared on each side of a gap
        self.long_pause = long_pause  # a pause this long counts as full boundary evidence
        self.pause_weight = pause_weight
        self.slide_weight = slide_weight
        self.slide_tolerance = slide_tolerance
        self.terms = terms  # the lecture's key terms when the caller has them (the notes do)

    def available(self) -> Availability:
        return Availability(True, "Runs offline on the transcript; always available.")

    def analyse(self, request: AnalysisRequest) -> AnalysisResult:
        sentences = request.sentences
        if not sentences:
            return AnalysisResult(topics=[], analyser=self.name, model="texttiling")
        starts = [0, *self.boundaries(request)]
        groups = [
            sentences[first:last]
            for first, last in zip(starts, [*starts[1:], len(sentences)], strict=True)
        ]
        document_frequency: Counter[str] = Counter()
        for group in groups:
            document_frequency.update({term for s in group for term, _ in content_tokens(s.text)})
        # Topic names from the lecture's key terms (YAKE, weighted by rarity): the terms most
        # concentrated in the topic, not its most frequent words.
        terms = self.terms
        if terms is None:
            terms = key_terms(sentences, language=request.language)
        everywhere = " ".join(sentence.text for sentence in sentences)
        topics = [
            _describe(group, document_frequency, len(groups), terms, request.language, everywhere)
            for group in groups
        ]
        return AnalysisResult(topics=topics, analyser=self.name, model="texttiling")

    def boundaries(self, request: AnalysisRequest) -> list[int]:
        """Indices of the sentences that start a new topic (never 0), in order."""
        sentences = request.sentences
        if len(sentences) < 4 or request.end - sentences[0].start < 2 * self.min_topic:
            return []
        scores = self._gap_scores(request)
        mean = sum(scores) / len(scores)
        spread = math.sqrt(sum((score - mean) ** 2 for score in scores) / len(scores))
        threshold = mean + 0.5 * spread
        chosen: list[int] = []
        for gap in sorted(range(len(scores)), key=scores.__getitem__, reverse=True):
            if scores[gap] < threshold:
                break
            boundary = gap + 1
            candidate = sorted([*chosen, boundary])
            edges = [sentences[0].start, *(sentences[b].start for b in candidate), request.end]
            if all(b - a >= self.min_topic for a, b in pairwise(edges)):
                chosen = candidate
        return chosen

    def _gap_scores(self, request: AnalysisRequest) -> list[float]:
        sentences = request.sentences
        terms = [Counter(term for term, _ in content_tokens(s.text)) for s in sentences]
        typical = median(max(0.5, s.duration) for s in sentences)
        block = max(2, min(8, round(self.window / typical)))
        similarity = []
        for gap in range(len(sentences) - 1):
            left: Counter[str] = Counter()
            right: Counter[str] = Counter()
            for counter in terms[max(0, gap - block + 1) : gap + 1]:
                left.update(counter)
            for counter in terms[gap + 1 : gap + 1 + block]:
                right.update(counter)
            similarity.append(cosine(left, right))
        smoothed = [
            (similarity[max(0, i - 1)] + 2 * value + similarity[min(len(similarity) - 1, i + 1)])
            / 4
            for i, value in enumerate(similarity)
        ]
        scores = []
        for gap in range(len(smoothed)):
            depth = _depth(smoothed, gap)
            before, after = sentences[gap], sentences[gap + 1]
            pause = _pause_length(request.silences, before.end, after.start)
            slide = any(
                before.end - self.slide_tolerance <= change <= after.start + self.slide_tolerance
                for change in request.slide_changes
            )
            scores.append(
                depth
                + self.pause_weight * min(1.0, pause / self.long_pause)
                + self.slide_weight * slide
            )
        return scores


def _depth(values: Sequence[float], index: int) -> float:
    """TextTiling's depth score: how far the similarity dips below the peaks on both sides."""
    left = values[index]
    for value in reversed(values[:index]):
        if value < left:
            break
        left = value
    right = values[index]
    for value in values[index + 1 :]:
        if value < right:
            break
        right = value
    return (left - values[index]) + (right - values[index])


def _pause_length(silences: Sequence[tuple[float, float]], start: float, end: float) -> float:
    """Seconds of detected silence around the gap between two sentences (the word gap without).

    ``silences`` are sorted and do not overlap, so only the few that can touch the gap are read.
    """
    if not silences:
        return max(0.0, end - start)
    low, high = start - 0.3, end + 0.3
    first = max(0, bisect_right(silences, (low, low)) - 1)
    total = 0.0
    for a, b in silences[first:]:
        if a >= high:
            break
        total += max(0.0, min(high, b) - max(low, a))
    return total


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def _phrases(text: str) -> list[tuple[tuple[str, ...], str]]:
    """Two-word terms ("French revolution") and "X of (a) Y" terms ("volume of a cube")."""
    words = [match.group() for match in _WORD.finditer(text)]

    def content(word: str) -> bool:
        return len(word) > 2 and word.lower() not in STOPWORDS

    found = []
    for index, word in enumerate(words):
        if not content(word):
            continue
        if index + 1 < len(words) and content(words[index + 1]):
            pair = (word, words[index + 1])
            found.append((tuple(stem(w.lower()) for w in pair), " ".join(pair)))
        if index + 2 < len(words) and words[index + 1].lower() == "of":
            tail = 2
            if words[index + 2].lower() in {"a", "an", "the"} and index + 3 < len(words):
                tail = 3
            if content(words[index + tail]):
                surface = " ".join(words[index : index + tail + 1])
                found.append(((stem(word.lower()), stem(words[index + tail].lower())), surface))
    return found


def _named(group: Sequence[Sentence], terms: Sequence[KeyTerm], everywhere: str) -> str:
    """One or two key terms most concentrated in ``group`` ("Subduction and plate boundary")."""
    text = " ".join(sentence.text for sentence in group)
    scored = []
    for term in terms:
        pattern = term_pattern(term.term)
        here = len(pattern.findall(text))
        if here:
            share = here / max(1, len(pattern.findall(everywhere)))
            scored.append((term.score * share * (1 + 0.2 * min(here, 3)), term.term))
    scored.sort(key=lambda pair: -pair[0])
    names: list[str] = []
    for _, name in scored:
        # A second name that repeats a word of the first adds nothing ("Chlorophyll and
        # chlorophyll sits inside").
        if names and set(name.lower().split()) & set(names[0].lower().split()):
            continue
        names.append(name)
        if len(names) == 2:
            break
    if not names:
        return ""
    title = " and ".join(names)
    return title[:1].upper() + title[1:]


def _describe(
    group: Sequence[Sentence],
    document_frequency: Counter[str],
    topics: int,
    terms: Sequence[KeyTerm] = (),
    language: str = "en",
    everywhere: str = "",
) -> Topic:
    text = " ".join(sentence.text for sentence in group)
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = {}
    for term, _ in content_tokens(text):
        counts[term] += 1
    for match in _WORD.finditer(text):
        word = match.group()
        if len(word) > 2 and word.lower() not in STOPWORDS:
            surfaces.setdefault(stem(word.lower()), Counter())[word] += 1

    def salience(term: str) -> float:
        rarity = 1.0 + math.log(topics / document_frequency[term]) if topics > 1 else 1.0
        return counts[term] * rarity

    ranked = sorted(counts, key=lambda term: (-salience(term), term))
    title = _named(group, terms, everywhere or text) if terms else ""
    title = title or _title(group, ranked, salience, surfaces)

    cue_scores = sentence_cue_scores(group, language)
    cue_total = sum(cue_scores)
    cue_part = 1.0 - math.exp(-cue_total / 1.5)
    total_terms = sum(counts.values()) or 1
    focus = min(1.0, 2.0 * sum(counts[term] for term in ranked[:5]) / total_terms)
    dangling = sum(is_dangling(sentence.text) for sentence in group[:2])
    importance = 0.15 + 0.6 * cue_part + 0.25 * focus - 0.15 * dangling
    if group[-1].end - group[0].start < 20:
        importance *= 0.7  # too short to teach much on its own
    importance = max(0.0, min(1.0, importance))

    centroid = Counter(counts)
    best = max(
        range(len(group)),
        key=lambda i: (
            cosine(Counter(t for t, _ in content_tokens(group[i].text)), centroid)
            + 0.3 * cue_scores[i]
        ),
    )
    reasons = describe_cues((sentence.text for sentence in group), language)
    if reasons:
        why = "Teaching value: " + ", ".join(reasons) + "."
    else:
        why = "No definition, example or takeaway cues; ranked by how focused its vocabulary is."
    if dangling:
        why += " Leans on earlier material, so it stands alone less well."
    return Topic(
        start=group[0].start,
        end=group[-1].end,
        title=title,
        summary=_one_line(group[best].text),
        importance=round(importance, 3),
        why=why,
    )


def _title(
    group: Sequence[Sentence],
    ranked: list[str],
    salience: Callable[[str], float],
    surfaces: dict[str, Counter[str]],
) -> str:
    """A few salient words, led by a repeated two-word term when there is one."""
    phrases: Counter[tuple[str, ...]] = Counter()
    phrase_surface: dict[tuple[str, ...], Counter[str]] = {}
    for sentence in group:
        for key, surface in _phrases(sentence.text):
            phrases[key] += 1
            phrase_surface.setdefault(key, Counter())[surface] += 1
    parts: list[str] = []
    used: set[str] = set()
    repeated = [key for key, count in phrases.items() if count >= 2]
    if repeated:
        key = max(repeated, key=lambda k: (phrases[k] * sum(salience(t) for t in k), k))
        parts.append(phrase_surface[key].most_common(1)[0][0])
        used.update(key)
    for term in ranked:
        if len(parts) >= (2 if used else 3):
            break
        if term not in used:
            parts.append(surfaces.get(term, Counter({term: 1})).most_common(1)[0][0])
            used.add(term)
    if not parts:
        return "Untitled topic"
    title = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return title[0].upper() + title[1:]


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
