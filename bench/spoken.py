"""The bench lectures (bench/lectures.py) spoken by espeak-ng and transcribed by the bundled
model, cached under var/bench-cache/lectures so that a rerun costs nothing.

English is transcribed with tiny.en (the bench's model); German and French with base (the
app's default and the smallest bundled model that knows them). The long lectures are spoken
more slowly (a lecturer's pace) with longer pauses, so that they last 20 minutes or more.

Run by itself (``.venv/bin/python -m bench.spoken``) to fill the cache ahead of the bench.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.env import MODEL, REPO
from bench.lectures import LECTURES, Lecture

FOLDER = REPO / "var" / "bench-cache" / "lectures"
VOICES = {"en": "en-gb-x-rp", "de": "de", "fr": "fr"}
LONG_MINUTES = 21.0
PAUSE, LONG_PAUSE = 1.5, 3.0


def _speed(lecture: Lecture) -> int:
    """espeak-ng's words a minute: 130 (as the tests), slower for a long lecture to reach
    ``LONG_MINUTES`` (at these rates espeak-ng speaks about 1.2 times the rate it is given)."""
    if not lecture.long:
        return 130
    words = len(" ".join(lecture.paragraphs).split())
    speaking = LONG_MINUTES - len(lecture.paragraphs) * LONG_PAUSE / 60
    return min(130, int(words / speaking / 1.2))


def _speak(lecture: Lecture, folder: Path) -> dict[str, Any]:
    import numpy as np

    from tests.synth import SAMPLE_RATE, _to_samples, _trim, speak, write_wav

    parts = []
    for index, paragraph in enumerate(lecture.paragraphs):
        raw = speak(
            paragraph,
            folder / f"part{index}.wav",
            voice=VOICES[lecture.language],
            speed=_speed(lecture),
        )
        parts.append(_trim(_to_samples(raw)))
        raw.unlink()
    pause = PAUSE
    if lecture.long:
        # espeak-ng speaks no slower than 80 words a minute: the pauses make up the rest.
        speaking = sum(len(samples) for samples in parts) / SAMPLE_RATE
        pause = max(LONG_PAUSE, (LONG_MINUTES * 60 - speaking) / max(1, len(parts) - 1))
    chunks = [np.zeros(int(0.5 * SAMPLE_RATE), dtype="<i2")]
    position, spans = 0.5, []
    for samples in parts:
        spans.append((position, position + len(samples) / SAMPLE_RATE))
        chunks += [samples, np.zeros(int(pause * SAMPLE_RATE), dtype="<i2")]
        position += len(samples) / SAMPLE_RATE + pause
    audio = write_wav(folder / "speech.wav", np.concatenate(chunks))
    return {"audio": str(audio), "duration": position, "paragraph_spans": spans}


def spoken(lecture: Lecture) -> dict[str, Any]:
    """The lecture's transcript (segments as dicts with words), its paragraph spans, its
    duration and what transcribing it took; made once and cached."""
    folder = FOLDER / lecture.name
    cached = folder / "transcript.json"
    if cached.exists():
        return json.loads(cached.read_text())
    from bench.env import loaded_backend
    from transcripts.backends.base import TranscribeOptions

    folder.mkdir(parents=True, exist_ok=True)
    made = _speak(lecture, folder)
    model = MODEL if lecture.language == "en" else "base"
    backend = loaded_backend(model)
    began = time.perf_counter()
    result = backend.transcribe(Path(made["audio"]), TranscribeOptions(lecture.language))
    seconds = time.perf_counter() - began
    made.update(
        model=model,
        transcription_seconds=seconds,
        segments=[segment.to_dict() for segment in result.segments],
    )
    cached.write_text(json.dumps(made))
    return made


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    by_name = {lecture.name: lecture for lecture in LECTURES}
    for name in sys.argv[1:] or list(by_name):
        made = spoken(by_name[name])
        print(name, round(made["duration"]), "s", round(made["transcription_seconds"]))
