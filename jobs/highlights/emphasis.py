"""The lecturer's emphasis: the one list of signposts that the study notes and the highlight
scorer both read, in every language Lectern ships signposts for.

A signpost is what a lecturer says to flag what matters: "the most important point", "remember
this for the exam", "the key insight is", "in summary", "a common mistake", "let us work through
an example". These are the discourse markers of lecture-comprehension research (Chaudron and
Richards, 1986; Deroey and Taverniers, 2011, "A corpus-based study of lecture functions"), whose
categories the kinds below follow. A question to the audience is found by shape instead (a
question answered by the next sentence), so it is the same in every language; see
``questions``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # text.py reads the signposts from here
    from jobs.highlights.text import Sentence


@dataclass(frozen=True)
class Signpost:
    kind: str  # one of KINDS
    weight: float  # how strongly it marks a stand-out moment, 0..1
    phrase: str  # the words that matched, as said


# Each kind with its label for a reader (a clip's reason, a note's tag) and its weight.
KINDS: dict[str, tuple[str, float]] = {
    "key point": ("The key point", 1.0),
    "exam": ("For the exam", 1.0),
    "insight": ("The key insight", 1.0),
    "summary": ("In summary", 0.9),
    "mistake": ("A common mistake", 0.9),
    "example": ("A worked example", 0.8),
    "question": ("A question to the audience", 0.8),
    "definition": ("A definition", 0.7),
}

_EN = {
    "key point": r"\b(?:the )?(?:single |one )?most important (?:point|thing|idea|lesson|message|"
    r"fact|result)\b|\bthe (?:main|central|big|key) (?:point|idea|message|lesson|takeaway)\b|"
    r"\bif you (?:only )?remember (?:only )?one thing\b|\b(?:the )?(?:thing|one thing|point) to "
    r"(?:take away|remember)\b|\b(?:the |my )?take-?away\b|\btake-?home message\b|"
    r"\bthis is (?:really |very )?(?:important|crucial|essential)\b",
    "exam": r"\b(?:for|in|on) (?:the|your) (?:exam|test|final|quiz)\b|\bexam\b|\bremember (?:this|"
    r"that)\b|\bdon't forget\b|\bdo not forget\b|\bkeep in mind\b|\bbear in mind\b|\bmake sure you "
    r"(?:know|understand|remember)\b|\byou (?:should|must|need to|have to) (?:definitely |really )?"
    r"(?:know|remember|understand)\b",
    "insight": r"\bthe (?:key|crucial|central|essential|important|big) (?:insight|observation|"
    r"realisation|realization|step|trick)\b|\bthe key to\b|\bthe trick is\b|\b(?:I want you to |"
    r"please )?notice (?:that|how)\b|\bnote that\b|\bthe point is\b|\bhere is the (?:key|crux)\b",
    "summary": r"^(?:so,? |and,? )?(?:in summary|to summari[sz]e|to sum up|in short|in conclusion|"
    r"to conclude|all in all|to recap|overall)\b|\b(?:let us|let's|to) (?:put it all together|"
    r"recap|sum up|summari[sz]e|wrap up)\b|\bput (?:it )?all together\b",
    "mistake": r"\b(?:a |one |the )?(?:very )?(?:common|frequent|typical|classic|usual) (?:mistake|"
    r"error|misconception|misunderstanding|trap|pitfall|confusion)\b|\bbe careful\b|\bwatch out\b|"
    r"\b(?:do not|don't|never) (?:confuse|mix up)\b|\bnot to (?:mix up|confuse)\b|\bmany students\b"
    r"|\bpeople often (?:think|forget|confuse)\b",
    "example": r"\b(?:let us|let's) (?:\w+ ){1,2}(?:an|one|another|this|a (?:simple|quick|concrete)"
    r") example\b|\b(?:a |consider a |here is a )?worked "
    r"example\b|\bconsider (?:an|the following|this) example\b|\bfor (?:example|instance)\b|"
    r"\bsuppose (?:that |we |you )\b|\bimagine (?:that |we |you )\b|\bhere is an example\b",
}
_DE = {
    "key point": r"\bdas wichtigste\b|\bder wichtigste (?:punkt|gedanke)\b|\bdie wichtigste "
    r"(?:idee|botschaft|erkenntnis)\b|\bwenn sie (?:sich )?nur eines merken\b|\bdas ist "
    r"(?:sehr |besonders )?wichtig\b",
    "exam": r"\bprüfung\b|\bklausur\b|\bmerken sie sich\b|\bmerkt euch\b|\bvergessen sie nicht\b|"
    r"\bdas sollten sie wissen\b",
    "insight": r"\bdie (?:entscheidende|zentrale) (?:idee|einsicht|erkenntnis)\b|\bder (?:kern|"
    r"trick|clou)\b|\bbeachten sie\b",
    "summary": r"\bzusammenfassend\b|\bzusammengefasst\b|\bkurz gesagt\b|\bzum schluss\b|"
    r"\bfassen wir zusammen\b",
    "mistake": r"\b(?:ein |der )?(?:häufige[rn]?|typische[rn]?|klassische[rn]?) (?:fehler|irrtum)\b|"
    r"\bvorsicht\b|\bachtung\b|\bnicht verwechseln\b",
    "example": r"\bzum beispiel\b|\bein beispiel\b|\bbeispielsweise\b|\bnehmen wir an\b|"
    r"\bstellen sie sich vor\b",
}
_FR = {
    "key point": r"\ble plus important\b|\bl'essentiel\b|\bl'idée (?:principale|centrale)\b|\bsi "
    r"vous ne (?:devez )?retenir qu'une (?:seule )?chose\b|\bc'est (?:très |vraiment )?important\b",
    "exam": r"\bce qu'il faut retenir\b|\bretenez\b|\bà retenir\b|\bexamen\b|\bn'oubliez pas\b|"
    r"\bil faut savoir\b",
    "insight": r"\bl'idée clé\b|\ble point clé\b|\bremarquez que\b|\bnotez que\b|\bl'astuce\b",
    "summary": r"\ben résumé\b|\bpour résumer\b|\ben conclusion\b|\bbref\b|\ben somme\b",
    "mistake": r"\b(?:une )?erreur (?:fréquente|courante|classique|typique)\b|\battention\b|\bne "
    r"confondez pas\b|\bpiège\b",
    "example": r"\bpar exemple\b|\bprenons (?:un|l')exemple\b|\bun exemple\b|\bsupposons\b|"
    r"\bimaginons\b",
}
_ES = {
    "key point": r"\blo más importante\b|\bla idea (?:principal|central|clave)\b|\bel punto clave\b",
    "exam": r"\bexamen\b|\brecuerden\b|\brecuerda\b|\bno olviden\b|\btengan en cuenta\b",
    "insight": r"\bla clave (?:es|está)\b|\bfíjense\b|\bnoten que\b",
    "summary": r"\ben resumen\b|\bpara resumir\b|\ben conclusión\b|\ben síntesis\b",
    "mistake": r"\b(?:un )?error (?:común|frecuente|típico|clásico)\b|\bcuidado\b|\bno confundan\b",
    "example": r"\bpor ejemplo\b|\bun ejemplo\b|\bsupongamos\b|\bimaginemos\b",
}
_PATTERNS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    language: [(kind, re.compile(pattern)) for kind, pattern in table.items()]
    for language, table in {"en": _EN, "de": _DE, "fr": _FR, "es": _ES}.items()
}


def languages() -> list[str]:
    """The languages with signposts of their own (others read the English ones)."""
    return sorted(_PATTERNS)


def signposts(text: str, language: str = "en") -> list[Signpost]:
    """The signposts in one sentence, strongest first (English ones count in every language:
    lecturers mix them in, and a transcript may switch language)."""
    lowered = " ".join(text.lower().replace("’", "'").split())
    tables = [_PATTERNS.get((language or "en")[:2], [])]
    if (language or "en")[:2] != "en":
        tables.append(_PATTERNS["en"])
    found: dict[str, Signpost] = {}
    for table in tables:
        for kind, pattern in table:
            match = pattern.search(lowered)
            if match and kind not in found:
                found[kind] = Signpost(kind, KINDS[kind][1], match.group())
    return sorted(found.values(), key=lambda s: -s.weight)


# A question Whisper wrote without its question mark (it often drops them in a monologue):
# a question word and a verb to open it.
_ASKING = {
    "en": r"^(?:so,? |and,? |but,? |now,? )?(?:why|how|what|when|where|which|who) (?:do|does|did|is|are|"
    r"was|were|can|could|would|should|will|happens|happened)\b",
    "de": r"^(?:warum|wieso|weshalb|wie|was|wann|wo|welche[rsnm]?|wer) (?:ist|sind|hat|haben|kann|"
    r"können|wird|werden|passiert)\b",
    "fr": r"^(?:pourquoi|comment|qu'est-ce|quand|où|quel(?:le)?s?|qui) ",
    "es": r"^(?:por qué|cómo|qué|cuándo|dónde|cuál|quién) ",
}
_ASKING_PATTERNS = {code: re.compile(pattern) for code, pattern in _ASKING.items()}


def is_question(text: str, language: str = "en") -> bool:
    stripped = text.rstrip()
    if stripped.endswith(("?", "？")):
        return True
    if stripped.endswith((".", "!")):
        return False
    pattern = _ASKING_PATTERNS.get((language or "en")[:2], _ASKING_PATTERNS["en"])
    return bool(pattern.match(stripped.lower()))


def questions(sentences: Sequence[Sentence], language: str = "en") -> list[tuple[int, int]]:
    """(question, answer) indices: a question to the audience that the next sentence answers
    (a statement of four words or more, not another question)."""
    pairs = []
    for index, sentence in enumerate(sentences[:-1]):
        answer = sentences[index + 1]
        if (
            is_question(sentence.text, language)
            and len(sentence.text.split()) >= 3
            and not is_question(answer.text, language)
            and len(answer.text.split()) >= 4
        ):
            pairs.append((index, index + 1))
    return pairs


def label(kind: str) -> str:
    return KINDS.get(kind, (kind.capitalize(), 0.5))[0]
