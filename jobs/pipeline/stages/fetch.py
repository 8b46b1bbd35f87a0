"""Stage 1: get the media here (downloading a link) and check it is what it claims to be."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jobs.intake.download import download
from jobs.intake.urlsafety import Allowlist
from transcripts.media import DECODE_MAX_PIXELS, MediaError, MediaInfo, probe, too_long_message

# 4K in either shape: 4096x2160 (DCI 4K; UHD's 3840x2160 is a little less) or 2160x4096.
MAX_PIXELS = 4096 * 2160


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_duration: float  # seconds of audio, as decoded (the extract stage stops past it)
    max_download_seconds: float = 1800  # wall time for fetching a link
    max_pixels: int = MAX_PIXELS  # a video frame's width x height, as the decoder reports it

    def __post_init__(self) -> None:
        if self.max_pixels > DECODE_MAX_PIXELS:
            raise ValueError(f"max_pixels may not exceed {DECODE_MAX_PIXELS} (8K)")


def too_large_picture(info: MediaInfo, max_pixels: int) -> str | None:
    """The sentence for a video whose frames are larger than ``max_pixels``, or None."""
    width, height = info.width or 0, info.height or 0
    if not info.has_video or width * height <= max_pixels:
        return None
    return (
        f"This video's picture is {width}×{height} pixels ({width * height / 1e6:.1f} megapixels); "
        f"the limit is {max_pixels / 1e6:.1f} megapixels a frame (4K is 8.3)."
    )


@dataclass(frozen=True)
class Fetched:
    path: Path
    info: MediaInfo
    sha256: str
    size: int
    title: str = ""  # from the page, for links


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def examine(path: Path, limits: Limits) -> MediaInfo:
    """What a local file is, by its contents, or ``MediaError`` saying why no job can use it.

    The web side calls this on an upload before queueing it (``jobs.intake.uploads``), so that a
    file the worker would refuse is refused at once, in the worker's words.
    """
    path = Path(path)
    size = path.stat().st_size if path.exists() else 0
    if size > limits.max_bytes:
        raise MediaError(f"The file is larger than the {limits.max_bytes // 2**20} MB limit.")
    info = probe(path)
    if not info.has_audio:
        raise MediaError("This file has no audio track to transcribe.")
    # The header's length and size refuse early what is surely too much; what is decoded is
    # bounded again later (extraction stops past the length limit, decoders at DECODE_MAX_PIXELS).
    if info.duration > limits.max_duration:
        raise MediaError(too_long_message(info.duration, limits.max_duration))
    if message := too_large_picture(info, limits.max_pixels):
        raise MediaError(message)
    return info


def check(path: Path, limits: Limits, *, title: str = "") -> Fetched:
    """Probe a local media file by its contents and check it against the limits."""
    path = Path(path)
    info = examine(path, limits)
    size = path.stat().st_size
    return Fetched(path=path, info=info, sha256=sha256_of(path), size=size, title=title)


def fetch(
    source: Path | str,
    folder: Path,
    limits: Limits,
    *,
    allowlist: Allowlist | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Fetched:
    """A local file is checked where it is; a link is downloaded into ``folder`` first."""
    if isinstance(source, str) and "://" in source:
        downloaded = download(
            source,
            folder,
            allowlist=allowlist or Allowlist(),
            max_bytes=limits.max_bytes,
            max_duration=limits.max_duration,
            max_seconds=limits.max_download_seconds,
            on_progress=on_progress,
        )
        return check(downloaded.path, limits, title=downloaded.title)
    return check(Path(source), limits)
