"""One analysis of a lecture that the study notes and the highlight selection both read: its key
terms (``keyterms``) and its stand-out moments, each a sentence with what makes it stand out.

A moment is a signposted sentence (``emphasis``: the most important point, an exam hint, the key
insight, a summary, a common mistake, a worked example), a question to the audience with its
answer, or the sentence that defines a key term. Its strength is the signpost's weight, raised a
little by the key terms it holds. No Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from jobs.highlights.emphasis import KINDS, questions, signposts
from jobs.highlights.keyterms import KeyTerm, key_terms, term_pattern
from jobs.highlights.text import Sentence


@dataclass(frozen=True)
class Moment:
    kind: str  # a signpost kind (emphasis.KINDS), "question" or "definition"
    strength: float  # 0..1.2
    index: int  # the moment's own sentence
    answer: int | None = None  # for a question: the sentence that answers it
    phrase: str = ""  # the signpost's words, or the term defined
    term: str = ""  # the key term it defines, for a definition

    @property
    def last(self) -> int:
        return self.answer if self.answer is not None else self.index


@dataclass
class LectureAnalysis:
    sentences: list[Sentence]
    language: str
    terms: list[KeyTerm] = field(default_factory=list)
    moments: list[Moment] = field(default_factory=list)  # strongest first

    def flagged(self) -> list[Moment]:
        """The moments the lecturer flags (signposts and questions), in time order."""
        return sorted((m for m in self.moments if m.kind != "definition"), key=lambda m: m.index)


def analyse_lecture(
    sentences: Sequence[Sentence], *, language: str = "en", slide_texts: Sequence[str] = ()
) -> LectureAnalysis:
    sentences = [s for s in sentences if s.text.strip()]
    analysis = LectureAnalysis(sentences, language or "en")
    if not sentences:
        return analysis
    analysis.terms = key_terms(sentences, language=language, slide_texts=slide_texts)
    patterns = [term_pattern(term.term) for term in analysis.terms]

    def boost(index: int) -> float:
        held = sum(1 for pattern in patterns if pattern.search(sentences[index].text))
        return 0.05 * min(2, held)

    found: dict[int, Moment] = {}
    for index, sentence in enumerate(sentences):
        marks = signposts(sentence.text, language)
        if marks:
            best = marks[0]
            found[index] = Moment(best.kind, best.weight + boost(index), index, phrase=best.phrase)
    for question, answer in questions(sentences, language):
        if question not in found or found[question].strength < KINDS["question"][1]:
            found[question] = Moment(
                "question", KINDS["question"][1] + boost(answer), question, answer=answer
            )
    by_sentence = {id(s): i for i, s in enumerate(sentences)}
    for rank, term in enumerate(analysis.terms):
        if not term.defined or term.definition is None:
            continue
        index = by_sentence.get(id(term.definition))
        if index is None or index in found:
            continue
        # The best-ranked terms' definitions stand out more.
        strength = KINDS["definition"][1] - 0.2 * rank / max(1, len(analysis.terms))
        found[index] = Moment("definition", strength, index, phrase=term.term, term=term.term)
    analysis.moments = sorted(found.values(), key=lambda m: (-m.strength, m.index))
    return analysis
