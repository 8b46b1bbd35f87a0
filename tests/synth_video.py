"""A synthetic recorded lecture with known layout, topics, pauses and slide changes.

The speech is espeak-ng (through ``tests.synth.speech``): three topics, each two paragraphs with a
short pause between them, and a longer pause between topics. The picture is 1280x720: a slide
panel on the left whose text changes with each topic (drawn with Pillow, so no font is needed by
ffmpeg), and a camera panel on the right showing a real photograph of a person (scikit-image's
astronaut), panned and zoomed slowly as a person moves in a webcam picture. Every number the highlight agents should find is known exactly.
"""

from __future__ import annotations

import math
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from tests.synth import speech, write_wav
from transcripts.media import SAMPLE_RATE, ffmpeg_exe

SIZE = (1280, 720)
# Ground truth for the layout detector, [x, y, w, h] in source pixels.
SCREEN_BOX = (40, 60, 800, 600)
CAMERA_BOX = (880, 160, 360, 400)
BACKGROUND = (30, 36, 48)

# (slide title, slide bullets, spoken paragraphs). Each topic has its own vocabulary, teaching
# cues ("is called", "the key point", "for example", "in summary") and runs about 30 seconds.
TOPICS: list[tuple[str, list[str], list[str]]] = [
    (
        "Photosynthesis",
        ["Light is captured by chlorophyll", "Water is split into oxygen", "Sugar stores energy"],
        [
            "Today we will talk about photosynthesis. Plants capture light with a green pigment "
            "called chlorophyll. The chlorophyll sits inside small parts of the leaf called "
            "chloroplasts.",
            "The energy of the light splits water into oxygen and hydrogen. The hydrogen is "
            "joined with carbon dioxide from the air to build sugar. The key point is that plants "
            "turn light into chemical energy that they can store as sugar.",
        ],
    ),
    (
        "The French revolution",
        ["1789: the Bastille is stormed", "The king loses his power", "A republic is declared"],
        [
            "Now let us move on to the French revolution. In seventeen eighty nine the people of "
            "Paris stormed a prison in the east of the city. Bread was expensive and the king had "
            "spent the money of the state on wars.",
            "The king lost his power and a republic was declared. The revolution spread new ideas "
            "of liberty and equality. Remember that the revolution changed politics across the "
            "whole of Europe.",
        ],
    ),
    (
        "Volume of a cube",
        ["Six equal square faces", "Volume = side x side x side", "Side 2 m: volume 8 m3"],
        [
            "Finally we turn to the volume of a cube. A cube has six square faces of equal size. "
            "To find the volume of a cube you multiply the length of one side by itself three "
            "times.",
            "For example a cube with sides of two metres has a volume of eight cubic metres. A "
            "cube with sides of three metres has a volume of twenty seven cubic metres. In summary "
            "the volume of a cube is the length of its side cubed.",
        ],
    ),
]


@dataclass
class SynthLecture:
    video: Path
    audio: Path  # the same speech as a 16 kHz mono WAV
    duration: float
    fps: int
    size: tuple[int, int]
    topic_spans: list[tuple[float, float]]  # where each topic is spoken
    paragraph_spans: list[tuple[float, float]]
    topic_pauses: list[tuple[float, float]]  # the silences between topics
    inner_pauses: list[tuple[float, float]]  # the shorter silences inside topics
    slide_changes: list[float]
    screen_box: tuple[int, int, int, int]
    camera_box: tuple[int, int, int, int]
    texts: list[str]  # each topic's spoken text

    @property
    def pauses(self) -> list[tuple[float, float]]:
        return sorted(self.topic_pauses + self.inner_pauses)


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    names = ["DejaVuSans-Bold.ttf", "DejaVuSans.ttf"] if bold else ["DejaVuSans.ttf"]
    for name in names:
        for folder in ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu"):
            path = Path(folder) / name
            if path.exists():
                return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def slide_image(
    title: str, bullets: list[str], path: Path, size: tuple[int, int] = SCREEN_BOX[2:]
) -> Path:
    """A white slide with a title bar and bullet points: high contrast, text-like, static."""
    width, height = size
    scale = height / 600
    image = Image.new("RGB", (width, height), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, round(96 * scale)), fill=(24, 64, 140))
    title_font = _font(round(44 * scale), bold=True)
    draw.text((round(36 * scale), round(22 * scale)), title, font=title_font, fill=(255, 255, 255))
    body = _font(round(32 * scale))
    for index, bullet in enumerate(bullets):
        y = round((150 + index * 110) * scale)
        dot = (round(40 * scale), y + round(12 * scale), round(56 * scale), y + round(28 * scale))
        draw.ellipse(dot, fill=(24, 64, 140))
        draw.text((round(76 * scale), y), bullet, font=body, fill=(20, 20, 20))
    image.save(path)
    return path


