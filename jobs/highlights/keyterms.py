"""A lecture's key terms and the sentences that define them, found the field's way. No Django.

- **Candidates**: the key phrases YAKE ranks (Campos et al., 2020, "YAKE! Keyword extraction
  from single documents using multiple local features": unsupervised, one document, stop words
  per language), and the terms the lecturer names ("… is called X", "… known as X").
- **Weights**: a phrase's YAKE score, raised by how rare its words are in the language at large
  (``wordfreq``'s frequencies, shipped in its wheel: "chloroplast" is rare, "light" is not), by
  the slides showing it, and by the lecturer defining it. Common single words, possessives,
  fragments that start or end on a stop word, and greetings are no terms at all.
- **Definitions**: the sentence that defines or introduces the term ("X is …", "X is called …",
  "… known as X", "X, a …"), else its first substantive mention, never a greeting or an agenda
  line such as "Today we begin with X".

The recording's language picks YAKE's stop words, the frequencies and the defining patterns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from jobs.highlights.text import STOPWORDS, Sentence


@dataclass(frozen=True)
class KeyTerm:
    term: str  # as said (the most frequent spelling)
    score: float  # higher is more of a key term
    defined: bool  # the lecturer defined or named it in so many words
    definition: Sentence | None  # the sentence that defines it, or its first substantive mention
    mentions: int
    first: float  # when it is first said, seconds


_WORD = r"[^\W\d_][\w'’-]*"
# Words a term may hold inside it (never at its ends): "law of demand", "divide and conquer".
_JOINERS = {
    "en": {"of", "and", "the", "a", "an"},
    "de": {"der", "des", "und", "von"},
    "fr": {"de", "du", "des", "la", "le", "l", "et", "d"},
    "es": {"de", "del", "la", "el", "y"},
}
# Greetings and agenda lines: a term's first mention there is not its explanation.
_AGENDA = {
    "en": r"^(?:\w+,? )?(?:good (?:morning|afternoon|evening)|hello|hi|welcome|today|in this "
    r"(?:lecture|talk|session|class)|(?:let us|let's|we(?:'ll| will)?) (?:begin|start|turn|move|"
    r"look|talk)|next,? we|now,? (?:let us|let's|we))\b",
    "de": r"^(?:\w+,? )?(?:guten (?:morgen|tag|abend)|hallo|willkommen|heute|in dieser "
    r"(?:vorlesung|stunde)|(?:wir )?(?:beginnen|fangen|kommen) )",
    "fr": r"^(?:\w+,? )?(?:bonjour|bonsoir|bienvenue|aujourd'hui|dans ce (?:cours|chapitre)|"
    r"(?:nous )?(?:commençons|passons)|commençons)",
    "es": r"^(?:\w+,? )?(?:buenos días|buenas tardes|hola|bienvenidos|hoy|en esta (?:clase|"
    r"lección)|(?:empecemos|comencemos|pasemos))",
}
# Where the lecturer names a term: the term follows these words.
_NAMING = {
    "en": r"\b(?:called|known as|termed|named|referred to as|we call (?:this|it|that|them|these)|"
    r"what we call) (?:an? |the )?(?P<term>{w}(?: {w}){{0,4}})",
    "de": r"\b(?:nennt man|nennen wir|bezeichnet man als|heißt|heißen|bekannt als) "
    r"(?:der |die |das |den |ein |eine )?(?P<term>{w}(?: {w}){{0,3}})|\bman (?:der |die |das |den "
    r")?(?P<before>{w}) (?:nennt|bezeichnet)\b",
    "fr": r"\b(?:appelée?s?|appelle|appelons|nommée?s?|dite?s?|connue?s? sous le nom de) "
    r"(?:l'|le |la |les |un |une )?(?P<term>{w}(?: {w}){{0,3}})",
    "es": r"\b(?:llamad[oa]s?|llamamos|conocid[oa]s? como|denominad[oa]s?) "
    r"(?:el |la |los |las |un |una )?(?P<term>{w}(?: {w}){{0,3}})",
}
# A sentence that opens on the term it defines: "Osmosis is defined as …", "A pathogen is a …".
_SUBJECT = {
    "en": r"^(?:so,? |now,? |and |well,? )?(?:an? |the )?(?P<term>{w}(?: {w}){{0,3}}) (?:is|are) "
    r"(?:defined as|called|known as|the (?:\w+ ){{1,2}}(?:that|which|who|where|of|in|for|by)\b|"
    r"an? (?:\w+ ){{1,3}}(?:that|which|who|where|of|in|for|between)\b)",
    "de": r"^(?:also,? )?(?:der |die |das |ein |eine )?(?P<term>{w}(?: {w}){{0,2}}) (?:ist|sind) "
    r"(?:der|die|das|ein|eine) ",
    "fr": r"^(?:donc,? )?(?:l'|le |la |les |un |une )?(?P<term>{w}(?: {w}){{0,2}}) (?:est|sont) "
    r"(?:le|la|l'|les|un|une) ",
    "es": r"^(?:el |la |los |las |un |una )?(?P<term>{w}(?: {w}){{0,2}}) (?:es|son) "
    r"(?:el|la|los|las|un|una) ",
}
# How a sentence defines a term it starts with, or follows the term with ("X is a …", "X, a …").
_COPULA = {
    "en": r"(?:is|are|was|were|means|mean|refers to|refer to)(?: defined as| called)? "
    r"(?:an?|the|what|when|one|any|simply|just|everything)\b",
    "de": r"(?:ist|sind|bedeutet|bezeichnet|nennt man) (?:ein|eine|der|die|das|den|dass|wenn)\b",
    "fr": r"(?:est|sont|désigne|signifie|mesure) (?:un|une|le|la|l'|les|ce|que|quand)",
    "es": r"(?:es|son|significa) (?:un|una|el|la|lo|los|las|que|cuando)\b",
}
_APPOSITION = {
    "en": r", (?:an?|the|which|who) ",
    "de": r", (?:ein|eine|der|die|das) ",
    "fr": r", (?:un|une|le|la|l'|qui) ",
    "es": r", (?:un|una|el|la|que) ",
}
# Words that open a noun phrase: a single word said after one at least once is a noun there.
_DETERMINERS = {
    "en": r"a|an|the|this|that|these|those|its|their|our|your|his|her|each|every|one|called",
    "de": r"der|die|das|den|dem|des|ein|eine|einen|einem|einer|eines|keine|diese[nmrs]?",
    "fr": r"le|la|les|l'|un|une|des|du|ce|cette|ces|son|sa|ses|leur|leurs",
    "es": r"el|la|los|las|un|una|unos|unas|este|esta|estos|estas|su|sus",
}
# Single words this common (Zipf frequency, log10 of uses per billion words) are no terms on
# their own, unless the lecturer defines them; every word of a phrase must be below the ceiling.
SINGLE_COMMON = 4.6
PHRASE_RARE = 5.0  # a phrase needs one word at least this rare ("memory cells", not "good time")
PHRASE_CEILING = 6.0


def _lang(language: str) -> str:
    code = (language or "en")[:2].lower()
    return code if code in _AGENDA else "en"


@cache
def stop_words(language: str) -> frozenset[str]:
    """YAKE's stop words for the language (English where it has none); in English also the
    lecture words of ``text.STOPWORDS`` ("called", "talk", "turn")."""
    import yake  # imports networkx: kept out of the module's import

    words = set(yake.KeywordExtractor(lan=(language or "en")[:2]).stopword_set)
    if _lang(language) == "en":
        words |= STOPWORDS
    return frozenset(words)


@cache
def zipf(word: str, language: str) -> float:
    from wordfreq import zipf_frequency  # loads its tables on first use: only when asked

    return zipf_frequency(word, (language or "en")[:2])


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _key(term: str) -> str:
    """A term's identity: lower case, each word singular ("plates" is "plate")."""
    return " ".join(_singular(w) for w in term.lower().replace("’", "'").split())


