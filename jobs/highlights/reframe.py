"""How a clip's picture is arranged: which part of the source goes where, and where captions may go.

The rule for vertical (9:16) clips is that slide content is never cut: a slide is scaled to the
full width of the clip (letterboxed where its shape needs it), never cropped. What can be cropped
is a camera picture, and only around the speaker's face, which the crop follows over the clip
(the face track of ``layout.LayoutResult``, smoothed and held still while the face stays near
the middle, so the picture does not jitter). Captions go in rows that hold no slide.

- slides and a face: ``stacked``, the slide at the top, the speaker below;
- slides without a face (narrated slides, the commonest lecture): ``slides``, the slide fit to
  the width, the captions in the free space below it;
- a face without slides (a talking head): ``face-crop``, a 9:16 crop following the face;
- a portrait source: ``portrait``, as it is;
- no layout, a low confidence, or neither slides nor a face: ``full``, the original 16:9 picture,
  with a note saying why (the job page shows it, and the owner can correct the layout there).

A 16:9 clip (``original``) keeps the picture; its captions go under the slide where two lines fit,
else beside it, else under the picture scaled down a little over a caption band.

Plain Python: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from jobs.highlights.layout import LayoutResult

LOW_CONFIDENCE = 0.5  # under this, a layout is not trusted to place slides and speaker
_MIN_SCREEN_CONFIDENCE = 0.35
_BACKGROUND = "0x101418"  # around a letterboxed slide
_FACE_HEIGHT = 0.4  # where the face's centre sits in the speaker panel (captions go lower)
_DEAD_ZONE = 0.06  # of the crop's size: smaller face moves do not move the crop
_MAX_KEYS = 40
_MIN_FACE_HEIGHTS = 2.4  # a speaker crop is at least this many face heights tall  # crop keyframes in one clip (a filter expression, evaluated per frame)


@dataclass(frozen=True)
class CaptionZone:
    """Rows ``top`` to ``bottom`` of the clip may hold captions; ``top_aligned`` puts them just
    under ``top`` (below a slide) rather than just above ``bottom``."""

    top: int
    bottom: int
    margin: int
    top_aligned: bool = False
    left: int = 0  # columns ``left`` to ``right`` (None: the full width)
    right: int | None = None


@dataclass(frozen=True)
class PicturePlan:
    arrangement: str
    width: int
    height: int
    chain: str  # filters from [vc] to [vfinal]; empty for audio-only
    captions: CaptionZone
    note: str = ""
    slide: tuple[int, int, int, int] | None = None  # where the slide lands in the clip
    speaker: tuple[int, int, int, int] | None = None  # where the speaker panel is in the clip


def as_layout(regions: Any) -> LayoutResult | None:
    """A ``LayoutResult`` from itself, its dict (as stored on the job), or None."""
    if regions is None or isinstance(regions, LayoutResult):
        return regions
    if isinstance(regions, Mapping):
        return LayoutResult.from_dict(dict(regions))
    raise TypeError(f"Not a layout: {type(regions).__name__}")


def to_output(time: float, ranges: Sequence[tuple[float, float]]) -> float:
    """Where source time ``time`` lands in the clip; inside a cut, at the next range's start."""
    position = 0.0
    for a, b in ranges:
        if time < a:
            return position
        if time <= b:
            return position + time - a
        position += b - a
    return position