def _samples(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def lecture_video(
    directory: Path, *, fps: int = 5, topic_pause: float = 3.0, inner_pause: float = 1.5
) -> SynthLecture:
    """Write ``lecture.mp4`` and ``lecture.wav`` into ``directory`` and describe what is in them."""
    directory.mkdir(parents=True, exist_ok=True)
    lead = 0.5  # speech() pads each part with this much silence at both ends
    chunks: list[np.ndarray] = []
    topic_spans, paragraph_spans, topic_pauses, inner_pauses, texts = [], [], [], [], []
    offset = 0.0
    for index, (_, _, paragraphs) in enumerate(TOPICS):
        part = speech(paragraphs, directory / f"topic{index}.wav", pause=inner_pause, lead=lead)
        samples = _samples(part.path)
        part.path.unlink()
        if index:
            # The trailing lead of the last topic and the leading lead of this one are silence too.
            gap = np.zeros(round((topic_pause - 2 * lead) * SAMPLE_RATE), dtype="<i2")
            chunks.append(gap)
            topic_pauses.append((offset - lead, offset + len(gap) / SAMPLE_RATE + lead))
            offset += len(gap) / SAMPLE_RATE
        chunks.append(samples)
        spans = [(start + offset, end + offset) for start, end in part.spans]
        paragraph_spans.extend(spans)
        inner_pauses.extend((start + offset, end + offset) for start, end in part.pauses)
        topic_spans.append((spans[0][0], spans[-1][1]))
        texts.append(part.text)
        offset += len(samples) / SAMPLE_RATE
    audio = write_wav(directory / "lecture.wav", np.concatenate(chunks))
    duration = offset
    # The lecturer clicks to the next slide just before starting to speak about it.
    slide_changes = [round(start - 0.5, 2) for start, _ in topic_spans[1:]]

    slides = [
        slide_image(title, bullets, directory / f"slide{index}.png")
        for index, (title, bullets, _) in enumerate(TOPICS)
    ]
    video = directory / "lecture.mp4"
    _render(video, audio, slides, slide_changes, duration, fps)
    return SynthLecture(
        video=video,
        audio=audio,
        duration=duration,
        fps=fps,
        size=SIZE,
        topic_spans=topic_spans,
        paragraph_spans=paragraph_spans,
        topic_pauses=topic_pauses,
        inner_pauses=inner_pauses,
        slide_changes=slide_changes,
        screen_box=SCREEN_BOX,
        camera_box=CAMERA_BOX,
        texts=texts,
    )


def _render(
    video: Path, audio: Path, slides: list[Path], changes: list[float], duration: float, fps: int
) -> None:
    width, height = SIZE
    sx, sy, _, _ = SCREEN_BOX
    cx, cy, cw, ch = CAMERA_BOX
    background = "0x{:02x}{:02x}{:02x}".format(*BACKGROUND)
    inputs = ["-f", "lavfi", "-i", f"color=c={background}:s={width}x{height}:r={fps}:d={duration}"]
    for slide in slides:
        inputs += ["-loop", "1", "-framerate", str(fps), "-t", f"{duration}", "-i", str(slide)]
    # The camera: a real photograph of a person (scikit-image's astronaut) panned and zoomed as a
    # person shifts in a webcam picture, drawn to a video of its own and laid over the page.
    camera_video = _camera_video(video.with_name("camera.mp4"), (cw, ch), duration, fps)
    inputs += ["-i", str(camera_video), "-i", str(audio)]
    camera_input, audio_input = len(slides) + 1, len(slides) + 2

    bounds = [0.0, *changes, duration + 1]
    graph = []
    previous = "0:v"
    for index in range(len(slides)):
        label = f"s{index}"
        graph.append(
            f"[{previous}][{index + 1}:v]overlay={sx}:{sy}:"
            f"enable='between(t,{bounds[index]},{bounds[index + 1] - 0.001})'[{label}]"
        )
        previous = label
    graph.append(f"[{camera_input}:v]null[cam]")
    graph.append(f"[{previous}][cam]overlay={cx}:{cy},format=yuv420p[v]")
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", ";".join(graph),
        "-map", "[v]", "-map", f"{audio_input}:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-r", str(fps), "-g", str(fps * 4),
        "-c:a", "aac", "-b:a", "64k", "-t", f"{duration}", str(video),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)


