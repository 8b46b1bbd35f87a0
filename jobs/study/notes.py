"""Extractive study notes from a transcript and its topics: a summary, the key points in order, a
glossary and self-test questions, every item with the moment it comes from. No model, no Django.

They read the one analysis of the lecture that the highlight clips read too
(``jobs.highlights.moments``): its key terms (YAKE, weighted by word rarity and the slides) and
its stand-out moments (the lecturer's signposts, questions, definitions).

- **Summary**: the sentences the lecturer flags first (the most important point, an exam hint,
  the key insight, a summary, a common mistake, a worked example, a question and its answer),
  then each topic's most central sentences by LexRank (Erkan and Radev, 2004), about one a
  3 to 5 minutes and at least one a topic, in the order of the lecture.
- **Key points**: per topic, in order, its most central sentence (one more for a long topic).
- **Glossary**: the key terms, each with the sentence that defines or first explains it.
- **Self-test**: the lecturer's own answered questions, "What is X?" for a term the lecturer
  defines ("X is a …"), and a cloze on a key term inside the sentence that names it.

The topics come from the highlight analysers when the job had them; otherwise the local analyser
(text only, quick) finds them here.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from jobs.highlights.analysers.base import AnalysisRequest
from jobs.highlights.analysers.local import LocalAnalyser
from jobs.highlights.emphasis import questions as audience_questions
from jobs.highlights.keyterms import acceptable, defines, term_pattern
from jobs.highlights.moments import LectureAnalysis, analyse_lecture
from jobs.highlights.text import (
    STOPWORDS,
    Sentence,
    content_tokens,
    cosine,
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
    # "cloze", "definition" ("What is X?") or "lecturer" (a question the lecturer asked and
    # answered)
    kind: str = "cloze"


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
    analysis: LectureAnalysis | None = None,
) -> StudyNotes:
    """Extractive notes of the transcript ``segments`` (objects or dicts with word timings).

    ``topics`` are the analyser's topics (``Topic`` or their stored dicts); none: found here.
    ``slide_terms`` are the slides' words, for the key terms. ``analysis`` is the lecture's
    analysis when the highlights made it already.
    """
    request = AnalysisRequest(
        segments=list(segments), duration=duration, language=language or "en", title=title
    )
    sentences = [s for s in request.sentences if s.text.strip()]
    if not sentences:
        return StudyNotes()
    if analysis is None or [s.start for s in analysis.sentences] != [s.start for s in sentences]:
        analysis = analyse_lecture(sentences, language=language, slide_texts=slide_terms)
    sentences = analysis.sentences
    if not topics:
        topics = LocalAnalyser(terms=analysis.terms).analyse(request).topics
    grouped = _group(sentences, topics)
    cue_scores = dict(zip(sentences, sentence_cue_scores(sentences, language), strict=True))
    notes = StudyNotes(
        overview=_overview(grouped),
        summary=_summary(analysis, grouped),
        points=_points(grouped, cue_scores),
    )
    notes.glossary = _glossary(analysis, slide_terms)
    notes.questions = _questions(analysis)
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


def lexrank(texts: Sequence[str], *, threshold: float = 0.1, damping: float = 0.85) -> list[float]:
    """LexRank centrality of each text (Erkan and Radev, 2004): the stationary distribution of a
    random walk over the sentences, linked where their tf-idf cosine passes ``threshold``."""

    bags = [Counter(term for term, _ in content_tokens(text)) for text in texts]
    count = len(bags)
    if count == 0:
        return []
    document: Counter[str] = Counter()
    for bag in bags:
        document.update(set(bag))
    vocabulary = {term: i for i, term in enumerate(document)}
    matrix = np.zeros((count, max(1, len(vocabulary))))
    for row, bag in enumerate(bags):
        for term, times in bag.items():
            matrix[row, vocabulary[term]] = times * math.log((1 + count) / document[term])
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    unit = matrix / norms[:, None]
    links = (unit @ unit.T >= threshold).astype(float)
    links /= links.sum(axis=1, keepdims=True).clip(min=1.0)
    scores = np.full(count, 1.0 / count)
    for _ in range(50):
        updated = (1 - damping) / count + damping * links.T @ scores
        if np.abs(updated - scores).sum() < 1e-6:
            scores = updated
            break
        scores = updated
    return [float(s) for s in scores]


def _summary(analysis: LectureAnalysis, topics: list[_Topic]) -> list[Item]:
    """The flagged sentences first, then LexRank per topic: about one sentence a 3 to 5
    minutes, at least one a topic; in the order of the lecture."""
    sentences = analysis.sentences
    index_of = {id(s): i for i, s in enumerate(sentences)}
    chosen: dict[int, Item] = {}
    covered: set[int] = set()
    for moment in analysis.flagged():
        parts = [moment.index]
        if moment.answer is not None:
            parts.append(moment.answer)
        elif len(sentences[moment.index].text.split()) < 12 and moment.index + 1 < len(sentences):
            # "Let us work through an example." and the example; "Here is the most important
            # point:" and the point.
            parts.append(moment.index + 1)
        if any(p in covered for p in parts):
            continue
        covered.update(parts)
        text = " ".join(_clean(sentences[p].text) for p in parts)
        chosen[moment.index] = Item(
            text, _round(sentences[parts[0]].start), _round(sentences[parts[-1]].end)
        )
    minutes = (sentences[-1].end - sentences[0].start) / 60
    wanted = max(len(topics), round(minutes / 4))
    for topic in topics:
        indices = [index_of[id(s)] for s in topic.sentences]
        share = (topic.end - topic.start) / 60 / max(minutes, 1e-6)
        own = sum(1 for i in indices if i in chosen)
        need = max(1 - own, round(wanted * share) - own)
        if need <= 0:
            continue
        usable = [i for i in indices if i not in covered and _usable(sentences[i])]
        if not usable:
            continue
        scores = lexrank([sentences[i].text for i in usable])
        ranked = sorted(zip(scores, usable, strict=True), key=lambda pair: (-pair[0], pair[1]))
        for _, index in ranked[:need]:
            chosen[index] = _item(sentences[index])
            covered.add(index)
    return [chosen[i] for i in sorted(chosen)]


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


def _glossary(analysis: LectureAnalysis, slide_terms: Sequence[str]) -> list[GlossaryEntry]:
    found: dict[str, GlossaryEntry] = {}
    for term in analysis.terms:
        if term.definition is not None and term.term.lower() not in found:
            found[term.term.lower()] = _entry(term.term, term.definition)
    # The slides' terms the lecturer says, when they are terms at all.
    limit = max(len(analysis.terms), 6)
    for raw in slide_terms:
        if len(found) >= limit + 5:
            break
        key = raw.lower()
        if key in found or not acceptable(raw, analysis.language, defined=True):
            continue
        pattern = term_pattern(raw)
        mentions = [s for s in analysis.sentences if pattern.search(s.text)]
        if not mentions:
            continue
        best = max(mentions, key=lambda s: defines(s.text, raw, analysis.language))
        if not defines(best.text, raw, analysis.language):
            best = next((s for s in mentions if len(s.text.split()) >= 6), mentions[0])
        found[key] = _entry(raw, best)
    return sorted(found.values(), key=lambda entry: entry.start)


def _entry(term: str, sentence: Sentence) -> GlossaryEntry:
    return GlossaryEntry(term, _clean(sentence.text), _round(sentence.start), _round(sentence.end))


def _questions(analysis: LectureAnalysis) -> list[SelfTest]:
    sentences = analysis.sentences
    questions: list[SelfTest] = []
    used: set[float] = set()
    # The lecturer's own questions, answered by the next sentence.
    for question, answer in audience_questions(sentences, analysis.language):
        if not _usable(sentences[answer]):
            continue
        questions.append(
            SelfTest(
                _clean(sentences[question].text),
                _clean(sentences[answer].text),
                _round(sentences[answer].start),
                _round(sentences[answer].end),
                kind="lecturer",
            )
        )
        used.add(_round(sentences[answer].start))
    # The key terms the lecturer defines: "What is X?" where the sentence starts with the term
    # ("X is a …"), a cloze where it names it ("… is called X"); never a common word.
    for term in analysis.terms:
        sentence = term.definition
        if sentence is None or not term.defined or _round(sentence.start) in used:
            continue
        strength = defines(sentence.text, term.term, analysis.language)
        if strength == 2:
            ask = _what_is(term.term, sentence.text, analysis.language)
            answer = _clean(sentence.text)
            at = (_round(sentence.start), _round(sentence.end))
            questions.append(SelfTest(ask, answer, *at, kind="definition"))
        else:
            blanked = _blank(sentence.text, term.term)
            if not blanked:
                continue
            at = (_round(sentence.start), _round(sentence.end))
            questions.append(SelfTest(f"Fill in the blank: {blanked}", term.term, *at))
        used.add(_round(sentence.start))
    questions.sort(key=lambda q: q.start)
    minutes = (sentences[-1].end - sentences[0].start) / 60 if sentences else 0
    most = max(MAX_QUESTIONS, min(25, round(minutes)))
    if len(questions) > most:
        # Keep them spread over the lecture: every n-th one.
        step = len(questions) / most
        questions = [questions[int(i * step)] for i in range(most)]
    return questions


_WHAT_IS = {"en": "What {verb} {term}?", "de": "Was {verb} {term}?",
            "fr": "Qu'est-ce que {term} ?", "es": "¿Qué {verb} {term}?"}  # fmt: skip
_PLURAL_VERB = {"en": ("are", "is"), "de": ("sind", "ist"), "es": ("son", "es")}


def _what_is(term: str, sentence: str, language: str) -> str:
    """ "What is X?" in the sentence's own words: "What are flowers?" after "Flowers are …"."""
    code = (language or "en")[:2]
    match = term_pattern(term).search(sentence)
    said = match.group() if match else term
    if match and match.start() == 0 and said[:1].isupper() and said[1:2].islower():
        # A capital that only opens the sentence ("Osmosis"), unless the lecture says it so.
        said = said if term[:1].isupper() else said[:1].lower() + said[1:]
    plural, singular = _PLURAL_VERB.get(code, ("", ""))
    following = sentence[match.end() :].split()[:1] if match else []
    verb = plural if following and following[0].lower() == plural else singular
    return _WHAT_IS.get(code, _WHAT_IS["en"]).format(verb=verb, term=said)


def _blank(text: str, term: str) -> str:
    pattern = term_pattern(term)
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
