"""Stage: the best 20 s to 2 min passages, on sentence bounds, with long pauses cut."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jobs.highlights.selection import SelectionResult, select_clips


def choose_clips(
    segments: Sequence[Any],
    topics: Sequence[Any],
    silences: Sequence[tuple[float, float]],
    *,
    count: int,
    min_length: float,
    max_length: float,
    max_pause: float,
) -> SelectionResult:
    return select_clips(
        segments,
        topics,
        silences,
        count=count,
        min_length=min_length,
        max_length=max_length,
        max_pause=max_pause,
    )