def acceptable(term: str, language: str = "en", *, defined: bool = False) -> bool:
    """Whether ``term`` can be a glossary term: no possessive, no number, no stop word at an end
    or inside (but a joiner), not a greeting, and rare enough in the language."""
    words = term.split()
    if not words or len(words) > 5:
        return False
    stops = stop_words(language)
    joiners = _JOINERS.get(_lang(language), set())
    # A capital letter is a name inside a term ("B cells", "helper T cells"), not a stop word.
    lowered = [w if len(w) == 1 and w.isupper() else w.lower() for w in words]
    if any("'" in w or "’" in w or any(c.isdigit() for c in w) for w in lowered):
        return False
    if lowered[0] in stops or lowered[-1] in stops or len(lowered[-1]) < 2:
        return False
    if any(w in stops and w not in joiners for w in lowered[1:-1]):
        return False
    # An article joins only after "of" ("Conflict of the Orders", not "boundary the plates").
    if any(w in {"the", "a", "an"} and lowered[i] != "of" for i, w in enumerate(lowered[1:-1])):
        return False
    # German capitalises nouns: a term ends on one ("kleinste Einheit", not "Zellmembran nennt").
    if _lang(language) == "de" and not words[-1][:1].isupper():
        return False
    if re.match(_AGENDA[_lang(language)], term.lower()):
        return False
    content = [w for w in lowered if w not in joiners]
    frequencies = [zipf(w, language) for w in content]
    if len(content) == 1:
        if len(content[0]) < 3:
            return False
        return frequencies[0] < (SINGLE_COMMON + 0.9 if defined else SINGLE_COMMON)
    if max(frequencies) >= PHRASE_CEILING:
        return False
    return defined or min(frequencies) < PHRASE_RARE


