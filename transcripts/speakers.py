"""One truth for who spoke: every word's speaker, and segments cut where the speaker changes.

Plain Python, no Django: the diarize stage (which stores the pieces as segments), the CLI
(``with_speakers``) and the exports all cut the same way, so the page, TXT,
SRT, VTT and JSON show the same turns.

Each word takes the speaker who speaks longest during it (``Diarization.speaker_between``). The
diarizer's turn boundaries are only good to a few tenths of a second (the
segmentation's frames are 17 ms, but a turn's edge is often a breath or a murmur) and Whisper's word times are no better, so a change of speaker that lands a word or two off
a sentence end is moved onto it: "Thank you. | Yes, so" rather than "Thank you. Yes, | so". This is
the punctuation-based realignment speaker-attributed ASR systems use (NeMo's and others'); it
never moves a boundary by more than ``SNAP_WORDS`` words or ``SNAP_SECONDS`` seconds, so a real
interruption mid-sentence still starts a new line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from transcripts.lines import SENTENCE_END


class Diarization(Protocol):
    """Who speaks when, as this module needs it (``transcripts.diarization.Diarization`` is one;
    so is any object with its ``speaker_between``): the diarizer depends on nothing here, and
    this module on nothing of the diarizer's."""

    def speaker_between(self, start: float, end: float) -> str | None: ...


SNAP_WORDS = 2
SNAP_SECONDS = 0.6


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def as_dict(segment: Any) -> dict[str, Any]:
    """A segment (model row, backend result or dict) as a plain dict, words as dicts too."""
    if isinstance(segment, Mapping):
        data = dict(segment)
    else:
        data = {
            name: _get(segment, name)
            for name in ("start", "end", "text", "avg_logprob", "speaker", "language")
            if _get(segment, name) is not None
        }
    data["words"] = [
        dict(w) if isinstance(w, Mapping) else {k: _get(w, k) for k in ("start", "end", "word")}
        for w in (_get(segment, "words") or [])
    ]
    data.setdefault("text", "")
    return data


def _splittable(segment: Mapping[str, Any]) -> bool:
    """Whether the segment's words spell its text, so that cutting at a word loses nothing.

    An owner's edit changes the text but not the words; such a segment is never cut.
    """
    words = segment.get("words") or []
    if not words:
        return False
    joined = " ".join("".join(str(w.get("word", "")) for w in words).split())
    return joined == " ".join(str(segment.get("text", "")).split())


def word_speakers(
    segments: Sequence[Mapping[str, Any]], diarization: Diarization
) -> list[list[str]]:
    """Each segment's words' speakers ("" where nobody was found), realigned to sentence ends."""
    flat: list[tuple[int, int]] = []  # (segment, word) of every word, in order
    labels: list[str] = []
    texts: list[str] = []
    times: list[float] = []
    segment_starts: set[int] = set()
    for number, segment in enumerate(segments):
        start = float(segment.get("start") or 0.0)
        end = max(float(segment.get("end") or start), start)
        segment_starts.add(len(flat))
        for position, word in enumerate(segment.get("words") or []):
            w_start = start if word.get("start") is None else float(word["start"])
            w_end = max(w_start, end if word.get("end") is None else float(word["end"]))
            flat.append((number, position))
            labels.append(diarization.speaker_between(w_start, w_end) or "")
            texts.append(str(word.get("word", "")).strip())
            times.append(w_start)
    _realign(labels, texts, times, segment_starts)
    out: list[list[str]] = [[] for _ in segments]
    for (number, _), label in zip(flat, labels, strict=True):
        out[number].append(label)
    return out


