"""A transcript as plain data: what a run produced, what the database stores, what the CLI exports.

One shape for the one writer (``transcripts.services.transcript_replace``), the content cache
(``transcripts.selectors.transcript_record``) and the runner, so that a transcript is written in
one place only. No Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from transcripts.backends.base import SegmentResult, TranscriptionResult
from transcripts.speech import SpeechCheck


@dataclass
class TranscriptRecord:
    language: str
    duration: float
    # Segments as dicts: start, end, text, avg_logprob, language, speaker, words (each a dict with
    # start, end, word, probability and, once diarized, speaker).
    segments: list[dict[str, Any]]
    language_probability: float | None = None
    languages: dict[str, float] = field(default_factory=dict)
    speech_seconds: float | None = None
    missing_speech: list[list[float]] = field(default_factory=list)
    removed_segments: list[dict[str, Any]] = field(default_factory=list)
    prompt_sha256: str = ""

    @property
    def text(self) -> str:
        return " ".join(s["text"].strip() for s in self.segments if str(s["text"]).strip())

    @classmethod
    def from_result(
        cls,
        result: TranscriptionResult,
        check: SpeechCheck | None = None,
        *,
        prompt_sha256: str = "",
    ) -> TranscriptRecord:
        return cls(
            language=result.language,
            duration=result.duration,
            language_probability=result.language_probability,
            languages=result.languages,
            segments=[segment_dict(segment, result.language) for segment in result.segments],
            speech_seconds=check.speech_seconds if check else None,
            missing_speech=[list(span) for span in check.missing] if check else [],
            removed_segments=[removed.to_dict() for removed in check.removed] if check else [],
            prompt_sha256=prompt_sha256,
        )

    def without_speakers(self) -> TranscriptRecord:
        """The same words with nobody's name on them (a reused transcript is diarized anew)."""
        return replace(
            self,
            segments=[
                {
                    **segment,
                    "speaker": "",
                    "words": [
                        {k: v for k, v in word.items() if k != "speaker"}
                        for word in segment["words"]
                    ],
                }
                for segment in self.segments
            ],
        )


def segment_dict(segment: SegmentResult, language: str = "") -> dict[str, Any]:
    """A decoded segment in the record's shape (no speaker yet)."""
    return {
        "start": segment.start,
        "end": segment.end,
        "text": segment.text,
        "avg_logprob": segment.avg_logprob,
        "language": segment.language or language or "",
        "speaker": "",
        "words": [
            {"start": w.start, "end": w.end, "word": w.word, "probability": w.probability}
            for w in segment.words
        ],
    }