def _rarity(term: str, language: str) -> float:
    """1 plus how far the rarest word lies below the common band (Zipf 5)."""
    joiners = _JOINERS.get(_lang(language), set())
    words = [w.lower() for w in term.split() if w.lower() not in joiners]
    return 1.0 + max(0.0, 5.0 - min(zipf(w, language) for w in words))


def _trim(raw: str, language: str) -> str:
    """A named term cut at its first stop word (a joiner followed by a content word stays)."""
    stops = stop_words(language)
    joiners = _JOINERS.get(_lang(language), set())
    words = raw.split()
    kept: list[str] = []
    for index, word in enumerate(words):
        lowered = word.lower()
        following = words[index + 1].lower() if index + 1 < len(words) else ""
        if lowered in joiners and kept and following and following not in stops:
            kept.append(word)
            continue
        if lowered in stops:
            break
        kept.append(word)
    return " ".join(kept).strip(" ,.;:!?\"'-")


def named_terms(text: str, language: str = "en") -> list[str]:
    """The terms a sentence names ("… is called the lithosphere" → "lithosphere") or opens on
    to define ("Osmosis is defined as …" → "Osmosis")."""
    pattern = re.compile(_NAMING[_lang(language)].format(w=_WORD), re.IGNORECASE)
    found = []
    subject = re.match(_SUBJECT[_lang(language)].format(w=_WORD), text.strip(), re.IGNORECASE)
    if subject and acceptable(subject.group("term"), language, defined=True):
        found.append(subject.group("term"))
    for match in pattern.finditer(text):
        groups = match.groupdict()
        term = _trim(groups.get("before") or groups.get("term") or "", language)
        if term:
            found.append(term)
    return found


def term_pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.split()]
    # Plurals and a light inflection of the last word: "convection currents", "Chloroplasten".
    return re.compile(r"\b" + r"\s+".join(words) + r"(?:s|es|en|n)?\b", re.IGNORECASE)


def defines(sentence: str, term: str, language: str = "en") -> int:
    """How plainly ``sentence`` defines ``term``: 3 names it ("called X"), 2 starts with it and
    says what it is ("X is a …"), 1 an apposition or "X is a …" later on; 0 none."""
    code = _lang(language)
    lowered = sentence.lower()
    naming = re.compile(_NAMING[code].format(w=_WORD), re.IGNORECASE)
    for found in naming.finditer(sentence):
        groups = found.groupdict()
        if _key(_trim(groups.get("before") or groups.get("term") or "", language)) == _key(term):
            return 3
    match = term_pattern(term).search(sentence)
    if not match:
        return 0
    after = lowered[match.end() :].lstrip()
    before = lowered[: match.start()].strip(" ,")
    if re.match(_COPULA[code], after):
        opening = len(before.split()) <= 2 and not re.search(
            r"\b(?:if|when|wenn|si|cuando)\b", before
        )
        return 2 if opening else 1
    if (
        re.match(_APPOSITION[code].lstrip(","), lowered[match.end() :])
        and "," in lowered[match.end() : match.end() + 2]
    ):
        return 1
    return 0


