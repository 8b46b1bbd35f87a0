"""Intake rules taken from settings: limits, the URL allow-list, and checking a link early."""

from __future__ import annotations

from django.conf import settings

from jobs.intake.urlsafety import Allowlist, UnsafeURL, check_url
from jobs.pipeline.stages.fetch import Limits


def limits() -> Limits:
    return Limits(
        max_bytes=settings.MAX_UPLOAD_MB * 1024 * 1024,
        max_duration=settings.MAX_DURATION_MINUTES * 60,
        max_download_seconds=settings.MAX_DOWNLOAD_MINUTES * 60,
        max_pixels=settings.MAX_VIDEO_PIXELS,
    )


def allowlist() -> Allowlist:
    return Allowlist.parse(settings.URL_ALLOWLIST)


def validate_url(url: str) -> str:
    """The cleaned URL, or ``UnsafeURL`` with a reason for the user."""
    return check_url(url, allowlist())


__all__ = ["Limits", "UnsafeURL", "allowlist", "limits", "validate_url"]
