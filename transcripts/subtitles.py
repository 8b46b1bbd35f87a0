"""Subtitle cues from timed words: how much text a cue holds, and where cues and lines break.

Plain Python, no Django: the SRT/VTT exports, the clip burner and the CLI share it.

The rules are the usual broadcast ones (BBC, Netflix): at most two lines of 42 characters, a cue on
screen between 1 and 7 seconds, reading speed at most 20 characters a second where the speech
leaves time for it. A cue starts at a word's start, so cues follow the voice; it stays up until the
reader has had time to read it, but never past the next cue's start. Where to break is chosen over
the whole passage at once (dynamic programming), so a cue that has to end early ends after a full
stop if there is one nearby, else after a comma or at a pause, rather than wherever it happened to
fill up. Two lines are balanced, with the line break after punctuation when that costs little
balance.

Fast speech leaves too little time between one cue's first word and the next's to read it at 20
characters a second. Then the timing borrows: a cue may come up to ``LEAD`` seconds before its
first word (into the silence or the slack of the cue before) and the next may wait up to ``LAG``
seconds after its own, the small drift subtitlers accept rather than cues that cannot be read.
A cue never holds two speakers; with ``speaker_label`` (SRT has no voices) the cue where someone
starts speaking opens with their label, counted in its length like any word.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from transcripts.lines import CLAUSE_END, SENTENCE_END

MAX_LINE = 42
MAX_LINES = 2
MIN_DURATION = 1.0
MAX_DURATION = 7.0
MAX_CPS = 20.0
# How far a cue may move off its first word to leave time for reading (see above).
LEAD = 0.5
LAG = 0.4

# A pause this long inside a cue would leave text on screen over silence.
_LONG_PAUSE = 1.0


@dataclass
class Cue:
    start: float
    end: float
    lines: list[str]
    speaker: str | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class _Token:
    text: str  # as shown, without surrounding spaces
    space: bool  # a space separates it from the token before (False in Chinese, Japanese...)
    start: float
    end: float
    segment: int
    speaker: str | None
    label: bool = False  # a speaker's label, not a spoken word


def build_cues(
    segments: Iterable[Any],
    *,
    max_line: int = MAX_LINE,
    max_lines: int = MAX_LINES,
    min_duration: float = MIN_DURATION,
    max_duration: float = MAX_DURATION,
    max_cps: float = MAX_CPS,
    speaker_label: Callable[[str], str] | None = None,
) -> list[Cue]:
    """Cues for ``segments``: objects or dicts with start, end, text and words.

    ``words`` is a list of objects or dicts with start, end and word (faster-whisper's shape: the
    word with its leading space). A segment without words is split into words at spaces, timed in
    proportion to their length across the segment. A segment may carry a ``speaker``; a cue never
    holds two speakers. ``speaker_label(speaker)``, when given, is the text that opens the cue
    where a speaker starts (say "Lecturer:").
    """
    if max_lines not in (1, 2):
        raise ValueError("max_lines must be 1 or 2.")
    tokens = _tokens(segments, max_line)
    if speaker_label is not None:
        tokens = _with_labels(tokens, speaker_label, max_line)
    if not tokens:
        return []
    spans = _best_spans(tokens, max_line, max_lines, min_duration, max_duration, max_cps)
    times = _display_times(tokens, spans, min_duration, max_duration, max_cps)
    cues = [
        Cue(start, end, _lines(tokens, i, j, max_line), tokens[i].speaker)
        for (i, j), (start, end) in zip(spans, times, strict=True)
    ]
    return _finish(cues)


def _with_labels(
    tokens: list[_Token], speaker_label: Callable[[str], str], max_line: int
) -> list[_Token]:
    """``tokens`` with the speaker's label before the first word of every turn."""
    out: list[_Token] = []
    for index, token in enumerate(tokens):
        if token.speaker and (not index or tokens[index - 1].speaker != token.speaker):
            text = " ".join(str(speaker_label(token.speaker)).split())
            for piece, space, _, _ in _split_long(text, True, token.start, token.start, max_line):
                out.append(_Token(piece, space, token.start, token.start, token.segment,
                                  token.speaker, label=True))  # fmt: skip
            token = replace(token, space=True)  # "Name: word", even in unspaced scripts
        out.append(token)
    return out


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, dict):
        return item.get(name, default)
    return getattr(item, name, default)


