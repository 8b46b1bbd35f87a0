"""Layout: panels found in varied composed recordings, and vertical clips that keep slides whole.

The corpus is tests/synth_video.LAYOUT_CORPUS: slides and camera side by side (either order,
abutting or on a page), picture-in-picture in each corner, slides only (16:9, 4:3 pillarboxed,
dark theme), camera only, a letterboxed recording, 640x360 to 1920x1080 at 15 to 30 fps, the camera
a real photograph of a person moved and zoomed over time. The held-out variants (other people's
photographs, other sizes, corners and colours) were never looked at while the detector was tuned;
they are reported apart.

Per variant: IoU of the screen and camera boxes with the truth; a vertical clip (720x1280, with a
cut) rendered and read back: Tesseract on the slide's part of frames of each clip must find
every word of the title on screen at that moment (read as the slides stage reads: enlarged, grey;
also counted against the words Tesseract reads in the source's slide at that moment),
and OpenCV's face detector must find a face inside the speaker panel in sampled frames. Cost: layout
detection plus the reframing plan on the ~100 s lecture video of the highlights section, against
transcribing it (`tiny.en`, beam 5), repeat by repeat.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.env import MODEL, REPO, loaded_backend
from bench.stats import Series, ratio, timed
from transcripts.backends.base import TranscribeOptions

COMMAND = ".venv/bin/python -m bench.run --only layout"
FOLDER = REPO / "var" / "bench-cache" / "layout"
CLIP_SIZE = (720, 1280)
WORDS = [
    "so",
    "the",
    "key",
    "point",
    "of",
    "this",
    "slide",
    "is",
    "what",
    "we",
    "will",
    "now",
    "look",
    "at",
    "together",
    "in",
    "some",
    "detail",
]
SEGMENTS = [
    {
        "start": 0.0,
        "end": 20.0,
        "text": " ".join(WORDS),
        "words": [
            {"start": 0.2 + 0.45 * i, "end": 0.6 + 0.45 * i, "word": word}
            for i, word in enumerate(WORDS)
        ],
    }
]


def corpus() -> list[Any]:
    """Every variant, made once into var/bench-cache/layout (video and its truth)."""
    from tests.synth_video import LAYOUT_CORPUS, LayoutVideo, layout_variant

    FOLDER.mkdir(parents=True, exist_ok=True)
    made = []
    for spec in LAYOUT_CORPUS:
        truth = FOLDER / f"{spec.name}.json"
        video = FOLDER / f"{spec.name}.mp4"
        if truth.exists() and video.exists():
            data = json.loads(truth.read_text())
            made.append(
                LayoutVideo(
                    spec=spec,
                    video=video,
                    screen_box=tuple(data["screen"]) if data["screen"] else None,
                    camera_box=tuple(data["camera"]) if data["camera"] else None,
                    slide_box=tuple(data["screen"]) if data["screen"] else None,
                    slide_changes=data["slide_changes"],
                    titles=data["titles"],
                )
            )
            continue
        variant = layout_variant(FOLDER, spec)
        truth.write_text(
            json.dumps(
                {
                    "screen": variant.screen_box,
                    "camera": variant.camera_box,
                    "slide_changes": variant.slide_changes,
                    "titles": variant.titles,
                }
            )
        )
        made.append(variant)
    return made


def iou(a: Any, b: Any) -> float | None:
    """Intersection over union of two (x, y, w, h) boxes; 1 when both are absent, 0 when one is."""
    if a is None and b is None:
        return None
    if a is None or b is None:
        return 0.0
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


def _words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z0-9]+", text)}


def _source_time(at: float, ranges: list[tuple[float, float]]) -> float:
    position = 0.0
    for a, b in ranges:
        if at < position + (b - a):
            return a + at - position
        position += b - a
    return ranges[-1][1]


def _frame(path: Path, seconds: float, size: tuple[int, int]) -> np.ndarray:
    import subprocess

    from transcripts.media import ffmpeg_exe

    raw = subprocess.run(
        [ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-ss", f"{seconds:.3f}", "-i", str(path),
         "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(size[1], size[0])


def _check_clip(variant: Any, rendered: Any, scratch: Path) -> dict[str, Any]:
    """Legibility of the title and presence of the face in one rendered vertical clip."""
    from jobs.highlights.layout import find_faces
    from jobs.pipeline.stages.slides import grab_frame, ocr_lines

    result: dict[str, Any] = {"arrangement": rendered.arrangement, "note": rendered.note}
    duration = rendered.duration
    if rendered.slide is not None:
        reads = []
        for at in (0.4, duration / 2, max(0.4, duration - 0.4)):
            source = _source_time(at, rendered.ranges)
            near = [t for t in variant.slide_changes if abs(source - t) < 0.5]
            if near:  # not on a slide change, where either slide may be on screen
                at = min(duration - 0.1, at + 0.6)
                source = _source_time(at, rendered.ranges)
            shown = variant.titles[sum(source >= t for t in variant.slide_changes)]
            grab_frame(rendered.video, at, rendered.slide, scratch / "s.jpg", scratch / "scan.png")
            text = " ".join(line.text for line in ocr_lines("tesseract", scratch / "scan.png"))
            # The same moment of the source, its slide at full resolution: what Tesseract can read
            # there is the most a clip can keep (a title under a webcam thumbnail, or white on a
            # mid-tone bar that Tesseract's binarisation loses, is not readable in the source).
            grab_frame(
                variant.video, source, variant.screen_box, scratch / "o.jpg", scratch / "o.png"
            )
            original = " ".join(line.text for line in ocr_lines("tesseract", scratch / "o.png"))
            readable = _words(shown) & _words(original)
            reads.append(
                {
                    "at": round(at, 2),
                    "title": shown,
                    "missing": sorted(_words(shown) - _words(text)),
                    "missing_of_source_readable": sorted(readable - _words(text)),
                    "source_missing": sorted(_words(shown) - _words(original)),
                }
            )
        result["title_reads"] = reads
        result["legible"] = all(not read["missing"] for read in reads)
        result["legible_vs_source"] = all(not read["missing_of_source_readable"] for read in reads)
    if rendered.speaker is not None:
        x, y, w, h = rendered.speaker
        times = np.arange(0.25, duration - 0.1, 0.5)
        seen = [
            bool(
                find_faces(
                    _frame(rendered.video, t, (rendered.width, rendered.height))[
                        y : y + h, x : x + w
                    ]
                )
            )
            for t in times
        ]
        result["face_rate"] = sum(seen) / len(seen) if seen else 0.0
    return result


def _variant(variant: Any, out: Path) -> dict[str, Any]:
    from jobs.highlights.compiler import render_clip
    from jobs.highlights.layout import detect_layout

    seconds, found = timed(lambda: detect_layout(variant.video))
    spec = variant.spec
    row: dict[str, Any] = {
        "name": spec.name,
        "held_out": spec.held_out,
        "kind": spec.kind,
        "size": list(spec.size),
        "fps": spec.fps,
        "person": spec.person,
        "detected_kind": found.kind,
        "confidence": found.confidence,
        "screen_iou": iou(found.screen.box if found.screen else None, variant.screen_box),
        "camera_iou": iou(found.camera.box if found.camera else None, variant.camera_box),
        "screen": list(found.screen.box) if found.screen else None,
        "camera": list(found.camera.box) if found.camera else None,
        "truth_screen": list(variant.screen_box) if variant.screen_box else None,
        "truth_camera": list(variant.camera_box) if variant.camera_box else None,
        "slide_changes": found.slide_changes,
        "truth_slide_changes": variant.slide_changes,
        "layout_seconds": seconds,
        "video_seconds": spec.seconds,
    }
    half = spec.seconds / 2
    # One clip with a cut in it: two stretches of the recording, each under a different slide.
    clips = [[(1.0, 3.5), (half, half + 2.5)]]
    scratch = Path(tempfile.mkdtemp(prefix="bench-layout-"))
    checks = []
    try:
        for number, ranges in enumerate(clips, start=1):
            rendered = render_clip(
                variant.video, {"ranges": ranges}, SEGMENTS, out / f"{spec.name}-{number}.mp4",
                layout="vertical", regions=found, size=CLIP_SIZE,
            )  # fmt: skip
            checks.append(_check_clip(variant, rendered, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    row["clips"] = checks
    legible = [check["legible"] for check in checks if "legible" in check]
    kept = [check["legible_vs_source"] for check in checks if "legible" in check]
    faces = [check["face_rate"] for check in checks if "face_rate" in check]
    row["legible"] = all(legible) if legible else None
    row["legible_vs_source"] = all(kept) if kept else None
    row["face_rate"] = min(faces) if faces else None
    return row


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ious = [r[k] for r in rows for k in ("screen_iou", "camera_iou") if r[k] is not None]
    legible = [r["legible"] for r in rows if r["legible"] is not None]
    kept = [r["legible_vs_source"] for r in rows if r["legible_vs_source"] is not None]
    faces = [r["face_rate"] for r in rows if r["face_rate"] is not None]
    return {
        "variants": len(rows),
        "min_iou": min(ious) if ious else None,
        "median_iou": statistics.median(ious) if ious else None,
        "boxes_meeting_goal": sum(value >= 0.85 for value in ious),
        "boxes": len(ious),
        "clips_legible": sum(legible),
        "clips_legible_vs_source": sum(kept),
        "variants_with_slides": len(legible),
        "min_face_rate": min(faces) if faces else None,
    }


def measure(repeats: int) -> dict[str, Any]:
    from bench.highlights import lecture
    from jobs.highlights.layout import detect_layout
    from jobs.highlights.reframe import plan_picture
    from transcripts.media import probe

    out = REPO / "var" / "bench-cache" / "layout-clips"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rows = [_variant(variant, out) for variant in corpus()]

    # Cost on the lecture with speech: layout + reframing plans for five clips, against
    # transcription of the same video.
    video, audio, duration = lecture()
    backend = loaded_backend(MODEL)
    info = probe(video)
    transcription, layout_times = [], []
    for _ in range(repeats):
        seconds, _ = timed(lambda: backend.transcribe(audio, TranscribeOptions("en")))
        transcription.append(seconds)

        def layout_and_plans() -> None:
            found = detect_layout(video)
            for start in np.linspace(0, duration - 30, 5):
                plan_picture("vertical", found, info, *CLIP_SIZE, [(start, start + 30)])

        seconds, _ = timed(layout_and_plans)
        layout_times.append(seconds)
    cost = ratio(Series(layout_times), Series(transcription))
    return {
        "command": COMMAND,
        "model": MODEL,
        "clip_size": list(CLIP_SIZE),
        "variants": rows,
        "tuning": _summary([r for r in rows if not r["held_out"]]),
        "held_out": _summary([r for r in rows if r["held_out"]]),
        "lecture_seconds": duration,
        "transcription_seconds": Series(transcription).to_dict(),
        "layout_and_reframing_seconds": Series(layout_times).to_dict(),
        "layout_and_reframing_vs_transcription": cost,
        "goals": {
            "iou": "≥ 0.85 for every box",
            "legibility": "every title word read on every vertical clip",
            "face": "face in the speaker panel in ≥ 95 % of sampled frames",
            "cost": "layout + reframing ≤ 0.25× transcription",
        },
    }
