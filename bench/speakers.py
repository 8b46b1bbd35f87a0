"""Speakers: Lectern's diarizer and a peer (senko) on real meetings and held-out synthetic speech.

Real meetings: the ten 30 s AMI excerpts of ../shared/media/ami (1-4 speakers, overlapping
speech), diarized with the count estimated, written as RTTM by ``transcripts.rttm``, read back by
pyannote.database and scored by pyannote.metrics (``DiarizationErrorRate``, collar 0.25 s,
overlap scored) against ``train.rttm`` within ``train.uem``. The split was decided before the
first run (bench/NOTES.md): settings are tuned on trn00-04 (``TUNING``) only; trn05-09 are
reported apart and never tuned on.

The peer is senko 0.2.2 (CPU: Silero VAD, CAM++, spectral clustering), run by
``bench/senko_peer.py`` in a throwaway environment of its own: the Python named by
``LECTERN_BENCH_SENKO_PYTHON``, or a venv the bench makes once under var/ (torch 2.13.0 and senko
0.2.2 from PyPI). Both get the same 16 kHz mono 16-bit WAVs and are scored the same way.

Synthetic speech (held out: espeak-ng voices neither the tests nor the tuning use): conversations
of 2, 3 and 4 voices with overlapping turns, and a lecture (one voice at length, two audience
questions), every turn's bounds known. Scored by pyannote.metrics too: DER (collar 0.25 s,
overlap scored) and the share of single-speaker speech time given to the right speaker (1 -
(missed + confusion) / total, overlap skipped, no collar).

Cost: diarization against transcribing the same audio (the lecture) with ``base``, in this run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.env import REPO, loaded_backend
from bench.stats import Series, ratio, timed
from transcripts.backends.base import TranscribeOptions

COMMAND = ".venv/bin/python -m bench.run --only speakers"
FOLDER = REPO / "var" / "bench-cache" / "speakers"
AMI = REPO.parent / "shared" / "media" / "ami"
STEREO = REPO.parent / "shared" / "media" / "stereo_diarization.wav"
TUNING = [f"trn0{i}" for i in range(5)]  # decided before the first run (bench/NOTES.md)
HELD_OUT = [f"trn0{i}" for i in range(5, 10)]
SENKO_ENV = "LECTERN_BENCH_SENKO_PYTHON"
SENKO_VENV = REPO / "var" / "bench-senko"
# espeak-ng voices the tests (tests/synth.VOICES) and earlier benches never used.
VOICES = ["en+m1", "en+f3", "en-us+m6", "en+f1"]
LECTURER, QUESTIONERS = "en+m2", ["en+f2", "en-us+m4"]
SENTENCES = [
    "Shall we start with the budget for the next quarter?",
    "Yes, I looked at the numbers last night and they are higher than we planned.",
    "How much higher are we talking about, roughly?",
    "About twelve percent, mostly because of the new servers.",
    "That is a lot, but the servers were necessary for the launch.",
    "I agree, although we should ask finance before we commit to anything.",
    "Right, let me write that down as an action for this week.",
    "Could we also review the hiring plan while everyone is here?",
    "Sure, we have two open positions and several good candidates.",
    "Then let us schedule the interviews for early next month.",
    "Fine by me, and I will send the summary after the meeting.",
    "Great, thank you all, that was a productive discussion.",
]
LECTURE = [
    "Today we continue with the theory of linear systems, and in particular with the question "
    "of when a system of equations has exactly one solution. Recall that we wrote the system as "
    "a matrix times a vector of unknowns equal to a vector of constants.",
    "The key idea is the determinant. If the determinant of the matrix is not zero, the matrix "
    "is invertible, and the system has a unique solution, which we can write down with the "
    "inverse matrix. If the determinant is zero, there are either no solutions or infinitely "
    "many.",
    "That is a good question. The determinant being zero means that the rows are linearly "
    "dependent, so at least one equation repeats information from the others, or contradicts "
    "them.",
    "Let us now look at an example with three equations in three unknowns. We write down the "
    "coefficients, compute the determinant by expanding along the first row, and find that it "
    "equals minus two, so the system has exactly one solution.",
    "Yes, exactly. Gaussian elimination gives the same answer, and for large systems it is much "
    "faster than computing determinants, which is why numerical software uses it.",
]
QUESTIONS = [
    "Excuse me, what does it mean geometrically when the determinant is zero?",
    "Could we use Gaussian elimination instead of the determinant here?",
]


def _mono(path: Path, out: Path) -> Path:
    """``path`` as a 16 kHz mono 16-bit WAV (what both diarizers are given)."""
    from transcripts.media import SAMPLE_RATE, ffmpeg_exe

    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-i", str(path),
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le", str(out)],
        check=True,
    )  # fmt: skip
    return out


def _mix(turns: list[tuple[int, str, str, float]], path: Path) -> list[tuple[float, float, int]]:
    """Write a conversation: each turn (speaker, voice, text, overlap) starts ``overlap`` s
    before the previous one ends (a negative overlap is a pause). The truth, in seconds."""
    from tests.synth import SAMPLE_RATE, _to_samples, _trim, speak, write_wav

    pieces, truth, position = [], [], 0.5
    for number, (speaker, voice, text, overlap) in enumerate(turns):
        raw = speak(text, path.with_suffix(f".part{number}.wav"), voice=voice)
        samples = _trim(_to_samples(raw)).astype(np.float64)
        raw.unlink()
        start = position - overlap if number else position
        pieces.append((int(start * SAMPLE_RATE), samples))
        truth.append((start, start + len(samples) / SAMPLE_RATE, speaker))
        position = truth[-1][1]
    total = max(a + len(s) for a, s in pieces) + SAMPLE_RATE // 2
    mixed = np.zeros(total)
    for a, samples in pieces:
        mixed[a : a + len(samples)] += samples
    write_wav(path, np.clip(mixed, -32768, 32767).astype("<i2"))
    return truth


def _synthetic() -> dict[str, tuple[Path, list[tuple[float, float, int]]]]:
    FOLDER.mkdir(parents=True, exist_ok=True)
    cases: dict[str, tuple[Path, list[tuple[float, float, int]]]] = {}
    for count in (2, 3, 4):
        turns = []
        for number, text in enumerate(SENTENCES):
            speaker = number % count
            # Every third turn starts 0.6 s before the previous one ends; the others after a
            # pause of 0.3 s.
            turns.append((speaker, VOICES[speaker], text, 0.6 if number % 3 == 2 else -0.3))
        path = FOLDER / f"conversation-{count}.wav"
        cases[f"conversation-{count}"] = (path, _mix(turns, path))
    lecture_turns = [
        (0, LECTURER, LECTURE[0], -0.5),
        (0, LECTURER, LECTURE[1], -1.0),
        (1, QUESTIONERS[0], QUESTIONS[0], -1.5),
        (0, LECTURER, LECTURE[2], -0.8),
        (0, LECTURER, LECTURE[3], -1.0),
        (2, QUESTIONERS[1], QUESTIONS[1], -1.5),
        (0, LECTURER, LECTURE[4], -0.8),
    ]
    path = FOLDER / "lecture-questions.wav"
    cases["lecture-questions"] = (path, _mix(lecture_turns, path))
    return cases


def _annotation(turns: list[tuple[float, float, Any]], uri: str) -> Any:
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for number, (start, end, label) in enumerate(turns):
        if end > start:
            annotation[Segment(start, end), number] = str(label)
    return annotation


def _score(reference: Any, turns: list[tuple[float, float, Any]], uem: Any = None) -> dict:
    from pyannote.core import Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypothesis = _annotation(turns, reference.uri)
    if uem is None:
        uem = Timeline([Segment(0, max(reference.get_timeline().extent().end, 0.01) + 1)])
    detail = DiarizationErrorRate(collar=0.25, skip_overlap=False)(
        reference, hypothesis, uem=uem, detailed=True
    )
    alone = DiarizationErrorRate(collar=0.0, skip_overlap=True)(
        reference, hypothesis, uem=uem, detailed=True
    )
    right = 1 - (alone["missed detection"] + alone["confusion"]) / max(alone["total"], 1e-9)
    return {
        "der": detail["diarization error rate"],
        "missed": detail["missed detection"],
        "false_alarm": detail["false alarm"],
        "confusion": detail["confusion"],
        "speakers": len(reference.labels()),
        "found": len({label for _, _, label in turns}),
        "right_speaker": right,
    }


def _senko_python() -> str | None:
    """The peer's Python: ``LECTERN_BENCH_SENKO_PYTHON``, or a venv made once under var/."""
    named = os.environ.get(SENKO_ENV)
    if named:
        return named
    python = SENKO_VENV / "bin" / "python"
    if not python.exists():
        try:
            subprocess.run(["python3", "-m", "venv", str(SENKO_VENV)], check=True)
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", "torch==2.13.0", "senko==0.2.2"],
                check=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            print(f"senko could not be installed: {exc}", file=sys.stderr)
            return None
    return str(python)


