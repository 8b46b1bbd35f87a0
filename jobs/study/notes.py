"""Extractive study notes from a transcript and its topics: a summary, the key points in order, a
glossary and self-test questions, every item with the moment it comes from. No model, no Django.

- **Summary**: an overview line naming the topics, then the few sentences that best stand for
  the whole lecture (closest to its vocabulary, with a bonus for teaching cues).
- **Key points**: per topic, in order, its most central sentence (one more for a long topic).
- **Glossary**: terms the lecturer defines ("X is called Y", "Y is defined as", "Y refers to",
  "the volume of a cube is the …") and the slides' distinctive terms, each with the sentence that
  defines or first explains it.
- **Self-test**: the lecturer's own answered questions, and cloze questions (a defining or key
  sentence with its term blanked out), each with its answer.

The topics come from the highlight analysers when the job had them; otherwise the local analyser
(text only, quick) finds them here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from jobs.highlights.analysers.base import AnalysisRequest
from jobs.highlights.analysers.local import LocalAnalyser
from jobs.highlights.text import (
    STOPWORDS,
    Sentence,
    content_tokens,
    cosine,
    cues,
    is_dangling,
    sentence_cue_scores,
)

BLANK = "_____"
MAX_SUMMARY = 4
MAX_TERMS = 15
MAX_QUESTIONS = 10


@dataclass(frozen=True)
class Item:
    """A sentence of the lecture and its moment."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Point:
    topic: str  # the title of the topic it belongs to
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    definition: str  # the sentence that defines it (or first explains it), as said
    start: float
    end: float


@dataclass(frozen=True)
class SelfTest:
    question: str
    answer: str
    start: float  # the moment the answer is given
    end: float
    kind: str = "cloze"  # "cloze" or "lecturer" (a question the lecturer asked and answered)


@dataclass
class StudyNotes:
    overview: str = ""
    summary: list[Item] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    glossary: list[GlossaryEntry] = field(default_factory=list)
    questions: list[SelfTest] = field(default_factory=list)
    maker: str = "extractive"  # how they were made: "extractive", or the model's name
    note: str = ""  # for the reader: why a model's notes are not these, or that they are old

    @property
    def is_empty(self) -> bool:
        return not (self.summary or self.points or self.glossary or self.questions)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudyNotes:
        return cls(
            overview=str(data.get("overview") or ""),
            summary=[Item(**item) for item in data.get("summary") or []],
            points=[Point(**item) for item in data.get("points") or []],
            glossary=[GlossaryEntry(**item) for item in data.get("glossary") or []],
            questions=[SelfTest(**item) for item in data.get("questions") or []],
            maker=str(data.get("maker") or "extractive"),
            note=str(data.get("note") or ""),
        )

    def moments(self) -> list[tuple[float, float]]:
        """Every item's (start, end), for checks that each lies in the lecture."""
        items: list[Any] = [*self.summary, *self.points, *self.glossary, *self.questions]
        return [(item.start, item.end) for item in items]

    def markdown(self, title: str, link: Callable[[float], str] | None = None) -> str:
        """The notes as a Markdown document; every item links to its moment through ``link``."""
        link = link or (lambda seconds: f"#t={round(seconds, 2):g}")

        def at(seconds: float) -> str:
            return f"[{timecode(seconds)}]({link(seconds)})"

        lines = [f"# Study notes: {title}", ""]
        if self.overview:
            lines += [self.overview, ""]
        if self.summary:
            lines += ["## Summary", ""]
            lines += [f"- {item.text} ({at(item.start)})" for item in self.summary]
            lines.append("")
        if self.points:
            lines += ["## Key points", ""]
            topic = None
            for point in self.points:
                if point.topic != topic:
                    if topic is not None:
                        lines.append("")
                    lines += [f"### {point.topic}", ""]
                    topic = point.topic
                lines.append(f"- {point.text} ({at(point.start)})")
            lines.append("")
        if self.glossary:
            lines += ["## Glossary", ""]
            lines += [
                f"- **{entry.term}**: “{entry.definition}” ({at(entry.start)})"
                for entry in self.glossary
            ]
            lines.append("")
        if self.questions:
            lines += ["## Self-test", ""]
            for number, question in enumerate(self.questions, start=1):
                lines.append(f"{number}. {question.question}")
                lines.append(f"   - Answer: {question.answer} ({at(question.start)})")
            lines.append("")
        if self.is_empty:
            lines += ["The transcript is too short for notes.", ""]
        return "\n".join(lines)


