"""Words, sentences and teaching cues from a transcript, shared by the analysers and the selection.

Transcript segments arrive in several shapes: ``SegmentResult`` objects from a backend,
faster-whisper's own segments, or the dicts they were stored as. Everything here reads them by
duck typing so that this module never imports Django (``transcripts.backends`` does).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jobs.highlights.emphasis import KINDS, is_question, label, signposts
from jobs.highlights.emphasis import questions as audience_questions


@dataclass(frozen=True)
class TimedWord:
    start: float
    end: float
    text: str  # stripped of the leading space Whisper puts before each word


@dataclass(frozen=True)
class Sentence:
    start: float
    end: float
    text: str
    first: int  # index of its first word in the word list it was split from
    last: int  # index of its last word (inclusive)

    @property
    def duration(self) -> float:
        return self.end - self.start


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def timed_words(segments: Iterable[Any]) -> list[TimedWord]:
    """Every word of the transcript in time order.

    A segment without word timings (a backend run with ``word_timestamps=False``) has its text
    spread evenly over its duration by character count: rougher, but sentence bounds stay usable.
    """
    words: list[TimedWord] = []
    for segment in segments:
        raw_words = _get(segment, "words") or []
        if raw_words:
            for raw in raw_words:
                text = str(_get(raw, "word", "") or _get(raw, "text", "")).strip()
                if text:
                    words.append(
                        TimedWord(float(_get(raw, "start")), float(_get(raw, "end")), text)
                    )
            continue
        tokens = str(_get(segment, "text", "")).split()
        start, end = float(_get(segment, "start", 0.0)), float(_get(segment, "end", 0.0))
        total = sum(len(token) + 1 for token in tokens)
        position = start
        for token in tokens:
            length = (end - start) * (len(token) + 1) / total
            words.append(TimedWord(position, position + length, token))
            position += length
    words.sort(key=lambda word: word.start)
    return words


# Words ending in a full stop that do not end a sentence.
_ABBREVIATIONS = {"mr.", "mrs.", "ms.", "dr.", "prof.", "e.g.", "i.e.", "etc.", "vs.", "st.", "no."}
_SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")


def ends_sentence(word: str) -> bool:
    return bool(_SENTENCE_END.search(word)) and word.lower() not in _ABBREVIATIONS


def split_sentences(
    words: Sequence[TimedWord], *, max_seconds: float = 40.0, run_on: float = 20.0
) -> list[Sentence]:
    """Sentences ending at a word that ends in . ? or !

    Whisper sometimes drops the full stops of a long monologue and writes commas instead. A run
    with no sentence end that passes ``run_on`` seconds is split at its commas followed by a
    pause (where the speaker ended a sentence), and a piece still past ``max_seconds`` at its
    longest pause, so that a clip or a note can still start somewhere.
    """
    sentences: list[Sentence] = []
    first = 0
    for index, word in enumerate(words):
        if ends_sentence(word.text) or index == len(words) - 1:
            for a, b in _run_on_pieces(words, first, index, run_on):
                sentences.extend(_bounded(words, a, b, max_seconds))
            first = index + 1
    return sentences


def _run_on_pieces(
    words: Sequence[TimedWord], first: int, last: int, limit: float, pause: float = 0.45
) -> list[tuple[int, int]]:
    if words[last].end - words[first].start <= limit:
        return [(first, last)]
    pieces, start = [], first
    for index in range(first, last):
        if (
            words[index].text.endswith(",")
            and words[index + 1].start - words[index].end >= pause
            and index - start >= 3
            and last - index >= 4
        ):
            pieces.append((start, index))
            start = index + 1
    pieces.append((start, last))
    return pieces


def _bounded(words: Sequence[TimedWord], first: int, last: int, limit: float) -> list[Sentence]:
    if words[last].end - words[first].start <= limit or last - first < 2:
        text = " ".join(word.text for word in words[first : last + 1])
        return [Sentence(words[first].start, words[last].end, text, first, last)]
    gaps = [words[i + 1].start - words[i].end for i in range(first, last)]
    cut = first + max(range(len(gaps)), key=gaps.__getitem__)
    return _bounded(words, first, cut, limit) + _bounded(words, cut + 1, last, limit)


# A small English stop list: enough for lexical cohesion, where function words are only noise.
_STOP_TEXT = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each even few for
    from further get gets got had has have having he her here hers herself him himself his how i if
    in into is it its itself just let lets like make makes many may me might more most much must my
    myself need next no nor not now of off on once one only or other our ours ourselves out over own
    really right same see she should so some such than that the their theirs them themselves then
    there these they thing things this those through to today too two under until up us use used
    very was way we well were what when where which while who whom why will with would yes yet you
    your yours yourself okay ok um uh actually basically going know think say said look want first
    finally move turn talk three find called"""
