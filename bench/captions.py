"""Captions: how readable the SRT/VTT cues are on real, unscripted speech.

The recordings are the real ones in ``../shared/media`` (JFK, a LibriSpeech reader, the MIT licence
read in English then German, a two-speaker stereo clip) and the ten 30-second AMI meeting excerpts
in ``../shared/media/ami`` (spontaneous speech, one to four speakers; the caption rules were never
tuned on them). Each is transcribed once with the bundled ``base`` model (greedy, no VAD: the
tests' own transcripts, cached in ``var/test-cache``), then cut into cues by
``transcripts.subtitles.build_cues``, the code the exports use.

Figures per cue list, and over all cues together: the shortest cue, the cues shorter than 0.8 s
that do not stand alone between pauses, the share of cues read at ≤ 20 characters a second, the
longest line and the most lines in a cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

COMMAND = ".venv/bin/python -m bench.run --only captions"
MIN_SECONDS = 0.8
MAX_CPS = 20.0
# A cue stands alone between pauses when the speech around it is this far away.
PAUSE = 0.3

# (name, file under ../shared/media, language, start, length)
RECORDINGS: tuple[tuple[str, str, str | None, float, float | None], ...] = (
    ("jfk", "jfk.wav", None, 0.0, None),
    ("ls_test", "ls_test.flac", None, 0.0, None),
    ("licence-en", "multilingual.mp3", "en", 0.0, 29),
    ("licence-de", "multilingual.mp3", "de", 29.0, None),
    ("stereo", "stereo_diarization.wav", None, 0.0, None),
    *((f"ami-trn{n:02d}", f"ami/trn{n:02d}.wav", "en", 0.0, None) for n in range(10)),
)


def transcripts() -> dict[str, list[dict]]:
    """Every recording's segments with word timings (cached after the first run)."""
    from tests.transcripts.conftest import faster_whisper_transcript

    return {
        name: faster_whisper_transcript(media, language=language, start=start, length=length)
        for name, media, language, start, length in RECORDINGS
    }


def _speech_bounds(segments: Sequence[Any]) -> list[tuple[float, float]]:
    words = [w for s in segments for w in (s.get("words") or []) if w["word"].strip()]
    return [(float(w["start"]), float(w["end"])) for w in words]


def cue_figures(cues: Sequence[Any], segments: Sequence[Any]) -> dict[str, Any]:
    """The readability figures of one cue list (``Cue`` objects) made from ``segments``."""
    words = _speech_bounds(segments)
    short_not_alone = 0
    for cue in cues:
        if cue.duration >= MIN_SECONDS - 1e-3:
            continue
        before = [end for start, end in words if start < cue.start - 1e-3]
        after = [start for start, _ in words if start >= cue.end - 1e-3]
        own_end = max(
            (end for start, end in words if cue.start - 1e-3 <= start < cue.end), default=cue.end
        )
        alone = (not before or cue.start - max(before) >= PAUSE) and (
            not after or min(after) - own_end >= PAUSE
        )
        if not alone:
            short_not_alone += 1
    cps = [len(cue.text.replace("\n", "")) / max(cue.duration, 1e-3) for cue in cues]
    return {
        "cues": len(cues),
        "min_seconds": round(min((c.duration for c in cues), default=0.0), 3),
        "short_not_alone": short_not_alone,
        "within_cps": sum(1 for x in cps if x <= MAX_CPS + 1e-6),
        "max_cps": round(max(cps, default=0.0), 1),
        "max_line": max((len(line) for c in cues for line in c.lines), default=0),
        "max_lines": max((len(c.lines) for c in cues), default=0),
    }


def reference_turns(excerpt: str) -> Any:
    """The AMI reference speaker turns of ``excerpt`` (train.rttm), labelled S1, S2... in order."""
    from tests.conftest import shared_media
    from transcripts.diarization import Diarization

    turns = []
    for line in shared_media("ami/train.rttm").read_text().splitlines():
        fields = line.split()
        if fields and fields[1] == excerpt:
            start = float(fields[3])
            turns.append((start, start + float(fields[4]), fields[7]))
    order: dict[str, str] = {}
    for _, _, who in sorted(turns):
        order.setdefault(who, f"S{len(order) + 1}")
    return Diarization([(a, b, order[w]) for a, b, w in sorted(turns)], list(order.values()))


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [row for row in rows if row["cues"]]
    cues = sum(row["cues"] for row in rows)
    return {
        "cues": cues,
        "short_not_alone": sum(row["short_not_alone"] for row in rows),
        "within_cps_share": sum(row["within_cps"] for row in rows) / max(cues, 1),
        "min_seconds": min(row["min_seconds"] for row in rows),
        "max_cps": max(row["max_cps"] for row in rows),
        "max_line": max(row["max_line"] for row in rows),
        "max_lines": max(row["max_lines"] for row in rows),
    }


def measure(repeats: int = 1, build_cues: Any = None) -> dict[str, Any]:
    """Figures without speakers (every recording), and with the AMI excerpts' true speakers.

    With speakers, cues are cut at every change of speaker and open with the speaker's label, as
    the SRT export writes them: the hardest case, many short turns.
    """
    from transcripts.speakers import with_speakers

    if build_cues is None:
        from transcripts.subtitles import build_cues

    plain, speakers = [], []
    for name, segments in transcripts().items():
        plain.append({"recording": name, **cue_figures(build_cues(segments), segments)})
        if name.startswith("ami-"):
            labelled = with_speakers(segments, reference_turns(name.removeprefix("ami-")))
            try:
                cues = build_cues(labelled, speaker_label=lambda s: f"{s}:")
            except TypeError:  # code from before speaker labels existed
                cues = build_cues(labelled)
            speakers.append({"recording": name, **cue_figures(cues, labelled)})
    return {
        "command": COMMAND,
        "rows": plain,
        "speaker_rows": speakers,
        "all": _summary(plain),
        "ami": _summary([row for row in plain if row["recording"].startswith("ami-")]),
        "ami_speakers": _summary(speakers),
    }


if __name__ == "__main__":
    import json
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    print(json.dumps(measure(), indent=1))
