"""Where the slides and the speaker are in a lecture video, and when the slides change.

Frames are sampled every ``interval`` seconds (ffmpeg decodes and scales them, skipping
non-reference frames, which cuts the decoding time by half or more on typical H.264) and
summarised as they stream past, so an hour of video costs a few megabytes:

- *faces*: OpenCV's frontal-face Haar cascade (its weights ship inside the opencv-python wheel, so
  nothing is downloaded) on 640-pixel-wide samples. A person's face is the reliable sign of a
  camera picture: a real webcam panel in a compressed recording is mostly still, so pixel activity
  alone misses it. After a few full-frame passes the face is followed in a window around where it
  was (a few times cheaper), with a full-frame pass now and then to catch a change of layout.
- *activity*: how often each pixel changes between samples (a camera without a face, a cursor).
- *edges*: how often each pixel sits on a strong edge. Text on slides is dense, high-contrast edges.
- the mean picture: the panels of a composed recording (Zoom, Teams, OBS) are static rectangles,
  so their borders stay crisp in it while what moves inside a camera panel blurs away.

Then, in that order: black bars (letterbox, pillarbox) are trimmed; the camera panel is the
rectangle around the speaker's face bounded by straight panel edges in the mean picture (or, with
no face, the old activity rule); the screen is the rest of the picture (beside the camera, or all
of it under a picture-in-picture thumbnail), narrowed to the slide when the slide sits on a page
of its own colour. Each box has a confidence; so has the whole layout.

Last, the boxes are checked against the frame's own structure: a straight panel border running
down the middle of the slides box, two separate panels on a page inside it, or the camera box
inside it as more than a thumbnail mean that the slides box holds another panel (a camera the
detector could not tell from the slides: still, and without a face). The layout then says so in
``doubts`` and its confidence drops under the reframing's threshold, so that clips keep the
16:9 picture and the job page asks the owner to check the boxes.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from transcripts.media import MediaError, decode_limit_args, ffmpeg_exe, probe

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
    # The speaker's face where it was seen: (seconds, x, y, w, h) in source pixels.
    faces: list[tuple[float, int, int, int, int]] = field(default_factory=list)
    face_rate: float = 0.0  # share of the face-searched samples in which the face was found
    source: str = "detected"  # or "corrected" (the owner set the boxes on the job page)
    # Where the boxes disagree with the frame's own panels, in words for the owner.
    doubts: list[str] = field(default_factory=list)

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
            "faces": [[round(face[0], 2), *face[1:]] for face in self.faces],
            "face_rate": round(self.face_rate, 3),
            "source": self.source,
            "doubts": list(self.doubts),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LayoutResult:
        def region(item: Any) -> Region | None:
            if not item or not item.get("box"):
                return None
            x, y, w, h = (int(value) for value in item["box"])
            return Region((x, y, w, h), float(item.get("confidence", 1.0)))

        return cls(
            kind=str(data.get("kind", "screen")),
            width=int(data.get("width", 0)),
            height=int(data.get("height", 0)),
            screen=region(data.get("screen")),
            camera=region(data.get("camera")),
            confidence=float(data.get("confidence", 0.0)),
            slide_changes=[float(t) for t in data.get("slide_changes", [])],
            samples=int(data.get("samples", 0)),
            interval=float(data.get("interval", 2.0)),
            faces=[
                (float(t), int(x), int(y), int(w), int(h))
                for t, x, y, w, h in data.get("faces", [])
            ],
            face_rate=float(data.get("face_rate", 0.0)),
            source=str(data.get("source", "detected")),
            doubts=[str(doubt) for doubt in data.get("doubts") or []],
        )


# Tuned on 320-pixel-wide greyscale samples (area-averaged, which already halves sensor noise).
_CHANGE_LEVEL = 3  # grey levels: a pixel "changed" between two samples
_EDGE_LEVEL = 40  # grey levels between neighbours: a text-like edge
_ACTIVE = 0.12  # fraction of sample pairs in which a (smoothed) pixel changes: a camera pixel
_MIN_CAMERA_AREA = 0.015  # of the frame: roughly a face in a small webcam thumbnail
_MIN_SCREEN_AREA = 0.08
_SLIDE_CHANGE_LEVEL = 24  # grey levels: a slide pixel that really changed, not compression noise
_BAR_LEVEL = 24  # grey level under which a uniform, still border line is a letterbox bar
_FACE_WIDTH = 640  # faces are searched at this width: a webcam thumbnail's face is ~25 px there
_FACE_MIN_RATE = 0.3  # share of searched samples with the face: fewer is a false detection
_FULL_SEARCHES = 3  # full-frame face searches at the start
_REFRESH = 12  # while a face is followed, a full-frame search in every _REFRESH samples
_SEARCH_EVERY = 4  # while none is, a full-frame search in every _SEARCH_EVERY samples
_DENSE_SAMPLES = 30  # up to this many samples (a minute), every one is searched
_LINE_SUPPORT = 0.6
# Without a face, a camera must keep changing between samples (slide changes left out).
_STEADY = 0.25  # share of a side's length along which the mean picture has a straight edge
_DOUBTED = 0.3  # a layout's confidence at most, when its boxes disagree with the frame's panels
_INNER = 0.1  # of the slides box's width: a border nearer its sides is the box's own edge


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
    # Faces are searched at up to twice the statistics' width; the statistics see a 2x2 average.
    aw = min(analysis_width, width) // 2 * 2
    ah = max(2, round(aw * height / width / 2) * 2)
    fw, fh = (aw * 2, ah * 2) if width >= 2 * aw else (aw, ah)
    factor = fw // aw

    stats = _Accumulator(ah, aw)
    faces = _FaceTracker(fw, fh, dense=info.duration / interval <= _DENSE_SAMPLES)
    for index, frame in enumerate(_sample_frames(Path(video), interval, fw, fh, timeout)):
        faces.add(index * interval, frame)
        small = frame if factor == 1 else frame.reshape(ah, 2, aw, 2).mean(axis=(1, 3))
        stats.add(small.astype(np.uint8))
    if stats.count < 2:
        raise MediaError("The video is too short to analyse its layout.")

    activity, edges, mean = stats.maps()
    text = stats.text()
    content = _content_area(mean, activity)
    face_track, face_rate = faces.main_track()
    camera: tuple[tuple[int, int, int, int], float] | None = None
    if face_track:
        camera = _camera_around_face(
            mean, stats.change_rate(), content, face_track, face_rate, factor
        )
    else:
        camera = _find_camera(stats.steady_activity(), mean, edges, level=_STEADY)
    screen = _find_screen(activity, edges, text, mean, camera, content)
    if camera is not None and screen is None and face_track:
        # Nothing but the speaker: the whole picture is the camera (a talking head).
        camera = (content, camera[1])
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
    confidence *= min(1.0, stats.count / 6)  # a handful of samples is weak evidence
    doubts = _doubts(
        mean, edges, stats.change_rate(), screen[0] if screen else None,
        camera[0] if camera else None,
    )  # fmt: skip
    if doubts:
        # Under the reframing's threshold (0.5): clips keep the 16:9 picture until the owner
        # has checked the boxes.
        confidence = min(confidence, _DOUBTED)
        if screen_region is not None:
            screen_region.confidence = min(screen_region.confidence, _DOUBTED)

    changes: list[float] = []
    if screen is not None:
        changes = _slide_changes(stats, screen[0], camera, interval, slide_change_fraction)
    sx, sy = width / fw, height / fh
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
        faces=[
            (t, round(x * sx), round(y * sy), round(w * sx), round(h * sy))
            for t, (x, y, w, h) in face_track
        ],
        face_rate=face_rate,
        doubts=doubts,
    )


def _doubts(
    mean: np.ndarray,
    edges: np.ndarray,
    changes: np.ndarray,
    screen: tuple[int, int, int, int] | None,
    camera: tuple[int, int, int, int] | None,
) -> list[str]:
    """Where the slides box disagrees with the frame's own structure (boxes x0, y0, x1, y1 at
    statistics resolution), each in words for the owner; empty when nothing does."""
    if screen is None:
        return []
    x0, y0, x1, y1 = screen
    width = x1 - x0
    doubts: list[str] = []
    # A straight border from the top of the box to its bottom, well inside it: two panels side by
    # side (a slide's own lines run across, as under a title bar, rarely top to bottom).
    columns = _borders(mean, changes, axis=1)[y0:y1, x0 : max(x0, x1 - 1)]
    margin = max(3, round(width * _INNER))
    if columns.size and width > 2 * margin:
        support = columns.mean(axis=0)[margin : width - margin]
        if support.size and float(support.max()) >= _LINE_SUPPORT:
            doubts.append(
                "A panel border runs down the middle of the slides box: it may hold the camera "
                "picture too."
            )
    # Two panels of their own on a page, both inside the slides box (a thumbnail over the slides
    # is the camera's, and left out).
    panels = _panels(mean, edges)
    if panels is not None:
        labels, count = panels
        inside = labels[y0:y1, x0:x1]
        if camera is not None:
            cx0, cy0, cx1, cy1 = camera
            inside = inside.copy()
            inside[max(0, cy0 - y0) : max(0, cy1 - y0), max(0, cx0 - x0) : max(0, cx1 - x0)] = 0
        sizes = np.bincount(inside.ravel(), minlength=count + 1)[1:]
        if int(np.sum(sizes >= _MIN_CAMERA_AREA * mean.size)) >= 2:
            doubts.append("The slides box holds two separate panels of the picture.")
    # The camera inside the slides box as more than a thumbnail over the slides.
    if camera is not None:
        overlap = _area(
            (max(x0, camera[0]), max(y0, camera[1]), min(x1, camera[2]), min(y1, camera[3]))
        )
        if overlap >= 0.9 * _area(camera) and _area(camera) >= 0.12 * _area(screen):
            doubts.append("The camera box lies inside the slides box.")
    return doubts


@cache
def _cascade() -> Any:
    # OpenCV takes ~0.4 s to import: loaded only when a video's layout is read
    import cv2

    cv2.setNumThreads(1)  # a worker shares the machine; a second thread bought little here
    return cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")


def find_faces(
    gray: np.ndarray, min_size: int = 24, max_size: int | None = None
) -> list[tuple[int, int, int, int]]:
    """Frontal faces in a greyscale picture, (x, y, w, h), biggest first."""
    largest = (max_size, max_size) if max_size else (0, 0)  # (0, 0): no limit
    found = _cascade().detectMultiScale(
        gray, scaleFactor=1.15, minNeighbors=5, minSize=(min_size, min_size), maxSize=largest
    )
    boxes = [tuple(int(v) for v in box) for box in found] if len(found) else []
    return sorted(boxes, key=lambda b: -b[2] * b[3])  # type: ignore[return-value]


class _FaceTracker:
    """Faces in the samples: full-frame searches at first and now and then, else a search in a
    window around the face last seen, which costs a fraction of a full one."""

    def __init__(self, width: int, height: int, *, dense: bool = False) -> None:
        self.width, self.height = width, height
        self.dense = dense  # a short video: search every sample, there are few of them
        self.searched = 0
        self.seen: list[tuple[float, tuple[int, int, int, int]]] = []
        self.index = 0
        self.last_index = -100  # the sample where a face was last found

    def add(self, time: float, frame: np.ndarray) -> None:
        index, self.index = self.index, self.index + 1
        recent = [box for _, box in self.seen[-1:] if index - self.last_index <= 4]
        last = recent[0] if recent else None
        if index < _FULL_SEARCHES:
            boxes = find_faces(frame)
        elif last is None:
            if index % _SEARCH_EVERY and not self.dense:
                return  # no face lately: a search now and then finds one that appears
            boxes = find_faces(frame)
        elif index % _REFRESH == 0:
            # Now and then the whole frame again (the layout may change), for faces not much
            # smaller than the one followed: the small scales cost the most.
            boxes = find_faces(frame, max(24, last[2] // 2))
        else:
            if index % 2 and not self.dense:
                return  # followed every other sample: reframing smooths over seconds anyway
            x, y, w, h = last
            pad = max(w, h)
            x0, y0 = max(0, x - pad), max(0, y - pad)
            x1, y1 = min(self.width, x + w + pad), min(self.height, y + h + pad)
            # The face followed, about the size it was.
            window = frame[y0:y1, x0:x1]
            boxes = [
                (bx + x0, by + y0, bw, bh)
                for bx, by, bw, bh in find_faces(window, max(24, int(w * 0.65)), int(w * 1.6))
            ]
        self.searched += 1
        if boxes:
            self.seen.append((time, boxes[0]))
            self.last_index = index

    def main_track(self) -> tuple[list[tuple[float, tuple[int, int, int, int]]], float]:
        """The detections of the face seen most often (others are false alarms or a guest)."""
        if not self.seen or not self.searched:
            return [], 0.0
        centres = np.array([(x + w / 2, y + h / 2, w) for _, (x, y, w, h) in self.seen])
        best: list[int] = []
        for cx, cy, size in centres:
            near = np.flatnonzero(
                np.hypot(centres[:, 0] - cx, centres[:, 1] - cy) < 1.5 * max(size, 1)
            )
            if len(near) > len(best):
                best = near.tolist()
        rate = len(best) / self.searched
        if rate < _FACE_MIN_RATE or len(best) < 2:
            return [], rate
        return [self.seen[i] for i in best], rate


def _sample_frames(
    video: Path, interval: float, width: int, height: int, timeout: float | None
) -> Iterator[np.ndarray]:
    """Greyscale frames every ``interval`` seconds, streamed from ffmpeg one at a time."""
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error",
        # Frames reach OpenCV scaled down by ffmpeg; the decoder itself is bounded too.
        "-skip_frame:v", "noref", *decode_limit_args(), "-i", str(video),
        "-map", "0:v:0", "-an", "-sn", "-dn",
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
        # Each pair's changed pixels, bit-packed (7 kB a pair), and the share that changed.
        self.pairs: list[tuple[np.ndarray, float]] = []

    def add(self, frame: np.ndarray) -> None:
        signed = frame.astype(np.int16)
        if self.previous is not None:
            changed = np.abs(signed - self.previous) > _CHANGE_LEVEL
            self.changed += changed
            self.pairs.append((np.packbits(changed), float(changed.mean())))
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

    def steady_activity(self) -> np.ndarray:
        """Activity without the pairs where much more changed at once than usual (a slide
        change), so that a short recording's slide titles do not look like a moving camera."""
        if not self.pairs:
            return _box_blur(self.changed.astype(np.float64), 2)
        usual = float(np.median([fraction for _, fraction in self.pairs]))
        kept = [bits for bits, fraction in self.pairs if fraction <= 3 * usual + 0.01]
        total = np.zeros(self.changed.size, dtype=np.uint32)
        for bits in kept:
            total += np.unpackbits(bits, count=self.changed.size)
        rate = total.reshape(self.changed.shape) / max(1, len(kept))
        return _box_blur(rate, 2)

    def change_rate(self) -> np.ndarray:
        return self.changed / max(1, self.count - 1)

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
    activity: np.ndarray, mean: np.ndarray, edges: np.ndarray, level: float = _ACTIVE
) -> tuple[tuple[int, int, int, int], float] | None:
    active = activity > level
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
    fill = float(np.mean(inside > level))
    leak = float(np.mean(active[outside_mask])) if outside_mask.any() else 0.0
    confidence = max(0.0, min(1.0, 0.3 + 0.7 * fill - leak))
    return box, confidence


