from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np

from jobs.highlights.silences import SilenceResult, detect_silences
from tests.synth import write_wav
from tests.synth_video import SynthLecture
from transcripts.media import SAMPLE_RATE, read_wav


def _matches(found: list[tuple[float, float]], truth: tuple[float, float], slack: float) -> bool:
    return any(abs(a - truth[0]) <= slack and abs(b - truth[1]) <= slack for a, b in found)


def test_it_finds_every_known_pause_within_a_third_of_a_second(
    lecture: SynthLecture, silences: SilenceResult
) -> None:
    for pause in lecture.pauses:
        assert _matches(silences.silences, pause, 0.3), (pause, silences.silences)


def test_it_keeps_only_pauses_longer_than_the_minimum(lecture_wav: Path) -> None:
    samples = read_wav(lecture_wav)
    long_only = detect_silences(samples, min_silence=1.2)
    # Between sentences espeak pauses for well under a second; only the paragraph pauses
    # (1.5 s inside topics, 3 s between them) are left, and nothing shorter than asked for.
    assert len(long_only.silences) == 5
    assert all(end - start >= 1.2 for start, end in long_only.silences)
    assert len(detect_silences(samples, min_silence=0.3).silences) > 5


def _drifting_recording(seconds_of_bursts: int = 40) -> tuple[np.ndarray, list]:
    """Tone bursts ("speech") and pauses while the noise floor and the level drift up 24 dB,
    as when a lecturer walks towards a microphone next to a projector fan."""
    rng = np.random.default_rng(7)
    rate = SAMPLE_RATE
    pieces, pauses, position = [], [], 0.0
    for index in range(seconds_of_bursts):
        burst = np.sin(2 * np.pi * 220 * np.arange(int(3 * rate)) / rate)
        burst *= 0.6 + 0.4 * np.sin(2 * np.pi * 3 * np.arange(burst.size) / rate) ** 2
        gap = 1.0 + 0.25 * (index % 4)
        pieces += [burst * 1500, np.zeros(int(gap * rate))]
        pauses.append((position + 3.0, position + 3.0 + gap))
        position += 3.0 + gap
    clean = np.concatenate(pieces)
    gain = np.geomspace(1.0, 16.0, clean.size)  # +24 dB from start to end
    noise = 40.0 * rng.standard_normal(clean.size)
    samples = np.clip((clean + noise) * gain, -32768, 32767).astype("<i2")
    return samples, pauses[:-1]  # the last gap runs into the end of the recording


def test_it_adapts_its_threshold_to_a_drifting_noise_floor() -> None:
    samples, pauses = _drifting_recording()
    result = detect_silences(samples, min_silence=0.8)
    for pause in pauses:
        assert _matches(result.silences, pause, 0.3), (pause, result.silences)
    assert len([s for s in result.silences if s[1] < samples.size / SAMPLE_RATE - 0.1]) == len(
        pauses
    )
    # One threshold for the whole recording (a single window) misses the pauses at the loud end.
    fixed = detect_silences(samples, min_silence=0.8, window=1e9)
    assert sum(_matches(fixed.silences, pause, 0.3) for pause in pauses) < len(pauses) - 3


def test_it_reads_a_memory_mapped_recording_in_blocks(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    rate = SAMPLE_RATE
    minutes = 10
    # Loud noise as "speech", with a two-second hush every six seconds.
    samples = (3000 * rng.standard_normal(minutes * 60 * rate)).astype("<i2")
    for second in range(4, minutes * 60, 6):
        samples[second * rate : (second + 2) * rate] //= 100
    path = write_wav(tmp_path / "long.wav", samples)
    del samples
    mapped = read_wav(path)
    assert isinstance(mapped, np.memmap)

    tracemalloc.start()
    result = detect_silences(mapped, min_silence=1.0, block=30.0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    # Ten minutes as float32 would be 38 MB (float64: 77 MB); a 30 s block is under 2 MB.
    assert peak < 12 * 1024 * 1024, peak
    assert len(result.silences) == minutes * 10
    assert all(abs((end - start) - 2.0) < 0.1 for start, end in result.silences)


def test_it_reports_speech_as_the_complement_and_serialises() -> None:
    samples = np.zeros(SAMPLE_RATE * 3, dtype="<i2")
    samples[SAMPLE_RATE : 2 * SAMPLE_RATE] = 8000
    result = detect_silences(samples, min_silence=0.5)
    assert [(round(a, 2), round(b, 2)) for a, b in result.silences] == [(0.0, 1.0), (2.0, 3.0)]
    assert [(round(a, 2), round(b, 2)) for a, b in result.speech] == [(1.0, 2.0)]
    data = result.to_dict()
    assert data["silences"] == [[0.0, 1.0], [2.0, 3.0]]
    assert data["min_silence"] == 0.5


def test_it_handles_empty_audio() -> None:
    result = detect_silences(np.zeros(0, dtype="<i2"))
    assert result.silences == []
    assert result.duration == 0