def _realign(
    labels: list[str], texts: Sequence[str], times: Sequence[float], segment_starts: set[int]
) -> None:
    """Move each change of speaker onto a nearby sentence end or segment start, in place.

    A boundary ``b`` sits before word ``b``. It is natural where the word before ends a sentence or
    the model began a new segment. A change elsewhere moves to the nearest natural boundary within
    ``SNAP_WORDS`` words and ``SNAP_SECONDS`` seconds that does not cross another change.
    """

    def natural(b: int) -> bool:
        return b in segment_starts or bool(SENTENCE_END.search(texts[b - 1]))

    changes = [b for b in range(1, len(labels)) if labels[b] != labels[b - 1]]
    for n, b in enumerate(changes):
        if natural(b):
            continue
        low = changes[n - 1] + 1 if n else 1
        high = changes[n + 1] - 1 if n + 1 < len(changes) else len(labels) - 1
        options = [
            c
            for c in range(max(low, b - SNAP_WORDS), min(high, b + SNAP_WORDS) + 1)
            if c != b and natural(c) and abs(times[c] - times[b]) <= SNAP_SECONDS
        ]
        if not options:
            continue
        c = min(options, key=lambda c: (abs(c - b), c))
        before, after = labels[b - 1], labels[b]
        if c < b:
            labels[c:b] = [after] * (b - c)
        else:
            labels[b:c] = [before] * (c - b)
        changes[n] = c


def speaker_runs(segment: Any) -> list[dict[str, Any]]:
    """A segment as one dict per run of one speaker's words (one dict when no change).

    Words without a speaker of their own take the segment's. The runs keep every word and every
    other field; their text is their words', their times their words' (the first and last keep the
    segment's own start and end).
    """
    data = as_dict(segment)
    speaker = str(data.get("speaker") or "")
    words = data["words"]
    for word in words:
        word["speaker"] = str(word.get("speaker") or speaker)
    who = [word["speaker"] for word in words]
    if len(set(who)) <= 1 or not _splittable(data):
        if who and len(set(who)) == 1:
            data["speaker"] = who[0]
        return [data]
    runs: list[list[dict[str, Any]]] = []
    for word in words:
        if runs and runs[-1][-1]["speaker"] == word["speaker"]:
            runs[-1].append(word)
        else:
            runs.append([word])
    pieces = []
    for number, run in enumerate(runs):
        first, last = run[0], run[-1]
        start = data.get("start") if number == 0 else first.get("start")
        end = data.get("end") if number == len(runs) - 1 else last.get("end")
        pieces.append(
            {
                **data,
                "start": float(start if start is not None else data.get("start") or 0.0),
                "end": float(end if end is not None else data.get("end") or 0.0),
                "text": "".join(str(w.get("word", "")) for w in run).strip(),
                "words": run,
                "speaker": first["speaker"],
            }
        )
    return pieces


def speaker_pieces(segments: Iterable[Any], diarization: Diarization) -> list[list[dict[str, Any]]]:
    """For each segment, its pieces: dicts of one speaker each, every word labelled.

    A segment without words (or whose text an owner edited) is not cut: it takes the speaker who
    speaks longest over it, or over its words.
    """
    data = [as_dict(segment) for segment in segments]
    labels = word_speakers(data, diarization)
    out = []
    for segment, who in zip(data, labels, strict=True):
        words = [
            {**word, "speaker": label} for word, label in zip(segment["words"], who, strict=True)
        ]
        if who and not _splittable(segment):
            speaker = _longest(words) or ""
            words = [{**word, "speaker": speaker} for word in words]
        elif not who:
            start = float(segment.get("start") or 0.0)
            end = max(float(segment.get("end") or start), start)
            speaker = diarization.speaker_between(start, end) or ""
        else:
            speaker = ""
        out.append(speaker_runs({**segment, "words": words, "speaker": speaker}))
    return out


def _longest(words: Sequence[Mapping[str, Any]]) -> str | None:
    """The speaker of the most word time (of the most words when none has a duration)."""
    totals: dict[str, float] = {}
    for word in words:
        length = float(word.get("end") or 0.0) - float(word.get("start") or 0.0)
        totals[word["speaker"]] = totals.get(word["speaker"], 0.0) + max(length, 0.0) + 1e-6
    return max(totals, key=lambda label: totals[label]) if totals else None


def with_speakers(segments: Iterable[Mapping[str, Any]], diarization: Diarization) -> list[dict]:
    """Copies of dict segments, cut where the speaker changes, each word with its ``speaker``.

    The same cut as the diarize stage stores, so the CLI's exports show the same turns as the
    page's.
    """
    return [piece for pieces in speaker_pieces(list(segments), diarization) for piece in pieces]


def turns(segments: Iterable[Any]) -> list[dict[str, Any]]:
    """Segments as the exports show them: cut wherever their words' speaker changes."""
    return [piece for segment in segments for piece in speaker_runs(segment)]