def _definition(
    term: str, sentences: Sequence[Sentence], language: str
) -> tuple[Sentence | None, int]:
    """The defining sentence (the plainest, earliest), else the first substantive mention."""
    best: tuple[int, Sentence] | None = None
    first: Sentence | None = None
    pattern = term_pattern(term)
    agenda = re.compile(_AGENDA[_lang(language)])
    first_word = term.split()[0].lower()
    for sentence in sentences:
        words = sentence.text.split()
        if len(words) > 70 or first_word not in sentence.text.lower():
            continue
        strength = defines(sentence.text, term, language)
        if strength and (best is None or strength > best[0]):
            best = (strength, sentence)
            if strength == 3:
                break
        if (
            first is None
            and pattern.search(sentence.text)
            and len(words) >= 6
            and not agenda.match(sentence.text.lower().lstrip())
            and not sentence.text.rstrip().endswith("?")
        ):
            first = sentence
    if best is not None:
        return best[1], best[0]
    return first, 0


def key_terms(
    sentences: Sequence[Sentence],
    *,
    language: str = "en",
    slide_texts: Sequence[str] = (),
    limit: int | None = None,
) -> list[KeyTerm]:
    """The lecture's key terms, best first, each with its defining sentence.

    ``limit`` defaults to one term per 20 seconds of a short lecture, fewer per minute as it
    grows (6 + 3 a minute, 45 at most).
    """
    import yake  # imports networkx: kept out of the module's import

    if not sentences:
        return []
    code = (language or "en")[:2]
    text = " ".join(s.text for s in sentences)
    minutes = max(0.5, (sentences[-1].end - sentences[0].start) / 60)
    if limit is None:
        limit = min(45, round(6 + 3 * minutes))
    # YAKE's own deduplication drops "memory cells" beside "cells" (and costs most of its time);
    # ours is by the words' key.
    extractor = yake.KeywordExtractor(lan=code, n=3, dedup_lim=1.0, top=8 * limit)
    ranked = extractor.extract_keywords(text)
    slides = " ".join(" ".join(slide_texts).lower().split())
    lowered_text = text.lower()

    # Without its deduplication YAKE gives the phrases lower-cased: the lecture's own spelling
    # back (German nouns and names keep their capitals).
    said = re.findall(_WORD, text)
    spelling: dict[str, str] = {}
    for size in (3, 2, 1):
        for index in range(len(said) - size + 1):
            words = " ".join(said[index : index + size])
            spelling.setdefault(words.lower(), words)
    candidates: dict[str, tuple[str, float]] = {}  # key: (surface, yake score)
    for phrase, score in ranked:
        phrase = " ".join(phrase.split())
        phrase = spelling.get(phrase.lower(), phrase)
        key = _key(phrase)
        if key not in candidates or score < candidates[key][1]:
            candidates[key] = (phrase, float(score))
    named: set[str] = set()
    scores = sorted(score for _, score in candidates.values()) or [0.5]
    for sentence in sentences:
        for term in named_terms(sentence.text, language):
            key = _key(term)
            named.add(key)
            if key not in candidates:
                # YAKE kept it only inside a longer n-gram ("called the lithosphere"): that
                # n-gram's score, else the median.
                holding = [s for k, (_, s) in candidates.items() if f" {key} " in f" {k} "]
                candidates[key] = (term, min(holding, default=scores[len(scores) // 2]))

    nouns = _Nouns(text, language)
    counts: dict[str, int] = {}

    def count(phrase: str) -> int:
        """How often the lecture says ``phrase`` (each candidate is counted once)."""
        if phrase not in counts:
            counts[phrase] = len(term_pattern(phrase).findall(lowered_text))
        return counts[phrase]

    scored: list[tuple[float, str, str]] = []
    for key, (phrase, score) in candidates.items():
        defined = key in named
        if not acceptable(phrase, language, defined=defined):
            continue
        mentions = count(phrase)
        if mentions == 0:
            continue
        repeated_phrase = " " in phrase and mentions >= 2
        if not defined and not repeated_phrase and not nouns.holds(phrase):
            continue
        if not defined and _verb_ending(phrase, lowered_text, language):
            continue
        weight = _rarity(phrase, language) / (score + 0.02)
        if slides and term_pattern(phrase).search(slides):
            weight *= 2.0
        if defined:
            weight *= 3.0
        elif " " not in phrase:
            weight *= 0.6  # technical terms are mostly phrases; a lone word needs more to stand out
        else:
            weight *= 1.0 + 0.5 * math.log(mentions)  # a phrase said again is a term (C-value)
        scored.append((weight, key, phrase))
    scored.sort(key=lambda item: -item[0])

    terms: list[KeyTerm] = []
    kept_keys: list[str] = []
    for weight, key, phrase in scored:
        if len(terms) >= limit:
            break
        # A word that is mostly said inside a longer candidate ("convergent" in "convergent
        # boundary") is that phrase's, not a term of its own.
        if _inside_phrase(phrase, [p for _, _, p in scored if p != phrase], count):
            continue
        if key in kept_keys or _key(_surface(phrase, text)) in kept_keys:
            continue
        definition, strength = _definition(phrase, sentences, language)
        if definition is None:
            continue
        terms.append(
            KeyTerm(
                term=_surface(phrase, text),
                score=round(math.log1p(weight), 4),
                defined=strength >= 2 or key in named,
                definition=definition,
                mentions=count(phrase),
                first=_first(phrase, sentences),
            )
        )
        kept_keys += [key, _key(terms[-1].term)]
    return terms


def _inside_phrase(phrase: str, others: Sequence[str], count: Callable[[str], int]) -> bool:
    alone = count(phrase)
    pattern = term_pattern(phrase)
    size = len(phrase.split())
    for other in others:
        longer = len(other.split()) > size and pattern.search(other.lower())
        if longer and count(other) >= 0.5 * alone:
            return True
    return False


_OBJECT_START = r"(?:the|a|an|its|their|his|her|them|it|us|you|up|out|down|apart|away|into)\b"


def _verb_ending(phrase: str, text: str, language: str) -> bool:
    """English: a phrase ending in "-s" that is always followed by an object ("the sugar feeds
    the plant", "a plant closes its pores") ends on a verb, not a noun."""
    if _lang(language) != "en" or " " not in phrase or not phrase.lower().endswith("s"):
        return False
    pattern = term_pattern(phrase)
    followers = [text[m.end() :].lstrip(" ,")[:12] for m in pattern.finditer(text)]
    return bool(followers) and all(re.match(_OBJECT_START, f) for f in followers)


class _Nouns:
    """Which words the lecture uses as nouns at least once: after a determiner, or as a name (a
    capital inside a sentence, in a language that does not capitalise every noun). Read once."""

    def __init__(self, text: str, language: str) -> None:
        code = _lang(language)
        determiners = _DETERMINERS[code]
        pattern = rf"\b(?:{determiners}) ?({_WORD})"
        self.after = {m.group(1).lower() for m in re.finditer(pattern, text, re.IGNORECASE)}
        self.names = (
            {m.group(1) for m in re.finditer(rf"[^.?!]\s([A-Z]{_WORD[8:]})", text)}
            if code != "de"
            else set()
        )

    def holds(self, phrase: str) -> bool:
        first = phrase.split()[0]
        return first.lower() in self.after or first[:1].upper() + first[1:] in self.names


def _surface(phrase: str, text: str) -> str:
    """The spelling the transcript uses most for the phrase (its capitals kept)."""
    found = term_pattern(phrase).findall(text)
    if not found:
        return phrase
    spellings: dict[str, int] = {}
    for spelling in found:
        spelling = " ".join(spelling.split())
        spellings[spelling] = spellings.get(spelling, 0) + 1
    best = max(spellings, key=lambda s: (spellings[s], s != s.lower()))
    # The singular when the phrase is said that way too.
    if best.lower() != phrase.lower() and phrase.lower() in (s.lower() for s in spellings):
        best = next(s for s in spellings if s.lower() == phrase.lower())
    words = best.split()
    # Lower-case a capital that only opens a sentence, keep names and German nouns.
    if len(words) > 0 and words[0][:1].isupper() and f" {best.lower()}" in text.lower():
        lowered_spelling = " " + best[:1].lower() + best[1:]
        if lowered_spelling in text:
            best = best[:1].lower() + best[1:]
    return best


def _first(phrase: str, sentences: Sequence[Sentence]) -> float:
    pattern = term_pattern(phrase)
    return next((s.start for s in sentences if pattern.search(s.text)), sentences[0].start)
