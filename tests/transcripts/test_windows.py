"""Long audio is transcribed in windows cut at pauses; offsets and text survive the cuts."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np

from tests.wer import wer
from transcripts.backends import faster_whisper
from transcripts.backends.base import TranscribeOptions
from transcripts.backends.faster_whisper import SAMPLE_RATE, FasterWhisperBackend, windows


def test_it_cuts_windows_in_the_quietest_moment():
    rng = np.random.default_rng(3)
    samples = (rng.standard_normal(SAMPLE_RATE * 100) * 3000).astype("<i2")
    quiet = slice(int(37.0 * SAMPLE_RATE), int(37.5 * SAMPLE_RATE))  # a pause near the 40 s mark
    samples[quiet] = 0
    cuts = list(windows(samples, 40))
    assert cuts[0][0] == 0 and cuts[-1][1] == len(samples)
    assert all(a[1] == b[0] for a, b in pairwise(cuts))  # contiguous
    assert quiet.start <= cuts[0][1] <= quiet.stop


def test_it_transcribes_in_windows_with_correct_offsets(lecture_speech, monkeypatch, tmp_path):
    backend = FasterWhisperBackend(model="tiny.en", cache_dir=Path("var/cache"), threads=2)
    whole = backend.transcribe(lecture_speech.path, TranscribeOptions(language="en"))
    monkeypatch.setattr(faster_whisper, "CHUNK_SECONDS", 20)  # the 63 s lecture in ~3 windows
    seen: list[float] = []
    windowed = backend.transcribe(
        lecture_speech.path, TranscribeOptions(language="en"), lambda s: seen.append(s.end)
    )
    assert wer(lecture_speech.text, windowed.text) <= wer(lecture_speech.text, whole.text) + 0.05
    assert windowed.duration == whole.duration or abs(windowed.duration - whole.duration) < 0.1
    starts = [segment.start for segment in windowed.segments]
    assert starts == sorted(starts) and windowed.segments[-1].end > 50  # offsets applied
    assert seen == sorted(seen)  # progress only moves forward
    # Speech is still found where it was spoken: a word starts near each paragraph's start.
    words = [word.start for segment in windowed.segments for word in segment.words]
    for start, _end in lecture_speech.spans:
        assert min(abs(word - start) for word in words) < 1.0
