"""Speaker turns as RTTM, the diarization field's exchange format (NIST Rich Transcription).

One line per turn: ``SPEAKER <file> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>``, the form
pyannote, DiarizationErrorRate scorers (pyannote.metrics, dscore, md-eval) and the AMI/DIHARD
references use. No Django here.

From a ``Diarization`` the lines are its turns (what the bench scores). From transcript segments
(what a job stores) they are the speaker runs every other export shows
(``transcripts.speakers.turns``), so the RTTM and the TXT/SRT/VTT/JSON name the same speaker for
the same words; speech whose speaker is unknown gets no line, as RTTM has no "unknown" speaker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from transcripts.speakers import turns as speaker_runs

_SPACE = re.compile(r"\s+")


def _field(value: str, fallback: str) -> str:
    """RTTM fields are split on whitespace: none may hold any, nor be empty."""
    return _SPACE.sub("_", value.strip()) or fallback


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def speaker_turns(source: Any) -> list[tuple[float, float, str]]:
    """(start, end, label) turns of a ``Diarization``, of ``(start, end, label)`` tuples, or of
    transcript segments (objects or dicts with start, end, speaker and words)."""
    turns = getattr(source, "turns", None)
    if turns is not None:
        return [(float(a), float(b), str(label)) for a, b, label in turns]
    items = list(source)
    if all(isinstance(item, tuple | list) and len(item) == 3 for item in items):
        return [(float(a), float(b), str(label)) for a, b, label in items]

    result = []
    for piece in speaker_runs(items):
        speaker = str(_get(piece, "speaker", "") or "")
        start, end = _get(piece, "start"), _get(piece, "end")
        if speaker and start is not None and end is not None and float(end) > float(start):
            result.append((float(start), float(end), speaker))
    return result


def to_rttm(
    source: Any, *, uri: str = "audio", speaker_names: Mapping[str, str] | None = None
) -> str:
    """RTTM text for ``source`` (see ``speaker_turns``), speakers under the names given to them."""
    file_id = _field(str(uri), "audio")
    lines = []
    for start, end, label in sorted(speaker_turns(source)):
        if end <= start:
            continue
        name = _field(str((speaker_names or {}).get(label) or label), "speaker")
        lines.append(
            f"SPEAKER {file_id} 1 {start:.3f} {end - start:.3f} <NA> <NA> {name} <NA> <NA>"
        )
    return "\n".join(lines) + ("\n" if lines else "")