STOPWORDS = frozenset(_STOP_TEXT.split())
_TOKEN = re.compile(r"[a-z][a-z'-]*[a-z]|[a-z]")


def stem(token: str) -> str:
    """A deliberately light suffix stripper: merges plurals and -ing/-ed forms of content words."""
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)] + replacement
    if token.endswith("s") and not token.endswith("ss") and len(token) > 4:
        return token[:-1]
    return token


def content_tokens(text: str) -> list[tuple[str, str]]:
    """(stem, surface form) for each content word of ``text``, in order."""
    tokens = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group().strip("'-")
        if len(token) > 2 and token not in STOPWORDS:
            tokens.append((stem(token), token))
    return tokens


def cosine(left: Counter[str], right: Counter[str]) -> float:
    if not left or not right:
        return 0.0
    dot = sum(count * right[term] for term, count in left.items() if term in right)
    norm = math.sqrt(sum(c * c for c in left.values()) * sum(c * c for c in right.values()))
    return dot / norm if norm else 0.0


@dataclass(frozen=True)
class Cue:
    kind: str  # a signpost kind (emphasis.KINDS) or "definition"
    weight: float
    phrase: str  # the words that matched, for the "why"


# A definition said in so many words; the other cues are the lecturer's signposts (emphasis.py).
_DEFINITION = re.compile(
    r"\b(is|are|was|were) (called|known as|defined as|the process (by|in) which)\b|"
    r"\b(a|an|the) ([a-z]+ ){0,3}(called|known as)\b|"
    r"\b(we call|refers to|is the (amount|measure|name|study) of|means that|by definition)\b|"
    r"\b(nennt man|bezeichnet man|heißt|genannt|appelée?s?|on appelle|s'appelle|llamad[oa]s?)\b"
)

# Openings that lean on something outside the clip, so the passage does not stand alone.
_DANGLING = re.compile(
    r"\b(as i (said|mentioned) (before|earlier)|like i said|as we saw (before|earlier|last)|"
    r"going back to|last (time|week|lecture)|the previous (slide|example))\b"
)
_CONNECTIVE_START = re.compile(r"^(and|but|so|because|which|or|also|then|that)\b")


def cues(text: str, language: str = "en") -> list[Cue]:
    """The lecturer's signposts in ``text`` (the one list in ``emphasis``) and a definition."""
    found = [Cue(s.kind, s.weight, s.phrase) for s in signposts(text, language)]
    match = _DEFINITION.search(text.lower())
    if match:
        found.append(Cue("definition", KINDS["definition"][1], match.group()))
    return found


def sentence_cue_scores(sentences: Sequence[Sentence], language: str = "en") -> list[float]:
    """Each sentence's emphasis weight; a question answered by the next sentence counts too."""
    scores = [max((cue.weight for cue in cues(s.text, language)), default=0.0) for s in sentences]
    for question, answer in audience_questions(sentences, language):
        scores[question] = max(scores[question], KINDS["question"][1])
        scores[answer] = max(scores[answer], 0.5)
    return scores


def is_dangling(text: str) -> bool:
    """Whether a passage beginning with ``text`` leans on what came before it."""
    lowered = text.lower().lstrip()
    return bool(_DANGLING.search(lowered) or _CONNECTIVE_START.match(lowered))


def describe_cues(texts: Iterable[str], language: str = "en") -> list[str]:
    """Readable reasons ("A definition (“…called chlorophyll”)") for the cues in ``texts``."""
    reasons: dict[str, str] = {}
    previous_question = False
    for text in texts:
        if previous_question and not is_question(text):
            reasons.setdefault("question", "an answered question")
        previous_question = is_question(text)
        for cue in cues(text, language):
            reasons.setdefault(cue.kind, f"{label(cue.kind).lower()} (“{cue.phrase}”)")
    return list(reasons.values())