def even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def plan_picture(
    layout: str,
    regions: Any,
    info: Any,
    width: int,
    height: int,
    ranges: Sequence[tuple[float, float]],
) -> PicturePlan:
    """The arrangement of a clip of ``width`` x ``height`` from a source described by ``info``
    (``media.probe``), with the layout ``regions`` found in it."""
    bottom_zone = CaptionZone(0, height, round(height * 0.07))
    if not info.has_video:
        return PicturePlan("audio-only", width, height, "", bottom_zone)
    if layout == "original":
        return _original(regions, info, width, height)
    if info.height > info.width:
        chain = _fit_chain(width, height)
        return PicturePlan("portrait", width, height, chain, bottom_zone)

    found = as_layout(regions)
    wide_w, wide_h = (height, width) if width < height else (width, height)
    wide_zone = CaptionZone(0, wide_h, round(wide_h * 0.07))
    if found is None:
        note = "No layout was found in this video, so the clip keeps its 16:9 picture."
        return _full(wide_w, wide_h, wide_zone, note)
    if found.confidence < LOW_CONFIDENCE and found.source != "corrected":
        note = (
            f"The layout of this video is unclear (confidence {found.confidence:.2f}), so the "
            "clip keeps its 16:9 picture rather than risk cutting the slides. Check the layout "
            "on the job page and render the clips again."
        )
        return _full(wide_w, wide_h, wide_zone, note)
    scale = (info.width / found.width, info.height / found.height) if found.width else (1, 1)
    screen = _scaled(found.screen, scale, info) if found.screen else None
    if found.screen and found.screen.confidence < _MIN_SCREEN_CONFIDENCE:
        screen = None
    camera = _scaled(found.camera, scale, info) if found.camera else None
    faces = _faces_in(found, camera, scale) if camera else []

    if screen and faces and camera:
        return _stacked(screen, camera, faces, found.interval, width, height, ranges)
    if screen:
        return _slides(screen, width, height)
    if faces and camera:
        return _face_crop(camera, faces, found.interval, width, height, ranges)
    note = "Neither slides nor a face were found in this video, so the clip keeps its 16:9 picture."
    return _full(wide_w, wide_h, wide_zone, note)


def _original(regions: Any, info: Any, width: int, height: int) -> PicturePlan:
    """The 16:9 picture as it is, the captions beside or below the slide, never over it: where
    there is no room for two lines, the picture is scaled down a little over a caption band."""
    bottom_zone = CaptionZone(0, height, round(height * 0.07))
    found = as_layout(regions)
    trusted = found is not None and (
        found.confidence >= LOW_CONFIDENCE or found.source == "corrected"
    )
    if not trusted or found is None or found.screen is None or not found.width:
        return _full(width, height, bottom_zone)
    if found.screen.confidence < _MIN_SCREEN_CONFIDENCE:
        return _full(width, height, bottom_zone)
    scale = min(width / found.width, height / found.height)
    ox, oy = (width - found.width * scale) / 2, (height - found.height * scale) / 2
    x, y, w, h = found.screen.box
    left, right = round(ox + x * scale), round(ox + (x + w) * scale)
    bottom = round(oy + (y + h) * scale)
    font = round(min(width, height) * 0.045)  # the smallest caption worth reading
    margin = round(height * 0.03)
    if height - bottom - margin >= 2.6 * font:
        return _full(width, height, CaptionZone(bottom, height, margin))
    beside = max((width - right, "right"), (left, "left"))
    if beside[0] >= 0.22 * width:
        zone = (
            CaptionZone(0, height, margin, left=right)
            if beside[1] == "right"
            else CaptionZone(0, height, margin, right=left)
        )
        return _full(width, height, zone)
    band = even(2.6 * font + 2 * margin)
    chain = (
        f"[vc]scale={width}:{height - band}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:({height - band}-ih)/2:color=black,setsar=1[vfinal]"
    )
    return PicturePlan("full", width, height, chain, CaptionZone(height - band, height, margin))


def _full(width: int, height: int, zone: CaptionZone, note: str = "") -> PicturePlan:
    return PicturePlan("full", width, height, _fit_chain(width, height), zone, note)


def _fit_chain(width: int, height: int) -> str:
    return (
        f"[vc]scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1[vfinal]"
    )


def _scaled(region: Any, scale: tuple[float, float], info: Any) -> tuple[int, int, int, int] | None:
    """A region's box in the source's pixels (a corrected layout may be in another size), kept
    inside the picture and with even sizes for the crop filter."""
    x, y, w, h = region.box
    sx, sy = scale
    x0, y0 = max(0, round(x * sx)), max(0, round(y * sy))
    x1, y1 = min(info.width, round((x + w) * sx)), min(info.height, round((y + h) * sy))
    w2, h2 = (x1 - x0) // 2 * 2, (y1 - y0) // 2 * 2
    if w2 < 16 or h2 < 16:
        return None
    return x0, y0, w2, h2


def _faces_in(
    found: LayoutResult, camera: tuple[int, int, int, int], scale: tuple[float, float]
) -> list[tuple[float, float, float, float]]:
    """(seconds, centre x, centre y, height) of the faces whose centre is inside the camera box."""
    cx, cy, cw, ch = camera
    sx, sy = scale
    inside = []
    for t, x, y, w, h in found.faces:
        mx, my = (x + w / 2) * sx, (y + h / 2) * sy
        if cx <= mx <= cx + cw and cy <= my <= cy + ch:
            inside.append((t, mx, my, h * sy))
    return inside if len(inside) >= 2 else []


