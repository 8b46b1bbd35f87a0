from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pysubs2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import JFK_TEXT
from tests.wer import wer

ROOT = Path(__file__).resolve().parents[2]


def test_it_writes_srt_and_json(jfk_wav, tmp_path):
    srt = tmp_path / "jfk.srt"
    call_command("transcribe", str(jfk_wav), "--format", "srt", "-o", str(srt))
    subs = pysubs2.load(str(srt))
    assert len(subs) >= 1 and all(event.end > event.start for event in subs)
    assert wer(JFK_TEXT, " ".join(e.plaintext for e in subs)) <= 0.10

    out = tmp_path / "jfk.json"
    call_command("transcribe", str(jfk_wav), "--format", "json", "-o", str(out))
    document = json.loads(out.read_text())
    assert document["backend"] == "faster-whisper" and document["model"] == "base"
    assert document["language"] == "en" and document["duration"] == pytest.approx(11.0, abs=0.1)
    for segment in document["segments"]:
        assert set(segment) >= {"start", "end", "text", "words"}
        assert all(set(w) == {"start", "end", "word"} for w in segment["words"])


def test_it_exits_non_zero_with_a_one_line_reason(tmp_path):
    fake = tmp_path / "fake.mp4"
    fake.write_text("not a video")
    with pytest.raises(CommandError, match="not a recognised audio or video format"):
        call_command("transcribe", str(fake))

    completed = subprocess.run(
        [sys.executable, "manage.py", "transcribe", str(fake)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.returncode != 0
    assert completed.stderr.strip().splitlines()[-1].startswith("CommandError: ")
    assert "Traceback" not in completed.stderr


def test_it_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("transcribe", str(tmp_path / "missing.wav"))


@pytest.mark.slow
def test_it_adds_highlights_to_the_json(lecture_video, tmp_path, settings):
    settings.LECTERN_MODEL = "tiny.en"
    settings.HIGHLIGHTS = {**settings.HIGHLIGHTS, "count": 1}
    out = tmp_path / "lecture.json"
    clips_dir = tmp_path / "clips"
    call_command(
        "transcribe", str(lecture_video.video), "--highlights", "--clips-dir", str(clips_dir),
        "--format", "json", "-o", str(out),
    )  # fmt: skip
    document = json.loads(out.read_text())
    assert {"silences", "layout", "slide_changes", "topics", "clips"} <= set(document)
    assert document["layout"]["kind"] == "split"
    assert len(document["layout"]["screen"]) == 4 and len(document["layout"]["camera"]) == 4
    assert all(set(s) == {"start", "end"} for s in document["silences"])
    assert all(
        {"start", "end", "title", "summary", "importance"} <= set(t) for t in document["topics"]
    )
    assert len(document["clips"]) == 1
    clip = document["clips"][0]
    assert Path(clip["file"]).exists() and Path(clip["thumbnail"]).exists()
    assert Path(clip["file"]).parent == clips_dir


def test_it_writes_the_speaker_turns_as_rttm(jfk_wav, tmp_path):
    from pyannote.database.util import load_rttm

    out = tmp_path / "jfk.rttm"
    # --format rttm needs no --diarize: speaker turns are what it asks for.
    call_command("transcribe", str(jfk_wav), "--format", "rttm", "-o", str(out))
    lines = [line.split() for line in out.read_text().splitlines()]
    assert lines and all(len(f) == 10 and f[:3] == ["SPEAKER", "jfk", "1"] for f in lines)
    turns = load_rttm(out)["jfk"]
    # One speaker, whose words cover most of the 11 s.
    assert turns.labels() == ["S1"]
    assert turns.get_timeline().support().duration() >= 7
