"""Fetching media from a link with yt-dlp, inside the limits and the SSRF guard. No Django."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobs.intake.urlsafety import (
    Allowlist,
    UnsafeURL,
    check_url,
    guard_active,
    guard_connections,
    unguarded,
)
from transcripts.media import MediaError, ffmpeg_exe, too_long_message

logger = logging.getLogger(__name__)

LIVE_MESSAGE = "This is a live stream; Lectern transcribes recordings, not live broadcasts."
STREAM_MESSAGE = (
    "This link leads to a stream Lectern cannot fetch (such as rtsp:// or mms://); only media "
    "served over http:// or https:// can be downloaded."
)
EXTERNAL_MESSAGE = (
    "This stream needs a download method Lectern does not use (it is encrypted or needs ffmpeg "
    "to fetch it)."
)


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
    if (
        "unsupported url scheme" in lowered
        or "no connection adapters" in lowered
        or "is unusual and will be skipped" in lowered
    ):
        return STREAM_MESSAGE
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


class Refused(Exception):
    """Raised inside yt-dlp when a download would leave the guard; the message is for the user."""


_patch_lock = threading.Lock()
_patched = False


def _keep_downloads_in_process() -> None:
    """Refuse every yt-dlp downloader that runs another program while the URL guard is on.

    The guard patches ``socket.getaddrinfo`` in this process only: ffmpeg, curl, aria2c or
    rtmpdump started by yt-dlp resolve and connect on their own, so a playlist's key or segment
    URIs would reach any address. yt-dlp's native HLS downloader still hands a stream it cannot
    decrypt (SAMPLE-AES) or a live one to ffmpeg, whatever the options say, so the refusal sits on
    the downloaders themselves. A media playlist without ``#EXT-X-ENDLIST`` is live: refused too.
    """
    global _patched
    with _patch_lock:
        if _patched:
            return
        # yt-dlp takes ~0.6 s to import: loaded only when a link is fetched
        from yt_dlp.downloader.external import ExternalFD
        from yt_dlp.downloader.hls import HlsFD
        from yt_dlp.downloader.rtmp import RtmpFD

        for cls in (ExternalFD, RtmpFD):
            original = cls.real_download

            def refuse(self, filename, info_dict, _original=original):  # type: ignore[no-untyped-def]
                if guard_active():
                    raise Refused(EXTERNAL_MESSAGE)
                return _original(self, filename, info_dict)

            cls.real_download = refuse  # type: ignore[method-assign]

        can_download = HlsFD.can_download.__func__  # type: ignore[attr-defined]

        def can_download_finished(cls, manifest, info_dict, allow_unplayable_formats=False):  # type: ignore[no-untyped-def]
            if guard_active() and "#EXTINF" in manifest and "#EXT-X-ENDLIST" not in manifest:
                raise Refused(LIVE_MESSAGE)
            return can_download(cls, manifest, info_dict, allow_unplayable_formats)

        HlsFD.can_download = classmethod(can_download_finished)  # type: ignore[method-assign]
        _patched = True


def download(
    url: str,
    folder: Path,
    *,
    allowlist: Allowlist,
    max_bytes: int,
    max_duration: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    socket_timeout: float = 30,
    max_seconds: float = 1800,
) -> Downloaded:
    """Download the media behind ``url`` into ``folder`` as ``source.<ext>``.

    Bounded by ``max_bytes`` and by ``max_seconds`` of wall time; only yt-dlp's own (guarded)
    downloaders run, and live streams are refused.
    """
    # yt-dlp takes ~0.6 s to import: loaded only when a link is fetched
    import yt_dlp
    from yt_dlp.networking.exceptions import RequestError
    from yt_dlp.utils import DownloadCancelled
    from yt_dlp.utils import DownloadError as YtDlpError

    try:
        check_url(url, allowlist)
    except UnsafeURL as exc:
        raise DownloadError(str(exc)) from None
    folder.mkdir(parents=True, exist_ok=True)
    _keep_downloads_in_process()
    deadline = time.monotonic() + max_seconds

    class TooLarge(DownloadCancelled):
        msg = "The media at this link is larger than the upload limit."

    class TooSlow(DownloadCancelled):
        msg = f"The download took longer than {max_seconds / 60:.0f} minutes and was stopped."

    def hook(status: dict[str, Any]) -> None:
        done = status.get("downloaded_bytes") or 0
        if done > max_bytes:
            raise TooLarge()
        if time.monotonic() > deadline:
            raise TooSlow()
        total = status.get("total_bytes") or status.get("total_bytes_estimate")
        if on_progress is not None:
            # The callback may write to our own database, which can live on a private address;
            # it is called on every chunk so that a cancelled job stops here (it throttles itself).
            with unguarded():
                on_progress(min(1.0, done / total) if total else 0.0)

    refusal: list[str] = []

    def too_long(info: dict[str, Any], *, incomplete: bool = False) -> str | None:
        if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
            refusal.append(LIVE_MESSAGE)
            return LIVE_MESSAGE
        duration = info.get("duration")
        if max_duration is not None and duration and duration > max_duration:
            return too_long_message(duration, max_duration)
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
        # Only yt-dlp's own downloaders, which connect through the guard (see above).
        "external_downloader": {"default": "native"},
        "hls_prefer_native": True,
        # A fragment that cannot be fetched (refused by the guard) fails the download, rather
        # than leaving a file with holes.
        "skip_unavailable_fragments": False,
        "fragment_retries": 1,
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
    except (TooLarge, TooSlow) as exc:
        _clean(folder)
        raise DownloadError(exc.msg) from None
    except Refused as exc:
        _clean(folder)
        raise DownloadError(str(exc)) from None
    except RequestError as exc:  # a redirect or a page pointing at rtsp://, mms://, ...
        _clean(folder)
        raise DownloadError(_friendly(str(exc))) from None
    except YtDlpError as exc:
        _clean(folder)
        if log.said("internal address"):
            raise DownloadError(_friendly("internal address")) from None
        raise DownloadError(_friendly(str(exc))) from None
    except DownloadCancelled as exc:
        _clean(folder)
        raise DownloadError(str(exc) or "The download was stopped.") from None
    if info is None:
        _clean(folder)
        raise DownloadError(
            (refusal[0] if refusal else None) or "Nothing could be downloaded from this link."
        )
    if info.get("_type") == "playlist":
        entries = [entry for entry in info.get("entries") or [] if entry]
        if not entries:
            raise DownloadError("This playlist has nothing Lectern can download.")
        info = entries[0]
    path = _downloaded_path(info, folder)
    if path is None:
        over_limit = log.said("larger than max-filesize")
        reason = (refusal[0] if refusal else None) or too_long(info)
        reason = reason or (TooLarge.msg if over_limit else None)
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
