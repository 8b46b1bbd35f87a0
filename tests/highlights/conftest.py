"""Fixtures for the highlight agents: one synthetic lecture video, built and transcribed once.

These tests need no database and no Django settings: the agents are plain Python. The two
autouse fixtures of ``tests/conftest.py`` that reach for Django's ``settings`` are replaced here
by ones that do not, so this folder also runs with ``-p no:django``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jobs.highlights.analysers import AnalysisRequest, AnalysisResult, analyse
from jobs.highlights.layout import LayoutResult, detect_layout
from jobs.highlights.selection import SelectionResult, select_clips
from jobs.highlights.silences import SilenceResult, detect_silences
from tests.synth_video import SynthLecture, lecture_video
from transcripts.media import extract_audio, read_wav


@pytest.fixture(autouse=True)
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_backends() -> None:
    return None


@pytest.fixture(autouse=True)
def _no_gemini_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # A key in the developer's environment must not send test transcripts to Google.
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)


@pytest.fixture(scope="session")
def lecture(tmp_path_factory: pytest.TempPathFactory) -> SynthLecture:
    return lecture_video(tmp_path_factory.mktemp("highlights") / "lecture")


@pytest.fixture(scope="session")
def lecture_wav(lecture: SynthLecture) -> Path:
    """The audio as the pipeline sees it: decoded back out of the MP4 (AAC and all)."""
    target = lecture.video.with_name("extracted.wav")
    extract_audio(lecture.video, target)
    return target


@pytest.fixture(scope="session")
def transcript(lecture_wav: Path) -> list[dict[str, Any]]:
    """A real transcript with word timings from the bundled tiny.en model, as stored dicts."""
    from faster_whisper import WhisperModel

    from transcripts.modelstore import tiny_en_dir

    model = WhisperModel(str(tiny_en_dir()), device="cpu", compute_type="int8", cpu_threads=2)
    segments, _ = model.transcribe(
        str(lecture_wav), language="en", word_timestamps=True, beam_size=1
    )
    return [
        {
            "start": segment.start,
            "end": segment.end,
            "text": segment.text,
            "words": [{"start": w.start, "end": w.end, "word": w.word} for w in segment.words],
        }
        for segment in segments
    ]


@pytest.fixture(scope="session")
def silences(lecture_wav: Path) -> SilenceResult:
    return detect_silences(read_wav(lecture_wav), min_silence=0.5)


@pytest.fixture(scope="session")
def layout(lecture: SynthLecture) -> LayoutResult:
    return detect_layout(lecture.video)


@pytest.fixture(scope="session")
def analysis(
    lecture: SynthLecture,
    transcript: list[dict[str, Any]],
    silences: SilenceResult,
    layout: LayoutResult,
) -> AnalysisResult:
    request = AnalysisRequest(
        segments=transcript,
        duration=lecture.duration,
        silences=silences.silences,
        slide_changes=layout.slide_changes,
    )
    return analyse(request, api_key="")


@pytest.fixture(scope="session")
def selection(
    transcript: list[dict[str, Any]], analysis: AnalysisResult, silences: SilenceResult
) -> SelectionResult:
    # Three clips of a 100-second lecture: more than the default quarter of it.
    return select_clips(transcript, analysis.topics, silences.silences, count=3, share=0.9)
