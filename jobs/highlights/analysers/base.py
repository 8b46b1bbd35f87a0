"""The one small interface every content analyser implements, and what it takes and returns.

An analyser reads a lecture's transcript (with the pauses and slide changes found earlier) and
splits it into topics, each with a title, a one-line summary and an importance between 0 and 1.
For a lecture, importance means teaching value: a definition, a worked example, a key takeaway,
an answered question, a passage that makes sense on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from jobs.highlights.text import Sentence, TimedWord, split_sentences, timed_words


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str  # a sentence, for logs and for `manage.py` listings


@dataclass
class AnalysisRequest:
    """Everything an analyser may use. Only ``segments`` is required."""

    segments: Sequence[Any]  # SegmentResult-like objects or their dicts, with word timings
    duration: float = 0.0
    silences: Sequence[tuple[float, float]] = ()  # sorted, as ``detect_silences`` gives them
    slide_changes: Sequence[float] = ()
    language: str = "en"
    title: str = ""  # the recording's title, if the user gave one
    # Worked out from ``segments`` on first use and kept, since every analyser needs them.
    _words: list[TimedWord] | None = field(default=None, init=False, repr=False, compare=False)
    _sentences: list[Sentence] | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def words(self) -> list[TimedWord]:
        if self._words is None:
            self._words = timed_words(self.segments)
        return self._words

    @property
    def sentences(self) -> list[Sentence]:
        if self._sentences is None:
            self._sentences = split_sentences(self.words)
        return self._sentences

    @property
    def end(self) -> float:
        return max(self.duration, self.sentences[-1].end if self.sentences else 0.0)


@dataclass
class Topic:
    start: float
    end: float
    title: str
    summary: str  # one line
    importance: float  # 0..1, teaching value
    why: str  # what the importance rests on, in a sentence

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["start"], data["end"] = round(self.start, 2), round(self.end, 2)
        data["importance"] = round(self.importance, 3)
        return data


@dataclass
class AnalysisResult:
    topics: list[Topic]
    analyser: str  # "local" or "gemini"
    model: str = ""
    # Set when the chosen analyser failed and another one produced this result.
    fallback_reason: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "topics": [topic.to_dict() for topic in self.topics],
            "analyser": self.analyser,
            "model": self.model,
            "fallback_reason": self.fallback_reason,
        }


class AnalysisError(Exception):
    """An analyser failed on this input; ``str(exc)`` is a readable sentence."""


@runtime_checkable
class Analyser(Protocol):
    name: str

    def available(self) -> Availability:
        """Whether this analyser can run here with these settings, and why."""
        ...

    def analyse(self, request: AnalysisRequest) -> AnalysisResult:
        """Topics of the lecture in time order. Raises ``AnalysisError``."""
        ...
