from __future__ import annotations

import json
from pathlib import Path

import pytest

from jobs.highlights.layout import LayoutResult, detect_layout
from tests.synth import write_wav
from tests.synth_video import SynthLecture, layout_video
from transcripts.media import MediaError


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    width = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    height = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = width * height
    return inter / (aw * ah + bw * bh - inter)


def test_it_finds_the_slides_and_the_camera_of_a_split_lecture(
    lecture: SynthLecture, layout: LayoutResult
) -> None:
    assert layout.kind == "split"
    assert (layout.width, layout.height) == lecture.size
    assert layout.screen is not None and layout.camera is not None
    assert iou(layout.screen.box, lecture.screen_box) >= 0.8, layout.screen.box
    assert iou(layout.camera.box, lecture.camera_box) >= 0.8, layout.camera.box
    assert layout.confidence >= 0.6


def test_it_finds_each_slide_change_within_two_seconds(
    lecture: SynthLecture, layout: LayoutResult
) -> None:
    assert len(layout.slide_changes) == len(lecture.slide_changes)
    for found, truth in zip(layout.slide_changes, lecture.slide_changes, strict=True):
        assert abs(found - truth) <= 2.0, (found, truth)


def test_it_serialises_to_json(layout: LayoutResult) -> None:
    data = json.loads(json.dumps(layout.to_dict()))
    assert data["kind"] == "split"
    assert len(data["screen"]["box"]) == 4
    assert 0 <= data["camera"]["confidence"] <= 1


def test_it_calls_a_full_frame_slide_recording_a_screen(tmp_path: Path) -> None:
    video = layout_video(tmp_path / "screen.mp4", "screen")
    result = detect_layout(video)
    assert result.kind == "screen"
    assert result.camera is None
    assert result.screen is not None
    assert iou(result.screen.box, (0, 0, 640, 360)) >= 0.8
    # Slides change every 8 seconds.
    assert len(result.slide_changes) == 2
    for found, truth in zip(result.slide_changes, (8.0, 16.0), strict=True):
        assert abs(found - truth) <= 2.0


def test_it_finds_a_webcam_thumbnail_over_full_frame_slides(tmp_path: Path) -> None:
    video = layout_video(tmp_path / "pip.mp4", "pip")
    result = detect_layout(video)
    assert result.kind == "split"
    assert result.camera is not None and result.screen is not None
    assert iou(result.camera.box, (470, 230, 160, 120)) >= 0.8
    assert iou(result.screen.box, (0, 0, 640, 360)) >= 0.8
    # The moving webcam inside the slides is not mistaken for slide changes.
    assert len(result.slide_changes) == 2


def test_it_calls_a_moving_full_frame_picture_a_camera(tmp_path: Path) -> None:
    video = layout_video(tmp_path / "camera.mp4", "camera")
    result = detect_layout(video)
    assert result.kind == "camera"
    assert result.screen is None
    assert result.slide_changes == []
    assert result.camera is not None


def test_it_refuses_audio_without_a_picture(tmp_path: Path) -> None:
    import numpy as np

    audio = write_wav(tmp_path / "tone.wav", (np.ones(16000) * 1000).astype("<i2"))
    with pytest.raises(MediaError):
        detect_layout(audio)