def _camera_video(path: Path, size: tuple[int, int], duration: float, fps: int) -> Path:
    photo, face = person_photo("astronaut")
    width, height = size
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
        "-i", "-", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", str(path),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None
    try:
        for index in range(math.ceil(duration * fps) + 1):
            process.stdin.write(camera_frame(photo, face, size, index / fps).tobytes())
    finally:
        _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(stderr.decode(errors="replace")[-500:])
    return path


def layout_video(path: Path, kind: str, *, seconds: float = 24.0, fps: int = 4) -> Path:
    """A short silent 640x360 video of one kind: "screen" (full-frame slides that change every
    8 seconds), "camera" (a full-frame noisy picture with a wandering face-sized blob), or "pip"
    (the slides with a 160x120 webcam picture over their bottom-right corner, at 470, 230)."""
    width, height = 640, 360
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind in ("screen", "pip"):
        slides = [
            slide_image(title, bullets, path.with_name(f"{path.stem}-{i}.png"), (width, height))
            for i, (title, bullets, _) in enumerate(TOPICS)
        ]
        inputs: list[str] = []
        for slide in slides:
            inputs += [
                "-loop",
                "1",
                "-framerate",
                str(fps),
                "-t",
                f"{seconds / 3}",
                "-i",
                str(slide),
            ]
        graph = "[0:v][1:v][2:v]concat=n=3:v=1:a=0,format=yuv420p[v]"
        if kind == "pip":
            inputs += [
                "-f", "lavfi", "-i", f"color=c=0x4a5a6a:s=160x120:r={fps}:d={seconds}",
                "-f", "lavfi", "-i", f"color=c=0xd8a888:s=40x50:r={fps}:d={seconds}",
            ]  # fmt: skip
            graph = (
                "[0:v][1:v][2:v]concat=n=3:v=1:a=0[slides];"
                "[3:v][4:v]overlay=x='60+50*sin(2*PI*t/7)':y='35+30*sin(2*PI*t/5)',"
                "noise=alls=24:allf=t+u[camera];"
                "[slides][camera]overlay=470:230,format=yuv420p[v]"
            )
    elif kind == "camera":
        inputs = [
            "-f", "lavfi", "-i", f"color=c=0x4a5a6a:s={width}x{height}:r={fps}:d={seconds}",
            "-f", "lavfi", "-i", f"color=c=0xd8a888:s=90x120:r={fps}:d={seconds}",
        ]  # fmt: skip
        graph = (
            "[0:v][1:v]overlay=x='275+200*sin(2*PI*t/7)':y='120+90*sin(2*PI*t/5)',"
            "noise=alls=24:allf=t+u,format=yuv420p[v]"
        )
    else:
        raise ValueError(kind)
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", graph, "-map", "[v]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-r", str(fps), str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return path


# --- A varied corpus of composed recordings, for the layout detector and the reframing ---------
#
# Each variant is drawn frame by frame (NumPy + Pillow) and piped to ffmpeg, so every box is known
# exactly. The "camera" is a real photograph of a person, panned and zoomed over time as a person
# moves in a webcam picture, never noise: scikit-image's astronaut (Eileen Collins) for the tuning
# variants, and faces from its Labeled Faces in the Wild subset (other people, other photographs)
# for the held-out ones.


