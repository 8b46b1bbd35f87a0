"""Transcript exports: plain text, SRT, WebVTT and JSON. No Django here.

Segments may be model rows or dicts; anything with ``start``, ``end``, ``text`` and ``words``.
SRT and VTT are written by pysubs2 from readable cues (``transcripts.subtitles``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pysubs2

from transcripts.rttm import to_rttm
from transcripts.speakers import turns
from transcripts.subtitles import build_cues

FORMATS = {
    "txt": "text/plain; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "json": "application/json",
    # RTTM has no registered media type; it is plain text (see transcripts.rttm).
    "rttm": "text/plain; charset=utf-8",
}


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _timestamp(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:d}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _speaker(label: Any, names: Mapping[str, str] | None) -> str:
    """What a speaker label is shown as: the name the user gave it, or the label itself."""
    label = str(label or "")
    return str((names or {}).get(label) or label)


def _turns(segments: Iterable[Any]) -> list[dict[str, Any]]:
    """Segments cut wherever their words' speaker changes (``transcripts.speakers``).

    The diarize stage stores segments cut this way already; older transcripts, and segments
    handed in by other code, get the very same cut here, so every format shows the same turns.
    """

    return turns(segments)


def to_txt(
    segments: Iterable[Any],
    *,
    timestamps: bool = False,
    speaker_names: Mapping[str, str] | None = None,
) -> str:
    lines = []
    previous = ""
    for segment in _turns(segments):
        text = str(_get(segment, "text", "")).strip()
        if not text:
            continue
        stamp = f"[{_timestamp(_get(segment, 'start', 0))}] " if timestamps else ""
        speaker = str(_get(segment, "speaker", "") or "")
        # "Lecturer: text" where the transcript knows who speaks, once per turn.
        who = f"{_speaker(speaker, speaker_names)}: " if speaker and speaker != previous else ""
        previous = speaker
        lines.append(f"{stamp}{who}{text}")
    return "\n".join(lines) + ("\n" if lines else "")


def _vtt_text(text: str) -> str:
    """WebVTT cue text: markup characters as entities, so ``<script>`` is text and ``-->`` cannot
    start a timing line; no blank line, which would end the cue."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "\n".join(line for line in text.splitlines() if line.strip())


def _srt_text(text: str) -> str:
    """SubRip has no escapes, and players read HTML-like tags in it: angle brackets become look-
    alikes, an arrow is no timing line, and a blank line (the end of a cue) is dropped."""
    text = text.replace("-->", "→").replace("<", "‹").replace(">", "›")
    return "\n".join(line for line in text.splitlines() if line.strip())


def _subtitle_file(
    segments: Iterable[Any], *, voices: bool = False, speaker_names: Mapping[str, str] | None = None
) -> pysubs2.SSAFile:
    def label(speaker: str) -> str:
        # SRT has no voices: the cue where someone starts speaking opens with "Name:".
        return f"{_speaker(speaker, speaker_names)}:"

    subs = pysubs2.SSAFile()
    for cue in build_cues(_turns(segments), speaker_label=None if voices else label):
        event = pysubs2.SSAEvent(start=round(cue.start * 1000), end=round(cue.end * 1000))
        text = _vtt_text(cue.text) if voices else _srt_text(cue.text)
        if voices and cue.speaker:
            # WebVTT's voice span: players show (or style) who speaks.
            name = _vtt_text(" ".join(_speaker(cue.speaker, speaker_names).split()))
            text = f"<v {name}>{text}"
        event.plaintext = text
        subs.append(event)
    return subs


def to_srt(segments: Iterable[Any], *, speaker_names: Mapping[str, str] | None = None) -> str:
    return _subtitle_file(segments, speaker_names=speaker_names).to_string("srt")


def to_vtt(segments: Iterable[Any], *, speaker_names: Mapping[str, str] | None = None) -> str:
    return _subtitle_file(segments, voices=True, speaker_names=speaker_names).to_string("vtt")


def segment_dict(segment: Any, speaker_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    words = _get(segment, "words", None) or []
    speaker = _get(segment, "speaker", None)
    data = {
        "start": round(float(_get(segment, "start", 0)), 3),
        "end": round(float(_get(segment, "end", 0)), 3),
        "text": str(_get(segment, "text", "")).strip(),
        "words": [
            {
                "start": round(float(_get(w, "start", 0)), 3),
                "end": round(float(_get(w, "end", 0)), 3),
                "word": str(_get(w, "word", "")),
                # Every word says who spoke it, as the segment does.
                **(
                    {"speaker": _speaker(_get(w, "speaker") or speaker, speaker_names)}
                    if _get(w, "speaker", None) or speaker
                    else {}
                ),
            }
            for w in words
        ],
    }
    if speaker:
        data["speaker"] = _speaker(speaker, speaker_names)
    if _get(segment, "language", None):
        data["language"] = _get(segment, "language")
    return data


def to_json(
    segments: Iterable[Any],
    *,
    language: str,
    duration: float,
    backend: str,
    model: str,
    extra: Mapping[str, Any] | None = None,
    speaker_names: Mapping[str, str] | None = None,
) -> str:
    document: dict[str, Any] = {
        "language": language,
        "duration": round(float(duration), 3),
        "backend": backend,
        "model": model,
        "segments": [segment_dict(segment, speaker_names) for segment in _turns(segments)],
    }
    if extra:
        document.update(extra)
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def render(
    fmt: str, segments: list[Any], *, speaker_names: Mapping[str, str] | None = None, **meta: Any
) -> str:
    if fmt == "txt":
        return to_txt(segments, speaker_names=speaker_names)
    if fmt == "srt":
        return to_srt(segments, speaker_names=speaker_names)
    if fmt == "vtt":
        return to_vtt(segments, speaker_names=speaker_names)
    if fmt == "json":
        return to_json(segments, speaker_names=speaker_names, **meta)
    if fmt == "rttm":
        return to_rttm(segments, uri=str(meta.get("uri") or "audio"), speaker_names=speaker_names)
    raise ValueError(f"Unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}.")
