"""Layouts Lectern was not built around, and vertical clips that never cut the slides.

The videos are tests/synth_video.layout_variant recordings made small and short here (the bench's
`layout` section runs the full-size corpus): real photographs of people for the camera, moved and
zoomed over time, slides in either colour theme, panels in several places.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from jobs.highlights.compiler import RenderedClip, render_clip
from jobs.highlights.layout import LayoutResult, Region, detect_layout, find_faces
from jobs.highlights.reframe import follow_keys, plan_picture
from jobs.pipeline.stages.slides import grab_frame, ocr_lines
from tests.highlights.test_layout import iou
from tests.synth_video import LAYOUT_CORPUS, LayoutVideo, layout_variant
from transcripts.media import MediaInfo, ffmpeg_exe, probe

SPECS = {spec.name: spec for spec in LAYOUT_CORPUS}
# Short, small versions: the same layouts at CI cost.
SMALL = {
    "split-abutting": dict(size=(640, 360), fps=10, seconds=12.0),
    "pip-br": dict(size=(854, 480), fps=10, seconds=12.0),
    "camera": dict(size=(640, 360), fps=10, seconds=12.0),
    "pillarbox-4x3": dict(size=(640, 360), fps=10, seconds=12.0),
    # Held out (not tuned on): other people, the camera on the left, another size.
    "split-abutting-left-4x3": dict(size=(854, 480), fps=10, seconds=12.0),
    "pip-tl-360p": dict(fps=10, seconds=12.0),
}
WORDS = [
    "so",
    "the",
    "key",
    "point",
    "of",
    "this",
    "slide",
    "is",
    "that",
    "light",
    "becomes",
    "sugar",
    "in",
    "the",
    "leaf",
]
SEGMENTS = [
    {
        "start": 0.2,
        "end": 9.0,
        "text": " ".join(WORDS),
        "words": [
            {"start": 0.2 + 0.5 * i, "end": 0.6 + 0.5 * i, "word": word}
            for i, word in enumerate(WORDS)
        ],
    }
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[LayoutVideo, LayoutResult]]:
    folder = tmp_path_factory.mktemp("layouts")
    made = {}
    for name, changes in SMALL.items():
        video = layout_variant(folder, dataclasses.replace(SPECS[name], **changes))
        made[name] = (video, detect_layout(video.video))
    return made


def frame_at(path: Path, seconds: float) -> np.ndarray:
    info = probe(path)
    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-ss", f"{seconds:.3f}", "-i", str(path),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(info.height, info.width, 3)


def crop(frame: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return frame[y : y + h, x : x + w]


def grey(image: np.ndarray) -> np.ndarray:
    return image.mean(axis=2).astype(np.uint8)


@pytest.mark.parametrize("name", list(SMALL))
def test_it_finds_the_panels_of_varied_layouts(
    corpus: dict[str, tuple[LayoutVideo, LayoutResult]], name: str
) -> None:
    truth, found = corpus[name]
    if truth.screen_box is None:
        assert found.screen is None
    else:
        assert found.screen is not None
        assert iou(found.screen.box, truth.screen_box) >= 0.85, found.screen.box
        assert len(found.slide_changes) == len(truth.slide_changes)
    if truth.camera_box is None:
        assert found.camera is None
    else:
        assert found.camera is not None
        assert iou(found.camera.box, truth.camera_box) >= 0.85, found.camera.box
        assert found.faces and found.face_rate >= 0.5
    assert found.confidence >= 0.6


@pytest.fixture(scope="module")
def stacked(
    corpus: dict[str, tuple[LayoutVideo, LayoutResult]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[LayoutVideo, RenderedClip]:
    truth, found = corpus["split-abutting"]
    output = tmp_path_factory.mktemp("stacked") / "stacked.mp4"
    clip = {"ranges": [(0.5, 3.0), (3.6, 7.5)]}
    rendered = render_clip(
        truth.video, clip, SEGMENTS, output, layout="vertical", regions=found, size=(360, 640)
    )
    return truth, rendered


def test_it_shows_the_whole_slide_over_the_speaker(
    stacked: tuple[LayoutVideo, RenderedClip],
) -> None:
    truth, rendered = stacked
    assert rendered.arrangement == "stacked"
    assert (rendered.width, rendered.height) == (360, 640)
    assert rendered.slide is not None and rendered.slide[2] == 360  # full width
    # The slide in the clip is the whole slide of the source, scaled: nothing of it is cut.
    from PIL import Image

    clip_slide = crop(frame_at(rendered.video, 1.0), rendered.slide).astype(np.int16)
    source = crop(frame_at(truth.video, 1.5), truth.screen_box)
    scaled = Image.fromarray(source).resize(clip_slide.shape[1::-1], Image.Resampling.BILINEAR)
    difference = np.abs(clip_slide - np.asarray(scaled).astype(np.int16)).mean()
    assert difference < 12, difference


def test_it_keeps_the_face_inside_the_speaker_panel(
    stacked: tuple[LayoutVideo, RenderedClip],
) -> None:
    _, rendered = stacked
    assert rendered.speaker is not None
    times = np.arange(0.2, rendered.duration - 0.2, 0.5)
    seen = [
        bool(find_faces(grey(crop(frame_at(rendered.video, t), rendered.speaker)))) for t in times
    ]
    assert sum(seen) / len(seen) >= 0.95, seen


def test_it_puts_captions_below_the_slide_never_over_it(
    corpus: dict[str, tuple[LayoutVideo, LayoutResult]], tmp_path: Path
) -> None:
    import pysubs2

    truth, found = corpus["pillarbox-4x3"]
    rendered = render_clip(
        truth.video, {"ranges": [(0.5, 4.0)]}, SEGMENTS, tmp_path / "slides.mp4",
        layout="vertical", regions=found, size=(360, 640),
    )  # fmt: skip
    assert rendered.arrangement == "slides"
    _, y, w, h = rendered.slide
    assert w == 360 and abs(w / h - 4 / 3) < 0.02  # fit to the width, its shape kept
    style = pysubs2.load(str(rendered.subtitles)).styles["Caption"]
    assert style.alignment == pysubs2.Alignment.TOP_CENTER and style.marginv >= y + h
    # In the picture: the slide rows are the source slide, the rows below carry the captions.
    with_captions = frame_at(rendered.video, 1.5).astype(np.int16)
    rendered_plain = render_clip(
        truth.video, {"ranges": [(0.5, 4.0)]}, SEGMENTS, tmp_path / "plain.mp4",
        layout="vertical", regions=found, size=(360, 640), captions=False,
    )  # fmt: skip
    plain = frame_at(rendered_plain.video, 1.5).astype(np.int16)
    difference = np.abs(with_captions - plain).mean(axis=2)
    assert difference[y : y + h].mean() < 1.0
    assert difference[y + h :].max() > 100


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="make test installs tesseract-ocr")
def test_it_keeps_the_slide_title_legible_in_a_vertical_clip(
    corpus: dict[str, tuple[LayoutVideo, LayoutResult]], tmp_path: Path
) -> None:
    truth, found = corpus["split-abutting-left-4x3"]
    rendered = render_clip(
        truth.video, {"ranges": [(1.0, 2.5)]}, SEGMENTS, tmp_path / "title.mp4",
        layout="vertical", regions=found, size=(720, 1280),
    )  # fmt: skip
    assert rendered.arrangement == "stacked"
    # Read as the slides stage reads slides: the slide's part of the picture, enlarged, in grey.
    grab_frame(rendered.video, 0.7, rendered.slide, tmp_path / "s.jpg", tmp_path / "scan.png")
    lines = ocr_lines("tesseract", tmp_path / "scan.png")
    assert "Photosynthesis" in " ".join(line.text for line in lines), lines


def test_it_crops_a_talking_head_around_the_face(
    corpus: dict[str, tuple[LayoutVideo, LayoutResult]], tmp_path: Path
) -> None:
    truth, found = corpus["camera"]
    rendered = render_clip(
        truth.video, {"ranges": [(0.5, 4.5)]}, SEGMENTS, tmp_path / "face.mp4",
        layout="vertical", regions=found, size=(360, 640),
    )  # fmt: skip
    assert rendered.arrangement == "face-crop"
    frames = [grey(frame_at(rendered.video, t)) for t in (0.5, 2.0, 3.5)]
    for frame in frames:
        faces = find_faces(frame)
        assert faces
        x, _, w, _ = faces[0]
        assert abs((x + w / 2) - 180) < 90  # about the middle of the width


def _info(width: int, height: int) -> MediaInfo:
    return MediaInfo(duration=60.0, has_audio=True, has_video=True, width=width, height=height)


def _layout(**changes: object) -> LayoutResult:
    base = LayoutResult(
        kind="split", width=1280, height=720,
        screen=Region((0, 0, 960, 720), 0.9), camera=Region((960, 0, 320, 720), 0.9),
        confidence=0.9, faces=[(t, 1060, 200, 120, 120) for t in range(0, 60, 2)],
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def test_it_keeps_16_9_with_a_note_when_the_layout_is_unclear() -> None:
    plan = plan_picture("vertical", _layout(confidence=0.3), _info(1280, 720), 720, 1280, [(0, 9)])
    assert plan.arrangement == "full" and (plan.width, plan.height) == (1280, 720)
    assert "unclear" in plan.note and "0.30" in plan.note


def test_it_shows_no_speaker_panel_without_a_face() -> None:
    plan = plan_picture("vertical", _layout(faces=[]), _info(1280, 720), 720, 1280, [(0, 9)])
    assert plan.arrangement == "slides" and plan.speaker is None


def test_it_keeps_a_portrait_source_as_it_is() -> None:
    plan = plan_picture("vertical", _layout(), _info(720, 1280), 720, 1280, [(0, 9)])
    assert plan.arrangement == "portrait"
    assert "crop" not in plan.chain


def test_it_follows_the_face_without_jitter() -> None:
    box = (960, 0, 320, 720)
    # A face that wobbles by a few pixels (the detector's noise): the crop holds still.
    wobbly = [(float(t), 1100 + (-3) ** (t % 2), 300.0, 100.0) for t in range(0, 20, 2)]
    keys = follow_keys(wobbly, box, 320, 400, 2.0, [(0.0, 20.0)])
    assert len(keys) == 1
    # A face that walks across the panel: the crop follows, in small steady steps.
    walking = [(float(t), 400 + 12.0 * t, 300.0, 100.0) for t in range(0, 20, 2)]
    box = (0, 0, 1280, 720)
    keys = follow_keys(walking, box, 320, 400, 2.0, [(0.0, 20.0)])
    xs = [x for _, x, _ in keys]
    assert xs == sorted(xs) and xs[-1] - xs[0] > 150
    speeds = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in pairwise(keys)]
    assert max(speeds) < 40  # pixels a second: a glide, not a jump


def test_it_keeps_16_9_captions_off_the_slide() -> None:
    info = _info(1280, 720)
    # Room under the slide: the captions go there.
    low = _layout(screen=Region((0, 0, 960, 540), 0.9))
    plan = plan_picture("original", low, info, 1280, 720, [(0, 9)])
    assert plan.captions.top >= 540 and "pad=1280:720:(ow-iw)/2:(oh-ih)/2" in plan.chain
    # The slide reaches the bottom, with room beside it: the captions go beside it.
    plan = plan_picture("original", _layout(), info, 1280, 720, [(0, 9)])
    assert plan.captions.left >= 960 and plan.captions.right is None
    # A full-frame slide: the picture is scaled down over a caption band, never covered.
    full = _layout(screen=Region((0, 0, 1280, 720), 0.9), camera=None)
    plan = plan_picture("original", full, info, 1280, 720, [(0, 9)])
    assert 560 <= plan.captions.top < 720 and f"scale=1280:{plan.captions.top}" in plan.chain