def _tokens(segments: Iterable[Any], max_line: int) -> list[_Token]:
    """Every word of every segment, in order, with sane times and no word longer than a line."""
    tokens: list[_Token] = []
    last_start = 0.0
    for number, segment in enumerate(segments):
        seg_start = float(_get(segment, "start", 0.0) or 0.0)
        seg_end = max(float(_get(segment, "end", seg_start) or seg_start), seg_start)
        text = str(_get(segment, "text", "") or "")
        speaker = _get(segment, "speaker")
        raw = [
            (str(_get(w, "word", "") or ""), _get(w, "start"), _get(w, "end"))
            for w in (_get(segment, "words") or [])
        ]
        # Words may carry their own speaker when a segment spans a change of speaker.
        word_speakers = [
            _get(w, "speaker") or speaker
            for w in (_get(segment, "words") or [])
            if str(_get(w, "word", "") or "").strip()
        ]
        raw = [(word, start, end) for word, start, end in raw if word.strip()]
        if raw:
            # Some sources give words without their leading spaces; the text tells us whether the
            # language puts spaces between words at all.
            spaced_source = any(word[:1].isspace() for word, _, _ in raw[1:])
            add_spaces = not spaced_source and len(text.split()) > 1
            words = [
                (
                    word.strip(),
                    word[:1].isspace() or add_spaces,
                    float(seg_start if start is None else start),
                    float(seg_end if end is None else end),
                )
                for word, start, end in raw
            ]
        else:
            words = _proportional(text, seg_start, seg_end)
        for position, (word, space, start, end) in enumerate(words):
            start = max(start, last_start)  # times only move forward
            end = max(end, start)
            last_start = start
            who = word_speakers[position] if raw else speaker
            for piece in _split_long(word, space, start, end, max_line):
                tokens.append(_Token(*piece, segment=number, speaker=who))
    return tokens


def _proportional(text: str, start: float, end: float) -> list[tuple[str, bool, float, float]]:
    """A segment's words, timed by their share of its characters."""
    words = text.split()
    if not words:
        return []
    weights = [len(word) + 1 for word in words]
    total = sum(weights)
    out = []
    position = start
    for word, weight in zip(words, weights, strict=True):
        step = (end - start) * weight / total
        out.append((word, True, position, position + step))
        position += step
    return out


def _split_long(
    word: str, space: bool, start: float, end: float, max_line: int
) -> list[tuple[str, bool, float, float]]:
    """A word longer than a line, cut into line-sized pieces timed in proportion.

    The only place a word is ever cut, because a line longer than the limit is clipped by some
    players. Latin-script pieces get a hyphen; scripts without spaces need none.
    """
    if len(word) <= max_line:
        return [(word, space, start, end)]
    pieces: list[str] = []
    rest = word
    while len(rest) > max_line:
        cut = max_line - 1
        if rest[cut - 1].isalpha() and rest[cut].isalpha() and rest[cut - 1].isascii():
            pieces.append(rest[:cut] + "-")
        else:
            cut = max_line
            pieces.append(rest[:cut])
        rest = rest[cut:]
    pieces.append(rest)
    out = []
    position = start
    for index, piece in enumerate(pieces):
        step = (end - start) * len(piece) / sum(len(p) for p in pieces)
        out.append((piece, space if index == 0 else False, position, position + step))
        position += step
    return out


def _length(tokens: Sequence[_Token], i: int, j: int) -> int:
    """Characters in tokens[i:j] joined on one line."""
    return sum(len(t.text) for t in tokens[i:j]) + sum(1 for t in tokens[i + 1 : j] if t.space)


def _break_penalty(tokens: Sequence[_Token], k: int) -> float:
    """How bad a cue end after token ``k`` is: 0 after a full stop, 2 in mid-phrase."""
    text = tokens[k].text
    if SENTENCE_END.search(text):
        penalty = 0.0
    elif CLAUSE_END.search(text):
        penalty = 0.6
    else:
        penalty = 2.0
    following = tokens[k + 1]
    if following.segment != tokens[k].segment:
        penalty = min(penalty, 1.0)  # the model itself started a new segment here
    pause = max(following.start - tokens[k].end, _silent_lead_in(following))
    if pause > 0.2:
        penalty = max(penalty - pause * 2, 0.0)  # a pause is a natural place to break
    return penalty


def _silent_lead_in(token: _Token) -> float:
    """Silence hidden at the start of a word, in seconds (an estimate).

    Whisper's word alignment (faster-whisper, whisper.cpp's DTW) starts each word where the one
    before ended, so a pause shows up not as a gap but as a short word lasting far too long:
    JFK's "ask" after "Americans" lasts 1.6 s. Anything beyond a generous speaking time for the
    word's letters is taken as a pause before it.
    """
    speaking = 0.3 + 0.1 * len(token.text)
    return max(token.end - token.start - speaking, 0.0)


