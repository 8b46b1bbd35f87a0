from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import pysubs2
import pytest
from PIL import Image

from jobs.highlights.compiler import RenderedClip, render_clip
from jobs.highlights.layout import LayoutResult, find_faces
from jobs.highlights.selection import SelectionResult
from tests.synth_video import SynthLecture
from transcripts.media import ffmpeg_exe


@pytest.fixture(scope="session")
def rendered(
    tmp_path_factory: pytest.TempPathFactory,
    lecture: SynthLecture,
    selection: SelectionResult,
    transcript: list[dict[str, Any]],
    layout: LayoutResult,
) -> list[RenderedClip]:
    folder = tmp_path_factory.mktemp("clips")
    return [
        render_clip(
            lecture.video, clip, transcript, folder / f"clip-{clip.rank}.mp4", regions=layout
        )
        for clip in selection.clips
    ]


@pytest.fixture(scope="session")
def vertical(
    tmp_path_factory: pytest.TempPathFactory,
    lecture: SynthLecture,
    selection: SelectionResult,
    transcript: list[dict[str, Any]],
    layout: LayoutResult,
) -> RenderedClip:
    # From the JSON the pipeline stores, as the worker will have it.
    clip = json.loads(json.dumps(selection.clips[0].to_dict()))
    regions = json.loads(json.dumps(layout.to_dict()))
    output = tmp_path_factory.mktemp("vertical") / "clip-1-vertical.mp4"
    return render_clip(lecture.video, clip, transcript, output, layout="vertical", regions=regions)


