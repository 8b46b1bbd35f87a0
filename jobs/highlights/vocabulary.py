"""What the slides say, put to use: a glossary for the speech model and titles for the topics.

No Django. The glossary is the slides' *distinctive* terms: words a speech model is likely to
misspell without help. Rarity comes from the English Whisper tokenizer (the bundled tiny.en
model's ``vocabulary.txt``, GPT-2's byte-pair vocabulary): a merge that made a whole word into one
token early (a low id) means the word is frequent in English text; a word that is no single token
at all ("rubisco", "Robespierre", "thylakoid") is rare. Words that are frequent by that measure,
stopwords and OCR debris are left out, so the prompt spends its tokens where they help.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableSequence, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jobs.highlights.text import STOPWORDS
from transcripts import modelstore

# A whole-word token with an id below this is a common English word (ids run to about 50,000;
# "revolution" is 5854, "dioxide" 17556, "Calvin" 25017, "enzyme" 27679).
COMMON_RANK = 20000
MAX_TERMS = 40
# Whisper's prompt holds at most 223 tokens; a rare word costs three or four of them.
MAX_PROMPT_CHARS = 480

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{1,5}s?$")  # DNA, ATP, NADPH, GPUs
# Slide titles that say nothing about the topic under them.
# ("Summary" or "Introduction" are kept: they are fine chapter names.)
_GENERIC_TITLES = frozenset(
    {
        "agenda", "outline", "contents", "table of contents", "questions", "any questions",
        "q&a", "q a", "thanks", "thank you", "the end", "references", "bibliography",
    }
)  # fmt: skip


@lru_cache(maxsize=1)
def word_ranks(path: Path | None = None) -> dict[str, int]:
    """Whole-word token ids of the English Whisper vocabulary, by word; empty when unavailable."""
    if path is None:
        try:
            path = modelstore.tiny_en_dir() / "vocabulary.txt"
        except Exception:  # the model package is missing: fall back to the stopword heuristics
            return {}
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    ranks: dict[str, int] = {}
    for index, token in enumerate(lines):
        # "Ġ" is GPT-2's byte-level space: only tokens that start a word are whole words.
        if token.startswith("Ġ") and len(token) > 1 and token[1:].isalpha():
            ranks.setdefault(token[1:], index)
    return ranks


def rarity(word: str, ranks: dict[str, int] | None = None) -> float:
    """0 (a common English word) to 1 (no single token: rare, probably technical)."""
    ranks = word_ranks() if ranks is None else ranks
    bare = _bare(word)
    if bare.lower() in STOPWORDS:
        return 0.0
    if not ranks:  # no vocabulary: long words are the rare ones, roughly
        return min(1.0, max(0.0, (len(bare) - 5) / 6))
    found = [ranks[form] for form in {bare, bare.lower(), bare.capitalize()} if form in ranks]
    if not found:
        return 1.0
    return min(1.0, min(found) / 50000)


def _bare(word: str) -> str:
    word = word.replace("’", "'").strip("'-")
    return word[:-2] if word.lower().endswith("'s") else word


@dataclass(frozen=True)
class Term:
    word: str
    rarity: float
    count: int


def distinctive_terms(
    texts: Iterable[str],
    *,
    limit: int = MAX_TERMS,
    common_rank: int = COMMON_RANK,
    ranks: dict[str, int] | None = None,
) -> list[Term]:
    """The rare words of ``texts`` (slide texts, the job title), most useful first.

    A word counts when it is not a stopword, has at least four letters (or is an acronym such as
    ATP) and is not a common English word by its tokenizer rank. Terms seen on more slides come
    first, then rarer ones.
    """
    ranks = word_ranks() if ranks is None else ranks
    threshold = common_rank / 50000
    counts: dict[str, int] = {}
    spellings: dict[str, dict[str, int]] = {}
    order: dict[str, int] = {}
    for text in texts:
        for line in (text or "").splitlines():
            _count_line(line, ranks, threshold, counts, spellings, order)
    terms = []
    for key, count in counts.items():
        forms = spellings[key]
        # The most frequent telling spelling ("Calvin" in mid-sentence, "ATP"); a word only ever
        # capitalised by its place (a line's start, a Title Case heading) is written in lower
        # case, as Whisper would write a common noun: it capitalises names by itself, and a
        # glossary of "Rubisco, Thylakoid" makes it write "Rubisco" at the start of a phrase.
        telling = {form: n for form, n in forms.items() if form}
        word = max(telling, key=lambda form: telling[form]) if telling else key
        terms.append(Term(word, rarity(word, ranks), count))
    terms.sort(key=lambda term: (-term.count, -term.rarity, order[term.word.lower()]))
    return terms[:limit]


def _count_line(
    line: str,
    ranks: dict[str, int],
    threshold: float,
    counts: dict[str, int],
    spellings: dict[str, dict[str, int]],
    order: dict[str, int],
) -> None:
    matches = list(_WORD.finditer(line))
    # Title Case: every longer word capitalised, a common one among them ("the Terror"), so
    # the capitals are the heading's, not the words'.
    long_words = [m.group() for m in matches if len(m.group()) >= 4]
    title_case = all(w[0].isupper() for w in long_words) and any(
        rarity(w, ranks) < threshold for w in long_words
    )
    for match in matches:
        word = _bare(match.group())
        key = word.lower()
        if not word or key in STOPWORDS:
            continue
        acronym = bool(_ACRONYM.match(word))
        if not acronym and (len(word) < 4 or not _plausible(word)):
            continue
        # An acronym is rare as written; a normal word by its rank.
        if not acronym and rarity(word, ranks) < threshold:
            continue
        counts[key] = counts.get(key, 0) + 1
        # First on its line, after at most a bullet (which OCR reads as "e", "o", "•" or "e@").
        first = all(len(token) <= 2 for token in line[: match.start()].split())
        placed = not acronym and word[1:].islower() and (first or title_case)
        # "" stands for a spelling that says nothing (a capital the word owes to its place).
        form = "" if placed else word
        forms = spellings.setdefault(key, {})
        forms[form] = forms.get(form, 0) + 1
        order.setdefault(key, len(order))


def _plausible(word: str) -> bool:
    """Not OCR debris: letters in a believable mix of case ("Rubisco", "rubisco", "CALVIN")."""
    letters = word.replace("'", "").replace("-", "")
    if not letters.isalpha():
        return False
    if letters.isupper() or letters.islower() or letters[1:].islower():
        # Long runs of one letter ("lllll") are a rule or a border read as text.
        return not re.search(r"(.)\1\1", letters.lower())
    return False


def glossary_prompt(terms: Sequence[Term | str], *, max_chars: int = MAX_PROMPT_CHARS) -> str:
    """Whisper's ``initial_prompt``: "Glossary: rubisco, Calvin, Robespierre." (empty without terms).

    The words are what matters: the model copies the spellings of words it has just "seen".
    """
    words = _fit([t.word if isinstance(t, Term) else t for t in terms], max_chars - 11)
    return f"Glossary: {', '.join(words)}." if words else ""


def _fit(words: list[str], max_chars: int) -> list[str]:
    kept: list[str] = []
    used = 0
    for word in words:
        if used + len(word) + 2 > max_chars:
            break
        kept.append(word)
        used += len(word) + 2
    return kept


def clean_title(title: str, *, max_chars: int = 60, max_words: int = 9) -> str:
    """A slide title fit to name a topic or a chapter, or "" when it is not.

    Short (a few words), mostly letters, at least one real word, not a generic heading such as
    "Outline" or "Questions?".
    """
    title = " ".join(title.replace("|", " ").split()).strip(" -–—:;,.•·*")
    if not title or len(title) > max_chars or len(title.split()) > max_words:
        return ""
    letters = sum(ch.isalpha() for ch in title)
    if letters < 3 or letters / len(title.replace(" ", "")) < 0.7:
        return ""
    words = [_bare(w) for w in _WORD.findall(title)]
    if not any(len(w) >= 3 and _plausible(w) for w in words):
        return ""
    if " ".join(w.lower() for w in words) in _GENERIC_TITLES:
        return ""
    return title


def slide_spans(slides: Sequence[tuple[float, str]], end: float) -> list[tuple[float, float, str]]:
    """Each slide's (start, end, title): a slide is up until the next one comes."""
    ordered = sorted(slides)
    return [
        (start, ordered[i + 1][0] if i + 1 < len(ordered) else max(end, start), title)
        for i, (start, title) in enumerate(ordered)
    ]


def retitle_topics(
    topics: MutableSequence[Any], slides: Sequence[tuple[float, str]], *, end: float = 0.0
) -> int:
    """Give each topic the title of the slide shown longest during it, when that title is fit.

    ``slides`` are (time, title) pairs. A topic keeps the analyser's title when no slide covers a
    third of it, when the slide's title is not short and meaningful (``clean_title``), or when the
    topic before it already took that title (one slide talked over for two topics). Topics are
    changed in place (they need a writable ``title``); returns how many were renamed.
    """
    if not slides or not topics:
        return 0
    end = max([end, *(float(topic.end) for topic in topics)])
    spans = slide_spans(slides, end)
    renamed = 0
    previous = ""
    for topic in topics:
        start, stop = float(topic.start), float(topic.end)
        best, overlap = "", 0.0
        for first, last, title in spans:
            shared = min(stop, last) - max(start, first)
            if shared > overlap:
                best, overlap = title, shared
        title = clean_title(best)
        if title and overlap >= (stop - start) / 3 and title != previous != topic.title:
            topic.title = title
            renamed += 1
        previous = title or previous
    return renamed
