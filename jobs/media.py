"""Media probing and audio extraction, with ffmpeg from the imageio-ffmpeg package.

Plain Python, no Django: the worker, the CLI and the benchmarks share it. Every failure is a
``MediaError`` whose message is a sentence a user can act on.
"""

from __future__ import annotations

import subprocess
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000


class MediaError(Exception):
    """The media cannot be used; ``str(exc)`` is shown to the user."""


@cache
def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@dataclass(frozen=True)
class MediaInfo:
    duration: float  # seconds
    has_audio: bool
    has_video: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    format_name: str = ""


def probe(path: Path) -> MediaInfo:
    """What the file really is, from its contents (never its name)."""
    import av

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise MediaError("The media file is missing.") from None
    if size == 0:
        raise MediaError("The file is empty (0 bytes).")
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.InvalidDataError, UnicodeDecodeError):
        raise MediaError(
            "This file is not a recognised audio or video format, or it is corrupt."
        ) from None
    except av.error.FFmpegError as exc:
        raise MediaError(f"This file could not be read as media ({exc.strerror}).") from None
    with container:
        audio = container.streams.audio
        video = [s for s in container.streams.video if not _is_cover_art(s)]
        duration = _duration(container)
        if not audio and not video:
            raise MediaError("This file contains no audio or video streams.")
        width = height = None
        fps = None
        if video:
            width = video[0].codec_context.width or None
            height = video[0].codec_context.height or None
            rate = video[0].average_rate or video[0].base_rate
            fps = float(rate) if rate else None
        return MediaInfo(
            duration=duration,
            has_audio=bool(audio),
            has_video=bool(video),
            width=width,
            height=height,
            fps=fps,
            format_name=container.format.name,
        )


def _is_cover_art(stream) -> bool:  # an mp3's album picture is a "video" stream of one frame
    return bool(stream.disposition & getattr(stream.disposition.__class__, "attached_pic", 0))


def _duration(container) -> float:
    import av

    if container.duration:
        return container.duration / av.time_base
    best = 0.0
    for stream in container.streams:
        if stream.duration and stream.time_base:
            best = max(best, float(stream.duration * stream.time_base))
    return best


def extract_audio(source: Path, target: Path, *, timeout: float | None = None) -> float:
    """Decode ``source``'s first audio stream to 16 kHz mono 16-bit WAV; returns its duration.

    Written to a temporary name and renamed, so a crash never leaves a half file that looks done.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.wav")
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-i", str(source),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
        str(partial),
    ]  # fmt: skip
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise MediaError("Extracting the audio took too long.") from None
    if completed.returncode != 0:
        partial.unlink(missing_ok=True)
        detail = completed.stderr.strip().splitlines()[-1:] or ["unknown error"]
        if "matches no streams" in completed.stderr:
            raise MediaError("This file has no audio track to transcribe.")
        raise MediaError(f"The audio could not be decoded; the file may be corrupt ({detail[0]}).")
    duration = wav_duration(partial)
    if duration <= 0:
        partial.unlink(missing_ok=True)
        raise MediaError("The audio track is empty.")
    partial.replace(target)
    return duration


def wav_duration(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def read_wav(path: Path, *, mmap: bool = True) -> np.ndarray:
    """The 16-bit PCM samples of a WAV written by ``extract_audio``, memory-mapped by default."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise MediaError("Expected 16-bit mono audio.")
        frames = wav.getnframes()
    offset = _data_offset(Path(path))
    if mmap:
        return np.memmap(path, dtype="<i2", mode="r", offset=offset, shape=(frames,))
    return np.fromfile(path, dtype="<i2", offset=offset, count=frames)


def _data_offset(path: Path) -> int:
    """Byte offset of the samples in a RIFF/WAVE file (walks the chunks; ffmpeg may add LIST)."""
    with open(path, "rb") as handle:
        header = handle.read(12)
        if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise MediaError("Not a WAV file.")
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                raise MediaError("The WAV file has no data chunk.")
            size = int.from_bytes(chunk[4:], "little")
            if chunk[:4] == b"data":
                return handle.tell()
            handle.seek(size + (size & 1), 1)
