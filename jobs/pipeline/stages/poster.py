"""Stage: a poster frame for a video job, shown on its player and in the job list.

MoviePy is the tool here: one frame at a chosen time, scaled by ffmpeg while it decodes
(``target_resolution``), handed over as an array and written as a JPEG with Pillow. Clips are
rendered by one ffmpeg filtergraph instead (jobs/highlights/compiler.py), where MoviePy measured
8.3x slower. The poster is decoration: a video it cannot read gets none, and the job goes on.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

logger = logging.getLogger(__name__)

WIDTH = 640
# Far enough in to skip a fade from black or a title card, early enough to be about the talk.
SHARE, LATEST = 0.1, 30.0


def poster_time(duration: float) -> float:
    return max(0.0, min(duration * SHARE, LATEST))


def make_poster(video: Path, target: Path, *, duration: float) -> Path | None:
    """Write a ``WIDTH``-wide JPEG of ``video``'s frame at ``poster_time(duration)`` to ``target``.

    Returns ``target``, or None (logged) where the video has no frame to give.
    """
    # moviepy takes ~0.8 s to import: loaded only when a poster is made
    from moviepy import VideoFileClip

    partial = target.with_name(f"{target.stem}.partial{target.suffix}")
    try:
        with VideoFileClip(str(video), audio=False, target_resolution=(WIDTH, None)) as clip:
            last = max(0.0, (clip.duration or duration) - 1.0 / (clip.fps or 25.0))
            frame = clip.get_frame(min(poster_time(duration), last))
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(frame).convert("RGB").save(partial, "JPEG", quality=82, optimize=True)
        partial.replace(target)
    except Exception:  # MoviePy raises OSError, KeyError or IndexError on odd files
        logger.warning("no poster frame for %s", video, exc_info=True)
        partial.unlink(missing_ok=True)
        return None
    return target