def stream_lengths(path: Path) -> tuple[float, float]:
    """(seconds of video frames, seconds of audio samples), counted by decoding."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        fps = float(stream.average_rate)
    with av.open(str(path)) as container:
        rate = container.streams.audio[0].sample_rate
        samples = sum(frame.samples for frame in container.decode(audio=0))
    return frames / fps, samples / rate


def frame_at(path: Path, seconds: float, size: tuple[int, int]) -> np.ndarray:
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-ss", f"{seconds:.3f}", "-i", str(path),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(size[1], size[0], 3).astype(np.int16)


def test_it_renders_every_clip_with_sound_and_picture_in_step(
    rendered: list[RenderedClip], selection: SelectionResult
) -> None:
    for output, clip in zip(rendered, selection.clips, strict=True):
        assert output.video.exists() and output.video.stat().st_size > 10_000
        assert 20.0 <= output.duration <= 120.0
        # Frame snapping widens each range by at most one frame (0.2 s at 5 fps).
        assert abs(output.duration - clip.duration) <= 0.2 * len(clip.ranges) + 0.1
        video_seconds, audio_seconds = stream_lengths(output.video)
        assert abs(video_seconds - audio_seconds) <= 0.1, (video_seconds, audio_seconds)
        assert (output.width, output.height) == (1280, 720)
        assert output.layout == "original" and output.arrangement == "full"
        assert not list(output.video.parent.glob("*.partial.*"))


def test_it_burns_captions_into_the_picture(
    rendered: list[RenderedClip], lecture: SynthLecture
) -> None:
    output = rendered[0]
    subs = pysubs2.load(str(output.subtitles))
    event = subs.events[len(subs.events) // 2]
    at = (event.start + event.end) / 2000
    # The same moment in the source, through the kept ranges.
    position, source_time = 0.0, None
    for a, b in output.ranges:
        if at < position + (b - a):
            source_time = a + (at - position)
            break
        position += b - a
    assert source_time is not None
    clip_frame = frame_at(output.video, at, (1280, 720))
    source_frame = frame_at(lecture.video, source_time, lecture.size)
    difference = np.abs(clip_frame - source_frame).mean(axis=2)
    # The slide reaches too low for two lines under it: the captions sit beside it, at the
    # bottom right (over the page, under the camera), and the slide is untouched.
    band = difference[600:700, 860:1260].mean()
    slide = difference[150:650, 60:820].mean()
    print(f"caption band differs by {band:.1f} grey levels, the slide beside by {slide:.1f}")
    assert band > 8 and band > 5 * slide, (band, slide)


def test_it_writes_a_styled_caption_file(rendered: list[RenderedClip]) -> None:
    subs = pysubs2.load(str(rendered[0].subtitles))
    assert subs.info["PlayResX"] == "1280" and subs.info["PlayResY"] == "720"
    assert subs.styles["Caption"].bold
    assert all(event.style == "Caption" and "\\k" in event.text for event in subs.events)
    assert max(event.end for event in subs.events) <= rendered[0].duration * 1000 + 50
    words = " ".join(event.plaintext for event in subs.events).lower()
    assert "chlorophyll" in words or "volume" in words or "revolution" in words


def test_it_writes_a_thumbnail(rendered: list[RenderedClip]) -> None:
    for output in rendered:
        with Image.open(output.thumbnail) as image:
            assert image.format == "JPEG"
            assert image.size == (640, 360)


def test_it_stacks_the_slides_over_the_speaker_for_vertical_clips(
    vertical: RenderedClip, lecture: SynthLecture
) -> None:
    assert (vertical.width, vertical.height) == (720, 1280)
    assert vertical.arrangement == "stacked"
    video_seconds, audio_seconds = stream_lengths(vertical.video)
    assert abs(video_seconds - audio_seconds) <= 0.1
    frame = frame_at(vertical.video, 1.0, (720, 1280))
    # Top: the white slide (800x600 scaled to 720 wide is 540 high, below its blue title bar).
    assert frame[150:500, 40:680].mean() > 200
    # Bottom: the camera picture, cropped around the speaker's face, which is in it.
    bottom = frame[540:1280, 0:720]
    assert bottom.std() > 8
    assert vertical.speaker == (0, 540, 720, 740)
    assert find_faces(bottom.astype(np.uint8).mean(axis=2).astype(np.uint8))
    with Image.open(vertical.thumbnail) as image:
        assert image.size == (640, 1138)


def test_it_keeps_the_16_9_picture_with_a_note_when_no_layout_is_known(
    tmp_path: Path,
    lecture: SynthLecture,
    selection: SelectionResult,
    transcript: list[dict[str, Any]],
) -> None:
    clip = selection.clips[0]
    short = {"ranges": [(clip.ranges[0][0], clip.ranges[0][0] + 4.0)]}
    output = render_clip(
        lecture.video, short, transcript, tmp_path / "crop.mp4", layout="vertical",
        size=(360, 640), captions=False,
    )  # fmt: skip
    # A crop would risk cutting the slides: the whole picture, and the user is told why.
    assert output.arrangement == "full"
    assert (output.width, output.height) == (640, 360)
    assert "16:9" in output.note
    assert abs(output.duration - 4.0) <= 0.25


def test_it_renders_captions_over_a_plain_picture_for_audio_only_lectures(
    tmp_path: Path, lecture: SynthLecture, transcript: list[dict[str, Any]]
) -> None:
    output = render_clip(
        lecture.audio, {"ranges": [(0.0, 6.0)]}, transcript, tmp_path / "audio.mp4",
        size=(640, 360),
    )  # fmt: skip
    assert output.arrangement == "audio-only"
    video_seconds, audio_seconds = stream_lengths(output.video)
    assert abs(video_seconds - audio_seconds) <= 0.1
    assert output.thumbnail.exists()


def test_it_refuses_an_unknown_layout(tmp_path: Path, lecture: SynthLecture) -> None:
    with pytest.raises(ValueError):
        render_clip(lecture.video, {"ranges": [(0, 5)]}, [], tmp_path / "x.mp4", layout="square")


def test_it_falls_back_to_the_font_lectern_ships(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, lecture: SynthLecture
) -> None:
    import jobs.highlights.compiler as compiler

    monkeypatch.setattr(compiler, "_FONT_DIRS", (str(tmp_path / "fonts"),))
    compiler._font_dir.cache_clear()
    try:
        assert compiler._font_dir() == str(compiler._SHIPPED_FONTS)
        assert not compiler.caption_font_missing()
    finally:
        compiler._font_dir.cache_clear()


def test_it_warns_when_no_caption_font_is_found_at_all(monkeypatch, caplog, tmp_path) -> None:
    import jobs.highlights.compiler as compiler

    monkeypatch.setattr(compiler, "_FONT_DIRS", (str(tmp_path / "fonts"),))
    monkeypatch.setattr(compiler, "_SHIPPED_FONTS", tmp_path / "shipped")
    compiler._font_dir.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="jobs.highlights.compiler"):
            assert compiler._font_dir() is None
        assert "fonts-dejavu-core" in caplog.text
    finally:
        compiler._font_dir.cache_clear()
