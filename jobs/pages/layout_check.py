"""The human check of a video's layout: what the job page shows, and the owner's correction.

The detected layout is kept in ``job.analysis["layout"]``, which every clip render reads (the
pipeline's and the caption-edit re-render's). A correction replaces it there, marked
``"source": "corrected"``, and keeps the detector's own answer in ``analysis["layout_detected"]``
for staff; then every clip is rendered again by a worker, its progress in
``analysis["rerender"]`` for the page to poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django_q.tasks import async_task

from jobs.highlights.compiler import caption_font_missing
from jobs.highlights.layout import LayoutResult, Region
from jobs.highlights.reframe import LOW_CONFIDENCE
from jobs.models import Job
from jobs.pipeline.rerender import render_clips_again

logger = logging.getLogger(__name__)

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Preset:
    label: str
    boxes: Callable[[int, int], tuple[Box | None, Box | None]]  # (screen, camera) for w x h


def _corner(w: int, h: int, right: bool, bottom: bool) -> tuple[Box, Box]:
    cw, ch = w // 4, h // 4
    x = w - cw - w // 50 if right else w // 50
    y = h - ch - h // 30 if bottom else h // 30
    return (0, 0, w, h), (x, y, cw, ch)


PRESETS: dict[str, Preset] = {
    "slides-left": Preset(
        "Slides left, camera right",
        lambda w, h: ((0, 0, w * 3 // 4, h), (w * 3 // 4, 0, w // 4, h)),
    ),
    "slides-right": Preset(
        "Camera left, slides right", lambda w, h: ((w // 4, 0, w * 3 // 4, h), (0, 0, w // 4, h))
    ),
    "slides-only": Preset("Slides only", lambda w, h: ((0, 0, w, h), None)),
    "camera-only": Preset("Camera only (talking head)", lambda w, h: (None, (0, 0, w, h))),
    "corner-br": Preset(
        "Slides, camera in the bottom-right corner", lambda w, h: _corner(w, h, True, True)
    ),
    "corner-tr": Preset(
        "Slides, camera in the top-right corner", lambda w, h: _corner(w, h, True, False)
    ),
    "corner-bl": Preset(
        "Slides, camera in the bottom-left corner", lambda w, h: _corner(w, h, False, True)
    ),
    "corner-tl": Preset(
        "Slides, camera in the top-left corner", lambda w, h: _corner(w, h, False, False)
    ),
}


def detected_layout(job: Job) -> LayoutResult | None:
    data = (job.analysis or {}).get("layout")
    return LayoutResult.from_dict(data) if data else None


def _box_text(box: Box | None) -> str:
    return ",".join(str(value) for value in box) if box else ""


def preview_boxes(screen: Box | None, camera: Box | None) -> list[dict[str, Any]]:
    """Boxes to draw over the frame before they are applied (a preset, or typed numbers)."""
    return [
        {"name": name, "label": label, "x": box[0], "y": box[1], "w": box[2], "h": box[3]}
        for name, label, box in (("screen", "Slides", screen), ("camera", "Camera", camera))
        if box
    ]


def layout_context(job: Job) -> dict[str, Any]:
    """What the layout check shows: the boxes over a frame, confidences, notes, progress."""
    layout = detected_layout(job)
    analysis = job.analysis or {}
    rerender = analysis.get("rerender") or {}
    context: dict[str, Any] = {
        "job": job,
        "layout": layout,
        "presets": [(key, preset.label) for key, preset in PRESETS.items()],
        "rerender": rerender,
        "rerendering": rerender.get("state") in ("queued", "running"),
        "percent": round(100 * rerender.get("done", 0) / max(1, rerender.get("total", 1))),
        "notes": [],
        "doubted": False,
    }
    if layout is None:
        return context
    # Each preset's boxes for this frame, so that the page draws them before they are applied.
    context["presets"] = [
        (key, preset.label, *map(_box_text, preset.boxes(layout.width, layout.height)))
        for key, preset in PRESETS.items()
    ]
    boxes = []
    for name, region in (("screen", layout.screen), ("camera", layout.camera)):
        if region is None:
            continue
        x, y, w, h = region.box
        boxes.append(
            {"name": name, "label": "Slides" if name == "screen" else "Camera",
             "x": x, "y": y, "w": w, "h": h, "confidence": region.confidence}
        )  # fmt: skip
    context["boxes"] = boxes
    context["box_fields"] = [
        (
            name,
            label,
            list(zip(("x", "y", "w", "h"), region.box if region else [None] * 4, strict=True)),
        )
        for name, label, region in (
            ("screen", "Slides", layout.screen),
            ("camera", "Camera", layout.camera),
        )
    ]
    context["faces_in_camera"] = _faces_inside(layout)
    notes = context["notes"]
    context["doubted"] = layout.source != "corrected" and bool(layout.doubts)
    if context["doubted"]:
        notes.append(
            "Check the layout before trusting the clips: "
            + " ".join(layout.doubts)
            + " Until then vertical clips keep the 16:9 picture. Keep the boxes below if they "
            "are right, or choose a preset and preview it."
        )
    elif layout.source != "corrected" and layout.confidence < LOW_CONFIDENCE:
        notes.append(
            f"The layout is unclear (confidence {layout.confidence:.2f}): vertical clips keep the "
            "16:9 picture. Correct the layout below to get slides over speaker."
        )
    if layout.camera is not None and not context["faces_in_camera"]:
        notes.append(
            "No face was seen inside the camera box, so vertical clips show no speaker panel."
        )
    if job.clip_layout == Job.ClipLayout.VERTICAL:
        wide = job.clips.filter(layout="full").count()
        if wide:
            notes.append(
                f"{wide} clip{'s' if wide > 1 else ''} kept the 16:9 picture rather than risk "
                "cutting the slides."
            )

    if caption_font_missing():
        notes.append(
            "No font was found to draw captions on this server (install fonts-dejavu-core), so "
            "the clips have no burned-in captions."
        )
    return context


def _faces_inside(layout: LayoutResult) -> int:
    if layout.camera is None:
        return 0
    cx, cy, cw, ch = layout.camera.box
    return sum(
        1
        for _, x, y, w, h in layout.faces
        if cx <= x + w / 2 <= cx + cw and cy <= y + h / 2 <= cy + ch
    )


def _clean(box: Box | None, width: int, height: int) -> Box | None:
    """A box kept inside the frame; None when it is too small to be a panel."""
    if box is None:
        return None
    x, y, w, h = box
    x, y = max(0, min(x, width - 1)), max(0, min(y, height - 1))
    w, h = min(w, width - x), min(h, height - y)
    if w < width // 20 or h < height // 20:
        return None
    return x, y, w, h


def layout_correct(
    *, job: Job, screen: Box | None, camera: Box | None, rerender: bool = True
) -> LayoutResult:
    """Replace the job's layout with the owner's boxes (source pixels) and render the clips again."""
    detected = detected_layout(job)
    if detected is None:
        raise ValueError("This job has no layout to correct.")
    width, height = detected.width, detected.height
    screen, camera = _clean(screen, width, height), _clean(camera, width, height)

    corrected = LayoutResult(
        kind="split" if screen and camera else ("screen" if screen else "camera"),
        width=width,
        height=height,
        screen=Region(screen, 1.0) if screen else None,
        camera=Region(camera, 1.0) if camera else None,
        confidence=1.0,
        slide_changes=detected.slide_changes,
        samples=detected.samples,
        interval=detected.interval,
        faces=detected.faces,
        face_rate=detected.face_rate,
        source="corrected",
    )
    analysis = dict(job.analysis or {})
    analysis.setdefault("layout_detected", analysis.get("layout"))
    analysis["layout"] = corrected.to_dict()
    total = job.clips.count()
    if rerender and total:
        analysis["rerender"] = {"state": "queued", "done": 0, "total": total}
    job.analysis = analysis
    job.save(update_fields=["analysis"])
    if rerender and total:
        job_id = str(job.pk)
        transaction.on_commit(lambda: _queue(job_id))
    return corrected


def _queue(job_id: str) -> None:
    async_task("jobs.tasks.rerender_layout", job_id, task_name=f"layout-{job_id}")


def _progress(job_id: str, **values: Any) -> None:
    """Merge ``values`` into ``analysis["rerender"]``, reading the row afresh (one key only)."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        analysis = dict(job.analysis or {})
        analysis["rerender"] = {**(analysis.get("rerender") or {}), **values}
        job.analysis = analysis
        job.save(update_fields=["analysis"])


def rerender_layout(job_id: str) -> int:
    """Render every clip of the job again with its current layout; returns how many."""

    job = Job.objects.filter(pk=job_id).first()
    if job is None or not job.media:
        return 0
    clips = list(job.clips.all())
    _progress(job_id, state="running", done=0, total=len(clips), error="")
    try:
        done = render_clips_again(job, clips, on_clip=lambda done: _progress(job_id, done=done))
    except Exception as exc:  # the page must say so, not spin forever
        logger.exception("job %s: re-rendering clips for the new layout failed", job_id)
        _progress(job_id, state="failed", error=f"Rendering the clips again failed: {exc}")
        raise
    _progress(job_id, state="done")
    logger.info("job %s: %s clip(s) rendered again for a corrected layout", job_id, done)
    return done
