"""Stage: the text of each slide, read with Tesseract from a frame at each slide change.

A frame of the screen region is grabbed at the start and just after each slide change found by
layout detection, kept as ``slide-NN.jpg``, and read by the ``tesseract`` program (TSV output, so
that each line's height is known and the tallest line can be taken for the slide's title).
Tesseract is optional: without it the stage reads nothing and says why in a sentence.
"""

from __future__ import annotations

import csv
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from jobs.highlights.layout import LayoutResult
from transcripts.media import decode_limit_args, ffmpeg_exe

logger = logging.getLogger(__name__)

MAX_SLIDES = 300  # an hour of lecture rarely has more; a flickering screen must not run forever
_MIN_CONFIDENCE = 40  # Tesseract's per-word confidence (0-100) below which a word is noise
_OCR_WIDTH = 1600  # small screen regions are enlarged to about this width: Tesseract reads
# text best at 20-30 pixels per capital letter


@dataclass(frozen=True)
class Slide:
    time: float  # when the slide comes up, in seconds
    text: str  # its lines, top to bottom
    title: str  # the tallest line (with the lines of its paragraph of the same size)
    image: Path  # the JPEG of the screen region
    confidence: float = 0.0  # mean word confidence of the text, 0-100

    def to_dict(self, root: Path | None = None) -> dict[str, object]:
        image = self.image.relative_to(root) if root else self.image
        return {
            "time": round(self.time, 2),
            "text": self.text,
            "title": self.title,
            "image": str(image),
        }


@dataclass
class SlidesRead:
    slides: list[Slide] = field(default_factory=list)
    note: str = ""  # why no slide text was read, for the user; empty when all went well

    @property
    def texts(self) -> list[str]:
        return [slide.text for slide in self.slides]

    @property
    def titles(self) -> list[tuple[float, str]]:
        return [(slide.time, slide.title) for slide in self.slides if slide.title]


def tesseract_path(binary: str = "tesseract") -> str | None:
    """The Tesseract program to run (a name on PATH or a path), or None when it is not there."""
    return shutil.which(binary)