def _content_area(mean: np.ndarray, activity: np.ndarray) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the picture inside black letterbox or pillarbox bars, if any."""
    h, w = mean.shape

    def bar(line: np.ndarray, moving: np.ndarray) -> bool:
        # Nearly all of the line: its ends may blur into a neighbouring panel when scaled.
        dark = np.mean(line < _BAR_LEVEL) >= 0.97
        return bool(dark and np.mean(moving < _ACTIVE / 2) >= 0.97)

    x0, y0, x1, y1 = 0, 0, w, h
    while x0 < w * 0.4 and bar(mean[:, x0], activity[:, x0]):
        x0 += 1
    while x1 > w * 0.6 and bar(mean[:, x1 - 1], activity[:, x1 - 1]):
        x1 -= 1
    while y0 < h * 0.4 and bar(mean[y0, x0:x1], activity[y0, x0:x1]):
        y0 += 1
    while y1 > h * 0.6 and bar(mean[y1 - 1, x0:x1], activity[y1 - 1, x0:x1]):
        y1 -= 1
    return x0, y0, x1, y1


def _camera_around_face(
    mean: np.ndarray,
    changes: np.ndarray,
    content: tuple[int, int, int, int],
    track: list[tuple[float, tuple[int, int, int, int]]],
    rate: float,
    factor: int,
) -> tuple[tuple[int, int, int, int], float]:
    """The panel around the speaker's face: the nearest straight edges of the mean picture on
    each side (a panel border stays crisp there, a moving picture inside it blurs), or the edge
    of the picture where there is none. Boxes here are x0, y0, x1, y1 at statistics resolution."""
    boxes = np.array([box for _, box in track], dtype=np.float64) / factor
    # Everywhere the face went, so that the panel holds all of it.
    fx0, fy0 = boxes[:, 0].min(), boxes[:, 1].min()
    fx1, fy1 = (boxes[:, 0] + boxes[:, 2]).max(), (boxes[:, 1] + boxes[:, 3]).max()
    size = float(np.median(boxes[:, 2]))
    # Scans start inside the face (a detector's box may reach a little past the panel's border).
    centres_x, centres_y = boxes[:, 0] + boxes[:, 2] / 2, boxes[:, 1] + boxes[:, 3] / 2
    sx0, sx1 = int(centres_x.min() - size / 4), int(np.ceil(centres_x.max() + size / 4))
    sy0, sy1 = int(centres_y.min() - size / 4), int(np.ceil(centres_y.max() + size / 4))
    cx0, cy0, cx1, cy1 = content
    gx = _borders(mean, changes, axis=1)
    gy = _borders(mean, changes, axis=0)
    # Until a side's border is found, the face with a margin stands in for it in the spans.
    guess = (
        max(cx0, int(fx0 - size)),
        max(cy0, int(fy0 - size)),
        min(cx1, int(fx1 + size)),
        min(cy1, int(fy1 + 2 * size)),
    )
    left, top, right, bottom = guess
    found = [False] * 4
    for _ in range(3):  # each side's span depends on the others; three rounds settle it
        span = slice(top, max(top + 1, bottom))
        found[0], x = _edge(gx[span], range(sx0, cx0, -1), cx0, after=True)
        left = x if found[0] else guess[0]
        found[1], x = _edge(gx[span], range(sx1, cx1 - 1), cx1, after=True)
        right = x if found[1] else guess[2]
        span = slice(left, max(left + 1, right))
        found[2], y = _edge(gy[:, span].T, range(sy0, cy0, -1), cy0, after=True)
        top = y if found[2] else guess[1]
        found[3], y = _edge(gy[:, span].T, range(sy1, cy1 - 1), cy1, after=True)
        bottom = y if found[3] else guess[3]
    # A side without a border runs to the edge of the picture.
    left, right = (left if found[0] else cx0), (right if found[1] else cx1)
    top, bottom = (top if found[2] else cy0), (bottom if found[3] else cy1)
    box = (left, top, right, bottom)
    # A side at the edge of the picture is as good as a panel border.
    sides = [found[0] or left == cx0, found[1] or right == cx1]
    sides += [found[2] or top == cy0, found[3] or bottom == cy1]
    confidence = 0.5 * min(1.0, rate / 0.7) + 0.5 * (sum(sides) / 4)
    return box, round(confidence, 3)


def _borders(mean: np.ndarray, changes: np.ndarray, axis: int) -> np.ndarray:
    """Where a panel border may run between neighbouring pixels along ``axis``: a step in the
    mean picture or in how often pixels change (a still slide beside a moving camera), with a
    smooth strip on at least one side (slide or page background; a picture's inner edges have
    texture on both)."""
    step = (np.abs(np.diff(mean, axis=axis)) > 12) | (np.abs(np.diff(changes, axis=axis)) > 0.35)
    smooth = np.abs(np.diff(mean, axis=axis)) < 4
    n = smooth.shape[axis]
    # smooth_before[i]: the 3 steps before step i are smooth; smooth_after[i]: the 3 after.
    before = np.ones_like(smooth)
    after = np.ones_like(smooth)
    for k in range(1, 4):
        before &= np.roll(smooth, k, axis=axis)
        after &= np.roll(smooth, -k, axis=axis)
    index = np.arange(n)
    edge_shape = [1, 1]
    edge_shape[axis] = n
    before &= (index >= 3).reshape(edge_shape)
    after &= (index < n - 3).reshape(edge_shape)
    return step & (before | after)


def _edge(grid: np.ndarray, positions: range, default: int, *, after: bool) -> tuple[bool, int]:
    """The first position along ``positions`` where ``grid``'s column is an edge along most of
    the span (a straight panel border), as a box coordinate; else ``default``."""
    for position in positions:
        if 0 <= position < grid.shape[1] and np.mean(grid[:, position]) >= _LINE_SUPPORT:
            return True, position + 1 if after else position
    return False, default


def _find_screen(
    activity: np.ndarray,
    edges: np.ndarray,
    text: np.ndarray,
    mean: np.ndarray,
    camera: tuple[tuple[int, int, int, int], float] | None,
    content: tuple[int, int, int, int] | None = None,
) -> tuple[tuple[int, int, int, int], float] | None:
    h, w = activity.shape
    content = content or (0, 0, w, h)
    still = activity < _ACTIVE / 2
    camera_mask = np.zeros((h, w), dtype=bool)
    if camera is not None:
        x0, y0, x1, y1 = camera[0]
        camera_mask[y0:y1, x0:x1] = True
    # The screen is the picture beside the camera, or all of it under a small thumbnail.
    box = content if camera is None else _largest_side(content, camera[0])
    if _area(box) < _MIN_SCREEN_AREA * w * h:
        return None
    x0, y0, x1, y1 = box
    slide_text = text & still & ~camera_mask
    inside = slide_text[y0:y1, x0:x1]
    if np.mean(inside) < 0.004:
        return None
    # Black bars of the slide's own panel (a 16:9 slide in a 4:3 panel beside the camera).
    tx0, ty0, tx1, ty1 = _content_area(mean[y0:y1, x0:x1], activity[y0:y1, x0:x1])
    box = x0 + tx0, y0 + ty0, x0 + tx1, y0 + ty1
    narrowed = _slide_on_page(mean, slide_text, camera_mask, box)
    if narrowed is not None:
        box = narrowed
    x0, y0, x1, y1 = box
    region_still = float(np.mean(still[y0:y1, x0:x1] | camera_mask[y0:y1, x0:x1]))
    region_text = float(np.mean(text[y0:y1, x0:x1]))
    confidence = max(0.0, min(1.0, region_still * min(1.0, 0.4 + 3 * region_text)))
    return box, confidence


def _slide_on_page(
    mean: np.ndarray,
    text: np.ndarray,
    camera_mask: np.ndarray,
    box: tuple[int, int, int, int],
) -> tuple[int, int, int, int] | None:
    """The slide's own rectangle when it sits on a page of another colour inside ``box`` (a
    composed recording), holding the text; None when the slide fills the box."""
    x0, y0, x1, y1 = box
    part = mean[y0:y1, x0:x1]
    ring = np.concatenate([part[0], part[-1], part[:, 0], part[:, -1]])
    level = float(np.median(ring))
    if np.mean(np.abs(ring - level) < 10) < 0.7:
        return None
    foreground = (np.abs(part - level) > 14) & ~camera_mask[y0:y1, x0:x1]
    inner = _bbox(foreground)
    if inner is None:
        return None
    ix0, iy0, ix1, iy1 = inner
    if _area(inner) < _MIN_SCREEN_AREA * mean.size or _area(inner) > 0.97 * _area(box):
        return None
    if np.mean(foreground[iy0:iy1, ix0:ix1]) < 0.85:
        return None  # text and shapes on the page: the page is the slide
    words = text[y0:y1, x0:x1]
    # The slide's own border is an edge too, blurred a few pixels out into the page.
    halo = words[max(0, iy0 - 6) : iy1 + 6, max(0, ix0 - 6) : ix1 + 6]
    if halo.sum() < 0.8 * words.sum():
        return None  # a coloured bar, not the slide: most of the text lies outside it
    return x0 + ix0, y0 + iy0, x0 + ix1, y0 + iy1


def _largest_side(
    content: tuple[int, int, int, int], camera: tuple[int, int, int, int]
) -> tuple[int, int, int, int]:
    """The biggest rectangle of the picture beside the camera box (left, right, above or below)."""
    cx0, cy0, cx1, cy1 = content
    x0, y0, x1, y1 = camera
    # A camera thumbnail over the slides (picture-in-picture) leaves the whole picture as screen.
    if _area(camera) < 0.12 * _area(content):
        return content
    sides = [
        (cx0, cy0, max(cx0, x0), cy1),
        (min(cx1, x1), cy0, cx1, cy1),
        (cx0, cy0, cx1, max(cy0, y0)),
        (cx0, min(cy1, y1), cx1, cy1),
    ]
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
