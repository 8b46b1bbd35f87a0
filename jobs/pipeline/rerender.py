"""Rendering a finished job's clips again: after a caption edit, or with a corrected layout.

Both go through ``render_clips_again``, which works in the job's workspace (its folder, or a
scratch folder on a bucket) and publishes each clip and thumbnail as it is made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from jobs.highlights.compiler import render_clip
from jobs.models import Clip, Job
from jobs.pipeline.scratch import workspace


def render_clips_again(
    job: Job, clips: Iterable[Clip], *, on_clip: Callable[[int], None] | None = None
) -> int:
    """Render ``clips`` of ``job`` from its current transcript, layout and clip shape; how many.

    ``on_clip(done)`` is called after each one (a progress bar).
    """
    segments = list(job.transcript.segments.all())
    regions = (job.analysis or {}).get("layout")
    done = 0
    with workspace(job) as space:
        media = space.local(job.media.name)
        for clip in clips:
            rendered = render_clip(
                media,
                {"ranges": clip.ranges, "start": clip.start, "end": clip.end},
                segments,
                space.root / clip.file.name,
                layout=job.clip_layout,
                regions=regions,
            )
            space.publish(rendered.video, again=True)
            space.publish(rendered.thumbnail, again=True)
            clip.layout = rendered.arrangement
            clip.duration = rendered.duration
            clip.save(update_fields=["layout", "duration"])
            done += 1
            if on_clip is not None:
                on_clip(done)
    return done
