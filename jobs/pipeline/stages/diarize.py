"""Stage: who speaks when. Every word gets its speaker ("S1", "S2"...), and a segment in which the
speaker changes is cut there, so that no line of the transcript holds two speakers. No Django."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from transcripts.diarization import Diarization, diarize
from transcripts.media import read_wav
from transcripts.record import TranscriptRecord
from transcripts.speakers import speaker_pieces


@dataclass(frozen=True)
class Diarized:
    record: TranscriptRecord
    speakers: list[str]
    # Seconds of speech no measured voice covered (Diarization.unassigned): its words carry the
    # nearest turn's speaker, a guess the user should be told about.
    unassigned_seconds: float = 0.0

    def note(self) -> str:
        """What the user should know about the labels, or "" when all went well."""
        if not self.speakers and self.record.segments:
            return (
                "Speakers were not identified: the voice detector found too little clear speech "
                "to tell voices apart."
            )
        if self.unassigned_seconds >= 0.5:
            return (
                f"About {max(1, round(self.unassigned_seconds))} s of speech was too short or "
                "too faint to tell who said it; those lines show the speaker nearest to them."
            )
        return ""


def label_speakers(
    record: TranscriptRecord,
    audio: Path,
    *,
    speakers: int | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Diarized:
    """``record`` with every word's speaker found from the audio, cut at speaker changes.

    Safe to run again: the speakers are recomputed from the audio, and pieces an earlier run cut
    apart stay apart (each still holds one speaker).
    """
    result = diarize(read_wav(audio), speakers=speakers, on_progress=on_progress)
    pieces = speaker_pieces(record.segments, result)
    return Diarized(
        record=replace(record, segments=[piece for parts in pieces for piece in parts]),
        speakers=result.labels,
        unassigned_seconds=round(result.unassigned_seconds + _unheard(record, result), 2),
    )


def _unheard(record: TranscriptRecord, result: Diarization) -> float:
    """Seconds of words the speech model heard where the diarizer heard nobody: they take the
    nearest turn's speaker (``speaker_between``), a guess the note owns up to."""
    if not result.turns:
        return 0.0
    missing = 0.0
    for segment in record.segments:
        for word in segment.get("words") or []:
            start, end = word.get("start"), word.get("end")
            if start is None or end is None or end <= start:
                continue
            if not any(a < end and start < b for a, b, _ in result.turns):
                missing += end - start
    return missing
