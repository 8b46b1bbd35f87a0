"""The bench's speech files, with known text: espeak-ng lecture paragraphs plus real recordings.

Made once and kept in ``var/bench-cache`` (keyed by the text and the voices), because synthesizing
ten minutes of speech takes about a minute on a small machine.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.synth import LECTURE_TOPICS, _to_samples, speech, write_wav
from tests.synth_video import TOPICS
from transcripts.media import SAMPLE_RATE, ffmpeg_exe, wav_duration

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "var" / "bench-cache"
SHARED_MEDIA = REPO.parent / "shared" / "media"
# Real recordings with a known reference text (../shared/media/README.md).
RECORDINGS: list[tuple[str, str]] = [
    (
        "jfk.wav",
        "And so my fellow Americans, ask not what your country can do for you, ask what you can "
        "do for your country.",
    ),
    (
        "ls_test.flac",
        "Then the good soul openly sorted the boat and she had buoyed so long in secret and "
        "bravely stretched on alone.",
    ),
]
VOICES = ["en-gb-x-rp", "en-us", "en-gb", "en-gb-scotland"]
# Every paragraph the synthetic lectures speak, in order.
PARAGRAPHS: list[str] = list(LECTURE_TOPICS) + [p for _, _, ps in TOPICS for p in ps]


@dataclass(frozen=True)
class Corpus:
    path: Path
    text: str
    duration: float


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:10]


def _load(path: Path) -> Corpus | None:
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        data = json.loads(meta.read_text())
        return Corpus(path=path, text=data["text"], duration=float(data["duration"]))
    return None


def _save(path: Path, text: str) -> Corpus:
    duration = wav_duration(path)
    path.with_suffix(".json").write_text(json.dumps({"text": text, "duration": duration}))
    return Corpus(path=path, text=text, duration=duration)


def speech_file(minutes: float) -> Corpus:
    """At least ``minutes`` of lecture-like speech: paragraphs in turn, voices varied, recordings
    of real people between them (each once per cycle of the paragraphs)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / f"speech-{minutes:g}min-{_key(PARAGRAPHS, VOICES, RECORDINGS)}.wav"
    if (found := _load(target)) is not None:
        return found
    chunks: list[np.ndarray] = []
    texts: list[str] = []
    seconds, index = 0.0, 0
    parts = CACHE / "parts"
    while seconds < minutes * 60:
        paragraph = PARAGRAPHS[index % len(PARAGRAPHS)]
        voice = VOICES[(index // len(PARAGRAPHS) + index) % len(VOICES)]
        part = speech([paragraph], parts / f"{index}.wav", pause=0.0, lead=0.6, voices=[voice])
        samples = _to_samples(part.path)
        part.path.unlink()
        chunks.append(samples)
        texts.append(paragraph)
        if index % len(PARAGRAPHS) == len(PARAGRAPHS) - 1 or index % 4 == 3:
            name, reference = RECORDINGS[(index // 4) % len(RECORDINGS)]
            if (SHARED_MEDIA / name).exists():
                chunks.append(_to_samples(SHARED_MEDIA / name))
                chunks.append(np.zeros(int(0.8 * SAMPLE_RATE), dtype="<i2"))
                texts.append(reference)
        seconds = sum(len(chunk) for chunk in chunks) / SAMPLE_RATE
        index += 1
    write_wav(target, np.concatenate(chunks))
    return _save(target, " ".join(texts))


def looped(source: Corpus, times: int) -> Corpus:
    """``source`` played ``times`` over (ffmpeg concat, stream copy): long audio without
    synthesizing it."""
    target = source.path.with_name(f"{source.path.stem}-x{times}.wav")
    if (found := _load(target)) is not None:
        return found
    listing = target.with_suffix(".txt")
    listing.write_text(f"file '{source.path.name}'\n" * times)
    partial = target.with_name(target.stem + ".partial.wav")
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
         "-i", str(listing), "-c", "copy", str(partial)],
        check=True, capture_output=True,
    )  # fmt: skip
    listing.unlink()
    partial.replace(target)
    return _save(target, " ".join([source.text] * times))


def main() -> None:
    for minutes in (2, 10):
        corpus = speech_file(minutes)
        print(corpus.path, round(corpus.duration, 1))


if __name__ == "__main__":
    main()