@dataclass(frozen=True)
class LayoutSpec:
    name: str
    kind: str  # "split", "pip", "screen" or "camera"
    size: tuple[int, int] = (1280, 720)
    fps: int = 25
    seconds: float = 16.0
    camera_side: str = "right"  # split: where the camera panel is
    corner: str = "br"  # pip: tl, tr, bl or br
    slide_aspect: float = 16 / 9  # the slide's own shape inside its panel
    letterbox: bool = False  # the whole picture inside black bars (top and bottom)
    page: tuple[int, int, int] | None = (30, 36, 48)  # background of a composed page, or abutting
    person: str = "astronaut"  # or "lfw:<index>"
    theme: str = "light"  # slide colours: "light" or "dark"
    held_out: bool = False
    camera_still: bool = False  # a camera picture that does not move (a still webcam, a photo)


@dataclass
class LayoutVideo:
    spec: LayoutSpec
    video: Path
    screen_box: tuple[int, int, int, int] | None
    camera_box: tuple[int, int, int, int] | None
    slide_box: tuple[int, int, int, int] | None  # where the slide itself is (inside the screen)
    slide_changes: list[float]
    titles: list[str]  # the slide titles, in order


# Tuning variants (the detector's thresholds were set on these) and held-out ones (never looked at
# while tuning; reported separately by the bench).
LAYOUT_CORPUS: tuple[LayoutSpec, ...] = (
    LayoutSpec("split-abutting", "split", page=None, slide_aspect=4 / 3),
    LayoutSpec("split-page", "split", fps=15),
    LayoutSpec("pip-br", "pip", corner="br"),
    LayoutSpec("screen-1080p", "screen", size=(1920, 1080), fps=15, seconds=12.0),
    LayoutSpec("camera", "camera", fps=30),
    LayoutSpec("pillarbox-4x3", "screen", slide_aspect=4 / 3, page=(0, 0, 0)),
    LayoutSpec("letterbox-split", "split", size=(960, 720), letterbox=True),
    LayoutSpec(
        "split-left-480p",
        "split",
        size=(854, 480),
        fps=30,
        camera_side="left",
        person="lfw:3",
        theme="dark",
        held_out=True,
    ),
    LayoutSpec(
        "pip-tl-360p", "pip", size=(640, 360), fps=15, corner="tl", person="lfw:11", held_out=True
    ),
    LayoutSpec(
        "pip-tr-1080p",
        "pip",
        size=(1920, 1080),
        fps=15,
        corner="tr",
        person="lfw:27",
        theme="dark",
        seconds=12.0,
        held_out=True,
    ),
    LayoutSpec("screen-dark-360p", "screen", size=(640, 360), fps=20, theme="dark", held_out=True),
    LayoutSpec("camera-540p", "camera", size=(960, 540), fps=24, person="lfw:42", held_out=True),
    LayoutSpec(
        "split-abutting-left-4x3",
        "split",
        size=(1024, 576),
        fps=20,
        page=None,
        camera_side="left",
        slide_aspect=4 / 3,
        person="lfw:60",
        held_out=True,
    ),
    # Long enough (90 s, 45 samples) for the detector's sparse face search of long recordings.
    LayoutSpec(
        "split-long-lfw",
        "split",
        size=(854, 480),
        fps=15,
        seconds=90.0,
        page=None,
        person="lfw:77",
        held_out=True,
    ),
)

# Recordings the detector misreads (a camera panel it cannot tell from the slides: still, and
# without a face): its boxes then disagree with the frame's own panels, which the layout's doubts
# must say. Not part of the corpus above, whose figures the bench reports.
LAYOUT_MISREAD: tuple[LayoutSpec, ...] = (
    LayoutSpec(
        "split-still-scene", "split", size=(640, 360), fps=10, seconds=12.0, page=None,
        person="scene", camera_still=True,
    ),
    LayoutSpec(
        "split-page-still-scene", "split", size=(640, 360), fps=10, seconds=12.0,
        person="scene", camera_still=True,
    ),
)  # fmt: skip

DARK = {"background": (32, 34, 40), "bar": (200, 120, 30), "text": (235, 235, 235)}
LIGHT = {"background": (250, 250, 246), "bar": (24, 64, 140), "text": (20, 20, 20)}