def _stacked(
    screen: tuple[int, int, int, int],
    camera: tuple[int, int, int, int],
    faces: list[tuple[float, float, float, float]],
    interval: float,
    width: int,
    height: int,
    ranges: Sequence[tuple[float, float]],
) -> PicturePlan:
    sx, sy, sw, sh = screen
    top_h = even(width * sh / sw)
    slide_w = width
    if top_h > height * 0.6:  # a tall slide: letterboxed at the sides, never cropped
        top_h = even(height * 0.6)
        slide_w = min(width, even(top_h * sw / sh))
    bottom_h = height - top_h
    crop_w, crop_h = _speaker_crop(camera, faces, width / bottom_h)
    x_expr, y_expr = _follow(faces, camera, crop_w, crop_h, interval, ranges)
    chain = (
        "[vc]split=2[vs][vk];"
        f"[vs]crop={sw}:{sh}:{sx}:{sy},scale={slide_w}:{top_h},"
        f"pad={width}:{top_h}:(ow-iw)/2:0:color={_BACKGROUND}[top];"
        f"[vk]crop=w={crop_w}:h={crop_h}:x='{x_expr}':y='{y_expr}',"
        f"scale={width}:{bottom_h}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{bottom_h}:(ow-iw)/2:(oh-ih)/2:color={_BACKGROUND}[bottom];"
        "[top][bottom]vstack=inputs=2,setsar=1[vfinal]"
    )
    zone = CaptionZone(top_h, height, round(height * 0.05))
    return PicturePlan(
        "stacked",
        width,
        height,
        chain,
        zone,
        slide=((width - slide_w) // 2, 0, slide_w, top_h),
        speaker=(0, top_h, width, bottom_h),
    )


def _slides(screen: tuple[int, int, int, int], width: int, height: int) -> PicturePlan:
    sx, sy, sw, sh = screen
    slide_w, slide_h = width, even(width * sh / sw)
    if slide_h > height * 0.7:
        slide_h = even(height * 0.7)
        slide_w = min(width, even(slide_h * sw / sh))
    # A little above the middle, so that the captions below it sit near the middle too.
    top = even(max(height * 0.08, (height - slide_h) / 2 - height * 0.1))
    left = (width - slide_w) // 2 // 2 * 2
    chain = (
        f"[vc]crop={sw}:{sh}:{sx}:{sy},scale={slide_w}:{slide_h},"
        f"pad={width}:{height}:{left}:{top}:color={_BACKGROUND},setsar=1[vfinal]"
    )
    zone = CaptionZone(top + slide_h, height, round(height * 0.04), top_aligned=True)
    return PicturePlan("slides", width, height, chain, zone, slide=(left, top, slide_w, slide_h))


def _face_crop(
    camera: tuple[int, int, int, int],
    faces: list[tuple[float, float, float, float]],
    interval: float,
    width: int,
    height: int,
    ranges: Sequence[tuple[float, float]],
) -> PicturePlan:
    crop_w, crop_h = _speaker_crop(camera, faces, width / height)
    x_expr, y_expr = _follow(faces, camera, crop_w, crop_h, interval, ranges)
    chain = (
        f"[vc]crop=w={crop_w}:h={crop_h}:x='{x_expr}':y='{y_expr}',"
        f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
        f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color={_BACKGROUND},setsar=1[vfinal]"
    )
    zone = CaptionZone(round(height * 0.6), height, round(height * 0.07))
    return PicturePlan("face-crop", width, height, chain, zone, speaker=(0, 0, width, height))


def _speaker_crop(
    camera: tuple[int, int, int, int],
    faces: list[tuple[float, float, float, float]],
    aspect: float,
) -> tuple[int, int]:
    """The crop of the camera for a speaker panel of ``aspect``: the largest that fits, but at
    least 2.4 face heights tall, so that the face stays whole as the person moves (a narrow
    camera panel then shows the speaker pillarboxed rather than cut at the chin)."""
    crop_w, crop_h = _largest(camera, aspect)
    face_h = sorted(face[3] for face in faces)[len(faces) // 2]
    if crop_h < _MIN_FACE_HEIGHTS * face_h:
        crop_h = min(camera[3] // 2 * 2, even(_MIN_FACE_HEIGHTS * face_h))
        crop_w = min(camera[2] // 2 * 2, even(crop_h * aspect))
    return crop_w, crop_h


def _largest(box: tuple[int, int, int, int], aspect: float) -> tuple[int, int]:
    """The size of the largest crop of ``aspect`` (w/h) inside ``box``, even."""
    _, _, w, h = box
    if w / h > aspect:
        return min(w, even(h * aspect)) // 2 * 2, h // 2 * 2
    return w // 2 * 2, min(h, even(w / aspect)) // 2 * 2


def _follow(
    faces: list[tuple[float, float, float, float]],
    box: tuple[int, int, int, int],
    crop_w: int,
    crop_h: int,
    interval: float,
    ranges: Sequence[tuple[float, float]],
) -> tuple[str, str]:
    """Crop position expressions (of the clip's time ``t``) that keep the face in frame."""
    keys = follow_keys(faces, box, crop_w, crop_h, interval, ranges)
    return _piecewise([(t, x) for t, x, _ in keys]), _piecewise([(t, y) for t, _, y in keys])


def follow_keys(
    faces: list[tuple[float, float, float, float]],
    box: tuple[int, int, int, int],
    crop_w: int,
    crop_h: int,
    interval: float,
    ranges: Sequence[tuple[float, float]],
) -> list[tuple[float, float, float]]:
    """(clip time, crop left, crop top) keyframes of a crop that keeps the face in frame.

    The face was seen every ``interval`` seconds or so; its positions are smoothed over
    neighbours, held while the face stays within a dead zone, and joined by straight lines, so the
    crop glides rather than jumps.
    """
    bx, by, bw, bh = box
    start, end = ranges[0][0], ranges[-1][1]
    total = sum(b - a for a, b in ranges)
    window = [f for f in faces if start - 2 * interval <= f[0] <= end + 2 * interval]
    if not window:  # the face was not seen during the clip: where it usually is
        window = sorted(faces, key=lambda f: f[1])[len(faces) // 2 : len(faces) // 2 + 1]
        window = [(start, *window[0][1:])]

    def clip_time(t: float) -> float:
        if t < start:
            return t - start
        if t > end:
            return total + t - end
        return to_output(t, ranges)

    points = sorted((clip_time(t), mx, my) for t, mx, my, _ in window)
    xs = [_clamp(mx - crop_w / 2, bx, bx + bw - crop_w) for _, mx, _ in points]
    ys = [_clamp(my - crop_h * _FACE_HEIGHT, by, by + bh - crop_h) for _, _, my in points]
    xs, ys = _smooth(xs), _smooth(ys)
    keys = [(points[0][0], xs[0], ys[0])]
    for (t, _, _), x, y in zip(points[1:], xs[1:], ys[1:], strict=True):
        _, kx, ky = keys[-1]
        if abs(x - kx) > _DEAD_ZONE * crop_w or abs(y - ky) > _DEAD_ZONE * crop_h:
            keys.append((t, x, y))
    if len(keys) > _MAX_KEYS:
        step = len(keys) / _MAX_KEYS
        keys = [keys[int(i * step)] for i in range(_MAX_KEYS)]
    return keys


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(value, max(low, high)))


def _smooth(values: list[float]) -> list[float]:
    """A 1-2-1 average of each value with its neighbours (a lone detector wobble halves)."""
    if len(values) < 3:
        return values
    padded = [values[0], *values, values[-1]]
    return [(padded[i] + 2 * padded[i + 1] + padded[i + 2]) / 4 for i in range(len(values))]


def _piecewise(keys: list[tuple[float, float]]) -> str:
    """An ffmpeg expression of ``t`` through ``keys`` (time, value), flat before and after."""
    expression = f"{keys[-1][1]:.1f}"
    for (t0, v0), (t1, v1) in reversed(list(pairwise(keys))):
        if t1 - t0 < 1e-3:
            continue
        slope = (v1 - v0) / (t1 - t0)
        expression = f"if(lt(t,{t1:.3f}),{v0:.1f}+({slope:.3f})*(t-{t0:.3f}),{expression})"
    return f"if(lt(t,{keys[0][0]:.3f}),{keys[0][1]:.1f},{expression})"
