"""The video compiler: one clip rendered to MP4 through a single ffmpeg filtergraph.

The kept ranges of the source are cut with ``trim``/``atrim`` and joined with ``concat`` in the
same graph for picture and sound, so removing pauses can never put them out of step. Range edges
are moved to half-way between two video frames first: ``trim`` keeps whole frames, and a cut
between frames keeps exactly as many frames as the audio has seconds, range after range.

Layouts: ``original`` keeps the 16:9 picture. ``vertical`` (9:16) never crops slide content
(jobs/highlights/reframe.py plans it): the slide scaled to the full width (letterboxed) above a
crop of the camera that follows the speaker's face; slides alone, fit to the width with the
captions in the free space below; a face-centred 9:16 crop of a talking head; a portrait source
as it is; and when the layout is unclear, the original 16:9 with a note saying why. Captions are
an ASS file written with pysubs2 and burned in by ffmpeg's ``ass`` filter (libass), the spoken
word highlighted karaoke-style, never over the slide. A JPEG thumbnail comes out of the same run
as a second output.

Why not MoviePy, the design card's tool: measured on these machines it rendered a 30 s vertical
split with captions 8.3x slower than this one graph, and cut off the bottom of ``TextClip``
captions without a margin. MoviePy serves where it is good, single-frame access (the job's
poster, jobs/stages/poster.py).
"""

from __future__ import annotations

import logging
import math
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import av
import pysubs2

from jobs.highlights.reframe import CaptionZone, plan_picture, to_output
from jobs.highlights.text import TimedWord, ends_sentence, timed_words
from transcripts.media import SAFE_INPUT, MediaError, decode_limit_args, ffmpeg_exe, probe

logger = logging.getLogger(__name__)

LAYOUTS = ("original", "vertical")
_SAFE_NAME = re.compile(r"^[\w.-]+$")
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts")
# DejaVu Sans Bold ships with Lectern (its licence beside it), so that a slim container without
# fonts-dejavu-core still gets captions rather than silently empty ones.
_SHIPPED_FONTS = Path(__file__).resolve().parent / "fonts"


@dataclass
class RenderedClip:
    video: Path
    thumbnail: Path
    subtitles: Path  # the ASS file that was burned in, kept for re-renders and downloads
    duration: float  # seconds, of the written file
    layout: str  # "original" or "vertical"
    # "full", "stacked" (slides over speaker), "slides", "face-crop", "portrait" or "audio-only"
    arrangement: str
    width: int
    height: int
    ranges: list[tuple[float, float]]  # the source ranges actually cut, after frame snapping
    note: str = ""  # why the clip is not what was asked (a 16:9 clip for a vertical request)
    slide: tuple[int, int, int, int] | None = None  # where the slide is in the clip (x, y, w, h)
    speaker: tuple[int, int, int, int] | None = None  # where the speaker panel is in the clip
    captioned: bool = True  # False when captions were asked for but no font could draw them

    def to_dict(self) -> dict[str, object]:
        return {
            "video": str(self.video),
            "thumbnail": str(self.thumbnail),
            "subtitles": str(self.subtitles),
            "duration": round(self.duration, 3),
            "layout": self.layout,
            "arrangement": self.arrangement,
            "width": self.width,
            "height": self.height,
            "ranges": [[round(a, 3), round(b, 3)] for a, b in self.ranges],
            "note": self.note,
            "slide": list(self.slide) if self.slide else None,
            "speaker": list(self.speaker) if self.speaker else None,
            "captioned": self.captioned,
        }


