"""Diarization on real meetings (AMI excerpts with reference turns) and the RTTM it writes.

The clustering threshold was chosen on trn00-04 and synthetic speech (transcripts/diarization/
cluster.py); trn05-09 are held out. The bounds below guard what the diarizer does today
(docs/benchmarks.md, ``speakers``, has the figures and the goals).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Annotation, Segment, Timeline
from pyannote.database.util import load_rttm
from pyannote.metrics.diarization import DiarizationErrorRate

from tests.conftest import shared_media
from transcripts.diarization import Diarization, default_embedder, diarize
from transcripts.exports import render
from transcripts.media import SAMPLE_RATE, ffmpeg_exe
from transcripts.rttm import to_rttm

EXCERPTS = [f"trn{i:02d}" for i in range(10)]


def _samples(path: Path) -> np.ndarray:
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-i", str(path),
         "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "s16le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype="<i2")


@pytest.fixture(scope="module")
def meetings() -> dict[str, Diarization]:
    embedder = default_embedder()
    return {
        name: diarize(_samples(shared_media(f"ami/{name}.wav")), embedder=embedder)
        for name in EXCERPTS
    }


@pytest.fixture(scope="module")
def reference() -> dict:
    return load_rttm(shared_media("ami/train.rttm"))


def test_it_writes_rttm_that_pyannote_reads_back(
    meetings: dict[str, Diarization], tmp_path: Path
) -> None:
    diarization = meetings["trn00"]
    text = to_rttm(diarization, uri="trn00")
    lines = text.splitlines()
    assert len(lines) == len(diarization.turns) > 0
    # Overlapped speech is two speakers' turns at once (trn00 has 3 s of it).
    turns = diarization.turns
    assert any(x[0] < y[1] and y[0] < x[1] and x[2] != y[2] for x in turns for y in turns)
    for line, (start, end, label) in zip(lines, diarization.turns, strict=True):
        fields = line.split()
        assert len(fields) == 10
        assert fields[:3] == ["SPEAKER", "trn00", "1"] and fields[5:7] == ["<NA>", "<NA>"]
        assert fields[7] == label and fields[8:] == ["<NA>", "<NA>"]
        assert float(fields[3]) == pytest.approx(start, abs=1e-3)
        assert float(fields[4]) == pytest.approx(end - start, abs=1e-3)
    path = tmp_path / "trn00.rttm"
    path.write_text(text)
    annotation = load_rttm(path)["trn00"]
    assert sorted(annotation.labels()) == sorted(diarization.labels)
    assert annotation.label_duration(diarization.labels[0]) == pytest.approx(
        sum(b - a for a, b, label in diarization.turns if label == diarization.labels[0]), abs=0.01
    )


def test_it_keeps_the_error_rate_on_real_meetings_bounded(
    meetings: dict[str, Diarization], reference: dict, tmp_path: Path
) -> None:
    # Scored as the bench scores: the RTTM Lectern writes, read back by pyannote, collar 0.25 s,
    # overlapped speech scored (docs/benchmarks.md has today's figure).
    metric = DiarizationErrorRate(collar=0.25, skip_overlap=False)
    for name, diarization in meetings.items():
        path = tmp_path / f"{name}.rttm"
        path.write_text(to_rttm(diarization, uri=name))
        hypothesis = load_rttm(path).get(name)
        if hypothesis is None:  # no speech found: an empty RTTM, every reference second missed
            hypothesis = Annotation(uri=name)
        metric(reference[name], hypothesis, uem=Timeline([Segment(0, 30)]))
    assert abs(metric) <= 0.40


def test_it_finds_several_speakers_where_several_talk_at_length(
    meetings: dict[str, Diarization], reference: dict
) -> None:
    # Speakers heard for 3 s or more; the 0.4 s ones of trn05 no voice encoder can count.
    long = {
        name: [label for label, seconds in reference[name].chart() if seconds >= 3.0]
        for name in EXCERPTS
    }
    several = [name for name in EXCERPTS if len(long[name]) >= 2]
    found = {name: len(meetings[name].labels) for name in EXCERPTS}
    assert len(several) == 6
    # Today 2 of the 6 (trn00, trn09); elsewhere the second voice is merged with the first:
    # resemblyzer hears far-field voices as close (docs/benchmarks.md, ``speakers``), and the
    # threshold is set so that a single lecturer is never split (see cluster.py).
    assert sum(found[name] >= 2 for name in several) >= 2, found


@pytest.mark.parametrize("name", ["jfk.wav", "ls_test.flac"])
def test_it_keeps_one_real_speaker_as_one(name: str) -> None:
    assert diarize(_samples(shared_media(name))).labels == ["S1"]


def test_it_labels_all_the_speech_it_finds(meetings: dict[str, Diarization]) -> None:
    # Where it found speech it found a speaker: every second of it has one, and no excerpt comes
    # back with speech but no labels.
    for diarization in meetings.values():
        labelled = Timeline([Segment(a, b) for a, b, _ in diarization.turns]).support()
        speech = sum(end - start for start, end in diarization.speech)
        assert labelled.duration() == pytest.approx(speech, abs=0.05)
        assert not diarization.speech or diarization.labels


def test_it_gives_speech_no_voice_covers_the_nearest_speaker_and_lists_it() -> None:
    rng = np.random.default_rng(0)
    jfk = _samples(shared_media("jfk.wav"))
    # JFK's 11 s, then 2 s of near silence that the caller says holds speech at 11.8-12.3 s:
    # the segmentation hears nobody there, so no voice was measured. It is not dropped: it takes
    # the nearest speaker and is listed, so that the job can say how much is that guess.
    quiet = (rng.standard_normal(2 * SAMPLE_RATE) * 20).astype(np.int16)
    result = diarize(np.concatenate([jfk, quiet]), speech=[(0.0, 11.0), (11.8, 12.3)])
    assert result.labels == ["S1"]
    start, end, label = result.turns[-1]
    assert (start, end, label) == (
        pytest.approx(11.8, abs=0.02),
        pytest.approx(12.3, abs=0.02),
        "S1",
    )
    assert result.unassigned[-1] == (pytest.approx(11.8, abs=0.02), pytest.approx(12.3, abs=0.02))
    # JFK's own words were measured: only his pauses, inside the given span, are guesses.
    assert result.unassigned_seconds < 4.0


def test_it_exports_a_jobs_speaker_runs_as_rttm() -> None:
    segments = [
        {"start": 0.0, "end": 3.0, "text": "Hello there. Yes.", "speaker": "S1", "words": [
            {"start": 0.0, "end": 0.8, "word": " Hello", "speaker": "S1"},
            {"start": 0.8, "end": 1.9, "word": " there.", "speaker": "S1"},
            {"start": 2.2, "end": 3.0, "word": " Yes.", "speaker": "S2"}]},
        {"start": 3.5, "end": 4.0, "text": "Hm.", "speaker": "", "words": []},
    ]  # fmt: skip
    text = render("rttm", segments, speaker_names={"S2": "Ada Lovelace"}, uri="my talk")
    assert text.splitlines() == [
        "SPEAKER my_talk 1 0.000 1.900 <NA> <NA> S1 <NA> <NA>",
        "SPEAKER my_talk 1 2.200 0.800 <NA> <NA> Ada_Lovelace <NA> <NA>",
    ]
