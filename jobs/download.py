"""Fetching media from a link with yt-dlp, inside the limits and the SSRF guard. No Django."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.media import MediaError, ffmpeg_exe
from jobs.urlsafety import Allowlist, UnsafeURL, check_url, guard_connections, unguarded

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Downloaded:
    path: Path
    title: str
    webpage_url: str
    duration: float | None


class DownloadError(MediaError):
    """The link could not be turned into a media file; the message is for the user."""


class _Log:
    """yt-dlp's logger interface: forwards to ours and remembers what was said."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def _keep(self, message: str) -> None:
        self.lines.append(message)

    def debug(self, message: str) -> None:
        self._keep(message)
        logger.debug("yt-dlp: %s", message)

    def info(self, message: str) -> None:
        self._keep(message)
        logger.info("yt-dlp: %s", message)

    def warning(self, message: str) -> None:
        self._keep(message)
        logger.warning("yt-dlp: %s", message)

    def error(self, message: str) -> None:
        self._keep(message)
        logger.warning("yt-dlp: %s", message)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)


def _friendly(message: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", message)
    text = text.removeprefix("ERROR: ").strip()
    lowered = text.lower()
    if "unsupported url" in lowered:
        return "This page has no video or audio that Lectern can download."
    if "internal address" in lowered:
        return (
            "This link points to a private or internal network address, which Lectern does not "
            "fetch from."
        )
    if match := re.search(r"HTTP Error (\d{3})", text):
        return f"The site answered with an error (HTTP {match.group(1)})."
    if "file is larger than max-filesize" in lowered or "too large" in lowered:
        return "The media at this link is larger than the upload limit."
    if "timed out" in lowered:
        return "The site took too long to answer."
    if "name or service not known" in lowered or "failed to resolve" in lowered:
        return "The site's host name could not be found."
    short = text.splitlines()[0][:200] if text else "unknown error"
    return f"The media could not be downloaded ({short})."


def download(
    url: str,
    folder: Path,
    *,
    allowlist: Allowlist,
    max_bytes: int,
    max_duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    socket_timeout: float = 30,
) -> Downloaded:
    """Download the media behind ``url`` into ``folder`` as ``source.<ext>``."""
    import yt_dlp
    from yt_dlp.utils import DownloadCancelled
    from yt_dlp.utils import DownloadError as YtDlpError

    try:
        check_url(url, allowlist)
    except UnsafeURL as exc:
        raise DownloadError(str(exc)) from None
    folder.mkdir(parents=True, exist_ok=True)

    class TooLarge(DownloadCancelled):
        msg = "The media at this link is larger than the upload limit."

    def hook(status: dict[str, Any]) -> None:
        done = status.get("downloaded_bytes") or 0
        if done > max_bytes:
            raise TooLarge()
        total = status.get("total_bytes") or status.get("total_bytes_estimate")
        if on_progress is not None and total:
            # The callback may write to our own database, which can live on a private address.
            with unguarded():
                on_progress(min(1.0, done / total))

    def too_long(info: dict[str, Any], *, incomplete: bool = False) -> str | None:
        duration = info.get("duration")
        if max_duration is not None and duration and duration > max_duration:
            return (
                f"This recording is {duration / 60:.0f} minutes long; the limit is "
                f"{max_duration / 60:.0f} minutes."
            )
        return None

    log = _Log()
    options = {
        "outtmpl": str(folder / "source.%(ext)s"),
        # Video up to 720p is plenty for clips; audio-only when that is all there is.
        "format": "best[height<=720]/bestvideo[height<=720]+bestaudio/bestaudio/best",
        "merge_output_format": "mp4",
        "noplaylist": True,
        "playlist_items": "1",
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "cachedir": False,
        "ffmpeg_location": ffmpeg_exe(),
        "max_filesize": max_bytes,
        "socket_timeout": socket_timeout,
        "retries": 3,
        "match_filter": too_long,
        "progress_hooks": [hook],
        "logger": log,
    }
    try:
        with guard_connections(allowlist), yt_dlp.YoutubeDL(options) as ydl:
            info = ydl.extract_info(url, download=True)
    except TooLarge:
        _clean(folder)
        raise DownloadError(TooLarge.msg) from None
    except YtDlpError as exc:
        _clean(folder)
        raise DownloadError(_friendly(str(exc))) from None
    except DownloadCancelled as exc:
        _clean(folder)
        raise DownloadError(str(exc) or "The download was stopped.") from None
    if info is None:
        _clean(folder)
        raise DownloadError(
            too_long({"duration": None}) or "Nothing could be downloaded from this link."
        )
    if info.get("_type") == "playlist":
        entries = [entry for entry in info.get("entries") or [] if entry]
        if not entries:
            raise DownloadError("This playlist has nothing Lectern can download.")
        info = entries[0]
    path = _downloaded_path(info, folder)
    if path is None:
        over_limit = log.said("larger than max-filesize")
        reason = too_long(info) or (TooLarge.msg if over_limit else None)
        raise DownloadError(reason or "Nothing could be downloaded from this link.")
    return Downloaded(
        path=path,
        title=str(info.get("title") or "")[:200],
        webpage_url=str(info.get("webpage_url") or url),
        duration=info.get("duration"),
    )


def _downloaded_path(info: dict[str, Any], folder: Path) -> Path | None:
    for item in info.get("requested_downloads") or []:
        path = item.get("filepath")
        if path and Path(path).exists():
            return Path(path)
    candidates = [p for p in folder.glob("source.*") if not p.name.endswith((".part", ".ytdl"))]
    return candidates[0] if candidates else None


def _clean(folder: Path) -> None:
    for leftover in folder.glob("source.*"):
        leftover.unlink(missing_ok=True)
