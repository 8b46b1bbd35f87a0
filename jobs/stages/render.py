"""Stage: each chosen clip rendered to MP4 with burned-in captions and a thumbnail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from jobs.highlights.compiler import RenderedClip, render_clip


def render_clips(
    source: Path,
    clips: Sequence[Any],
    segments: Sequence[Any],
    folder: Path,
    *,
    layout: str,
    regions: Any = None,
    on_progress: Callable[[float], None] | None = None,
) -> list[RenderedClip]:
    folder.mkdir(parents=True, exist_ok=True)
    rendered = []
    for number, clip in enumerate(clips, start=1):
        rendered.append(
            render_clip(
                source,
                clip,
                segments,
                folder / f"clip-{number:02d}.mp4",
                layout=layout,
                regions=regions,
            )
        )
        if on_progress is not None:
            on_progress(number / len(clips))
    return rendered
