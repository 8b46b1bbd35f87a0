"""Media probing and audio extraction, with ffmpeg from the imageio-ffmpeg package.

Plain Python, no Django: the worker, the CLI and the benchmarks share it. Every failure is a
``MediaError`` whose message is a sentence a user can act on.
"""

from __future__ import annotations

import logging
import subprocess
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np

SAMPLE_RATE = 16_000

logger = logging.getLogger(__name__)

# The demuxers a media file may be read with: single-file containers only. Playlists (hls, dash),
# concat lists, image sequences and the like name other files or URLs, which ffmpeg would open on
# the user's behalf (another user's media, any local file, an internal address).
ALLOWED_DEMUXERS = (
    "mov,mp4,m4a,3gp,3g2,mj2",  # ffmpeg names the QuickTime demuxer by all of these at once
    "matroska,webm", "mp3", "wav", "w64", "ogg", "flac", "aac", "ac3", "eac3", "aiff", "caf",
    "avi", "asf", "flv", "mpegts", "mpeg", "amr", "au", "mpc", "wv", "ape", "tta", "dts",
    "png_pipe", "jpeg_pipe", "webp_pipe", "gif",  # a picture: read, then refused for no audio
)  # fmt: skip
FORMAT_WHITELIST = ",".join(ALLOWED_DEMUXERS)
# The largest picture any decoder here may allocate, whatever a file's header says: 8K (7680x4320,
# 33 megapixels, 50 MB a frame). ffmpeg's decoders refuse a frame past it at once instead of
# allocating it (a 16000x16000 frame is 384 MB, and a decoder keeps several). Files are refused
# well before that, by the site's own limit on the probed size (LECTERN_MAX_VIDEO_PIXELS, which
# may not exceed this); this bound also holds for a stream whose size changes part-way through.
DECODE_MAX_PIXELS = 7680 * 4320
# Options for opening a user's file, for PyAV and for the ffmpeg command line alike. ``max_pixels``
# is a decoder option: it also bounds the frames PyAV decodes while it probes.
SAFE_INPUT = {
    "format_whitelist": FORMAT_WHITELIST,
    "protocol_whitelist": "file",
    "max_pixels": str(DECODE_MAX_PIXELS),
}


def safe_input_args() -> list[str]:
    """ffmpeg arguments that go before ``-i <user file>``."""
    return [arg for key, value in SAFE_INPUT.items() for arg in (f"-{key}", value)]


def decode_limit_args() -> list[str]:
    """ffmpeg arguments that go before ``-i <file>`` where the file was checked already (a job's
    media, probed by the fetch stage): its decoder still allocates no frame past the bound."""
    return ["-max_pixels", str(DECODE_MAX_PIXELS)]


class MediaError(Exception):
    """The media cannot be used; ``str(exc)`` is shown to the user."""


@cache
def ffmpeg_exe() -> str:
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

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise MediaError("The media file is missing.") from None
    if size == 0:
        raise MediaError("The file is empty (0 bytes).")
    try:
        container = av.open(str(path), options=dict(SAFE_INPUT), metadata_errors="ignore")
    except (av.error.InvalidDataError, av.error.ArgumentError, UnicodeDecodeError):
        # ArgumentError: a demuxer outside ALLOWED_DEMUXERS (a playlist, a concat list).
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


# What a probed container is served as. Anything else is sent as a download, never inline.
_MEDIA_TYPES = {
    "mov,mp4,m4a,3gp,3g2,mj2": ("video/mp4", "audio/mp4"),
    "matroska,webm": ("video/webm", "audio/webm"),
    "ogg": ("video/ogg", "audio/ogg"),
    "mp3": (None, "audio/mpeg"),
    "wav": (None, "audio/wav"),
    "flac": (None, "audio/flac"),
    "aac": (None, "audio/aac"),
}


def served_type(info: MediaInfo) -> str | None:
    """The Content-Type a browser may play inline, or None for a download."""
    video, audio = _MEDIA_TYPES.get(info.format_name, (None, None))
    return video if info.has_video and video else audio


def _is_cover_art(stream) -> bool:  # an mp3's album picture is a "video" stream of one frame
    return bool(stream.disposition & getattr(stream.disposition.__class__, "attached_pic", 0))


def _duration(container) -> float:
    if container.duration:
        return container.duration / av.time_base
    best = 0.0
    for stream in container.streams:
        if stream.duration and stream.time_base:
            best = max(best, float(stream.duration * stream.time_base))
    return best


def extract_audio(
    source: Path,
    target: Path,
    *,
    timeout: float | None = None,
    max_seconds: float | None = None,
) -> float:
    """Decode ``source``'s first audio stream to 16 kHz mono 16-bit WAV; returns its duration.

    Written to a temporary name and renamed, so a crash never leaves a half file that looks done.
    ``max_seconds``: the longest recording taken. The limit is on what is decoded, not on what the
    header says (a FLAC or an Ogg stream may declare no length at all): ffmpeg stops one second
    past it, and a longer result is a ``MediaError``, so neither the disk nor the time a job takes
    depends on a header's word.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial.wav")
    command = [
        ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        *safe_input_args(), "-i", str(source),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-c:a", "pcm_s16le",
        *(["-t", f"{max_seconds + 1:.3f}"] if max_seconds is not None else []),
        str(partial),
    ]  # fmt: skip
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        partial.unlink(missing_ok=True)
        raise MediaError("Extracting the audio took too long.") from None
    if completed.returncode != 0:
        partial.unlink(missing_ok=True)
        if "matches no streams" in completed.stderr:
            raise MediaError("This file has no audio track to transcribe.")
        # ffmpeg's own words (addresses, internal names) are for the log, not the user.
        logger.warning("ffmpeg could not decode %s: %s", source, completed.stderr.strip()[-2000:])
        raise MediaError("The audio could not be decoded; the file may be corrupt.")
    duration = wav_duration(partial)
    if duration <= 0:
        partial.unlink(missing_ok=True)
        raise MediaError("The audio track is empty.")
    if max_seconds is not None and duration > max_seconds:
        partial.unlink(missing_ok=True)
        raise MediaError(too_long_message(duration, max_seconds, decoded=True))
    partial.replace(target)
    return duration


def too_long_message(duration: float, limit: float, *, decoded: bool = False) -> str:
    """What a user reads when a recording is over the length limit. ``decoded``: the length was
    found by decoding, which stops just past the limit, so only "longer than" is known."""
    minutes = f"{limit / 60:.0f} minutes"
    if decoded:
        return f"This recording is longer than {minutes}; the limit is {minutes}."
    return f"This recording is {duration / 60:.0f} minutes long; the limit is {minutes}."


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
