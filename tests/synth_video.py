"""A synthetic recorded lecture with known layout, topics, pauses and slide changes.

The speech is espeak-ng (through ``tests.synth.speech``): three topics, each two paragraphs with a
short pause between them, and a longer pause between topics. The picture is 1280x720: a slide
panel on the left whose text changes with each topic (drawn with Pillow, so no font is needed by
ffmpeg), and a "camera" panel on the right with sensor-like noise and a face-sized blob that wanders
about, as a webcam picture would. Every number the highlight agents should find is known exactly.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from jobs.media import SAMPLE_RATE, ffmpeg_exe
from tests.synth import speech, write_wav

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
    inputs += ["-f", "lavfi", "-i", f"color=c=0x4a5a6a:s={cw}x{ch}:r={fps}:d={duration}"]
    inputs += ["-f", "lavfi", "-i", f"color=c=0xd8a888:s=110x140:r={fps}:d={duration}"]
    inputs += ["-i", str(audio)]
    camera_input, blob_input, audio_input = len(slides) + 1, len(slides) + 2, len(slides) + 3

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
    # Temporal noise over the whole panel, as a real sensor gives, and a wandering face-sized blob.
    graph.append(
        f"[{camera_input}:v][{blob_input}:v]overlay="
        f"x='125+110*sin(2*PI*t/7)':y='130+90*sin(2*PI*t/5)',noise=alls=24:allf=t+u[cam]"
    )
    graph.append(f"[{previous}][cam]overlay={cx}:{cy},format=yuv420p[v]")
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *inputs,
        "-filter_complex", ";".join(graph),
        "-map", "[v]", "-map", f"{audio_input}:a",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-r", str(fps), "-g", str(fps * 4),
        "-c:a", "aac", "-b:a", "64k", "-t", f"{duration}", str(video),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)


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