def themed_slide(
    title: str, bullets: list[str], size: tuple[int, int], theme: str = "light"
) -> Image.Image:
    """A slide like ``slide_image``'s, in either colour theme, of any size (kept as a picture)."""
    colours = DARK if theme == "dark" else LIGHT
    width, height = size
    scale = min(height / 600, width / 800)
    image = Image.new("RGB", (width, height), colours["background"])
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, round(96 * scale)), fill=colours["bar"])
    draw.text(
        (round(36 * scale), round(22 * scale)),
        title,
        font=_font(round(44 * scale), bold=True),
        fill=(255, 255, 255),
    )
    body = _font(round(32 * scale))
    for index, bullet in enumerate(bullets):
        y = round((150 + index * 110) * scale)
        dot = (round(40 * scale), y + round(12 * scale), round(56 * scale), y + round(28 * scale))
        draw.ellipse(dot, fill=colours["bar"])
        draw.text((round(76 * scale), y), bullet, font=body, fill=colours["text"])
    return image


def person_photo(person: str) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """An RGB photograph of a person and the face's box in it (x, y, w, h)."""
    from skimage import data

    if person == "astronaut":
        return data.astronaut(), (177, 66, 95, 95)
    if person.startswith("lfw:"):
        # A 25x25 face from Labeled Faces in the Wild, enlarged, with shoulders below, in front
        # of a real photograph (scikit-image's coffee cup, blurred as a webcam's background is).
        face = data.lfw_subset()[int(person[4:])]
        face = (np.clip(face, 0, 1) * 255).astype(np.uint8)
        side = 150
        big = np.asarray(Image.fromarray(face).resize((side, side), Image.Resampling.BICUBIC))
        scene = Image.fromarray(data.coffee()).resize((512, 512)).filter(_blur(6))
        canvas = np.asarray(scene).copy()
        shoulders = Image.new("L", (512, 512), 0)
        ImageDraw.Draw(shoulders).ellipse((136, 300, 376, 620), fill=255)
        mask = np.asarray(shoulders) > 0
        canvas[mask] = (60, 70, 90)
        x, y = 256 - side // 2, 170 - side // 2
        canvas[y : y + side, x : x + side] = big[..., None]
        return canvas, (x, y, side, side)
    if person == "scene":
        # No one in the picture (a webcam on a desk, a document camera): nothing for a face
        # detector, so only the frame's own structure can tell that it is a panel of its own.
        return data.coffee(), (250, 150, 120, 120)
    raise ValueError(person)


def _blur(radius: int) -> object:
    from PIL import ImageFilter

    return ImageFilter.GaussianBlur(radius)


def camera_frame(
    photo: np.ndarray, face: tuple[int, int, int, int], size: tuple[int, int], t: float
) -> np.ndarray:
    """The photograph as a webcam would show a person who shifts and leans in: a window that
    pans and zooms slowly around the face, scaled to ``size`` (w, h)."""
    import cv2

    width, height = size
    ph, pw = photo.shape[:2]
    aspect = width / height
    fx, fy, fw, fh = face
    # The window is 2.6 to 3.2 face heights tall: head and shoulders, as in a webcam picture.
    window_h = fh * (2.9 + 0.3 * math.sin(2 * math.pi * t / 9.0))
    window_w = window_h * aspect
    if window_w > pw:
        window_w, window_h = pw, pw / aspect
    window_h = min(window_h, ph)
    window_w = min(window_w, window_h * aspect)
    cx = fx + fw / 2 + 0.18 * window_w * math.sin(2 * math.pi * t / 7.0)
    cy = fy + fh / 2 + 0.18 * window_h + 0.08 * window_h * math.sin(2 * math.pi * t / 5.0)
    x0 = min(max(0.0, cx - window_w / 2), pw - window_w)
    y0 = min(max(0.0, cy - window_h / 2), ph - window_h)
    crop = photo[int(y0) : int(y0 + window_h), int(x0) : int(x0 + window_w)]
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)


def _fit(outer: tuple[int, int, int, int], aspect: float) -> tuple[int, int, int, int]:
    """The largest box of ``aspect`` centred in ``outer``, with even sizes."""
    x, y, w, h = outer
    if w / h > aspect:
        fw, fh = round(h * aspect), h
    else:
        fw, fh = w, round(w / aspect)
    return x + (w - fw) // 2, y + (h - fh) // 2, fw, fh