def _display_times(
    tokens: Sequence[_Token],
    spans: Sequence[tuple[int, int]],
    min_duration: float,
    max_duration: float,
    max_cps: float,
) -> list[tuple[float, float]]:
    """When each cue comes up and leaves the screen.

    A cue comes up with its first word and stays after its last until it has been on long enough
    to be read (``max_cps``) and noticed (``min_duration``), never longer than the maximum and never
    past the next cue's start. Where that leaves a cue too little time, it comes up earlier (by at
    most ``LEAD``, never before the cue before has gone) and pushes the next cue later (by at most
    ``LAG``). A backward pass first finds how late each cue may start and still leave every cue
    after it its time, so a cue comes up early only when the ones after it need that.
    """
    firsts = [tokens[i].start for i, _ in spans]
    spoken = [max(t.end for t in tokens[i:j]) for i, j in spans]
    # (A millisecond more, so that times rounded to milliseconds still read within the speed.)
    needs = [
        min(max(min_duration, _length(tokens, i, j) / max_cps + 0.001), max_duration)
        for i, j in spans
    ]
    latest = [0.0] * len(spans)
    for k in range(len(spans) - 1, -1, -1):
        after = latest[k + 1] - needs[k] if k + 1 < len(spans) else math.inf
        latest[k] = min(firsts[k] + LAG, after)
    times: list[tuple[float, float]] = []
    previous_end = -math.inf
    for k in range(len(spans)):
        start = max(min(firsts[k], latest[k]), firsts[k] - LEAD, previous_end, 0.0)
        start = min(start, max(firsts[k] + LAG, previous_end))
        end = min(max(spoken[k], start + needs[k]), start + max_duration)
        if k + 1 < len(spans):
            # The next cue may wait for this one, but only so long; and this one leaves early
            # enough for the ones after it to have their time, as long as it keeps its own.
            end = min(end, max(firsts[k + 1] + LAG, start), max(latest[k + 1], start + needs[k]))
        times.append((start, end))
        previous_end = end
    return times


def _best_spans(
    tokens: Sequence[_Token],
    max_line: int,
    max_lines: int,
    min_duration: float,
    max_duration: float,
    max_cps: float,
) -> list[tuple[int, int]]:
    """The cue boundaries of least total cost, by dynamic programming over token positions.

    A cue's cost is 1 (fewer, fuller cues are easier to follow), plus the badness of where it ends,
    plus penalties for reading faster than ``max_cps``, being shorter than ``min_duration``,
    spanning a long pause, and unbalanced lines. Spans that do not fit the lines, that run past
    ``max_duration`` of speech, or that mix speakers are not allowed at all.
    """
    n = len(tokens)
    # offsets[k]: characters before token k when all tokens are joined, with their spaces.
    offsets = [0] * (n + 1)
    for k, token in enumerate(tokens):
        offsets[k + 1] = offsets[k] + len(token.text) + (1 if token.space and k else 0)
    breaks = [_break_penalty(tokens, k) if k + 1 < n else 0.0 for k in range(n)]
    sentence = [bool(SENTENCE_END.search(token.text)) for token in tokens]

    def span_chars(i: int, j: int) -> int:
        leading = 1 if tokens[i].space and i else 0
        return offsets[j] - offsets[i] - leading

    best = [math.inf] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for i in range(n):
        if best[i] == math.inf:
            continue
        start = tokens[i].start
        spoken_end = start
        pauses = 0
        sentence_ends: list[int] = []  # tokens inside the span (not its last) that end a sentence
        lines, line = 1, 0
        for j in range(i + 1, n + 1):
            token = tokens[j - 1]
            if j - 1 > i:
                if token.speaker != tokens[i].speaker or token.label:
                    break
                if token.start - tokens[j - 2].end >= _LONG_PAUSE:
                    pauses += 1
                if sentence[j - 2]:
                    sentence_ends.append(j - 2)
            # Greedy filling gives the fewest lines, so it decides whether the span fits at all.
            width = len(token.text) + (1 if line and token.space else 0)
            if line and line + width > max_line:
                lines, line = lines + 1, len(token.text)
            else:
                line += width
            if lines > max_lines:
                break
            spoken_end = max(spoken_end, token.end)
            if spoken_end - start > max_duration and j - i > 1:
                break
            if token.label:
                continue  # a label opens a cue; it never ends one
            chars = span_chars(i, j)
            next_start = tokens[j].start if j < n else math.inf
            end = min(
                max(spoken_end, start + min_duration, start + chars / max_cps),
                next_start,
                start + max_duration,
            )
            shown = max(end - start, 0.001)
            cost = 1.0 + breaks[j - 1] + 3.0 * pauses
            if shown < 0.05:
                cost += 50.0  # the next word starts at the same time: this cue would not show
            cps = chars / shown
            if cps > max_cps:
                cost += 3.0 * (cps / max_cps - 1.0)
            if shown < min_duration:
                cost += 2.0 * (min_duration - shown) / min_duration
            if chars > max_line:
                first, second = _balanced_split(offsets, tokens, i, j)
                cost += 0.5 * abs(first - second) / max_line
            if sentence_ends:
                cost += _mixing_penalty(sentence_ends, i, j, span_chars, max_line)
            if best[i] + cost < best[j]:
                best[j] = best[i] + cost
                back[j] = i
    spans: list[tuple[int, int]] = []
    j = n
    while j > 0:
        spans.append((back[j], j))
        j = back[j]
    spans.reverse()
    return spans


