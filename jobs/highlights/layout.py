"""Where the slides and the speaker are in a lecture video, and when the slides change.

Frames are sampled every ``interval`` seconds at a low resolution (ffmpeg decodes and scales them,
skipping non-reference frames, which cuts the decoding time by half or more on typical H.264) and
summarised as they stream past, so an hour of video costs a few megabytes:

- *activity*: how often each pixel changes between samples. A camera picture changes all the time
  (sensor noise, a person moving); a shared screen is pixel-still between slide changes.
- *edges*: how often each pixel sits on a strong edge. Text on slides is dense, high-contrast edges.
- the mean picture, whose border colour is the page background of a composed recording (Zoom,
  Teams, OBS), against which the slide and camera panels stand out as rectangles.

The camera region is the panel (or, without a page background, the bounding box) where activity
is high and which is at least face-sized; the screen region is the still, text-rich panel.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jobs.media import MediaError, ffmpeg_exe, probe

Box = tuple[int, int, int, int]  # x, y, w, h in source pixels


@dataclass
class Region:
    box: Box
    confidence: float

    def to_dict(self) -> dict[str, object]:
        return {"box": list(self.box), "confidence": round(self.confidence, 3)}


@dataclass
class LayoutResult:
    kind: str  # "screen", "camera" or "split"
    width: int  # source frame size, the space the boxes are in
    height: int
    screen: Region | None
    camera: Region | None
    confidence: float
    slide_changes: list[float] = field(default_factory=list)  # seconds
    samples: int = 0  # frames analysed
    interval: float = 2.0

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
            "screen": self.screen.to_dict() if self.screen else None,
            "camera": self.camera.to_dict() if self.camera else None,
            "confidence": round(self.confidence, 3),
            "slide_changes": [round(time, 2) for time in self.slide_changes],
            "samples": self.samples,
            "interval": self.interval,
        }


# Tuned on 320-pixel-wide greyscale samples (area-averaged, which already halves sensor noise).
_CHANGE_LEVEL = 3  # grey levels: a pixel "changed" between two samples
_EDGE_LEVEL = 40  # grey levels between neighbours: a text-like edge
_ACTIVE = 0.12  # fraction of sample pairs in which a (smoothed) pixel changes: a camera pixel
_MIN_CAMERA_AREA = 0.015  # of the frame: roughly a face in a small webcam thumbnail
_MIN_SCREEN_AREA = 0.08
_SLIDE_CHANGE_LEVEL = 24  # grey levels: a slide pixel that really changed, not compression noise


def detect_layout(
    video: Path,
    *,
    interval: float = 2.0,
    analysis_width: int = 320,
    slide_change_fraction: float = 0.015,
    timeout: float | None = None,
) -> LayoutResult:
    """The screen and camera regions of ``video``, its kind, and the times its slides change.

    ``slide_change_fraction`` is the share of the screen region's pixels that must change between
    two samples for it to count as a new slide (a cursor or a ticking clock stays well below it).
    """
    info = probe(Path(video))
    if not info.has_video or not info.width or not info.height:
        raise MediaError("This file has no video track to analyse.")
    width, height = info.width, info.height
    aw = min(analysis_width, width) // 2 * 2
    ah = max(2, round(aw * height / width / 2) * 2)

    stats = _Accumulator(ah, aw)
    for frame in _sample_frames(Path(video), interval, aw, ah, timeout):
        stats.add(frame)
    if stats.count < 2:
        raise MediaError("The video is too short to analyse its layout.")

    activity, edges, mean = stats.maps()
    camera = _find_camera(activity, mean, edges)
    screen = _find_screen(activity, edges, stats.text(), mean, camera)
    scale_x, scale_y = width / aw, height / ah
    camera_region = screen_region = None
    if camera is not None:
        camera_region = Region(_to_source(camera[0], scale_x, scale_y, width, height), camera[1])
    if screen is not None:
        screen_region = Region(_to_source(screen[0], scale_x, scale_y, width, height), screen[1])

    if screen_region and camera_region:
        kind = "split"
    elif screen_region:
        kind = "screen"
    else:
        kind = "camera"
    regions = [region.confidence for region in (screen_region, camera_region) if region]
    # Nothing found at all means a still picture without text: most likely a static camera shot.
    confidence = float(np.mean(regions)) if regions else 0.2
    confidence *= min(1.0, stats.count / 10)  # a handful of samples is weak evidence

    changes: list[float] = []
    if screen is not None:
        changes = _slide_changes(stats, screen[0], camera, interval, slide_change_fraction)
    return LayoutResult(
        kind=kind,
        width=width,
        height=height,
        screen=screen_region,
        camera=camera_region,
        confidence=round(confidence, 3),
        slide_changes=changes,
        samples=stats.count,
        interval=interval,
    )


def _sample_frames(
    video: Path, interval: float, width: int, height: int, timeout: float | None
) -> Iterator[np.ndarray]:
    """Greyscale frames every ``interval`` seconds, streamed from ffmpeg one at a time."""
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
        "-skip_frame:v", "noref", "-i", str(video), "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", f"fps=1/{interval},scale={width}:{height}:flags=area,format=gray",
        "-f", "rawvideo", "-",
    ]  # fmt: skip
    size = width * height
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    try:
        while True:
            raw = process.stdout.read(size)
            if len(raw) < size:
                break
            yield np.frombuffer(raw, dtype=np.uint8).reshape(height, width)
    finally:
        process.stdout.close()
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise MediaError("Reading the video frames took too long.") from None
    if process.returncode not in (0, None):
        detail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["unknown error"]
        raise MediaError(f"The video frames could not be decoded ({detail[0]}).")


class _Accumulator:
    """Running per-pixel statistics, plus small copies of each sample for slide changes."""

    def __init__(self, height: int, width: int) -> None:
        self.count = 0
        self.changed = np.zeros((height, width), dtype=np.uint32)
        self.edges = np.zeros((height, width), dtype=np.uint32)
        self.total = np.zeros((height, width), dtype=np.float64)
        self.previous: np.ndarray | None = None
        # Half-resolution copies: 14 kB a sample at the default size, 26 MB for an hour.
        self.thumbnails: list[np.ndarray] = []

    def add(self, frame: np.ndarray) -> None:
        signed = frame.astype(np.int16)
        if self.previous is not None:
            self.changed += np.abs(signed - self.previous) > _CHANGE_LEVEL
        gradient = np.zeros_like(signed)
        gradient[:, :-1] = np.abs(np.diff(signed, axis=1))
        gradient[:-1, :] = np.maximum(gradient[:-1, :], np.abs(np.diff(signed, axis=0)))
        self.edges += gradient > _EDGE_LEVEL
        self.total += frame
        self.previous = signed
        self.count += 1
        h, w = frame.shape[0] // 2 * 2, frame.shape[1] // 2 * 2
        small = frame[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        self.thumbnails.append(small.astype(np.uint8))

    def maps(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        activity = _box_blur(self.changed / max(1, self.count - 1), 2)
        return activity, self.edges / self.count, self.total / self.count

    def text(self) -> np.ndarray:
        """Where text-like edges were seen: an edge pixel in two samples or more, dense nearby.

        Counted rather than averaged, because each slide's text is on screen only for a while.
        """
        return _box_blur((self.edges >= 2).astype(np.float64), 4) > 0.04


def _box_blur(image: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)² neighbourhood, through an integral image (no SciPy needed)."""
    padded = np.pad(image, radius, mode="edge")
    integral = np.pad(padded.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    size = 2 * radius + 1
    h, w = image.shape
    total = (
        integral[size : size + h, size : size + w]
        - integral[:h, size : size + w]
        - integral[size : size + h, :w]
        + integral[:h, :w]
    )
    return total / (size * size)


def _components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """4-connected components of ``mask``: a label image (0 = none) and the number of labels.

    Union-find over horizontal runs: a few runs per row, so pure Python is quick enough.
    """
    parent: list[int] = [0]

    def find(label: int) -> int:
        while parent[label] != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    labels = np.zeros(mask.shape, dtype=np.int32)
    previous_runs: list[tuple[int, int, int]] = []
    for y in range(mask.shape[0]):
        row = np.concatenate(([False], mask[y], [False])).astype(np.int8)
        edges = np.flatnonzero(np.diff(row))
        runs = []
        for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
            label = 0
            for other_start, other_end, other in previous_runs:
                if other_start < end and start < other_end:
                    if label == 0:
                        label = find(other)
                    else:
                        root_a, root_b = find(label), find(other)
                        if root_a != root_b:
                            parent[max(root_a, root_b)] = min(root_a, root_b)
                            label = min(root_a, root_b)
            if label == 0:
                label = len(parent)
                parent.append(label)
            labels[y, start:end] = label
            runs.append((start, end, label))
        previous_runs = runs
    roots = np.array([find(label) for label in range(len(parent))], dtype=np.int32)
    unique, compact = np.unique(roots, return_inverse=True)
    labels = compact.astype(np.int32)[labels]
    return labels, len(unique) - 1


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """x0, y0, x1, y1 (exclusive) of the True pixels, trimmed to rows and columns that are
    mostly True, so that a stray speck or a soft edge does not stretch the box."""
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    for _ in range(2):  # columns depend on rows and back; twice is enough for rectangles
        inner = mask[y0:y1, x0:x1]
        rows = np.flatnonzero(inner.mean(axis=1) >= 0.5)
        cols = np.flatnonzero(inner.mean(axis=0) >= 0.5)
        if rows.size == 0 or cols.size == 0:
            break
        y0, y1 = y0 + rows[0], y0 + rows[-1] + 1
        x0, x1 = x0 + cols[0], x0 + cols[-1] + 1
    return int(x0), int(y0), int(x1), int(y1)


def _page_background(mean: np.ndarray) -> float | None:
    """The grey level of a uniform frame border (the page a composed recording sits on)."""
    border = np.concatenate([mean[0], mean[-1], mean[:, 0], mean[:, -1]])
    level = float(np.median(border))
    if np.mean(np.abs(border - level) < 10) < 0.7:
        return None
    return level


def _panels(mean: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Connected regions that stand out from a uniform page background, if there is one."""
    level = _page_background(mean)
    if level is None:
        return None
    foreground = (np.abs(mean - level) > 14) | (edges > 0.2)
    return _components(foreground)


def _find_camera(
    activity: np.ndarray, mean: np.ndarray, edges: np.ndarray
) -> tuple[tuple[int, int, int, int], float] | None:
    active = activity > _ACTIVE
    area = active.size
    labels, count = _components(active)
    if count == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    biggest = int(np.argmax(sizes)) + 1
    if sizes[biggest - 1] < _MIN_CAMERA_AREA * area:
        return None
    box = _bbox(labels == biggest)
    if box is None:
        return None
    # The moving part may be only the person; if it sits in a panel of its own on a page
    # background, the panel is the camera picture.
    panels = _panels(mean, edges)
    if panels is not None:
        panel_labels, _ = panels
        x0, y0, x1, y1 = box
        inside = panel_labels[y0:y1, x0:x1]
        values, counts = np.unique(inside[inside > 0], return_counts=True)
        if values.size:
            panel = panel_labels == values[np.argmax(counts)]
            panel_box = _bbox(panel)
            if panel_box is not None and _area(panel_box) <= 4 * _area(box):
                box = _union(box, panel_box)
    x0, y0, x1, y1 = box
    inside = activity[y0:y1, x0:x1]
    outside_mask = np.ones_like(active)
    outside_mask[y0:y1, x0:x1] = False
    fill = float(np.mean(inside > _ACTIVE))
    leak = float(np.mean(active[outside_mask])) if outside_mask.any() else 0.0
    confidence = max(0.0, min(1.0, 0.3 + 0.7 * fill - leak))
    return box, confidence


def _find_screen(
    activity: np.ndarray,
    edges: np.ndarray,
    text: np.ndarray,
    mean: np.ndarray,
    camera: tuple[tuple[int, int, int, int], float] | None,
) -> tuple[tuple[int, int, int, int], float] | None:
    h, w = activity.shape
    still = activity < _ACTIVE / 2
    camera_mask = np.zeros((h, w), dtype=bool)
    if camera is not None:
        x0, y0, x1, y1 = camera[0]
        camera_mask[y0:y1, x0:x1] = True
    if not np.any(text & still & ~camera_mask):
        return None

    panels = _panels(mean, edges)
    box = None
    if panels is not None:
        labels, count = panels
        best, best_area = 0, 0
        for label in range(1, count + 1):
            region = labels == label
            size = int(region.sum())
            if size < _MIN_SCREEN_AREA * region.size:
                continue
            overlap_camera = np.mean(camera_mask[region]) if camera is not None else 0.0
            has_text = np.mean(text[region]) > 0.05
            if overlap_camera < 0.5 and has_text and size > best_area:
                best, best_area = label, size
        if best:
            box = _bbox(labels == best)
    if box is None:
        # No page background: the screen fills the frame (a plain screen recording), or shares
        # it with a camera picture on one side.
        box = _largest_side(w, h, camera[0]) if camera is not None else (0, 0, w, h)
    if _area(box) < _MIN_SCREEN_AREA * w * h:
        return None
    x0, y0, x1, y1 = box
    region_still = float(np.mean(still[y0:y1, x0:x1] | camera_mask[y0:y1, x0:x1]))
    region_text = float(np.mean(text[y0:y1, x0:x1]))
    confidence = max(0.0, min(1.0, region_still * min(1.0, 0.4 + 3 * region_text)))
    return box, confidence


def _largest_side(w: int, h: int, camera: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """The biggest rectangle of the frame beside the camera box (left, right, above or below)."""
    x0, y0, x1, y1 = camera
    sides = [(0, 0, x0, h), (x1, 0, w, h), (0, 0, w, y0), (0, y1, w, h)]
    # A camera thumbnail over the slides (picture-in-picture) leaves the whole frame as screen.
    if _area(camera) < 0.12 * w * h:
        return (0, 0, w, h)
    return max(sides, key=_area)


def _area(box: tuple[int, int, int, int]) -> int:
    return max(0, box[2] - box[0]) * max(0, box[3] - box[1])


def _union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _to_source(box: tuple[int, int, int, int], sx: float, sy: float, w: int, h: int) -> Box:
    x0, y0, x1, y1 = box
    left, top = max(0, round(x0 * sx)), max(0, round(y0 * sy))
    right, bottom = min(w, round(x1 * sx)), min(h, round(y1 * sy))
    return left, top, right - left, bottom - top


def _slide_changes(
    stats: _Accumulator,
    screen: tuple[int, int, int, int],
    camera: tuple[tuple[int, int, int, int], float] | None,
    interval: float,
    fraction: float,
) -> list[float]:
    """Times where a large enough share of the screen region's pixels changed at once."""
    x0, y0, x1, y1 = (value // 2 for value in screen)
    # One thumbnail pixel in from the edges: a soft panel border flickers under compression.
    x0, y0, x1, y1 = x0 + 1, y0 + 1, x1 - 1, y1 - 1
    if x1 <= x0 or y1 <= y0:
        return []
    keep = np.ones((y1 - y0, x1 - x0), dtype=bool)
    if camera is not None:  # a camera picture inside the screen (picture-in-picture) moves
        cx0, cy0, cx1, cy1 = (value // 2 for value in camera[0])
        keep[max(0, cy0 - y0) : max(0, cy1 - y0), max(0, cx0 - x0) : max(0, cx1 - x0)] = False
    if not keep.any():
        return []
    changes: list[float] = []
    previous_changed = False
    for index in range(1, len(stats.thumbnails)):
        before = stats.thumbnails[index - 1][y0:y1, x0:x1].astype(np.int16)
        after = stats.thumbnails[index][y0:y1, x0:x1].astype(np.int16)
        changed = float(np.mean((np.abs(after - before) > _SLIDE_CHANGE_LEVEL)[keep]))
        is_change = changed >= fraction
        # A build or a fade spread over two samples is one slide change, not two.
        if is_change and not previous_changed:
            changes.append(round((index - 0.5) * interval, 2))
        previous_changed = is_change
    return changes