def _boxes(
    spec: LayoutSpec,
) -> tuple[
    tuple[int, int, int, int],
    tuple[int, int, int, int] | None,
    tuple[int, int, int, int] | None,
]:
    """(content area, screen panel, camera panel) of a variant, in source pixels."""
    width, height = spec.size
    content = (0, 0, width, height)
    if spec.letterbox:
        content = _fit(content, 16 / 9)
    x, y, w, h = content
    if spec.kind == "screen":
        return content, content, None
    if spec.kind == "camera":
        return content, None, content
    if spec.kind == "pip":
        cw, ch = round(w * 0.25), round(h * 0.25)
        margin = round(w * 0.02)
        cx = x + margin if spec.corner[1] == "l" else x + w - cw - margin
        cy = y + margin if spec.corner[0] == "t" else y + h - ch - margin
        return content, content, (cx, cy, cw, ch)
    # Split: slides take three quarters of the width, the camera the rest.
    if spec.page is None:
        sw = round(w * 0.75)
        screen = (x, y, sw, h) if spec.camera_side == "right" else (x + w - sw, y, sw, h)
        camera = (x + sw, y, w - sw, h) if spec.camera_side == "right" else (x, y, w - sw, h)
        return content, screen, camera
    m = round(w * 0.03)
    sw = round(w * 0.62)
    sh = round(sw * 3 / 4)
    sh = min(sh, h - 2 * m)
    cw = w - sw - 3 * m
    ch = min(round(cw * 1.1), h - 2 * m)
    sy, cy = y + (h - sh) // 2, y + (h - ch) // 2
    if spec.camera_side == "right":
        return content, (x + m, sy, sw, sh), (x + 2 * m + sw, cy, cw, ch)
    return content, (x + 2 * m + cw, sy, sw, sh), (x + m, cy, cw, ch)


def layout_variant(directory: Path, spec: LayoutSpec) -> LayoutVideo:
    """Write ``<name>.mp4`` (with a quiet tone for sound) and describe its true layout."""
    directory.mkdir(parents=True, exist_ok=True)
    width, height = spec.size
    content, screen, camera = _boxes(spec)
    slide_box = None
    slides: list[np.ndarray] = []
    titles = [title for title, _, _ in TOPICS]
    if screen is not None:
        # The slide keeps its own shape inside its panel; around it, the panel's page (black bars
        # for a 4:3 slide in a 16:9 recording).
        slide_box = _fit(screen, spec.slide_aspect)
        slides = [
            np.asarray(themed_slide(title, bullets, slide_box[2:], spec.theme))
            for title, bullets, _ in TOPICS
        ]
    page = spec.page if spec.page is not None else (0, 0, 0)
    photo, face = person_photo(spec.person)
    seconds = spec.seconds
    changes = [round(seconds / 3, 2), round(2 * seconds / 3, 2)] if slides else []
    video = directory / f"{spec.name}.mp4"
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(spec.fps),
        "-i", "-",
        "-f", "lavfi", "-i", f"sine=frequency=220:sample_rate=16000:duration={seconds}",
        "-map", "0:v", "-map", "1:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
        "-g", str(spec.fps * 4), "-c:a", "aac", "-b:a", "48k", "-shortest", str(video),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdin is not None
    base = np.zeros((height, width, 3), dtype=np.uint8)
    base[...] = (0, 0, 0)
    x, y, w, h = content
    base[y : y + h, x : x + w] = page
    try:
        for index in range(round(seconds * spec.fps)):
            t = index / spec.fps
            frame = base.copy()
            if slide_box is not None:
                number = sum(t >= change for change in changes)
                sx, sy, sw, sh = slide_box
                frame[sy : sy + sh, sx : sx + sw] = slides[number]
            if camera is not None:
                cx, cy, cw, ch = camera
                moment = 0.0 if spec.camera_still else t
                frame[cy : cy + ch, cx : cx + cw] = camera_frame(photo, face, (cw, ch), moment)
            process.stdin.write(frame.tobytes())
    finally:
        _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(stderr.decode(errors="replace")[-500:])
    return LayoutVideo(
        spec=spec,
        video=video,
        # The screen to find is the slide itself, without the bars or page around it.
        screen_box=slide_box,
        camera_box=camera,
        slide_box=slide_box,
        slide_changes=changes,
        titles=titles,
    )