def read_slides(
    video: Path,
    layout: LayoutResult,
    folder: Path,
    *,
    duration: float,
    tesseract: str = "tesseract",
    language: str = "eng",
    max_slides: int = MAX_SLIDES,
    timeout: float = 120.0,
    on_progress: Callable[[float], None] | None = None,
) -> SlidesRead:
    """Grab and read a frame of ``layout.screen`` at the start and after each slide change.

    Safe to run again: the folder's earlier slide images are replaced. A slide Tesseract cannot
    read (a photo, a crash of the program) keeps its image with empty text, and never fails the job.
    """
    program = tesseract_path(tesseract)
    if program is None:
        return SlidesRead(
            note=f"Slide text was not read: the OCR program Tesseract ({tesseract}) "
            "is not installed on this server."
        )
    if layout.screen is None:
        return SlidesRead()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("slide-*.jpg"):
        old.unlink()
    starts = [0.0, *[t for t in layout.slide_changes if 0 < t < duration]][:max_slides]
    slides: list[Slide] = []
    for index, (start, grab) in enumerate(frame_times(starts, duration, layout.interval)):
        image = folder / f"slide-{index + 1:02d}.jpg"
        scan = folder / f".ocr-{index + 1:02d}.png"
        try:
            grab_frame(video, grab, layout.screen.box, image, scan, timeout=timeout)
            lines = ocr_lines(program, scan, language=language, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            logger.warning("slide at %.1fs of %s not read: %s", start, video, exc)
            lines = []
        finally:
            scan.unlink(missing_ok=True)
        if image.exists():
            slides.append(_slide(start, image, lines))
        if on_progress is not None:
            on_progress((index + 1) / len(starts))
    return SlidesRead(slides=slides)


def frame_times(starts: list[float], duration: float, interval: float) -> list[tuple[float, float]]:
    """(slide start, when to grab it) pairs.

    Layout detection puts a change halfway between the two samples it fell between, so the new
    slide is surely up ``interval / 2`` later; a grab never goes past the middle of the slide's
    time on screen (a slide shown briefly) nor past the end of the video.
    """
    pairs = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else duration
        settle = interval / 2 + 0.25 if index else 1.0  # the first frame may be a fade from black
        grab = start + min(settle, max(0.0, (end - start) / 2))
        pairs.append((start, max(0.0, min(grab, duration - 0.1))))
    return pairs


def grab_frame(
    video: Path,
    time: float,
    box: tuple[int, int, int, int],
    image: Path,
    scan: Path,
    *,
    timeout: float = 120.0,
) -> None:
    """One decode, two pictures: the screen region as a JPEG to show, and an enlarged grey PNG
    for Tesseract (lossless, and big enough for small slide text)."""
    x, y, w, h = box
    w, h = max(2, w // 2 * 2), max(2, h // 2 * 2)
    factor = max(1.0, min(3.0, _OCR_WIDTH / w))
    graph = (
        f"[0:v]crop={w}:{h}:{x}:{y},split=2[show][read];"
        f"[read]scale={round(w * factor)}:-2:flags=bicubic,format=gray[scan]"
    )
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-ss", f"{time:.3f}", *decode_limit_args(), "-i", str(video), "-filter_complex", graph,
        "-map", "[show]", "-frames:v", "1", "-q:v", "3", str(image),
        "-map", "[scan]", "-frames:v", "1", str(scan),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=timeout)


@dataclass(frozen=True)
class Line:
    text: str
    height: float  # median word height, in pixels of the scanned picture
    confidence: float
    paragraph: tuple[int, int, int]  # page, block, paragraph


def ocr_lines(
    program: str, picture: Path, *, language: str = "eng", timeout: float = 120.0
) -> list[Line]:
    """The lines Tesseract reads in ``picture``, top to bottom, with their heights."""
    done = subprocess.run(
        [program, str(picture), "stdout", "-l", language, "--psm", "3", "tsv"],
        capture_output=True,
        timeout=timeout,
        check=True,
    )
    return parse_tsv(done.stdout.decode("utf-8", errors="replace"))


def parse_tsv(tsv: str) -> list[Line]:
    """Lines from Tesseract's TSV: words (level 5) grouped by page, block, paragraph and line."""
    words: dict[tuple[int, int, int, int], list[tuple[str, float, float]]] = {}
    rows = csv.DictReader(tsv.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        try:
            if row.get("level") != "5":
                continue
            text = (row.get("text") or "").strip()
            confidence = float(row.get("conf") or -1)
            height = float(row.get("height") or 0)
            key = (int(row["page_num"]), int(row["block_num"]), int(row["par_num"]))
            key4 = (*key, int(row["line_num"]))
        except (KeyError, TypeError, ValueError):
            continue
        if text and confidence >= _MIN_CONFIDENCE and any(ch.isalnum() for ch in text):
            words.setdefault(key4, []).append((text, height, confidence))
    lines = []
    for key4, found in words.items():  # dicts keep Tesseract's reading order
        lines.append(
            Line(
                text=" ".join(text for text, _, _ in found),
                height=median(height for _, height, _ in found),
                confidence=sum(conf for _, _, conf in found) / len(found),
                paragraph=key4[:3],
            )
        )
    return lines


def title_of(lines: list[Line]) -> str:
    """The tallest line, joined with the lines of the same paragraph that are nearly as tall
    (a title that wraps onto two lines)."""
    if not lines:
        return ""
    tallest = max(lines, key=lambda line: line.height)
    return " ".join(
        line.text
        for line in lines
        if line.paragraph == tallest.paragraph and line.height >= 0.8 * tallest.height
    )


def _slide(time: float, image: Path, lines: list[Line]) -> Slide:
    confidence = sum(line.confidence for line in lines) / len(lines) if lines else 0.0
    return Slide(
        time=time,
        text="\n".join(line.text for line in lines),
        title=title_of(lines),
        image=image,
        confidence=round(confidence, 1),
    )
