"""Mixed-language recordings keep every passage, and speech no line covers is found and told.

On real recordings: ``multilingual.mp3`` (the MIT licence read in English, then in German) and
``jfk.wav``; the references are faster-whisper runs with the language forced per half.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_media
from tests.wer import recovered
from transcripts.backends.base import SegmentResult, TranscribeOptions, TranscriptionResult, Word
from transcripts.backends.faster_whisper import (
    SAMPLE_RATE,
    FasterWhisperBackend,
    Stretch,
    _stretches,
)
from transcripts.speech import (
    SpeechCheck,
    check,
    missing_speech,
    speech_spans,
    suppress_hallucinations,
)


@pytest.fixture(scope="module")
def bilingual_checked() -> tuple[TranscriptionResult, SpeechCheck]:
    """The bilingual recording as a job sees it: detected, transcribed, then checked."""
    audio = shared_media("multilingual.mp3")
    backend = FasterWhisperBackend(model="base", cache_dir=Path("var/cache"), threads=2)
    result = backend.transcribe(audio, TranscribeOptions(language=None))
    result.segments, checked = check(audio, result.segments)
    return result, checked


@pytest.fixture(scope="module")
def bilingual(bilingual_checked) -> TranscriptionResult:
    return bilingual_checked[0]


def test_it_keeps_both_languages_of_a_bilingual_recording(bilingual, real_transcripts):
    assert set(bilingual.languages) == {"en", "de"}
    assert all(seconds > 20 for seconds in bilingual.languages.values())
    for segment in bilingual.segments:
        # The English reading ends near 29 s and the German one starts at 30.6 s.
        assert segment.language == ("en" if segment.end < 30.2 else "de"), segment
    for language, reference in (("en", "licence-en"), ("de", "licence-de")):
        found = " ".join(s.text for s in bilingual.segments if s.language == language)
        expected = " ".join(s["text"] for s in real_transcripts[reference])
        # As much of the passage as a run told the right language recovers (its errors aside).
        assert recovered(expected, found) >= 0.9, language
    german = " ".join(s.text for s in bilingual.segments if s.language == "de")
    assert "Software" in german and "Recht" in german


def test_it_adds_no_invented_line_at_a_change_of_language_and_misses_no_speech(
    bilingual_checked,
):
    result, checked = bilingual_checked
    # Whisper repeats the English opening in the pause before the German; it is taken out,
    # and listed as taken out.
    assert len([s for s in result.segments if "hereby granted" in s.text]) == 1
    assert all(r.reason == "not heard in the audio" for r in checked.removed)
    assert checked.missing == [] and checked.speech_seconds > 50


def _chunks(*spans: tuple[float, float]) -> list[tuple[int, int]]:
    return [(int(a * SAMPLE_RATE), int(b * SAMPLE_RATE)) for a, b in spans]


def test_it_cuts_language_stretches_in_the_pause_between_them():
    chunks = _chunks((0.0, 12.0), (12.6, 29.5), (30.6, 41.8), (42.0, 59.9))
    labels = [{"en": 0.99}, {"en": 0.98}, {"de": 0.99, "en": 0.004}, {"de": 0.97}]
    stretches = _stretches(chunks, labels, 60 * SAMPLE_RATE)
    assert [s.language for s in stretches] == ["en", "de"]
    # Each holds its own speech and no more of the pause (Whisper loses the last sentence of a
    # window that runs a few milliseconds over 30 s).
    assert (stretches[0].start, stretches[0].end) == chunks[0][:1] + chunks[1][1:]
    assert (stretches[1].start, stretches[1].end) == chunks[2][:1] + chunks[3][1:]


def test_it_joins_a_short_stretch_in_another_language_to_its_neighbours():
    # A name or a misheard second is not a change of language; too little speech takes the
    # language before it.
    chunks = _chunks((0.0, 20.0), (20.5, 22.0), (22.5, 23.0), (23.5, 40.0))
    labels = [{"en": 0.99}, {"fr": 0.9, "en": 0.01}, {}, {"en": 0.95}]
    assert _stretches(chunks, labels, 41 * SAMPLE_RATE) == [
        Stretch(0, 41 * SAMPLE_RATE, "en", 0.99)
    ]


def test_it_keeps_the_language_where_a_piece_is_only_misheard_as_another():
    # Twelve seconds the detector calls Welsh but still gives English a fair share of.
    chunks = _chunks((0.0, 20.0), (20.5, 32.5), (33.0, 50.0))
    labels = [{"en": 0.9}, {"cy": 0.6, "en": 0.3}, {"en": 0.8}]
    assert [s.language for s in _stretches(chunks, labels, 51 * SAMPLE_RATE)] == ["en"]


def test_it_lets_whisper_detect_where_no_stretch_could_be_told():
    chunks = _chunks((0.0, 1.0))
    assert _stretches(chunks, [{}], 2 * SAMPLE_RATE) == [Stretch(0, 2 * SAMPLE_RATE, None, 0.0)]


def _segment(start: float, end: float, text: str, **kwargs) -> SegmentResult:
    words = kwargs.pop("words", None)
    if words is None:
        tokens = text.split()
        step = (end - start) / len(tokens)
        words = [
            Word(start + i * step, start + (i + 1) * step, " " + token, 0.9)
            for i, token in enumerate(tokens)
        ]
    return SegmentResult(start=start, end=end, text=text, words=words, **kwargs)


def test_it_finds_the_speech_no_line_covers(real_transcripts):
    spans = speech_spans(shared_media("jfk.wav"))
    assert 8.0 < sum(b - a for a, b in spans) < 11.0
    segments = [
        _segment(s["start"], s["end"], s["text"], words=[Word(**w) for w in s["words"]])
        for s in real_transcripts["jfk"]
    ]
    assert missing_speech(spans, segments) == []
    # A transcript that stops at "...can do for you," leaves the last clause uncovered.
    cut = [w for s in segments for w in s.words if w.end <= 6.5]
    partial = [_segment(cut[0].start, cut[-1].end, "partial", words=cut)]
    missing = missing_speech(spans, partial)
    assert len(missing) == 1
    start, end = missing[0]
    assert 6.5 <= start <= 7.6 and end >= 9.5
    # Where Whisper skips words it stretches the word before them over the gap: still missing.
    stretched = [*cut[:-1], Word(cut[-1].start, 10.3, cut[-1].word, cut[-1].probability)]
    assert missing_speech(spans, [_segment(cut[0].start, 10.3, "partial", words=stretched)])


def test_it_finds_all_of_a_recording_missing_when_nothing_was_transcribed(tmp_path):
    spans = speech_spans(shared_media("ls_test.flac"))
    assert missing_speech(spans, []) == [(round(spans[0][0], 2), round(spans[-1][1], 2))]
    silence = tmp_path / "silence.wav"
    import wave

    with wave.open(str(silence), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(np.zeros(SAMPLE_RATE * 3, dtype="<i2").tobytes())
    assert speech_spans(silence) == []


def test_it_removes_lines_whisper_made_up_and_loops():
    invented = _segment(
        29.98,
        30.02,
        "is hereby granted, free of charge, to any person obtaining a copy of this software",
        no_speech_prob=0.95,
        words=[Word(29.98, 29.98, f" w{i}", 0.003) for i in range(14)],
    )
    loop = [_segment(40.0 + 2 * i, 41.5 + 2 * i, "Thank you.") for i in range(5)]
    real = _segment(0.0, 4.8, "Permission is hereby granted, free of charge,")
    kept, removed = suppress_hallucinations([real, invented, *loop])
    assert kept == [real, *loop[:2]]
    assert [r.reason for r in removed] == ["not heard in the audio"] + ["repeated line"] * 3


def test_it_keeps_every_line_of_real_speech(real_transcripts):
    for name, segments in real_transcripts.items():
        results = [
            SegmentResult(
                start=s["start"],
                end=s["end"],
                text=s["text"],
                no_speech_prob=s["no_speech_prob"],
                words=[Word(**w) for w in s["words"]],
            )
            for s in segments
        ]
        _kept, removed = suppress_hallucinations(results)
        assert removed == [], name
