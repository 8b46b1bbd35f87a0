"""Downloads from the bucket: a redirect to a short-lived signed URL, given after the owner check.

The browser then reads the object from the bucket itself, Range requests included (the player
seeks within it); the web server sends no bytes. On the embedded default the views send the file
themselves (``jobs.ranged``), as they always did.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.http import HttpResponse, HttpResponseRedirect
from django.utils.cache import patch_cache_control

from jobs.storage import objects

# A stored source's type, from the extension Lectern chose when it stored it (``safe_extension``):
# (as a video, as audio only). Anything else is sent as a download, never inline.
_EXTENSION_TYPES = {
    ".mp4": ("video/mp4", "audio/mp4"),
    ".m4v": ("video/mp4", "audio/mp4"),
    ".mov": ("video/mp4", "audio/mp4"),
    ".m4a": ("video/mp4", "audio/mp4"),
    ".webm": ("video/webm", "audio/webm"),
    ".mkv": ("video/webm", "audio/webm"),
    ".ogg": ("video/ogg", "audio/ogg"),
    ".ogv": ("video/ogg", "audio/ogg"),
    ".oga": (None, "audio/ogg"),
    ".opus": (None, "audio/ogg"),
    ".mp3": (None, "audio/mpeg"),
    ".wav": (None, "audio/wav"),
    ".flac": (None, "audio/flac"),
    ".aac": (None, "audio/aac"),
}


def media_type(name: str, *, has_video: bool) -> str | None:
    """The Content-Type a browser may play a stored source as inline, or None for a download."""
    video, audio = _EXTENSION_TYPES.get(PurePosixPath(name).suffix.lower(), (None, None))
    return video if has_video and video else audio


def in_folder(name: str, folder: str) -> bool:
    """Whether a stored name lies inside ``folder`` (a name read from a job's JSON, say)."""
    parts = PurePosixPath(name).parts
    return name.startswith(f"{folder}/") and ".." not in parts and not name.startswith("/")


def signed_redirect(
    name: str,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    attachment: bool = False,
) -> HttpResponse:
    url = objects.signed_url(
        name, filename=filename, content_type=content_type, attachment=attachment
    )
    response = HttpResponseRedirect(url)
    # The URL expires: no cache may hand it out later (nor to anyone else).
    patch_cache_control(response, private=True, no_store=True)
    return response