def _senko(paths: list[Path]) -> dict[str, dict]:
    python = _senko_python()
    if python is None:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "senko.json"
        subprocess.run(
            [python, str(REPO / "bench" / "senko_peer.py"), str(out), *map(str, paths)],
            check=True,
            cwd=folder,  # senko must not import the checkout's modules
        )
        return json.loads(out.read_text())


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def measure(repeats: int) -> dict[str, Any]:
    from pyannote.database.util import load_rttm, load_uem

    from transcripts.diarization import default_embedder, diarize
    from transcripts.media import read_wav

    FOLDER.mkdir(parents=True, exist_ok=True)
    reference = load_rttm(AMI / "train.rttm")
    uems = load_uem(AMI / "train.uem")
    wavs = {
        uri: _mono(AMI / f"{uri}.wav", FOLDER / "ami" / f"{uri}.wav") for uri in sorted(reference)
    }
    stereo = _mono(STEREO, FOLDER / "stereo.wav")
    synthetic = _synthetic()
    embedder = default_embedder()  # loaded once, as the worker keeps it

    def lectern(path: Path) -> tuple[float, Any]:
        return timed(lambda: diarize(read_wav(path, mmap=False), embedder=embedder))

    peer = _senko([*wavs.values(), stereo, *(path for path, _ in synthetic.values())])

    rows = []
    for uri, path in wavs.items():
        seconds, result = lectern(path)
        row = {"uri": uri, "half": "tuning" if uri in TUNING else "held_out"}
        row["lectern"] = {**_score(reference[uri], result.turns, uems[uri]), "seconds": seconds}
        if uri in peer:
            row["senko"] = {
                **_score(reference[uri], peer[uri]["turns"], uems[uri]),
                "seconds": peer[uri]["seconds"],
            }
        rows.append(row)
    halves: dict[str, Any] = {}
    for half in ("tuning", "held_out"):
        chosen = [row for row in rows if row["half"] == half]
        halves[half] = {
            system: {
                "mean_der": _mean([row[system]["der"] for row in chosen if system in row]),
                "counts_right": sum(
                    row[system]["found"] == row[system]["speakers"]
                    for row in chosen
                    if system in row
                ),
                "files": sum(system in row for row in chosen),
            }
            for system in ("lectern", "senko")
        }

    _, stereo_result = lectern(stereo)
    stereo_row = {
        "speakers": 2,
        "lectern": len(stereo_result.labels),
        "senko": len({t[2] for t in peer["stereo"]["turns"]}) if "stereo" in peer else None,
    }

    synth_rows = []
    for name, (path, truth) in synthetic.items():
        ref = _annotation(truth, name)
        seconds, result = lectern(path)
        row = {"name": name, "lectern": {**_score(ref, result.turns), "seconds": seconds}}
        if name.startswith("lecture"):
            row["lectern"]["lecturer_split"] = _lecturer_split(truth, result.turns)
        if name in peer:
            row["senko"] = _score(ref, peer[name]["turns"])
            if name.startswith("lecture"):
                row["senko"]["lecturer_split"] = _lecturer_split(truth, peer[name]["turns"])
        synth_rows.append(row)

    # Cost: the lecture (about 2 minutes) transcribed with base, and diarized, in this run.
    lecture_path = synthetic["lecture-questions"][0]
    backend = loaded_backend("base")
    samples = read_wav(lecture_path, mmap=False)
    transcription, diarization = [], []
    for _ in range(repeats):
        seconds, _ = timed(lambda: backend.transcribe(lecture_path, TranscribeOptions("en")))
        transcription.append(seconds)
        seconds, _ = timed(lambda: diarize(samples, embedder=embedder))
        diarization.append(seconds)
    return {
        "command": COMMAND,
        "tuning": TUNING,
        "held_out": HELD_OUT,
        "ami": {"rows": rows, "halves": halves},
        "stereo": stereo_row,
        "synthetic": {"voices": [*VOICES, LECTURER, *QUESTIONERS], "rows": synth_rows},
        "cost": {
            "audio_seconds": len(samples) / 16000,
            "transcription_seconds": Series(transcription).to_dict(),
            "diarization_seconds": Series(diarization).to_dict(),
            "vs_transcription": ratio(Series(diarization), Series(transcription)),
        },
        "peer": "senko 0.2.2 (CPU)" if peer else None,
        "goal": "AMI mean DER below senko's on both halves, ≤ 30 % on the held-out half; count "
        "right on ≥ 7 of 10; ≥ 95 % of synthetic speech to the right speaker; the lecturer never "
        "split; diarization ≤ 0.25× transcription with base",
    }


def _lecturer_split(truth: list[tuple[float, float, int]], turns: list) -> float:
    """Share of the lecturer's (speaker 0's) time given to labels other than his main one."""
    grid = np.arange(0, max(end for _, end, _ in truth), 0.01)
    lecturer = np.zeros(len(grid), dtype=bool)
    for start, end, speaker in truth:
        if speaker == 0:
            lecturer |= (grid >= start) & (grid < end)
    time: dict[str, float] = {}
    for start, end, label in turns:
        shared = ((grid >= start) & (grid < end) & lecturer).sum()
        time[str(label)] = time.get(str(label), 0.0) + float(shared)
    total = sum(time.values())
    return 0.0 if not total else 1 - max(time.values()) / total