def _mixing_penalty(
    sentence_ends: Sequence[int],
    i: int,
    j: int,
    span_chars: Callable[[int, int], int],
    max_line: int,
) -> float:
    """The cost of a cue that ends one sentence and starts another.

    Two short sentences on one line, or one sentence a line, read well; a new sentence starting at
    the end of a line, or a third sentence, do not (the reader loses where one begins).
    """
    if len(sentence_ends) == 1:
        if span_chars(i, j) <= max_line:
            return 0.3
        k = sentence_ends[0] + 1
        if span_chars(i, k) <= max_line and span_chars(k, j) <= max_line:
            return 0.0
    return 1.5 * len(sentence_ends)


def _balanced_split(
    offsets: Sequence[int], tokens: Sequence[_Token], i: int, j: int
) -> tuple[int, int]:
    """Lengths of the two lines when tokens[i:j] is split as evenly as word boundaries allow."""
    leading = 1 if tokens[i].space and i else 0
    middle = (offsets[i] + leading + offsets[j]) / 2
    m = min(max(bisect_left(offsets, middle, i + 1, j), i + 1), j - 1)
    options = []
    for split in (m - 1, m, m + 1):
        if i < split < j:
            options.append((_length(tokens, i, split), _length(tokens, split, j)))
    return min(options, key=max)


def _lines(tokens: Sequence[_Token], i: int, j: int, max_line: int) -> list[str]:
    """One line if it fits, else two balanced lines, broken after punctuation when close."""
    if _length(tokens, i, j) <= max_line or j - i == 1:
        return [_join(tokens[i:j])]
    best: tuple[float, int] | None = None
    for split in range(i + 1, j):
        first, second = _length(tokens, i, split), _length(tokens, split, j)
        if max(first, second) > max_line or tokens[split - 1].label:
            continue
        score = abs(first - second)
        # Syntax first, balance second: a sentence end or a comma is where a reader pauses.
        if SENTENCE_END.search(tokens[split - 1].text):
            score -= 25
        elif CLAUSE_END.search(tokens[split - 1].text):
            score -= 8
        if best is None or score < best[0]:
            best = (score, split)
    if best is None:  # cannot happen for spans _best_spans allows; keep every word regardless
        return [_join(tokens[i:j])]
    return [_join(tokens[i : best[1]]), _join(tokens[best[1] : j])]


def _join(tokens: Sequence[_Token]) -> str:
    parts = []
    for index, token in enumerate(tokens):
        if index and token.space:
            parts.append(" ")
        parts.append(token.text)
    return "".join(parts)


def _finish(cues: list[Cue]) -> list[Cue]:
    """Millisecond times, every cue visible, none overlapping the next.

    Only words with identical times (a model glitch) can leave a cue with no duration: it gets a
    sliver of time, and the cues after it move along by as much, keeping their durations.
    """
    sliver = 0.05
    for index, cue in enumerate(cues):
        if index and cue.start < cues[index - 1].end:
            shift = cues[index - 1].end - cue.start
            cue.start, cue.end = cue.start + shift, cue.end + shift
        cue.end = max(cue.end, cue.start + sliver)
        cue.start, cue.end = round(cue.start, 3), round(cue.end, 3)
    return cues