def timecode(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


@dataclass(frozen=True)
class _Topic:
    start: float
    end: float
    title: str
    sentences: list[Sentence]


def make_notes(
    segments: Sequence[Any],
    *,
    topics: Sequence[Any] = (),
    duration: float = 0.0,
    title: str = "",
    slide_terms: Sequence[str] = (),
    language: str = "en",
) -> StudyNotes:
    """Extractive notes of the transcript ``segments`` (objects or dicts with word timings).

    ``topics`` are the analyser's topics (``Topic`` or their stored dicts); none: found here.
    ``slide_terms`` are the slides' distinctive words, for the glossary.
    """
    request = AnalysisRequest(
        segments=list(segments), duration=duration, language=language or "en", title=title
    )
    sentences = [s for s in request.sentences if s.text.strip()]
    if not sentences:
        return StudyNotes()
    if not topics:
        topics = LocalAnalyser().analyse(request).topics
    grouped = _group(sentences, topics)
    # Term weights over the whole lecture: how often, and in how few topics (tf-idf by topic).
    frequency: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for topic in grouped:
        terms = [term for s in topic.sentences for term, _ in content_tokens(s.text)]
        frequency.update(terms)
        spread.update(set(terms))

    def weight(term: str) -> float:
        return frequency[term] * (1.0 + math.log(len(grouped) / spread[term]))

    cue_scores = dict(zip(sentences, sentence_cue_scores(sentences), strict=True))
    notes = StudyNotes(
        overview=_overview(grouped),
        summary=_summary(sentences, frequency, cue_scores, len(grouped)),
        points=_points(grouped, cue_scores),
    )
    notes.glossary = _glossary(sentences, slide_terms)
    notes.questions = _questions(sentences, notes, weight)
    return notes


def lecture_sentences(segments: Sequence[Any]) -> list[Sentence]:
    """The transcript's sentences with their times, as the notes read them."""
    return [s for s in AnalysisRequest(segments=list(segments)).sentences if s.text.strip()]


def _group(sentences: list[Sentence], topics: Sequence[Any]) -> list[_Topic]:
    """The sentences of each topic (a sentence belongs to the topic its middle falls in)."""
    spans = sorted(
        (float(_get(t, "start", 0.0)), float(_get(t, "end", 0.0)), str(_get(t, "title", "")))
        for t in topics
    )
    if not spans:
        spans = [(sentences[0].start, sentences[-1].end, "")]
    groups: list[list[Sentence]] = [[] for _ in spans]
    for sentence in sentences:
        middle = (sentence.start + sentence.end) / 2
        index = 0
        for position, (start, _, _) in enumerate(spans):
            if start <= middle:
                index = position
        groups[index].append(sentence)
    result = []
    for (_, _, name), group in zip(spans, groups, strict=True):
        if group:
            result.append(_Topic(group[0].start, group[-1].end, name or "Untitled topic", group))
    return result


def _overview(topics: list[_Topic]) -> str:
    names = [topic.title for topic in topics if topic.title != "Untitled topic"]
    if not names:
        return ""
    if len(names) == 1:
        return f"One topic: {names[0]}."
    return f"{len(names)} topics: " + "; ".join(names) + "."


def _usable(sentence: Sentence) -> bool:
    """A sentence that reads well on its own: long enough, not a question, not leaning back."""
    words = sentence.text.split()
    return 5 <= len(words) <= 60 and not sentence.text.rstrip().endswith("?")


def _central(
    sentences: Sequence[Sentence], centroid: Counter[str], cue_scores: dict[Sentence, float]
) -> list[tuple[float, Sentence]]:
    scored = []
    for sentence in sentences:
        if not _usable(sentence):
            continue
        terms = Counter(term for term, _ in content_tokens(sentence.text))
        score = cosine(terms, centroid) + 0.3 * cue_scores.get(sentence, 0.0)
        if is_dangling(sentence.text):
            score -= 0.3
        scored.append((score, sentence))
    scored.sort(key=lambda pair: (-pair[0], pair[1].start))
    return scored


def _summary(
    sentences: list[Sentence],
    frequency: Counter[str],
    cue_scores: dict[Sentence, float],
    topics: int,
) -> list[Item]:
    count = max(1, min(MAX_SUMMARY, max(topics, round(len(sentences) / 40) + 1)))
    chosen: list[Sentence] = []
    for _, sentence in _central(sentences, frequency, cue_scores):
        # Spread over the lecture: no two summary sentences within a minute of each other.
        if all(abs(sentence.start - other.start) >= 60 for other in chosen):
            chosen.append(sentence)
        if len(chosen) == count:
            break
    return [_item(s) for s in sorted(chosen, key=lambda s: s.start)]


def _points(topics: list[_Topic], cue_scores: dict[Sentence, float]) -> list[Point]:
    points = []
    for topic in topics:
        centroid = Counter(term for s in topic.sentences for term, _ in content_tokens(s.text))
        # One point a topic, one more for every four minutes of it, three at most.
        wanted = min(3, 1 + int((topic.end - topic.start) // 240))
        ranked = [sentence for _, sentence in _central(topic.sentences, centroid, cue_scores)]
        chosen = sorted(ranked[:wanted], key=lambda s: s.start)
        if not chosen and topic.sentences:
            chosen = [topic.sentences[0]]
        points += [
            Point(topic.title, _clean(s.text), _round(s.start), _round(s.end)) for s in chosen
        ]
    return points


_W = r"[A-Za-z][\w'-]*"
_TERM = rf"(?P<term>{_W}(?: {_W}){{0,2}}(?: of(?: the| an?)? {_W}(?: {_W})?)?)"
_DETERMINER = r"(?:(?:an?|the) )?"
# The term after the verb: "… is called photosynthesis", "we call this osmosis".
_NAMED = re.compile(
    rf"\b(?:called|known as|termed) {_DETERMINER}"
    rf"(?P<term>{_W}(?: {_W}){{0,3}})|\bwe call (?:this|that|it|these|them) {_DETERMINER}"
    rf"(?P<term2>{_W}(?: {_W}){{0,2}})",
    re.IGNORECASE,
)
# The term before the verb, at the start of the sentence: "Osmosis is defined as …",
# "Entropy refers to …", "The volume of a cube is the length of …".
_DEFINED = re.compile(
    rf"^(?:so |now |well |and )?{_DETERMINER}{_TERM} (?:"
    r"(?:is|are) (?:defined as|what we call)|refers? to|means|"
    r"(?:is|are) (?:an? |the )(?:\w+ ){0,2}(?:process|measure|amount|name|study|kind|type|form|"
    r"set|way|number|unit|property|part|method|idea|rule|law|ratio|area|length|sum|product)\b|"
    r"(?:is|are) the (?:\w+ ){0,2}(?:of|that|which|where|when)\b|"
    r"(?:is|are) (?:an? )?(?:\w+ ){1,2}(?:that|which|who|where|in which|by which)\b)",
    re.IGNORECASE,
)
_PRONOUNS = {"this", "that", "it", "these", "those", "they", "there", "which", "what", "he", "she"}


def _term_words(raw: str, *, trailing: bool) -> str:
    """The term as said, cut at the first function word (after the verb), or "" if unusable."""
    words = raw.split()
    if trailing:
        kept: list[str] = []
        for position, word in enumerate(words):
            lowered = word.lower().strip("'")
            # "the conservation of energy": "of" joins a term when a content word follows.
            follows = words[position + 1].lower() if position + 1 < len(words) else ""
            if lowered == "of" and kept and follows and follows not in STOPWORDS:
                kept.append(word)
                continue
            if lowered in STOPWORDS:
                break
            kept.append(word)
        words = kept
    if not words or words[0].lower() in _PRONOUNS or words[0].lower() in STOPWORDS:
        return ""
    if any(w.lower() in _PRONOUNS for w in words):
        return ""
    if not any(len(w) > 2 and w.lower() not in STOPWORDS for w in words):
        return ""
    return " ".join(words).strip(" ,.;:!?'\"-")


def defined_term(text: str, lecture: str = "") -> str:
    """The term a definitional sentence defines, or "".

    After "called" a term's end is a guess ("chemicals called neurotransmitters carry the
    signal"): its words past the first are kept only where ``lecture`` (the whole text, lower
    case) says them together again.
    """
    for match in _NAMED.finditer(text):
        raw = match.group("term") or match.group("term2") or ""
        term = _term_words(raw, trailing=True)
        if term:
            words = term.split()
            while (
                len(words) > 1
                and "of" not in words[:-1]
                and lecture.count(" ".join(words).lower()) < 2
            ):
                words.pop()
            return " ".join(words)
    match = _DEFINED.search(text.strip())
    if match:
        return _term_words(match.group("term"), trailing=False)
    return ""


def _glossary(sentences: list[Sentence], slide_terms: Sequence[str]) -> list[GlossaryEntry]:
    found: dict[str, GlossaryEntry] = {}
    lecture = " ".join(" ".join(s.text.lower().split()) for s in sentences)
    for sentence in sentences:
        if len(sentence.text.split()) > 60:
            continue
        term = defined_term(sentence.text, lecture)
        key = term.lower()
        if term and key not in found:
            found[key] = GlossaryEntry(
                term, _clean(sentence.text), _round(sentence.start), _round(sentence.end)
            )
    for term in slide_terms:
        key = term.lower()
        if key in found or len(found) >= MAX_TERMS * 2:
            continue
        pattern = re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)
        mentions = [s for s in sentences if pattern.search(s.text)]
        if not mentions:
            continue
        # The sentence that explains it best: a definition cue, else one that says "is/are".
        best = next(
            (s for s in mentions if any(c.kind == "definition" for c in cues(s.text))),
            next((s for s in mentions if re.search(r"\b(is|are|means)\b", s.text)), mentions[0]),
        )
        found[key] = GlossaryEntry(term, _clean(best.text), _round(best.start), _round(best.end))
    entries = sorted(found.values(), key=lambda entry: entry.start)
    return entries[:MAX_TERMS]


def _questions(
    sentences: list[Sentence], notes: StudyNotes, weight: Callable[[str], float]
) -> list[SelfTest]:
    questions: list[SelfTest] = []
    used: set[float] = set()
    # The lecturer's own questions, answered by the next sentence.
    for question, answer in pairwise(sentences):
        if (
            question.text.rstrip().endswith("?")
            and len(question.text.split()) >= 4
            and not answer.text.rstrip().endswith("?")
            and _usable(answer)
        ):
            questions.append(
                SelfTest(
                    _clean(question.text),
                    _clean(answer.text),
                    _round(answer.start),
                    _round(answer.end),
                    kind="lecturer",
                )
            )
            used.add(_round(answer.start))
    # Cloze from the glossary: the defining sentence without its term.
    for entry in notes.glossary:
        if entry.start in used:
            continue
        blanked = _blank(entry.definition, entry.term)
        if blanked:
            questions.append(
                SelfTest(f"Fill in the blank: {blanked}", entry.term, entry.start, entry.end)
            )
            used.add(entry.start)
    # Cloze from the key points: the point's most telling word blanked.
    for point in notes.points:
        if point.start in used:
            continue
        tokens = [(term, surface) for term, surface in content_tokens(point.text)]
        candidates = [(weight(term), surface) for term, surface in tokens if len(surface) >= 4]
        if not candidates:
            continue
        _, word = max(candidates, key=lambda pair: pair[0])
        blanked = _blank(point.text, word)
        if blanked:
            questions.append(
                SelfTest(f"Fill in the blank: {blanked}", word, point.start, point.end)
            )
            used.add(point.start)
    questions.sort(key=lambda q: q.start)
    if len(questions) > MAX_QUESTIONS:
        # Keep them spread over the lecture: every n-th one.
        step = len(questions) / MAX_QUESTIONS
        questions = [questions[int(i * step)] for i in range(MAX_QUESTIONS)]
    return questions


def _blank(text: str, term: str) -> str:
    pattern = re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)
    if not pattern.search(text):
        return ""
    blanked = pattern.sub(BLANK, text)
    # Something must be left to go on.
    if len(blanked.replace(BLANK, "").split()) < 3:
        return ""
    return _clean(blanked)


def _clean(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:] if text else text


def _round(seconds: float) -> float:
    return round(float(seconds), 2)


def _item(sentence: Sentence) -> Item:
    return Item(_clean(sentence.text), _round(sentence.start), _round(sentence.end))
