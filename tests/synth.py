"""Test media with known content, synthesized on the spot: espeak-ng speech and ffmpeg.

Nothing here is downloaded; every file is made from text we know, so transcripts, pauses and
topics can be checked exactly.
"""

from __future__ import annotations

import shutil
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from transcripts.media import SAMPLE_RATE, ffmpeg_exe

ESPEAK = shutil.which("espeak-ng") or shutil.which("espeak")
# The clearest of espeak-ng's English voices for Whisper, measured on the lecture text below.
DEFAULT_VOICE = "en-gb-x-rp"

# Three topics a lecturer might cover, each a paragraph of plain words espeak pronounces clearly.
LECTURE_TOPICS: list[str] = [
    (
        "Today we will talk about photosynthesis. Plants capture light with a green pigment called "
        "chlorophyll. The energy in that light splits water into oxygen and hydrogen. The key point "
        "is that plants turn light into chemical energy that they can store."
    ),
    (
        "Now let us move on to the French revolution. In 1789 the people in Paris stormed a prison "
        "in the east part of the city. The king lost his power and a republic was declared. "
        "Remember that the revolution changed politics across the whole continent."
    ),
    (
        "Finally we turn to the volume of a cube. A cube has six square faces, all the same size. To "
        "find its volume you multiply the length of one side by itself three times. For example a "
        "cube with sides two meters long has a volume of eight cubic meters."
    ),
]

# Two espeak-ng voices, chosen when the first voice encoder (resemblyzer's, since replaced by
# CAM++) heard most pairs as alike.
VOICES = ["en-us+klatt", "en+f5"]
CONVERSATION = [
    "Good morning everyone, today we are going to look at how plants make their food.",
    "Sorry to interrupt, but could you explain what chlorophyll actually does?",
    "Of course. Chlorophyll is the green pigment that captures the energy in sunlight.",
    "So the plant uses that energy to split water, is that right?",
    "Exactly. The water splits into oxygen and hydrogen, and the oxygen goes into the air.",
    "And where does the sugar come from in the end?",
    "The hydrogen is combined with carbon dioxide to build sugar the plant can store.",
    "That makes sense. Thank you, that was very clear.",
]


@dataclass
class Speech:
    path: Path
    text: str
    duration: float
    # Where each paragraph is spoken, and the pauses between them, in seconds.
    spans: list[tuple[float, float]]
    pauses: list[tuple[float, float]]


def require_espeak() -> str:
    if ESPEAK is None:
        raise RuntimeError("espeak-ng is not installed; `make test` installs it with apt-get.")
    return ESPEAK


def _to_samples(path: Path) -> np.ndarray:
    """Any audio file as 16 kHz mono int16 samples (resampled by ffmpeg)."""
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path),
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype="<i2")


def _trim(samples: np.ndarray, threshold: int = 200) -> np.ndarray:
    """Drop espeak's leading and trailing near-silence so spans are exact."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > threshold)
    if loud.size == 0:
        return samples
    return samples[loud[0] : loud[-1] + 1]


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype="<i2").tobytes())
    return path


def speak(text: str, path: Path, *, voice: str = DEFAULT_VOICE, speed: int = 130) -> Path:
    """Raw espeak-ng output for ``text`` (22.05 kHz WAV)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [require_espeak(), "-v", voice, "-s", str(speed), "-w", str(path), text],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def speech(
    paragraphs: list[str],
    path: Path,
    *,
    pause: float = 2.0,
    lead: float = 0.5,
    voices: list[str] | None = None,
) -> Speech:
    """Paragraphs spoken one after another with ``pause`` seconds of true silence between them."""
    chunks: list[np.ndarray] = [np.zeros(int(lead * SAMPLE_RATE), dtype="<i2")]
    spans: list[tuple[float, float]] = []
    pauses: list[tuple[float, float]] = []
    position = lead
    for index, paragraph in enumerate(paragraphs):
        voice = (voices or [DEFAULT_VOICE])[index % len(voices or [DEFAULT_VOICE])]
        raw = speak(paragraph, path.with_suffix(f".part{index}.wav"), voice=voice)
        samples = _trim(_to_samples(raw))
        raw.unlink()
        length = len(samples) / SAMPLE_RATE
        spans.append((position, position + length))
        chunks.append(samples)
        position += length
        gap = pause if index < len(paragraphs) - 1 else lead
        if index < len(paragraphs) - 1:
            pauses.append((position, position + gap))
        chunks.append(np.zeros(int(gap * SAMPLE_RATE), dtype="<i2"))
        position += gap
    samples = np.concatenate(chunks)
    write_wav(path, samples)
    return Speech(
        path=path,
        text=" ".join(paragraphs),
        duration=len(samples) / SAMPLE_RATE,
        spans=spans,
        pauses=pauses,
    )


def lecture(path: Path, *, pause: float = 2.0) -> Speech:
    return speech(LECTURE_TOPICS, path, pause=pause)


def tone_video(path: Path, *, seconds: float = 3.0, audio: bool = True) -> Path:
    """A small test-pattern MP4 (optionally with a sine tone): real video, no speech."""
    command = [
        ffmpeg_exe(),
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc=size=320x240:rate=10:duration={seconds}",
    ]
    if audio:
        command += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    command += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    subprocess.run(command, check=True, capture_output=True)  # fmt: skip
    return path


def conversation_speech(path: Path) -> Speech:
    """Two voices taking turns, one paragraph of CONVERSATION each (see ``conversation_turns``)."""
    return speech(CONVERSATION, path, pause=0.6, voices=VOICES)


def conversation_turns(talk: Speech) -> list[tuple[float, float, int]]:
    """Who speaks when in ``conversation_speech``: (start, end, speaker), turn i is speaker i % 2."""
    return [(start, end, index % 2) for index, (start, end) in enumerate(talk.spans)]
