"""The one small interface every transcription backend implements.

Nothing here imports Django: backends are plain Python so that the CLI, the worker and the
benchmarks share them, and so that each can be tested on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    word: str
    probability: float | None = None


@dataclass
class SegmentResult:
    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    words: list[Word] = field(default_factory=list)
    # The language this stretch was decoded in, where the backend knows it per stretch.
    language: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class TranscriptionResult:
    language: str
    duration: float
    segments: list[SegmentResult]
    backend: str
    model: str
    language_probability: float | None = None

    @property
    def languages(self) -> dict[str, float]:
        """Seconds of transcript per language, most first; the whole under ``language`` when
        the backend did not tell languages apart."""
        seconds: dict[str, float] = {}
        for segment in self.segments:
            code = segment.language or self.language
            if code:
                seconds[code] = seconds.get(code, 0.0) + max(0.0, segment.end - segment.start)
        ordered = sorted(seconds.items(), key=lambda item: -item[1])
        return {code: round(value, 2) for code, value in ordered}

    @property
    def text(self) -> str:
        return " ".join(segment.text.strip() for segment in self.segments if segment.text.strip())


@dataclass(frozen=True)
class TranscribeOptions:
    """What a caller asks of a backend; a backend ignores what it cannot do."""

    language: str | None = None  # None: detect
    task: str = "transcribe"  # or "translate" (to English)
    word_timestamps: bool = True
    initial_prompt: str | None = None
    # Vocabulary the transcript should favour (e.g. terms read off the slides).
    hotwords: str | None = None
    # Who asked, so that metered backends can count usage per user.
    user_id: int | None = None
    model: str | None = None  # overrides the backend's configured model


@dataclass(frozen=True)
class Availability:
    ok: bool
    reason: str  # why it is or is not available, in a sentence for `manage.py backends`

    @classmethod
    def import_failed(cls, package: str, module: str, exc: ImportError) -> Availability:
        """Unavailable because ``import module`` raised ``exc``.

        "Not installed" only when the module itself is missing; anything else (a broken native
        library, a missing dependency of the package) is reported with its cause, since it is a
        problem the operator can fix.
        """
        if isinstance(exc, ModuleNotFoundError) and exc.name == module:
            return cls(False, f"the {package} package is not installed")
        return cls(False, f"the {package} package failed to import: {exc!r}")


# Called with each segment as it is decoded, so callers can report progress and store as they go.
SegmentCallback = Callable[[SegmentResult], None]


class BackendError(Exception):
    """A backend failed on this input; the registry may fall back to the next one.

    ``str(exc)`` is shown to the user, so it must be a readable sentence.
    """


class BackendUnavailable(BackendError):
    """The backend cannot run here at all (missing package, model or key)."""


class QuotaExceeded(BackendError):
    """The user's usage limit for a metered backend would be exceeded.

    Not a reason to fall back: the user asked for a limited service and gets told why.
    """


@runtime_checkable
class Backend(Protocol):
    name: str

    def availability(self) -> Availability:
        """Whether this backend can run on this machine with these settings, and why."""
        ...

    def model_name(self, options: TranscribeOptions) -> str:
        """The model this backend would use for ``options``, for records and cache keys."""
        ...

    def transcribe(
        self,
        audio: Path,
        options: TranscribeOptions,
        on_segment: SegmentCallback | None = None,
    ) -> TranscriptionResult:
        """Transcribe a 16 kHz mono WAV file. Raises ``BackendError`` with a readable message."""
        ...
