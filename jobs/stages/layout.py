"""Stage: where the slides and the camera are in the video, and when the slides change."""

from __future__ import annotations

from pathlib import Path

from jobs.highlights.layout import LayoutResult, detect_layout


def read_layout(video: Path, *, timeout: float | None = None) -> LayoutResult:
    return detect_layout(video, timeout=timeout)