def render_clip(
    source: Path,
    clip: Any,
    segments: Sequence[Any],
    output: Path,
    *,
    layout: str = "original",
    regions: Any = None,
    size: tuple[int, int] | None = None,
    captions: bool = True,
    crf: int = 23,
    preset: str = "veryfast",
    timeout: float | None = None,
) -> RenderedClip:
    """Render ``clip`` (a ``selection.Clip`` or its dict: its ``ranges`` are used) to ``output``.

    ``segments`` is the transcript with word timings, for the captions. ``regions`` is the
    ``layout.LayoutResult`` (or its dict) that ``vertical`` needs to find the slides and the
    speaker. ``size`` is the output (width, height): 1280x720 and 720x1280 by default, never
    larger than the source's height allows. The thumbnail and the ASS file are written next to
    ``output`` with the same name.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}.")
    # Absolute: ffmpeg runs in the output folder (see below).
    source, output = Path(source).resolve(), Path(output).resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    info = probe(source)
    if not info.has_audio:
        raise MediaError("This file has no audio track to cut clips from.")
    raw_ranges = [(float(a), float(b)) for a, b in _field(clip, "ranges")]
    if not raw_ranges:
        raise ValueError("The clip has no time ranges.")

    fps, origin = _frame_grid(source) if info.has_video else (25.0, 0.0)
    ranges = _snap(raw_ranges, fps, origin, info.duration)
    # Seek near the clip before decoding (ffmpeg then decodes from the keyframe before it), so a
    # clip from the end of a three-hour lecture does not decode the first two hours and more.
    seek = max(0.0, math.floor((ranges[0][0] - 2.0 - origin) * fps) / fps + origin)
    relative = [(a - seek, b - seek) for a, b in ranges]
    duration = sum(b - a for a, b in ranges)

    width, height = _output_size(layout, size, info.height)
    plan = plan_picture(layout, regions, info, width, height, ranges)
    width, height = plan.width, plan.height

    subtitles = output.with_suffix(".ass")
    words = timed_words(segments)
    _write_captions(subtitles, words, ranges, width, height, layout, plan.captions)
    font = _font_dir()
    captioned = captions and (font is not None or _fontconfig_has_fonts())

    partial_video = output.with_name(output.stem + ".partial.mp4")
    thumbnail = output.with_suffix(".jpg")
    partial_thumbnail = output.with_name(output.stem + ".partial.jpg")
    graph = _filtergraph(
        relative,
        plan.chain,
        subtitles if captioned else None,
        has_video=info.has_video,
        fps=fps,
        size=(width, height),
        thumbnail_at=min(duration / 3, 3.0),
    )
    command = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    command += ["-ss", f"{seek:.6f}", *decode_limit_args(), "-i", str(source)]
    if not info.has_video:
        command += ["-f", "lavfi", "-i", f"color=c=0x1e2430:s={width}x{height}:r=25"]
    command += [
        "-filter_complex", graph,
        "-map", "[vout]", "-map", "[aout]",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "128k", "-movflags", "+faststart",
        str(partial_video.name),
        "-map", "[thumb]", "-frames:v", "1", "-update", "1", "-q:v", "3",
        str(partial_thumbnail.name),
    ]  # fmt: skip
    try:
        # Run beside the output so that the filtergraph names the ASS file without a path that
        # would need escaping.
        completed = subprocess.run(
            command, cwd=output.parent, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        partial_video.unlink(missing_ok=True)
        partial_thumbnail.unlink(missing_ok=True)
        raise MediaError("Rendering the clip took too long.") from None
    if completed.returncode != 0 or not partial_video.exists():
        partial_video.unlink(missing_ok=True)
        partial_thumbnail.unlink(missing_ok=True)
        detail = completed.stderr.strip().splitlines()[-1:] or ["unknown error"]
        raise MediaError(f"The clip could not be rendered ({detail[0]}).")
    partial_video.replace(output)
    if partial_thumbnail.exists():
        partial_thumbnail.replace(thumbnail)
    return RenderedClip(
        video=output,
        thumbnail=thumbnail,
        subtitles=subtitles,
        duration=probe(output).duration,
        layout=layout,
        arrangement=plan.arrangement,
        width=width,
        height=height,
        ranges=ranges,
        note=plan.note,
        slide=plan.slide,
        speaker=plan.speaker,
        captioned=captioned or not captions,
    )


def _field(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _frame_grid(source: Path) -> tuple[float, float]:
    """(frames per second, time of the first frame relative to the file's start)."""

    bounded = {"max_pixels": SAFE_INPUT["max_pixels"]}  # probing decodes a frame or two
    with av.open(str(source), options=bounded, metadata_errors="ignore") as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.base_rate or 25
        fps = float(rate)
        start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
        file_start = container.start_time / av.time_base if container.start_time else 0.0
    return fps, start - file_start


def _snap(
    ranges: Sequence[tuple[float, float]], fps: float, origin: float, duration: float
) -> list[tuple[float, float]]:
    """Each range widened to the nearest half-frame positions, and ranges that meet, merged."""
    # The first half-frame position in the file: a cut before it would keep frame 0 whole.
    lowest = origin + (math.ceil(-origin * fps - 0.5) + 0.5) / fps
    snapped: list[tuple[float, float]] = []
    for a, b in ranges:
        a2 = origin + (math.floor((a - origin) * fps - 0.5) + 0.5) / fps
        b2 = origin + (math.ceil((b - origin) * fps - 0.5) + 0.5) / fps
        a2, b2 = max(lowest, a2), min(b2, max(duration, a2 + 1 / fps))
        if snapped and a2 <= snapped[-1][1] + 1e-6:
            snapped[-1] = (snapped[-1][0], max(snapped[-1][1], b2))
        else:
            snapped.append((a2, b2))
    return [(round(a, 6), round(b, 6)) for a, b in snapped]


def _output_size(
    layout: str, size: tuple[int, int] | None, source_height: int | None
) -> tuple[int, int]:
    if size is not None:
        return _even(size[0]), _even(size[1])
    if layout == "vertical":
        return 720, 1280
    height = min(720, _even(source_height or 720))
    return _even(height * 16 / 9), height


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def _filtergraph(
    ranges: Sequence[tuple[float, float]],
    picture: str,
    subtitles: Path | None,
    *,
    has_video: bool,
    fps: float,
    size: tuple[int, int],
    thumbnail_at: float,
) -> str:
    count = len(ranges)
    parts = []
    audio_labels = [f"[a{i}]" for i in range(count)]
    parts.append(f"[0:a]asplit={count}{''.join(audio_labels)}" if count > 1 else "[0:a]anull[a0]")
    joined = []
    if has_video:
        video_labels = [f"[v{i}]" for i in range(count)]
        parts.append(f"[0:v]split={count}{''.join(video_labels)}" if count > 1 else "[0:v]null[v0]")
        for index, (a, b) in enumerate(ranges):
            parts.append(f"[v{index}]trim=start={a:.6f}:end={b:.6f},setpts=PTS-STARTPTS[tv{index}]")
    for index, (a, b) in enumerate(ranges):
        parts.append(f"[a{index}]atrim=start={a:.6f}:end={b:.6f},asetpts=PTS-STARTPTS[ta{index}]")
        joined.append(f"[tv{index}][ta{index}]" if has_video else f"[ta{index}]")
    if has_video:
        parts.append(f"{''.join(joined)}concat=n={count}:v=1:a=1[vc][aout]")
        parts.append(picture)
    else:
        parts.append(f"{''.join(joined)}concat=n={count}:v=0:a=1[aout]")
        duration = sum(b - a for a, b in ranges)
        parts.append(f"[1:v]trim=duration={duration:.6f},setsar=1[vfinal]")
    parts.append("[vfinal]split=2[vmain][vthumb]")
    captioned = "[vmain]null[vout]"
    if subtitles is not None:
        options = f"filename={_filter_name(subtitles)}"
        fonts = _font_dir()
        if fonts:
            options += f":fontsdir={fonts}"
        captioned = f"[vmain]ass={options}[vout]"
    parts.append(captioned)
    thumb_w = min(size[0], 640)
    thumb_h = _even(thumb_w * size[1] / size[0])
    parts.append(
        f"[vthumb]trim=start={thumbnail_at:.3f},setpts=PTS-STARTPTS,"
        f"scale={thumb_w}:{thumb_h}[thumb]"
    )
    return ";".join(parts)


def _filter_name(path: Path) -> str:
    """The ASS file's name as the filtergraph sees it (ffmpeg runs in its folder)."""
    if not _SAFE_NAME.match(path.name):
        raise ValueError(f"Clip file names must be plain ({path.name!r}): letters, digits, . - _")
    return path.name


@cache
def _font_dir() -> str | None:
    """A folder with DejaVu Sans for libass, when fontconfig might not find one by itself."""
    for folder in (*_FONT_DIRS, str(_SHIPPED_FONTS)):
        path = Path(folder)
        has_font = (path / "DejaVuSans-Bold.ttf").exists() or (path / "DejaVuSans.ttf").exists()
        if has_font and re.match(r"^[\w/.-]+$", folder):
            return folder
    # Once per process: the bundled ffmpeg's libass then relies on fontconfig, and where that finds
    # no font either (a slim container) the captions come out empty; RenderedClip.captioned says so.
    logger.warning(
        "DejaVu Sans not found in %s nor in %s: burned-in captions rely on fontconfig and may be "
        "empty (install fonts-dejavu-core)",
        ", ".join(_FONT_DIRS),
        _SHIPPED_FONTS,
    )
    return None


@cache
def _fontconfig_has_fonts() -> bool:
    """Whether fontconfig knows any font at all (libass falls back to it without a fonts dir)."""

    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        listed = subprocess.run([fc_list], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(listed.stdout.strip())


def caption_font_missing() -> bool:
    """True where burned-in captions would come out empty: no DejaVu and no font at all."""
    return _font_dir() is None and not _fontconfig_has_fonts()


def _write_captions(
    path: Path,
    words: Sequence[TimedWord],
    ranges: Sequence[tuple[float, float]],
    width: int,
    height: int,
    layout: str,
    zone: CaptionZone,
) -> None:
    """Captions as a styled ASS file: a few words at a time, the spoken word highlighted, inside
    ``zone`` (rows of the picture that hold no slide), two lines at most."""
    total = sum(b - a for a, b in ranges)
    start, end = ranges[0][0], ranges[-1][1]
    inside = [
        word
        for word in words
        if word.end > start
        and word.start < end
        and any(word.end > a and word.start < b for a, b in ranges)
    ]
    font_size = round(min(width, height) * 0.06)
    # Two lines with their outline must fit in the zone (line height is about 1.25 em).
    room = zone.bottom - zone.top - zone.margin
    font_size = max(8, min(font_size, int(room / 2.6)))
    left, right = zone.left, width if zone.right is None else zone.right
    side = round((right - left) * 0.05)
    # A bold DejaVu character is about 0.62 em wide; lines wrap at the zone's width.
    fits = int((right - left - 2 * side) / (0.62 * font_size))
    max_chars = max(10, min(22 if width < height else 38, fits))

    subs = pysubs2.SSAFile()
    subs.info["PlayResX"] = str(width)
    subs.info["PlayResY"] = str(height)
    subs.info["ScaledBorderAndShadow"] = "yes"
    subs.info["WrapStyle"] = "0"
    subs.styles["Caption"] = pysubs2.SSAStyle(
        fontname="DejaVu Sans",
        fontsize=font_size,
        # Karaoke: words turn from the secondary colour to the primary as they are spoken.
        primarycolor=pysubs2.Color(255, 214, 64),
        secondarycolor=pysubs2.Color(255, 255, 255),
        outlinecolor=pysubs2.Color(0, 0, 0),
        backcolor=pysubs2.Color(0, 0, 0, 96),
        bold=True,
        borderstyle=1,
        outline=max(2, font_size // 14),
        shadow=1,
        alignment=pysubs2.Alignment.TOP_CENTER
        if zone.top_aligned
        else pysubs2.Alignment.BOTTOM_CENTER,
        marginl=left + side,
        marginr=width - right + side,
        marginv=zone.top + zone.margin if zone.top_aligned else height - zone.bottom + zone.margin,
    )

    lines: list[list[TimedWord]] = []
    for word in inside:
        line = lines[-1] if lines else None
        if line is not None:
            length = sum(len(w.text) + 1 for w in line) + len(word.text)
            gap = to_output(word.start, ranges) - to_output(line[-1].end, ranges)
            span = to_output(word.end, ranges) - to_output(line[0].start, ranges)
            if not (length > max_chars or gap > 0.7 or span > 3.5 or ends_sentence(line[-1].text)):
                line.append(word)
                continue
        lines.append([word])

    for index, line in enumerate(lines):
        begin = to_output(max(line[0].start, start), ranges)
        finish = to_output(min(line[-1].end, end), ranges)
        following = (
            to_output(lines[index + 1][0].start, ranges) if index + 1 < len(lines) else total
        )
        finish = min(max(finish + 0.3, begin + 0.5), following, total)
        # Each word's karaoke time runs to the next word's start, so the highlight keeps pace.
        times = [to_output(max(word.start, start), ranges) for word in line]
        times.append(to_output(min(line[-1].end, end), ranges))
        text = [
            f"{{\\k{max(1, round((times[i + 1] - times[i]) * 100))}}}{_ass_escape(word.text)}"
            for i, word in enumerate(line)
        ]
        event = pysubs2.SSAEvent(
            start=round(begin * 1000), end=round(finish * 1000), text=" ".join(text)
        )
        event.style = "Caption"
        subs.append(event)
    subs.save(str(path))


def _ass_escape(text: str) -> str:
    # Braces open override blocks and a backslash starts a tag; neither belongs in a caption.
    return text.replace("\\", "/").replace("{", "(").replace("}", ")")


def render_clips(
    source: Path,
    clips: Sequence[Any],
    segments: Sequence[Any],
    folder: Path,
    *,
    layout: str,
    regions: Any = None,
    on_progress: Callable[[float], None] | None = None,
) -> list[RenderedClip]:
    """Each chosen clip rendered into ``folder`` as clip-01.mp4, clip-02.mp4..."""
    folder.mkdir(parents=True, exist_ok=True)
    rendered = []
    for number, clip in enumerate(clips, start=1):
        rendered.append(
            render_clip(
                source,
                clip,
                segments,
                folder / f"clip-{number:02d}.mp4",
                layout=layout,
                regions=regions,
            )
        )
        if on_progress is not None:
            on_progress(number / len(clips))
    return rendered
