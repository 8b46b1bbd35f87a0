"""Stage 1: get the media here (downloading a link) and check it is what it claims to be."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jobs.intake.download import download
from jobs.intake.urlsafety import Allowlist
from transcripts.media import MediaError, MediaInfo, probe


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_duration: float
    max_download_seconds: float = 1800  # wall time for fetching a link


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
    if info.duration > limits.max_duration:
        raise MediaError(
            f"This recording is {info.duration / 60:.0f} minutes long; the limit is "
            f"{limits.max_duration / 60:.0f} minutes."
        )
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
